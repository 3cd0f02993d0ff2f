/// The payload of `/start <payload>` (`https://t.me/<bot>?start=<payload>`).
public enum DeepLink: Sendable, Hashable {
    /// `lead_<ref>`: the parent came from the Tilda email chain for the lead with this reference.
    ///
    /// The runtime resolves `ref`; it should be an unguessable token rather than the serial lead id,
    /// or anyone could attach a stranger's lead to their Telegram account.
    case lead(ref: String)

    /// Telegram allows at most 64 characters from `A-Z a-z 0-9 _ -`.
    public static let maxLength = 64

    /// Parses a payload; nil for an empty, oversized, malformed or unknown one (then it is plain `/start`).
    public init?(payload: String) {
        guard !payload.isEmpty, payload.utf8.count <= Self.maxLength,
            payload.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }),
            payload.hasPrefix("lead_")
        else { return nil }
        let ref = String(payload.dropFirst(5))
        guard !ref.isEmpty else { return nil }
        self = .lead(ref: ref)
    }
}
