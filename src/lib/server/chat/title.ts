import { streamChatCompletion, type ChatEndpoint } from '../models/chat-stream';

const TITLE_INSTRUCTIONS =
	"Donne un titre court (6 mots au plus) à cette conversation, dans sa langue. Réponds uniquement par le titre, sans guillemets ni ponctuation finale.";

/** Cleans what a model answered into a one-line title, or null when nothing usable remains. */
export function cleanTitle(raw: string, maxChars: number): string | null {
	let title = raw
		.replace(/<think>[\s\S]*?<\/think>/g, '')
		.split('\n')
		.map((l) => l.trim())
		.find((l) => l.length > 0);
	if (!title) return null;
	title = title
		.replace(/^(titre|title)\s*:\s*/i, '')
		.replace(/^[#*"'«»“”\s]+|[*"'«»“”\s.!:;]+$/g, '')
		.trim();
	if (!title) return null;
	return title.length > maxChars ? title.slice(0, maxChars - 1).trimEnd() + '…' : title;
}

/** A title taken from the first message, used until (or if) the model names the conversation. */
export function provisionalTitle(firstMessage: string, maxChars = 60): string {
	const oneLine = firstMessage.replace(/\s+/g, ' ').trim();
	return oneLine.length > maxChars ? oneLine.slice(0, maxChars - 1).trimEnd() + '…' : oneLine || 'Nouvelle conversation';
}

export async function generateTitle(
	endpoint: ChatEndpoint,
	exchange: { question: string; answer: string },
	maxChars: number,
	timeoutMs = 15_000
): Promise<string | null> {
	let text = '';
	await streamChatCompletion(
		endpoint,
		{
			system: TITLE_INSTRUCTIONS,
			messages: [{ role: 'user', content: `Question : ${exchange.question.slice(0, 2000)}\n\nRéponse : ${exchange.answer.slice(0, 2000)}` }],
			maxOutputTokens: 32,
			maxRetries: 1,
			signal: AbortSignal.timeout(timeoutMs)
		},
		{ onText: (delta) => (text += delta), onReasoning: () => {} }
	);
	return cleanTitle(text, maxChars);
}
