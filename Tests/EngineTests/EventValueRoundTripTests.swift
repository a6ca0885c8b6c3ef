import Foundation
import Ledger
import Templates
import Testing

@testable import Engine

/// Event payloads hold the engine's own JSON value: objects keep their key order and numbers their exact text,
/// through recording and reading back, and a recorded payload is written again byte for byte.
@Suite("event values: key order and numbers survive the ledger")
struct EventValueRoundTripTests {
    func started(inputs: [String: EventValue]) -> ExecutionStarted {
        ExecutionStarted(
            executionId: "exec-1", namespace: "company.team", flowId: "flow", flowRevision: nil, flowPath: "flow.yaml",
            flowSource: "id: flow", flowSHA256: "", inputs: inputs, labels: [:],
            backend: Backend(kind: .local, endpoint: nil), outputDirectory: "/out", namespaceFilesDirectory: nil,
            namespaceFileDigests: [:], forkedFrom: nil)
    }

    /// The event as the ledger would hand it back.
    func recorded(_ event: NewEvent) -> RecordedEvent {
        let digest = SHA256Digest.of(event.payload)
        return RecordedEvent(
            seq: 1, stream: "exec-1", version: 1, type: event.type, schemaVersion: event.schemaVersion,
            recordedAt: "2026-01-01T00:00:00.000000Z", payload: event.payload, payloadSHA256: digest,
            prevHash: digest, hash: digest, streamHash: digest)
    }

    func roundTrip(_ event: ExecutionEvent) throws -> ExecutionEvent {
        try #require(try ExecutionEvent.decode(recorded(try event.encoded())))
    }

    @Test("a map input keeps its key order through ExecutionStarted and comes back as the same template map")
    func mapInputKeepsItsOrder() throws {
        let input = try EventValue.parse(#"{"zeta":1,"alpha":2,"mid":{"z":true,"a":null}}"#)
        let event = ExecutionEvent.executionStarted(started(inputs: ["x": input]))
        let payload = String(decoding: try event.encoded().payload, as: UTF8.self)
        #expect(payload.contains(#""inputs":{"x":{"zeta":1,"alpha":2,"mid":{"z":true,"a":null}}}"#))

        guard case .executionStarted(let back) = try roundTrip(event) else {
            Issue.record("not an ExecutionStarted")
            return
        }
        #expect(back.inputs["x"] == input)
        guard case .map(let map) = Convert.templateValue(try #require(back.inputs["x"])) else {
            Issue.record("the input is not a map")
            return
        }
        #expect(map.keys == ["zeta", "alpha", "mid"])
        #expect(TemplateValue.map(map) == Convert.templateValue(input))
    }

    @Test("integers stay integers: 2^53 + 1 and Int64.max survive; a decimal keeps its literal")
    func numbersKeepTheirText() throws {
        let output = try EventValue.parse(#"{"big":9007199254740993,"max":9223372036854775807,"price":0.10}"#)
        guard case .object(let outputs) = output else {
            Issue.record("not an object")
            return
        }
        var vars: [String: EventValue] = [:]
        for entry in outputs { vars[entry.key] = entry.value }
        let event = ExecutionEvent.outputsParsed(
            OutputsParsed(taskRunId: "t1", attempt: 1, vars: vars, metrics: [], warnings: []))
        guard case .outputsParsed(let back) = try roundTrip(event) else {
            Issue.record("not an OutputsParsed")
            return
        }
        #expect(back.vars["big"] == .number(try #require(EventNumber(literal: "9007199254740993"))))
        #expect(Convert.templateValue(try #require(back.vars["big"])) == .int(9_007_199_254_740_993))
        #expect(Convert.templateValue(try #require(back.vars["max"])) == .int(Int.max))
        #expect(back.vars["price"]?.compactText == "0.10")
    }

    @Test("a recorded payload (sorted keys, numbers as JSONEncoder wrote doubles) is encoded again byte for byte")
    func recordedPayloadIsWrittenAgainIdentically() throws {
        let payload = Data(
            (#"{"backend":{"kind":"local"},"executionId":"01m8","flowId":"f","flowPath":"/a/b.yaml","flowSHA256":"ab","#
                + #""flowSource":"id: f\n\"q\" é","inputs":{"m":{"a":1.5,"b":[1,"x/y",null,false],"c":{}},"n":3,"#
                + #""s":"t/u"},"labels":{"k":"v"},"namespace":"ns","namespaceFileDigests":{},"outputDirectory":"/out"}"#)
                .utf8)
        let decoded = try PayloadJSON.decode(ExecutionStarted.self, from: payload)
        #expect(try PayloadJSON.encode(decoded) == payload)

        let parsed = try EventValue.parse(#"{"z":1,"a":[2.50,{"y":1e+20,"b":-0}],"m":"é\n"}"#)
        let outputs = OutputsParsed(taskRunId: "t1", attempt: 1, vars: ["v": parsed], metrics: [], warnings: [])
        let written = try PayloadJSON.encode(outputs)
        #expect(try PayloadJSON.encode(try PayloadJSON.decode(OutputsParsed.self, from: written)) == written)
    }

    @Test("an output line's object keeps the order the script printed")
    func outputProtocolKeepsOrder() throws {
        guard case .message(let message) = OutputProtocol.parse(#"::{"outputs":{"m":{"zeta":1,"alpha":2}}}::"#)
        else {
            Issue.record("not a protocol line")
            return
        }
        #expect(message.outputs["m"]?.compactText == #"{"zeta":1,"alpha":2}"#)
    }
}
