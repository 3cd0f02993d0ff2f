public import BotCore
import Foundation

// Foundation's time-zone database lives here, in a module only the cron executables link, so the
// FastCGI responders stay on FoundationEssentials (smaller and faster to start).
extension AcademyTimeZone {
    /// The IANA zone `identifier` (daylight saving included); nil when the system does not know it.
    public static func named(_ identifier: String) -> AcademyTimeZone? {
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        return AcademyTimeZone { zone.secondsFromGMT(for: $0) }
    }
}
