import BotCore
import FoundationEssentials
import Testing

@Suite struct ShoroTextsTests {
    /// `/…/Tests/BotCoreTests/ShoroTextsTests.swift` → `/…/resources/texts`.
    static let textsDirectory = URL(filePath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appending(path: "resources/texts")

    static func fileData(_ language: ShoroLanguage) throws -> Data {
        try Data(contentsOf: Self.textsDirectory.appending(path: language.catalogFileName))
    }

    static func catalog(_ language: ShoroLanguage) throws -> [String: String] {
        try JSONDecoder().decode([String: String].self, from: Self.fileData(language))
    }

    static func bundledTexts() throws -> ShoroTexts {
        var json: [ShoroLanguage: Data] = [:]
        for language in ShoroLanguage.allCases {
            json[language] = try Self.fileData(language)
        }
        return try ShoroTexts(json: json)
    }

    static func json(_ catalog: [String: String]) throws -> Data {
        try JSONEncoder().encode(catalog)
    }

    @Test(arguments: ShoroLanguage.allCases)
    func languageFileHasEveryRequiredKey(language: ShoroLanguage) throws {
        let keys = Set(try Self.catalog(language).keys)
        let missing = Set(ShoroTexts.requiredKeys).subtracting(keys)
        #expect(missing.isEmpty, "\(language.catalogFileName) lacks \(missing.sorted())")
    }

    @Test(arguments: [ShoroLanguage.ky, .en])
    func translationHasTheSameKeysAsRussian(language: ShoroLanguage) throws {
        #expect(Set(try Self.catalog(language).keys) == Set(try Self.catalog(.ru).keys))
    }

    @Test func requiredKeysCoverEveryReplyOnce() {
        #expect(ShoroTexts.requiredKeys.count == 26)
        #expect(Set(ShoroTexts.requiredKeys).count == ShoroTexts.requiredKeys.count)
    }

    @Test func bundledCatalogLoads() throws {
        _ = try Self.bundledTexts()
    }

    @Test(arguments: ShoroLanguage.allCases)
    func everyReplyRendersWithoutLeftoverPlaceholders(language: ShoroLanguage) throws {
        let texts = try Self.bundledTexts()
        for reply in ShoroReply.samples {
            let text = texts.render(reply, language: language)
            #expect(!text.isEmpty)
            #expect(!text.contains("{") && !text.contains("}"), "\(reply.key) in \(language): \(text)")
        }
    }

    @Test(arguments: ShoroLanguage.allCases)
    func greetingNamesTheCompany(language: ShoroLanguage) throws {
        #expect(try Self.bundledTexts().render(.greeting, language: language).contains("Shoro"))
    }

    @Test func renderFillsSummaryPlaceholders() throws {
        let text = try Self.bundledTexts().render(
            .summary(address: "ул. Киевская 95", phone: "+996 555 123 456", bottles: 3), language: .ru
        )
        #expect(text.contains("Адрес: ул. Киевская 95"))
        #expect(text.contains("Телефон: +996 555 123 456"))
        #expect(text.contains("Количество бутылей: 3"))
    }

    @Test func renderStatesTheLimits() throws {
        let texts = try Self.bundledTexts()
        #expect(texts.render(.invalidBottles(min: 1, max: 50), language: .en).contains("from 1 to 50"))
        #expect(texts.render(.invalidAddress(minLength: 5, maxLength: 200), language: .ru).contains("от 5 до 200"))
        #expect(texts.render(.invalidPhone, language: .ky).contains("0555 123 456"))
    }

    @Test func textOnlyWrapsTheQuestion() throws {
        let texts = try Self.bundledTexts()
        let question = texts.render(.askPhone, language: .en)
        #expect(texts.render(.textOnly(.askPhone), language: .en) == "Please reply with text. \(question)")
    }

    @Test func customerTextIsNotExpandedAgain() throws {
        let reply = ShoroReply.askReuse(address: "{phone} 5", phone: "+996 555 123 456")
        let text = try Self.bundledTexts().render(reply, language: .en)
        #expect(text.hasPrefix("Deliver to {phone} 5 again, phone +996 555 123 456?"))
    }

    @Test func missingKeyThrowsNamingKeyAndLanguage() throws {
        var json = [ShoroLanguage: Data]()
        for language in ShoroLanguage.allCases {
            var catalog = try Self.catalog(language)
            if language == .ky { catalog["summary"] = nil }
            json[language] = try Self.json(catalog)
        }
        let error = #expect(throws: ShoroTextsError.self) { try ShoroTexts(json: json) }
        #expect(error == .missingKey("summary", language: .ky))
        #expect(error?.description.contains("'summary'") == true)
        #expect(error?.description.contains("shoro.ky.json") == true)
    }

    @Test func missingLanguageThrows() throws {
        let json: [ShoroLanguage: Data] = [.ru: try Self.fileData(.ru), .ky: try Self.fileData(.ky)]
        #expect(throws: ShoroTextsError.missingLanguage(.en)) { try ShoroTexts(json: json) }
    }

    @Test func droppedPlaceholderThrows() throws {
        var json = try Dictionary(uniqueKeysWithValues: ShoroLanguage.allCases.map { ($0, try Self.fileData($0)) })
        var catalog = try Self.catalog(.en)
        catalog["summary"] = "Address: {address}, phone: {phone}. OK?"
        json[.en] = try Self.json(catalog)
        #expect(throws: ShoroTextsError.missingPlaceholder("bottles", key: "summary", language: .en)) {
            try ShoroTexts(json: json)
        }
    }

    @Test func misspelledPlaceholderThrows() throws {
        var json = try Dictionary(uniqueKeysWithValues: ShoroLanguage.allCases.map { ($0, try Self.fileData($0)) })
        var catalog = try Self.catalog(.ru)
        catalog["invalidBottles"] = "От {min} до {maks}."
        json[.ru] = try Self.json(catalog)
        #expect(throws: ShoroTextsError.unknownPlaceholder("maks", key: "invalidBottles", language: .ru)) {
            try ShoroTexts(json: json)
        }
    }

    /// The same rules as the Academy's catalog (one `TextCatalog`): a misspelt key and an empty text are refused.
    @Test func anUnknownKeyOrAnEmptyTextThrows() throws {
        var json = try Dictionary(uniqueKeysWithValues: ShoroLanguage.allCases.map { ($0, try Self.fileData($0)) })
        var catalog = try Self.catalog(.ky)
        catalog["askAdress"] = "Дарегиңизди жазыңыз."
        json[.ky] = try Self.json(catalog)
        #expect(throws: ShoroTextsError.unknownKey("askAdress", language: .ky)) { try ShoroTexts(json: json) }
        catalog = try Self.catalog(.en)
        catalog["greeting"] = "  "
        json[.ky] = try Self.fileData(.ky)
        json[.en] = try Self.json(catalog)
        let error = #expect(throws: ShoroTextsError.self) { try ShoroTexts(json: json) }
        #expect(error == .emptyText("greeting", language: .en))
        #expect(error?.description == "Shoro texts: key 'greeting' in shoro.en.json is empty")
    }

    @Test func malformedJSONThrows() throws {
        var json = try Dictionary(uniqueKeysWithValues: ShoroLanguage.allCases.map { ($0, try Self.fileData($0)) })
        json[.ky] = Data("[\"not an object\"]".utf8)
        let error = #expect(throws: ShoroTextsError.self) { try ShoroTexts(json: json) }
        guard case .invalidJSON(.ky, _) = error else {
            Issue.record("expected invalidJSON for ky, got \(String(describing: error))")
            return
        }
    }
}
