import { describe, expect, it } from 'vitest';
import { estimateTokens, toModelMessages, trimToContext } from '../../src/lib/server/chat/history';
import { cleanTitle, provisionalTitle } from '../../src/lib/server/chat/title';
import { groupByDate } from '../../src/lib/dates';

describe('prompt history', () => {
	const msg = (role: 'user' | 'assistant', content: string, status: 'complete' | 'error' | 'stopped' = 'complete') => ({ role, content, status });

	it('leaves out failed and empty answers', () => {
		expect(toModelMessages([msg('user', 'a'), msg('assistant', '', 'error'), msg('user', 'b'), msg('assistant', 'partial', 'stopped')])).toEqual([
			{ role: 'user', content: 'a' },
			{ role: 'user', content: 'b' },
			{ role: 'assistant', content: 'partial' }
		]);
	});

	it('keeps everything that fits', () => {
		const all = toModelMessages([msg('user', 'bonjour'), msg('assistant', 'salut'), msg('user', 'ça va ?')]);
		expect(trimToContext('sys', all, 8192, 1024)).toMatchObject({ dropped: 0, messages: all });
	});

	it('drops the oldest messages first and never starts with an answer', () => {
		const long = 'x'.repeat(3000);
		const all = toModelMessages([msg('user', long), msg('assistant', long), msg('user', long), msg('assistant', long), msg('user', 'dernière question')]);
		const { messages, dropped, estimatedTokens } = trimToContext('sys', all, 2500, 500);
		expect(messages[0].role).toBe('user');
		expect(messages.at(-1)!.content).toBe('dernière question');
		expect(dropped).toBeGreaterThanOrEqual(3);
		expect(estimatedTokens + 500 + estimateTokens('sys')).toBeLessThanOrEqual(2500);
	});

	it('cuts a single message that is larger than the whole window, keeping its end', () => {
		const huge = 'début ' + 'y'.repeat(50_000) + ' fin';
		const { messages } = trimToContext('sys', [{ role: 'user', content: huge }], 4096, 1024);
		const kept = messages[0].content as string;
		expect(kept.endsWith(' fin')).toBe(true);
		expect(estimateTokens(kept)).toBeLessThanOrEqual(4096 - 1024);
	});
});

describe('titles', () => {
	it('cleans what a model answers into one short line', () => {
		expect(cleanTitle('« Congés annuels des agents ».\nVoilà !', 80)).toBe('Congés annuels des agents');
		expect(cleanTitle('<think>hmm</think>\nTitre : **Budget 2027**', 80)).toBe('Budget 2027');
		expect(cleanTitle('   \n  ', 80)).toBeNull();
		expect(cleanTitle('a'.repeat(100), 20)).toHaveLength(20);
	});

	it('makes a provisional title from the first message', () => {
		expect(provisionalTitle('  Bonjour,\n  comment   ça va ?')).toBe('Bonjour, comment ça va ?');
		expect(provisionalTitle('z'.repeat(200))).toHaveLength(60);
		expect(provisionalTitle('   ')).toBe('Nouvelle conversation');
	});
});

describe('side panel groups', () => {
	it('groups by today, yesterday, 7 and 30 days, older', () => {
		const now = new Date(2026, 10, 23, 15, 0);
		const at = (d: number, h = 12) => ({ updatedAt: new Date(2026, 10, 23 - d, h) });
		const groups = groupByDate([at(0, 1), at(1), at(3), at(20), at(200)], now);
		expect(groups.map((g) => [g.group, g.items.length])).toEqual([
			['today', 1],
			['yesterday', 1],
			['week', 1],
			['month', 1],
			['older', 1]
		]);
	});
});
