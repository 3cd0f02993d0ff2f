import BotCore
import Foundation
import Glibc
import Logging
import Postgres
import Shoro
import Storage
import TestSupport
import Testing

/// `ShoroStep.expireIdleDialogs`, the drain's housekeeping, on a database of each test's own (migrated here), so
/// the dialogs other suites leave behind neither count nor get expired.
@Suite("Shoro idle dialogs expire", .stack)
struct ShoroIdleExpiryTests {
    private static let logger = Logger(label: "it.idle-expiry") { _ in SwiftLogNoOpLogHandler() }
    /// Shorter than the dialog's own 24 h, as `SHORO_DIALOG_TTL_SECONDS` may be.
    private static let ttl: Double = 3600

    private static func step() throws -> ShoroStep {
        ShoroStep(
            texts: try ShoroDrain.loadTexts(directory: try TestStack.root() + "/resources/texts"), dialogTTLSeconds: ttl)
    }

    private static func withMigratedDatabase(_ body: (String, PostgresConnection) throws -> Void) throws {
        try TestStack.withFreshDatabase { url in
            let connection = try PostgresConnection(conninfo: url)
            try Migrator(directory: try TestStack.root() + "/migrations", logger: logger).migrate(connection)
            try body(url, connection)
        }
    }

    /// A dialog waiting for the address since `idleSeconds` ago; `finished` ends it as the step would have.
    private static func dialog(client: String, idleSeconds: Double, finished: Bool = false) -> ShoroDialog {
        let last = Date().addingTimeInterval(-idleSeconds)
        var dialog = ShoroDialog(id: "m-\(client)", startedAt: last.addingTimeInterval(-60), returning: nil)
        _ = dialog.handle(.text("Здравствуйте"), now: last.addingTimeInterval(-60))
        _ = dialog.handle(.text("ул. Киевская 95"), now: last)
        if finished { _ = dialog.handle(.text("отмена"), now: last) }
        return dialog
    }

    private static func json(_ dialog: ShoroDialog) throws -> String {
        String(decoding: try JSONEncoder().encode(dialog), as: UTF8.self)
    }

    /// Stores dialogs as the step does, with `updated_at` their idle time ago.
    private static func store(_ dialogs: [(client: String, dialog: ShoroDialog)], on connection: PostgresConnection) throws {
        try connection.query(
            """
            INSERT INTO shoro_dialogs (client_id, dialog, updated_at)
            SELECT t.client_id, t.dialog::jsonb, to_timestamp(t.updated::double precision)
            FROM unnest($1::text[], $2::text[], $3::text[]) AS t(client_id, dialog, updated)
            """,
            [
                PostgresArray.literal(dialogs.map(\.client)), PostgresArray.literal(try dialogs.map { try json($0.dialog) }),
                PostgresArray.literal(dialogs.map { String($0.dialog.updatedAt.timeIntervalSince1970) }),
            ])
    }

    private static func outcomes(_ clients: [String], on connection: PostgresConnection) throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        for row in try connection.query(
            "SELECT client_id, outcome FROM dialog_outcomes WHERE client_id = ANY($1::text[]) ORDER BY id",
            [PostgresArray.literal(clients)])
        {
            result[try row.decode("client_id"), default: []].append(try row.decode("outcome"))
        }
        return result
    }

    private static func stored(_ client: String, on connection: PostgresConnection) throws -> ShoroDialog {
        let row = try connection.queryOne("SELECT dialog::text AS dialog FROM shoro_dialogs WHERE client_id = $1", [client])
        return try JSONDecoder().decode(ShoroDialog.self, from: Data((try row.decode("dialog", as: String.self)).utf8))
    }

    /// 600 long-finished dialogs are older than the idle ones, so a scan that takes the first 500 old rows and
    /// skips the finished ones after reading them never reaches an idle dialog.
    @Test func everyIdleDialogExpiresBehindSixHundredFinishedOnes() throws {
        try Self.withMigratedDatabase { _, connection in
            let finished = (0..<600).map {
                ("finished-\($0)", Self.dialog(client: "finished-\($0)", idleSeconds: 3 * 86400, finished: true))
            }
            let idle = (0..<7).map { ("idle-\($0)", Self.dialog(client: "idle-\($0)", idleSeconds: 2 * 86400)) }
            let active = [("active", Self.dialog(client: "active", idleSeconds: 600))]
            try Self.store(finished, on: connection)
            try Self.store(idle, on: connection)
            try Self.store(active, on: connection)

            let expired = try Self.step().expireIdleDialogs(now: Date().timeIntervalSince1970, on: connection)

            #expect(expired == idle.count)
            let outcomes = try Self.outcomes(idle.map(\.0) + ["active", "finished-0", "finished-599"], on: connection)
            for (client, _) in idle { #expect(outcomes[client] == ["expired"], "\(client)") }
            #expect(outcomes["active"] == nil)
            #expect(outcomes["finished-0"] == nil && outcomes["finished-599"] == nil)
            for (client, _) in idle {
                let dialog = try Self.stored(client, on: connection)
                #expect(dialog.isFinished && dialog.outcome?.kind == .expired, "\(client)")
                #expect(dialog.state == .waitingPhone, "the drop-off step is kept")
            }
            #expect(try Self.stored("active", on: connection).outcome == nil)

            // The next run finds nothing left to do and records nothing twice.
            #expect(try Self.step().expireIdleDialogs(now: Date().timeIntervalSince1970, on: connection) == 0)
            #expect(try connection.queryOne("SELECT count(*) AS n FROM dialog_outcomes").decode("n", as: Int.self) == idle.count)
        }
    }

    /// A drainer's step holds the dialog's row (its `FOR UPDATE`) while the housekeeping runs, and commits the
    /// customer's next message afterwards: that dialog is not idle any more and must neither be overwritten with
    /// the expired version read before, nor get an `expired` outcome.
    @Test func aDialogAStepCommitsMeanwhileIsNotOverwritten() throws {
        try Self.withMigratedDatabase { url, connection in
            let client = "busy"
            var dialog = Self.dialog(client: client, idleSeconds: 2 * 86400)
            try Self.store([(client, dialog)], on: connection)
            try Self.store([("other", Self.dialog(client: "other", idleSeconds: 2 * 86400))], on: connection)

            // The step: lock the row first, as ShoroStep.run does.
            try connection.query("BEGIN")
            try connection.query("SELECT dialog FROM shoro_dialogs WHERE client_id = $1 FOR UPDATE", [client])

            let result = Locked<Result<Int, any Error>?>(nil)
            let housekeeping = Thread {
                let outcome = Result<Int, any Error> {
                    try Self.step().expireIdleDialogs(now: Date().timeIntervalSince1970, on: try PostgresConnection(conninfo: url))
                }
                result.with { $0 = outcome }
            }
            housekeeping.start()
            // Until the housekeeping has finished or waits for the row this step holds.
            let database = try connection.queryOne("SELECT current_database() AS name").decode("name", as: String.self)
            let admin = try TestStack.postgres()
            let settled = try eventually(timeout: 10) {
                try result.snapshot != nil
                    || !admin.query(
                        "SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'", [database]
                    ).isEmpty
            }
            #expect(settled, "the housekeeping neither finished nor waited for the lock")

            // The customer's next message commits.
            _ = dialog.handle(.text("0555123456"), now: Date())
            try connection.query(
                "UPDATE shoro_dialogs SET dialog = $2::jsonb, updated_at = now() WHERE client_id = $1",
                [client, try Self.json(dialog)])
            try connection.query("COMMIT")
            #expect(eventually(timeout: 10) { result.snapshot != nil }, "the housekeeping did not finish")
            if case .failure(let error)? = result.snapshot { Issue.record("expireIdleDialogs failed: \(error)") }

            let stored = try Self.stored(client, on: connection)
            #expect(
                stored == dialog, "the step's commit was overwritten: state \(stored.state), outcome \(String(describing: stored.outcome))")
            let outcomes = try Self.outcomes([client, "other"], on: connection)
            #expect(outcomes[client] == nil)
            #expect(outcomes["other"] == ["expired"], "the dialog nobody held still expires")
        }
    }
}
