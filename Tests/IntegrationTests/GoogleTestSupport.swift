import Curl
import Foundation
import Logging
import Messages
import Platform
import Postgres
import Storage
import TestSupport
import Testing
import _CryptoExtras

@testable import Academy
@testable import Clients

/// The fake Google of the local stack (`fakes/google.py`, started by `scripts/stack.sh`) as seen from tests.
enum GoogleStack {
    static let silent = Logger(label: "it.google") { _ in SwiftLogNoOpLogHandler() }
    /// Retries without the production waits, so fault tests take milliseconds.
    static let fast = GoogleRetryPolicy(delays: [0.01, 0.02, 0.04], jitter: 0)

    static func fakeURL() throws -> String { try TestStack.variable("STACK_FAKE_GOOGLE_URL") }

    /// The stack's Google settings (`GOOGLE_*` from stack.env), with overrides.
    static func settings(_ overrides: [String: String] = [:]) throws -> GoogleSettings {
        var reader = EnvironmentReader(TestStack.environment.merging(overrides) { _, new in new })
        let settings = GoogleSettings.read(&reader)
        try reader.validate()
        return try #require(settings, "GOOGLE_SERVICE_ACCOUNT_FILE is not set: run with `make test`")
    }

    /// A `GoogleAuth` whose Redis cache key no other test shares.
    static func auth(
        _ settings: GoogleSettings, scopes: [String] = [GoogleAuth.sheetsScope, GoogleAuth.calendarScope],
        prefix: String = TestStack.keyPrefix(), retry: GoogleRetryPolicy = fast
    ) throws -> GoogleAuth {
        try GoogleAuth(
            settings: settings, scopes: scopes, http: TestStack.httpClient(),
            redis: LazyRedis(TestStack.redisConfiguration()), logger: silent, retry: retry, timeout: 5,
            connectTimeout: 2, cacheKeyPrefix: prefix)
    }

    /// A control call (`/_fake/...`) returning the parsed JSON.
    @discardableResult
    static func control(_ method: String, _ path: String, json: String? = nil) throws -> Any {
        let response = try TestStack.httpClient().perform(
            HTTPRequest(
                method: method, url: try fakeURL() + path,
                headers: json == nil ? [] : [("Content-Type", "application/json")], body: json.map { Array($0.utf8) },
                connectTimeout: 2, totalTimeout: 5))
        guard response.status == 200 else { throw StackError("google control \(method) \(path): \(response.status) \(response.text)") }
        return try JSONSerialization.jsonObject(with: Data(response.body))
    }

    /// Clears the fake (calls, faults, tokens, grids) and creates a spreadsheet with one `Leads` tab.
    static func freshSpreadsheet(rows: Int = 1000, columns: Int = 26, tab: String = "Leads") throws -> String {
        try control("POST", "/_fake/reset")
        let id = "it-" + TestStack.randomHex(10)
        try control(
            "POST", "/_fake/sheets",
            json: """
                {"spreadsheetId": "\(id)", "sheets": [{"title": "\(tab)", "rowCount": \(rows), "columnCount": \(columns)}]}
                """)
        return id
    }

    /// The first tab's cells as the fake holds them (trailing empties omitted).
    static func grid(_ spreadsheetID: String) throws -> [[String]] {
        let object = try #require(try control("GET", "/_fake/sheets/\(spreadsheetID)") as? [String: Any])
        let sheets = try #require(object["sheets"] as? [[String: Any]])
        return try #require(sheets.first?["values"] as? [[String]])
    }

    static func tab(_ spreadsheetID: String) throws -> [String: Any] {
        let object = try #require(try control("GET", "/_fake/sheets/\(spreadsheetID)") as? [String: Any])
        return try #require((object["sheets"] as? [[String: Any]])?.first)
    }

    /// Recorded calls of the fake, optionally filtered by path.
    static func calls(path: String? = nil) throws -> [[String: Any]] {
        let query = path.map { "?path=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0) } ?? ""
        return try #require(try control("GET", "/_fake/calls" + query) as? [[String: Any]])
    }

    static func fault(_ json: String) throws { try control("POST", "/_fake/faults", json: json) }

    /// A mirror of `spreadsheetID` through the stack's fake.
    static func mirror(
        _ spreadsheetID: String, auth: GoogleAuth, batch: Int = 100, policy: GoogleRetryPolicy = fast
    ) throws -> SheetsMirror {
        let settings = try settings()
        let sheets = SheetsClient(auth: auth, baseURL: settings.sheetsAPIURL, spreadsheetID: spreadsheetID, policy: policy)
        return SheetsMirror(sheets: sheets, sheetName: "Leads", batchSize: batch, logger: silent)
    }

    /// Runs `body` with a migrated database of its own (the leads table), dropped afterwards.
    static func withLeadsDatabase<T>(_ body: (PostgresConnection, String) throws -> T) throws -> T {
        try TestStack.withFreshDatabase { url in
            let connection = try PostgresConnection(conninfo: url)
            try Migrator(directory: try TestStack.root() + "/migrations", logger: silent).migrate(connection)
            return try body(connection, url)
        }
    }

    /// Inserts `count` leads with plain SQL (phones `+9965550000NN`), returning their ids in order.
    @discardableResult
    static func insertLeads(_ database: PostgresConnection, count: Int, from first: Int = 1) throws -> [Int64] {
        try database.query(
            """
            INSERT INTO leads (name, phone, email, child_age, source)
            SELECT 'Parent ' || g, '+99655500' || lpad(g::text, 4, '0'), 'parent' || g || '@example.com', '9', 'tilda'
            FROM generate_series($1::int, $2::int) AS g ORDER BY g RETURNING id
            """, [String(first), String(first + count - 1)]
        ).map { try $0.decode("id", as: Int64.self) }.sorted()
    }

    static func pendingCount(_ database: PostgresConnection) throws -> Int {
        try database.queryOne("SELECT count(*) AS n FROM leads WHERE version > sheet_synced_version").decode("n")
    }

    /// A service-account key file with the stack account's email but a key the fake does not know.
    static func wrongKeySettings() throws -> (GoogleSettings, String) {
        let base = try settings()
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let path = NSTemporaryDirectory() + "wrong-sa-\(TestStack.randomHex(8)).json"
        let json = JSONValue.object([
            "client_email": .string(base.serviceAccount.clientEmail), "private_key": .string(key.pkcs8PEMRepresentation),
            "token_uri": .string(base.tokenURL),
        ]).serialized
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return (try settings(["GOOGLE_SERVICE_ACCOUNT_FILE": path]), path)
    }
}
