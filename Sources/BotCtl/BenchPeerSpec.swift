import ArgumentParser
import FoundationEssentials
import Messages
import Platform
import Redis

/// `botctl bench-peer-spec` (hidden): what the bench's Node and Python peers need to do exactly the webhook's Redis
/// work: the enqueue script, its keys and arguments for a placeholder message, as JSON. Generated from
/// `InboundQueue`, so the peers never carry a hand-kept copy of the script.
struct BenchPeerSpec: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-peer-spec", abstract: "Print the webhook enqueue script and keys for bench peers (JSON).",
        shouldDisplay: false)

    static let conversationPlaceholder = "<client_id>"
    static let messagePlaceholder = "<message_id>"
    static let payloadPlaceholder = "<payload>"

    func run() throws {
        let (config, _) = ProcessSetup.load("botctl")
        let queue = InboundQueue.shoro
        let spec: [String: JSONValue] = [
            "script": .string(InboundQueue.enqueueScript.source),
            "keys": .array(
                queue.enqueueKeys(conversation: Self.conversationPlaceholder, dedupeID: Self.messagePlaceholder)
                    .map(JSONValue.string)),
            "arguments": .array(
                queue.enqueueArguments(
                    Self.payloadPlaceholder, conversation: Self.conversationPlaceholder, dedupeID: Self.messagePlaceholder,
                    dedupeSeconds: config.queue.dedupeSeconds
                ).map(JSONValue.string)),
            "secret": .string(config.shoro?.webhookSecret ?? ""),
        ]
        print(JSONValue.object(spec).serialized)
    }
}
