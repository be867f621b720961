/// A database as the original slc.clicktracker left it: its `sql/db.sql` (tables, unique
/// constraints and the `logclick` procedure, as described in the seed) and a few clicks, with
/// last access times in local time without a zone.
public enum SeedDatabase {
    public static let sql = """
        CREATE TABLE document (
            id serial PRIMARY KEY,
            path varchar(1024) NOT NULL UNIQUE
        );
        CREATE TABLE click (
            id serial PRIMARY KEY,
            member varchar(255) NOT NULL,
            count integer NOT NULL DEFAULT 1,
            lastaccess timestamp NOT NULL DEFAULT now(),
            document integer NOT NULL REFERENCES document (id),
            url varchar(1024) NOT NULL,
            UNIQUE (member, document, url)
        );
        CREATE FUNCTION logclick(p_member varchar, p_path varchar, p_url varchar) RETURNS void AS $$
        DECLARE
            doc integer;
        BEGIN
            SELECT id INTO doc FROM document WHERE path = p_path;
            IF doc IS NULL THEN
                INSERT INTO document (path) VALUES (p_path) RETURNING id INTO doc;
            END IF;
            UPDATE click SET count = count + 1, lastaccess = now() WHERE member = p_member AND document = doc AND url = p_url;
            IF NOT FOUND THEN
                INSERT INTO click (member, document, url) VALUES (p_member, doc, p_url);
            END IF;
        END
        $$ LANGUAGE plpgsql;
        INSERT INTO document (path) VALUES ('/papers/budget'), ('/papers/minutes');
        INSERT INTO click (member, count, lastaccess, document, url) VALUES
            ('alice', 3, '2026-11-20 09:30:00', 1, '/papers/budget'),
            ('bob', 1, '2026-11-21 10:00:00', 1, '/papers/budget/view'),
            ('alice', 2, '2026-11-22 08:00:00', 2, '/papers/minutes');
        """
}
