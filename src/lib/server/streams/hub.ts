import type { UIMessageChunk } from 'ai';
import { frameStream, toFrame, type FrameSubscriber } from './sse-frames';

/**
 * Live generations, keyed by assistant message id. A publisher appends chunks; any number of
 * subscribers (tabs, reconnects) receive every chunk from the first one, then live ones, so a
 * late subscriber rebuilds exactly the same message: nothing duplicated, nothing skipped.
 * Each chunk is serialised once, at publish, into its SSE frame (see sse-frames.ts); subscribers
 * get the UI message stream protocol's bytes, ready to be the body of an HTTP response.
 */
export interface StreamHub {
	open(messageId: string): void | Promise<void>;
	/** Appends a chunk; chunks of one message are delivered in publish order. */
	publish(messageId: string, chunk: UIMessageChunk): void;
	/** Ends the stream once every published chunk is delivered; subscribers then finish. */
	close(messageId: string): void | Promise<void>;
	/**
	 * The SSE bytes of every chunk from the first, then of live ones, then `data: [DONE]` after
	 * close; null when that message has no stream (never opened, or closed long enough ago to be
	 * forgotten). An abort of `signal` ends the stream (without [DONE]) and detaches it.
	 */
	subscribe(messageId: string, signal?: AbortSignal): Promise<ReadableStream<Uint8Array> | null>;
	/** Asks whichever instance runs that generation to stop it. */
	requestStop(messageId: string): Promise<void>;
	/** Registers the handler this instance runs when any instance asks for a stop. */
	onStopRequest(handler: (messageId: string) => void): void;
	dispose(): Promise<void>;
}

interface LiveStream {
	frames: string[];
	listeners: Set<FrameSubscriber>;
	closed: boolean;
}

/** How long a finished stream stays subscribable, so a reconnect racing the end still gets it. */
const LINGER_MS = 30_000;

export class MemoryStreamHub implements StreamHub {
	private streams = new Map<string, LiveStream>();
	private lingerTimers = new Set<NodeJS.Timeout>();

	open(messageId: string): void {
		this.streams.set(messageId, { frames: [], listeners: new Set(), closed: false });
	}

	publish(messageId: string, chunk: UIMessageChunk): void {
		const stream = this.streams.get(messageId);
		if (!stream || stream.closed) return;
		const frame = toFrame(chunk);
		stream.frames.push(frame);
		for (const listener of stream.listeners) listener.push(frame);
	}

	close(messageId: string): void {
		const stream = this.streams.get(messageId);
		if (!stream || stream.closed) return;
		stream.closed = true;
		for (const listener of stream.listeners) listener.end();
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

	async subscribe(messageId: string, signal?: AbortSignal): Promise<ReadableStream<Uint8Array> | null> {
		const stream = this.streams.get(messageId);
		if (!stream) return null;
		return frameStream(
			stream.frames,
			(subscriber) => {
				if (stream.closed) return subscriber.end();
				stream.listeners.add(subscriber);
				return () => stream.listeners.delete(subscriber);
			},
			signal
		);
	}

	/** Drops everything (tests, shutdown). */
	clear(): void {
		for (const t of this.lingerTimers) clearTimeout(t);
		this.lingerTimers.clear();
		this.streams.clear();
	}
}
