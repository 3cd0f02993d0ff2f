import BotCore
import Testing

@Suite struct ShoroCommandTests {
    @Test(arguments: [
        "отмена", "Отмена!", "отменить", "Отменить заказ", "отменить заказ, пожалуйста", "стоп", "СТОП",
        "cancel", "Cancel my order", "stop", "/stop", "жокко чыгаруу", "токтот",
    ])
    func recognisesCancelWords(input: String) {
        #expect(ShoroCommand.parse(input) == .cancel)
    }

    @Test(arguments: [
        "/start", "заново", "Начать заново", "сначала", "restart", "start over", "Start over please",
        "кайра баштоо",
    ])
    func recognisesRestartWords(input: String) {
        #expect(ShoroCommand.parse(input) == .restart)
    }

    @Test(arguments: [
        "", "да", "ул. Стоп-Сигнальная 5", "нет, не отменяйте", "не надо отмена", "заказ", "пожалуйста",
        "stop by at 5", "3",
    ])
    func ignoresMessagesThatAreMoreThanACommand(input: String) {
        #expect(ShoroCommand.parse(input) == nil)
    }
}
