import BotCore
import Testing

@Suite struct EmailChainTests {
    let policy = EmailChainPolicy(email1Delay: 1800, email2Delay: 86400, callAlertDelay: 86400)

    @Test func aTildaLeadWithAnEmailStartsWithEmail1InThirtyMinutes() {
        #expect(self.policy.start(for: EmailChainLead(botActivated: false, hasEmail: true)) == .init(step: .email1, delay: 1800))
    }

    @Test func aLeadWithoutAnEmailGoesStraightToTheCallAlert() {
        #expect(self.policy.start(for: EmailChainLead(botActivated: false, hasEmail: false)) == .init(step: .callAlert, delay: 1800))
        #expect(self.policy.decide(.email1, for: EmailChainLead(botActivated: false, hasEmail: false)) == .skip(reason: "no_email"))
    }

    @Test func aLeadWhoAlreadyOpenedTheBotGetsNoChain() {
        #expect(self.policy.start(for: EmailChainLead(botActivated: true, hasEmail: true)) == nil)
    }

    @Test func theStepsFollowEachOther() {
        let lead = EmailChainLead(botActivated: false, hasEmail: true)
        #expect(self.policy.decide(.email1, for: lead) == .send(next: .init(step: .email2, delay: 86400)))
        #expect(self.policy.decide(.email2, for: lead) == .send(next: .init(step: .callAlert, delay: 86400)))
        #expect(self.policy.decide(.callAlert, for: lead) == .send(next: nil))
    }

    @Test(arguments: EmailChainStep.allCases)
    func activatingTheBotSkipsEveryRemainingStep(step: EmailChainStep) {
        let lead = EmailChainLead(botActivated: true, hasEmail: true, email1Sent: true)
        #expect(self.policy.decide(step, for: lead) == .skip(reason: "bot_activated"))
    }

    @Test func aRerunAfterTheSendOnlySchedulesTheNextStep() {
        let lead = EmailChainLead(botActivated: false, hasEmail: true, email1Sent: true)
        #expect(self.policy.decide(.email1, for: lead) == .alreadySent(next: .init(step: .email2, delay: 86400)))
        let done = EmailChainLead(botActivated: false, hasEmail: true, email1Sent: true, email2Sent: true, callAlertSent: true)
        #expect(self.policy.decide(.callAlert, for: done) == .alreadySent(next: nil))
    }

    @Test func jobIDsAreDeterministicPerLeadAndStep() {
        #expect(EmailChainStep.email1.jobID(leadID: 42) == "email1/42")
        #expect(EmailChainStep.callAlert.jobID(leadID: 42) == "call_alert/42")
        #expect(EmailChainStep.allJobIDs(leadID: 7) == ["email1/7", "email2/7", "call_alert/7"])
    }
}
