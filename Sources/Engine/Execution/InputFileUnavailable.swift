import Foundation

/// A FILE input's file that this host cannot give the execution's tasks: its copy is not on this host's disk
/// (another host received it) and the bucket holds no copy to restore it from. Nothing retrying could change
/// ends it, so the execution fails at once with this message instead of staying interrupted for the next recovery.
public struct InputFileUnavailable: Error, CustomStringConvertible, Sendable, Equatable {
    /// Why no copy can be had.
    public enum Reason: Sendable, Equatable {
        /// The receiving host never stored it: no `InputFileUploaded`, and no object under its name.
        case neverStored(object: String)
        /// No task runner of the flow has a bucket, so the file was never meant to leave the receiving host.
        case noBucket
        /// `InputFileUploaded` is recorded but the object is gone from the bucket.
        case goneFromBucket(object: String)
        /// The object in the bucket is not the file the ledger recorded (`detail` says how it differs).
        case changedInBucket(object: String, detail: String)
    }

    public var input: String
    public var filename: String
    /// The copy's path as recorded (on the receiving host).
    public var localPath: String
    /// The host that received the file, when the ledger recorded it.
    public var receivedBy: String?
    /// This host.
    public var host: String
    public var reason: Reason
    /// `<namespace>/<flow>`, to say where to start a new execution.
    public var flow: String

    public var description: String {
        let file = "input \(input): the file \(MessageQuote.quoted(filename))"
        let origin =
            receivedBy.map { "it was received by host \($0), which kept it at \(localPath)" }
            ?? "its copy was kept at \(localPath) on the host that received it"
        let again =
            "start a new execution of \(flow) with the file (a file part of POST /api/v1/main/executions/\(flow), or "
            + "`batchledger run FLOW --input \(input)=@PATH`)"
        switch reason {
        case .neverStored(let object):
            return
                "\(file) is not on this host (\(host)): \(origin), and that host stopped before storing it in the "
                + "bucket (\(object) does not exist). This execution cannot get it: \(again); while that host's disk "
                + "still holds the copy, `batchledger recover` on it could have resumed the execution instead"
        case .noBucket:
            return
                "\(file) is not on this host (\(host)): \(origin), and no task runner of the flow has a bucket to "
                + "keep FILE inputs in, so only that host ever had it. Give a task runner a bucket, then \(again)"
        case .goneFromBucket(let object):
            return
                "\(file) is not on this host (\(host)): \(origin); the ledger recorded it stored as \(object), but "
                + "that object is gone from the bucket (deleted, or removed by a lifecycle rule). \(again.capitalizedFirst)"
        case .changedInBucket(let object, let detail):
            return
                "\(file) is not on this host (\(host)): \(origin); its copy \(object) is not the file the ledger "
                + "recorded (\(detail)), so it is not used. \(again.capitalizedFirst)"
        }
    }
}

extension String {
    fileprivate var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
