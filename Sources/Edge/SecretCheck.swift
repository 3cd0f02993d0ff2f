/// Compares a presented secret with the configured one in time independent of where they differ.
public enum SecretCheck {
    /// True when both are equal; the loop always runs over the configured secret's full length.
    public static func matches(_ presented: String, _ expected: String) -> Bool {
        let a = Array(presented.utf8)
        let b = Array(expected.utf8)
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<b.count {
            difference |= (index < a.count ? a[index] : 0) ^ b[index]
        }
        return difference == 0 && !b.isEmpty
    }
}
