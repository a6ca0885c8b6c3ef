import Foundation
import Ledger
import Primitives

/// Opens an `EventStore` whose ledger of record is a PostgreSQL database: the store's writes go to PostgreSQL,
/// and its reads to a local cache file that holds a checked copy of the shared log.
public enum PostgresLedgerStore {
    /// The cache folder: `$BATCHLEDGER_CACHE_DIR`, else `$XDG_CACHE_HOME/batchledger`, else
    /// `~/.cache/batchledger`.
    public static func defaultCacheFolder(environment: [String: String] = ProcessInfo.processInfo.environment)
        -> String
    {
        if let folder = environment["BATCHLEDGER_CACHE_DIR"], !folder.isEmpty { return folder }
        if let cache = environment["XDG_CACHE_HOME"], cache.hasPrefix("/") {
            return (cache as NSString).appendingPathComponent("batchledger")
        }
        return (NSHomeDirectory() as NSString).appendingPathComponent(".cache/batchledger")
    }

    /// The cache file of the ledger at `url` in `folder`: one per database (the URL without its password).
    public static func cachePath(for url: PostgresURL, in folder: String) -> String {
        let name = SHA256Digest.of(Array(url.description.utf8)).hex.prefix(24)
        return (folder as NSString).appendingPathComponent("postgres-\(name).sqlite")
    }

    /// Opens the ledger at `url` (migrating it unless `options.readOnly`) with its cache in `cacheFolder`. With
    /// `create` false, a database without the ledger's schema is `PostgresLedgerError.noLedger`.
    public static func open(
        url text: String, options: EventStore.Options = EventStore.Options(), create: Bool = true,
        cacheFolder: String? = nil
    ) throws -> EventStore {
        let url = try PostgresURL(text)
        let record = try PostgresRecord.open(url: text, readOnly: options.readOnly, create: create)
        var options = options
        options.record = record
        let folder = cacheFolder ?? defaultCacheFolder()
        return try EventStore(path: cachePath(for: url, in: folder), options: options)
    }
}
