import type { PageServerLoad } from './$types';

/** The request hook already allows only administrators here; the page loads its data from the admin API. */
export const load: PageServerLoad = async () => ({});
