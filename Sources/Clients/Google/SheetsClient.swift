import Curl
import Messages
import Platform

/// Google Sheets API v4 for one spreadsheet: read ranges, write ranges at explicit positions, size the grid.
///
/// Only calls that are safe to repeat are offered (no `:append`, which adds a second row when a lost answer is
/// retried), so every call is retried on transport failures, 408, 429 and 5xx with the policy's backoff.
/// Values are written with `valueInputOption=RAW`: a phone such as `+996…` stays text and a cell starting with
/// `=` is never evaluated as a formula.
public struct SheetsClient {
    /// One tab of the spreadsheet.
    public struct Sheet: Sendable, Equatable {
        public var id: Int64
        public var title: String
        public var rowCount: Int
        public var columnCount: Int
    }

    private let auth: GoogleAuth
    private let baseURL: String
    public let spreadsheetID: String
    private let policy: GoogleRetryPolicy

    public init(auth: GoogleAuth, baseURL: String, spreadsheetID: String, policy: GoogleRetryPolicy = .sheets) {
        self.auth = auth
        self.baseURL = baseURL
        self.spreadsheetID = spreadsheetID
        self.policy = policy
    }

    /// `'Sheet name'!A1:P1`: the sheet name always quoted (quotes doubled), so any name is valid A1 notation.
    public static func range(sheet: String, _ cells: String) -> String {
        "'" + sheet.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "''") + "'!" + cells
    }

    /// Column letters for a 1-based index: 1 → A, 16 → P, 27 → AA.
    public static func column(_ index: Int) -> String {
        var index = index
        var letters = ""
        while index > 0 {
            let remainder = (index - 1) % 26
            letters = String(UnicodeScalar(UInt8(65 + remainder))) + letters
            index = (index - 1) / 26
        }
        return letters
    }

    private var spreadsheetURL: String {
        self.baseURL + "/v4/spreadsheets/" + GoogleAuth.percentEncoded(self.spreadsheetID)
    }

    private func send(_ method: String, _ url: String, json: String? = nil, what: String) throws -> JSONValue {
        let response = try self.auth.call(method, url, json: json, policy: self.policy) { status, _ in
            status == 408 || status == 429 || (500...599).contains(status)
        }
        guard (200..<300).contains(response.status) else { throw rejection(response, what) }
        guard let body = JSONValue.parse(response.text) else {
            throw GoogleError(code: .invalidResponse, status: response.status, message: "\(what): the answer is not JSON")
        }
        return body
    }

    /// `values.get`: the cells of `range` as text, rows as Google returns them (trailing empty cells and rows
    /// omitted; an empty range is `[]`).
    public func values(_ range: String) throws -> [[String]] {
        let url = self.spreadsheetURL + "/values/" + GoogleAuth.percentEncoded(range) + "?majorDimension=ROWS"
        let body = try self.send("GET", url, what: "values.get")
        return (body.objectValue?["values"]?.arrayValue ?? []).map { row in
            (row.arrayValue ?? []).map(Self.text)
        }
    }

    /// `values.update` (PUT) of one range.
    public func update(_ range: String, rows: [[String]]) throws {
        let url = self.spreadsheetURL + "/values/" + GoogleAuth.percentEncoded(range) + "?valueInputOption=RAW"
        _ = try self.send("PUT", url, json: JSONText.encode(ValueRange(range: range, values: rows)), what: "values.update")
    }

    /// `values:batchUpdate`: several ranges in one request, applied together. Returns `totalUpdatedRows`.
    @discardableResult
    public func batchUpdate(_ data: [(range: String, rows: [[String]])]) throws -> Int {
        let body = BatchUpdateValuesRequest(data: data.map { ValueRange(range: $0.range, values: $0.rows) })
        let answer = try self.send(
            "POST", self.spreadsheetURL + "/values:batchUpdate", json: JSONText.encode(body), what: "values.batchUpdate")
        return Int(answer.objectValue?["totalUpdatedRows"]?.stringValue ?? "") ?? 0
    }

    /// The spreadsheet's tabs with their grid sizes.
    public func sheets() throws -> [Sheet] {
        let body = try self.send("GET", self.spreadsheetURL + "?fields=sheets.properties", what: "spreadsheets.get")
        return (body.objectValue?["sheets"]?.arrayValue ?? []).compactMap { sheet in
            guard let properties = sheet.objectValue?["properties"]?.objectValue,
                let id = properties["sheetId"]?.stringValue.flatMap({ Int64($0) }),
                let title = properties["title"]?.stringValue
            else { return nil }
            let grid = properties["gridProperties"]?.objectValue
            return Sheet(
                id: id, title: title, rowCount: grid?["rowCount"]?.stringValue.flatMap { Int($0) } ?? 0,
                columnCount: grid?["columnCount"]?.stringValue.flatMap { Int($0) } ?? 0)
        }
    }

    /// Adds a tab (`addSheet`). Not idempotent: a repeat fails with 400 "already exists", which callers handle by
    /// reading `sheets()` again.
    public func addSheet(title: String, rowCount: Int, columnCount: Int) throws {
        let request = BatchUpdateRequest(requests: [
            .init(
                addSheet: .init(
                    properties: .init(
                        title: title, gridProperties: .init(rowCount: rowCount, columnCount: columnCount))))
        ])
        _ = try self.send(
            "POST", self.spreadsheetURL + ":batchUpdate", json: JSONText.encode(request), what: "spreadsheets.batchUpdate addSheet")
    }

    /// Sets a tab's grid size (`updateSheetProperties`): idempotent, unlike `appendDimension`. Values can only be
    /// written inside the grid ("exceeds grid limits" otherwise).
    public func resize(sheetID: Int64, rowCount: Int, columnCount: Int) throws {
        let request = BatchUpdateRequest(requests: [
            .init(
                updateSheetProperties: .init(
                    properties: .init(sheetId: sheetID, gridProperties: .init(rowCount: rowCount, columnCount: columnCount)),
                    fields: "gridProperties.rowCount,gridProperties.columnCount"))
        ])
        _ = try self.send(
            "POST", self.spreadsheetURL + ":batchUpdate", json: JSONText.encode(request), what: "spreadsheets.batchUpdate resize")
    }

    // MARK: Request bodies (Sheets API v4)

    /// A `ValueRange`: rows of cells as text.
    struct ValueRange: Encodable {
        var range: String
        var majorDimension = "ROWS"
        var values: [[String]]
    }

    /// The body of `values:batchUpdate`.
    struct BatchUpdateValuesRequest: Encodable {
        var valueInputOption = "RAW"
        var data: [ValueRange]
    }

    /// The body of `spreadsheets:batchUpdate` with the two requests this client makes.
    struct BatchUpdateRequest: Encodable {
        struct GridProperties: Encodable {
            var rowCount: Int
            var columnCount: Int
        }

        struct SheetProperties: Encodable {
            var sheetId: Int64?
            var title: String?
            var gridProperties: GridProperties
        }

        struct AddSheet: Encodable { var properties: SheetProperties }

        struct UpdateSheetProperties: Encodable {
            var properties: SheetProperties
            var fields: String
        }

        struct Request: Encodable {
            var addSheet: AddSheet?
            var updateSheetProperties: UpdateSheetProperties?
        }

        var requests: [Request]
    }

    /// A cell as text: formatted values are strings, but numbers and booleans are accepted too.
    private static func text(_ cell: JSONValue) -> String {
        switch cell {
        case .bool(let value): value ? "TRUE" : "FALSE"
        case .number(let value): value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        case .null: ""
        default: cell.stringValue ?? cell.serialized
        }
    }
}
