public import BotCore
import Foundation
public import Platform

// Foundation's time-zone database lives in this module, which only the cron executables (and tests) link,
// so the FastCGI responders stay on FoundationEssentials: smaller and faster to start.

extension AcademyTimeZone {
    /// The IANA zone `identifier` (e.g. `Europe/Moscow`) from Foundation's time-zone database, daylight saving
    /// included; nil when the identifier is unknown.
    public static func named(_ identifier: String) -> AcademyTimeZone? {
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        return AcademyTimeZone { zone.secondsFromGMT(for: $0) }
    }
}

extension AcademyTimeZone {
    /// The academy's zone from `ACADEMY_TIME_ZONE` (validated at start-up).
    public static func configured(_ config: AppConfig) throws(ConfigurationError) -> AcademyTimeZone {
        let identifier = config.booking?.timeZoneIdentifier ?? "Europe/Moscow"
        guard let zone = AcademyTimeZone.named(identifier) else {
            throw ConfigurationError(problems: [.init(variable: "ACADEMY_TIME_ZONE", message: "unknown zone \(identifier)")])
        }
        return zone
    }
}
