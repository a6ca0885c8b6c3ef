import COpenSSL
import Foundation

/// An RSA key read from a service-account key file, used to check RS256 signatures of JWT assertions.
final class RSAKey: @unchecked Sendable {
    private let key: OpaquePointer
    /// The key file's `private_key_id`, matched against the JWT header's `kid`.
    let keyID: String?
    /// The key file's `client_email`.
    let clientEmail: String?

    /// Reads `private_key` (PEM PKCS#8) from a service-account JSON key file.
    init(serviceAccountFile url: URL) throws {
        guard let data = try? Data(contentsOf: url), let json = try? JSONValue.parse(data),
            let pem = json["private_key"]?.stringValue
        else {
            throw LocalCloudError.configuration(
                "\(url.path) is not a service-account key file (JSON with 'private_key'); download one with "
                    + "'gcloud iam service-accounts keys create'")
        }
        keyID = json["private_key_id"]?.stringValue
        clientEmail = json["client_email"]?.stringValue
        // The BIO reads the PEM's bytes in place, so it is made, read and freed inside the scope where they exist.
        let bytes = Array(pem.utf8)
        let read: OpaquePointer? = bytes.withUnsafeBytes { buffer -> OpaquePointer? in
            guard let base = buffer.baseAddress, buffer.count < Int(Int32.max),
                let bio = BIO_new_mem_buf(base, Int32(buffer.count))
            else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PrivateKey(bio, nil, nil, nil)
        }
        guard let key = read else {
            throw LocalCloudError.configuration(
                "\(url.path): 'private_key' is not a PEM private key libcrypto can read")
        }
        self.key = key
    }

    deinit { EVP_PKEY_free(key) }

    /// Checks an RSASSA-PKCS1-v1_5 SHA-256 signature over `message`.
    func verify(message: Data, signature: Data) -> Bool {
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, EVP_sha256(), nil, key) == 1 else { return false }
        return message.withUnsafeBytes { messageBytes in
            signature.withUnsafeBytes { signatureBytes in
                EVP_DigestVerify(
                    context, signatureBytes.bindMemory(to: UInt8.self).baseAddress, signature.count,
                    messageBytes.bindMemory(to: UInt8.self).baseAddress, message.count) == 1
            }
        }
    }
}
