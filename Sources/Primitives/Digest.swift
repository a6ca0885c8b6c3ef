import COpenSSL
import Foundation

/// A message digest (MD5, SHA-1, SHA-256 or SHA-512) computed by libcrypto, in one call or piece by piece.
///
/// The one implementation of these digests in the package: the ledger's hash chain, the template filters, the
/// Cloud Storage client and the emulator all hash through it.
public final class Digest {
    /// The algorithms in use: SHA-256 for the ledger, the others for template filters and Cloud Storage's `md5Hash`.
    public enum Algorithm: Sendable, CaseIterable {
        case md5, sha1, sha256, sha512

        /// The digest's length in bytes.
        public var byteCount: Int {
            switch self {
            case .md5: 16
            case .sha1: 20
            case .sha256: 32
            case .sha512: 64
            }
        }

        var name: String {
            switch self {
            case .md5: "MD5"
            case .sha1: "SHA1"
            case .sha256: "SHA256"
            case .sha512: "SHA512"
            }
        }

        /// libcrypto's method, fetched once: an implicit fetch on every `EVP_DigestInit_ex` costs a lock and a lookup.
        var method: OpaquePointer {
            switch self {
            case .md5: FetchedMethods.shared.md5
            case .sha1: FetchedMethods.shared.sha1
            case .sha256: FetchedMethods.shared.sha256
            case .sha512: FetchedMethods.shared.sha512
            }
        }
    }

    public let algorithm: Algorithm
    private let context: OpaquePointer
    private var finished = false

    /// A digest to feed with `update` and read once with `finalize`.
    public init(_ algorithm: Algorithm) {
        self.algorithm = algorithm
        guard let context = EVP_MD_CTX_new() else { Self.fail("allocate a digest context", algorithm) }
        self.context = context
        guard EVP_DigestInit_ex2(context, algorithm.method, nil) == 1 else {
            EVP_MD_CTX_free(context)
            Self.fail("start", algorithm)
        }
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Adds the bytes in `buffer`.
    public func update(buffer: UnsafeRawBufferPointer) {
        precondition(!finished, "a \(algorithm.name) digest was updated after it was finalized")
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
        guard EVP_DigestUpdate(context, base, buffer.count) == 1 else { Self.fail("update", algorithm) }
    }

    /// Adds `data`.
    public func update(_ data: some ContiguousBytes) {
        data.withUnsafeBytes { update(buffer: $0) }
    }

    /// The digest of everything added; call it once.
    public func finalize() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: algorithm.byteCount) { out, count in
            count = finalize(into: UnsafeMutableRawBufferPointer(out))
        }
    }

    /// Writes the digest into `out` (at least `algorithm.byteCount` bytes) and returns its length; call it once.
    public func finalize(into out: UnsafeMutableRawBufferPointer) -> Int {
        precondition(!finished, "a \(algorithm.name) digest was finalized twice")
        precondition(out.count >= algorithm.byteCount, "a \(algorithm.name) digest needs \(algorithm.byteCount) bytes")
        finished = true
        var length: UInt32 = 0
        guard EVP_DigestFinal_ex(context, out.baseAddress?.assumingMemoryBound(to: UInt8.self), &length) == 1,
            Int(length) == algorithm.byteCount
        else { Self.fail("finish", algorithm) }
        return Int(length)
    }

    /// The digest of `data` in one call.
    public static func of(_ algorithm: Algorithm, _ data: some ContiguousBytes) -> [UInt8] {
        data.withUnsafeBytes { buffer in
            [UInt8](unsafeUninitializedCapacity: algorithm.byteCount) { out, count in
                count = of(algorithm, buffer: buffer, into: UnsafeMutableRawBufferPointer(out))
            }
        }
    }

    /// Writes the digest of the bytes in `buffer` into `out` (at least `algorithm.byteCount` bytes) and returns its
    /// length: no allocation beyond libcrypto's own.
    @discardableResult
    public static func of(_ algorithm: Algorithm, buffer: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer)
        -> Int
    {
        precondition(out.count >= algorithm.byteCount, "a \(algorithm.name) digest needs \(algorithm.byteCount) bytes")
        var length: UInt32 = 0
        // EVP_Digest reads nothing from a null pointer when the count is 0, but wants a valid one all the same.
        let empty: UInt8 = 0
        let ok = withUnsafePointer(to: empty) { fallback in
            EVP_Digest(
                buffer.baseAddress ?? UnsafeRawPointer(fallback), buffer.count,
                out.baseAddress?.assumingMemoryBound(to: UInt8.self), &length, algorithm.method, nil)
        }
        guard ok == 1, Int(length) == algorithm.byteCount else { fail("compute", algorithm) }
        return Int(length)
    }

    /// The digest of the file at `url`, read in 1 MiB pieces (a file of any size takes 1 MiB of memory).
    ///
    /// - Throws: `FileReadError` when the file cannot be opened or read; an unreadable file never digests as empty.
    public static func of(_ algorithm: Algorithm, fileAt url: URL) throws -> [UInt8] {
        let digest = Digest(algorithm)
        try FileChunks.read(url) { digest.update(buffer: $0) }
        return digest.finalize()
    }

    private static func fail(_ step: String, _ algorithm: Algorithm) -> Never {
        // libcrypto fails here only without memory or when a policy (FIPS mode) forbids the algorithm.
        let code = ERR_get_error()
        var text = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &text, text.count)
        let reason = text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        fatalError(
            "libcrypto could not \(step) a \(algorithm.name) digest (\(reason)): check the OpenSSL "
                + "installation and its configuration (OPENSSL_CONF)")
    }
}

/// The digest methods, fetched from libcrypto's default provider once per process.
private struct FetchedMethods: @unchecked Sendable {
    // EVP_MD objects are reference counted and immutable once fetched, so sharing them across threads is safe.
    let md5: OpaquePointer
    let sha1: OpaquePointer
    let sha256: OpaquePointer
    let sha512: OpaquePointer

    static let shared = FetchedMethods()

    private init() {
        func fetch(_ algorithm: Digest.Algorithm) -> OpaquePointer {
            guard let method = EVP_MD_fetch(nil, algorithm.name, nil) else {
                fatalError(
                    "libcrypto has no \(algorithm.name) digest: check the OpenSSL installation and its configuration "
                        + "(OPENSSL_CONF)")
            }
            return method
        }
        md5 = fetch(.md5)
        sha1 = fetch(.sha1)
        sha256 = fetch(.sha256)
        sha512 = fetch(.sha512)
    }
}
