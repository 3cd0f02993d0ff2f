public import FoundationEssentials

/// One row of a result, copied out of libpq (text format). Columns are read by name or index.
public struct PostgresRow: Sendable {
    let columns: [String: Int]
    let values: [String?]

    /// The raw text value of a column, `nil` for SQL NULL.
    public subscript(_ name: String) -> String? {
        guard let index = self.columns[name] else { return nil }
        return self.values[index]
    }

    /// The raw text value at a position.
    public subscript(_ index: Int) -> String? { self.values[index] }

    /// Decodes a non-null column, throwing a `decodingFailed` error that names the column.
    public func decode<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws(PostgresError) -> T {
        guard self.columns[name] != nil else {
            throw PostgresError(code: .decodingFailed, message: "no column \(name)")
        }
        guard let text = self[name] else {
            throw PostgresError(code: .decodingFailed, message: "column \(name) is NULL")
        }
        guard let value = T(postgresText: text) else {
            throw PostgresError(code: .decodingFailed, message: "column \(name) is not \(T.self)")
        }
        return value
    }

    /// Decodes a nullable column.
    public func decodeIfPresent<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws(PostgresError) -> T? {
        guard self[name] != nil else { return nil }
        return try self.decode(name, as: type)
    }
}

/// A Swift type that can be read from PostgreSQL's text representation.
public protocol PostgresDecodable {
    init?(postgresText: String)
}

extension String: PostgresDecodable {
    public init?(postgresText: String) { self = postgresText }
}

extension Int: PostgresDecodable {
    public init?(postgresText: String) { self.init(postgresText) }
}

extension Int64: PostgresDecodable {
    public init?(postgresText: String) { self.init(postgresText) }
}

extension Double: PostgresDecodable {
    public init?(postgresText: String) { self.init(postgresText) }
}

extension Bool: PostgresDecodable {
    public init?(postgresText: String) {
        switch postgresText {
        case "t", "true": self = true
        case "f", "false": self = false
        default: return nil
        }
    }
}

extension Date: PostgresDecodable {
    /// Reads a `timestamptz` sent as epoch seconds: select `extract(epoch from col)` and decode that.
    public init?(postgresText: String) {
        guard let seconds = Double(postgresText) else { return nil }
        self.init(timeIntervalSince1970: seconds)
    }
}
