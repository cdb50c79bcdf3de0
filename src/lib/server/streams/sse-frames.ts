import { UI_MESSAGE_STREAM_HEADERS, type UIMessageChunk } from 'ai';

/**
 * The AI SDK UI message stream protocol on the wire, as `createUIMessageStreamResponse` writes it:
 * one SSE frame per chunk, then a [DONE] frame. The hubs serialise each chunk once, at publish,
 * and hand their subscribers ready bytes.
 */

export const DONE_FRAME = 'data: [DONE]\n\n';

const UNSERIALISABLE = JSON.stringify({ type: 'error', errorText: 'unserialisable chunk' });

/** A chunk's JSON; one that cannot be serialised (a cycle, a BigInt) becomes an error chunk, so the stream goes on. */
export function chunkJson(chunk: UIMessageChunk, onError?: (err: unknown) => void): string {
	try {
		return JSON.stringify(chunk);
	} catch (err) {
		onError?.(err);
		return UNSERIALISABLE;
	}
}

export const jsonFrame = (json: string): string => `data: ${json}\n\n`;

export const toFrame = (chunk: UIMessageChunk): string => jsonFrame(chunkJson(chunk));

/** What a hub calls on one subscriber. */
export interface FrameSubscriber {
	push(frame: string): void;
	/** No more frames: [DONE] follows the queued ones; with an error, the stream errors after them instead. */
	end(error?: Error): void;
}

const encoder = new TextEncoder();

/**
 * A subscriber's byte stream: the `history` frames, then those pushed live, then [DONE].
 *
 * `listen` runs once, synchronously: it either ends the subscriber at once (the source has ended)
 * or registers it and returns how to unregister it, which runs on abort or cancel.
 *
 * Pull-based and coalescing: frames wait as one string while the consumer is busy, and each read
 * gets all of them in one Uint8Array, so under load one read carries many tokens. An abort of
 * `signal` ends the stream after the queued frames, without [DONE] (the client is gone).
 */
export function frameStream(
	history: readonly string[],
	listen: (subscriber: FrameSubscriber) => (() => void) | void,
	signal?: AbortSignal
): ReadableStream<Uint8Array> {
	let pending = history.join('');
	let ended = false;
	let error: Error | undefined;
	let wake: (() => void) | null = null;
	let unlisten: (() => void) | void;

	const finish = (last: string, err?: Error) => {
		if (ended) return;
		ended = true;
		error = err;
		if (!err) pending += last;
		signal?.removeEventListener('abort', onAbort);
		wake?.();
	};
	const onAbort = () => {
		unlisten?.();
		finish('');
	};
	const subscriber: FrameSubscriber = {
		push(frame) {
			if (ended) return;
			pending += frame;
			wake?.();
		},
		end: (err) => finish(DONE_FRAME, err)
	};

	return new ReadableStream<Uint8Array>(
		{
			start() {
				unlisten = listen(subscriber);
				if (signal?.aborted) onAbort();
				else if (!ended) signal?.addEventListener('abort', onAbort, { once: true });
			},
			async pull(controller) {
				while (!pending && !ended) await new Promise<void>((resolve) => (wake = resolve));
				wake = null;
				if (pending) {
					controller.enqueue(encoder.encode(pending));
					pending = '';
				}
				if (!ended) return;
				if (error) controller.error(error);
				else controller.close();
			},
			cancel() {
				ended = true;
				pending = '';
				signal?.removeEventListener('abort', onAbort);
				unlisten?.();
			}
		},
		{ highWaterMark: 0 }
	);
}

/** The HTTP response carrying a subscriber's stream of one answer. */
export function uiMessageStreamResponse(stream: ReadableStream<Uint8Array>, messageId: string): Response {
	return new Response(stream, { headers: { ...UI_MESSAGE_STREAM_HEADERS, 'x-message-id': messageId } });
}
