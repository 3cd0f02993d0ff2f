import BotCore
import Testing

@Suite struct BottleCountTests {
    @Test(arguments: [
        ("5", 5), ("5 бутылей", 5), ("5шт", 5), ("5 шт.", 5), ("пять", 5), ("five", 5), ("беш", 5),
        ("1", 1), ("50", 50), ("две бутыли", 2), ("одну", 1), ("Три!", 3), ("двадцать пять", 25),
        ("twenty-five", 25), ("twenty five", 25), ("жыйырма беш", 25), ("он эки", 12), ("он", 10),
        ("элүү", 50), ("пятьдесят", 50), ("сорок два", 42), ("eleven", 11), ("девятнадцать", 19),
        ("  7  ", 7), ("10 штук пожалуйста", 10), ("2 бутыли по 19 л", 2), ("19-литровых 3 штуки", 3),
        ("3 бөтөлкө", 3), ("5 5", 5), ("пять (5)", 5), ("Шесть бутылей", 6), ("үч", 3), ("отуз", 30),
    ])
    func readsCounts(input: String, expected: Int) {
        #expect(BottleCount.parse(input) == .count(expected))
    }

    @Test(arguments: [
        ("0", 0), ("51", 51), ("-3", -3), ("100 бутылей", 100), ("ноль", 0), ("zero", 0),
        ("сто", 100), ("жүз", 100), ("0555123456", Int.max), ("−5", -5),
    ])
    func reportsCountsOutsideOneToFifty(input: String, expected: Int) {
        #expect(BottleCount.parse(input) == .outOfRange(expected))
    }

    @Test(arguments: [
        "", "много", "не знаю", "2-3", "2 или 3", "1.5", "5 или шесть", "бутыли", "19 л", "👍", "пару",
        "two or three",
    ])
    func cannotReadAmbiguousOrMissingCounts(input: String) {
        #expect(BottleCount.parse(input) == .unreadable)
    }

    @Test func allowedRangeIsOneToFifty() {
        #expect(BottleCount.allowed == 1...50)
    }
}
