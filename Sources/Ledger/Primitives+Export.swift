/// The ledger's timestamps (`Timestamp`) and digests come from Primitives; whoever imports Ledger sees them too.
@_exported import Primitives
