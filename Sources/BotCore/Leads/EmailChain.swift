/// The email chain for leads who left the Tilda form but never opened the bot:
/// email 1 (+30 min) → email 2 (+24 h after email 1) → a call alert to the manager (+24 h after email 2).
/// Opening the bot (`bot_activated`) ends the chain wherever it is.
public enum EmailChainStep: String, Sendable, Codable, CaseIterable {
    case email1
    case email2
    case callAlert = "call_alert"

    /// The delayed job's deterministic id, so scheduling twice is a no-op and cancelling needs no lookup.
    public func jobID(leadID: Int64) -> String { "\(self.rawValue)/\(leadID)" }

    /// The lead history event written when this step's message went out.
    public var sentEvent: String {
        switch self {
        case .email1: "EMAIL_1_SENT"
        case .email2: "EMAIL_2_SENT"
        case .callAlert: "CALL_ALERT_SENT"
        }
    }

    /// Every job id of a lead's chain (to cancel all remaining steps at once).
    public static func allJobIDs(leadID: Int64) -> [String] { Self.allCases.map { $0.jobID(leadID: leadID) } }
}

/// What the chain needs to know about a lead.
public struct EmailChainLead: Sendable, Equatable {
    public var botActivated: Bool
    public var hasEmail: Bool
    public var email1Sent: Bool
    public var email2Sent: Bool
    public var callAlertSent: Bool

    public init(botActivated: Bool, hasEmail: Bool, email1Sent: Bool = false, email2Sent: Bool = false, callAlertSent: Bool = false) {
        self.botActivated = botActivated
        self.hasEmail = hasEmail
        self.email1Sent = email1Sent
        self.email2Sent = email2Sent
        self.callAlertSent = callAlertSent
    }

    public func isSent(_ step: EmailChainStep) -> Bool {
        switch step {
        case .email1: self.email1Sent
        case .email2: self.email2Sent
        case .callAlert: self.callAlertSent
        }
    }
}

/// The chain's timing and its decisions, pure so every branch is a unit test.
public struct EmailChainPolicy: Sendable, Equatable {
    /// Seconds from the form to email 1, from email 1 to email 2, and from email 2 to the call alert.
    public var email1Delay: Double
    public var email2Delay: Double
    public var callAlertDelay: Double

    public init(email1Delay: Double = 1800, email2Delay: Double = 86400, callAlertDelay: Double = 86400) {
        self.email1Delay = email1Delay
        self.email2Delay = email2Delay
        self.callAlertDelay = callAlertDelay
    }

    /// A scheduled step: which one, and how many seconds from now.
    public struct Next: Sendable, Equatable {
        public var step: EmailChainStep
        public var delay: Double

        public init(step: EmailChainStep, delay: Double) {
            self.step = step
            self.delay = delay
        }
    }

    /// What a job should do when it comes due.
    public enum Decision: Sendable, Equatable {
        /// Send this step's message, then schedule `next` (nil: the chain ends).
        case send(next: Next?)
        /// The message already went out on an earlier run; only make sure `next` is scheduled.
        case alreadySent(next: Next?)
        /// Do nothing: the parent opened the bot (or there is no one to send to).
        case skip(reason: String)
    }

    /// The first step after a form submission; nil when the chain should not start.
    /// A lead without an email goes straight to the manager's call alert, at email 1's time.
    public func start(for lead: EmailChainLead) -> Next? {
        guard !lead.botActivated else { return nil }
        return lead.hasEmail ? Next(step: .email1, delay: self.email1Delay) : Next(step: .callAlert, delay: self.email1Delay)
    }

    /// The decision for `step` coming due for `lead`.
    public func decide(_ step: EmailChainStep, for lead: EmailChainLead) -> Decision {
        if lead.botActivated { return .skip(reason: "bot_activated") }
        let next = self.next(after: step, for: lead)
        if lead.isSent(step) { return .alreadySent(next: next) }
        if step != .callAlert && !lead.hasEmail { return .skip(reason: "no_email") }
        return .send(next: next)
    }

    /// The step that follows `step`.
    public func next(after step: EmailChainStep, for lead: EmailChainLead) -> Next? {
        switch step {
        case .email1: lead.hasEmail ? Next(step: .email2, delay: self.email2Delay) : Next(step: .callAlert, delay: self.callAlertDelay)
        case .email2: Next(step: .callAlert, delay: self.callAlertDelay)
        case .callAlert: nil
        }
    }
}
