/// Cloud Storage's checksums (`CRC32C`) and Cloud Logging's timestamps (`Timestamp`) come from Primitives; whoever
/// imports GoogleCloud sees them too.
@_exported import Primitives

/// A Cloud Logging entry's time: the package's one RFC 3339 timestamp.
public typealias LogTimestamp = Timestamp
