import pg from 'pg';
const c = new pg.Client({ connectionString: process.argv[2] }); await c.connect();
const Q = ['demande', 'prefecture', 'subventions', '"marché public"', 'contrat -litige', 'permis urbanisme', 'curatelle', 'besancon'];
const ALT = (limit: number) => `
with message_hits as (
  select m.conversation_id as id, m.id as message_id,
         ts_rank(m.content_search, websearch_to_tsquery('public.french_unaccent', $1)) as rank
  from messages m
  where m.owner_id = $2 and m.content_search @@ websearch_to_tsquery('public.french_unaccent', $1)
  order by m.seq desc
  limit ${limit}
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
async function time(sql: string, params: unknown[], n = 5) { await c.query(sql, params); const t: number[] = []; for (let i = 0; i < n; i++) { const s = performance.now(); await c.query(sql, params); t.push(performance.now() - s); } t.sort((a, b) => a - b); return t[Math.floor(n / 2)]!; }
const mode = process.argv[3] ?? 'alt';
if (mode === 'index') { await c.query('create index if not exists messages_owner_seq_idx on messages (owner_id, seq desc)'); await c.query('analyze messages'); console.log('index created'); }
const all: number[] = [];
for (const q of Q) {
  const ms = await time(ALT(1000), [q, 'local', 50]);
  all.push(ms);
  const plan = (await c.query('explain ' + ALT(1000), [q, 'local', 50])).rows.map((r) => r['QUERY PLAN']).filter((l: string) => /Scan|Limit/.test(l)).slice(0, 3).map((l: string) => l.trim().slice(0, 70)).join(' | ');
  console.log(q.padEnd(20), ms.toFixed(1).padStart(8), 'ms  ', plan);
}
all.sort((a, b) => a - b); console.log('median', all[Math.floor(all.length / 2)]!.toFixed(1));
await c.end();
