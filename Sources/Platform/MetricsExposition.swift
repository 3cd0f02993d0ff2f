/// The Prometheus text exposition format (version 0.0.4): `# HELP` / `# TYPE` lines, then one line per sample.
///
/// Written here instead of taken from swift-prometheus: that package keeps every counter and histogram in the
/// process's memory and can only `increment`/`record`, while here counters and histogram buckets are summed in
/// Redis by every process on every host and only *read* at scrape time — a histogram cannot be loaded from
/// stored bucket counts there. What is needed is the text format alone, which this file is.
public enum MetricsExposition {
    public enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    /// One metric family: its name, help text, type and samples.
    public struct Family: Sendable, Equatable {
        public var name: String
        public var help: String
        public var kind: Kind
        public var samples: [Sample]

        public init(_ name: String, _ kind: Kind, help: String, samples: [Sample] = []) {
            self.name = name
            self.help = help
            self.kind = kind
            self.samples = samples
        }
    }

    /// One line: the family name plus `suffix` (`_bucket`, `_sum`, `_count` for histograms), labels and a value.
    public struct Sample: Sendable, Equatable {
        public var suffix: String
        public var labels: [(String, String)]
        public var value: Double

        public init(suffix: String = "", labels: [(String, String)] = [], value: Double) {
            self.suffix = suffix
            self.labels = labels
            self.value = value
        }

        public static func == (lhs: Sample, rhs: Sample) -> Bool {
            lhs.suffix == rhs.suffix && lhs.value == rhs.value && lhs.labels.map { [$0.0, $0.1] } == rhs.labels.map { [$0.0, $0.1] }
        }
    }

    /// The whole exposition, families in the given order, each introduced by its HELP and TYPE lines.
    public static func render(_ families: [Family]) -> String {
        var text = ""
        for family in families {
            text += "# HELP \(family.name) \(self.escapeHelp(family.help))\n"
            text += "# TYPE \(family.name) \(family.kind.rawValue)\n"
            for sample in family.samples {
                text += family.name + sample.suffix + self.labelSet(sample.labels) + " " + self.format(sample.value) + "\n"
            }
        }
        return text
    }

    /// `{a="x",b="y"}`, or nothing for no labels.
    public static func labelSet(_ labels: [(String, String)]) -> String {
        labels.isEmpty ? "" : "{" + labels.map { "\($0.0)=\"\(self.escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
    }

    /// A label value: backslash, double quote and line feed escaped.
    public static func escapeLabel(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    /// A HELP text: backslash and line feed escaped (quotes stay).
    public static func escapeHelp(_ value: String) -> String {
        value.replacingAll("\\", with: "\\\\").replacingAll("\n", with: "\\n")
    }

    /// A sample value as Prometheus reads it: integers without a fraction, `+Inf`, `-Inf`, `NaN`.
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == .infinity { return "+Inf" }
        if value == -.infinity { return "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// The samples of one histogram (per label set): cumulative `_bucket` lines in increasing `le` ending with
    /// `le="+Inf"`, then `_sum` and `_count`. `counts` holds the cumulative count per upper bound.
    public static func histogramSamples(
        labels: [(String, String)], bounds: [Double], cumulativeCounts: [Double], sum: Double, count: Double
    ) -> [Sample] {
        var samples = zip(bounds, cumulativeCounts).map { bound, value in
            Sample(suffix: "_bucket", labels: labels + [("le", self.format(bound))], value: value)
        }
        samples.append(Sample(suffix: "_bucket", labels: labels + [("le", "+Inf")], value: count))
        samples.append(Sample(suffix: "_sum", labels: labels, value: sum))
        samples.append(Sample(suffix: "_count", labels: labels, value: count))
        return samples
    }
}

extension String {
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for character in self { if character == target { out += replacement } else { out.append(character) } }
        return out
    }
}
