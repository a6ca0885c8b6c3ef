import Engine
import Foundation
import GoogleCloud
import Ledger

/// The engine's progress, notices and recorded events as the console shows them, for the command `command`
/// (`run`, `fork`, `recover`, `resume`), whose name some lines carry.
enum ConsoleObserver {
    static func make(_ console: Console, command: String) -> EngineObserver {
        EngineObserver(
            progress: { show($0, on: console, command: command) },
            notice: { console.note($0) },
            events: { _ in
                let display = RunDisplay(console: console)
                return { event, state in display.show(event, state) }
            })
    }

    private static func show(_ progress: EngineProgress, on console: Console, command: String) {
        switch progress {
        case .interruptedExecutionsFound(let count):
            console.note(
                "the ledger holds \(count) interrupted execution(s); batchledger recover resumes them "
                    + "(this run starts a new one)")
        case .started(let id, let namespace, let flowId, let target):
            console.status("execution \(id) · flow \(namespace)/\(flowId) · \(target)")
        case .forked(let id, let parent, let fromTask, let target):
            console.status("execution \(id) · forked from \(parent) at task \(fromTask) · \(target)")
        case .drivingImported(let id, let origin):
            console.note(
                "execution \(id) was imported from ledger \(MessageQuote.quoted(origin.sourceLedger)); "
                    + "\(command == "fork" ? "forking" : "driving") it as \(ImportedHistory.overrideFlag) asks")
        case .refusedImported(let id, let origin):
            console.error(ImportRefusal.message(id, origin: origin, command: command))
        case .resuming(let id, let namespace, let flowId):
            console.status("resuming execution \(id) · flow \(namespace)/\(flowId)")
        case .recovered(let outcome):
            let id = outcome.executionId
            switch outcome.result {
            case .finished(let final): console.status("execution \(id) \(final.state)")
            case .held(let holder): console.note("execution \(id) is being driven by \(holder); left to it")
            case .failed(.noSuchExecution(_, let ledger)): console.error("\(id): no such execution in \(ledger)")
            case .failed(let failure): console.error("execution \(id): recovery failed: \(failure)")
            case .alreadyTerminal, .refusedImported: break
            }
        case .reconciled(let executions, let lists, let gets, let elapsed):
            console.note(
                "reconciled \(executions) execution(s) with \(lists) jobs.list and \(gets) jobs.get call(s) in "
                    + String(format: "%.1f s", elapsed.seconds))
        }
    }
}

/// Why a command leaves an imported execution alone, with the command line that drives it anyway.
enum ImportRefusal {
    static func message(_ id: String, origin: ImportOrigin, command: String, fromTask: String? = nil) -> String {
        let flag = ImportedHistory.overrideFlag
        let override: String
        switch command {
        case "recover": override = "batchledger recover \(flag) (or batchledger resume \(id) \(flag))"
        case "fork": override = "batchledger fork \(id) --from \(fromTask ?? "TASK") \(flag)"
        default: override = "batchledger \(command) \(id) \(flag)"
        }
        return ImportedHistory.refusal(id, origin: origin, command: command, override: override)
    }
}
