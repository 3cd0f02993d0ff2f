import Foundation
import Messages
import Platform
import Postgres
import TestSupport
import Testing

@testable import Academy
@testable import Clients

/// Service-account auth, the Sheets mirror and the Calendar client against real PostgreSQL and Redis and the
/// stack's fake Google (which verifies every JWT). Serialized: the tests share the fake and count its calls.
@Suite("Google Sheets and Calendar", .stack, .serialized)
struct GoogleSheetsTests {
    // MARK: Auth

    @Test func theFakeVerifiesTheJWTAndAWrongKeyIsRefusedWithoutRetries() throws {
        _ = try GoogleStack.freshSpreadsheet()
        let auth = try GoogleStack.auth(try GoogleStack.settings())
        #expect(try auth.accessToken().hasPrefix("ya29."))
        let (wrong, path) = try GoogleStack.wrongKeySettings()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let refused = try GoogleStack.auth(wrong)
        do {
            _ = try refused.accessToken()
            Issue.record("a token was issued for a key the fake does not know")
        } catch let error as GoogleError {
            #expect(error.code == .tokenRejected && error.status == 400 && error.reason == "invalid_grant", "\(error)")
            #expect(error.message.contains("Signature"))
        }
        #expect(refused.tokenRequests == 1)
        #expect(try GoogleStack.calls(path: "/token").map { $0["status"] as? Int } == [200, 400])
    }

    @Test func oneTokenServesManyCallsAcrossInstancesAndA401RefreshesOnce() throws {
        let spreadsheet = try GoogleStack.freshSpreadsheet()
        let settings = try GoogleStack.settings()
        let prefix = TestStack.keyPrefix()
        let first = try GoogleStack.auth(settings, prefix: prefix)
        let sheets = SheetsClient(auth: first, baseURL: settings.sheetsAPIURL, spreadsheetID: spreadsheet, policy: GoogleStack.fast)
        for _ in 0..<10 { _ = try sheets.values("'Leads'!A:A") }
        // Another process (another instance) finds the token in Redis.
        let second = try GoogleStack.auth(settings, prefix: prefix)
        _ = try SheetsClient(auth: second, baseURL: settings.sheetsAPIURL, spreadsheetID: spreadsheet).values("'Leads'!A1")
        #expect(try GoogleStack.calls(path: "/token").count == 1)
        #expect(first.tokenRequests == 1 && second.tokenRequests == 0)

        try GoogleStack.control("POST", "/_fake/google/expire_tokens")
        try sheets.update("'Leads'!A1:B1", rows: [["a", "b"]])
        #expect(try GoogleStack.calls(path: "/token").count == 2)
        let statuses = try GoogleStack.calls().filter { ($0["path"] as? String)?.hasPrefix("/v4/") == true }.compactMap {
            $0["status"] as? Int
        }
        #expect(statuses.suffix(2) == [401, 200])
        #expect(try GoogleStack.grid(spreadsheet) == [["a", "b"]])

        // A token Google keeps refusing is not retried forever: one refresh, then the 401 is final.
        try GoogleStack.fault(#"{"route": "^/v4/", "mode": "expired_token", "times": 2}"#)
        #expect(throws: GoogleError.self) { try sheets.values("'Leads'!A1") }
        #expect(try GoogleStack.calls(path: "/token").count == 3)
    }

    @Test func shortLivedTokensAreReplacedBeforeTheyExpireAndTokenRequestsRetry5xx() throws {
        _ = try GoogleStack.freshSpreadsheet()
        try GoogleStack.control("POST", "/_fake/google/settings", json: #"{"token_lifetime": 2}"#)
        defer { _ = try? GoogleStack.control("POST", "/_fake/reset") }
        let auth = try GoogleStack.auth(try GoogleStack.settings())
        let token = try auth.accessToken()
        #expect(try auth.accessToken() == token)
        Thread.sleep(forTimeInterval: 1.1)  // usable for 1 s of the 2
        #expect(try auth.accessToken() != token)
        #expect(auth.tokenRequests == 2)

        try GoogleStack.fault(#"{"route": "/token", "mode": "unavailable", "times": 2}"#)
        let retrying = try GoogleStack.auth(try GoogleStack.settings())
        #expect(try retrying.accessToken().hasPrefix("ya29."))
        #expect(retrying.tokenRequests == 3)
    }

    // MARK: Sheets mirror

    @Test func rateLimitedThenSuccessMirrorsEveryLead() throws {
        let spreadsheet = try GoogleStack.freshSpreadsheet()
        try GoogleStack.withLeadsDatabase { database, _ in
            let ids = try GoogleStack.insertLeads(database, count: 3)
            try GoogleStack.fault(#"{"route": "^/v4/spreadsheets/[^/]+/values:batchUpdate$", "mode": "rate_limited", "times": 2}"#)
            let mirror = try GoogleStack.mirror(spreadsheet, auth: try GoogleStack.auth(try GoogleStack.settings()))
            let report = try #require(try mirror.run(database: database))
            #expect(report.pushed == 3 && report.placed == 3 && report.batches == 1)
            let grid = try GoogleStack.grid(spreadsheet)
            #expect(grid.first == SheetsMirror.header)
            #expect(grid.dropFirst().map { $0[0] } == ids.map(String.init))
            #expect(grid[1][3] == "+996555000001" && grid[1][6] == "tilda" && grid[1][7] == "NEW" && grid[1][8] == "no")
            let batchCalls = try GoogleStack.calls().filter { ($0["path"] as? String)?.hasSuffix("values:batchUpdate") == true }
            #expect(batchCalls.compactMap { $0["status"] as? Int } == [429, 429, 200])
            #expect(try GoogleStack.pendingCount(database) == 0)
            let rows = try database.query("SELECT sheet_row, version, sheet_synced_version FROM leads ORDER BY id")
            #expect(try rows.map { try $0.decode("sheet_row", as: Int.self) } == [2, 3, 4])
            #expect(try rows.allSatisfy { try $0.decode("version", as: Int64.self) == $0.decode("sheet_synced_version", as: Int64.self) })
        }
    }

    @Test func aConnectionDroppedAfterTheWriteLeavesExactlyOneRowPerLead() throws {
        let spreadsheet = try GoogleStack.freshSpreadsheet()
        try GoogleStack.withLeadsDatabase { database, _ in
            let ids = try GoogleStack.insertLeads(database, count: 4)
            let auth = try GoogleStack.auth(try GoogleStack.settings())
            // 1) Retried inside the run: the repeat lands on the same rows.
            try GoogleStack.fault(#"{"route": "^/v4/spreadsheets/[^/]+/values:batchUpdate$", "mode": "drop_after_apply"}"#)
            _ = try GoogleStack.mirror(spreadsheet, auth: auth).run(database: database)
            #expect(try GoogleStack.grid(spreadsheet).dropFirst().map { $0[0] } == ids.map(String.init))
            // 2) The answer is lost and the run gives up: the rows are on the sheet, the database does not know.
            let more = try GoogleStack.insertLeads(database, count: 2, from: 5)
            let noRetries = try GoogleStack.mirror(spreadsheet, auth: auth, policy: GoogleRetryPolicy(delays: []))
            try GoogleStack.fault(#"{"route": "^/v4/spreadsheets/[^/]+/values:batchUpdate$", "mode": "drop_after_apply"}"#)
            #expect { try noRetries.run(database: database) } throws: { ($0 as? GoogleError)?.ambiguous == true }
            #expect(try GoogleStack.pendingCount(database) == 2)
            #expect(try GoogleStack.grid(spreadsheet).count == 7)
            // The next run finds them in column A and updates them in place.
            try database.query("UPDATE leads SET status = 'REGISTERED' WHERE id = $1", [String(more[0])])
            _ = try GoogleStack.mirror(spreadsheet, auth: auth).run(database: database)
            let grid = try GoogleStack.grid(spreadsheet)
            #expect(grid.dropFirst().map { $0[0] } == (ids + more).map(String.init))
            #expect(grid[5][7] == "REGISTERED")
            #expect(try GoogleStack.pendingCount(database) == 0)
        }
    }

    @Test func aChangedLeadIsUpdatedInPlaceAndALeadChangedDuringThePushStaysPending() throws {
        let spreadsheet = try GoogleStack.freshSpreadsheet()
        try GoogleStack.withLeadsDatabase { database, _ in
            let ids = try GoogleStack.insertLeads(database, count: 3)
            let mirror = try GoogleStack.mirror(spreadsheet, auth: try GoogleStack.auth(try GoogleStack.settings()))
            _ = try mirror.run(database: database)
            #expect(try mirror.run(database: database) == SheetsMirror.Report())  // nothing pending: no calls
            try database.query(
                """
                UPDATE leads SET status = 'SCHEDULED', lesson_date = '2026-02-01', lesson_time = '10:00',
                       zoom_link = 'https://zoom.us/j/1', bot_activated = true WHERE id = $1
                """, [String(ids[1])])
            let report = try #require(try mirror.run(database: database))
            #expect(report.pushed == 1 && report.placed == 0)
            let grid = try GoogleStack.grid(spreadsheet)
            #expect(grid.count == 4)
            #expect(grid[2][0] == String(ids[1]) && grid[2][7] == "SCHEDULED" && grid[2][8] == "yes")
            #expect(grid[2][9] == "2026-02-01" && grid[2][10] == "10:00" && grid[2][11] == "https://zoom.us/j/1")
            #expect(grid[1][7] == "NEW" && grid[3][7] == "NEW")

            // Recording an older version than the lead now has (it changed while being pushed) keeps it pending.
            try database.query("UPDATE leads SET name = 'Renamed' WHERE id = $1", [String(ids[0])])
            let version = try database.queryOne("SELECT version FROM leads WHERE id = $1", [String(ids[0])]).decode(
                "version", as: Int64.self)
            try SheetsMirror.record(database, [(ids[0], 2, version - 1)])
            let row = try database.queryOne("SELECT version, sheet_synced_version FROM leads WHERE id = $1", [String(ids[0])])
            #expect(try row.decode("version", as: Int64.self) == version)
            #expect(try row.decode("sheet_synced_version", as: Int64.self) == version - 1)
            #expect(try GoogleStack.pendingCount(database) == 1)
            _ = try mirror.run(database: database)
            #expect(try GoogleStack.grid(spreadsheet)[1][2] == "Renamed")
            #expect(try GoogleStack.pendingCount(database) == 0)
        }
    }

    @Test func oneHundredFiftyLeadsGoInBatchesAndTheGridGrows() throws {
        let spreadsheet = try GoogleStack.freshSpreadsheet(rows: 100, columns: 10)
        try GoogleStack.withLeadsDatabase { database, _ in
            let ids = try GoogleStack.insertLeads(database, count: 150)
            let report = try #require(
                try GoogleStack.mirror(spreadsheet, auth: try GoogleStack.auth(try GoogleStack.settings()), batch: 100)
                    .run(database: database))
            #expect(report.pushed == 150 && report.placed == 150 && report.batches == 2)
            let grid = try GoogleStack.grid(spreadsheet)
            #expect(grid.count == 151)
            #expect(grid.dropFirst().map { $0[0] } == ids.map(String.init))
            #expect(Set(grid.dropFirst().map { $0[0] }).count == 150)
            let tab = try GoogleStack.tab(spreadsheet)
            #expect((tab["rowCount"] as? Int ?? 0) >= 151 && tab["columnCount"] as? Int == 16)
            #expect(try GoogleStack.calls().filter { ($0["path"] as? String)?.hasSuffix("values:batchUpdate") == true }.count == 2)
        }
    }

    @Test func sheetsUnreachableLosesNothingAndTheNextRunCatchesUp() throws {
        let spreadsheet = try GoogleStack.freshSpreadsheet()
        try GoogleStack.withLeadsDatabase { database, _ in
            try GoogleStack.insertLeads(database, count: 5)
            try GoogleStack.fault(#"{"route": "^/v4/", "mode": "unavailable", "times": 1000}"#)
            let mirror = try GoogleStack.mirror(spreadsheet, auth: try GoogleStack.auth(try GoogleStack.settings()), batch: 2)
            #expect { try mirror.run(database: database) } throws: { ($0 as? GoogleError)?.code == .unavailable }
            #expect(try GoogleStack.pendingCount(database) == 5)
            try GoogleStack.control("DELETE", "/_fake/faults")
            try GoogleStack.insertLeads(database, count: 2, from: 6)
            let report = try #require(try mirror.run(database: database))
            #expect(report.pushed == 7 && report.batches == 4)
            #expect(try GoogleStack.grid(spreadsheet).count == 8)
        }
    }

    @Test func theCronJobMirrorsCreatesAMissingTabAndMasksContactsInItsLogs() throws {
        let spreadsheet = try GoogleStack.freshSpreadsheet(tab: "Other")
        try GoogleStack.withLeadsDatabase { database, url in
            try GoogleStack.insertLeads(database, count: 3)
            let environment = try TestStack.stackChildEnvironment([
                "DATABASE_URL": url, "GOOGLE_SHEETS_SPREADSHEET_ID": spreadsheet, "LOG_LEVEL": "debug",
                "SHEETS_SYNC_BATCH": "2",
            ])
            let result = try TestStack.run(
                try TestStack.executable("cron-sheets-sync"), ["--seconds", "3"], environment: environment, timeout: 30)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("sheets sync pushed"))
            #expect(try GoogleStack.pendingCount(database) == 0)
            let object = try #require(try GoogleStack.control("GET", "/_fake/sheets/\(spreadsheet)") as? [String: Any])
            let tabs = try #require(object["sheets"] as? [[String: Any]])
            #expect(tabs.map { $0["title"] as? String } == ["Other", "Leads"])
            #expect((tabs[1]["values"] as? [[String]])?.count == 4)
            #expect(result.stderr.contains("lead mirrored") && result.stderr.contains("+996*****0001"))
            #expect(!result.stderr.contains("+996555000001") && !result.stderr.contains("parent1@example.com"))
            #expect(!result.stderr.contains("ya29.") && !result.stderr.contains("PRIVATE KEY"))

            // Missing spreadsheet id: exit 78 naming the variable. Google refusing the key: exit 1.
            let unset = try TestStack.run(
                try TestStack.executable("cron-sheets-sync"), ["--seconds", "0"],
                environment: environment.merging(["GOOGLE_SHEETS_SPREADSHEET_ID": ""]) { _, new in new })
            #expect(unset.status == 78 && unset.stderr.contains("GOOGLE_SHEETS_SPREADSHEET_ID"))
            let badFile = try TestStack.run(
                try TestStack.executable("cron-sheets-sync"), ["--seconds", "0"],
                environment: environment.merging(["GOOGLE_SERVICE_ACCOUNT_FILE": "/nonexistent/sa.json"]) { _, new in new })
            #expect(badFile.status == 78 && badFile.stderr.contains("GOOGLE_SERVICE_ACCOUNT_FILE"))
            let (_, wrongPath) = try GoogleStack.wrongKeySettings()
            defer { try? FileManager.default.removeItem(atPath: wrongPath) }
            try database.query("UPDATE leads SET name = 'x'")
            let refused = try TestStack.run(
                try TestStack.executable("cron-sheets-sync"), ["--seconds", "0"],
                environment: environment.merging(["GOOGLE_SERVICE_ACCOUNT_FILE": wrongPath, "REDIS_URL": "redis://127.0.0.1:1/0"]) {
                    _, new in new
                })
            #expect(refused.status == 1, "\(refused.stderr)")
        }
    }

    // MARK: Calendar

    static func calendar(_ busy: String = "[]") throws -> CalendarClient {
        try GoogleStack.control("POST", "/_fake/reset")
        let id = "it-\(TestStack.randomHex(8))@group.calendar.google.com"
        try GoogleStack.control("POST", "/_fake/calendars", json: #"{"id": "\#(id)", "busy": \#(busy)}"#)
        let settings = try GoogleStack.settings()
        return CalendarClient(
            auth: try GoogleStack.auth(settings, scopes: [GoogleAuth.calendarScope]), baseURL: settings.calendarAPIURL,
            calendarID: id, policy: GoogleStack.fast)
    }

    static func events(_ calendar: CalendarClient) throws -> [[String: Any]] {
        let id = calendar.calendarID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        return try #require(try GoogleStack.control("GET", "/_fake/calendars/\(id)/events") as? [[String: Any]])
    }

    static let lesson = JSONValue.object([
        "summary": .string("Trial lesson"),
        "start": .object(["dateTime": .string("2026-02-01T10:00:00+03:00"), "timeZone": .string("Europe/Moscow")]),
        "end": .object(["dateTime": .string("2026-02-01T11:00:00+03:00"), "timeZone": .string("Europe/Moscow")]),
    ])

    @Test func anInsertRetriedAfterADroppedResponseCreatesOneEvent() throws {
        let calendar = try Self.calendar()
        let id = CalendarClient.eventID(for: "trial/42/2026-02-01T10:00")
        try GoogleStack.fault(#"{"route": "^/calendar/v3/calendars/[^/]+/events$", "method": "POST", "mode": "drop_after_apply"}"#)
        let outcome = try calendar.insert(id: id, event: Self.lesson)
        #expect(outcome == .alreadyExisted(outcome.event) && outcome.event.id == id)
        #expect(outcome.event.summary == "Trial lesson" && outcome.event.start == "2026-02-01T10:00:00+03:00")
        #expect(try Self.events(calendar).count == 1)
        // Inserting again later (a re-run of the booking step) is also harmless.
        #expect(try calendar.insert(id: id, event: Self.lesson).event.id == id)
        #expect(try Self.events(calendar).count == 1)
        let created = try calendar.insert(id: CalendarClient.eventID(for: "trial/43"), event: Self.lesson)
        #expect(created == .created(created.event))
    }

    @Test func patchDeleteFreeBusyListAndRetryRules() throws {
        let calendar = try Self.calendar(#"[{"start": "2026-02-01T05:00:00Z", "end": "2026-02-01T06:00:00Z"}]"#)
        let id = CalendarClient.eventID(for: "trial/7")
        _ = try calendar.insert(id: id, event: Self.lesson)
        let patched = try calendar.patch(id: id, changes: .object(["description": .string("Zoom: https://zoom.us/j/1")]))
        #expect(patched.summary == "Trial lesson" && patched.resource.objectValue?["description"] == .string("Zoom: https://zoom.us/j/1"))

        let busy = try calendar.freeBusy(timeMin: "2026-02-01T00:00:00Z", timeMax: "2026-02-02T00:00:00Z")
        #expect(
            busy == [
                .init(start: "2026-02-01T05:00:00Z", end: "2026-02-01T06:00:00Z"),
                .init(start: "2026-02-01T07:00:00Z", end: "2026-02-01T08:00:00Z"),
            ])
        for hour in 10..<15 {
            _ = try calendar.insert(
                id: CalendarClient.eventID(for: "list/\(hour)"),
                event: .object([
                    "summary": .string("e\(hour)"), "start": .object(["dateTime": .string("2026-02-02T\(hour):00:00Z")]),
                    "end": .object(["dateTime": .string("2026-02-02T\(hour):30:00Z")]),
                ]))
        }
        let listed = try calendar.events(timeMin: "2026-02-02T00:00:00Z", timeMax: "2026-02-03T00:00:00Z", pageSize: 2)
        #expect(listed.map(\.summary) == ["e10", "e11", "e12", "e13", "e14"])

        // 403 rateLimitExceeded and 5xx are retried; a lost delete answer then 410 is still success.
        try GoogleStack.fault(
            #"[{"route": "^/calendar/", "mode": "calendar_rate_limited"}, {"route": "^/calendar/", "mode": "unavailable"}]"#)
        try GoogleStack.fault(#"{"route": "^/calendar/v3/calendars/[^/]+/events/", "method": "DELETE", "mode": "drop_after_apply"}"#)
        #expect(try calendar.delete(id: id) == .alreadyGone)
        #expect(try calendar.delete(id: id) == .alreadyGone)
        #expect(try calendar.event(id: id)?.status == "cancelled")
        #expect(try calendar.delete(id: CalendarClient.eventID(for: "list/10")) == .deleted)

        // 403 forbiddenForServiceAccounts is final: one request, no retry.
        let before = try GoogleStack.calls().count
        try GoogleStack.fault(#"{"route": "^/calendar/", "mode": "forbidden_sa"}"#)
        #expect { try calendar.patch(id: id, changes: .object(["summary": .string("x")])) } throws: {
            ($0 as? GoogleError)?.code == .rejected && ($0 as? GoogleError)?.reason == "forbiddenForServiceAccounts"
        }
        #expect(try GoogleStack.calls().count == before + 1)
    }

    @Test func freeBusyReportsAPerCalendarErrorInsideA200() throws {
        let settings = try GoogleStack.settings()
        try GoogleStack.control("POST", "/_fake/reset")
        let missing = CalendarClient(
            auth: try GoogleStack.auth(settings, scopes: [GoogleAuth.calendarScope]), baseURL: settings.calendarAPIURL,
            calendarID: "not-shared@group.calendar.google.com", policy: GoogleStack.fast)
        #expect { try missing.freeBusy(timeMin: "2026-02-01T00:00:00Z", timeMax: "2026-02-02T00:00:00Z") } throws: {
            ($0 as? GoogleError)?.code == .calendarError && ($0 as? GoogleError)?.reason == "notFound"
        }
        // The stack's own calendar (GOOGLE_CALENDAR_ID) exists in the fake.
        let sandbox = CalendarClient(
            auth: try GoogleStack.auth(settings, scopes: [GoogleAuth.calendarScope]), baseURL: settings.calendarAPIURL,
            calendarID: try settings.requireCalendarID(), policy: GoogleStack.fast)
        #expect(try sandbox.freeBusy(timeMin: "2026-02-01T00:00:00Z", timeMax: "2026-02-02T00:00:00Z").isEmpty)
    }
}
