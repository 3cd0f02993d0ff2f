import BotCore
import FastCGI
import FoundationEssentials
public import Messages
public import Platform

/// What a Tilda POST turned out to be.
public enum TildaPayload: Sendable, Equatable {
    /// The `test=test` probe Tilda sends when the webhook is added.
    case probe
    case submission(TildaSubmission)

    /// Why a body was refused (answered with 400).
    public typealias Invalid = InvalidWebhookBody

    /// The body's fields, from `application/x-www-form-urlencoded` or a JSON object (numbers become text;
    /// nested values are ignored). Field names keep their case; lookups are case-insensitive. Names and values are
    /// cleaned like every webhook's text: control characters other than tab, LF and CR dropped, invalid UTF-8 and
    /// lone surrogates replaced by U+FFFD.
    public static func fields(body: [UInt8], contentType: String) throws(Invalid) -> [String: String] {
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingSpaces.lowercased() } ?? ""
        switch mediaType {
        case "application/x-www-form-urlencoded", "":
            let text = String(decoding: body, as: UTF8.self)
            guard !text.isEmpty else { throw Invalid(message: "the body is empty") }
            let fields = FormURLEncoding.decode(text.trimmingSpaces, cleaning: UntrustedText.clean)
            guard !fields.isEmpty else { throw Invalid(message: "the body has no form fields") }
            return fields
        case "application/json":
            guard let object = JSONValue.parseUntrusted(body)?.value.objectValue else {
                throw Invalid(message: "the body is not a JSON object")
            }
            var fields: [String: String] = [:]
            for (key, value) in object {
                switch value {
                case .string(let string): fields[key] = string
                case .integer(let number): fields[key] = String(number)
                case .number(let number): fields[key] = String(number)
                case .bool(let flag): fields[key] = flag ? "true" : "false"
                default: continue
                }
            }
            return fields
        default:
            throw Invalid(message: "send application/x-www-form-urlencoded or application/json")
        }
    }

    /// Maps the fields with the configured names. Needs a `tranid` and at least one usable contact.
    public static func parse(
        fields: [String: String], settings: AppConfig.Academy.Tilda, receivedAt: Double
    ) throws(Invalid) -> TildaPayload {
        var lowered: [String: String] = [:]
        for (key, value) in fields { lowered[key.lowercased()] = value.trimmingSpaces }
        func field(_ name: String) -> String? { lowered[name.lowercased()].flatMap { $0.isEmpty ? nil : $0 } }

        if field("test") == "test" && field(settings.emailField) == nil && field(settings.phoneField) == nil {
            return .probe
        }
        guard let tranid = field("tranid") else { throw Invalid(message: "tranid is missing") }
        guard tranid.count <= 200 else { throw Invalid(message: "tranid is too long") }
        var rejected: [String: String] = [:]
        var email: String?
        if let raw = field(settings.emailField) {
            if let parsed = EmailAddress(raw) { email = parsed.value } else { rejected["email"] = String(raw.prefix(200)) }
        }
        var phone: String?
        if let raw = field(settings.phoneField) {
            if let parsed = PhoneNumber(raw) { phone = parsed.value } else { rejected["phone"] = String(raw.prefix(64)) }
        }
        guard email != nil || phone != nil else {
            throw Invalid(
                message: rejected.isEmpty ? "the form has neither an email nor a phone" : "neither the email nor the phone is valid")
        }
        let name = String((field(settings.nameField) ?? "").prefix(200))
        return .submission(
            TildaSubmission(
                tranid: tranid, formid: field("formid").map { String($0.prefix(200)) }, name: name, phone: phone, email: email,
                childAge: field(settings.childAgeField).map { String($0.prefix(50)) }, rejectedFields: rejected,
                receivedAt: receivedAt))
    }
}
