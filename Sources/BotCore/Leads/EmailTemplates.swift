/// The email chain's templates: `<template>.<language>.txt` (first line `Subject: ...`, a blank line,
/// then the text part) and `<template>.<language>.html`, for every template and language.
///
/// Placeholders are `{name}`; values are HTML-escaped in the HTML part. Loading validates every file
/// up front, so a broken translation stops the job at start-up rather than at a parent's inbox.
public struct EmailTemplates: Sendable {
    public static let templateNames = ["email1", "email2", "call_alert"]
    public static let languages = ["ru", "en"]
    public static let placeholders: Set<String> = ["name", "bot_link", "child_age", "phone", "email", "lead_id", "source"]

    public struct Rendered: Sendable, Equatable {
        public var subject: String
        public var text: String
        public var html: String
    }

    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public let file: String
        public let problem: String
        public var description: String { "\(self.file): \(self.problem)" }

        public init(file: String, problem: String) {
            self.file = file
            self.problem = problem
        }
    }

    private struct Template: Sendable {
        var subject: String
        var text: String
        var html: String
    }

    private let templates: [String: Template]

    /// - Parameter files: file name (e.g. `email1.ru.txt`) → contents.
    public init(files: [String: String]) throws(Invalid) {
        var templates: [String: Template] = [:]
        for name in Self.templateNames {
            for language in Self.languages {
                let base = "\(name).\(language)"
                guard let text = files[base + ".txt"] else { throw Invalid(file: base + ".txt", problem: "missing") }
                guard let html = files[base + ".html"] else { throw Invalid(file: base + ".html", problem: "missing") }
                let lines = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
                guard let first = lines.first, first.hasPrefix("Subject:") else {
                    throw Invalid(file: base + ".txt", problem: "the first line must be 'Subject: ...'")
                }
                let subject = first.dropFirst("Subject:".count).trimmingCharacters(" \t\r")
                guard !subject.isEmpty else { throw Invalid(file: base + ".txt", problem: "the subject is empty") }
                let body = lines.count > 1 ? String(lines[1]).trimmingCharacters(" \t\r\n") : ""
                guard !body.isEmpty else { throw Invalid(file: base + ".txt", problem: "the text is empty") }
                for (file, content) in [(base + ".txt", text), (base + ".html", html)] {
                    if let unknown = Self.placeholderNames(in: content).subtracting(Self.placeholders).sorted().first {
                        throw Invalid(file: file, problem: "unknown placeholder {\(unknown)}")
                    }
                }
                templates[base] = Template(subject: subject, text: body + "\n", html: html)
            }
        }
        self.templates = templates
    }

    /// The template in `language` (falling back to Russian) with `values` filled in.
    public func render(_ name: String, language: String, values: [String: String]) -> Rendered? {
        guard let template = self.templates["\(name).\(language)"] ?? self.templates["\(name).ru"] else { return nil }
        return Rendered(
            subject: Self.fill(template.subject, values, escape: false),
            text: Self.fill(template.text, values, escape: false),
            html: Self.fill(template.html, values, escape: true))
    }

    /// Fills every known placeholder (a missing value becomes empty), HTML-escaping values when asked.
    static func fill(_ template: String, _ values: [String: String], escape: Bool) -> String {
        var complete: [String: String] = [:]
        for name in Self.placeholders { complete[name] = escape ? Self.escapeHTML(values[name] ?? "") : values[name] ?? "" }
        return TextTemplate.fill(template, with: complete)
    }

    /// Placeholder-like names in a template (CSS or other braces that are not `{name}` are ignored).
    static func placeholderNames(in template: String) -> Set<String> {
        TextTemplate.placeholders(in: template).filter { !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0 == "_" } }
    }

    public static func escapeHTML(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }
}
