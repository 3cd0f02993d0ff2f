import BotCore
import Testing

/// Registration answers as parents really type them: the value inside a sentence, in Russian, Kyrgyz and English.
@Suite struct AcademyFreeTextTests {
    // MARK: Email

    @Test(arguments: [
        ("моя почта anna@mail.ru спасибо", "anna@mail.ru"),
        ("Почта: Anna.Petrova@Gmail.com.", "anna.petrova@gmail.com"),
        ("my email is anna@example.com, thanks", "anna@example.com"),
        ("менин почтам aigerim@mail.kg", "aigerim@mail.kg"),
        ("вот: <olga@yandex.kz>", "olga@yandex.kz"),
        ("anna@mail.ru anna@mail.ru", "anna@mail.ru"),
        ("моя почта anna собака mail точка ru, спасибо", "anna@mail.ru"),
        ("it's anna at example dot com", "anna@example.com"),
        ("anna @ mail.ru", "anna@mail.ru"),
        ("anna.voice собака example точка com", "anna.voice@example.com"),
    ])
    func findsTheAddressInASentence(input: String, email: String) {
        #expect(EmailAddress.find(in: input) == .one(email))
    }

    @Test(arguments: [
        "моя почта", "у меня нет почты", "anna@gmail", "моя почта anna@@mail.ru", "I'm at home", "почта на gmail.com",
        "иван собака gmail точка ком",
    ])
    func findsNoAddressWhereThereIsNone(input: String) {
        #expect(EmailAddress.find(in: input) == .none)
    }

    @Test func twoAddressesAreAmbiguous() {
        #expect(EmailAddress.find(in: "anna@mail.ru или anna@gmail.com") == .several(["anna@mail.ru", "anna@gmail.com"]))
    }

    @Test(arguments: ["мояпочтаanna@mail.ruспасибо", "почтаanna@mail.ru", "anna@mail.ruспасибо", "anna@gmail.ком"])
    func wordsSqueezedIntoAnAddressAreRefused(input: String) {
        #expect(EmailAddress(input) == nil)
    }

    @Test(arguments: ["иван@почта.рф", "anna@почта.рф"])
    func singleScriptPartsAreStillAccepted(input: String) {
        #expect(EmailAddress(input)?.value == input)
    }

    @Test func emailInASentenceIsStoredAloneAndTheLookupStarts() {
        var chat = AcademyChat.at(.awaitingEmail)
        #expect(
            chat.text("моя почта anna@mail.ru спасибо")
                == [.lookupLead(email: "anna@mail.ru", phone: "+79990001122", deepLinkRef: nil)])
        #expect(chat.state.email == "anna@mail.ru")
    }

    @Test(arguments: ["anna@mail.ru или anna@gmail.com", "моя почта на мэйле", "мояпочтаanna@mail.ruспасибо"])
    func noOrTwoAddressesReprompt(input: String) {
        var chat = AcademyChat.at(.awaitingEmail)
        #expect(chat.text(input).keys == [.invalidEmail])
        #expect(chat.state.email == nil)
        #expect(chat.state.step == .awaitingEmail)
    }

    // MARK: Name

    @Test(arguments: [
        ("меня зовут Анна", "Анна"), ("Мен Айгерим", "Айгерим"), ("my name is Anna", "Anna"),
        ("Здравствуйте! Меня зовут Анна Петровна", "Анна Петровна"), ("Анна, спасибо", "Анна"),
        ("Меня зовут Анна. Спасибо", "Анна"), ("Менин атым Айгерим", "Айгерим"), ("I'm Anna-Maria", "Anna-Maria"),
        ("Имя: Ольга", "Ольга"), ("это Ольга", "Ольга"), ("Hi, this is John O'Neil", "John O'Neil"),
        ("Ж. Б.", "Ж. Б."), ("Анна", "Анна"), ("зовите меня Саша!", "Саша"),
        ("я мама Саши, меня зовут Анна, а мужа Пётр", "Анна"), ("зовут: Ольга, а мужа Пётр", "Ольга"),
    ])
    func findsTheIntroducedName(input: String, name: String) {
        #expect(PersonName.find(in: input)?.value == name)
    }

    @Test(arguments: [
        "меня зовут", "спасибо", "Анна2", "anna@example.com", "Анна, Ольга", "Анна или Ольга",
        "Я не хочу называть своё имя, пожалуйста не спрашивайте", "😀", "я мама Саши", "Сколько длится пробный урок?",
        "Сколько длится пробный урок", "how long is the lesson", "Ольга? Анна?",
    ])
    func findsNoNameWhenThereIsNoneOrTwo(input: String) {
        #expect(PersonName.find(in: input) == nil)
    }

    @Test func anIntroducedNameWinsOverOtherWords() {
        #expect(PersonName.find(in: "Анна или Ольга, меня зовут Анна")?.value == "Анна")
    }

    @Test func nameInASentenceIsStoredAlone() {
        var chat = AcademyChat.at(.awaitingName)
        let effects = chat.text("Здравствуйте! Меня зовут Анна")
        #expect(effects.keys == [.registered])
        #expect(chat.state.name == "Анна")
        #expect(effects.messages.first?.text.hasPrefix("Приятно познакомиться, Анна!") == true)
    }

    // MARK: Phone

    @Test(arguments: [
        ("мой номер +7 999 123-45-67", "+79991234567"), ("тел. 8 (999) 000-11-22, звоните вечером", "+79990001122"),
        ("my phone is +44 20 7946 0958", "+442079460958"), ("менин номерим +996 555 123 456", "+996555123456"),
        ("+7 999 000 11 22 это мой", "+79990001122"),
    ])
    func phoneInASentenceIsStoredAndEmailAsked(input: String, phone: String) {
        var chat = AcademyChat.at(.awaitingPhone)
        #expect(chat.text(input).keys == [.askEmail])
        #expect(chat.state.phone == phone)
    }

    @Test(arguments: ["+7 999 123-45-67 или +7 999 000-11-22", "позвоните мне", "ребёнку 7 лет"])
    func noOrTwoPhonesReprompt(input: String) {
        var chat = AcademyChat.at(.awaitingPhone)
        #expect(chat.text(input).keys == [.invalidPhone])
        #expect(chat.state.phone == nil)
    }

    // MARK: No step stores a value its own validator refuses

    static let answers: [String] = [
        "моя почта anna@mail.ru спасибо", "мояпочтаanna@mail.ruспасибо", "anna собака mail точка ru спасибо",
        "меня зовут Анна", "Мен Айгерим", "my name is Anna", "мой номер +7 999 123-45-67", "Ж. Б.", "Анна.",
        "+7 999 000 11 22, +7 999 000 11 22", "I'm at home", "Анна-", "anna@mail.ru.", " Анна  Петровна ",
        "зовут: Ольга, спасибо!", "8 999 000 11 22 2", "почта <a@b.co>",
    ]

    @Test(arguments: Self.answers)
    func storedValuesPassTheirValidators(input: String) {
        for step in [AcademyDialog.Step.awaitingPhone, .awaitingEmail, .awaitingName] {
            var chat = AcademyChat.at(step)
            chat.text(input)
            if let phone = chat.state.phone {
                #expect(PhoneNumber(phone)?.value == phone, "\(step): \(phone)")
            }
            if let email = chat.state.email {
                #expect(EmailAddress(email)?.value == email, "\(step): \(email)")
            }
            if let name = chat.state.name {
                #expect(PersonName(name)?.value == name, "\(step): \(name)")
            }
        }
    }
}
