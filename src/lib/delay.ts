/** "45 s", "12 min", "3 h 20 min": how long until a person can continue (server and page alike). */
export function formatDelay(seconds: number): string {
	if (seconds < 90) return `${seconds} s`;
	if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
	return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}
