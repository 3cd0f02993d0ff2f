import BotCore
import Testing

@Suite struct ShoroDialogReturningTests {
    static let offer = ShoroReply.askReuse(address: "ул. Токтогула 12, кв. 5", phone: "+996 700 111 222")

    @Test func returningCustomerIsOfferedTheLastAddressAndPhone() {
        var conversation = Conversation(returning: Conversation.returningCustomer)
        #expect(conversation.send("Здравствуйте") == [.reply(.greeting), .reply(Self.offer)])
        #expect(conversation.dialog.state == .waitingReuse)
    }

    @Test(arguments: ["да", "Ооба", "yes 👍"])
    func yesSkipsToTheBottleCount(input: String) {
        var conversation = Conversation.at(.waitingReuse)
        #expect(conversation.send(input) == [.reply(.askBottles)])
        #expect(conversation.dialog.state == .waitingBottles)
        #expect(conversation.dialog.address == "ул. Токтогула 12, кв. 5")
        #expect(conversation.dialog.phone == "+996700111222")
    }

    @Test func reusedDetailsGoIntoTheOrder() {
        var conversation = Conversation.at(.waitingReuse)
        conversation.send("да")
        conversation.send("2")
        let effects = conversation.send("да")
        #expect(
            effects.orders == [
                ShoroOrderDraft(
                    dialogID: "msg-1#0", address: "ул. Токтогула 12, кв. 5", phone: "+996700111222", bottles: 2
                )
            ])
    }

    @Test(arguments: ["нет", "жок", "нет, другой адрес", "no"])
    func noAsksForANewAddress(input: String) {
        var conversation = Conversation.at(.waitingReuse)
        #expect(conversation.send(input) == [.reply(.askAddress)])
        #expect(conversation.dialog.state == .waitingAddress)
        #expect(conversation.dialog.address == nil)
        #expect(conversation.dialog.phone == nil)
    }

    @Test func unclearAnswerRepeatsTheOfferWithTheExpectedAnswers() {
        var conversation = Conversation.at(.waitingReuse)
        let effects = conversation.send("а сколько стоит?")
        #expect(effects == [.reply(.reuseUnclear(address: "ул. Токтогула 12, кв. 5", phone: "+996 700 111 222"))])
        #expect(conversation.dialog.state == .waitingReuse)
    }

    @Test(arguments: [
        ShoroCustomer(lastAddress: "", lastPhone: "0555123456"),
        ShoroCustomer(lastAddress: "ул. Киевская 95", lastPhone: "12"),
    ])
    func unusableProfileIsTreatedAsANewCustomer(customer: ShoroCustomer) {
        var conversation = Conversation(returning: customer)
        #expect(conversation.send("Здравствуйте") == [.reply(.greeting), .reply(.askAddress)])
        #expect(conversation.dialog.returning == nil)
    }
}
