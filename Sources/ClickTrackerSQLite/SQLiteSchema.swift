/// The SQLite schema, as numbered migrations. `PRAGMA user_version` holds the applied version.
enum SQLiteSchema {
    /// Statements of each migration; migration `n` (1-based) moves the schema to version `n`.
    static let migrations: [[String]] = [
        [
            """
            CREATE TABLE document (
                id INTEGER PRIMARY KEY,
                key TEXT NOT NULL UNIQUE,
                path TEXT NOT NULL,
                title TEXT,
                seen_at INTEGER NOT NULL
            )
            """,
            "CREATE INDEX document_path ON document(path)",
            """
            CREATE TABLE view (
                id INTEGER PRIMARY KEY,
                render_id TEXT NOT NULL UNIQUE,
                member TEXT NOT NULL,
                document_id INTEGER NOT NULL REFERENCES document(id),
                url TEXT NOT NULL,
                issued_at INTEGER NOT NULL,
                viewed_at INTEGER NOT NULL
            )
            """,
            "CREATE INDEX view_member ON view(member, viewed_at)",
            """
            CREATE TABLE click (
                member TEXT NOT NULL,
                document_id INTEGER NOT NULL REFERENCES document(id),
                url TEXT NOT NULL,
                count INTEGER NOT NULL,
                first_access INTEGER NOT NULL,
                last_access INTEGER NOT NULL,
                PRIMARY KEY (member, document_id, url)
            )
            """,
            "CREATE INDEX click_document ON click(document_id)",
            """
            CREATE TABLE section (
                path TEXT PRIMARY KEY,
                created_at INTEGER NOT NULL
            )
            """,
        ],
        // Version 2: attention evidence, document versions, acknowledgements, reading policies.
        [
            "ALTER TABLE view ADD COLUMN version TEXT",
            "ALTER TABLE view ADD COLUMN words INTEGER",
            "ALTER TABLE view ADD COLUMN active_ms INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE view ADD COLUMN max_scroll INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE view ADD COLUMN reached_end INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE view ADD COLUMN automated INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE view ADD COLUMN report_seq INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE view ADD COLUMN reported_at INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE view ADD COLUMN finished INTEGER NOT NULL DEFAULT 0",
            "UPDATE view SET reported_at = viewed_at",
            "ALTER TABLE document ADD COLUMN version TEXT",
            "ALTER TABLE document ADD COLUMN words INTEGER",
            "ALTER TABLE section ADD COLUMN words_per_minute INTEGER NOT NULL DEFAULT 250",
            "ALTER TABLE section ADD COLUMN maximum_seconds INTEGER NOT NULL DEFAULT 600",
            "ALTER TABLE section ADD COLUMN minimum_seconds INTEGER NOT NULL DEFAULT 30",
            "ALTER TABLE section ADD COLUMN requires_acknowledgement INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE section ADD COLUMN requires_rereading INTEGER NOT NULL DEFAULT 0",
            """
            CREATE TABLE reading (
                member TEXT NOT NULL,
                document_id INTEGER NOT NULL REFERENCES document(id),
                version TEXT NOT NULL DEFAULT '',
                words INTEGER,
                views INTEGER NOT NULL,
                first_view INTEGER NOT NULL,
                last_view INTEGER NOT NULL,
                active_ms INTEGER NOT NULL DEFAULT 0,
                max_scroll INTEGER NOT NULL DEFAULT 0,
                reached_end INTEGER NOT NULL DEFAULT 0,
                automated INTEGER NOT NULL DEFAULT 0,
                acknowledged_at INTEGER,
                acknowledged_render TEXT,
                credited_at INTEGER NOT NULL,
                PRIMARY KEY (member, document_id, version)
            )
            """,
            "CREATE INDEX reading_document ON reading(document_id)",
            """
            INSERT INTO reading (member, document_id, version, views, first_view, last_view, credited_at)
            SELECT member, document_id, '', count(*), min(viewed_at), max(viewed_at), max(viewed_at) FROM view GROUP BY member, document_id
            """,
        ],
        // Version 3: people (display names, emails), named groups of members, reading requests.
        [
            """
            CREATE TABLE person (
                member TEXT PRIMARY KEY,
                display_name TEXT,
                email TEXT,
                updated_at INTEGER NOT NULL
            )
            """,
            """
            CREATE TABLE member_group (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                created_at INTEGER NOT NULL
            )
            """,
            """
            CREATE TABLE group_member (
                group_id INTEGER NOT NULL REFERENCES member_group(id) ON DELETE CASCADE,
                member TEXT NOT NULL,
                PRIMARY KEY (group_id, member)
            )
            """,
            "CREATE INDEX group_member_member ON group_member(member)",
            "CREATE INDEX view_document ON view(document_id, member)",
            """
            CREATE TABLE reading_request (
                id INTEGER PRIMARY KEY,
                title TEXT NOT NULL,
                path TEXT NOT NULL,
                group_name TEXT,
                deadline INTEGER NOT NULL,
                time_zone TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                created_by TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE request_member (
                request_id INTEGER NOT NULL REFERENCES reading_request(id) ON DELETE CASCADE,
                member TEXT NOT NULL,
                PRIMARY KEY (request_id, member)
            )
            """,
        ],
        // Version 4: API tokens, the audit log of report reads, retention by view time.
        [
            """
            CREATE TABLE api_token (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                token_hash TEXT NOT NULL UNIQUE,
                created_at INTEGER NOT NULL,
                created_by TEXT NOT NULL,
                revoked_at INTEGER
            )
            """,
            """
            CREATE TABLE audit_entry (
                id INTEGER PRIMARY KEY,
                at INTEGER NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                subject TEXT NOT NULL
            )
            """,
            "CREATE INDEX audit_entry_at ON audit_entry(at)",
            "CREATE INDEX view_viewed_at ON view(viewed_at)",
            // The access log of a section reads its documents' rows from the index alone: a
            // section of 1,000,000 rows groups in a quarter of the time of table lookups.
            "DROP INDEX click_document",
            "CREATE INDEX click_report ON click(document_id, member, url, count, first_access, last_access)",
        ],
        // Version 5: sessions ended by signing out, until their cookies expire.
        [
            """
            CREATE TABLE ended_session (
                id TEXT PRIMARY KEY,
                expires_at INTEGER NOT NULL
            )
            """
        ],
        // Version 6: the time each reading met its reading time; a request's own documents; the
        // status of a request frozen at its deadline. Existing readings that meet their section's
        // reading time are dated when their active time was last credited (the earliest the
        // evidence shows they had met it); existing requests name the documents seen under them.
        [
            "ALTER TABLE reading ADD COLUMN read_at INTEGER",
            "UPDATE reading SET read_at = credited_at WHERE \(SQLiteStore.meetsReadingTime)",
            """
            CREATE TABLE request_document (
                request_id INTEGER NOT NULL REFERENCES reading_request(id) ON DELETE CASCADE,
                position INTEGER NOT NULL,
                path TEXT NOT NULL,
                PRIMARY KEY (request_id, path)
            )
            """,
            """
            INSERT INTO request_document (request_id, position, path)
            SELECT r.id, row_number() OVER (PARTITION BY r.id ORDER BY d.path), d.path
            FROM reading_request r JOIN document d ON d.path = r.path OR (d.path >= r.path || '/' AND d.path < r.path || '0')
            GROUP BY r.id, d.path
            """,
            "ALTER TABLE reading_request ADD COLUMN frozen_at INTEGER",
            """
            CREATE TABLE request_cell (
                request_id INTEGER NOT NULL REFERENCES reading_request(id) ON DELETE CASCADE,
                member TEXT NOT NULL,
                path TEXT NOT NULL,
                stage TEXT NOT NULL,
                reached_at INTEGER,
                PRIMARY KEY (request_id, member, path)
            )
            """,
            "CREATE INDEX request_cell_member ON request_cell(member)",
            // Reports read their rows in the order shown from an index per order, and count them
            // from totals kept per document, so a page costs what it shows: the access log is the
            // click rows themselves, the readers report one row per member and document.
            """
            CREATE TABLE document_reader (
                member TEXT NOT NULL,
                document_id INTEGER NOT NULL REFERENCES document(id),
                views INTEGER NOT NULL,
                first_view INTEGER NOT NULL,
                last_view INTEGER NOT NULL,
                PRIMARY KEY (member, document_id)
            )
            """,
            """
            INSERT INTO document_reader (member, document_id, views, first_view, last_view)
            SELECT member, document_id, sum(views), min(first_view), max(last_view) FROM reading GROUP BY member, document_id
            """,
            "CREATE INDEX document_reader_document ON document_reader(document_id, member)",
            "CREATE INDEX document_reader_views ON document_reader(views, member)",
            "CREATE INDEX document_reader_first ON document_reader(first_view)",
            "CREATE INDEX document_reader_last ON document_reader(last_view)",
            "CREATE INDEX document_reader_opened ON document_reader(member, first_view)",
            "CREATE INDEX click_count ON click(count, member, url)",
            "CREATE INDEX click_first ON click(first_access)",
            "CREATE INDEX click_last ON click(last_access)",
            "CREATE INDEX click_url ON click(url, member)",
            "ALTER TABLE document ADD COLUMN click_rows INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE document ADD COLUMN reader_rows INTEGER NOT NULL DEFAULT 0",
            """
            UPDATE document SET click_rows = (SELECT count(*) FROM click c WHERE c.document_id = document.id),
                                reader_rows = (SELECT count(*) FROM document_reader r WHERE r.document_id = document.id)
            """,
            "CREATE TRIGGER click_added AFTER INSERT ON click BEGIN UPDATE document SET click_rows = click_rows + 1 WHERE id = new.document_id; END",
            "CREATE TRIGGER click_removed AFTER DELETE ON click BEGIN UPDATE document SET click_rows = click_rows - 1 WHERE id = old.document_id; END",
            """
            CREATE TRIGGER document_reader_added AFTER INSERT ON document_reader
            BEGIN UPDATE document SET reader_rows = reader_rows + 1 WHERE id = new.document_id; END
            """,
            """
            CREATE TRIGGER document_reader_removed AFTER DELETE ON document_reader
            BEGIN UPDATE document SET reader_rows = reader_rows - 1 WHERE id = old.document_id; END
            """,
        ],
        // Version 7: each reader's progress through a reading request, kept per request and summed
        // up again only for readers whose evidence changed since (`document_reader.changed_at`,
        // set by triggers on whatever moves a reading's stage or changes the document a path names).
        [
            "ALTER TABLE document_reader ADD COLUMN changed_at INTEGER NOT NULL DEFAULT 0",
            "CREATE INDEX document_reader_changed ON document_reader(document_id, changed_at)",
            """
            CREATE TRIGGER document_reader_changed AFTER INSERT ON document_reader
            BEGIN UPDATE document_reader SET changed_at = \(SQLiteStore.clock) WHERE member = new.member AND document_id = new.document_id; END
            """,
            """
            CREATE TRIGGER reading_added AFTER INSERT ON reading
            BEGIN UPDATE document_reader SET changed_at = \(SQLiteStore.clock) WHERE member = new.member AND document_id = new.document_id; END
            """,
            """
            CREATE TRIGGER reading_changed AFTER UPDATE ON reading
            WHEN old.first_view IS NOT new.first_view OR old.last_view IS NOT new.last_view OR old.read_at IS NOT new.read_at
                OR old.acknowledged_at IS NOT new.acknowledged_at
            BEGIN UPDATE document_reader SET changed_at = \(SQLiteStore.clock) WHERE member = new.member AND document_id = new.document_id; END
            """,
            // A document seen at a path another one had, or a new version, a move or a new key:
            // the readers of the documents at those paths.
            """
            CREATE TRIGGER document_added AFTER INSERT ON document
            BEGIN
                UPDATE document_reader SET changed_at = \(SQLiteStore.clock)
                WHERE document_id IN (SELECT id FROM document WHERE path = new.path AND id <> new.id);
            END
            """,
            """
            CREATE TRIGGER document_changed AFTER UPDATE OF key, path, version ON document
            WHEN old.key IS NOT new.key OR old.path IS NOT new.path OR old.version IS NOT new.version
            BEGIN
                UPDATE document_reader SET changed_at = \(SQLiteStore.clock)
                WHERE document_id IN (SELECT id FROM document WHERE path IN (old.path, new.path));
            END
            """,
            "ALTER TABLE reading_request ADD COLUMN progress_generation INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE reading_request ADD COLUMN progress_as_of INTEGER",
            "ALTER TABLE reading_request ADD COLUMN progress_documents TEXT",
            """
            CREATE TABLE request_reader (
                request_id INTEGER NOT NULL REFERENCES reading_request(id) ON DELETE CASCADE,
                member TEXT NOT NULL,
                stage TEXT NOT NULL,
                now_stage TEXT NOT NULL,
                documents_read INTEGER NOT NULL,
                documents_read_now INTEGER NOT NULL,
                opened_at INTEGER,
                completed_at INTEGER,
                PRIMARY KEY (request_id, member)
            )
            """,
        ],
        // Version 8: paths never tracked, set on the Tracking page.
        [
            "CREATE TABLE ignored_path (path TEXT PRIMARY KEY, created_at INTEGER NOT NULL)"
        ],
        // Version 9: webhook endpoints and their outbox, filled in the transaction of the change
        // it tells of (the readings' triggers below, freezing and completing a request); reminders
        // of reading requests and each reader's mail of them.
        [
            """
            CREATE TABLE webhook (
                id INTEGER PRIMARY KEY,
                url TEXT NOT NULL,
                sealed_secret TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                created_by TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE webhook_subscription (
                webhook_id INTEGER NOT NULL REFERENCES webhook(id) ON DELETE CASCADE,
                event TEXT NOT NULL,
                PRIMARY KEY (event, webhook_id)
            )
            """,
            """
            CREATE TABLE webhook_delivery (
                id INTEGER PRIMARY KEY,
                webhook_id INTEGER NOT NULL REFERENCES webhook(id) ON DELETE CASCADE,
                message_id TEXT NOT NULL UNIQUE,
                event TEXT NOT NULL,
                payload TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                state TEXT NOT NULL DEFAULT 'pending',
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at INTEGER NOT NULL,
                give_up_at INTEGER NOT NULL,
                leased_until INTEGER,
                lease_owner TEXT,
                last_attempt_at INTEGER,
                last_status INTEGER,
                last_error TEXT,
                delivered_at INTEGER
            )
            """,
            "CREATE INDEX webhook_delivery_due ON webhook_delivery(next_attempt_at) WHERE state = 'pending'",
            "CREATE INDEX webhook_delivery_webhook ON webhook_delivery(webhook_id)",
            "CREATE INDEX webhook_delivery_created ON webhook_delivery(created_at)",
            SQLiteStore.readAnnouncement(trigger: "reading_announced", event: "INSERT", when: "1", stage: "opened", at: "new.first_view"),
            SQLiteStore.readAnnouncement(
                trigger: "reading_read_announced",
                event: "UPDATE OF read_at",
                when: "old.read_at IS NULL AND new.read_at IS NOT NULL",
                stage: "read",
                at: "new.read_at"
            ),
            SQLiteStore.readAnnouncement(
                trigger: "reading_acknowledged_announced",
                event: "UPDATE OF acknowledged_at",
                when: "old.acknowledged_at IS NULL AND new.acknowledged_at IS NOT NULL",
                stage: "acknowledged",
                at: "new.acknowledged_at"
            ),
            "ALTER TABLE reading_request ADD COLUMN completed_at INTEGER",
            """
            CREATE TABLE request_reminder (
                request_id INTEGER NOT NULL REFERENCES reading_request(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                due_at INTEGER NOT NULL,
                set_at INTEGER NOT NULL,
                set_by TEXT NOT NULL,
                state TEXT NOT NULL DEFAULT 'pending',
                leased_until INTEGER,
                finished_at INTEGER,
                PRIMARY KEY (request_id, name)
            )
            """,
            "CREATE INDEX request_reminder_due ON request_reminder(due_at) WHERE state IN ('pending', 'sending')",
            """
            CREATE TABLE reminder_mail (
                request_id INTEGER NOT NULL,
                reminder TEXT NOT NULL,
                member TEXT NOT NULL,
                email TEXT,
                state TEXT NOT NULL,
                detail TEXT,
                at INTEGER NOT NULL,
                PRIMARY KEY (request_id, reminder, member),
                FOREIGN KEY (request_id, reminder) REFERENCES request_reminder(request_id, name) ON DELETE CASCADE
            )
            """,
            "CREATE INDEX reminder_mail_member ON reminder_mail(member)",
        ],
        // Version 10: the evidence log (entries appended in each batch's transaction, sealed into a
        // SHA-256 chain and checkpointed by the server; see sql/db.sql), and the signed receipts of
        // reading requests. The rows already recorded become the log's first entry (see
        // `SQLiteStore.adoptEvidence`).
        [
            """
            CREATE TABLE evidence_entry (
                id INTEGER PRIMARY KEY,
                at INTEGER NOT NULL,
                kind TEXT NOT NULL,
                leaves TEXT NOT NULL,
                position INTEGER UNIQUE,
                chain TEXT
            )
            """,
            "CREATE INDEX evidence_entry_waiting ON evidence_entry(id) WHERE position IS NULL",
            """
            CREATE TABLE evidence_checkpoint (
                size INTEGER PRIMARY KEY,
                head TEXT NOT NULL,
                at INTEGER NOT NULL,
                key_id TEXT NOT NULL,
                signature TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE request_receipt (
                id INTEGER PRIMARY KEY,
                request_id INTEGER NOT NULL REFERENCES reading_request(id) ON DELETE CASCADE,
                reason TEXT NOT NULL,
                issued_at INTEGER NOT NULL,
                issued_by TEXT NOT NULL,
                members TEXT NOT NULL,
                body TEXT NOT NULL
            )
            """,
            "CREATE INDEX request_receipt_request ON request_receipt(request_id)",
            "CREATE UNIQUE INDEX request_receipt_deadline ON request_receipt(request_id) WHERE reason = 'deadline'",
        ],
    ]

    /// The version this binary writes.
    static var currentVersion: Int { migrations.count }

    /// What an upgrade from `version` did, for operators.
    static func upgradeSummary(from version: Int) -> String {
        var summary = "upgraded the SQLite database from schema version \(version) to \(currentVersion)"
        if version < 6 {
            summary +=
                "; readings that met their reading time were dated from their summaries, and reading requests now name the documents seen under them"
        }
        if version < 7 {
            summary += "; reading requests keep each reader's progress, summed up when a request is first shown"
        }
        if version < 9 {
            summary += "; webhooks and reminders were added (existing reading requests get reminders once they are set on their pages)"
        }
        if version < 10 {
            summary +=
                "; the evidence log was added: the views and acknowledgements already recorded are its first entry, and everything recorded from now on is sealed into it"
        }
        return summary
    }
}
