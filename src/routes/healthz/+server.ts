import { json } from '@sveltejs/kit';
import { getApp } from '$lib/server/app';

/** 200 when the database answers, 503 otherwise (for load balancers and orchestrators). */
export const GET = async () => {
	try {
		const { database } = await getApp();
		if (await database.ping()) return json({ status: 'ok' });
	} catch {
		/* falls through to 503 */
	}
	return json({ status: 'unavailable', reason: 'database' }, { status: 503 });
};
