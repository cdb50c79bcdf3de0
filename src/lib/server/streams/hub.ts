import type { UIMessageChunk } from 'ai';

/**
 * Live generations, keyed by assistant message id. A publisher appends chunks; any number of
 * subscribers (tabs, reconnects) receive every chunk from the first one, then live ones, so a
 * late subscriber rebuilds exactly the same message: nothing duplicated, nothing skipped.
 */
export interface StreamHub {
	open(messageId: string): void | Promise<void>;
	/** Appends a chunk; chunks of one message are delivered in publish order. */
	publish(messageId: string, chunk: UIMessageChunk): void;
	/** Ends the stream once every published chunk is delivered; subscribers then finish. */
	close(messageId: string): void | Promise<void>;
	/**
	 * Every chunk from the first, then live ones until close; null when that message has no
	 * stream (never opened, or closed long enough ago to be forgotten).
	 */
	subscribe(messageId: string, signal?: AbortSignal): Promise<ReadableStream<UIMessageChunk> | null>;
	/** Asks whichever instance runs that generation to stop it. */
	requestStop(messageId: string): Promise<void>;
	/** Registers the handler this instance runs when any instance asks for a stop. */
	onStopRequest(handler: (messageId: string) => void): void;
	dispose(): Promise<void>;
}

interface LiveStream {
	chunks: UIMessageChunk[];
	listeners: Set<(chunk: UIMessageChunk | null) => void>;
	closed: boolean;
}

/** How long a finished stream stays subscribable, so a reconnect racing the end still gets it. */
const LINGER_MS = 30_000;

export class MemoryStreamHub implements StreamHub {
	private streams = new Map<string, LiveStream>();
	private lingerTimers = new Set<NodeJS.Timeout>();

	open(messageId: string): void {
		this.streams.set(messageId, { chunks: [], listeners: new Set(), closed: false });
	}

	publish(messageId: string, chunk: UIMessageChunk): void {
		const stream = this.streams.get(messageId);
		if (!stream || stream.closed) return;
		stream.chunks.push(chunk);
		for (const listener of stream.listeners) listener(chunk);
	}

	close(messageId: string): void {
		const stream = this.streams.get(messageId);
		if (!stream || stream.closed) return;
		stream.closed = true;
		for (const listener of stream.listeners) listener(null);
		stream.listeners.clear();
		const timer = setTimeout(() => {
			this.lingerTimers.delete(timer);
			if (this.streams.get(messageId) === stream) this.streams.delete(messageId);
		}, LINGER_MS);
		timer.unref();
		this.lingerTimers.add(timer);
	}

	isLive(messageId: string): boolean {
		const stream = this.streams.get(messageId);
		return Boolean(stream && !stream.closed);
	}

	private stopHandlers: Array<(messageId: string) => void> = [];

	async requestStop(messageId: string): Promise<void> {
		for (const h of this.stopHandlers) h(messageId);
	}

	onStopRequest(handler: (messageId: string) => void): void {
		this.stopHandlers.push(handler);
	}

	async dispose(): Promise<void> {
		this.clear();
	}

	async subscribe(messageId: string, signal?: AbortSignal): Promise<ReadableStream<UIMessageChunk> | null> {
		const stream = this.streams.get(messageId);
		if (!stream) return null;
		let listener: ((chunk: UIMessageChunk | null) => void) | null = null;
		const detach = () => {
			if (listener) stream.listeners.delete(listener);
			listener = null;
		};
		return new ReadableStream<UIMessageChunk>({
			start(controller) {
				for (const chunk of stream.chunks) controller.enqueue(chunk);
				if (stream.closed) {
					controller.close();
					return;
				}
				listener = (chunk) => {
					if (chunk === null) {
						detach();
						controller.close();
					} else {
						controller.enqueue(chunk);
					}
				};
				stream.listeners.add(listener);
				signal?.addEventListener('abort', () => {
					detach();
					try {
						controller.close();
					} catch {
						/* already closed */
					}
				});
			},
			cancel: detach
		});
	}

	/** Drops everything (tests, shutdown). */
	clear(): void {
		for (const t of this.lingerTimers) clearTimeout(t);
		this.lingerTimers.clear();
		this.streams.clear();
	}
}
