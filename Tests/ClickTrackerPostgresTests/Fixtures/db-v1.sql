-- ClickTracker schema version 1, as released: a fixture for the test that upgrades it to the current version.
-- ClickTracker: PostgreSQL schema, version 1.
--
-- Load by hand:   psql -v ON_ERROR_STOP=1 -f sql/db.sql DBNAME
-- Loading it again is safe: it creates only what is missing, replaces the function with the same
-- definition, and never drops or changes data. A database whose schema is newer than this file
-- is refused. Timestamps are timestamptz (UTC); paths use the "C" collation so that a section is
-- a range on the path index (no LIKE, so '_' and '%' in paths match only themselves).

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
    IF found > 1 THEN
        RAISE EXCEPTION 'ClickTracker schema version % is newer than this sql/db.sql (version 1); upgrade clicktracker', found;
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

    -- Constraints on document.path (the seed's UNIQUE) go: a new page may reuse an old path.
    FOR seed_constraint IN SELECT c.conname FROM pg_constraint c
        WHERE c.conrelid = 'document'::regclass AND c.contype = 'u' LOOP
        EXECUTE format('ALTER TABLE document DROP CONSTRAINT %I', seed_constraint);
    END LOOP;
    ALTER TABLE document ALTER COLUMN id TYPE bigint;
    IF pg_get_serial_sequence('document', 'id') IS NOT NULL THEN
        EXECUTE format('ALTER SEQUENCE %s AS bigint', pg_get_serial_sequence('document', 'id'));
    END IF;
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
    ALTER TABLE click ALTER COLUMN count SET DEFAULT NULL;
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

-- A document, by a stable key (its path unless the site supplies an id), with its current path.
CREATE TABLE IF NOT EXISTS document (
    id      bigserial   PRIMARY KEY,
    key     text        NOT NULL UNIQUE,
    path    text        COLLATE "C" NOT NULL,
    title   text,
    seen_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS document_path ON document (path);

-- One row per rendered page that reported a view; a render is recorded at most once.
CREATE TABLE IF NOT EXISTS view (
    id          bigserial   PRIMARY KEY,
    render_id   text        NOT NULL UNIQUE,
    member      text        NOT NULL,
    document_id bigint      NOT NULL REFERENCES document (id),
    url         text        NOT NULL,
    issued_at   timestamptz NOT NULL,
    viewed_at   timestamptz NOT NULL
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

-- Marked sections.
CREATE TABLE IF NOT EXISTS section (
    path       text        COLLATE "C" PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Records a batch of verified view events (the seed's logclick, grown): the arrays are the
-- columns of the batch, one element per event; an empty title means none. Returns how many events were new; render ids
-- already stored are skipped, so replaying a batch changes nothing. Rows are touched in key
-- order so concurrent batches from several instances do not deadlock.
CREATE OR REPLACE FUNCTION clicktracker_record(
    members    text[],
    keys       text[],
    paths      text[],
    titles     text[],
    urls       text[],
    render_ids text[],
    issued     timestamptz[],
    viewed     timestamptz[]
) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    recorded integer;
BEGIN
    titles := ARRAY(SELECT nullif(t, '') FROM unnest(titles) WITH ORDINALITY AS x (t, i) ORDER BY i);

    INSERT INTO document (key, path, title, seen_at)
    SELECT b.key,
           (array_agg(b.path ORDER BY b.issued DESC))[1],
           (array_agg(b.title ORDER BY b.issued DESC) FILTER (WHERE b.title IS NOT NULL))[1],
           max(b.issued)
    FROM unnest(keys, paths, titles, issued) AS b (key, path, title, issued)
    GROUP BY b.key
    ORDER BY b.key
    ON CONFLICT (key) DO NOTHING;

    WITH batch AS (
        SELECT * FROM unnest(members, keys, paths, titles, urls, render_ids, issued, viewed)
            AS b (member, key, path, title, url, render_id, issued, viewed)
    ),
    inserted AS (
        INSERT INTO view (render_id, member, document_id, url, issued_at, viewed_at)
        SELECT DISTINCT ON (b.render_id) b.render_id, b.member, d.id, b.url, b.issued, b.viewed
        FROM batch b JOIN document d ON d.key = b.key
        ORDER BY b.render_id
        ON CONFLICT (render_id) DO NOTHING
        RETURNING render_id, member, document_id, url, viewed_at
    ),
    clicks AS (
        INSERT INTO click (member, document_id, url, count, first_access, last_access)
        SELECT i.member, i.document_id, i.url, count(*), min(i.viewed_at), max(i.viewed_at)
        FROM inserted i
        GROUP BY i.member, i.document_id, i.url
        ORDER BY i.member, i.document_id, i.url
        ON CONFLICT (member, document_id, url) DO UPDATE SET
            count        = click.count + excluded.count,
            first_access = least(click.first_access, excluded.first_access),
            last_access  = greatest(click.last_access, excluded.last_access)
    ),
    latest AS (
        -- Path and title follow the newest render, never a replayed or older one.
        SELECT b.key,
               (array_agg(b.path ORDER BY b.issued DESC))[1] AS path,
               (array_agg(b.title ORDER BY b.issued DESC) FILTER (WHERE b.title IS NOT NULL))[1] AS title,
               max(b.issued) AS issued
        FROM batch b
        WHERE b.render_id IN (SELECT render_id FROM inserted)
        GROUP BY b.key
    ),
    moved AS (
        UPDATE document d SET path = l.path, title = coalesce(l.title, d.title), seen_at = l.issued
        FROM latest l
        WHERE d.key = l.key AND d.seen_at < l.issued
    )
    SELECT count(*) INTO recorded FROM inserted;
    RETURN recorded;
END
$$;

INSERT INTO clicktracker_schema (version) VALUES (1) ON CONFLICT (version) DO NOTHING;

COMMIT;
