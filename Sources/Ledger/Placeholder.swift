/// The append-only SQLite event ledger.
public enum LedgerModule {}
