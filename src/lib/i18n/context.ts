import { getContext, setContext } from 'svelte';
import type { Messages } from './index';

const KEY = Symbol('i18n');

/** Gives components the current language's messages through a reactive getter. */
export function setMessages(get: () => Messages): void {
	setContext(KEY, get);
}

export function useMessages(): () => Messages {
	return getContext<() => Messages>(KEY);
}
