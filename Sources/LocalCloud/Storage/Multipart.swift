import Foundation

/// `multipart/related` bodies as the Storage clients send them (metadata part, then media part).
enum Multipart {
    struct Part: Sendable {
        var contentType: String?
        var body: Data
    }

    static func parse(body: Data, contentType: String) throws(APIError) -> [Part] {
        guard let boundaryRange = contentType.range(of: "boundary=") else {
            throw APIError.invalidArgument("multipart upload without a boundary in Content-Type", shape: .storage)
        }
        var boundary = String(contentType[boundaryRange.upperBound...])
        if let semicolon = boundary.firstIndex(of: ";") { boundary = String(boundary[..<semicolon]) }
        boundary = boundary.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        let delimiter = Data(("--" + boundary).utf8)
        var parts: [Part] = []
        var searchStart = body.startIndex
        guard var current = body.range(of: delimiter, in: searchStart..<body.endIndex) else {
            throw APIError.invalidArgument("multipart body does not contain its boundary", shape: .storage)
        }
        while true {
            var partStart = current.upperBound
            if body[partStart...].starts(with: Data("--".utf8)) { break }
            if body[partStart...].starts(with: Data("\r\n".utf8)) { partStart += 2 }
            searchStart = partStart
            guard let next = body.range(of: delimiter, in: searchStart..<body.endIndex) else { break }
            var partEnd = next.lowerBound
            if partEnd - 2 >= partStart, body[(partEnd - 2)..<partEnd] == Data("\r\n".utf8) { partEnd -= 2 }
            let part = body[partStart..<partEnd]
            if let headerEnd = part.range(of: Data("\r\n\r\n".utf8)) {
                let headerText = String(decoding: part[part.startIndex..<headerEnd.lowerBound], as: UTF8.self)
                var type: String?
                for line in headerText.split(separator: "\r\n") {
                    let pieces = line.split(separator: ":", maxSplits: 1)
                    if pieces.count == 2, pieces[0].lowercased() == "content-type" {
                        type = pieces[1].trimmingCharacters(in: .whitespaces)
                    }
                }
                parts.append(Part(contentType: type, body: Data(part[headerEnd.upperBound...])))
            } else {
                parts.append(Part(contentType: nil, body: Data(part)))
            }
            current = next
        }
        return parts
    }
}
