import CLibPQ

/// One statement of a pipeline: SQL with `$n` parameters and their values.
public struct PostgresStatement: Sendable {
    public var sql: String
    public var parameters: [PostgresBind]

    public init(_ sql: String, _ parameters: [PostgresBind] = []) {
        self.sql = sql
        self.parameters = parameters
    }
}

extension PostgresConnection {
    /// The most statements kept prepared per connection; further SQL texts run unprepared.
    static let maxPreparedStatements = 128

    /// Runs `statements` in order in one round trip (libpq pipeline mode, one `PQpipelineSync`) and
    /// returns each statement's rows.
    ///
    /// Each SQL text is prepared once per connection (`PQsendPrepare`, in the same round trip as its
    /// first use) and then executed by name, so the server parses and plans it once per session.
    /// The statements run as if sent one by one: a `BEGIN` … `COMMIT` among them is one transaction.
    /// The first failing statement's error is thrown and the statements after it are skipped by the
    /// server; a transaction it was in is left aborted, so call `rollbackIfInTransaction()`.
    @discardableResult
    public func pipeline(_ statements: [PostgresStatement]) throws(PostgresError) -> [[PostgresRow]] {
        if statements.isEmpty { return [] }
        guard PQenterPipelineMode(self.raw) == 1 else { throw self.connectionError(query: statements[0].sql) }
        // What each result in the stream answers: a prepare (with its SQL and name) or a statement.
        enum Pending { case prepare(sql: String, name: String), statement(Int) }
        var expected: [Pending] = []
        var newNames: [String: String] = [:]
        for (index, statement) in statements.enumerated() {
            var name = self.preparedNames[statement.sql] ?? newNames[statement.sql]
            if name == nil, self.preparedNames.count + newNames.count < Self.maxPreparedStatements {
                let fresh = "chatbots_\(self.preparedNames.count + newNames.count + 1)"
                guard PQsendPrepare(self.raw, fresh, statement.sql, Int32(statement.parameters.count), nil) == 1 else {
                    throw self.abandonPipeline(statement.sql)
                }
                newNames[statement.sql] = fresh
                expected.append(.prepare(sql: statement.sql, name: fresh))
                name = fresh
            }
            // libpq copies the parameter values into its output buffer during the call.
            let sent: Int32 = Self.withCStrings(statement.parameters) { values in
                if let name {
                    PQsendQueryPrepared(self.raw, name, Int32(statement.parameters.count), values, nil, nil, 0)
                } else {
                    PQsendQueryParams(self.raw, statement.sql, Int32(statement.parameters.count), nil, values, nil, nil, 0)
                }
            }
            guard sent == 1 else { throw self.abandonPipeline(statement.sql) }
            expected.append(.statement(index))
        }
        guard PQpipelineSync(self.raw) == 1 else { throw self.abandonPipeline(statements[0].sql) }

        var results: [[PostgresRow]] = []
        results.reserveCapacity(statements.count)
        var firstError: PostgresError?
        for item in expected {
            guard let result = PQgetResult(self.raw) else { throw self.abandonPipeline(statements[0].sql) }
            let status = PQresultStatus(result)
            switch (status, item) {
            case (PGRES_TUPLES_OK, .statement), (PGRES_COMMAND_OK, .statement):
                results.append(Self.rows(result))
            case (PGRES_COMMAND_OK, .prepare(let sql, let name)):
                self.preparedNames[sql] = name
            case (PGRES_PIPELINE_ABORTED, _):
                break
            default:
                if firstError == nil {
                    let sql: String =
                        switch item {
                        case .prepare(let sql, _): sql
                        case .statement(let index): statements[index].sql
                        }
                    let sqlState = PQresultErrorField(result, clibpq_diag_sqlstate).map { SQLState(rawValue: String(cString: $0)) }
                    firstError = PostgresError(
                        code: .queryFailed, sqlState: sqlState, message: String(cString: PQresultErrorMessage(result)),
                        query: sql)
                }
            }
            PQclear(result)
            // Each command's results end with a NULL.
            if let extra = PQgetResult(self.raw) {
                PQclear(extra)
                throw self.abandonPipeline(statements[0].sql)
            }
        }
        guard let sync = PQgetResult(self.raw) else { throw self.abandonPipeline(statements[0].sql) }
        let synced = PQresultStatus(sync) == PGRES_PIPELINE_SYNC
        PQclear(sync)
        guard synced, PQexitPipelineMode(self.raw) == 1 else { throw self.abandonPipeline(statements[0].sql) }
        if let firstError { throw firstError }
        return results
    }

    /// Rolls back a transaction left open (or aborted) by a failed statement; a no-op outside one.
    public func rollbackIfInTransaction() {
        let status = PQtransactionStatus(self.raw)
        if status == PQTRANS_INTRANS || status == PQTRANS_INERROR { _ = try? self.query("ROLLBACK") }
    }

    /// The result stream is not what was sent: the connection cannot be trusted any more. It is marked,
    /// so `isHealthy` turns false and the owner reconnects; the outcome of the statements is unknown.
    private func abandonPipeline(_ sql: String) -> PostgresError {
        let error = self.connectionError(query: sql)
        self.abandoned = true
        return error
    }
}
