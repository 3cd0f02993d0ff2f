import FoundationEssentials

/// Google service-account access, the Sheets mirror of leads and the Calendar, read from the environment.
///
/// Present only when `GOOGLE_SERVICE_ACCOUNT_FILE` is set. The key file is read and its private key loaded at
/// start-up, so a missing, unreadable or malformed key is reported by variable name before anything runs.
public struct GoogleSettings: Sendable {
    /// The parts of a service-account key file (`*.json` from the Google Cloud console) that are used.
    public struct ServiceAccount: Sendable, CustomStringConvertible {
        /// `client_email`: the JWT issuer.
        public var clientEmail: String
        /// `private_key`: PKCS#8 PEM. Never logged.
        public var privateKeyPEM: String
        /// `token_uri`, e.g. `https://oauth2.googleapis.com/token`.
        public var tokenURI: String?

        public init(clientEmail: String, privateKeyPEM: String, tokenURI: String?) {
            self.clientEmail = clientEmail
            self.privateKeyPEM = privateKeyPEM
            self.tokenURI = tokenURI
        }

        /// Parses a key file's JSON; the message of the thrown error names what is wrong (never the key).
        public static func parse(json: [UInt8]) throws(ConfigurationError) -> ServiceAccount {
            struct KeyFile: Decodable {
                var client_email: String?
                var private_key: String?
                var token_uri: String?
            }
            func problem(_ message: String) -> ConfigurationError {
                ConfigurationError(problems: [.init(variable: "GOOGLE_SERVICE_ACCOUNT_FILE", message: message)])
            }
            guard let file = try? JSONDecoder().decode(KeyFile.self, from: Data(json)) else {
                throw problem("is not a service-account key file (JSON object expected)")
            }
            guard let email = file.client_email, !email.isEmpty else { throw problem("has no client_email") }
            guard let key = file.private_key, !key.isEmpty else { throw problem("has no private_key") }
            // The shape is checked here; the key itself is loaded by GoogleAuth when a job starts (this module
            // stays free of the crypto library, which the FastCGI responders do not need).
            guard Self.looksLikeRSAKey(key) else {
                throw problem("private_key is not a usable RSA key (PEM, at least 2048 bits)")
            }
            return ServiceAccount(clientEmail: email, privateKeyPEM: key, tokenURI: file.token_uri)
        }

        public var description: String { "ServiceAccount(\(self.clientEmail))" }

        /// A PKCS#8 or PKCS#1 PEM whose base64 body decodes to at least a 2048-bit key's worth of DER.
        static func looksLikeRSAKey(_ pem: String) -> Bool {
            let lines = pem.split(whereSeparator: \.isNewline).map { $0.trimmingSpaces }.filter { !$0.isEmpty }
            guard let first = lines.first, let last = lines.last,
                first == "-----BEGIN PRIVATE KEY-----" || first == "-----BEGIN RSA PRIVATE KEY-----",
                last == "-----END PRIVATE KEY-----" || last == "-----END RSA PRIVATE KEY-----",
                let der = Data(base64Encoded: lines.dropFirst().dropLast().joined())
            else { return false }
            return der.count >= 1100 && der.first == 0x30
        }
    }

    /// `GOOGLE_SERVICE_ACCOUNT_FILE`: path of the key JSON.
    public var serviceAccountFile: String
    public var serviceAccount: ServiceAccount
    /// `GOOGLE_TOKEN_URL`, else the key file's `token_uri`, else `https://oauth2.googleapis.com/token`.
    /// Also the JWT's `aud`.
    public var tokenURL: String
    /// `GOOGLE_SHEETS_API_URL` (default `https://sheets.googleapis.com`).
    public var sheetsAPIURL: String
    /// `GOOGLE_SHEETS_SPREADSHEET_ID`: the spreadsheet leads are mirrored to (required by `cron-sheets-sync`).
    public var spreadsheetID: String?
    /// `GOOGLE_SHEETS_SHEET_NAME` (default `Leads`): the tab inside that spreadsheet.
    public var sheetName: String
    /// `GOOGLE_CALENDAR_API_URL` (default `https://www.googleapis.com/calendar/v3`).
    public var calendarAPIURL: String
    /// `GOOGLE_CALENDAR_ID`: the calendar of trial lessons.
    public var calendarID: String?
    /// `SHEETS_SYNC_BATCH` (default 100, 1...1000): leads written per Sheets request.
    public var sheetsSyncBatch: Int

    public static let defaultTokenURL = "https://oauth2.googleapis.com/token"

    public init(
        serviceAccountFile: String, serviceAccount: ServiceAccount, tokenURL: String,
        sheetsAPIURL: String = "https://sheets.googleapis.com", spreadsheetID: String? = nil, sheetName: String = "Leads",
        calendarAPIURL: String = "https://www.googleapis.com/calendar/v3", calendarID: String? = nil,
        sheetsSyncBatch: Int = 100
    ) {
        self.serviceAccountFile = serviceAccountFile
        self.serviceAccount = serviceAccount
        self.tokenURL = tokenURL
        self.sheetsAPIURL = sheetsAPIURL
        self.spreadsheetID = spreadsheetID
        self.sheetName = sheetName
        self.calendarAPIURL = calendarAPIURL
        self.calendarID = calendarID
        self.sheetsSyncBatch = sheetsSyncBatch
    }

    /// Reads the Google variables; nil when `GOOGLE_SERVICE_ACCOUNT_FILE` is empty (Google features off).
    /// Problems are added to `reader`.
    public static func read(_ reader: inout EnvironmentReader) -> GoogleSettings? {
        guard let path = reader.optionalString("GOOGLE_SERVICE_ACCOUNT_FILE") else { return nil }
        var account = ServiceAccount(clientEmail: "", privateKeyPEM: "", tokenURI: nil)
        if let data = FileManager.default.contents(atPath: path) {
            do {
                account = try ServiceAccount.parse(json: Array(data))
            } catch {
                for problem in error.problems { reader.fail(problem.variable, "\(path) \(problem.message)") }
            }
        } else {
            reader.fail("GOOGLE_SERVICE_ACCOUNT_FILE", "cannot read \(path)")
        }
        var tokenURL = GoogleSettings.defaultTokenURL
        if reader.optionalString("GOOGLE_TOKEN_URL") != nil {
            tokenURL = reader.url("GOOGLE_TOKEN_URL", default: tokenURL)
        } else if let uri = account.tokenURI, uri.hasPrefix("https://") || uri.hasPrefix("http://") {
            tokenURL = uri
        }
        let sheetName = reader.string("GOOGLE_SHEETS_SHEET_NAME", default: "Leads")
        if sheetName.contains(where: { $0.isNewline }) {
            reader.fail("GOOGLE_SHEETS_SHEET_NAME", "must be one line")
        }
        return GoogleSettings(
            serviceAccountFile: path, serviceAccount: account, tokenURL: tokenURL,
            sheetsAPIURL: reader.url("GOOGLE_SHEETS_API_URL", default: "https://sheets.googleapis.com"),
            spreadsheetID: reader.optionalString("GOOGLE_SHEETS_SPREADSHEET_ID"),
            sheetName: sheetName,
            calendarAPIURL: reader.url("GOOGLE_CALENDAR_API_URL", default: "https://www.googleapis.com/calendar/v3"),
            calendarID: reader.optionalString("GOOGLE_CALENDAR_ID"),
            sheetsSyncBatch: reader.int("SHEETS_SYNC_BATCH", default: 100, range: 1...1000))
    }

    /// The spreadsheet id, or a configuration error naming `GOOGLE_SHEETS_SPREADSHEET_ID` (for the sync job).
    public func requireSpreadsheetID() throws(ConfigurationError) -> String {
        guard let id = self.spreadsheetID else {
            throw ConfigurationError(problems: [
                .init(variable: "GOOGLE_SHEETS_SPREADSHEET_ID", message: "is required to mirror leads to Google Sheets")
            ])
        }
        return id
    }

    /// The calendar id, or a configuration error naming `GOOGLE_CALENDAR_ID`.
    public func requireCalendarID() throws(ConfigurationError) -> String {
        guard let id = self.calendarID else {
            throw ConfigurationError(problems: [
                .init(variable: "GOOGLE_CALENDAR_ID", message: "is required to read and book Google Calendar slots")
            ])
        }
        return id
    }
}
