import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Rollback when the mark cannot be written, and when the chain's minimum rises to a marked
/// version (issue 24): real stand-in processes, the real store and the child backend.
extension RollbackTests {
    @Test func aMarkThatCannotBeWrittenStillEndsTheLoopOfUpgradesAndRollbacks() async throws {
        try fixture.temp.write("{ not json", to: ".lavavisor/state.json")
        let (source, run, send) = try run()
        _ = try await fixture.waitForEvent(matching: ["start", "1.0.0"])
        source.set(.success(required(target: "1.1.0", min: "1.0.0")))
        try await waitUntil("1.0.0 started again after the rollback, events: \(fixture.recorded)") { starts("1.0.0") == 2 }
        let reads = source.reads
        try await waitUntil("ten more checks") { source.reads > reads + 10 }
        #expect(starts("1.1.0") == 3, "upgraded to 1.1.0 again after the rollback: \(fixture.recorded)")
        #expect(starts("1.0.0") == 2)
        #expect(store.currentVersion() == v("1.0.0"))
        #expect(logs.text.contains("held in memory only"), "\(logs.text)")
        #expect(
            !logs.text.contains("is marked bad and not tried") && !logs.text.contains("is marked bad in \(store.stateFile.path)"),
            "claims a mark it could not write: \(logs.text)")
        send.yield(SIGTERM)
        #expect(try await run.value == 0)
    }

    @Test func whenTheMinimumRisesToTheMarkedVersionItIsTriedAgain() async throws {
        let (source, run, send) = try run()
        _ = try await fixture.waitForEvent(matching: ["start", "1.0.0"])
        source.set(.success(required(target: "1.1.0", min: "1.0.0")))
        try await waitUntil("1.0.0 started again after the rollback, events: \(fixture.recorded)") { starts("1.0.0") == 2 }
        #expect(try store.readState().bad.map(\.version) == [v("1.1.0")])
        source.set(.success(required(target: "1.1.0", min: "1.1.0")))
        try await waitUntil("1.1.0 tried again despite its mark, events: \(fixture.recorded)") { starts("1.1.0") > 3 }
        let line = try #require(logs.all.first { $0.contains("despite the mark") }, "\(logs.text)")
        #expect(line.contains("1.1.0 is marked bad (ended 3 times"), "\(line)")
        #expect(store.currentVersion() == v("1.1.0"))
        send.yield(SIGTERM)
        #expect([3, 128 + SIGTERM].contains(try await run.value))
    }
}
