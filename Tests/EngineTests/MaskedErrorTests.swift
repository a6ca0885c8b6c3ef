import Foundation
import GoogleCloud
import Ledger
import Templates
import Testing

@testable import Engine

@Suite("Errors raised inside an attempt keep their structure once masked")
struct MaskedErrorTests {
    let masker = SecretMasker(values: ["hunter2-token"])

    @Test("a Google API error stays a GoogleAPIError, its hint kept and the secret masked in every field")
    func googleErrorKeepsItsShape() throws {
        let refused = GoogleAPIError(
            service: "Cloud Storage", method: "objects.insert", resource: "b/bucket/o/hunter2-token.txt",
            httpStatus: 403, reason: "forbidden", message: "caller hunter2-token may not write")
        let masked = MaskedError.masking(refused, by: masker)
        let google = try #require(masked as? GoogleAPIError)
        #expect(google.service == "Cloud Storage" && google.method == "objects.insert")
        #expect(google.httpStatus == 403 && google.status == "PERMISSION_DENIED")
        #expect(google.hint == refused.hint && google.hint != nil)
        #expect(!google.description.contains("hunter2-token"))
        #expect(google.resource.hasPrefix("b/bucket/o/") && google.message.hasPrefix("caller "))
        guard case .google(let failure) = EngineFailure(masked) else {
            Issue.record("the engine's failure is not .google: \(EngineFailure(masked))")
            return
        }
        #expect(failure == google)
    }

    @Test("the flow's problems keep their lines, masked; a ledger error passes as it is")
    func problemsAndLedgerErrors() {
        let problems = FlowProblems(["flow.yaml:4:9: bucket 'hunter2-token' is not a bucket name", "second"])
        guard case .invalidRequest(let lines) = EngineFailure(MaskedError.masking(problems, by: masker)) else {
            Issue.record("the flow's problems lost their shape")
            return
        }
        #expect(lines.count == 2 && lines[0].hasPrefix("flow.yaml:4:9: bucket '") && !lines[0].contains("hunter2"))
        let lost = LedgerError.leaseLost(stream: "exec-1")
        guard case .ledger(let ledger) = EngineFailure(MaskedError.masking(lost, by: masker)) else {
            Issue.record("the ledger error lost its shape")
            return
        }
        #expect(ledger == lost)
    }

    @Test("any other error becomes its masked text")
    func otherErrorsBecomeMaskedText() {
        struct Opaque: Error, CustomStringConvertible { var description: String { "read hunter2-token failed" } }
        let masked = MaskedError.masking(Opaque(), by: masker)
        #expect(masked is MaskedError)
        #expect("\(masked)".hasPrefix("read ") && !"\(masked)".contains("hunter2-token"))
    }
}
