import { z } from 'zod';

/** Request bodies of the JSON API. Lengths are checked again by the services with clear errors. */

const uuid = z.uuid({ error: 'must be a UUID' });

export const createConversationBody = z.object({
	modelId: z.string().min(1).max(200).optional()
});

export const updateConversationBody = (titleChars: number) =>
	z
		.object({
			title: z
				.string()
				.trim()
				.min(1, { error: 'the title cannot be empty' })
				.max(titleChars, { error: `the title is too long (limit ${titleChars} characters)` })
				.optional(),
			modelId: z.string().min(1).max(200).optional()
		})
		.refine((b) => b.title !== undefined || b.modelId !== undefined, { error: 'nothing to change: send title or modelId' });

const buildSendMessageBody = (messageChars: number) =>
	z.discriminatedUnion('trigger', [
		z.object({
			trigger: z.literal('submit-message'),
			text: z.string().max(messageChars, { error: `the message is too long (limit ${messageChars} characters)` }),
			/** Client-chosen id for the new user message, or the id of the message being edited. */
			messageId: uuid.optional(),
			edit: z.boolean().optional()
		}),
		z.object({ trigger: z.literal('regenerate-message') }),
		z.object({ trigger: z.literal('continue-message'), messageId: uuid })
	]);

const sendMessageBodies = new Map<number, ReturnType<typeof buildSendMessageBody>>();

/** The body of POST /api/conversations/:id/messages (built once per limit: zod schemas are costly to build). */
export function sendMessageBody(messageChars: number): ReturnType<typeof buildSendMessageBody> {
	let schema = sendMessageBodies.get(messageChars);
	if (!schema) sendMessageBodies.set(messageChars, (schema = buildSendMessageBody(messageChars)));
	return schema;
}
