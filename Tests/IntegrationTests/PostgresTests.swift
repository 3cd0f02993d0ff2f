import Foundation
import Postgres
import TestSupport
import Testing

@Suite("PostgreSQL wrapper against the real server", .stack)
struct PostgresTests {
    /// A table only this test uses, in the main database (temporary tables vanish with the session).
    private static func table(_ connection: PostgresConnection) throws -> String {
        let name = "it_" + TestStack.randomHex(12)
        try connection.query("CREATE TEMPORARY TABLE \(name) (id integer PRIMARY KEY, note text)")
        return name
    }

    @Test func parametersKeepNullsAndHostileTextAsValues() throws {
        let connection = try TestStack.postgres()
        let table = try Self.table(connection)
        let hostile = "Robert'); DROP TABLE \(table); -- \"quoted\" \\ back$1slash 'single' ; DROP TABLE \(table)"
        try connection.query("INSERT INTO \(table) (id, note) VALUES ($1, $2), ($3, $4)", ["1", hostile, "2", nil])
        let rows = try connection.query("SELECT id, note FROM \(table) WHERE id = ANY($1::int[]) ORDER BY id", ["{1,2}"])
        try #require(rows.count == 2)
        #expect(rows[0]["note"] == hostile)
        #expect(rows[1]["note"] == nil)
        #expect(try rows[1].decodeIfPresent("note", as: String.self) == nil)
        // The table survived: the text was never SQL.
        #expect(try connection.queryOne("SELECT count(*) AS n FROM \(table)").decode("n", as: Int.self) == 2)
        // A NULL parameter compares as NULL, a '' parameter as an empty string.
        let row = try connection.queryOne("SELECT $1::text IS NULL AS a, $2::text = '' AS b, $3::text AS c", [nil, "", "ü 🚰 \u{1}"])
        #expect(try row.decode("a", as: Bool.self))
        #expect(try row.decode("b", as: Bool.self))
        #expect(row["c"] == "ü 🚰 \u{1}")
    }

    @Test func arrayLiteralsCarryEveryValueUnchanged() throws {
        let connection = try TestStack.postgres()
        let values: [String?] = [
            "plain", "", nil, "NULL", "with, comma", "{braces}", "\"quoted\"", "back\\slash\\", "ул. Киевская 95 🚰",
            "line\nbreak\ttab", " leading and trailing ", "'single'; DROP TABLE x; --",
        ]
        let rows = try connection.query(
            "SELECT value, ordinal FROM unnest($1::text[]) WITH ORDINALITY AS t(value, ordinal) ORDER BY ordinal",
            [PostgresArray.literal(values)])
        #expect(rows.count == values.count)
        for (row, expected) in zip(rows, values) {
            #expect(try row.decodeIfPresent("value", as: String.self) == expected)
        }
        let empty = try connection.queryOne("SELECT cardinality($1::text[]) AS n", [PostgresArray.literal([])])
        #expect(try empty.decode("n", as: Int.self) == 0)
    }

    @Test func decodesTypedColumns() throws {
        let connection = try TestStack.postgres()
        let row = try connection.queryOne(
            """
            SELECT 42::int AS i, 9007199254740993::bigint AS big, -7::bigint AS neg, 2.5::float8 AS d, 0.1::numeric AS num,
                   true AS t, false AS f, 'text'::text AS s, NULL::int AS missing,
                   extract(epoch FROM '2024-03-01 12:30:45.25+00'::timestamptz) AS at
            """)
        #expect(try row.decode("i", as: Int.self) == 42)
        #expect(try row.decode("big", as: Int64.self) == 9_007_199_254_740_993)
        #expect(try row.decode("neg", as: Int.self) == -7)
        #expect(try row.decode("d", as: Double.self) == 2.5)
        #expect(try row.decode("num", as: Double.self) == 0.1)
        #expect(try row.decode("t", as: Bool.self) == true)
        #expect(try row.decode("f", as: Bool.self) == false)
        #expect(try row.decode("s", as: String.self) == "text")
        #expect(try row.decodeIfPresent("missing", as: Int.self) == nil)
        #expect(try row.decodeIfPresent("i", as: Int.self) == 42)
        let date = try row.decode("at", as: Date.self)
        #expect(date == Date(timeIntervalSince1970: 1_709_296_245.25))
        #expect(row[0] == "42")
        #expect(row["no such column"] == nil)
    }

    @Test(arguments: [
        ("s", "Int"), ("missing", "NULL"), ("absent", "no column"), ("d", "Int"),
    ])
    func decodingErrorsNameTheColumn(column: String, detail: String) throws {
        let connection = try TestStack.postgres()
        let row = try connection.queryOne("SELECT 'abc'::text AS s, NULL::int AS missing, 2.5::float8 AS d")
        do {
            _ = try row.decode(column, as: Int.self)
            Issue.record("decoding \(column) as Int did not throw")
        } catch {
            #expect(error.code == .decodingFailed)
            #expect(error.message.contains(column))
            #expect(error.message.contains(detail))
            #expect(String(reflecting: error).contains(column))
        }
    }

    @Test func transactionCommitsAndRollsBack() throws {
        let connection = try TestStack.postgres()
        let table = try Self.table(connection)
        let returned = try connection.transaction { tx in
            try tx.query("INSERT INTO \(table) (id, note) VALUES (1, 'committed')")
            return 7
        }
        #expect(returned == 7)

        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try connection.transaction { tx in
                try tx.query("INSERT INTO \(table) (id, note) VALUES (2, 'rolled back')")
                throw Abort()
            }
        }
        // A failing statement inside the body rolls back the statements before it.
        #expect(throws: PostgresError.self) {
            try connection.transaction { tx in
                try tx.query("INSERT INTO \(table) (id, note) VALUES (3, 'rolled back too')")
                try tx.query("INSERT INTO \(table) (id, note) VALUES (1, 'duplicate key')")
            }
        }
        let notes = try connection.query("SELECT note FROM \(table) ORDER BY id").map { $0["note"] }
        #expect(notes == ["committed"])
        // The connection is usable (not left in an aborted transaction) and not inside an open one:
        // another session sees it idle.
        #expect(try connection.queryOne("SELECT 1 AS one").decode("one", as: Int.self) == 1)
        let pid = try connection.queryOne("SELECT pg_backend_pid() AS pid").decode("pid", as: Int.self)
        let state = try TestStack.postgres().queryOne("SELECT state FROM pg_stat_activity WHERE pid = $1", [String(pid)])
        #expect(state["state"] == "idle")
    }

    @Test func uniqueViolationHasItsSQLState() throws {
        let connection = try TestStack.postgres()
        let table = try Self.table(connection)
        try connection.query("INSERT INTO \(table) (id, note) VALUES ($1, $2)", ["5", "first"])
        do {
            try connection.query("INSERT INTO \(table) (id, note) VALUES ($1, $2)", ["5", "second"])
            Issue.record("a duplicate primary key was accepted")
        } catch {
            #expect(error.code == .queryFailed)
            #expect(error.sqlState == .uniqueViolation)
            #expect(error.sqlState?.errorClass == "23")
            #expect(String(reflecting: error).contains("duplicate key"))
        }
        do {
            try connection.query("SELECT * FROM it_no_such_table_\(TestStack.randomHex(6))")
            Issue.record("a missing table was accepted")
        } catch {
            #expect(error.sqlState == .undefinedTable)
        }
    }

    @Test func descriptionNeverCarriesSQLOrValues() throws {
        let connection = try TestStack.postgres()
        let table = try Self.table(connection)
        let secretValue = "card-4111-1111-\(TestStack.randomHex(6))"
        try connection.query("CREATE UNIQUE INDEX ON \(table) (note)")
        try connection.query("INSERT INTO \(table) (id, note) VALUES (1, $1)", [secretValue])
        let sql = "INSERT INTO \(table) (id, note) VALUES (2, $1)"
        do {
            try connection.query(sql, [secretValue])
            Issue.record("a duplicate unique value was accepted")
        } catch {
            let plain = String(describing: error)
            #expect(!plain.contains(secretValue))
            #expect(!plain.contains("INSERT"))
            #expect(!plain.contains(table))
            #expect(plain.contains("23505"))
            // For operators: the server's message (which quotes the value) and the statement.
            let debug = String(reflecting: error)
            #expect(debug.contains("duplicate key value violates unique constraint"))
            #expect(debug.contains(sql))
            // Also through `any Error`, as a log line would print it.
            let erased: any Error = error
            #expect(!"\(erased)".contains(secretValue))
        }
        // A bad value in a cast: the server message quotes it; the description does not.
        do {
            try connection.query("SELECT $1::integer AS n", [secretValue])
            Issue.record("a non-integer cast succeeded")
        } catch {
            #expect(!String(describing: error).contains(secretValue))
            #expect(!String(describing: error).contains("SELECT"))
            #expect(String(reflecting: error).contains("invalid input syntax"))
        }
    }

    @Test func executesAScriptOfSeveralStatements() throws {
        let connection = try TestStack.postgres()
        let table = "it_" + TestStack.randomHex(12)
        try connection.execute(
            script: """
                CREATE TEMPORARY TABLE \(table) (id integer PRIMARY KEY, note text);
                INSERT INTO \(table) VALUES (1, 'a;b');   -- a semicolon inside a literal
                INSERT INTO \(table) VALUES (2, 'it''s');
                UPDATE \(table) SET note = note || '!' WHERE id = 2;
                """)
        let rows = try connection.query("SELECT note FROM \(table) ORDER BY id")
        #expect(rows.map { $0["note"] } == ["a;b", "it's!"])
        try connection.execute(script: "")
        try connection.execute(script: "-- only a comment")
        do {
            try connection.execute(script: "INSERT INTO \(table) VALUES (3, 'x'); SELECT 1/0;")
            Issue.record("division by zero in a script did not throw")
        } catch {
            #expect(error.code == .queryFailed)
            #expect(error.sqlState?.rawValue == "22012")
        }
        // Outside an explicit transaction, a multi-statement script is one implicit transaction.
        #expect(try connection.queryOne("SELECT count(*) AS n FROM \(table)").decode("n", as: Int.self) == 2)
    }

    @Test func queryOneRequiresExactlyOneRow() throws {
        let connection = try TestStack.postgres()
        #expect(throws: PostgresError.self) { try connection.queryOne("SELECT 1 WHERE false") }
        do {
            _ = try connection.queryOne("SELECT generate_series(1, 2) AS n")
            Issue.record("two rows accepted")
        } catch {
            #expect(error.code == .unexpectedResult)
        }
    }

    @Test func failsWhenTheServerIsAbsent() throws {
        let port = try TestStack.freePort()
        let started = now()
        do {
            _ = try PostgresConnection(conninfo: "postgresql://postgres@127.0.0.1:\(port)/chatbots", connectTimeoutSeconds: 2)
            Issue.record("connected to a closed port")
        } catch {
            #expect(error.code == .connectionFailed)
            #expect(String(describing: error) == "PostgresError(connectionFailed)")
        }
        #expect(now() - started < 1.5)
        // A key=value conninfo works the same way.
        #expect(throws: PostgresError.self) {
            _ = try PostgresConnection(conninfo: "host=127.0.0.1 port=\(port) dbname=chatbots user=postgres")
        }
    }

    @Test func aTerminatedSessionIsALostConnectionAndResets() throws {
        let connection = try TestStack.postgres()
        let pid = try connection.queryOne("SELECT pg_backend_pid() AS pid").decode("pid", as: Int.self)
        let admin = try TestStack.postgres()
        #expect(try admin.queryOne("SELECT pg_terminate_backend($1) AS ok", [String(pid)]).decode("ok", as: Bool.self))
        do {
            try connection.query("SELECT 1")
            Issue.record("a query on a terminated session succeeded")
        } catch {
            #expect(error.code == .connectionLost || error.sqlState?.errorClass == "57", "got \(String(reflecting: error))")
        }
        #expect(!connection.isHealthy)
        try connection.reset()
        #expect(connection.isHealthy)
        #expect(try connection.queryOne("SELECT 2 AS two").decode("two", as: Int.self) == 2)
    }
}
