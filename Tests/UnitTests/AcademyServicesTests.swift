import BotCore
import Foundation
import Testing

@testable import Academy

/// What the dialog gets when booking and the AI are not configured: honest answers from the texts catalog.
@Suite("Academy services without booking or AI")
struct AcademyServicesTests {
    static let managerLink = "https://t.me/academy_manager_test"

    /// The repository's catalogs, found from this file (no stack needed).
    static func repositoryTexts() throws -> AcademyTexts {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try AcademySetup.loadTexts(directory: root.path + "/resources/texts")
    }

    @Test func theAIAnswerIsTheCatalogsUnavailableTextWithTheManagersLink() throws {
        let texts = try Self.repositoryTexts()
        let services = AcademyServices.unavailable(texts: texts, managerLink: Self.managerLink)
        for language in AcademyLanguage.allCases {
            let answer = services.askAI("Сколько длится урок?", 42, language)
            #expect(answer == texts.render(.aiUnavailable, language, ["manager": Self.managerLink]))
            #expect(answer.contains(Self.managerLink), "the parent can reach a person: \(answer)")
            #expect(!answer.contains("{"), "every placeholder is filled: \(answer)")
        }
    }
}
