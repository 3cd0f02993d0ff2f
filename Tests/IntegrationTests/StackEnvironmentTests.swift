import Curl
import Foundation
import Postgres
import Redis
import TestSupport
import Testing

@Suite("Stack environment", .stack)
struct StackEnvironmentTests {
    /// Under `make test` every variable the suites read is set; a missing one fails here by name.
    @Test func everyVariableIsSet() {
        for name in TestStack.requiredVariables {
            #expect(TestStack.environment[name]?.isEmpty == false, "\(name) is not set: run the integration tests with `make test`")
        }
    }

    @Test func theStackProcessesAnswer() throws {
        #expect(try TestStack.redis().command(["PING"]) == .status("PONG"))
        #expect(try TestStack.postgres().queryOne("SELECT 1 AS one").decode("one", as: Int.self) == 1)
        let fake = try TestStack.fakeControl("GET", "/_fake/health") as? [String: Any]
        #expect(fake?["ok"] as? Bool == true)
        #expect(try TestStack.nginx("GET", "/bench/static200").status == 200)
    }

    @Test func freshDatabasesAreCreatedAndDropped() throws {
        let name = try TestStack.withFreshDatabase { url in
            let connection = try PostgresConnection(conninfo: url)
            return try connection.queryOne("SELECT current_database() AS db").decode("db", as: String.self)
        }
        #expect(name.hasPrefix("t_"))
        let exists = try TestStack.postgres().query("SELECT 1 FROM pg_database WHERE datname = $1", [name])
        #expect(exists.isEmpty)
        #expect(
            TestStack.replacingDatabase(in: "postgresql://u@h:5/main?sslmode=disable", with: "t_x")
                == "postgresql://u@h:5/t_x?sslmode=disable")
        #expect(TestStack.replacingDatabase(in: "postgres://h", with: "t_x") == "postgres://h/t_x")
        #expect(TestStack.replacingDatabase(in: "host=/tmp dbname=main", with: "t_x") == "host=/tmp dbname=main dbname=t_x")
    }

    @Test func freePortsAreFree() throws {
        let port = try TestStack.freePort()
        #expect((1024...65535).contains(port))
    }
}
