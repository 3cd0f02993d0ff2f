/// Something the bot says; `ShoroTexts.render` turns it into text in the dialog's language.
public enum ShoroReply: Sendable, Equatable {
    /// "Hello, this is Shoro water delivery."
    case greeting
    case askAddress
    case invalidAddress(minLength: Int, maxLength: Int)
    case askPhone
    /// Shows the accepted formats, e.g. `0555 123 456` / `+996 555 123 456`.
    case invalidPhone
    case askBottles
    case invalidBottles(min: Int, max: Int)
    /// The order to confirm with yes/no; `phone` is already formatted for display.
    case summary(address: String, phone: String, bottles: Int)
    case confirmationUnclear
    /// "Deliver to your last address and phone again?"
    case askReuse(address: String, phone: String)
    case reuseUnclear(address: String, phone: String)
    /// "What to change: 1 address, 2 phone, 3 bottles, 4 start over."
    case askCorrection
    case correctionUnclear
    case orderAccepted
    case cancelled
    /// "Please answer with text" followed by the current step's question.
    indirect case textOnly(ShoroReply)
    /// "A manager will answer you here soon."
    case humanRequested
    /// "Our managers work {hours}; they will answer you then."
    case humanRequestedOffHours(hours: String)
    /// The last order's status for "where is my order?"; `order` is its number.
    case orderStatus(order: String, status: ShoroOrderStatus, bottles: Int)
    /// To the team (an internal comment): the client asked for a person.
    case teamHumanRequested
    /// To dispatch: a new order. `order` is filled in by the database once the order has its number.
    case teamNewOrder(order: String, address: String, phone: String, bottles: Int, time: String)

    /// The catalog key of this reply's template.
    public var key: String {
        switch self {
        case .greeting: "greeting"
        case .askAddress: "askAddress"
        case .invalidAddress: "invalidAddress"
        case .askPhone: "askPhone"
        case .invalidPhone: "invalidPhone"
        case .askBottles: "askBottles"
        case .invalidBottles: "invalidBottles"
        case .summary: "summary"
        case .confirmationUnclear: "confirmationUnclear"
        case .askReuse: "askReuse"
        case .reuseUnclear: "reuseUnclear"
        case .askCorrection: "askCorrection"
        case .correctionUnclear: "correctionUnclear"
        case .orderAccepted: "orderAccepted"
        case .cancelled: "cancelled"
        case .textOnly: "textOnly"
        case .humanRequested: "humanRequested"
        case .humanRequestedOffHours: "humanRequestedOffHours"
        case .orderStatus(_, let status, _): "orderStatus." + status.rawValue
        case .teamHumanRequested: "teamHumanRequested"
        case .teamNewOrder: "teamNewOrder"
        }
    }

    /// One sample of every reply, in catalog order; the catalog's required keys come from it.
    public static let samples: [ShoroReply] =
        [
            .greeting, .askAddress, .invalidAddress(minLength: 5, maxLength: 200), .askPhone, .invalidPhone,
            .askBottles, .invalidBottles(min: 1, max: 50), .summary(address: "a", phone: "p", bottles: 1),
            .confirmationUnclear, .askReuse(address: "a", phone: "p"), .reuseUnclear(address: "a", phone: "p"),
            .askCorrection, .correctionUnclear, .orderAccepted, .cancelled, .textOnly(.askAddress),
            .humanRequested, .humanRequestedOffHours(hours: "h"), .teamHumanRequested,
            .teamNewOrder(order: "1", address: "a", phone: "p", bottles: 1, time: "t"),
        ] + ShoroOrderStatus.allCases.map { .orderStatus(order: "1", status: $0, bottles: 1) }

    /// The placeholder names the template must use, e.g. `["address", "phone", "bottles"]`.
    public var placeholderNames: Set<String> {
        Set(self.placeholders(question: "").keys)
    }

    /// Placeholder values for this reply; `question` fills `{question}` of `.textOnly`.
    func placeholders(question: String) -> [String: String] {
        switch self {
        case .invalidAddress(let minLength, let maxLength):
            ["min": String(minLength), "max": String(maxLength)]
        case .invalidBottles(let min, let max):
            ["min": String(min), "max": String(max)]
        case .summary(let address, let phone, let bottles):
            ["address": address, "phone": phone, "bottles": String(bottles)]
        case .askReuse(let address, let phone), .reuseUnclear(let address, let phone):
            ["address": address, "phone": phone]
        case .textOnly:
            ["question": question]
        case .humanRequestedOffHours(let hours):
            ["hours": hours]
        case .orderStatus(let order, _, let bottles):
            ["order": order, "bottles": String(bottles)]
        case .teamNewOrder(let order, let address, let phone, let bottles, let time):
            ["order": order, "address": address, "phone": phone, "bottles": String(bottles), "time": time]
        case .greeting, .askAddress, .askPhone, .invalidPhone, .askBottles, .confirmationUnclear,
            .askCorrection, .correctionUnclear, .orderAccepted, .cancelled, .humanRequested, .teamHumanRequested:
            [:]
        }
    }
}
