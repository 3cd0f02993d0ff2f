import Operations
import OpsDashboard
import Testing

/// The dashboard's CSRF tokens and the operator tools' formats, without the stack.
@Suite("Ops dashboard units")
struct OpsDashboardUnitTests {
    let tokens = CSRFToken(secret: "0123456789abcdef0123456789abcdef-test", maxAgeSeconds: 3600)

    @Test func aTokenIsValidUntilItExpires() {
        let token = self.tokens.issue(now: 1_000_000)
        #expect(self.tokens.isValid(token, now: 1_000_000))
        #expect(self.tokens.isValid(token, now: 1_003_600))
        #expect(!self.tokens.isValid(token, now: 1_003_601), "expired")
        #expect(!self.tokens.isValid(token, now: 999_000), "issued in the future")
    }

    @Test(arguments: ["", "1000000", "1000000.", "abc.def", "1000000.zz", "1000000." + String(repeating: "0", count: 64)])
    func malformedOrForgedTokensAreRefused(token: String) {
        #expect(!self.tokens.isValid(token, now: 1_000_000))
    }

    @Test func aTokenIsBoundToItsTimeAndItsSecret() {
        let token = self.tokens.issue(now: 1_000_000)
        let mac = token.split(separator: ".")[1]
        #expect(!self.tokens.isValid("1000001.\(mac)", now: 1_000_001), "the time is part of the MAC")
        let other = CSRFToken(secret: "another-secret-another-secret-another", maxAgeSeconds: 3600)
        #expect(!other.isValid(token, now: 1_000_000))
    }

    @Test func windowsAndDurationsAreParsedAndWritten() {
        #expect(OperationsFormat.parseSince("30m", now: 10_000) == 8_200)
        #expect(OperationsFormat.parseSince("2d", now: 200_000) == 27_200)
        #expect(OperationsFormat.parseSince("2026-12-01", now: 0) == 1_796_083_200)
        for bad in ["", "0h", "-1d", "7w", "yesterday", "2026-13-01"] { #expect(OperationsFormat.parseSince(bad, now: 0) == nil, "\(bad)") }
        #expect(OperationsFormat.duration(0) == "0.0s")
        #expect(OperationsFormat.duration(0.46) == "0.4s")
        #expect(OperationsFormat.duration(59.9) == "59s")
        #expect(OperationsFormat.duration(65) == "1m 05s")
        #expect(OperationsFormat.duration(7260) == "2h 01m")
        #expect(OperationsFormat.duration(90000) == "1d 01h")
        #expect(OperationsFormat.percent(0.375) == "37.5%")
    }
}
