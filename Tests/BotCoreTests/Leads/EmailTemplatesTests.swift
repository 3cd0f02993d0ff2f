import BotCore
import Foundation
import Testing

@Suite struct EmailTemplatesTests {
    /// The shipped templates in resources/emails.
    static func shippedFiles() throws -> [String: String] {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("resources/emails")
        var files: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            files[name] = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        }
        return files
    }

    @Test func theShippedTemplatesLoadAndCarryTheNameAndTheBotLink() throws {
        let templates = try EmailTemplates(files: try Self.shippedFiles())
        for language in EmailTemplates.languages {
            for name in ["email1", "email2"] {
                let rendered = try #require(
                    templates.render(
                        name, language: language,
                        values: [
                            "name": "Анна <script>", "bot_link": "https://t.me/AcademyBot?start=lead_42",
                        ]))
                #expect(!rendered.subject.isEmpty)
                #expect(rendered.text.contains("Анна <script>"))
                #expect(rendered.text.contains("https://t.me/AcademyBot?start=lead_42"))
                #expect(rendered.html.contains("Анна &lt;script&gt;"), "HTML values are escaped")
                #expect(rendered.html.contains("href=\"https://t.me/AcademyBot?start=lead_42\""))
                #expect(!rendered.html.contains("{"), "no placeholder left: \(rendered.html)")
            }
        }
        let alert = try #require(templates.render("call_alert", language: "ru", values: ["lead_id": "42", "phone": "+79990001122"]))
        #expect(alert.subject.contains("#42"))
        #expect(alert.text.contains("+79990001122"))
        #expect(
            templates.render("email1", language: "kk", values: [:])?.subject
                == templates.render("email1", language: "ru", values: [:])?.subject)
    }

    @Test func aMissingFileOrAnUnknownPlaceholderIsReportedByFile() throws {
        var files = try Self.shippedFiles()
        files["email2.en.html"] = nil
        #expect(throws: EmailTemplates.Invalid(file: "email2.en.html", problem: "missing")) { try EmailTemplates(files: files) }
        files = try Self.shippedFiles()
        files["email1.ru.txt"] = "Subject: Hi {nmae}\n\nText"
        #expect(throws: EmailTemplates.Invalid(file: "email1.ru.txt", problem: "unknown placeholder {nmae}")) {
            try EmailTemplates(files: files)
        }
        files["email1.ru.txt"] = "Hello\n\nText"
        #expect(throws: EmailTemplates.Invalid(file: "email1.ru.txt", problem: "the first line must be 'Subject: ...'")) {
            try EmailTemplates(files: files)
        }
    }
}
