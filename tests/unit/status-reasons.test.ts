import { describe, expect, it } from 'vitest';
import { APICallError } from 'ai';
import { describeModelError } from '../../src/lib/server/chat/errors';
import { reasonKey } from '../../src/lib/status-reasons';
import { fr } from '../../src/lib/i18n/fr';
import { en } from '../../src/lib/i18n/en';

const apiError = (statusCode?: number) =>
	new APICallError({ message: 'boom', url: 'http://x', requestBodyValues: {}, statusCode, isRetryable: false });

describe('why an answer ended, in the reader’s language', () => {
	it.each([
		[apiError(200), 'cut'],
		[apiError(429), 'overloaded'],
		[apiError(401), 'credentials'],
		[apiError(503), 'serverFailed'],
		[apiError(400), 'rejected'],
		[apiError(undefined), 'unreachable']
	])('every model error sentence has a translation (%#)', (err, key) => {
		const sentence = describeModelError(err);
		expect(reasonKey(sentence)).toBe(key);
		expect(fr.reasons[key]).toBeTruthy();
		expect(en.reasons[key]).toBeTruthy();
	});

	it('knows the sentences of the generation itself, and leaves unknown ones alone', () => {
		expect(reasonKey('The model sent nothing for 60 s; the answer was given up.')).toBe('stall');
		expect(reasonKey('The server restarted while this answer was being written.')).toBe('restart');
		expect(reasonKey('The server stopped while this answer was being written.')).toBe('restart');
		expect(reasonKey('Something new')).toBeNull();
		expect(reasonKey(null)).toBeNull();
	});
});
