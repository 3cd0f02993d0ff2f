/// Everything wrong with the configuration at once, each problem naming its variable.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    /// One missing or invalid variable.
    public struct Problem: Sendable, Equatable {
        public let variable: String
        public let message: String

        public init(variable: String, message: String) {
            self.variable = variable
            self.message = message
        }
    }

    public let problems: [Problem]

    public init(problems: [Problem]) { self.problems = problems }

    public var description: String {
        "invalid configuration:\n" + self.problems.map { "  \($0.variable): \($0.message)" }.joined(separator: "\n")
    }
}

/// Reads typed values out of an environment dictionary, collecting every problem instead of stopping at the first.
public struct EnvironmentReader {
    private let environment: [String: String]
    public private(set) var problems: [ConfigurationError.Problem] = []

    public init(_ environment: [String: String]) { self.environment = environment }

    private func raw(_ name: String) -> String? {
        guard let value = self.environment[name]?.trimmingSpaces, !value.isEmpty else { return nil }
        return value
    }

    mutating func fail(_ name: String, _ message: String) {
        self.problems.append(.init(variable: name, message: message))
    }

    /// A required string.
    public mutating func string(_ name: String) -> String {
        guard let value = self.raw(name) else {
            self.fail(name, "is required")
            return ""
        }
        return value
    }

    /// Optional daily hours `HH:MM-HH:MM` as minutes after midnight (the end may be past midnight, before the start).
    public mutating func dailyHours(_ name: String) -> (start: Int, end: Int)? {
        guard let value = self.raw(name) else { return nil }
        func minutes(_ clock: Substring) -> Int? {
            let pieces = clock.trimmingSpaces.split(separator: ":", omittingEmptySubsequences: false)
            guard pieces.count == 2, pieces.allSatisfy({ $0.count == 2 && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
                let hours = Int(pieces[0]), let minutes = Int(pieces[1]), minutes < 60, hours * 60 + minutes <= 1440
            else { return nil }
            return hours * 60 + minutes
        }
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let start = minutes(parts[0]), let end = minutes(parts[1]), start != end else {
            self.fail(name, "must be daily hours like 09:00-18:00")
            return nil
        }
        return (start, end)
    }

    /// An optional string with a default.
    public func string(_ name: String, default value: String) -> String { self.raw(name) ?? value }

    /// An optional string, nil when unset or empty.
    public func optionalString(_ name: String) -> String? { self.raw(name) }

    /// A secret that must be at least `minimumLength` characters (a short secret is guessable).
    public mutating func secret(_ name: String, minimumLength: Int = 16) -> String {
        let value = self.string(name)
        if !value.isEmpty && value.count < minimumLength {
            self.fail(name, "must be at least \(minimumLength) characters")
        }
        return value
    }

    /// An integer within a range.
    public mutating func int(_ name: String, default value: Int, range: ClosedRange<Int>) -> Int {
        guard let text = self.raw(name) else { return value }
        guard let number = Int(text), range.contains(number) else {
            self.fail(name, "must be an integer in \(range.lowerBound)...\(range.upperBound), got \"\(text)\"")
            return value
        }
        return number
    }

    /// A number of seconds (fractions allowed) within a range.
    public mutating func seconds(_ name: String, default value: Double, range: ClosedRange<Double>) -> Double {
        guard let text = self.raw(name) else { return value }
        guard let number = Double(text), range.contains(number) else {
            self.fail(name, "must be a number of seconds in \(range.lowerBound)...\(range.upperBound), got \"\(text)\"")
            return value
        }
        return number
    }

    /// A comma-separated list of seconds, e.g. `1,2,4`.
    public mutating func secondsList(_ name: String, default value: [Double]) -> [Double] {
        guard let text = self.raw(name) else { return value }
        let items = text.split(separator: ",").map { Double($0.trimmingSpaces) }
        guard !items.isEmpty, items.allSatisfy({ $0 != nil && $0! >= 0 && $0! <= 3600 }) else {
            self.fail(name, "must be a comma-separated list of seconds (0...3600), got \"\(text)\"")
            return value
        }
        return items.map { $0! }
    }

    /// A boolean: true/false, 1/0, yes/no, on/off.
    public mutating func bool(_ name: String, default value: Bool) -> Bool {
        guard let text = self.raw(name)?.lowercased() else { return value }
        switch text {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default:
            self.fail(name, "must be true or false, got \"\(text)\"")
            return value
        }
    }

    /// An http(s) URL without a trailing slash.
    public mutating func url(_ name: String, default value: String) -> String {
        let text = self.raw(name) ?? value
        guard text.hasPrefix("http://") || text.hasPrefix("https://"), text.count > 8 else {
            self.fail(name, "must be an http:// or https:// URL, got \"\(text)\"")
            return value
        }
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }

    /// Throws all collected problems, if any.
    public func validate() throws(ConfigurationError) {
        if !self.problems.isEmpty { throw ConfigurationError(problems: self.problems) }
    }
}

extension StringProtocol {
    /// The text without leading and trailing whitespace.
    public var trimmingSpaces: String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice = slice.dropFirst() }
        while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
        return String(slice)
    }
}
