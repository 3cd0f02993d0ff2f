import ArgumentParser
import Platform
import Postgres
import Messages

/// `botctl orders`: the latest orders.
struct Orders: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the latest Shoro orders.")

    @Flag(help: "One JSON object per line.") var json = false
    @Option(help: "How many orders.") var limit = 20

    func run() throws {
        let (config, _) = ProcessSetup.load("botctl")
        let connection = try PostgresConnection(conninfo: config.infrastructure.databaseURL)
        let rows = try connection.query(
            """
            SELECT id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS created, status, client_phone,
                   bottles_count, delivery_address, chat2desk_client_id FROM orders ORDER BY id DESC LIMIT $1
            """, [String(self.limit)])
        for row in rows.reversed() {
            let fields: [(String, String)] = [
                ("id", row["id"] ?? ""), ("created_at", row["created"] ?? ""), ("status", row["status"] ?? ""),
                ("phone", row["client_phone"] ?? ""), ("bottles", row["bottles_count"] ?? ""),
                ("address", row["delivery_address"] ?? ""), ("chat2desk_client_id", row["chat2desk_client_id"] ?? ""),
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
