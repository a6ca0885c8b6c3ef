import PostgresLedger
import Testing

@Suite struct PostgresURLTests {
    @Test func aURLIsParsedAndPrintedWithoutItsPassword() throws {
        let url = try PostgresURL("postgres://ledger:s3cr%40t@db.example:6543/ops?sslmode=require")
        #expect(url.user == "ledger")
        #expect(url.host == "db.example")
        #expect(url.port == 6543)
        #expect(url.database == "ops")
        #expect(url.sslMode == .require)
        #expect(url.description == "postgres://ledger@db.example:6543/ops?sslmode=require")
        #expect(!"\(url)".contains("s3cr") && !String(reflecting: url).contains("s3cr"))
    }

    @Test func defaultsArePort5432TheUsersDatabaseAndPreferredTLS() throws {
        let url = try PostgresURL("postgresql://me@127.0.0.1")
        #expect(url.port == 5432)
        #expect(url.database == "me")
        #expect(url.sslMode == .prefer)
    }

    @Test(arguments: [
        "postgres://127.0.0.1:5432/db", "postgres://u@:5432/db", "postgres://u@h/db?sslmode=sometimes",
        "postgres://u@h/db?application_name=x", "mysql://u@h/db",
    ])
    func badURLsAreRefusedWithoutEchoingThem(_ text: String) {
        #expect(throws: PostgresLedgerError.self) { try PostgresURL(text) }
    }
}
