import BotCore
import Testing

@Suite struct ShoroAddressTests {
    @Test(arguments: [
        ("ул. Киевская 95, кв. 12", "ул. Киевская 95, кв. 12"),
        ("  мкр   Джал  23,\n дом 5  ", "мкр Джал 23, дом 5"),
        ("Ахунбаева 12", "Ахунбаева 12"),
        ("Чүй 100", "Чүй 100"),
        ("12 Manas Ave", "12 Manas Ave"),
        ("Токтогула 1", "Токтогула 1"),
    ])
    func acceptsAndCollapsesAddresses(input: String, expected: String) {
        #expect(ShoroAddress.validate(input) == .valid(expected))
    }

    @Test func acceptsExactlyMinimumAndMaximumLength() {
        #expect(ShoroAddress.validate("ул 12") == .valid("ул 12"))
        let longest = "д" + String(repeating: "1", count: 199)
        #expect(ShoroAddress.validate(longest) == .valid(longest))
    }

    @Test(arguments: [
        ("", ShoroAddress.Result.tooShort), ("ул 5", .tooShort), ("   a   b  ", .tooShort),
        ("д" + String(repeating: "1", count: 200), .tooLong), ("12345 67", .noLetters), ("+996 555", .noLetters),
        ("Здравствуйте", .notAnAddress), ("Добрый день!", .notAnAddress), ("хочу заказать воду", .notAnAddress),
        ("салам", .notAnAddress), ("Hello, I want to order water", .notAnAddress),
    ])
    func rejectsWhatIsNotAnAddress(input: String, expected: ShoroAddress.Result) {
        #expect(ShoroAddress.validate(input) == expected)
    }
}
