// storage-bench: uploads and downloads one file with BatchLedger's Cloud Storage client against an emulator,
// printing the time and the process's peak memory growth, for Tools/bench/storage.sh to compare with curl.
//
//   storage-bench upload ENDPOINT BUCKET OBJECT FILE
//   storage-bench download ENDPOINT BUCKET OBJECT FILE
//
// Prints `<operation> <bytes> <seconds> <peak RSS growth in MiB>`.
import Foundation
import GoogleCloud

func residentKiB(_ field: String) -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
    }
    return 0
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count == 5, let endpoint = URL(string: arguments[1]) else {
    FileHandle.standardError.write(Data("usage: storage-bench upload|download ENDPOINT BUCKET OBJECT FILE\n".utf8))
    exit(2)
}
// BatchLedger's transport; STORAGE_BENCH_TRANSPORT=urlsession measures Foundation's URLSession instead.
let transport: any HTTPTransport =
    ProcessInfo.processInfo.environment["STORAGE_BENCH_TRANSPORT"] == "urlsession"
    ? URLSessionTransport() : CurlTransport()
let client = StorageClient(
    caller: APICaller(transport: transport, credentials: AnonymousCredentials()), endpoint: endpoint)
let file = URL(fileURLWithPath: arguments[4])
let baseline = residentKiB("VmRSS")
let start = ContinuousClock.now
do {
    let bytes: Int64
    switch arguments[0] {
    case "upload":
        try await client.createBucket(arguments[2], project: "bench")
        bytes = try await client.upload(file: file, bucket: arguments[2], name: arguments[3]).size
    case "download":
        bytes = try await client.download(bucket: arguments[2], name: arguments[3], to: file).size
    default:
        FileHandle.standardError.write(Data("storage-bench: unknown operation \(arguments[0])\n".utf8))
        exit(2)
    }
    let elapsed = ContinuousClock.now - start
    let growth = Double(residentKiB("VmHWM") - baseline) / 1024
    print("\(arguments[0]) \(bytes) \(elapsed.seconds) \(String(format: "%.1f", growth))")
} catch {
    FileHandle.standardError.write(Data("storage-bench: \(error)\n".utf8))
    exit(1)
}
