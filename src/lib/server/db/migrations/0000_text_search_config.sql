-- French full-text search that ignores accents: "prefecture" finds "préfectures".
-- A text search configuration (unlike the unaccent() function) is immutable, so generated
-- tsvector columns and their GIN indexes can use it.
CREATE EXTENSION IF NOT EXISTS unaccent;
--> statement-breakpoint
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'french_unaccent') THEN
		CREATE TEXT SEARCH CONFIGURATION public.french_unaccent (COPY = pg_catalog.french);
		ALTER TEXT SEARCH CONFIGURATION public.french_unaccent
			ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
	END IF;
END
$$;
