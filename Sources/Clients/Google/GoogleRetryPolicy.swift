/// How often and how patiently a Google call is retried on 429, 5xx and transport failures.
public struct GoogleRetryPolicy: Sendable {
    /// Waits between attempts in seconds, before jitter: `delays.count + 1` attempts in all.
    public var delays: [Double]
    /// Each wait is scaled by a random factor in `1 ± jitter`.
    public var jitter: Double
    /// A `Retry-After` from Google is honoured up to this many seconds.
    public var maximumRetryAfter: Double

    public init(delays: [Double], jitter: Double = 0.1, maximumRetryAfter: Double = 60) {
        self.delays = delays
        self.jitter = jitter
        self.maximumRetryAfter = maximumRetryAfter
    }

    /// Token requests, as Google's own auth library: 3 attempts, 1 s then 2 s, ±10 %.
    public static let tokenRequests = GoogleRetryPolicy(delays: [1, 2])
    /// Sheets writes from a cron job: about half a minute of backoff, then the next run tries again.
    public static let sheets = GoogleRetryPolicy(delays: [1, 2, 4, 8, 16], jitter: 0.2)
    /// Calendar calls made while a parent waits for an answer: a few seconds at most.
    public static let calendar = GoogleRetryPolicy(delays: [0.5, 1, 2], jitter: 0.2)

    /// The wait before attempt `attempt + 1` (0-based `attempt` just failed), honouring `Retry-After` seconds.
    func delay(after attempt: Int, retryAfter: String?) -> Double {
        if let text = retryAfter, let seconds = Double(text), seconds >= 0 {
            return min(seconds, self.maximumRetryAfter)
        }
        let base = self.delays[min(attempt, self.delays.count - 1)]
        return max(0, base * Double.random(in: (1 - self.jitter)...(1 + self.jitter)))
    }
}
