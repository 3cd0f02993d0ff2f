import BotCore
import Testing

@Suite struct EmailAddressTests {
    @Test(arguments: [
        ("ivan@example.com", "ivan@example.com"),
        ("  Ivan.Petrov@Mail.RU ", "ivan.petrov@mail.ru"),
        ("mailto:anna+kids@gmail.com", "anna+kids@gmail.com"),
        ("<olga@yandex.kz>", "olga@yandex.kz"),
        ("a_b-c@sub.domain.co.uk", "a_b-c@sub.domain.co.uk"),
    ])
    func accepts(raw: String, expected: String) {
        #expect(EmailAddress(raw)?.value == expected)
    }

    @Test(arguments: [
        "", "ivan", "ivan@gmail", "ivan@@mail.ru", "ivan gmail.com", "ivan@mail.ru.", "@mail.ru",
        "ivan@mail..ru", "ivan@-mail.ru", "iv an@mail.ru", "ivan@mail.r", "ivan@mail.ru, anna@mail.ru",
        ".ivan@mail.ru", "ivan@mail.123",
    ])
    func rejects(raw: String) {
        #expect(EmailAddress(raw) == nil)
    }
}

@Suite struct PhoneNumberTests {
    @Test(arguments: [
        ("+7 (999) 000-11-22", "+79990001122"),
        ("8 999 000 11 22", "+79990001122"),
        ("9990001122", "+79990001122"),
        ("+996 555 123 456", "+996555123456"),
        ("00996555123456", "+996555123456"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+1.415.555.2671", "+14155552671"),
    ])
    func accepts(raw: String, expected: String) {
        #expect(PhoneNumber(raw)?.value == expected)
    }

    @Test(arguments: [
        "", "12345", "+7 999 abc 11 22", "phone: 89990001122", "++79990001122", "+0123456789",
        "1234567890123456", "7+9990001122",
    ])
    func rejects(raw: String) {
        #expect(PhoneNumber(raw) == nil)
    }
}
