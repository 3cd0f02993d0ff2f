import BotCore
import Testing

/// Answers as customers really type them: the value inside a sentence, in Russian, Kyrgyz and English, at every step.
@Suite struct ShoroFreeTextTests {
    // MARK: Phone

    @Test(arguments: [
        ("мой номер 0555 12 34 56", "+996555123456"),
        ("0700123456 это мой", "+996700123456"),
        ("тел: +996 555 123456, звоните после шести", "+996555123456"),
        ("Телефон: 0555-12-34-56.", "+996555123456"),
        ("звоните на 0777 123 456 в любое время", "+996777123456"),
        ("номер 0555123456, повторяю: 0555 123 456", "+996555123456"),
        ("менин номерим 0555 123 456", "+996555123456"),
        ("номерим: +996 (700) 12-34-56 рахмат", "+996700123456"),
        ("my number is 0555 123 456, thanks", "+996555123456"),
        ("call me at +996555123456 after 6pm", "+996555123456"),
        ("3 бутылки, номер 0555123456", "+996555123456"),
        ("0555 123 456 доб. 2", "+996555123456"),
    ])
    func findsTheOneNumberInASentence(input: String, phone: String) {
        #expect(KyrgyzPhone.find(in: input) == .one(phone))
    }

    @Test(arguments: [
        "мой номер", "после шести", "0555 12", "+7 701 123 4567", "8 555 123 456", "+7 555 123 456",
        "ул. Киевская 95, кв. 12", "my phone is broken", "",
    ])
    func findsNoNumberWhereThereIsNone(input: String) {
        #expect(KyrgyzPhone.find(in: input) == .none)
    }

    @Test func twoDifferentNumbersAreAmbiguous() {
        #expect(KyrgyzPhone.find(in: "0555123456 или 0700 123 456") == .several(["+996555123456", "+996700123456"]))
        #expect(KyrgyzPhone.find(in: "мой 0555123456, жены 0777111222").value == nil)
    }

    @Test(arguments: [
        "мой номер 0555 12 34 56", "0700123456 это мой", "тел: +996 555 123456, звоните после шести",
        "менин номерим 0555 123 456", "my number is 0555 123 456, thanks",
    ])
    func phoneInASentenceIsTakenAndBottlesAreAsked(input: String) {
        var conversation = Conversation.at(.waitingPhone)
        #expect(conversation.send(input) == [.reply(.askBottles)])
        #expect(conversation.dialog.state == .waitingBottles)
        #expect(conversation.dialog.phone.flatMap(KyrgyzPhone.normalize) == conversation.dialog.phone)
    }

    @Test(arguments: ["0555123456 или 0700123456", "мой номер не помню", "+7 701 123 4567 это мой", "звоните после 6"])
    func noOrTwoNumbersRepromptWithTheExample(input: String) throws {
        var conversation = Conversation.at(.waitingPhone)
        #expect(conversation.send(input) == [.reply(.invalidPhone)])
        #expect(conversation.dialog.phone == nil)
        let texts = try ShoroTextsTests.bundledTexts()
        for language in ShoroLanguage.allCases {
            #expect(texts.render(.invalidPhone, language: language).contains("0555 123 456"))
        }
    }

    // MARK: Bottles

    @Test(arguments: [
        ("мне 3 бутылки пожалуйста", 3), ("эки бөтөлкө", 2), ("two please", 2), ("Привезите 5 штук", 5),
        ("3 бутылки, дом 95", 3), ("2 шт, после 5 вечера", 2), ("3 бутылки, номер 0555123456", 3),
        ("беш бөтөлкө керек", 5), ("I need four bottles", 4), ("4 bottles, flat 12", 4), ("давайте две", 2),
        ("нам нужно десять бутылей по 19 л", 10), ("үч даана", 3), ("одну бутылку, спасибо", 1),
    ])
    func readsTheCountInASentence(input: String, count: Int) {
        #expect(BottleCount.parse(input) == .count(count))
    }

    @Test(arguments: [
        "2-3 бутылки", "2 или 3 бутылки", "эки же үч бөтөлкө", "two or three bottles", "дом 95, квартира 12",
        "3, номер 0555123456", "5/6 бутылей",
    ])
    func choicesAndUnexplainedNumbersStayUnreadable(input: String) {
        #expect(BottleCount.parse(input) == .unreadable)
    }

    // MARK: Confirmation

    @Test(arguments: [
        "да, всё верно", "ооба туура", "yes that's right", "Да, всё правильно, привозите", "ооба, баары туура",
        "Всё так, жду воду", "Yes, please deliver", "That's correct, thanks", "Подтверждаю заказ",
        "да всё верно привозите как можно скорее пожалуйста", "perfect", "макул, алып келиңиз",
    ])
    func confirmationInsideASentencePlacesTheOrder(input: String) {
        var conversation = Conversation.at(.waitingConfirmation)
        #expect(conversation.send(input).orders.count == 1)
        #expect(conversation.dialog.state == .completed)
    }

    @Test(arguments: [
        "нет, адрес другой", "нет, телефон неправильный", "No, wrong address", "жок, дарек башка",
        "да, но адрес другой", "не то количество", "Да нет, подождите", "yes but the phone is wrong",
        "туура эмес", "no that's not right",
    ])
    func negationInsideASentenceNeverConfirms(input: String) {
        var conversation = Conversation.at(.waitingConfirmation)
        let effects = conversation.send(input)
        #expect(effects.orders.isEmpty)
        #expect(effects == [.reply(.askCorrection)])
    }

    // MARK: Address, reuse, correction

    @Test(arguments: [
        ("Мой адрес: ул. Киевская 95, кв. 12", "ул. Киевская 95, кв. 12"),
        ("адрес доставки - мкр. Асанбай 10, кв 7", "мкр. Асанбай 10, кв 7"),
        ("Менин дарегим Ахунбаева 12", "Ахунбаева 12"),
        ("my address is 12 Manas avenue, flat 3", "12 Manas avenue, flat 3"),
        ("Адресная 5", "Адресная 5"),
        ("Токтогула 12, 3 этаж, домофон 45", "Токтогула 12, 3 этаж, домофон 45"),
    ])
    func addressLosesItsIntroduction(input: String, address: String) {
        var conversation = Conversation.at(.waitingAddress)
        #expect(conversation.send(input) == [.reply(.askPhone)])
        #expect(conversation.dialog.address == address)
    }

    @Test(arguments: [
        ("да, туда же", true), ("ооба, ошол эле дарекке", true), ("нет, другой адрес", false),
        ("no, new address please", false),
    ])
    func reuseAnswerInASentence(input: String, reuse: Bool) {
        var conversation = Conversation.at(.waitingReuse)
        conversation.send(input)
        #expect(conversation.dialog.state == (reuse ? .waitingBottles : .waitingAddress))
    }

    @Test(arguments: [
        ("хочу поменять адрес", CorrectionField.address), ("телефон неправильный", .phone),
        ("поменяйте на 4 бутыли", .bottles), ("даректи өзгөртүү керек", .address), ("wrong phone number", .phone),
        ("давайте сначала", .startOver),
    ])
    func correctionFieldInASentence(input: String, field: CorrectionField) {
        #expect(CorrectionField.parse(input) == field)
    }

    @Test func aNewNumberInACorrectionSentenceIsTaken() {
        var conversation = Conversation.at(.waitingCorrection)
        let effects = conversation.send("телефон другой: 0700 999 888")
        #expect(effects == [.reply(.summary(address: Conversation.address, phone: "+996 700 999 888", bottles: 3))])
    }

    // MARK: No step stores a value its own validator refuses

    /// Every answer above, and some hostile ones, at the step that stores it.
    static let answers: [String] = [
        "мой номер 0555 12 34 56", "0700123456 это мой", "тел: +996 555 123456, звоните после шести",
        "мне 3 бутылки пожалуйста", "эки бөтөлкө", "two please", "Мой адрес: ул. Киевская 95, кв. 12",
        "Менин дарегим Ахунбаева 12", "my address is 12 Manas avenue", "адрес:   ", "Адрес 5", "0555123456 0555123456",
        "+996 0555 123 456", "0555123456!!!", "пятьдесят один", "👍", "  ул.   Киевская\n95 ", "50 бутылей и 1 кулер",
        "адрес адрес адрес Токтогула 1",
    ]

    @Test(arguments: Self.answers)
    func storedValuesPassTheirValidators(input: String) {
        for step in [ShoroDialog.State.waitingAddress, .waitingPhone, .waitingBottles, .waitingCorrection] {
            var conversation = Conversation.at(step)
            conversation.send(input)
            let dialog = conversation.dialog
            if let address = dialog.address {
                #expect(ShoroAddress.validate(address) == .valid(address), "\(step): \(address)")
            }
            if let phone = dialog.phone {
                #expect(KyrgyzPhone.normalize(phone) == phone, "\(step): \(phone)")
            }
            if let bottles = dialog.bottles {
                #expect(BottleCount.parse(String(bottles)) == .count(bottles), "\(step): \(bottles)")
            }
        }
    }
}
