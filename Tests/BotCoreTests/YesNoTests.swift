import BotCore
import Testing

@Suite struct YesNoTests {
    @Test(arguments: [
        "да", "Да", "ДА!", "да.", "ага", "Конечно", "верно", "Всё верно", "все верно!", "подтверждаю", "ок",
        "Ок 👍", "+", "++", "да-да", "Да, всё так", "ооба", "Макул", "туура", "баары туура", "yes", "Y", "yep",
        "Sure!", "correct", "confirm", "OK", "okay", "👍", "👍🏽", "✅", "da", "Да, спасибо",
    ])
    func readsYes(input: String) {
        #expect(YesNo.parse(input) == .yes)
    }

    @Test(arguments: [
        "нет", "Нет.", "неа", "no", "N", "nope", "wrong", "жок", "Жок!", "👎", "-", "❌",
        // A negation next to a yes-word is still no.
        "не верно", "неверно", "нет, не так", "не правильно", "неправильно", "туура эмес", "not correct",
        "no, that's not right", "да нет", "не да", "не подтверждаю", "ок, но адрес другой", "да, но телефон другой",
        "yes but wrong phone", "👍👎", "конечно нет", "not ok", "don't confirm", "ооба эмес", "макул эмес",
        "Не, не надо", "ошибка", "net",
    ])
    func readsNoEvenWhenAYesWordIsPresent(input: String) {
        #expect(YesNo.parse(input) == .no)
    }

    @Test(arguments: [
        "", "   ", "может быть", "хм", "5", "ул. Киевская 95", "что?", "maybe", "?",
        "да я вообще хотел сначала спросить про цену воды и про доставку",
    ])
    func askAgainWhenTheAnswerIsUnclear(input: String) {
        #expect(YesNo.parse(input) == nil)
    }
}
