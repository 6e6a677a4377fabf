import Core
import Foundation
import TestSupport
import Testing

/// The plan: one pure computation from what was found to the step the monitor takes and status shows.
@Suite struct PlanTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        var target = "1.1.0"
        var min = "1.0.0"
        var running: String?
        var child = false
        var current: String?
        var installed: [String] = []
        var offered: [String]? = nil
        var autoDownload = true
        var bad: [String] = []
        var expected: CheckStep? = nil
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "up to date: nothing", running: "1.1.0", child: true, current: "1.1.0", installed: ["1.1.0"],
            expected: .unchanged(.keep(v("1.1.0")))),
        Case(
            name: "target offered: fetch", running: "1.0.0", child: true, current: "1.0.0", installed: ["1.0.0"], offered: ["1.1.0"],
            expected: .fetch(v("1.1.0"))),
        Case(
            name: "target offered, may not fetch: wait", running: "1.0.0", child: true, current: "1.0.0", installed: ["1.0.0"],
            offered: ["1.1.0"],
            autoDownload: false, expected: .wait(v("1.1.0"))),
        Case(
            name: "target installed, not current: switch", running: "1.0.0", child: true, current: "1.0.0", installed: ["1.0.0", "1.1.0"],
            offered: [], expected: .switchTo(v("1.1.0"))),
        Case(
            name: "another wrapper switched current: restart the child onto it", running: "1.0.0", child: true, current: "1.1.0",
            installed: ["1.0.0", "1.1.0"], offered: [], expected: .restart(v("1.1.0"))),
        Case(
            name: "child older than current, chain still at the child's version: move onto current", target: "1.0.0", running: "1.0.0",
            child: true, current: "1.1.0", installed: ["1.0.0", "1.1.0"], expected: .restart(v("1.1.0"))),
        Case(
            name: "no child yet, current at target: nothing to do before start", running: "1.1.0", current: "1.1.0", installed: ["1.1.0"],
            expected: .unchanged(.keep(v("1.1.0")))),
        Case(name: "nothing installed: fetch the target", offered: ["1.0.0", "1.1.0"], expected: .fetch(v("1.1.0"))),
        Case(name: "target missing: fetch the minimum", offered: ["1.0.0"], expected: .fetch(v("1.0.0"))),
        Case(
            name: "target missing, current in range is kept", running: "1.0.0", child: true, current: "1.0.0", installed: ["1.0.0"],
            offered: [], expected: .unchanged(.keep(v("1.0.0")))),
        Case(
            name: "current link dangling: fetch again", running: "1.0.0", child: true, current: "1.1.0", installed: ["1.0.0"],
            offered: ["1.1.0"], expected: .fetch(v("1.1.0"))),
        Case(
            name: "nothing can be had: cannot comply, nothing to do", target: "2.0.0", min: "2.0.0", offered: ["1.0.0"],
            expected: cannotComply),
        Case(
            name: "current dangles, the child complies: link current to it again", running: "1.1.0", child: true, current: "0.0.1",
            installed: ["1.1.0"], expected: .relink(v("1.1.0"))),
        Case(
            name: "current gone or foreign, the child complies: link current to it again", running: "1.1.0", child: true,
            installed: ["1.1.0"], expected: .relink(v("1.1.0"))),
        Case(
            name: "current marked bad, the child rolled back and complies: link current to it again", target: "1.1.0",
            running: "1.0.0", child: true, current: "1.1.0", installed: ["1.0.0", "1.1.0"], bad: ["1.1.0"], expected: .relink(v("1.0.0"))),
        Case(
            name: "current dangles, no child: nothing to relink (status, init)", running: "1.1.0", current: "0.0.1", installed: ["1.1.0"],
            expected: .unchanged(.keep(v("1.1.0")))),
        Case(
            name: "current dangles, the child's version is gone too: nothing to relink", running: "1.1.0", child: true, current: "0.0.1",
            installed: [], offered: [], expected: .unchanged(.keep(v("1.1.0")))),
    ]

    /// Any step of a plan that cannot comply (the reason is tested with `UpgradeDecision`).
    static let cannotComply = CheckStep.unchanged(.cannotComply(reason: "any"))

    /// Whether `step` is `expected`, any reason matching `cannotComply`'s.
    static func matches(_ step: CheckStep, _ expected: CheckStep?) -> Bool {
        if expected == cannotComply, case .unchanged(.cannotComply) = step { return true }
        return step == expected
    }

    func plan(_ example: Case, chainID: String? = nil, expected: String? = nil) -> Plan {
        Plan(
            reading: VersionReading(versions: required(target: example.target, min: example.min), location: "test", chainID: chainID),
            role: .any, running: example.running.map(v), childRunning: example.child, current: example.current.map(v),
            installed: example.installed.map(v), offered: example.offered?.map(v), autoDownload: example.autoDownload,
            expectedChainID: expected,
            state: StoreState().holding(
                example.bad.map {
                    StoreState.BadVersion(
                        version: v($0), target: v(example.target), rolledBackTo: v(example.min), reason: "a test", markedAt: Date())
                }))
    }

    @Test(arguments: cases)
    func decidesTheStep(_ example: Case) {
        let step = plan(example).step
        #expect(Self.matches(step, example.expected), "\(step)")
    }

    @Test func anotherChainIsRefused() {
        let plan = plan(Case(name: "", offered: ["1.1.0"]), chainID: "lava-testnet-2", expected: "lava-mainnet-1")
        guard case .wrongChain(let message) = plan.step else {
            Issue.record("expected a refusal, got \(plan.step)")
            return
        }
        #expect(message.contains("'lava-testnet-2'"))
        #expect(message.contains("'lava-mainnet-1'"))
    }

    @Test func aFailedInstallFallsToTheNextLowerVersion() {
        let first = plan(Case(name: "", target: "1.2.0", offered: ["1.0.0", "1.1.0", "1.2.0"]))
        #expect(first.step == .fetch(v("1.2.0")))
        let second = first.excluding(v("1.2.0"))
        #expect(second.step == .fetch(v("1.1.0")))
        #expect(second.decision == .fallback(to: v("1.1.0"), target: v("1.2.0")))
        #expect(Self.matches(second.excluding(v("1.1.0")).excluding(v("1.0.0")).step, Self.cannotComply))
    }

    @Test func theRoleChoosesThePair() throws {
        let versions = try ProtocolVersion(providerTarget: "1.1.0", providerMin: "1.0.0", consumerTarget: "1.2.0", consumerMin: "1.0.0")
        func action(_ role: Role) -> CheckStep {
            Plan(
                reading: VersionReading(versions: versions, location: "test"), role: role, running: v("1.1.0"), childRunning: true,
                current: v("1.1.0"), installed: [v("1.1.0")], offered: [v("1.1.0"), v("1.2.0")], autoDownload: true
            ).step
        }
        #expect(action(.provider) == .unchanged(.keep(v("1.1.0"))))
        #expect(action(.consumer) == .fetch(v("1.2.0")))
        #expect(action(.any) == .fetch(v("1.2.0")))
    }

    @Test func offersAreNeededOnlyBelowTheTarget() {
        #expect(!plan(Case(name: "", running: "1.1.0")).needsOffers)
        #expect(plan(Case(name: "", running: "1.0.0")).needsOffers)
        #expect(plan(Case(name: "")).needsOffers)
    }

    @Test func aBadVersionIsNotChosenWhileTheTargetIsTheOneItFailedUnder() throws {
        let mark = StoreState.BadVersion(
            version: v("1.1.0"), target: v("1.1.0"), rolledBackTo: v("1.0.0"), reason: "ended 3 times", markedAt: .now)
        func plan(target: String, installed: [String], offered: [String]) throws -> Plan {
            Plan(
                reading: VersionReading(versions: required(target: target, min: "1.0.0"), location: "test"), role: .provider,
                running: v("1.0.0"), childRunning: true, current: v("1.0.0"), installed: installed.map(v), offered: offered.map(v),
                autoDownload: true, state: StoreState(bad: [mark]))
        }
        // Installed and targeted, but bad: kept on 1.0.0, which meets the minimum.
        let held = try plan(target: "1.1.0", installed: ["1.0.0", "1.1.0"], offered: ["1.1.0"])
        #expect(held.step == .unchanged(.keep(v("1.0.0"))))
        // A lower good version between the minimum and the target is still taken.
        #expect(try plan(target: "1.1.0", installed: ["1.0.0", "1.1.0"], offered: ["1.0.5", "1.1.0"]).step == .fetch(v("1.0.5")))
        // A new target lifts the mark.
        #expect(try plan(target: "1.2.0", installed: ["1.0.0", "1.1.0"], offered: ["1.1.0"]).step == .switchTo(v("1.1.0")))
    }
}
