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
        ]
    ]

    /// The version this binary writes.
    static var currentVersion: Int { migrations.count }
}
