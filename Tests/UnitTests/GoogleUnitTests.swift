import Academy
import Clients
import Foundation
import Messages
import Platform
import Testing
import _CryptoExtras

/// Pure parts of the Google integration: JWT assembly, settings, row placement, ids. No stack needed.
@Suite("Google (pure)")
struct GoogleUnitTests {
    static let key = try! _RSA.Signing.PrivateKey(keySize: .bits2048)

    static func decode(_ part: Substring) throws -> [String: Any] {
        var text = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        let data = try #require(Data(base64Encoded: text))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func base64URLHasNoPaddingAndTheURLAlphabet() {
        #expect(GoogleJWT.base64URL([0xfb, 0xff]) == "-_8")
        #expect(GoogleJWT.base64URL(Array("a".utf8)) == "YQ")
        #expect(GoogleJWT.base64URL([]) == "")
    }

    @Test func claimsCarryIssuerScopeAudienceAndAnHourOfLife() throws {
        let claims = GoogleJWT.claims(
            issuer: "bot@p.iam.gserviceaccount.com", scopes: [GoogleAuth.sheetsScope, GoogleAuth.calendarScope],
            audience: "https://oauth2.googleapis.com/token", issuedAt: 1_767_000_000)
        #expect(
            claims.serialized == """
                {"aud":"https://oauth2.googleapis.com/token","exp":1767003600,"iat":1767000000,\
                "iss":"bot@p.iam.gserviceaccount.com","scope":"https://www.googleapis.com/auth/spreadsheets \
                https://www.googleapis.com/auth/calendar"}
                """)
        let input = GoogleJWT.signingInput(claims: claims)
        let parts = input.split(separator: ".")
        #expect(parts.count == 2)
        #expect(try Self.decode(parts[0]) as NSDictionary == ["alg": "RS256", "typ": "JWT"] as NSDictionary)
        #expect(try Self.decode(parts[1])["exp"] as? Int == 1_767_003_600)
    }

    @Test func theAssertionIsSignedRS256AndVerifiesWithThePublicKey() throws {
        let account = GoogleSettings.ServiceAccount(
            clientEmail: "bot@p.iam.gserviceaccount.com", privateKeyPEM: Self.key.pkcs8PEMRepresentation, tokenURI: nil)
        let jwt = try GoogleJWT.assertion(
            account: account, key: Self.key, scopes: [GoogleAuth.sheetsScope], audience: "http://x/token",
            issuedAt: 1_767_000_000)
        let parts = jwt.split(separator: ".")
        #expect(parts.count == 3)
        #expect(!jwt.contains("=") && !jwt.contains("+") && !jwt.contains("/"))
        var signature = parts[2].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while signature.count % 4 != 0 { signature += "=" }
        let bytes = try #require(Data(base64Encoded: signature))
        #expect(bytes.count == 256)
        let signed = Data((parts[0] + "." + parts[1]).utf8)
        #expect(Self.key.publicKey.isValidSignature(.init(rawRepresentation: bytes), for: signed, padding: .insecurePKCS1v1_5))
        let other = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        #expect(!other.publicKey.isValidSignature(.init(rawRepresentation: bytes), for: signed, padding: .insecurePKCS1v1_5))
    }

    @Test func usableLifetimeLeavesAMarginBeforeExpiry() {
        #expect(GoogleAuth.usableLifetime(expiresIn: 3599) == 3359)
        #expect(GoogleAuth.usableLifetime(expiresIn: 4) == 2)
    }

    // MARK: Settings

    static func keyFile(_ json: String) throws -> String {
        let path = NSTemporaryDirectory() + "google-sa-\(UUID().uuidString).json"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func read(_ environment: [String: String]) -> (GoogleSettings?, [ConfigurationError.Problem]) {
        var reader = EnvironmentReader(environment)
        let settings = GoogleSettings.read(&reader)
        return (settings, reader.problems)
    }

    @Test func settingsAreOffWithoutAKeyFileAndReadWithDefaults() throws {
        #expect(Self.read([:]).0 == nil)
        let pem = Self.key.pkcs8PEMRepresentation
        let path = try Self.keyFile(
            JSONValue.object([
                "client_email": .string("bot@p.iam.gserviceaccount.com"), "private_key": .string(pem),
                "token_uri": .string("https://oauth2.example/token"),
            ]).serialized)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (settings, problems) = Self.read(["GOOGLE_SERVICE_ACCOUNT_FILE": path])
        #expect(problems.isEmpty)
        let google = try #require(settings)
        #expect(google.serviceAccount.clientEmail == "bot@p.iam.gserviceaccount.com")
        #expect(google.tokenURL == "https://oauth2.example/token")
        #expect(google.sheetsAPIURL == "https://sheets.googleapis.com")
        #expect(google.calendarAPIURL == "https://www.googleapis.com/calendar/v3")
        #expect(google.sheetName == "Leads" && google.sheetsSyncBatch == 100 && google.spreadsheetID == nil)
        #expect(!"\(google.serviceAccount)".contains("PRIVATE"))
        let custom = Self.read([
            "GOOGLE_SERVICE_ACCOUNT_FILE": path, "GOOGLE_TOKEN_URL": "http://127.0.0.1:9/token",
            "GOOGLE_SHEETS_API_URL": "http://127.0.0.1:9/", "SHEETS_SYNC_BATCH": "7", "GOOGLE_SHEETS_SPREADSHEET_ID": "s",
        ]).0
        #expect(custom?.tokenURL == "http://127.0.0.1:9/token" && custom?.sheetsAPIURL == "http://127.0.0.1:9")
        #expect(custom?.sheetsSyncBatch == 7 && custom?.spreadsheetID == "s")
    }

    @Test func badKeyFilesAreReportedByVariableName() throws {
        let missing = Self.read(["GOOGLE_SERVICE_ACCOUNT_FILE": "/nonexistent/sa.json"]).1
        #expect(missing.map(\.variable) == ["GOOGLE_SERVICE_ACCOUNT_FILE"])
        for (json, text) in [
            ("not json", "not a service-account key file"),
            (#"{"private_key": "x"}"#, "no client_email"),
            (#"{"client_email": "a@b"}"#, "no private_key"),
            (
                #"{"client_email": "a@b", "private_key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}"#,
                "not a usable RSA key"
            ),
        ] {
            let path = try Self.keyFile(json)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let problems = Self.read(["GOOGLE_SERVICE_ACCOUNT_FILE": path, "SHEETS_SYNC_BATCH": "0"]).1
            #expect(problems.map(\.variable) == ["GOOGLE_SERVICE_ACCOUNT_FILE", "SHEETS_SYNC_BATCH"], "\(json)")
            #expect(problems.first?.message.contains(text) == true, "\(problems)")
        }
        // Through AppConfig, alongside everything else.
        do {
            _ = try AppConfig(environment: ["GOOGLE_SERVICE_ACCOUNT_FILE": "/nonexistent/sa.json"])
            Issue.record("expected a configuration error")
        } catch {
            #expect(error.problems.contains { $0.variable == "GOOGLE_SERVICE_ACCOUNT_FILE" })
        }
    }

    // MARK: Sheets and Calendar helpers

    @Test func rowsComeFromTheKeyColumnThenAfterTheLastRow() {
        var layout = SheetsLayout(columnA: [["Lead ID"], ["7"], [], ["9"], ["7"]])
        #expect(layout.duplicates == [7])
        #expect(layout.place(9) == (4, false))
        #expect(layout.place(7) == (2, false))
        #expect(layout.place(10) == (6, true))
        #expect(layout.place(11) == (7, true))
        #expect(layout.place(10) == (6, false))
        var empty = SheetsLayout(columnA: [])
        #expect(empty.place(1) == (2, true))
        var headerOnly = SheetsLayout(columnA: [["Lead ID"]])
        #expect(headerOnly.place(1) == (2, true))
    }

    @Test func a1RangesQuoteTheSheetName() {
        #expect(SheetsClient.range(sheet: "Leads", "A1:P1") == "'Leads'!A1:P1")
        #expect(SheetsClient.range(sheet: "Lead's list", "A:A") == "'Lead''s list'!A:A")
        #expect([1, 16, 26, 27, 52, 703].map(SheetsClient.column) == ["A", "P", "Z", "AA", "AZ", "AAA"])
        #expect(SheetsMirror.header.count == 16)
    }

    @Test func eventIDsAreDeterministicBase32Hex() {
        let id = CalendarClient.eventID(for: "trial/42/2026-02-01T10:00")
        #expect(id == CalendarClient.eventID(for: "trial/42/2026-02-01T10:00"))
        #expect(id != CalendarClient.eventID(for: "trial/43/2026-02-01T10:00"))
        #expect(id.count == 52 && CalendarClient.isValidEventID(id))
        #expect(!CalendarClient.isValidEventID("abcd"))
        #expect(!CalendarClient.isValidEventID("retry00001"))
        #expect(!CalendarClient.isValidEventID("ABCDE1"))
    }

    @Test func googleErrorsKeepMessagesOutOfTheirDescription() {
        let error = GoogleError(code: .unavailable, status: 429, reason: "RESOURCE_EXHAUSTED", message: "quota for +99655512345")
        #expect(error.description == "GoogleError(unavailable, HTTP 429, RESOURCE_EXHAUSTED)")
        #expect(String(reflecting: error).contains("quota"))
    }
}
