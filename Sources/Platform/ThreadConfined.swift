/// A value used by one worker thread only (connections, curl handles), passed where `Sendable` is required.
/// The compiler cannot see the confinement, hence `@unchecked`: create it on, and use it from, one thread.
public final class ThreadConfined<Value>: @unchecked Sendable {
    private let make: () -> Value
    private var made: Value?

    /// `make` runs on first use, on the using thread.
    public init(_ make: @escaping () -> Value) { self.make = make }

    public var value: Value {
        if let made { return made }
        let value = self.make()
        self.made = value
        return value
    }
}
