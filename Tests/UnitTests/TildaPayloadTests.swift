import Edge
import Messages
import Platform
import Testing

/// Pure parsing of Tilda submissions (no servers): both encodings, field mapping, probe, refusals.
@Suite("Tilda payload")
struct TildaPayloadTests {
    static let settings = AppConfig.Academy.Tilda(
        secret: "0123456789abcdef", secretHeader: "X-Tilda-Secret", secretField: "secret", secretQuery: "token",
        nameField: "Name", phoneField: "Phone", emailField: "Email", childAgeField: "child_age")

    func parse(
        _ body: String, _ contentType: String = "application/x-www-form-urlencoded",
        settings: AppConfig.Academy.Tilda = Self.settings
    ) throws -> TildaPayload {
        try TildaPayload.parse(
            fields: try TildaPayload.fields(body: Array(body.utf8), contentType: contentType), settings: settings, receivedAt: 100)
    }

    @Test func theDocumentedUrlencodedSubmissionIsNormalised() throws {
        let body =
            "Name=%D0%98%D0%B2%D0%B0%D0%BD&Phone=%2B7+%28999%29+000-11-22&Email=Ivan%40Example.com"
            + "&child_age=7&tranid=1234567%3A8901234&formid=form123456789&COOKIES=_ga%3D1"
        guard case .submission(let lead) = try self.parse(body, "application/x-www-form-urlencoded; charset=UTF-8") else {
            Issue.record("not a submission")
            return
        }
        #expect(lead.name == "Иван")
        #expect(lead.phone == "+79990001122")
        #expect(lead.email == "ivan@example.com")
        #expect(lead.childAge == "7")
        #expect(lead.tranid == "1234567:8901234")
        #expect(lead.formid == "form123456789")
        #expect(lead.rejectedFields.isEmpty)
        #expect(lead.conversation == "lead:ivan@example.com")
    }

    @Test func jsonWithNumbersAndLowerCaseNamesWorksToo() throws {
        let body = #"{"name":"Anna","phone":"89991234567","email":" ANNA@mail.ru ","child_age":9,"tranid":987654,"extra":{"x":1}}"#
        guard case .submission(let lead) = try self.parse(body, "application/json") else {
            Issue.record("not a submission")
            return
        }
        #expect(lead.name == "Anna")
        #expect(lead.phone == "+79991234567")
        #expect(lead.email == "anna@mail.ru")
        #expect(lead.childAge == "9")
        #expect(lead.tranid == "987654")
    }

    @Test func configuredFieldNamesAreUsed() throws {
        var settings = Self.settings
        settings.nameField = "parent_name"
        settings.childAgeField = "age"
        guard case .submission(let lead) = try self.parse("parent_name=Olga&Email=o%40ya.ru&age=5&tranid=t1", settings: settings) else {
            Issue.record("not a submission")
            return
        }
        #expect(lead.name == "Olga")
        #expect(lead.childAge == "5")
        #expect(lead.phone == nil)
    }

    @Test func theTestProbeIsRecognised() throws {
        #expect(try self.parse("test=test") == .probe)
        #expect(try self.parse(#"{"test":"test"}"#, "application/json") == .probe)
    }

    @Test func oneBadContactIsKeptAsRejectedWhenTheOtherWorks() throws {
        guard case .submission(let lead) = try self.parse("Email=ivan%40gmail&Phone=%2B996+555+123+456&tranid=t2") else {
            Issue.record("not a submission")
            return
        }
        #expect(lead.email == nil)
        #expect(lead.phone == "+996555123456")
        #expect(lead.rejectedFields == ["email": "ivan@gmail"])
        #expect(lead.conversation == "lead:+996555123456")
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        let body: String
        let contentType: String
        let message: String
        var testDescription: String { self.message }
    }

    @Test(arguments: [
        Refusal(body: "", contentType: "application/x-www-form-urlencoded", message: "the body is empty"),
        Refusal(body: "Email=a%40b.ru", contentType: "application/x-www-form-urlencoded", message: "tranid is missing"),
        Refusal(
            body: "tranid=1&Name=x", contentType: "application/x-www-form-urlencoded", message: "the form has neither an email nor a phone"),
        Refusal(
            body: "tranid=1&Email=nope&Phone=123", contentType: "application/x-www-form-urlencoded",
            message: "neither the email nor the phone is valid"),
        Refusal(body: "[1,2]", contentType: "application/json", message: "the body is not a JSON object"),
        Refusal(body: "{\"tranid\":", contentType: "application/json", message: "the body is not a JSON object"),
        Refusal(body: "<xml/>", contentType: "text/xml", message: "send application/x-www-form-urlencoded or application/json"),
    ])
    func badBodiesAreRefusedWithAReason(_ refusal: Refusal) {
        #expect(throws: TildaPayload.Invalid(message: refusal.message)) {
            try self.parse(refusal.body, refusal.contentType)
        }
    }
}
