-- ClickTracker: PostgreSQL schema, version 10.
--
-- Load by hand:   psql -v ON_ERROR_STOP=1 -f sql/db.sql DBNAME
-- Loading it again is safe: it creates only what is missing, replaces the function with the same
-- definition, and never drops or changes data (what a migrated slc.clicktracker database kept of
-- the seed's indexes, foreign key and sequences is put right, see below). A version 1 database
-- is upgraded in place (new columns with defaults, the reading summary built from the recorded
-- views); a database whose schema is newer than this file is refused. Timestamps are timestamptz
-- (UTC); paths use the "C" collation so that a section is a range on the path index (no LIKE, so
-- '_' and '%' in paths match only themselves).

SET client_min_messages = warning;

BEGIN;

-- One loader at a time, even with several ClickTracker instances starting together.
DO $$ BEGIN PERFORM pg_advisory_xact_lock(741200); END $$;

CREATE TABLE IF NOT EXISTS clicktracker_schema (
    version    integer     PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
);

DO $$
DECLARE
    found integer;
BEGIN
    SELECT max(version) INTO found FROM clicktracker_schema;
    IF found > 10 THEN
        RAISE EXCEPTION 'ClickTracker schema version % is newer than this sql/db.sql (version 10); upgrade clicktracker', found;
    END IF;
END
$$;

-- A database of the original slc.clicktracker (document(id, path), click(id, member, count,
-- lastaccess, document, url), function logclick) is migrated in place, keeping its access log:
-- the path becomes the document's key; the seed kept only the last access, in the server's
-- local time without a zone, so it is read in this database's TimeZone setting and also
-- becomes the first access. The seed recorded no individual views.
DO $$
DECLARE
    seed_function regprocedure;
    seed_constraint text;
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = 'click' AND column_name = 'lastaccess'
    ) THEN
        RETURN;
    END IF;
    FOR seed_function IN SELECT p.oid::regprocedure FROM pg_proc p WHERE p.proname = 'logclick'
        AND p.pronamespace = current_schema()::regnamespace LOOP
        EXECUTE 'DROP FUNCTION ' || seed_function;
    END LOOP;

    -- The seed's unique index on document.path, its foreign key, its redundant unique index on
    -- click, its click_id_seq and its document_id_seq are put right by the block after this one.
    ALTER TABLE document ALTER COLUMN id TYPE bigint;
    ALTER TABLE document ALTER COLUMN path TYPE text COLLATE "C";
    ALTER TABLE document ADD COLUMN key text;
    ALTER TABLE document ADD COLUMN title text;
    ALTER TABLE document ADD COLUMN seen_at timestamptz;
    UPDATE document SET key = path;

    ALTER TABLE click RENAME COLUMN document TO document_id;
    ALTER TABLE click RENAME COLUMN lastaccess TO last_access;
    ALTER TABLE click ALTER COLUMN last_access TYPE timestamptz USING last_access::timestamptz;
    ALTER TABLE click ADD COLUMN first_access timestamptz;
    UPDATE click SET first_access = last_access;
    ALTER TABLE click ALTER COLUMN member TYPE text;
    ALTER TABLE click ALTER COLUMN url TYPE text;
    ALTER TABLE click ALTER COLUMN document_id TYPE bigint;
    -- A new database has no defaults on these columns (the function gives every value).
    ALTER TABLE click ALTER COLUMN member DROP DEFAULT, ALTER COLUMN count DROP DEFAULT,
        ALTER COLUMN last_access DROP DEFAULT, ALTER COLUMN document_id DROP DEFAULT,
        ALTER COLUMN url DROP DEFAULT;
    -- Clicks without a document or URL cannot be shown in any section; they are dropped.
    DELETE FROM click WHERE document_id IS NULL OR url IS NULL OR member IS NULL;
    UPDATE click SET count = coalesce(count, 1);
    ALTER TABLE click DROP COLUMN id;
    FOR seed_constraint IN SELECT c.conname FROM pg_constraint c
        WHERE c.conrelid = 'click'::regclass AND c.contype IN ('u', 'p') LOOP
        EXECUTE format('ALTER TABLE click DROP CONSTRAINT %I', seed_constraint);
    END LOOP;

    UPDATE document d SET seen_at = coalesce((SELECT max(c.last_access) FROM click c WHERE c.document_id = d.id), now());
    ALTER TABLE document ALTER COLUMN key SET NOT NULL;
    ALTER TABLE document ADD CONSTRAINT document_key_key UNIQUE (key);
    ALTER TABLE document ALTER COLUMN path SET NOT NULL;
    ALTER TABLE document ALTER COLUMN seen_at SET NOT NULL;
    ALTER TABLE click ALTER COLUMN member SET NOT NULL;
    ALTER TABLE click ALTER COLUMN url SET NOT NULL;
    ALTER TABLE click ALTER COLUMN document_id SET NOT NULL;
    ALTER TABLE click ALTER COLUMN count SET NOT NULL;
    ALTER TABLE click ALTER COLUMN first_access SET NOT NULL;
    ALTER TABLE click ALTER COLUMN last_access SET NOT NULL;
    ALTER TABLE click ADD PRIMARY KEY (member, document_id, url);
    RAISE NOTICE 'migrated the tables of slc.clicktracker';
END
$$;

-- What the seed leaves behind that a new database does not have, repaired on every load (each
-- step only if its leftover is there), so that a migrated database has exactly the schema of a
-- new one; this also repairs a database migrated by an earlier sql/db.sql of version 4, which
-- left them all. Only indexes, constraints and an unused sequence are dropped, never rows:
-- - a unique index (or UNIQUE constraint) on document.path alone, such as the seed's
--   document_path (an index, not a constraint): a new page may reuse an old path, and the name
--   is that of the plain index created below;
-- - a unique index on click's member, document and URL, such as the seed's member_document_url:
--   click's primary key already is one;
-- - the seed's foreign key from click to document (click_document_fkey, ON DELETE and ON UPDATE
--   CASCADE), replaced by a new database's click_document_id_fkey, with no actions: a document
--   row is never deleted or renumbered while clicks refer to it;
-- - click_id_seq, the sequence of the seed's click.id (which the migration drops), when no
--   column owns or uses it;
-- - the seed's document_id_seq, made bigint and owned by document.id, as bigserial makes it.
DO $$
DECLARE
    leftover    record;
    replaced    boolean := false;
    id_sequence regclass;
BEGIN
    IF to_regclass('document') IS NULL OR to_regclass('click') IS NULL THEN
        RETURN;
    END IF;

    -- Unique indexes on document.path (a constraint's goes with its constraint).
    FOR leftover IN
        SELECT i.indexrelid::regclass AS index, c.conname
        FROM pg_index i
        LEFT JOIN pg_constraint c ON c.conrelid = i.indrelid AND c.conindid = i.indexrelid
        WHERE i.indrelid = 'document'::regclass AND i.indisunique AND NOT i.indisprimary
            AND (i.indexrelid = to_regclass('document_path')
                 OR (i.indnatts = 1 AND i.indkey[0] = (
                     SELECT a.attnum FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attname = 'path')))
    LOOP
        IF leftover.conname IS NOT NULL THEN
            EXECUTE format('ALTER TABLE document DROP CONSTRAINT %I', leftover.conname);
        ELSE
            EXECUTE format('DROP INDEX %s', leftover.index);
        END IF;
    END LOOP;

    -- Unique indexes on click repeating its primary key's columns.
    FOR leftover IN
        SELECT i.indexrelid::regclass AS index, c.conname
        FROM pg_index i
        LEFT JOIN pg_constraint c ON c.conrelid = i.indrelid AND c.conindid = i.indexrelid
        WHERE i.indrelid = 'click'::regclass AND i.indisunique AND NOT i.indisprimary
            AND (i.indexrelid = to_regclass('member_document_url')
                 OR (i.indnatts = 3 AND i.indexprs IS NULL AND (
                     SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_attribute a
                     WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
                 ) = ARRAY['document_id', 'member', 'url']))
    LOOP
        IF leftover.conname IS NOT NULL THEN
            EXECUTE format('ALTER TABLE click DROP CONSTRAINT %I', leftover.conname);
        ELSE
            EXECUTE format('DROP INDEX %s', leftover.index);
        END IF;
    END LOOP;

    -- A foreign key on click.document_id other than a new database's goes, and that one comes
    -- instead (the old one held, so every click's document exists).
    FOR leftover IN
        SELECT c.conname FROM pg_constraint c
        WHERE c.conrelid = 'click'::regclass AND c.confrelid = 'document'::regclass AND c.contype = 'f'
            AND c.conkey = ARRAY[(SELECT a.attnum FROM pg_attribute a WHERE a.attrelid = 'click'::regclass AND a.attname = 'document_id')]
            AND (c.conname <> 'click_document_id_fkey' OR c.confupdtype <> 'a' OR c.confdeltype <> 'a'
                 OR c.confmatchtype <> 's' OR c.condeferrable
                 OR c.confkey <> ARRAY[(SELECT a.attnum FROM pg_attribute a WHERE a.attrelid = 'document'::regclass AND a.attname = 'id')])
    LOOP
        EXECUTE format('ALTER TABLE click DROP CONSTRAINT %I', leftover.conname);
        replaced := true;
    END LOOP;
    IF replaced AND NOT EXISTS (
        SELECT 1 FROM pg_constraint c WHERE c.conrelid = 'click'::regclass AND c.conname = 'click_document_id_fkey'
    ) THEN
        ALTER TABLE click ADD CONSTRAINT click_document_id_fkey FOREIGN KEY (document_id) REFERENCES document (id);
    END IF;

    -- Nothing may depend on click_id_seq (no default, no view), nor it on a column (owned).
    id_sequence := to_regclass('click_id_seq');
    IF id_sequence IS NOT NULL
        AND EXISTS (SELECT 1 FROM pg_class s WHERE s.oid = id_sequence AND s.relkind = 'S')
        AND NOT EXISTS (
            SELECT 1 FROM pg_depend d WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = id_sequence
        )
        AND NOT EXISTS (
            SELECT 1 FROM pg_depend d
            WHERE d.classid = 'pg_class'::regclass AND d.objid = id_sequence AND d.refclassid = 'pg_class'::regclass
        )
    THEN
        EXECUTE format('DROP SEQUENCE %s', id_sequence);
    END IF;

    -- The sequence document.id's default takes its numbers from.
    SELECT d.refobjid::regclass INTO id_sequence
    FROM pg_attrdef ad
    JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum AND a.attname = 'id'
    JOIN pg_depend d ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid AND d.refclassid = 'pg_class'::regclass
    JOIN pg_class s ON s.oid = d.refobjid AND s.relkind = 'S'
    WHERE ad.adrelid = 'document'::regclass;
    IF id_sequence IS NOT NULL THEN
        IF (SELECT q.seqtypid FROM pg_sequence q WHERE q.seqrelid = id_sequence) <> 'bigint'::regtype THEN
            EXECUTE format('ALTER SEQUENCE %s AS bigint', id_sequence);
        END IF;
        IF NOT EXISTS (
            SELECT 1 FROM pg_depend d
            WHERE d.classid = 'pg_class'::regclass AND d.objid = id_sequence AND d.refclassid = 'pg_class'::regclass
                AND d.deptype IN ('a', 'i')
        ) THEN
            EXECUTE format('ALTER SEQUENCE %s OWNED BY document.id', id_sequence);
        END IF;
    END IF;
END
$$;

-- A document, by a stable key (its path unless the site supplies an id), with its current path.
-- Path, version and word count are those of the newest render (NULL when it had no version),
-- the title that of the newest render with one.
CREATE TABLE IF NOT EXISTS document (
    id      bigserial   PRIMARY KEY,
    key     text        NOT NULL UNIQUE,
    path    text        COLLATE "C" NOT NULL,
    title   text,
    seen_at timestamptz NOT NULL,
    version text,
    words   integer
);
CREATE INDEX IF NOT EXISTS document_path ON document (path);

-- One row per rendered page that reported a view; a render is recorded at most once. Its
-- attention (active time, furthest scroll in percent, end reached, automated reader) grows with
-- the page's reports, each newer than the last (report_seq) and credited at most the time since
-- the previous one (reported_at); after the page's last report ('end') it is finished.
CREATE TABLE IF NOT EXISTS view (
    id          bigserial   PRIMARY KEY,
    render_id   text        NOT NULL UNIQUE,
    member      text        NOT NULL,
    document_id bigint      NOT NULL REFERENCES document (id),
    url         text        NOT NULL,
    issued_at   timestamptz NOT NULL,
    viewed_at   timestamptz NOT NULL,
    version     text,
    words       integer,
    active_ms   bigint      NOT NULL DEFAULT 0,
    max_scroll  integer     NOT NULL DEFAULT 0,
    reached_end boolean     NOT NULL DEFAULT false,
    automated   boolean     NOT NULL DEFAULT false,
    report_seq  bigint      NOT NULL DEFAULT 0,
    reported_at timestamptz NOT NULL,
    finished    boolean     NOT NULL DEFAULT false
);
CREATE INDEX IF NOT EXISTS view_member ON view (member, viewed_at);

-- The seed's click table, grown: per member, document and URL.
CREATE TABLE IF NOT EXISTS click (
    member       text        NOT NULL,
    document_id  bigint      NOT NULL REFERENCES document (id),
    url          text        NOT NULL,
    count        integer     NOT NULL,
    first_access timestamptz NOT NULL,
    last_access  timestamptz NOT NULL,
    PRIMARY KEY (member, document_id, url)
);
CREATE INDEX IF NOT EXISTS click_document ON click (document_id);

-- Marked sections, with their reading policy: a read needs words / words_per_minute of active
-- time (at most maximum_seconds), or the end reached after minimum_seconds.
CREATE TABLE IF NOT EXISTS section (
    path                     text        COLLATE "C" PRIMARY KEY,
    created_at               timestamptz NOT NULL DEFAULT now(),
    words_per_minute         integer     NOT NULL DEFAULT 250,
    maximum_seconds          integer     NOT NULL DEFAULT 600,
    minimum_seconds          integer     NOT NULL DEFAULT 30,
    requires_acknowledgement boolean     NOT NULL DEFAULT false,
    requires_rereading       boolean     NOT NULL DEFAULT false
);

-- Version 1 to 2: the new columns, in the order above, so an upgraded database matches a new one.
ALTER TABLE document
    ADD COLUMN IF NOT EXISTS version text,
    ADD COLUMN IF NOT EXISTS words   integer;
ALTER TABLE view
    ADD COLUMN IF NOT EXISTS version     text,
    ADD COLUMN IF NOT EXISTS words       integer,
    ADD COLUMN IF NOT EXISTS active_ms   bigint  NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS max_scroll  integer NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS reached_end boolean NOT NULL DEFAULT false,
    ADD COLUMN IF NOT EXISTS automated   boolean NOT NULL DEFAULT false,
    ADD COLUMN IF NOT EXISTS report_seq  bigint  NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS reported_at timestamptz,
    ADD COLUMN IF NOT EXISTS finished    boolean NOT NULL DEFAULT false;
ALTER TABLE section
    ADD COLUMN IF NOT EXISTS words_per_minute         integer NOT NULL DEFAULT 250,
    ADD COLUMN IF NOT EXISTS maximum_seconds          integer NOT NULL DEFAULT 600,
    ADD COLUMN IF NOT EXISTS minimum_seconds          integer NOT NULL DEFAULT 30,
    ADD COLUMN IF NOT EXISTS requires_acknowledgement boolean NOT NULL DEFAULT false,
    ADD COLUMN IF NOT EXISTS requires_rereading       boolean NOT NULL DEFAULT false;

-- A view of version 1 had its only report when it was viewed.
DO $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = 'view' AND column_name = 'reported_at'
            AND is_nullable = 'YES'
    ) THEN
        UPDATE view SET reported_at = viewed_at WHERE reported_at IS NULL;
        ALTER TABLE view ALTER COLUMN reported_at SET NOT NULL;
    END IF;
END
$$;

-- What each member read of each version of a document ('' = unknown version): the sum of the
-- member's views of it, and the member's acknowledgement ("I have read this"), if given.
-- credited_at is when active time was last credited: renders open side by side share the clock.
-- read_at is when the reading first met its section's reading time (see
-- clicktracker_meets_reading_time), so a reading request's status at any deadline is a comparison.
CREATE TABLE IF NOT EXISTS reading (
    member              text        NOT NULL,
    document_id         bigint      NOT NULL REFERENCES document (id),
    version             text        NOT NULL DEFAULT '',
    words               integer,
    views               integer     NOT NULL,
    first_view          timestamptz NOT NULL,
    last_view           timestamptz NOT NULL,
    active_ms           bigint      NOT NULL DEFAULT 0,
    max_scroll          integer     NOT NULL DEFAULT 0,
    reached_end         boolean     NOT NULL DEFAULT false,
    automated           boolean     NOT NULL DEFAULT false,
    acknowledged_at     timestamptz,
    acknowledged_render text,
    credited_at         timestamptz NOT NULL,
    read_at             timestamptz,
    PRIMARY KEY (member, document_id, version)
);
ALTER TABLE reading ADD COLUMN IF NOT EXISTS read_at timestamptz;

-- Whether a reading of a document meets the reading time of the document's section: the
-- nearest marked section's policy, the standard one (250 words a minute, at most 600 s, 30 s with
-- the end reached) outside any. The words / words_per_minute of active time (at most
-- maximum_seconds; that cap alone when the word count is unknown), or the end reached after
-- minimum_seconds.
CREATE OR REPLACE FUNCTION clicktracker_meets_reading_time(p_document_id bigint, p_words integer, p_active bigint, p_reached_end boolean)
RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT p_active >= CASE WHEN coalesce(p_words, 0) > 0
                            THEN least(p.maximum_seconds * 1000::bigint, p_words * 60000::bigint / p.words_per_minute)
                            ELSE p.maximum_seconds * 1000::bigint END
        OR (p_reached_end AND p_active >= p.minimum_seconds * 1000::bigint)
    FROM (
        SELECT coalesce(s.words_per_minute, 250) AS words_per_minute, coalesce(s.maximum_seconds, 600) AS maximum_seconds,
               coalesce(s.minimum_seconds, 30) AS minimum_seconds
        FROM document d
        LEFT JOIN section s ON d.path = s.path OR (d.path >= s.path || '/' AND d.path < s.path || '0')
        WHERE d.id = p_document_id
        ORDER BY length(s.path) DESC NULLS LAST
        LIMIT 1
    ) AS p
$$;
CREATE INDEX IF NOT EXISTS reading_document ON reading (document_id);

-- Upgrading from version 1: the summary of the views recorded so far.
INSERT INTO reading (member, document_id, version, words, views, first_view, last_view,
                     active_ms, max_scroll, reached_end, automated, credited_at)
SELECT v.member, v.document_id, coalesce(v.version, ''),
       (array_agg(v.words ORDER BY v.issued_at DESC) FILTER (WHERE v.words IS NOT NULL))[1],
       count(*), min(v.viewed_at), max(v.viewed_at),
       sum(v.active_ms), max(v.max_scroll), bool_or(v.reached_end), bool_or(v.automated), max(v.viewed_at)
FROM view v
WHERE NOT EXISTS (SELECT 1 FROM clicktracker_schema WHERE version >= 2)
    AND NOT EXISTS (SELECT 1 FROM reading)
GROUP BY v.member, v.document_id, coalesce(v.version, '')
ORDER BY v.member, v.document_id, coalesce(v.version, '');

-- Version 1's function recorded views only.
DROP FUNCTION IF EXISTS clicktracker_record(text[], text[], text[], text[], text[], text[], timestamptz[], timestamptz[]);

-- Records a batch of verified events (the seed's logclick, grown): the arrays are the columns of
-- the batch, one element per event, of kind 'view' (a page was rendered and shown), 'report'
-- (its attention so far), 'end' (its last report) or 'ack' (the reader confirmed reading it).
-- An empty title or version, or a NULL word count, means none. Returns one outcome per event,
-- in input order: 'recorded', 'unchanged' (a render already stored or earlier in the batch, a
-- report no newer than the last, a second acknowledgement), 'unknown' (no view of that render)
-- or 'finished' (a report after the page's end).
--
-- Views are recorded first, so a report may follow its view in the same batch; render ids
-- already stored are skipped, so replaying a batch changes nothing. Attention starts with the
-- view's values (zeros for a live view). A report is credited at most the time since the
-- previous report and since the render was issued, and the member's reading at most the time
-- since it was last credited. The other events are applied in input
-- order; only their render id, time received and attention are used (the view row holds the
-- member and document). Rows are locked in key order, views before readings, so concurrent
-- batches from several instances do not deadlock; should two still do, PostgreSQL aborts one,
-- and the store calls this again with the same batch (nothing is lost).
CREATE OR REPLACE FUNCTION clicktracker_record(
    p_kinds      text[],
    p_members    text[],
    p_keys       text[],
    p_paths      text[],
    p_titles     text[],
    p_urls       text[],
    p_render_ids text[],
    p_issued     timestamptz[],
    p_received   timestamptz[],
    p_versions   text[],
    p_words      integer[],
    p_sequences  bigint[],
    p_active     bigint[],
    p_scrolls    integer[],
    p_ends       boolean[],
    p_automated  boolean[]
) RETURNS text[]
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    n          integer := coalesce(cardinality(p_kinds), 0);
    outcomes   text[] := array_fill(NULL::text, ARRAY[coalesce(cardinality(p_kinds), 0)]);
    recorded   integer[];
    -- The documents of click and document_reader rows this batch added (their totals grow), and
    -- the readings its views changed, to be dated when they meet their reading time.
    added_clicks   bigint[];
    added_readers  bigint[];
    read_members   text[];
    read_documents bigint[];
    read_versions  text[];
    read_times     timestamptz[];
    others     text[];
    v          view%ROWTYPE;
    allowed    bigint;
    new_active bigint;
    new_scroll integer;
    credit     bigint;
    -- The evidence log's entry of this batch: the lines of the views it wrote (as each statement
    -- returned them; a row written twice counts as last written) and the acknowledgements it kept.
    leaves       text;
    leaf         text;
    acknowledged text := '';
BEGIN
    IF coalesce(cardinality(p_members), 0) <> n OR coalesce(cardinality(p_keys), 0) <> n
        OR coalesce(cardinality(p_paths), 0) <> n OR coalesce(cardinality(p_titles), 0) <> n
        OR coalesce(cardinality(p_urls), 0) <> n OR coalesce(cardinality(p_render_ids), 0) <> n
        OR coalesce(cardinality(p_issued), 0) <> n OR coalesce(cardinality(p_received), 0) <> n
        OR coalesce(cardinality(p_versions), 0) <> n OR coalesce(cardinality(p_words), 0) <> n
        OR coalesce(cardinality(p_sequences), 0) <> n OR coalesce(cardinality(p_active), 0) <> n
        OR coalesce(cardinality(p_scrolls), 0) <> n OR coalesce(cardinality(p_ends), 0) <> n
        OR coalesce(cardinality(p_automated), 0) <> n THEN
        RAISE EXCEPTION 'clicktracker_record: the arrays differ in length';
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(p_kinds) AS k WHERE k IS NULL OR k NOT IN ('view', 'report', 'end', 'ack')) THEN
        RAISE EXCEPTION 'clicktracker_record: unknown event kind';
    END IF;

    -- The views of the reports, page ends and acknowledgements, then their readings, are locked
    -- first, each in key order, before anything else is written (views before readings, as
    -- everywhere below), so concurrent batches from several instances do not deadlock.
    others := ARRAY(SELECT DISTINCT u.render_id FROM unnest(p_kinds, p_render_ids) AS u (kind, render_id) WHERE u.kind <> 'view');
    IF cardinality(others) > 0 THEN
        PERFORM 1 FROM view WHERE render_id = ANY (others) ORDER BY render_id FOR UPDATE;
        PERFORM 1 FROM reading r
        WHERE (r.member, r.document_id, r.version) IN (
            SELECT w.member, w.document_id, coalesce(w.version, '') FROM view w WHERE w.render_id = ANY (others)
        )
        ORDER BY r.member, r.document_id, r.version
        FOR UPDATE;
        -- Their readings' triggers stamp these rows.
        PERFORM 1 FROM document_reader a
        WHERE (a.member, a.document_id) IN (SELECT w.member, w.document_id FROM view w WHERE w.render_id = ANY (others))
        ORDER BY a.member, a.document_id
        FOR UPDATE;
    END IF;

    -- The views.
    INSERT INTO document (key, path, title, seen_at, version, words)
    SELECT b.key,
           (array_agg(b.path ORDER BY b.issued DESC, b.i DESC))[1],
           (array_agg(b.title ORDER BY b.issued DESC, b.i DESC) FILTER (WHERE b.title IS NOT NULL))[1],
           max(b.issued),
           (array_agg(b.version ORDER BY b.issued DESC, b.i DESC))[1],
           (array_agg(b.words ORDER BY b.issued DESC, b.i DESC))[1]
    FROM (
        SELECT u.i, u.key, u.path, nullif(u.title, '') AS title, u.issued, nullif(u.version, '') AS version, u.words
        FROM unnest(p_kinds, p_keys, p_paths, p_titles, p_issued, p_versions, p_words)
            WITH ORDINALITY AS u (kind, key, path, title, issued, version, words, i)
        WHERE u.kind = 'view'
    ) AS b
    GROUP BY b.key
    ORDER BY b.key
    ON CONFLICT (key) DO NOTHING;

    WITH batch AS (
        SELECT b.i, b.member, b.key, b.path, nullif(b.title, '') AS title, b.url, b.render_id,
               b.issued, b.received, nullif(b.version, '') AS version, b.words, b.sequence,
               coalesce(b.active, 0) AS active, least(100, greatest(0, coalesce(b.scroll, 0))) AS scroll,
               coalesce(b.reached_end, false) AS reached_end, coalesce(b.automated, false) AS automated
        FROM unnest(p_kinds, p_members, p_keys, p_paths, p_titles, p_urls, p_render_ids, p_issued,
                    p_received, p_versions, p_words, p_sequences, p_active, p_scrolls, p_ends, p_automated)
            WITH ORDINALITY AS b (kind, member, key, path, title, url, render_id, issued,
                                  received, version, words, sequence, active, scroll, reached_end, automated, i)
        WHERE b.kind = 'view'
    ),
    inserted AS (
        -- The first of several views of one render counts.
        INSERT INTO view (render_id, member, document_id, url, issued_at, viewed_at, version, words,
                          active_ms, max_scroll, reached_end, automated, report_seq, reported_at, finished)
        SELECT DISTINCT ON (b.render_id) b.render_id, b.member, d.id, b.url, b.issued, b.received, b.version, b.words,
               b.active, b.scroll, b.reached_end, b.automated, coalesce(b.sequence, 0), b.received, false
        FROM batch b JOIN document d ON d.key = b.key
        ORDER BY b.render_id, b.i
        ON CONFLICT (render_id) DO NOTHING
        RETURNING id, render_id, document_id, clicktracker_view_leaf(view.*) AS leaf
    ),
    recorded_views AS (
        -- The events whose views were inserted (the first event of each render).
        SELECT DISTINCT ON (b.render_id) b.*, ins.document_id
        FROM batch b JOIN inserted ins ON ins.render_id = b.render_id
        ORDER BY b.render_id, b.i
    ),
    clicks AS (
        INSERT INTO click (member, document_id, url, count, first_access, last_access)
        SELECT r.member, r.document_id, r.url, count(*), min(r.received), max(r.received)
        FROM recorded_views r
        GROUP BY r.member, r.document_id, r.url
        ORDER BY r.member, r.document_id, r.url
        ON CONFLICT (member, document_id, url) DO UPDATE SET
            count        = click.count + excluded.count,
            first_access = least(click.first_access, excluded.first_access),
            last_access  = greatest(click.last_access, excluded.last_access)
        RETURNING document_id, xmax = 0 AS added
    ),
    readings AS (
        INSERT INTO reading (member, document_id, version, words, views, first_view, last_view,
                             active_ms, max_scroll, reached_end, automated, credited_at)
        SELECT r.member, r.document_id, coalesce(r.version, ''),
               (array_agg(r.words ORDER BY r.i DESC) FILTER (WHERE r.words IS NOT NULL))[1],
               count(*), min(r.received), max(r.received),
               sum(r.active), max(r.scroll), bool_or(r.reached_end), bool_or(r.automated), min(r.received)
        FROM recorded_views r
        GROUP BY r.member, r.document_id, coalesce(r.version, '')
        ORDER BY r.member, r.document_id, coalesce(r.version, '')
        ON CONFLICT (member, document_id, version) DO UPDATE SET
            words       = coalesce(excluded.words, reading.words),
            views       = reading.views + excluded.views,
            first_view  = least(reading.first_view, excluded.first_view),
            last_view   = greatest(reading.last_view, excluded.last_view),
            active_ms   = reading.active_ms + excluded.active_ms,
            max_scroll  = greatest(reading.max_scroll, excluded.max_scroll),
            reached_end = reading.reached_end OR excluded.reached_end,
            automated   = reading.automated OR excluded.automated
        RETURNING member, document_id, version, last_view
    ),
    document_readers AS (
        INSERT INTO document_reader (member, document_id, views, first_view, last_view)
        SELECT r.member, r.document_id, count(*), min(r.received), max(r.received)
        FROM recorded_views r
        GROUP BY r.member, r.document_id
        ORDER BY r.member, r.document_id
        ON CONFLICT (member, document_id) DO UPDATE SET
            views      = document_reader.views + excluded.views,
            first_view = least(document_reader.first_view, excluded.first_view),
            last_view  = greatest(document_reader.last_view, excluded.last_view)
        RETURNING document_id, xmax = 0 AS added
    ),
    latest AS (
        -- Path, title, version and words follow the newest render, never a replayed or older one
        -- (of renders issued at the same time, the last in the batch).
        SELECT r.key,
               (array_agg(r.path ORDER BY r.issued DESC, r.i DESC))[1] AS path,
               (array_agg(r.title ORDER BY r.issued DESC, r.i DESC) FILTER (WHERE r.title IS NOT NULL))[1] AS title,
               (array_agg(r.version ORDER BY r.issued DESC, r.i DESC))[1] AS version,
               (array_agg(r.words ORDER BY r.issued DESC, r.i DESC))[1] AS words,
               max(r.issued) AS issued
        FROM recorded_views r
        GROUP BY r.key
    ),
    moved AS (
        -- A render without a version (a single-page app's) keeps the one known.
        UPDATE document d SET path = l.path, title = coalesce(l.title, d.title), seen_at = l.issued,
                              version = coalesce(l.version, d.version), words = coalesce(l.words, d.words)
        FROM latest l
        WHERE d.key = l.key AND d.seen_at < l.issued
    )
    SELECT (SELECT coalesce(array_agg(r.i), '{}') FROM recorded_views r),
           (SELECT coalesce(array_agg(c.document_id), '{}') FROM clicks c WHERE c.added),
           (SELECT coalesce(array_agg(a.document_id), '{}') FROM document_readers a WHERE a.added),
           (SELECT coalesce(array_agg(g.member), '{}') FROM readings g),
           (SELECT coalesce(array_agg(g.document_id), '{}') FROM readings g),
           (SELECT coalesce(array_agg(g.version), '{}') FROM readings g),
           (SELECT coalesce(array_agg(g.last_view), '{}') FROM readings g),
           (SELECT coalesce(string_agg(ins.leaf, '' ORDER BY ins.id), '') FROM inserted ins)
    INTO recorded, added_clicks, added_readers, read_members, read_documents, read_versions, read_times, leaves;

    -- The readings of this batch's views that now meet their reading time are dated.
    UPDATE reading r SET read_at = t.at
    FROM unnest(read_members, read_documents, read_versions, read_times) AS t (member, document_id, version, at)
    WHERE r.member = t.member AND r.document_id = t.document_id AND r.version = t.version AND r.read_at IS NULL
        -- Without active time only a policy that asks for none can be met (a new view has none).
        AND (r.active_ms > 0 OR EXISTS (SELECT 1 FROM section s WHERE s.maximum_seconds = 0 OR s.minimum_seconds = 0))
        AND clicktracker_meets_reading_time(r.document_id, r.words, r.active_ms, r.reached_end);

    -- The totals of the reports: the rows added per document.
    IF cardinality(added_clicks) + cardinality(added_readers) > 0 THEN
        UPDATE document d SET click_rows = d.click_rows + t.clicks, reader_rows = d.reader_rows + t.readers
        FROM (
            SELECT a.id, count(*) FILTER (WHERE a.kind = 1) AS clicks, count(*) FILTER (WHERE a.kind = 2) AS readers
            FROM (SELECT unnest(added_clicks) AS id, 1 AS kind UNION ALL SELECT unnest(added_readers), 2) AS a
            GROUP BY a.id
        ) AS t
        WHERE d.id = t.id;
    END IF;

    -- Then the other events, in input order.
    FOR e IN 1 .. n LOOP
        IF p_kinds[e] = 'view' THEN
            outcomes[e] := CASE WHEN e = ANY (recorded) THEN 'recorded' ELSE 'unchanged' END;
            CONTINUE;
        END IF;
        SELECT * INTO v FROM view WHERE render_id = p_render_ids[e] FOR UPDATE;
        IF NOT FOUND THEN
            outcomes[e] := 'unknown';
        ELSIF p_kinds[e] = 'ack' THEN
            -- The first acknowledgement counts.
            UPDATE reading r SET acknowledged_at = p_received[e], acknowledged_render = p_render_ids[e]
            WHERE r.member = v.member AND r.document_id = v.document_id AND r.version = coalesce(v.version, '')
                AND r.acknowledged_at IS NULL;
            IF FOUND THEN
                outcomes[e] := 'recorded';
                acknowledged := acknowledged
                    || clicktracker_acknowledgement_leaf(p_render_ids[e], v.member, v.document_id, coalesce(v.version, ''), p_received[e]);
            ELSE
                outcomes[e] := 'unchanged';
            END IF;
        ELSIF v.finished THEN
            outcomes[e] := 'finished';
        ELSIF p_sequences[e] <= v.report_seq THEN
            outcomes[e] := 'unchanged';
        ELSE
            -- Active time (milliseconds, rounded down) is credited at most the time since the
            -- previous report and, in all, the time since the render was issued.
            allowed := least(
                coalesce(p_active[e], 0),
                v.active_ms + floor((extract(epoch FROM p_received[e]) - extract(epoch FROM v.reported_at)) * 1000)::bigint,
                floor((extract(epoch FROM p_received[e]) - extract(epoch FROM v.issued_at)) * 1000)::bigint
            );
            new_active := greatest(v.active_ms, allowed);
            new_scroll := greatest(v.max_scroll, least(100, greatest(0, coalesce(p_scrolls[e], 0))));
            UPDATE view SET
                active_ms   = new_active,
                max_scroll  = new_scroll,
                reached_end = v.reached_end OR coalesce(p_ends[e], false),
                automated   = v.automated OR coalesce(p_automated[e], false),
                report_seq  = p_sequences[e],
                reported_at = greatest(v.reported_at, p_received[e]),
                finished    = (p_kinds[e] = 'end')
            WHERE id = v.id
            RETURNING clicktracker_view_leaf(view.*) INTO leaf;
            leaves := leaves || leaf;
            -- The member's reading of this version is credited no more than the time since it was
            -- last credited, so renders open side by side never add up to more than time passed.
            SELECT least(new_active - v.active_ms,
                         greatest(0, floor((extract(epoch FROM p_received[e]) - extract(epoch FROM r.credited_at)) * 1000)::bigint))
            INTO credit
            FROM reading r
            WHERE r.member = v.member AND r.document_id = v.document_id AND r.version = coalesce(v.version, '');
            UPDATE reading r SET
                active_ms   = r.active_ms + coalesce(credit, 0),
                credited_at = CASE WHEN credit > 0 THEN greatest(r.credited_at, p_received[e]) ELSE r.credited_at END,
                max_scroll  = greatest(r.max_scroll, new_scroll),
                reached_end = r.reached_end OR coalesce(p_ends[e], false),
                automated   = r.automated OR coalesce(p_automated[e], false)
            WHERE r.member = v.member AND r.document_id = v.document_id AND r.version = coalesce(v.version, '');
            UPDATE reading r SET read_at = p_received[e]
            WHERE r.member = v.member AND r.document_id = v.document_id AND r.version = coalesce(v.version, '')
                AND r.read_at IS NULL AND clicktracker_meets_reading_time(r.document_id, r.words, r.active_ms, r.reached_end);
            outcomes[e] := 'recorded';
        END IF;
    END LOOP;
    -- What this batch wrote, appended to the evidence log in its transaction.
    IF leaves <> '' OR acknowledged <> '' THEN
        INSERT INTO evidence_entry (at, kind, leaves) VALUES (floor(extract(epoch FROM now()) * 1000)::bigint, 'record', leaves || acknowledged);
    END IF;
    -- Rebuilt so the array carries no null bitmap (binary clients may refuse one).
    RETURN ARRAY(SELECT o FROM unnest(outcomes) WITH ORDINALITY AS x (o, i) ORDER BY i);
END
$$;

-- Version 2 to 3: a directory of people and named groups of members, and reading requests.

-- People: a member's display name and email, shown in reports instead of the bare id.
CREATE TABLE IF NOT EXISTS person (
    member       text PRIMARY KEY,
    display_name text,
    email        text,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Named groups of members (a committee, a board).
CREATE TABLE IF NOT EXISTS member_group (
    id         bigserial   PRIMARY KEY,
    name       text        NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS group_member (
    group_id bigint NOT NULL REFERENCES member_group (id) ON DELETE CASCADE,
    member   text   NOT NULL,
    PRIMARY KEY (group_id, member)
);
CREATE INDEX IF NOT EXISTS group_member_member ON group_member (member);

-- Sets a group's members to exactly the given ones (creating the group), and records their
-- display names and emails (an empty string leaves a stored value as it is). Returns the group's id.
-- The arrays are the columns of the list, one element per member; of a member given twice, the
-- last name and email count. People are never deleted. Rows are written in key order (people,
-- then the group, whose row is locked so calls for one group take turns, then its members), so
-- concurrent calls from several instances do not deadlock.
CREATE OR REPLACE FUNCTION clicktracker_set_group(p_name text, p_members text[], p_display_names text[], p_emails text[]) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    n   integer := coalesce(cardinality(p_members), 0);
    gid bigint;
BEGIN
    IF coalesce(cardinality(p_display_names), 0) <> n OR coalesce(cardinality(p_emails), 0) <> n THEN
        RAISE EXCEPTION 'clicktracker_set_group: the arrays differ in length';
    END IF;
    IF p_name IS NULL OR array_position(p_members, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'clicktracker_set_group: a NULL group name or member';
    END IF;

    INSERT INTO person (member, display_name, email, updated_at)
    SELECT DISTINCT ON (u.member) u.member, nullif(u.display_name, ''), nullif(u.email, ''), now()
    FROM unnest(p_members, p_display_names, p_emails) WITH ORDINALITY AS u (member, display_name, email, i)
    ORDER BY u.member, u.i DESC
    ON CONFLICT (member) DO UPDATE SET
        display_name = coalesce(excluded.display_name, person.display_name),
        email        = coalesce(excluded.email, person.email),
        updated_at   = now();

    INSERT INTO member_group (name) VALUES (p_name) ON CONFLICT (name) DO NOTHING;
    SELECT id INTO gid FROM member_group WHERE name = p_name FOR NO KEY UPDATE;

    DELETE FROM group_member WHERE group_id = gid AND member <> ALL (coalesce(p_members, '{}'));
    INSERT INTO group_member (group_id, member)
    SELECT gid, m.member
    FROM (SELECT DISTINCT u.member FROM unnest(p_members) AS u (member)) AS m
    ORDER BY m.member
    ON CONFLICT DO NOTHING;
    RETURN gid;
END
$$;

-- An index for reports over one document's or section's views per member.
CREATE INDEX IF NOT EXISTS view_document ON view (document_id, member);

-- Reading requests: who is expected to read a document or section (a group, and/or listed
-- members) by a deadline (the meeting), shown in the deadline's time zone. group_name is not a
-- foreign key: a request keeps naming its group even if the group is deleted and recreated.
CREATE TABLE IF NOT EXISTS reading_request (
    id         bigserial   PRIMARY KEY,
    title      text        NOT NULL,
    path       text        COLLATE "C" NOT NULL,
    group_name text,
    deadline   timestamptz NOT NULL,
    time_zone  text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text        NOT NULL
);
CREATE TABLE IF NOT EXISTS request_member (
    request_id bigint NOT NULL REFERENCES reading_request (id) ON DELETE CASCADE,
    member     text   NOT NULL,
    PRIMARY KEY (request_id, member)
);

-- Keys for the JSON API: only a SHA-256 hash of each secret is kept. A revoked token stays listed.
CREATE TABLE IF NOT EXISTS api_token (
    id         bigserial   PRIMARY KEY,
    name       text        NOT NULL,
    token_hash text        NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text        NOT NULL,
    revoked_at timestamptz
);

-- Who looked at which report, and when.
CREATE TABLE IF NOT EXISTS audit_entry (
    id      bigserial   PRIMARY KEY,
    at      timestamptz NOT NULL,
    actor   text        NOT NULL,
    action  text        NOT NULL,
    subject text        NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_entry_at ON audit_entry (at);

-- Version 5: signed-in sessions ended by signing out, by a hash of the session's nonce, kept
-- until the session's cookie would have expired, so a copy of the cookie works on no instance.
CREATE TABLE IF NOT EXISTS ended_session (
    id         text        PRIMARY KEY,
    expires_at timestamptz NOT NULL
);

-- The retention period removes view rows by age.
CREATE INDEX IF NOT EXISTS view_viewed_at ON view (viewed_at);

-- Version 6: a reading request names its documents (by key or current path, in order) and
-- keeps its status frozen at the deadline: each reader's stage with each document then.
ALTER TABLE reading_request ADD COLUMN IF NOT EXISTS frozen_at timestamptz;
CREATE TABLE IF NOT EXISTS request_document (
    request_id bigint  NOT NULL REFERENCES reading_request (id) ON DELETE CASCADE,
    position   integer NOT NULL,
    path       text    COLLATE "C" NOT NULL,
    PRIMARY KEY (request_id, path)
);
CREATE TABLE IF NOT EXISTS request_cell (
    request_id bigint NOT NULL REFERENCES reading_request (id) ON DELETE CASCADE,
    member     text   NOT NULL,
    path       text   COLLATE "C" NOT NULL,
    stage      text   NOT NULL,
    reached_at timestamptz,
    PRIMARY KEY (request_id, member, path)
);
CREATE INDEX IF NOT EXISTS request_cell_member ON request_cell (member);

-- Reports read their rows in the order shown from an index per order, and count them from totals
-- kept per document (click_rows, reader_rows), so a page costs what it shows: the access log is
-- the click rows themselves, the readers report one row per member and document (all versions).
-- clicktracker_record keeps both and the totals; whatever deletes such rows lowers the totals.
CREATE TABLE IF NOT EXISTS document_reader (
    member      text        NOT NULL,
    document_id bigint      NOT NULL REFERENCES document (id),
    views       integer     NOT NULL,
    first_view  timestamptz NOT NULL,
    last_view   timestamptz NOT NULL,
    PRIMARY KEY (member, document_id)
);
CREATE INDEX IF NOT EXISTS document_reader_document ON document_reader (document_id, member);
CREATE INDEX IF NOT EXISTS document_reader_views ON document_reader (views, member);
CREATE INDEX IF NOT EXISTS document_reader_first ON document_reader (first_view);
CREATE INDEX IF NOT EXISTS document_reader_last ON document_reader (last_view);
CREATE INDEX IF NOT EXISTS document_reader_opened ON document_reader (member, first_view);
CREATE INDEX IF NOT EXISTS click_count ON click (count, member, url);
CREATE INDEX IF NOT EXISTS click_first ON click (first_access);
CREATE INDEX IF NOT EXISTS click_last ON click (last_access);
CREATE INDEX IF NOT EXISTS click_url ON click (url, member);
ALTER TABLE document
    ADD COLUMN IF NOT EXISTS click_rows  bigint NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS reader_rows bigint NOT NULL DEFAULT 0;


-- Upgrading to version 6: readings that meet their reading time are dated when their active
-- time was last credited (the earliest the evidence shows they had met it); the readers report's
-- rows and the totals are summed from what is there; requests name the documents seen under
-- their path.
UPDATE reading SET read_at = credited_at
WHERE read_at IS NULL AND NOT EXISTS (SELECT 1 FROM clicktracker_schema WHERE version >= 6)
    AND clicktracker_meets_reading_time(document_id, words, active_ms, reached_end);
INSERT INTO document_reader (member, document_id, views, first_view, last_view)
SELECT member, document_id, sum(views), min(first_view), max(last_view) FROM reading
WHERE NOT EXISTS (SELECT 1 FROM clicktracker_schema WHERE version >= 6)
GROUP BY member, document_id
ON CONFLICT DO NOTHING;
UPDATE document d SET click_rows = (SELECT count(*) FROM click c WHERE c.document_id = d.id),
                      reader_rows = (SELECT count(*) FROM document_reader r WHERE r.document_id = d.id)
WHERE NOT EXISTS (SELECT 1 FROM clicktracker_schema WHERE version >= 6);
INSERT INTO request_document (request_id, position, path)
SELECT r.id, row_number() OVER (PARTITION BY r.id ORDER BY d.path), d.path
FROM reading_request r
JOIN (SELECT DISTINCT path FROM document) AS d ON d.path = r.path OR (d.path >= r.path || '/' AND d.path < r.path || '0')
WHERE NOT EXISTS (SELECT 1 FROM clicktracker_schema WHERE version >= 6)
ON CONFLICT DO NOTHING;

-- Each reader's progress through a reading request, kept per request and summed up again only
-- for readers whose evidence changed since: document_reader.changed_at is set by the triggers
-- below on whatever moves a reading's stage or changes the document a path names. Changing a
-- request's documents or its group's members, a policy or tracking, retention of the summaries,
-- purging a member and freezing set a request's progress aside (clicktracker_set_progress_aside,
-- or by group name).
ALTER TABLE document_reader ADD COLUMN IF NOT EXISTS changed_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX IF NOT EXISTS document_reader_changed ON document_reader (document_id, changed_at);
ALTER TABLE reading_request
    ADD COLUMN IF NOT EXISTS progress_generation bigint NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS progress_as_of      timestamptz,
    ADD COLUMN IF NOT EXISTS progress_documents  text;
CREATE TABLE IF NOT EXISTS request_reader (
    request_id         bigint  NOT NULL REFERENCES reading_request (id) ON DELETE CASCADE,
    member             text    NOT NULL,
    stage              text    NOT NULL,
    now_stage          text    NOT NULL,
    documents_read     integer NOT NULL,
    documents_read_now integer NOT NULL,
    opened_at          timestamptz,
    completed_at       timestamptz,
    PRIMARY KEY (request_id, member)
);

CREATE OR REPLACE FUNCTION clicktracker_readings_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE document_reader r SET changed_at = clock_timestamp()
        FROM (SELECT DISTINCT member, document_id FROM new_readings) AS c
        WHERE r.member = c.member AND r.document_id = c.document_id;
    ELSE
        UPDATE document_reader r SET changed_at = clock_timestamp()
        FROM (
            SELECT DISTINCT n.member, n.document_id
            FROM new_readings n JOIN old_readings o USING (member, document_id, version)
            WHERE (n.first_view, n.last_view, n.read_at, n.acknowledged_at)
                  IS DISTINCT FROM (o.first_view, o.last_view, o.read_at, o.acknowledged_at)
        ) AS c
        WHERE r.member = c.member AND r.document_id = c.document_id;
    END IF;
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS reading_added ON reading;
CREATE TRIGGER reading_added AFTER INSERT ON reading REFERENCING NEW TABLE AS new_readings
    FOR EACH STATEMENT EXECUTE FUNCTION clicktracker_readings_changed();
DROP TRIGGER IF EXISTS reading_changed ON reading;
CREATE TRIGGER reading_changed AFTER UPDATE ON reading REFERENCING OLD TABLE AS old_readings NEW TABLE AS new_readings
    FOR EACH STATEMENT EXECUTE FUNCTION clicktracker_readings_changed();

-- A document seen at a path another one had, or a new version, a move or a new key: the readers
-- of the documents at those paths.
CREATE OR REPLACE FUNCTION clicktracker_document_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE document_reader SET changed_at = clock_timestamp()
    WHERE document_id IN (SELECT id FROM document WHERE path = NEW.path OR (TG_OP = 'UPDATE' AND path = OLD.path));
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS document_added ON document;
CREATE TRIGGER document_added AFTER INSERT ON document FOR EACH ROW EXECUTE FUNCTION clicktracker_document_changed();
DROP TRIGGER IF EXISTS document_changed ON document;
CREATE TRIGGER document_changed AFTER UPDATE OF key, path, version ON document FOR EACH ROW
    WHEN (OLD.key IS DISTINCT FROM NEW.key OR OLD.path IS DISTINCT FROM NEW.path OR OLD.version IS DISTINCT FROM NEW.version)
    EXECUTE FUNCTION clicktracker_document_changed();

-- Sets aside the progress kept for one request (all when NULL): it is summed up again from the
-- readings at the next report.
CREATE OR REPLACE FUNCTION clicktracker_set_progress_aside(request bigint) RETURNS void
LANGUAGE sql AS $$
    WITH aside AS (
        UPDATE reading_request SET progress_generation = progress_generation + 1, progress_as_of = NULL
        WHERE request IS NULL OR id = request
        RETURNING id
    )
    DELETE FROM request_reader WHERE request_id IN (SELECT id FROM aside);
$$;

-- Version 7 to 8: paths never tracked, set on the Tracking page.
CREATE TABLE IF NOT EXISTS ignored_path (
    path       text        COLLATE "C" PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Version 8 to 9: webhook endpoints and their outbox. A message is put in the outbox in the
-- transaction of the change it tells of (the readings' triggers below, freezing and completing a
-- request), once per endpoint that asked for its event, so a crash neither loses nor invents one.
-- The secret is sealed with a key derived from the server's secret. Instances claim due
-- deliveries for a while (leased_until, lease_owner), so two never send one at the same time.
CREATE TABLE IF NOT EXISTS webhook (
    id            bigserial   PRIMARY KEY,
    url           text        NOT NULL,
    sealed_secret text        NOT NULL,
    created_at    timestamptz NOT NULL,
    created_by    text        NOT NULL
);
CREATE TABLE IF NOT EXISTS webhook_subscription (
    webhook_id bigint NOT NULL REFERENCES webhook (id) ON DELETE CASCADE,
    event      text   NOT NULL,
    PRIMARY KEY (event, webhook_id)
);
CREATE TABLE IF NOT EXISTS webhook_delivery (
    id              bigserial   PRIMARY KEY,
    webhook_id      bigint      NOT NULL REFERENCES webhook (id) ON DELETE CASCADE,
    message_id      text        NOT NULL UNIQUE,
    event           text        NOT NULL,
    payload         text        NOT NULL,
    created_at      timestamptz NOT NULL,
    state           text        NOT NULL DEFAULT 'pending',
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    give_up_at      timestamptz NOT NULL,
    leased_until    timestamptz,
    lease_owner     text,
    last_attempt_at timestamptz,
    last_status     integer,
    last_error      text,
    delivered_at    timestamptz
);
CREATE INDEX IF NOT EXISTS webhook_delivery_due ON webhook_delivery (next_attempt_at) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS webhook_delivery_webhook ON webhook_delivery (webhook_id);
CREATE INDEX IF NOT EXISTS webhook_delivery_created ON webhook_delivery (created_at);

-- A time as webhook messages write it: 2026-12-03T09:00:00.000Z.
CREATE OR REPLACE FUNCTION clicktracker_iso8601(t timestamptz) RETURNS text
LANGUAGE sql STABLE AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;

-- A new webhook message id: msg_ and 128 random bits in hex.
CREATE OR REPLACE FUNCTION clicktracker_message_id() RETURNS text
LANGUAGE sql VOLATILE AS $$ SELECT 'msg_' || md5(random()::text || clock_timestamp()::text || random()::text) $$;

-- The body of a read.recorded message: a reader reached a stage with a document at a time.
CREATE OR REPLACE FUNCTION clicktracker_read_message(p_member text, p_document_id bigint, p_version text, p_stage text, p_at timestamptz)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
               'data', json_build_object(
                   'at', clicktracker_iso8601(p_at),
                   'document', json_build_object('key', d.key, 'path', d.path, 'title', d.title),
                   'member', p_member,
                   'stage', p_stage,
                   'version', nullif(p_version, '')
               ),
               'timestamp', clicktracker_iso8601(clock_timestamp()),
               'type', 'read.recorded'
           )::text
    FROM document d WHERE d.id = p_document_id
$$;

-- read.recorded: a reader read a document (the reading time was met) or acknowledged it.
CREATE OR REPLACE FUNCTION clicktracker_readings_announced() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhook_subscription WHERE event = 'read.recorded') THEN
        RETURN NULL;
    END IF;
    INSERT INTO webhook_delivery (webhook_id, message_id, event, payload, created_at, next_attempt_at, give_up_at)
    SELECT s.webhook_id, clicktracker_message_id(), 'read.recorded',
           clicktracker_read_message(n.member, n.document_id, n.version, c.stage, c.at),
           clock_timestamp(), clock_timestamp(), clock_timestamp() + interval '1 day'
    FROM new_readings n
    JOIN old_readings o USING (member, document_id, version)
    CROSS JOIN LATERAL (VALUES ('read', n.read_at, o.read_at IS NULL AND n.read_at IS NOT NULL),
                               ('acknowledged', n.acknowledged_at, o.acknowledged_at IS NULL AND n.acknowledged_at IS NOT NULL))
        AS c (stage, at, changed)
    CROSS JOIN webhook_subscription s
    WHERE c.changed AND s.event = 'read.recorded'
    ORDER BY n.member, n.document_id, c.at, s.webhook_id;
    RETURN NULL;
END
$$;

-- read.recorded: a reader opened a document (a reading added, with its highest stage: one copied
-- from another store may be read or acknowledged already).
CREATE OR REPLACE FUNCTION clicktracker_readings_added_announced() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhook_subscription WHERE event = 'read.recorded') THEN
        RETURN NULL;
    END IF;
    INSERT INTO webhook_delivery (webhook_id, message_id, event, payload, created_at, next_attempt_at, give_up_at)
    SELECT s.webhook_id, clicktracker_message_id(), 'read.recorded',
           clicktracker_read_message(
               n.member, n.document_id, n.version,
               CASE WHEN n.acknowledged_at IS NOT NULL THEN 'acknowledged' WHEN n.read_at IS NOT NULL THEN 'read' ELSE 'opened' END,
               coalesce(n.acknowledged_at, n.read_at, n.first_view)
           ),
           clock_timestamp(), clock_timestamp(), clock_timestamp() + interval '1 day'
    FROM new_readings n
    CROSS JOIN webhook_subscription s
    WHERE s.event = 'read.recorded'
    ORDER BY n.member, n.document_id, s.webhook_id;
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS reading_announced ON reading;
CREATE TRIGGER reading_announced AFTER INSERT ON reading REFERENCING NEW TABLE AS new_readings
    FOR EACH STATEMENT EXECUTE FUNCTION clicktracker_readings_added_announced();
DROP TRIGGER IF EXISTS reading_changes_announced ON reading;
CREATE TRIGGER reading_changes_announced AFTER UPDATE ON reading REFERENCING OLD TABLE AS old_readings NEW TABLE AS new_readings
    FOR EACH STATEMENT EXECUTE FUNCTION clicktracker_readings_announced();

-- A reading request's reminders (48h: 48 hours before the deadline; now-…: "remind now"), each
-- sent once: an instance claims it for a while, and claims each reader's mail before sending it.
ALTER TABLE reading_request ADD COLUMN IF NOT EXISTS completed_at timestamptz;
CREATE TABLE IF NOT EXISTS request_reminder (
    request_id   bigint      NOT NULL REFERENCES reading_request (id) ON DELETE CASCADE,
    name         text        NOT NULL,
    due_at       timestamptz NOT NULL,
    set_at       timestamptz NOT NULL,
    set_by       text        NOT NULL,
    state        text        NOT NULL DEFAULT 'pending',
    leased_until timestamptz,
    finished_at  timestamptz,
    PRIMARY KEY (request_id, name)
);
CREATE INDEX IF NOT EXISTS request_reminder_due ON request_reminder (due_at) WHERE state IN ('pending', 'sending');
CREATE TABLE IF NOT EXISTS reminder_mail (
    request_id bigint      NOT NULL,
    reminder   text        NOT NULL,
    member     text        NOT NULL,
    email      text,
    state      text        NOT NULL,
    detail     text,
    at         timestamptz NOT NULL,
    PRIMARY KEY (request_id, reminder, member),
    FOREIGN KEY (request_id, reminder) REFERENCES request_reminder (request_id, name) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS reminder_mail_member ON reminder_mail (member);

-- Version 9 to 10: the evidence log. Every batch clicktracker_record commits appends an entry in
-- its transaction: one line per view row it wrote and acknowledgement it kept, `v <id> <digest>`
-- or `a <render id> <digest>`, the digest being the SHA-256 of the row's canonical text (below;
-- ClickTracker computes the same text to verify). Retention and purges append the keys of what
-- they removed (`-` for the digest), never personal data. A server then seals waiting entries
-- into one SHA-256 chain (position, chain) and signs checkpoints of its head with Ed25519
-- (evidence_checkpoint); several instances seal one chain, the first to commit wins. Receipts
-- of reading requests are kept signed as issued.
CREATE TABLE IF NOT EXISTS evidence_entry (
    id       bigserial PRIMARY KEY,
    at       bigint    NOT NULL, -- milliseconds since 1970, hashed as written
    kind     text      NOT NULL, -- record, retention, purge or adopted
    leaves   text      NOT NULL,
    position bigint    UNIQUE,
    chain    text
);
CREATE INDEX IF NOT EXISTS evidence_entry_waiting ON evidence_entry (id) WHERE position IS NULL;
CREATE TABLE IF NOT EXISTS evidence_checkpoint (
    size      bigint PRIMARY KEY,
    head      text   NOT NULL,
    at        bigint NOT NULL,
    key_id    text   NOT NULL,
    signature text   NOT NULL
);
CREATE TABLE IF NOT EXISTS request_receipt (
    id         bigserial   PRIMARY KEY,
    request_id bigint      NOT NULL REFERENCES reading_request (id) ON DELETE CASCADE,
    reason     text        NOT NULL, -- deadline or on demand
    issued_at  timestamptz NOT NULL,
    issued_by  text        NOT NULL,
    members    text        NOT NULL, -- the readers it names, each between newlines (for purges)
    body       text        NOT NULL
);
CREATE INDEX IF NOT EXISTS request_receipt_request ON request_receipt (request_id);
CREATE UNIQUE INDEX IF NOT EXISTS request_receipt_deadline ON request_receipt (request_id) WHERE reason = 'deadline';

-- One field of a canonical text: its UTF-8 length in bytes, a colon, the value and a newline;
-- a missing value is '-' and a newline.
CREATE OR REPLACE FUNCTION clicktracker_evidence_field(value text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT coalesce(octet_length(value)::text || ':' || value, '-') || E'\n' $$;

-- A time as milliseconds since 1970, as the SQLite store keeps it.
CREATE OR REPLACE FUNCTION clicktracker_evidence_ms(t timestamptz) RETURNS text
LANGUAGE sql STABLE AS $$ SELECT floor(extract(epoch FROM t) * 1000)::bigint::text $$;

CREATE OR REPLACE FUNCTION clicktracker_evidence_flag(b boolean) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN b THEN '1' ELSE '0' END $$;

-- The evidence log line of a view row as it is.
CREATE OR REPLACE FUNCTION clicktracker_view_leaf(w view) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT 'v ' || w.id || ' ' || encode(sha256(convert_to(
        E'view\n' || clicktracker_evidence_field(w.id::text) || clicktracker_evidence_field(w.render_id)
        || clicktracker_evidence_field(w.member) || clicktracker_evidence_field(w.document_id::text)
        || clicktracker_evidence_field(w.url) || clicktracker_evidence_field(clicktracker_evidence_ms(w.issued_at))
        || clicktracker_evidence_field(clicktracker_evidence_ms(w.viewed_at)) || clicktracker_evidence_field(w.version)
        || clicktracker_evidence_field(w.words::text) || clicktracker_evidence_field(w.active_ms::text)
        || clicktracker_evidence_field(w.max_scroll::text) || clicktracker_evidence_field(clicktracker_evidence_flag(w.reached_end))
        || clicktracker_evidence_field(clicktracker_evidence_flag(w.automated)) || clicktracker_evidence_field(w.report_seq::text)
        || clicktracker_evidence_field(clicktracker_evidence_ms(w.reported_at)) || clicktracker_evidence_field(clicktracker_evidence_flag(w.finished)),
        'UTF8')), 'hex') || E'\n'
$$;

-- The evidence log line of an acknowledgement.
CREATE OR REPLACE FUNCTION clicktracker_acknowledgement_leaf(p_render text, p_member text, p_document_id bigint, p_version text, p_at timestamptz)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT 'a ' || p_render || ' ' || encode(sha256(convert_to(
        E'acknowledgement\n' || clicktracker_evidence_field(p_render) || clicktracker_evidence_field(p_member)
        || clicktracker_evidence_field(p_document_id::text) || clicktracker_evidence_field(p_version)
        || clicktracker_evidence_field(clicktracker_evidence_ms(p_at)),
        'UTF8')), 'hex') || E'\n'
$$;

-- An upgraded database's log begins with the rows it held (one entry), so they verify too.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM clicktracker_schema WHERE version = 10) AND NOT EXISTS (SELECT 1 FROM evidence_entry)
        AND (EXISTS (SELECT 1 FROM view) OR EXISTS (SELECT 1 FROM reading WHERE acknowledged_at IS NOT NULL)) THEN
        INSERT INTO evidence_entry (at, kind, leaves)
        SELECT floor(extract(epoch FROM now()) * 1000)::bigint, 'adopted',
               coalesce((SELECT string_agg(clicktracker_view_leaf(w), '' ORDER BY w.id) FROM view w), '')
               || coalesce((SELECT string_agg(clicktracker_acknowledgement_leaf(r.acknowledged_render, r.member, r.document_id, r.version,
                                                                                r.acknowledged_at), '' ORDER BY r.acknowledged_render)
                            FROM reading r WHERE r.acknowledged_at IS NOT NULL), '');
    END IF;
END
$$;

INSERT INTO clicktracker_schema (version) VALUES (10) ON CONFLICT (version) DO NOTHING;

COMMIT;
