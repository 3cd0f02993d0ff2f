public import FoundationEssentials

/// Why the bot is silent for a client, and until when: a person (an operator in the desk) has the conversation.
public struct ShoroPause: Sendable, Codable, Equatable {
    public enum Reason: String, Sendable, Codable {
        /// An operator wrote to the client in the desk.
        case operatorReplied = "operator_replied"
        /// The client asked for a person.
        case humanRequested = "human_requested"
        /// Paused by hand (`botctl conversation pause`).
        case manual
    }

    public var reason: Reason
    public var since: Date
    /// The bot answers again from here on, unless the desk hands the dialog back earlier (`close_dialog`).
    public var until: Date

    public init(reason: Reason, since: Date, until: Date) {
        self.reason = reason
        self.since = since
        self.until = until
    }
}

/// What a customer's message asks for besides the current step's answer; the words live in the texts catalog.
public enum ShoroIntent: String, Sendable, Equatable {
    /// "оператор", "позовите человека", "адам менен сүйлөшкүм келет", "human", …
    case human
    /// "где мой заказ?", "заказым кайда?", "where is my order?", …
    case orderStatus
}

/// The state of an order as the `orders` table keeps it.
public enum ShoroOrderStatus: String, Sendable, Codable, CaseIterable {
    case new, confirmed, delivered, cancelled
}

/// The hours someone is at the desk, every day, in the team's time zone (a fixed UTC offset: Kyrgyzstan has no DST).
public struct ShoroTeamHours: Sendable, Equatable {
    /// Minutes after midnight; `end` may be before `start` for a night shift across midnight.
    public let start: Int
    public let end: Int
    public let utcOffsetMinutes: Int

    /// Hours as minutes after midnight (`SHORO_TEAM_HOURS`, parsed by the configuration).
    public init(start: Int, end: Int, utcOffsetMinutes: Int) {
        self.start = start
        self.end = end
        self.utcOffsetMinutes = utcOffsetMinutes
    }

    /// Whether someone is at the desk at `date`.
    public func contains(_ date: Date) -> Bool {
        let local = Int((date.timeIntervalSince1970 / 60).rounded(.down)) + self.utcOffsetMinutes
        let minute = ((local % 1440) + 1440) % 1440
        return self.start < self.end ? (self.start..<self.end).contains(minute) : minute >= self.start || minute < self.end
    }

    /// `"09:00–18:00"` for the after-hours text.
    public var display: String {
        func clock(_ minutes: Int) -> String {
            let hours = minutes / 60, rest = minutes % 60
            return (hours < 10 ? "0" : "") + "\(hours):" + (rest < 10 ? "0" : "") + "\(rest)"
        }
        return clock(self.start) + "–" + clock(self.end)
    }
}

/// The handing over between the bot and the people at the desk.
extension ShoroDialog {
    /// Whether a person has the conversation at `now` (the bot listens and says nothing).
    public func isPaused(at now: Date) -> Bool {
        self.pause.map { now < $0.until } ?? false
    }

    /// A person took over: the bot is silent until `handBack` or `seconds` from now (whichever comes first).
    /// Another takeover while paused extends the pause and keeps its first reason.
    public mutating func pause(_ reason: ShoroPause.Reason, at now: Date, seconds: Double) {
        let until = now.addingTimeInterval(seconds)
        if let current = self.pause, now < current.until {
            self.pause = ShoroPause(reason: current.reason, since: current.since, until: max(current.until, until))
        } else {
            self.pause = ShoroPause(reason: reason, since: now, until: until)
        }
    }

    /// The desk handed the conversation back (`close_dialog`, `botctl conversation resume`): the bot answers the
    /// next message at the step the dialog was in. Returns whether it was paused.
    @discardableResult
    public mutating func handBack() -> Bool {
        defer { self.pause = nil }
        return self.pause != nil
    }

    /// The customer asked for a person: a short acknowledgement (the after-hours one when nobody is at the desk),
    /// the pause, and one note to the team. While a person has the conversation already, `handle` says nothing.
    mutating func requestHuman(teamHours: ShoroTeamHours?, pauseSeconds: Double, now: Date) -> [Effect] {
        self.pause(.humanRequested, at: now, seconds: pauseSeconds)
        let available = teamHours?.contains(now) ?? true
        let ack: ShoroReply = available ? .humanRequested : .humanRequestedOffHours(hours: teamHours?.display ?? "")
        return [.reply(ack), .notifyTeam(.humanRequested)]
    }
}
