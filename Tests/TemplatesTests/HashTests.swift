import Primitives
import Testing

@testable import Templates

/// The digests behind the hashing filters against reference vectors (computed with Python's hashlib), including
/// inputs that cross block boundaries.
struct HashTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: [UInt8]
        var md5: String
        var sha1: String
        var sha256: String
        var sha512: String
        var testDescription: String { name }
    }

    static let vectors: [Vector] = [
        Vector(
            name: "empty", bytes: [], md5: "d41d8cd98f00b204e9800998ecf8427e",
            sha1: "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            sha512: "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f"
                + "63b931bd47417a81a538327af927da3e"),
        Vector(
            name: "fox", bytes: Array("The quick brown fox jumps over the lazy dog".utf8),
            md5: "9e107d9d372bb6826bd81d3542a419d6", sha1: "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
            sha256: "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592",
            sha512: "07e547d9586f6a73f73fbac0435ed76951218fb7d0c8d788a309d785436bbb642e93a252a954f23912547d1e8a3b5ed6"
                + "e1bfd7097821233fa0538f3db854fee6"),
        Vector(
            name: "1000 × a", bytes: Array(repeating: UInt8(ascii: "a"), count: 1000),
            md5: "cabe45dcc9ae5b66ba86600cca6b8ba8", sha1: "291e9a6c66994949b57ba5e650361e98fc36b1ba",
            sha256: "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3",
            sha512: "67ba5535a46e3f86dbfbed8cbbaf0125c76ed549ff8b0b9e03e0c88cf90fa634fa7b12b47d77b694de488ace8d9a659"
                + "67dc96df599727d3292a8d9d447709c97"),
        Vector(
            name: "all bytes × 3", bytes: Array((0..<768).map { UInt8($0 % 256) }),
            md5: "e6899eaaf06fd702f3ed3f988eb19362", sha1: "ac2a264c8ec1f4232a40854e8239bc3a697ab1d2",
            sha256: "f3a25aa93aa2fbba28d79260535bbd6a5eb0fc1c24a8b0f04e12b484c1dfe363",
            sha512: "f1721f49518ee462a3d81def26d81037cd474b4254b85ad7c8f1509594d0177bbb996ee9625813852bacac108c2a72c8"
                + "3a8587050fec1dcda64730d6470953e6"),
    ]

    @Test(arguments: vectors)
    func digestsMatchReference(vector: Vector) {
        #expect(Hex.encode(Digest.of(.md5, vector.bytes)) == vector.md5)
        #expect(Hex.encode(Digest.of(.sha1, vector.bytes)) == vector.sha1)
        #expect(Hex.encode(Digest.of(.sha256, vector.bytes)) == vector.sha256)
        #expect(Hex.encode(Digest.of(.sha512, vector.bytes)) == vector.sha512)
    }

    @Test func filtersPrintTheseDigests() {
        let fox = "The quick brown fox jumps over the lazy dog"
        #expect(Evaluator.hexDigest(.md5, fox) == "9e107d9d372bb6826bd81d3542a419d6")
        #expect(Evaluator.hexDigest(.sha1, fox) == "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12")
        #expect(Evaluator.hexDigest(.sha256, fox) == "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592")
    }
}
