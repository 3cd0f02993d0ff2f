public import BotCore
import Foundation

extension AcademyTimeZone {
    /// The IANA zone `identifier` (e.g. `Europe/Moscow`) from Foundation's time-zone database, daylight saving
    /// included; nil when the identifier is unknown.
    public static func named(_ identifier: String) -> AcademyTimeZone? {
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        return AcademyTimeZone { zone.secondsFromGMT(for: $0) }
    }
}
