import Flows
import GoogleCloud
import Testing

@testable import Engine

/// The pure decisions behind `{{ outputDir }}`, `syncWorkingDirectory` and `resume: false`.
@Suite struct RunnerPropertyDecisionTests {
    typealias Listed = OutputCollection.Listed
    typealias Selected = OutputCollection.Selected

    @Test("{{ outputDir }}/a.txt is outputFiles[\"a.txt\"]; the placeholder is not a file")
    func outputDirectoryKeys() throws {
        let collection = OutputCollection(globs: [], outputDirectory: "OID", syncWorkingDirectory: false)
        let listed = [
            Listed(relative: "OID/", crc32c: "AAAAAA=="), Listed(relative: "OID/a.txt", crc32c: "x"),
            Listed(relative: "OID/nested/b.txt", crc32c: "y"), Listed(relative: "input.txt", crc32c: "z"),
        ]
        #expect(
            collection.select(listed) == [
                Selected(relative: "OID/a.txt", key: "a.txt"),
                Selected(relative: "OID/nested/b.txt", key: "nested/b.txt"),
            ])
        #expect(collection.collectsAnything)
        #expect(!OutputCollection(globs: [], outputDirectory: nil, syncWorkingDirectory: false).collectsAnything)
    }

    @Test("a working-directory file selected by outputFiles wins over an output-directory file with its key")
    func globsWinOnTheSameKey() throws {
        let collection = OutputCollection(
            globs: [try GlobPattern("a.txt"), try GlobPattern("**/*.csv")], outputDirectory: "OID",
            syncWorkingDirectory: false)
        let selected = collection.select([
            Listed(relative: "OID/a.txt", crc32c: "1"), Listed(relative: "a.txt", crc32c: "2"),
            Listed(relative: "OID/t.csv", crc32c: "3"),
        ])
        #expect(
            selected == [
                Selected(relative: "OID/t.csv", key: "t.csv"), Selected(relative: "OID/t.csv", key: "OID/t.csv"),
                Selected(relative: "a.txt", key: "a.txt"),
            ])
    }

    @Test("syncWorkingDirectory takes what the job created or changed, not the inputs it left alone")
    func syncTakesNewAndChangedFiles() {
        let collection = OutputCollection(globs: [], outputDirectory: "OID", syncWorkingDirectory: true)
        let selected = collection.select(
            [
                Listed(relative: "input.txt", crc32c: "same"), Listed(relative: "changed.txt", crc32c: "after"),
                Listed(relative: "made.txt", crc32c: "new"), Listed(relative: "OID/a.txt", crc32c: "a"),
                Listed(relative: "folder/", crc32c: nil), Listed(relative: "unhashed.txt", crc32c: nil),
            ],
            staged: ["input.txt": "same", "changed.txt": "before", "unhashed.txt": "x"])
        #expect(selected.map(\.key) == ["a.txt", "changed.txt", "made.txt", "unhashed.txt"])
    }

    @Test("the same listing in another order selects the same files in the same order")
    func orderIsTheListingsNot() {
        let collection = OutputCollection(globs: [], outputDirectory: "OID", syncWorkingDirectory: true)
        let listed = [
            Listed(relative: "b", crc32c: nil), Listed(relative: "OID/z", crc32c: nil),
            Listed(relative: "a", crc32c: nil),
        ]
        #expect(collection.select(listed) == collection.select(listed.reversed()))
    }

    typealias Recorded = Reconciliation.Recorded

    @Test(
        "resume: false replaces an attempt whose job may exist and whose end the ledger has not seen",
        arguments: [
            (Recorded(), false), (Recorded(uploadsRequested: 2, uploadsRecorded: 1), false),
            (Recorded(createRequested: true), true),
            (Recorded(jobState: "RUNNING", jobCreated: true, createRequested: true), true),
            (Recorded(jobCreated: true, createRequested: true), true),
            (Recorded(jobState: "SUCCEEDED", jobCreated: true, createRequested: true), false),
            (Recorded(jobState: "RUNNING", jobCreated: true, createRequested: true, deleteRequested: true), false),
        ])
    func replacement(recorded: Recorded, replaces: Bool) {
        #expect(Reconciliation.replaces(recorded) == replaces)
        if replaces {
            let decision = Reconciliation.replacement(recorded)
            #expect(decision.action == Reconciliation.replaceAction)
            #expect(decision.observed.contains("resume is false"))
        }
    }

    @Test("only service-account emails may be impersonated")
    func serviceAccountEmails() {
        #expect(ServiceAccountEmail.problem("runner@my-project.iam.gserviceaccount.com") == nil)
        #expect(ServiceAccountEmail.problem("123-compute@developer.gserviceaccount.com") == nil)
        #expect(ServiceAccountEmail.problem("runner@example.com") != nil)
        #expect(ServiceAccountEmail.problem("no-at-sign") != nil)
        #expect(ServiceAccountEmail.problem("Upper@p.iam.gserviceaccount.com") != nil)
        #expect(ServiceAccountEmail.problem("a@b@p.iam.gserviceaccount.com") != nil)
    }
}
