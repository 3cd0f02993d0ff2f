import ArgumentParser
import Messages
import Platform
import Postgres

/// `botctl orders [list]`: the latest orders and whether dispatch was told; `botctl orders set-status ID STATUS`.
struct Orders: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the latest Shoro orders, or mark one delivered/cancelled.", subcommands: [List.self, SetStatus.self],
        defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The latest orders (dispatch: whether the dispatch note was sent).")

        @Flag(help: "One JSON object per line.") var json = false
        @Option(help: "How many orders.") var limit = 20

        func run() throws {
            let (config, _) = ProcessSetup.load("botctl")
            let connection = try PostgresConnection(conninfo: config.infrastructure.databaseURL)
            // The dispatch note is the outbox row keyed by the order's idempotency key (see ShoroStep).
            let rows = try connection.query(
                """
                SELECT o.id, to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS created, o.status, o.client_phone,
                       o.bottles_count, o.delivery_address, o.chat2desk_client_id,
                       CASE WHEN d.id IS NULL THEN 'none' WHEN d.status = 'sent' THEN 'notified' ELSE d.status END AS dispatch
                FROM orders o LEFT JOIN outbox d ON d.source_key = 'dispatch:' || o.idempotency_key
                ORDER BY o.id DESC LIMIT $1
                """, [String(self.limit)])
            for row in rows.reversed() {
                let fields: [(String, String)] = [
                    ("id", row["id"] ?? ""), ("created_at", row["created"] ?? ""), ("status", row["status"] ?? ""),
                    ("phone", row["client_phone"] ?? ""), ("bottles", row["bottles_count"] ?? ""),
                    ("address", row["delivery_address"] ?? ""), ("chat2desk_client_id", row["chat2desk_client_id"] ?? ""),
                    ("dispatch", row["dispatch"] ?? ""),
                ]
                if self.json {
                    print("{" + fields.map { "\(JSONText.quote($0.0)):\(JSONText.quote($0.1))" }.joined(separator: ",") + "}")
                } else {
                    print(fields.map { $0.1 }.joined(separator: " | "))
                }
            }
            if rows.isEmpty && !self.json { print("no orders yet") }
        }
    }

    struct SetStatus: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-status", abstract: "Mark an order delivered or cancelled (what \"where is my order?\" answers).")

        static let statuses = ["confirmed", "delivered", "cancelled"]

        @Argument(help: "The order id (botctl orders).") var id: Int64
        @Argument(help: "confirmed, delivered or cancelled.") var status: String

        func validate() throws {
            guard self.id > 0 else { throw ValidationError("the order id must be a positive number") }
            guard Self.statuses.contains(self.status) else {
                throw ValidationError("the status must be one of \(Self.statuses.joined(separator: ", ")) (got '\(self.status)')")
            }
        }

        func run() throws {
            let (config, _) = ProcessSetup.load("botctl")
            let connection = try PostgresConnection(conninfo: config.infrastructure.databaseURL)
            let rows = try connection.query(
                "UPDATE orders SET status = $2, updated_at = now() WHERE id = $1 RETURNING id", [String(self.id), self.status])
            guard !rows.isEmpty else { throw ValidationError("no order \(self.id)") }
            print("order \(self.id) is now \(self.status)")
        }
    }
}
