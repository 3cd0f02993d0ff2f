/// A returning customer's last order, offered for reuse in the greeting.
public struct ShoroCustomer: Sendable, Codable, Equatable {
    public var lastAddress: String
    public var lastPhone: String

    /// Creates a profile from the customer's previous order.
    public init(lastAddress: String, lastPhone: String) {
        self.lastAddress = lastAddress
        self.lastPhone = lastPhone
    }
}
