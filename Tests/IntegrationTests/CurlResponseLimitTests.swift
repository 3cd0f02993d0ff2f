import Curl
import TestSupport
import Testing

/// `HTTPRequest.maxResponseBytes` against the stack's fake Chat2Desk (its control API answers any GET).
@Suite("Curl response limit", .stack)
struct CurlResponseLimitTests {
    @Test func aBodyOverTheLimitIsRefusedAndOneWithinItArrives() throws {
        let url = try TestStack.chat2deskURL() + "/_fake/health"
        let client = TestStack.httpClient()
        let whole = try client.perform(HTTPRequest(url: url, connectTimeout: 2, totalTimeout: 5))
        #expect(whole.status == 200 && whole.body.count > 10)

        let fits = try client.perform(
            HTTPRequest(url: url, connectTimeout: 2, totalTimeout: 5, maxResponseBytes: whole.body.count))
        #expect(fits.body == whole.body)

        #expect {
            try client.perform(HTTPRequest(url: url, connectTimeout: 2, totalTimeout: 5, maxResponseBytes: 10))
        } throws: { error in
            (error as? CurlError)?.code == .responseTooLarge
        }
        // The handle is still usable afterwards.
        #expect(try client.perform(HTTPRequest(url: url, connectTimeout: 2, totalTimeout: 5)).status == 200)
    }
}
