/** Groups conversations by how recently they changed, as chat side panels do. */
export type DateGroup = 'today' | 'yesterday' | 'week' | 'month' | 'older';

export function dateGroup(date: Date, now: Date = new Date()): DateGroup {
	const startOfToday = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
	const t = date.getTime();
	const day = 24 * 3600 * 1000;
	if (t >= startOfToday) return 'today';
	if (t >= startOfToday - day) return 'yesterday';
	if (t >= startOfToday - 7 * day) return 'week';
	if (t >= startOfToday - 30 * day) return 'month';
	return 'older';
}

export function groupByDate<T extends { updatedAt: string | Date }>(items: T[], now = new Date()): Array<{ group: DateGroup; items: T[] }> {
	const order: DateGroup[] = ['today', 'yesterday', 'week', 'month', 'older'];
	const buckets = new Map<DateGroup, T[]>();
	for (const item of items) {
		const g = dateGroup(new Date(item.updatedAt), now);
		buckets.set(g, [...(buckets.get(g) ?? []), item]);
	}
	return order.filter((g) => buckets.has(g)).map((g) => ({ group: g, items: buckets.get(g)! }));
}
