/// One message of the AI conversation kept between questions (Redis `ai_history:<tg user>`, 24 h).
public struct AITurn: Sendable, Codable, Hashable {
    public enum Role: String, Sendable, Codable { case user, assistant }

    public let role: Role
    public let content: String

    public init(role: Role, content: String) {
        self.role = role
        self.content = content
    }
}

/// Keeps the AI history short enough to send with every question.
public enum AIHistory {
    /// A deliberately simple, conservative token estimate: 4 tokens of per-message overhead plus one
    /// token per 4 UTF-8 bytes, rounded up.
    ///
    /// For English this is close to OpenAI's tokenizers (≈ 4 characters per token); Cyrillic takes
    /// 2 bytes per letter, so Russian text is over-estimated (≈ 2 letters per token against ≈ 3–4 in
    /// reality), which errs on the side of sending less.
    public static func estimatedTokens(_ text: String) -> Int {
        4 + (text.utf8.count + 3) / 4
    }

    /// The most recent turns that fit both limits, oldest first, never starting with an assistant turn.
    ///
    /// Turns are kept contiguously from the end: once one doesn't fit, older ones are dropped even if
    /// they are short, so the model never sees a conversation with a hole in it.
    public static func trimmed(_ turns: [AITurn], maxTurns: Int, tokenBudget: Int) -> [AITurn] {
        var kept: [AITurn] = []
        var tokens = 0
        for turn in turns.reversed() {
            let cost = Self.estimatedTokens(turn.content)
            guard kept.count < maxTurns, tokens + cost <= tokenBudget else { break }
            kept.append(turn)
            tokens += cost
        }
        kept.reverse()
        while kept.first?.role == .assistant { kept.removeFirst() }
        return kept
    }
}
