import BotCore
import Testing

@Suite struct LanguageDetectorTests {
    @Test(arguments: [
        ("Здравствуйте", ShoroLanguage.ru), ("хочу воду", .ru), ("Салам", .ky), ("саламатсызбы", .ky),
        ("Ооба", .ky), ("жок", .ky), ("рахмат", .ky), ("суу керек", .ky), ("Үйгө алып келиңиз", .ky),
        ("Hello", .en), ("yes please", .en), ("Ахунбаева 12", .ru), ("Manas 12", .en), ("ok", .en),
    ])
    func guessesTheLanguage(input: String, expected: ShoroLanguage) {
        #expect(LanguageDetector.guess(input)?.language == expected)
    }

    @Test(arguments: ["", "12345", "+996 555 123 456", "👍", "?!", "5 / 6"])
    func hasNoGuessWithoutLetters(input: String) {
        #expect(LanguageDetector.guess(input) == nil)
    }

    @Test(arguments: [
        ("Ахунбаева 12", ShoroLanguage.ky, ShoroLanguage.ky),  // a street name is not a clear switch
        ("Manas 12", .ru, .ru),
        ("ok", .ru, .ru),
        ("да", .ky, .ru),
        ("hello", .ru, .en),
        ("ооба", .en, .ky),
        ("Чүй 100", .ru, .ky),
    ])
    func switchesASettledLanguageOnlyOnClearSigns(input: String, current: ShoroLanguage, expected: ShoroLanguage) {
        #expect(LanguageDetector.next(after: input, current: current, settled: true) == expected)
    }

    @Test func anyGuessSetsTheLanguageWhileUnsettled() {
        #expect(LanguageDetector.next(after: "Manas 12", current: .ru, settled: false) == .en)
        #expect(LanguageDetector.next(after: "123", current: .ru, settled: false) == .ru)
    }
}
