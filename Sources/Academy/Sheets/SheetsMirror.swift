public import Clients
public import Logging
import Platform
public import Postgres

/// Mirrors the `leads` table (the source of truth) to one Google Sheets tab: a header row, then one row per lead.
///
/// A lead is pending while `version > sheet_synced_version` (a trigger bumps `version` on every change of the
/// lead itself). Each batch is written with one `values:batchUpdate` at explicit rows (see `SheetsLayout`), then
/// `sheet_row` and `sheet_synced_version` = the version that was pushed are recorded, so a lead changed during the
/// push stays pending. Never `:append`: a retried write lands on the same row, so a lost answer cannot duplicate
/// a row. While Sheets is unreachable nothing is marked synced; the next run catches up in batches.
/// One syncer at a time (a PostgreSQL advisory lock), as rows are assigned from what column A held when read.
public struct SheetsMirror {
    /// What one run did.
    public struct Report: Sendable, Equatable {
        /// Lead rows written (new + updated).
        public var pushed = 0
        /// Leads that got a new row.
        public var placed = 0
        /// Requests to `values:batchUpdate`.
        public var batches = 0
        public init() {}
    }

    /// One lead as mirrored: its cells in `header` order plus the bookkeeping.
    public struct Lead: Sendable, Equatable {
        public var id: Int64
        public var version: Int64
        public var sheetRow: Int?
        public var phone: String?
        public var email: String?
        public var cells: [String]
    }

    public static let header = [
        "Lead ID", "Created (UTC)", "Name", "Phone", "Email", "Child age", "Source", "Status", "Bot activated",
        "Lesson date", "Lesson time", "Zoom link", "Email 1 sent", "Email 2 sent", "Call alert sent", "Updated (UTC)",
    ]
    /// Session advisory lock held by the syncer (an arbitrary constant next to the migrator's 7262001).
    static let advisoryLockKey = "7262101"

    private let sheets: SheetsClient
    private let sheetName: String
    private let batchSize: Int
    private let logger: Logger

    public init(sheets: SheetsClient, sheetName: String, batchSize: Int, logger: Logger) {
        self.sheets = sheets
        self.sheetName = sheetName
        self.batchSize = max(1, batchSize)
        self.logger = logger
    }

    /// Pushes pending leads batch by batch until none is left, `deadline` (monotonic seconds) passes or `shouldStop`
    /// (the first batch is always attempted).
    /// Returns nil when another syncer holds the lock. Throws on the first failure (after the client's retries);
    /// what was pushed before stays recorded.
    public func run(
        database: PostgresConnection, deadline: Double = .infinity, shouldStop: () -> Bool = { false }
    ) throws -> Report? {
        let locked = try database.queryOne("SELECT pg_try_advisory_lock($1::bigint) AS locked", [Self.advisoryLockKey])
        guard try locked.decode("locked", as: Bool.self) else {
            self.logger.info("sheets sync skipped: another syncer holds the lock")
            return nil
        }
        defer { _ = try? database.query("SELECT pg_advisory_unlock($1::bigint)", [Self.advisoryLockKey]) }
        var report = Report()
        var target: (sheet: SheetsClient.Sheet, layout: SheetsLayout)?
        repeat {
            let leads = try Self.pending(database, limit: self.batchSize)
            if leads.isEmpty { break }
            if target == nil {
                let sheet = try self.ensureSheet()
                let columnA = try self.sheets.values(SheetsClient.range(sheet: self.sheetName, "A:A"))
                target = (sheet, SheetsLayout(columnA: columnA))
                if let duplicates = target?.layout.duplicates, !duplicates.isEmpty {
                    self.logger.warning("sheets: lead ids appear twice in column A", metadata: ["lead.ids": "\(duplicates)"])
                }
            }
            var placements: [(lead: Lead, row: Int, isNew: Bool)] = []
            for lead in leads {
                let place = target!.layout.place(lead.id)
                placements.append((lead, place.row, place.isNew))
            }
            try self.ensureGrid(&target!.sheet, rows: target!.layout.nextRow - 1)
            let lastColumn = SheetsClient.column(Self.header.count)
            var data = [(range: SheetsClient.range(sheet: self.sheetName, "A1:\(lastColumn)1"), rows: [Self.header])]
            for placement in placements {
                let cells = "A\(placement.row):\(lastColumn)\(placement.row)"
                data.append((SheetsClient.range(sheet: self.sheetName, cells), [placement.lead.cells]))
            }
            try self.sheets.batchUpdate(data)
            try Self.record(database, placements.map { ($0.lead.id, $0.row, $0.lead.version) })
            let placed = placements.filter(\.isNew).count
            report.pushed += placements.count
            report.placed += placed
            report.batches += 1
            self.logger.info(
                "sheets batch pushed",
                metadata: [
                    "sheets.rows": "\(placements.count)", "sheets.new_rows": "\(placed)",
                ])
            for placement in placements {
                self.logger.debug(
                    "lead mirrored",
                    metadata: [
                        "lead.id": "\(placement.lead.id)", "lead.version": "\(placement.lead.version)",
                        "sheets.row": "\(placement.row)", "lead.phone": "\(placement.lead.phone.map(Redact.phone) ?? "-")",
                        "lead.email": "\(placement.lead.email.map(Redact.email) ?? "-")",
                    ])
            }
        } while !shouldStop() && monotonicSeconds() < deadline
        return report
    }

    /// The tab, created when missing (a lost answer to `addSheet` shows up as "already exists": read again).
    private func ensureSheet() throws -> SheetsClient.Sheet {
        if let sheet = try self.sheets.sheets().first(where: { $0.title == self.sheetName }) { return sheet }
        self.logger.notice("sheets: creating the tab", metadata: ["sheets.tab": "\(self.sheetName)"])
        do {
            try self.sheets.addSheet(title: self.sheetName, rowCount: 1000, columnCount: Self.header.count)
        } catch let error as GoogleError where error.code == .rejected {
            self.logger.info("sheets: addSheet refused, reading the tabs again", metadata: ["error": "\(error)"])
        }
        guard let sheet = try self.sheets.sheets().first(where: { $0.title == self.sheetName }) else {
            throw GoogleError(code: .rejected, message: "spreadsheet has no tab named \(self.sheetName) and it could not be added")
        }
        return sheet
    }

    /// Grows the grid so that `rows` rows and every column fit (values outside the grid are refused by Google).
    private func ensureGrid(_ sheet: inout SheetsClient.Sheet, rows: Int) throws {
        guard rows > sheet.rowCount || sheet.columnCount < Self.header.count else { return }
        let rowCount = max(sheet.rowCount, rows + self.batchSize)
        let columnCount = max(sheet.columnCount, Self.header.count)
        try self.sheets.resize(sheetID: sheet.id, rowCount: rowCount, columnCount: columnCount)
        sheet.rowCount = rowCount
        sheet.columnCount = columnCount
    }

    // MARK: Database

    /// Pending leads, oldest first.
    static func pending(_ database: PostgresConnection, limit: Int) throws -> [Lead] {
        let rows = try database.query(
            """
            SELECT id, version, sheet_row, name, phone, email, child_age, source, status, bot_activated,
                   lesson_date, lesson_time, zoom_link, email_1_sent, email_2_sent, call_alert_sent,
                   to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS created,
                   to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS updated
            FROM leads WHERE version > sheet_synced_version ORDER BY id LIMIT $1
            """, [String(limit)])
        return try rows.map(Self.lead)
    }

    static func lead(_ row: PostgresRow) throws -> Lead {
        func flag(_ name: String) -> String { row[name] == "t" ? "yes" : "no" }
        let id = try row.decode("id", as: Int64.self)
        let cells = [
            String(id), row["created"] ?? "", row["name"] ?? "", row["phone"] ?? "", row["email"] ?? "",
            row["child_age"] ?? "", row["source"] ?? "", row["status"] ?? "", flag("bot_activated"),
            row["lesson_date"] ?? "", row["lesson_time"] ?? "", row["zoom_link"] ?? "", flag("email_1_sent"),
            flag("email_2_sent"), flag("call_alert_sent"), row["updated"] ?? "",
        ]
        return Lead(
            id: id, version: try row.decode("version"), sheetRow: try row.decodeIfPresent("sheet_row"),
            phone: row["phone"], email: row["email"], cells: cells)
    }

    /// Records what was pushed. The trigger does not bump `version` for these two columns, and a lead whose version
    /// moved on meanwhile keeps `sheet_synced_version` below it, so it stays pending.
    static func record(_ database: PostgresConnection, _ pushed: [(id: Int64, row: Int, version: Int64)]) throws {
        func array<T>(_ values: [T]) -> String { "{" + values.map { "\($0)" }.joined(separator: ",") + "}" }
        try database.query(
            """
            UPDATE leads AS l SET sheet_row = u.row, sheet_synced_version = u.version
            FROM unnest($1::bigint[], $2::integer[], $3::bigint[]) AS u(id, row, version)
            WHERE l.id = u.id AND l.sheet_synced_version < u.version
            """, [array(pushed.map(\.id)), array(pushed.map(\.row)), array(pushed.map(\.version))])
    }
}
