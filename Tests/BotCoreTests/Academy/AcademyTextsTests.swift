import BotCore
import FoundationEssentials
import Testing

@Suite struct AcademyTextsTests {
    static func json(_ catalog: [String: String]) throws -> Data { try JSONEncoder().encode(catalog) }

    static func files(
        changing language: AcademyLanguage,
        _ change: (inout [String: String]) -> Void
    ) throws
        -> [AcademyLanguage: Data]
    {
        var files = try AcademyFixtures.allFiles()
        var catalog = try AcademyFixtures.catalog(language)
        change(&catalog)
        files[language] = try Self.json(catalog)
        return files
    }

    @Test func bundledCatalogsLoad() throws {
        _ = try AcademyTexts(json: try AcademyFixtures.allFiles())
    }

    @Test(arguments: AcademyLanguage.allCases)
    func everyKeyIsPresent(language: AcademyLanguage) throws {
        let keys = Set(try AcademyFixtures.catalog(language).keys)
        #expect(keys == Set(AcademyTextKey.allCases.map(\.rawValue)))
    }

    @Test func bothLanguagesHaveTheSameKeysAndPlaceholders() throws {
        let ru = try AcademyFixtures.catalog(.ru), en = try AcademyFixtures.catalog(.en)
        #expect(Set(ru.keys) == Set(en.keys))
        for key in AcademyTextKey.allCases {
            let ruPlaceholders = Self.placeholders(ru[key.rawValue] ?? "")
            #expect(ruPlaceholders == Self.placeholders(en[key.rawValue] ?? ""), "\(key)")
            #expect(ruPlaceholders == key.placeholders, "\(key)")
        }
    }

    @Test(arguments: AcademyLanguage.allCases)
    func everyTextRendersWithoutLeftoverPlaceholders(language: AcademyLanguage) {
        for key in AcademyTextKey.allCases {
            let values = Dictionary(uniqueKeysWithValues: key.placeholders.map { ($0, "X") })
            let text = AcademyFixtures.texts.render(key, language, values)
            #expect(!text.contains("{") && !text.contains("}"), "\(key): \(text)")
        }
    }

    @Test(arguments: AcademyLanguage.allCases)
    func callbackAnswersFitTelegramsLimit(language: AcademyLanguage) {
        for key in AcademyTextKey.callbackAnswers {
            #expect(AcademyFixtures.texts.render(key, language).count <= 200)
        }
    }

    @Test func weekdaysAreSevenNamesMondayFirst() {
        #expect(AcademyFixtures.texts.weekdays(.ru) == ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"])
        #expect(AcademyFixtures.texts.weekdays(.en).first == "Mon")
    }

    @Test func errorTextNamesTheManagerLink() {
        let message = AcademyFixtures.dialog.errorMessage(language: .ru)
        #expect(message.key == .somethingWentWrong)
        #expect(
            message.text == "Что-то пошло не так. Попробуйте /start или напишите менеджеру: https://t.me/allin_manager"
        )
        #expect(AcademyFixtures.dialog.errorMessage(language: .en).text.hasPrefix("Something went wrong. Try /start"))
    }

    @Test func userTextIsNotExpandedAgain() {
        let text = AcademyFixtures.texts.render(.registered, .en, ["name": "{manager}"])
        #expect(text.hasPrefix("Nice to meet you, {manager}!"))
    }

    @Test func missingLanguageThrows() throws {
        var files = try AcademyFixtures.allFiles()
        files[.en] = nil
        #expect(throws: AcademyTextsError.missingLanguage(.en)) { try AcademyTexts(json: files) }
    }

    @Test func missingKeyThrowsNamingFileAndKey() throws {
        let files = try Self.files(changing: .en) { $0["booked"] = nil }
        let error = #expect(throws: AcademyTextsError.self) { try AcademyTexts(json: files) }
        #expect(error == .missingKey("booked", language: .en))
        #expect(error?.description.contains("academy.en.json") == true)
    }

    @Test func unknownKeyThrows() throws {
        let files = try Self.files(changing: .ru) { $0["bookd"] = "опечатка" }
        #expect(throws: AcademyTextsError.unknownKey("bookd", language: .ru)) { try AcademyTexts(json: files) }
    }

    @Test func droppedPlaceholderThrows() throws {
        let files = try Self.files(changing: .ru) { $0["booked"] = "Готово! {date} {time}" }
        #expect(throws: AcademyTextsError.missingPlaceholder("link", key: "booked", language: .ru)) {
            try AcademyTexts(json: files)
        }
    }

    @Test func misspelledPlaceholderThrows() throws {
        let files = try Self.files(changing: .en) { $0["registered"] = "Hi {nmae}" }
        #expect(throws: AcademyTextsError.unknownPlaceholder("nmae", key: "registered", language: .en)) {
            try AcademyTexts(json: files)
        }
    }

    @Test func emptyTextThrows() throws {
        let files = try Self.files(changing: .en) { $0["buttonYes"] = "  " }
        #expect(throws: AcademyTextsError.emptyText("buttonYes", language: .en)) { try AcademyTexts(json: files) }
    }

    @Test func wrongWeekdayCountThrows() throws {
        let files = try Self.files(changing: .en) { $0["weekdays"] = "Mon Tue Wed" }
        #expect(throws: AcademyTextsError.invalidWeekdays(.en)) { try AcademyTexts(json: files) }
    }

    @Test func malformedJSONThrows() throws {
        var files = try AcademyFixtures.allFiles()
        files[.ru] = Data("{\"welcome\": 1}".utf8)
        let error = #expect(throws: AcademyTextsError.self) { try AcademyTexts(json: files) }
        guard case .invalidJSON(.ru, _) = error else {
            Issue.record("expected invalidJSON for ru, got \(String(describing: error))")
            return
        }
    }

    private static func placeholders(_ template: String) -> Set<String> {
        var names: Set<String> = []
        var rest = template[...]
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            names.insert(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return names
    }
}

@Suite struct AcademyLanguageTests {
    @Test(arguments: [
        ("ru", AcademyLanguage.ru), ("en", .en), ("en-GB", .en), ("EN-us", .en), ("uk", .ru), ("de", .ru), ("", .ru),
    ])
    func followsTheClientLanguage(code: String, expected: AcademyLanguage) {
        #expect(AcademyLanguage(languageCode: code) == expected)
    }

    @Test func defaultsToRussianWithoutACode() {
        #expect(AcademyLanguage(languageCode: nil) == .ru)
    }
}
