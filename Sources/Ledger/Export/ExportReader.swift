import Foundation

/// Reads an NDJSON export line by line (constant memory): the header first, then each event envelope.
public final class ExportReader {
    public let path: String
    public let header: ExportHeader
    private let file: UnsafeMutablePointer<FILE>
    private var lineBuffer: UnsafeMutablePointer<CChar>?
    private var lineCapacity = 0
    /// The number of the line last read (1 is the header).
    public private(set) var lineNumber = 1

    /// Opens `path` and reads its header; throws when it is not an export of a version this build reads.
    public init(path: String) throws(ExportError) {
        self.path = path
        guard let file = fopen(path, "r") else {
            throw .cannotRead(path: path, detail: String(cString: strerror(errno)))
        }
        self.file = file
        var buffer: UnsafeMutablePointer<CChar>?
        var capacity = 0
        guard let first = Self.readLine(file, &buffer, &capacity) else {
            free(buffer)
            fclose(file)
            throw .notAnExport(path: path, detail: "the file is empty")
        }
        lineBuffer = buffer
        lineCapacity = capacity
        struct Probe: Decodable {
            var format: String?
            var formatVersion: Int?
            enum CodingKeys: String, CodingKey {
                case format
                case formatVersion = "format_version"
            }
        }
        guard let probe = try? JSONDecoder().decode(Probe.self, from: first), probe.format == ExportFormat.name else {
            free(buffer)
            fclose(file)
            throw .notAnExport(path: path, detail: "line 1 is not a header with \"format\":\"\(ExportFormat.name)\"")
        }
        if let version = probe.formatVersion, version > ExportFormat.version {
            free(buffer)
            fclose(file)
            throw .newerFormat(path: path, found: version)
        }
        do {
            header = try JSONDecoder().decode(ExportHeader.self, from: first)
        } catch {
            free(buffer)
            fclose(file)
            throw .notAnExport(path: path, detail: "line 1 is a header with missing or mistyped fields")
        }
    }

    deinit {
        free(lineBuffer)
        fclose(file)
    }

    /// The next line's bytes (without its newline), or nil at the end of the file.
    private static func readLine(
        _ file: UnsafeMutablePointer<FILE>, _ buffer: inout UnsafeMutablePointer<CChar>?, _ capacity: inout Int
    ) -> Data? {
        let count = getline(&buffer, &capacity, file)
        guard count >= 0, let buffer else { return nil }
        var length = count
        if length > 0 && buffer[length - 1] == 0x0a { length -= 1 }
        return Data(bytes: buffer, count: length)
    }

    /// One line read: an event, or why the line is not one.
    public enum Line {
        case event(ExportedEvent)
        case malformed(line: Int, detail: String)
    }

    /// The next event line; nil at the end of the file. Blank lines are reported as malformed.
    public func next() -> Line? {
        guard let data = Self.readLine(file, &lineBuffer, &lineCapacity) else { return nil }
        lineNumber += 1
        do throws(ExportFormat.LineError) {
            let event = try ExportFormat.event(fromLine: data)
            return .event(ExportedEvent(line: lineNumber, event: event))
        } catch {
            return .malformed(line: lineNumber, detail: error.detail)
        }
    }
}
