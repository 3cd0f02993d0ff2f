import Platform

/// Where each lead's row is on the sheet, from the key column (lead ids in column A, header in row 1).
///
/// The key column, not the stored `sheet_row`, decides: a lead whose id is already in column A is updated in place
/// (also when the write that put it there lost its answer and the database never learned the row), and a lead
/// that is not there gets the next row after the last non-empty cell of column A. Pure; tested without Google.
public struct SheetsLayout: Sendable, Equatable {
    /// The row (1-based) of each lead id found in column A; the first occurrence wins.
    public private(set) var rowsByLead: [Int64: Int] = [:]
    /// The first row after everything in column A (never the header row).
    public private(set) var nextRow: Int
    /// Ids that appear in column A more than once (left alone: a person may have copied a row).
    public private(set) var duplicates: [Int64] = []

    /// - Parameter columnA: `values.get` of `A:A` (row 1 first; trailing empty rows already omitted by Google).
    public init(columnA: [[String]]) {
        for (index, row) in columnA.enumerated() where index > 0 {
            guard let cell = row.first, let id = Int64(cell.trimmingSpaces) else { continue }
            if self.rowsByLead[id] == nil { self.rowsByLead[id] = index + 1 } else { self.duplicates.append(id) }
        }
        self.nextRow = max(2, columnA.count + 1)
    }

    /// The row for `leadID`, reserving a new one when the id is not on the sheet yet.
    public mutating func place(_ leadID: Int64) -> (row: Int, isNew: Bool) {
        if let row = self.rowsByLead[leadID] { return (row, false) }
        let row = self.nextRow
        self.rowsByLead[leadID] = row
        self.nextRow += 1
        return (row, true)
    }
}
