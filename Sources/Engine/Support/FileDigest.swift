import Foundation
import Ledger

/// The SHA-256 of a file the engine stages or records, streamed through libcrypto. A file that cannot be read is an
/// error that names it, never an empty digest: an empty digest would be recorded as if it were the file's.
enum FileDigest {
    /// The file's SHA-256 in lower-case hex; `role` says what the file is to the user ("namespace file a/b.txt").
    static func sha256Hex(of url: URL, role: String) throws -> String {
        do {
            return Hex.encode(try Digest.of(.sha256, fileAt: url))
        } catch let error as FileReadError {
            throw EngineError.configuration(
                "cannot read \(role) (\(url.path)): \(error.reason) (\(error.step)); make it readable by this user, "
                    + "or remove it, and run again")
        }
    }
}
