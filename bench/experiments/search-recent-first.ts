/**
 * Experiment (not part of `npm run bench`): evidence for the fix proposed for the history
 * benchmark's search miss on PostgreSQL. On a database kept by the history benchmark:
 *
 *   node --import tsx bench/history.ts --db postgres --keep      # prints "kept database postgres://…"
 *   node --import tsx bench/experiments/search-recent-first.ts postgres://…/bench_history_…
 *   psql … -c 'drop database bench_history_…'                     # when done
 *
 * it times the app's searchConversations, then the proposed query: the tsquery written inline
 * (a constant the planner can estimate, instead of a CTE it must guess), and relevance ranked among
 * the newest 1 000 matching messages only, found through a new index on messages (owner_id, seq
 * desc) that the experiment creates — instead of ranking and sorting every matching message.
 */
import pg from 'pg';
import { openDatabase } from '../../src/lib/server/db/client';
import { searchConversations } from '../../src/lib/server/conversations/repository';
import { figure, machine } from '../lib/figures';

const url = process.argv[2];
if (!url) throw new Error('usage: search-recent-first.ts postgres://…/bench_history_…');
const QUERIES = ['demande', 'prefecture', 'subventions', '"marché public"', 'contrat -litige', 'permis urbanisme', 'curatelle', 'besancon'];

const PROPOSED = `
with message_hits as (
  select m.conversation_id as id, m.id as message_id,
         ts_rank(m.content_search, websearch_to_tsquery('public.french_unaccent', $1)) as rank
  from messages m
  where m.owner_id = $2 and m.content_search @@ websearch_to_tsquery('public.french_unaccent', $1)
  order by m.seq desc
  limit 1000
),
title_hits as (
  select c.id, null::text as message_id, 2.0::real as rank from conversations c
  where c.owner_id = $2 and c.title_search @@ websearch_to_tsquery('public.french_unaccent', $1)
),
best as (
  select distinct on (id) id, message_id, rank from (select * from message_hits union all select * from title_hits) h
  order by id, rank desc
)
select c.id, c.title, c.title_source, c.model_id, c.updated_at,
  case when m.id is null then null else ts_headline('public.french_unaccent', m.content, websearch_to_tsquery('public.french_unaccent', $1),
    'StartSel=«, StopSel=», MaxWords=18, MinWords=6, MaxFragments=1') end as snippet
from (select * from best order by rank desc limit $3) b
join conversations c on c.id = b.id
left join messages m on m.id = b.message_id
order by b.rank desc, c.updated_at desc`;

async function median(fn: () => Promise<unknown>, n = 5): Promise<number> {
	await fn();
	const t: number[] = [];
	for (let i = 0; i < n; i++) {
		const s = performance.now();
		await fn();
		t.push(performance.now() - s);
	}
	return t.sort((a, b) => a - b)[Math.floor(n / 2)]!;
}

const handle = await openDatabase({ databaseUrl: url, pgliteDir: null, poolSize: 2 });
const client = new pg.Client({ connectionString: url });
await client.connect();
await client.query('create index if not exists messages_owner_seq_idx on messages (owner_id, seq desc)');
await client.query('analyze messages');
const before: number[] = [];
const after: number[] = [];
for (const q of QUERIES) {
	const b = await median(() => searchConversations(handle.db, 'local', q));
	const a = await median(() => client.query(PROPOSED, [q, 'local', 50]));
	before.push(b);
	after.push(a);
	process.stderr.write(`${q.padEnd(20)} now ${b.toFixed(1).padStart(8)} ms   proposed ${a.toFixed(1).padStart(7)} ms\n`);
}
const med = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)]!;
figure('search-experiment', 'search_p50', med(before), 'ms', { query: 'current', ...machine() }, '<= 100');
figure('search-experiment', 'search_p50', med(after), 'ms', { query: 'proposed', ...machine() }, '<= 100');
await client.end();
await handle.close();
process.exit(0);
