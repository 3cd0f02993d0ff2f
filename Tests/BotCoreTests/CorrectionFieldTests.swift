import BotCore
import Testing

@Suite struct CorrectionFieldTests {
    @Test(arguments: [
        ("1", CorrectionField.address), ("1.", .address), ("адрес", .address), ("Изменить адрес", .address),
        ("дарек", .address), ("address", .address),
        ("2", .phone), ("телефон", .phone), ("номер телефона", .phone), ("phone", .phone),
        ("3", .bottles), ("количество", .bottles), ("кол-во бутылей", .bottles), ("бутыли", .bottles),
        ("бөтөлкө", .bottles), ("bottles", .bottles),
        ("4", .startOver), ("сначала", .startOver), ("кайра", .startOver),
    ])
    func readsTheFieldToChange(input: String, expected: CorrectionField) {
        #expect(CorrectionField.parse(input) == expected)
    }

    @Test(arguments: ["", "5", "всё", "адрес и телефон", "1 или 2", "не знаю"])
    func askAgainWhenNoneOrSeveralFieldsAreNamed(input: String) {
        #expect(CorrectionField.parse(input) == nil)
    }
}
