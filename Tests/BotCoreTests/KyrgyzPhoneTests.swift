import BotCore
import Testing

@Suite struct KyrgyzPhoneTests {
    @Test(arguments: [
        ("0555 123 456", "+996555123456"),
        ("555123456", "+996555123456"),
        ("996555123456", "+996555123456"),
        ("+996 (555) 12-34-56", "+996555123456"),
        ("00996555123456", "+996555123456"),
        ("+996555123456", "+996555123456"),
        ("0555-12-34-56", "+996555123456"),
        ("0555.123.456", "+996555123456"),
        ("(0555) 123456", "+996555123456"),
        ("  0 7 0 0 1 2 3 4 5 6  ", "+996700123456"),
        ("+996 0555 123 456", "+996555123456"),
        ("0312 62 12 12", "+996312621212"),
        ("0999\u{00A0}888\u{00A0}777", "+996999888777"),
        ("+996 (770) 98-76-54\n", "+996770987654"),
    ])
    func normalizesKyrgyzNumbers(input: String, expected: String) {
        #expect(KyrgyzPhone.normalize(input) == expected)
    }

    @Test(arguments: [
        "",
        "телефон",
        "0555 123 45",  // too few digits
        "0555 123 4567",  // too many digits
        "55512345",
        "+7 701 123 4567",  // Kazakhstan
        "+7 (912) 123-45-67",  // Russia
        "8 555 123 456",
        "0155 123 456",  // national number must start with 2-9
        "055512345a",
        "мой номер 0555123456",
        "0555 123 456 доб. 2",
        "99655512345",
        "+ 996 555 123 456 +",
        "5551+23456",
        "+0555123456",
    ])
    func rejectsWhatIsNotAKyrgyzNumber(input: String) {
        #expect(KyrgyzPhone.normalize(input) == nil)
    }

    @Test func displaysNormalizedNumberInGroups() {
        #expect(KyrgyzPhone.display("+996555123456") == "+996 555 123 456")
        #expect(KyrgyzPhone.display("0700111222") == "+996 700 111 222")
    }

    @Test func displayLeavesUnreadableTextAlone() {
        #expect(KyrgyzPhone.display("abc") == "abc")
    }
}
