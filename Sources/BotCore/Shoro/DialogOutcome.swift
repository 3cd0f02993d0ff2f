/// How a dialog ended, for funnel analytics; each dialog records exactly one.
public struct DialogOutcome: Sendable, Codable, Equatable {
    /// The way a dialog can end.
    public enum Kind: String, Sendable, Codable {
        case completed, cancelled, expired
    }

    public var kind: Kind
    /// The `ShoroDialog.State` raw value the dialog was in when it ended (before a cancel).
    public var dropoffState: String
    public var totalMessages: Int
    /// `updatedAt - startedAt`, i.e. up to the last customer message, in whole seconds.
    public var durationSeconds: Int
    /// How many times the customer started over inside this dialog.
    public var restartCount: Int

    /// Whether the dialog ended with an order.
    public var completed: Bool { self.kind == .completed }

    /// Creates an outcome record.
    public init(kind: Kind, dropoffState: String, totalMessages: Int, durationSeconds: Int, restartCount: Int = 0) {
        self.kind = kind
        self.dropoffState = dropoffState
        self.totalMessages = totalMessages
        self.durationSeconds = durationSeconds
        self.restartCount = restartCount
    }
}
