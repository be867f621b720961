extension PostgresServer {
    /// Makes a test database refuse every view of `member` with `message` (and a detail), as a
    /// trigger or constraint added by hand would: the same error each time it is tried.
    public static func refuseViews(of member: String, message: String, port: Int, database: String) throws {
        try psql(
            port: port,
            database: database,
            [
                "-c",
                """
                CREATE FUNCTION refuse_views() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.member = '\(member)' THEN
                        RAISE EXCEPTION '\(message)' USING DETAIL = 'a rule of this test', HINT = 'ask the operator';
                    END IF;
                    RETURN NEW;
                END $$;
                CREATE TRIGGER refuse_views BEFORE INSERT ON view FOR EACH ROW EXECUTE FUNCTION refuse_views();
                """,
            ]
        )
    }
}
