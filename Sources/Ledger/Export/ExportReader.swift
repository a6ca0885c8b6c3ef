import Foundation

/// Reads an NDJSON export line by line (constant memory): the header first, then each event envelope.
///
/// A line may be at most `maximumLineLength` bytes (64 MiB by default, far above any event the engine
/// records): a longer one, such as the endless line of `/dev/zero`, is refused by its number instead of being
/// read into memory.
public final class ExportReader {
    /// The default longest line: 64 MiB.
    public static let defaultMaximumLineLength = 64 << 20

    public let path: String
    public let header: ExportHeader
    public let maximumLineLength: Int
    private var source: LineSource
    /// The number of the line last read (1 is the header).
    public private(set) var lineNumber = 1

    /// Opens `path` and reads its header; throws when it is not an export of a version this build reads.
    public init(path: String, maximumLineLength: Int = ExportReader.defaultMaximumLineLength) throws(ExportError) {
        self.path = path
        self.maximumLineLength = maximumLineLength
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw .cannotRead(path: path, detail: String(cString: strerror(errno)))
        }
        source = LineSource(fd: fd, maximumLineLength: maximumLineLength)
        let first: Data
        switch source.nextLine() {
        case .line(let bytes): first = bytes
        case .end: throw .notAnExport(path: path, detail: "the file is empty")
        case .tooLong: throw .lineTooLong(path: path, line: 1, limit: maximumLineLength)
        case .failed(let code): throw .cannotRead(path: path, detail: String(cString: strerror(code)))
        }
        struct Probe: Decodable {
            var format: String?
            var formatVersion: Int?
            enum CodingKeys: String, CodingKey {
                case format
                case formatVersion = "format_version"
            }
        }
        guard let probe = try? JSONDecoder().decode(Probe.self, from: first), probe.format == ExportFormat.name else {
            throw .notAnExport(path: path, detail: "line 1 is not a header with \"format\":\"\(ExportFormat.name)\"")
        }
        if let version = probe.formatVersion, version > ExportFormat.version {
            throw .newerFormat(path: path, found: version)
        }
        do {
            header = try JSONDecoder().decode(ExportHeader.self, from: first)
        } catch {
            throw .notAnExport(path: path, detail: "line 1 is a header with missing or mistyped fields")
        }
    }

    /// One line read: an event, or why the line is not one.
    public enum Line {
        case event(ExportedEvent)
        case malformed(line: Int, detail: String)
    }

    /// The next event line; nil at the end of the file. Blank lines are reported as malformed; so are a line
    /// past the length limit and a read error, after which nothing more is read.
    public func next() -> Line? {
        let data: Data
        switch source.nextLine() {
        case .end:
            return nil
        case .line(let bytes):
            data = bytes
        case .tooLong:
            lineNumber += 1
            return .malformed(
                line: lineNumber, detail: "the line is longer than \(ExportError.size(maximumLineLength)), the limit")
        case .failed(let code):
            lineNumber += 1
            return .malformed(line: lineNumber, detail: "cannot read it: \(String(cString: strerror(code)))")
        }
        lineNumber += 1
        do throws(ExportFormat.LineError) {
            let event = try ExportFormat.event(fromLine: data)
            return .event(ExportedEvent(line: lineNumber, event: event))
        } catch {
            return .malformed(line: lineNumber, detail: error.detail)
        }
    }
}

/// Splits a file descriptor's bytes into lines of bounded length, reading 1 MiB at a time. Owns and closes the
/// descriptor.
struct LineSource: ~Copyable {
    enum Read {
        /// A line's bytes, without its newline.
        case line(Data)
        case end
        /// The line grew past the limit; the source reads nothing more.
        case tooLong
        /// `read` failed with this errno; the source reads nothing more.
        case failed(Int32)
    }

    private let fd: Int32
    private let maximumLineLength: Int
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var done = false

    init(fd: Int32, maximumLineLength: Int, chunk: Int = 1 << 20) {
        self.fd = fd
        self.maximumLineLength = max(1, maximumLineLength)
        buffer = [UInt8](repeating: 0, count: chunk)
    }

    deinit {
        close(fd)
    }

    mutating func nextLine() -> Read {
        guard !done else { return .end }
        var line: [UInt8] = []
        while true {
            let newline = buffer.withUnsafeBufferPointer { bytes -> Int? in
                guard start < end, let base = bytes.baseAddress,
                    let found = memchr(base + start, 0x0a, end - start)
                else { return nil }
                return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            }
            let stop = newline ?? end
            if line.count + (stop - start) > maximumLineLength {
                done = true
                return .tooLong
            }
            line.append(contentsOf: buffer[start..<stop])
            if let newline {
                start = newline + 1
                return .line(Data(line))
            }
            start = 0
            end = 0
            let count = buffer.withUnsafeMutableBytes { raw in read(fd, raw.baseAddress, raw.count) }
            if count < 0 {
                if errno == EINTR { continue }
                done = true
                return .failed(errno)
            }
            if count == 0 {
                done = true
                return line.isEmpty ? .end : .line(Data(line))
            }
            end = count
        }
    }
}
