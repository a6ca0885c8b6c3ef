import COpenSSL
import Foundation

/// RSASSA-PKCS1-v1_5 with SHA-256 through libcrypto. Every OpenSSL object is created and freed inside one call;
/// no pointer escapes. Error texts come from OpenSSL's error queue and never contain key material.
enum RS256 {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Signs `message` with the PEM private key (PKCS#8 `BEGIN PRIVATE KEY`, or PKCS#1 `BEGIN RSA PRIVATE KEY`).
    static func sign(_ message: [UInt8], privateKeyPEM: String) throws -> [UInt8] {
        try withPrivateKey(privateKeyPEM) { key in
            guard let context = EVP_MD_CTX_new() else { throw Failure(description: "cannot allocate a digest context") }
            defer { EVP_MD_CTX_free(context) }
            guard EVP_DigestSignInit(context, nil, EVP_sha256(), nil, key) == 1 else {
                throw Failure(description: "cannot start signing: \(openSSLError())")
            }
            var length = 0
            guard
                message.withUnsafeBufferPointer({ EVP_DigestSign(context, nil, &length, $0.baseAddress, $0.count) })
                    == 1
            else {
                throw Failure(description: "cannot size the signature: \(openSSLError())")
            }
            var signature = [UInt8](repeating: 0, count: length)
            let status = signature.withUnsafeMutableBufferPointer { out in
                message.withUnsafeBufferPointer { input in
                    EVP_DigestSign(context, out.baseAddress, &length, input.baseAddress, input.count)
                }
            }
            guard status == 1 else { throw Failure(description: "signing failed: \(openSSLError())") }
            return Array(signature.prefix(length))
        }
    }

    /// Checks a signature against a PEM public key (`BEGIN PUBLIC KEY`) or the public half of a private key.
    static func verify(_ signature: [UInt8], of message: [UInt8], keyPEM: String) throws -> Bool {
        let isPrivate = keyPEM.contains("PRIVATE KEY")
        let check: (OpaquePointer) throws -> Bool = { key in
            guard let context = EVP_MD_CTX_new() else { throw Failure(description: "cannot allocate a digest context") }
            defer { EVP_MD_CTX_free(context) }
            guard EVP_DigestVerifyInit(context, nil, EVP_sha256(), nil, key) == 1 else {
                throw Failure(description: "cannot start verifying: \(openSSLError())")
            }
            let status = signature.withUnsafeBufferPointer { sig in
                message.withUnsafeBufferPointer { input in
                    EVP_DigestVerify(context, sig.baseAddress, sig.count, input.baseAddress, input.count)
                }
            }
            ERR_clear_error()
            return status == 1
        }
        return isPrivate ? try withPrivateKey(keyPEM, check) : try withPublicKey(keyPEM, check)
    }

    private static func withPrivateKey<T>(_ pem: String, _ body: (OpaquePointer) throws -> T) throws -> T {
        try withBIO(pem) { bio in
            guard let key = PEM_read_bio_PrivateKey(bio, nil, nil, nil) else {
                throw Failure(description: "the private key is not a PEM RSA key (\(openSSLError()))")
            }
            defer { EVP_PKEY_free(key) }
            return try body(key)
        }
    }

    private static func withPublicKey<T>(_ pem: String, _ body: (OpaquePointer) throws -> T) throws -> T {
        try withBIO(pem) { bio in
            guard let key = PEM_read_bio_PUBKEY(bio, nil, nil, nil) else {
                throw Failure(description: "the public key is not a PEM key (\(openSSLError()))")
            }
            defer { EVP_PKEY_free(key) }
            return try body(key)
        }
    }

    private static func withBIO<T>(_ pem: String, _ body: (OpaquePointer) throws -> T) throws -> T {
        let bytes = Array(pem.utf8)
        return try bytes.withUnsafeBufferPointer { buffer in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else {
                throw Failure(description: "cannot allocate a memory BIO")
            }
            defer { BIO_free(bio) }
            return try body(bio)
        }
    }

    private static func openSSLError() -> String {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return "no detail" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Base64url without padding (RFC 7515 §2), as JWTs use.
enum Base64URL {
    static func encode(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: some StringProtocol) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
