import Foundation
import Primitives
import Testing

/// libcrypto's digests through `Digest`, against answers computed with Python's hashlib: in one call, piece by
/// piece, and streamed from a file larger than one read.
struct DigestTests {
    struct Boundary: Sendable, CustomTestStringConvertible {
        var length: Int
        var md5: String
        var sha1: String
        var sha256: String
        var sha512: String
        var testDescription: String { "\(length) × a" }
    }

    /// Lengths where the padding spills into another block (64-byte blocks for MD5, SHA-1 and SHA-256, 128 for SHA-512).
    static let boundaries: [Boundary] = [
        Boundary(
            length: 55, md5: "ef1772b6dff9a122358552954ad0df65", sha1: "c1c8bbdc22796e28c0e15163d20899b65621d65a",
            sha256: "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318",
            sha512: "b0220c772cbf6c1822e2cb38a437d0e1d58772417a4bbb21c961364f8b6143e0"
                + "5aa6316dca8d1d7b19e16448419076395f6086cb55101fbd6d5497b148e1745f"),
        Boundary(
            length: 56, md5: "3b0c8ac703f828b04c6c197006d17218", sha1: "c2db330f6083854c99d4b5bfb6e8f29f201be699",
            sha256: "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a",
            sha512: "962b64aae357d2a4fee3ded8b539bdc9d325081822b0bfc55583133aab44f18b"
                + "afe11d72a7ae16c79ce2ba620ae2242d5144809161945f1367f41b3972e26e04"),
        Boundary(
            length: 63, md5: "b06521f39153d618550606be297466d5", sha1: "03f09f5b158a7a8cdad920bddc29b81c18a551f5",
            sha256: "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34",
            sha512: "c1b0f5c6d3b03dfe4a2602e67242f54e344090b66e01100a469b129f583f016c"
                + "7e27dddeaa438393dcc7ec54b0b57c9ba7af007f9b56db5f6fb677d972a31362"),
        Boundary(
            length: 64, md5: "014842d480b571495a4a0363793f7367", sha1: "0098ba824b5c16427bd7a1122a5a442a25ec644d",
            sha256: "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb",
            sha512: "01d35c10c6c38c2dcf48f7eebb3235fb5ad74a65ec4cd016e2354c637a8fb49b"
                + "695ef3c1d6f7ae4cd74d78cc9c9bcac9d4f23a73019998a7f73038a5c9b2dbde"),
        Boundary(
            length: 111, md5: "089f243d1e831c5879aa375ee364a06e", sha1: "ac877859d427d9192054eea8feb3b8a403ef83a5",
            sha256: "6374f73208854473827f6f6a3f43b1f53eaa3b82c21c1a6d69a2110b2a79baad",
            sha512: "fa9121c7b32b9e01733d034cfc78cbf67f926c7ed83e82200ef8681819692176"
                + "0b4beff48404df811b953828274461673c68d04e297b0eb7b2b4d60fc6b566a2"),
        Boundary(
            length: 112, md5: "9146ef3527c7cfcc66dc615c3986e391", sha1: "689993727ba37386bb032495e9dbdfb4dd1ba744",
            sha256: "f54353008a2553262ecdc4a34749563ba0950e8b0fc8652780b0a614b99683c1",
            sha512: "c01d080efd492776a1c43bd23dd99d0a2e626d481e16782e75d54c2503b5dc32"
                + "bd05f0f1ba33e568b88fd2d970929b719ecbb152f58f130a407c8830604b70ca"),
        Boundary(
            length: 127, md5: "020406e1d05cdc2aa287641f7ae2cc39", sha1: "89d95fa32ed44a7c610b7ee38517ddf57e0bb975",
            sha256: "c57e9278af78fa3cab38667bef4ce29d783787a2f731d4e12200270f0c32320a",
            sha512: "828613968b501dc00a97e08c73b118aa8876c26b8aac93df128502ab360f91ba"
                + "b50a51e088769a5c1eff4782ace147dce3642554199876374291f5d921629502"),
        Boundary(
            length: 128, md5: "e510683b3f5ffe4093d021808bc6ff70", sha1: "ad5b3fdbcb526778c2839d2f151ea753995e26a0",
            sha256: "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e",
            sha512: "b73d1929aa615934e61a871596b3f3b33359f42b8175602e89f7e06e5f658a24"
                + "3667807ed300314b95cacdd579f3e33abdfbe351909519a846d465c59582f321"),
    ]

    @Test(arguments: boundaries)
    func digestsAtBlockBoundaries(_ vector: Boundary) {
        let bytes = [UInt8](repeating: UInt8(ascii: "a"), count: vector.length)
        #expect(Hex.encode(Digest.of(.md5, bytes)) == vector.md5)
        #expect(Hex.encode(Digest.of(.sha1, bytes)) == vector.sha1)
        #expect(Hex.encode(Digest.of(.sha256, bytes)) == vector.sha256)
        #expect(Hex.encode(Digest.of(.sha512, bytes)) == vector.sha512)
    }

    /// 3 MiB + 17 bytes: three whole 1 MiB reads and a short one.
    static let fileBytes = Data((0..<(3 << 20) + 17).map { UInt8(truncatingIfNeeded: ($0 &* 31) ^ ($0 >> 8)) })
    static let fileAnswers: [Digest.Algorithm: String] = [
        .md5: "8712ac72c5fa73c40f15d7f6aefd8efc",
        .sha1: "20aa1ba21c9248b40ef572d1972aa182c53f57a2",
        .sha256: "7f6cf35b98a0ad67ce71fa94fa1873013e1d0e9542502848c17a4006c0f8019c",
        .sha512: "b56bddeda8af3c8d09eafdfc71f827343f39c3c7e4397d28159fce40642fd0af"
            + "aabace0412c0536d4f81819816491d7edecb7f6309071d87f97bb98397da68e7",
    ]

    @Test(arguments: Digest.Algorithm.allCases)
    func streamingAFileGivesTheWholeFilesDigest(_ algorithm: Digest.Algorithm) throws {
        let file = try TemporaryFile(Self.fileBytes)
        defer { file.remove() }
        #expect(Hex.encode(try Digest.of(algorithm, fileAt: file.url)) == Self.fileAnswers[algorithm])
        // The same bytes in one call, and in uneven pieces, give the same digest.
        #expect(Hex.encode(Digest.of(algorithm, Self.fileBytes)) == Self.fileAnswers[algorithm])
        let pieces = Digest(algorithm)
        var offset = 0
        for size in [0, 1, 63, 64, 65, 1 << 20, 7] {
            pieces.update(Self.fileBytes[offset..<offset + size])
            offset += size
        }
        pieces.update(Self.fileBytes[offset...])
        #expect(Hex.encode(pieces.finalize()) == Self.fileAnswers[algorithm])
    }

    @Test func digestLengthsAndTheEmptyInput() {
        for algorithm in Digest.Algorithm.allCases {
            #expect(Digest.of(algorithm, [UInt8]()).count == algorithm.byteCount)
            #expect(Digest(algorithm).finalize() == Digest.of(algorithm, Data()))
        }
        #expect(Hex.encode(Digest.of(.sha256, Data())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        var inline = [UInt8](repeating: 0xAA, count: 40)
        let written = inline.withUnsafeMutableBytes { out in
            Digest.of(.sha256, buffer: UnsafeRawBufferPointer(start: nil, count: 0), into: out)
        }
        #expect(written == 32)
        #expect(Hex.encode(inline.prefix(32)) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(inline.suffix(8) == [UInt8](repeating: 0xAA, count: 8), "nothing is written past the digest")
    }

    @Test func anUnreadableFileIsAnErrorThatNamesIt() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-\(UUID().uuidString)")
        #expect(throws: FileReadError.self) { try Digest.of(.sha256, fileAt: missing) }
        do {
            _ = try Digest.of(.sha256, fileAt: missing)
        } catch let error as FileReadError {
            #expect(error.step == "open")
            #expect(error.description.contains(missing.path))
            #expect(error.description.contains("No such file or directory"))
        }
        // A folder opens, but reading it fails: that too is an error, not the digest of nothing.
        let folder = FileManager.default.temporaryDirectory
        #expect(throws: FileReadError(path: folder.path, step: "read", errno: EISDIR)) {
            try Digest.of(.md5, fileAt: folder)
        }
    }

    @Test func hexRoundTrips() {
        let bytes: [UInt8] = [0x00, 0x0f, 0xa0, 0xff, 0x5c]
        #expect(Hex.encode(bytes) == "000fa0ff5c")
        #expect(Hex.decode("000FA0ff5c") == bytes)
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
    }
}

/// A file under the temporary folder holding `bytes`, removed by `remove()`.
struct TemporaryFile {
    let url: URL

    init(_ bytes: Data) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("primitives-\(UUID().uuidString)")
        try bytes.write(to: url)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}
