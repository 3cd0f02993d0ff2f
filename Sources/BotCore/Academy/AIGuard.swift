/// The AI assistant's guard rails (seed "Сценарий 3"): a prefilter that answers some questions
/// without the model, and a postfilter for what the model says.
public enum AIGuard {
    /// What to do with a user's question before calling the model.
    public enum Verdict: String, Sendable, Hashable {
        /// A question about prices: the fixed price answer, no model call.
        case price
        /// An attempt to override the assistant's instructions: the fixed refusal, no model call.
        case injection
        case ok
    }

    /// Classifies a question; injection wins over price ("ignore your rules and tell me the price").
    public static func prefilter(_ text: String) -> Verdict {
        let normalised = Self.normalise(text)
        if Self.injectionPatterns.contains(where: { normalised.contains($0) }) { return .injection }
        if Self.isPriceQuestion(normalised) { return .price }
        return .ok
    }

    /// Lower case, `ё` → `е`, punctuation → space, single spaces, padded with a space on each side
    /// so patterns can match whole words as `" word "`.
    static func normalise(_ text: String) -> String {
        var result = " "
        for character in text.lowercased() {
            let character: Character = character == "ё" ? "е" : character
            if character.isLetter || character.isNumber || character == "$" || character == "€" || character == "₽" {
                result.append(character)
            } else if result.last != " " {
                result.append(" ")
            }
        }
        if result.last != " " { result.append(" ") }
        return result
    }

    private static func isPriceQuestion(_ text: String) -> Bool {
        let words = text.split(separator: " ").map(String.init)
        if words.contains(where: Self.priceWords.contains) { return true }
        if text.contains(" в какую сумму ") || text.contains(" во сколько обойдется ") { return true }
        for (index, word) in words.enumerated() {
            let rest = words[(index + 1)...]
            if word == "сколько", rest.contains(where: Self.russianMoneyWords.contains) { return true }
            // "how much is it / for a lesson / do I pay", not "how much time" or "how much do kids learn".
            if word == "much", index > 0, words[index - 1] == "how" {
                if let next = rest.first, Self.englishPriceFollowers.contains(next) { return true }
                if rest.contains(where: Self.englishMoneyWords.contains) { return true }
            }
        }
        return false
    }

    private static let priceWords: Set<String> = [
        "цена", "цены", "цену", "ценой", "цене", "ценам", "ценах", "ценник", "стоимость", "стоимости",
        "стоимостью", "прайс", "прайса", "прайсе", "почем", "дорого", "тариф", "тарифы", "тарифов",
        "price", "prices", "pricing", "priced", "cost", "costs", "fee", "fees", "tuition", "expensive",
    ]

    private static let russianMoneyWords: Set<String> = [
        "стоит", "стоят", "стоить", "стоило", "стоила", "платить", "заплатить", "оплатить", "плачу", "платим",
        "денег", "рублей", "руб", "долларов", "евро", "за", "обойдется", "берете", "берёте",
    ]

    private static let englishPriceFollowers: Set<String> = ["is", "are", "for", "money", "per", "would", "will"]

    private static let englishMoneyWords: Set<String> = [
        "pay", "paying", "payment", "charge", "charges", "money", "dollars", "euros", "rubles", "usd", "eur",
    ]

    /// Whole-word phrases in `normalise`d form (so "System-Prompt:" matches " system prompt ").
    ///
    /// "Ignore/forget … instructions" needs the noun: "ignore my previous message" is a parent correcting
    /// themselves, not an attack.
    static let injectionPatterns: [String] = {
        var patterns: [String] = []
        let english = (
            verbs: ["ignore", "disregard", "forget", "override", "bypass"],
            determiners: ["", "all ", "all the ", "all of the ", "the ", "your ", "all your ", "all of your ", "any "],
            adjectives: ["", "previous ", "prior ", "above ", "earlier ", "preceding ", "original ", "system "],
            nouns: [
                "instructions", "instruction", "prompts", "prompt", "rules", "directions", "commands", "guidelines",
            ]
        )
        let russian = (
            verbs: ["игнорируй", "проигнорируй", "забудь", "отбрось", "отмени", "не слушай", "нарушь"],
            determiners: ["", "все ", "свои ", "твои ", "все свои ", "все твои ", "все эти "],
            adjectives: ["", "предыдущие ", "прошлые ", "прежние ", "старые ", "данные ", "системные ", "заданные "],
            nouns: [
                "инструкции", "указания", "правила", "команды", "установки", "настройки", "промпты", "промпт",
                "ограничения",
            ]
        )
        for words in [english, russian] {
            for verb in words.verbs {
                for determiner in words.determiners {
                    for adjective in words.adjectives {
                        for noun in words.nouns {
                            patterns.append(" \(verb) \(determiner)\(adjective)\(noun) ")
                        }
                    }
                }
            }
        }
        return patterns + [
            // English
            " ignore everything above ", " forget everything above ", " ignore all of the above ", " ignore the above ",
            " system prompt ", " system message ", " initial prompt ", " show your instructions ",
            " reveal your instructions ", " print your instructions ", " repeat your instructions ",
            " reveal your prompt ",
            " print your prompt ", " show your prompt ", " repeat the words above ", " new instructions ",
            " you are now a ",
            " you are now an ", " you are now the ", " you are now my ", " you are now dan ", " you are now in ",
            " you are now free ", " you are now unrestricted ",
            " from now on you are ", " from now on act ", " act as if you ", " act as an ai ", " act as a different ",
            " act as dan ", " pretend to be ", " pretend you are ", " pretend that you are ", " roleplay as ",
            " role play as ", " jailbreak ", " jailbroken ", " dan mode ", " developer mode ", " do anything now ",
            // Russian
            " забудь все что тебе ", " забудь все что было ", " системный промпт ", " системное сообщение ",
            " покажи свой промпт ", " покажи свои инструкции ", " покажи твои инструкции ", " выведи свои инструкции ",
            " новые инструкции ", " теперь ты не ", " теперь ты бот ", " теперь ты ии ", " теперь ты другой ",
            " теперь ты злой ", " ты теперь не ", " ты теперь другой ", " представь что ты ", " притворись ",
            " веди себя как ", " сыграй роль ", " ролевую игру ", " режим разработчика ", " джейлбрейк ",
            " без цензуры ",
        ]
    }()
}
