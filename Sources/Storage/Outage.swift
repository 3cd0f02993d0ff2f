import Platform
import Postgres
import Redis

/// Which failures mean "a dependency is unavailable" rather than "this message is bad", for the queue worker's
/// retry policy (`QueueWorker(isOutage:)`) and the jobs' backoff: an outage must make work wait, never spend the
/// attempts that lead a message to the dead letters.
public enum Outage {
    public static func isOutage(_ error: any Error) -> Bool {
        switch error {
        case let error as PostgresError: error.isTransient
        case let error as RedisError: error.isTransient
        default: false
        }
    }
}
