import FoundationEssentials

/// The one environment file (`KEY=value` lines) merged under the process environment.
public enum EnvironmentFile {
    /// Parses `KEY=value` lines: `#` comments, blank lines, optional `export `, single or double quotes.
    public static func parse(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            var entry = line.trimmingSpaces
            if entry.isEmpty || entry.hasPrefix("#") { continue }
            if entry.hasPrefix("export ") { entry = String(entry.dropFirst(7)).trimmingSpaces }
            guard let equals = entry.firstIndex(of: "=") else { continue }
            let key = entry[..<equals].trimmingSpaces
            var value = entry[entry.index(after: equals)...].trimmingSpaces
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            values[key] = value
        }
        return values
    }

    /// The effective environment: the file named by `CHATBOTS_ENV_FILE` (if set), overridden by the process environment.
    public static func effectiveEnvironment(process: [String: String]) throws(ConfigurationError) -> [String: String] {
        guard let path = process["CHATBOTS_ENV_FILE"], !path.isEmpty else { return process }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(problems: [.init(variable: "CHATBOTS_ENV_FILE", message: "cannot read \(path)")])
        }
        return self.parse(String(decoding: data, as: UTF8.self)).merging(process) { _, fromProcess in fromProcess }
    }
}
