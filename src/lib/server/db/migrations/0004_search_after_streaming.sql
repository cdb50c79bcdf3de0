-- Streaming answers are not indexed (their text changes every 500 ms); dropping the column dropped its index.
ALTER TABLE "messages" drop column "content_search";--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "content_search" "tsvector" GENERATED ALWAYS AS (CASE WHEN status = 'streaming' THEN NULL ELSE to_tsvector('public.french_unaccent', content) END) STORED;
--> statement-breakpoint
CREATE INDEX "messages_content_search_idx" ON "messages" USING gin ("content_search");
