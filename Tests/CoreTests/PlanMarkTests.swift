import Core
import Foundation
import TestSupport
import Testing

/// Bad-version marks in the plan: they hold while what runs meets the chain's minimum, and never
/// leave lavap below it for good (issue 24).
@Suite struct PlanMarkTests {
    static let mark = StoreState.BadVersion(
        version: v("1.1.0"), target: v("1.1.0"), rolledBackTo: v("1.0.0"), reason: "ended 3 times within 2 s", markedAt: .now)

    func plan(min: String, running: String?, installed: [String], offered: [String] = []) -> Plan {
        Plan(
            reading: VersionReading(versions: required(target: "1.1.0", min: min), location: "test"), role: .provider,
            running: running.map(v), childRunning: running != nil, current: running.map(v), installed: installed.map(v),
            offered: offered.map(v), autoDownload: true, state: StoreState(bad: [Self.mark]))
    }

    @Test func whenTheMinimumRisesToAMarkedVersionItIsTried() {
        let plan = plan(min: "1.1.0", running: "1.0.0", installed: ["1.0.0", "1.1.0"])
        #expect(plan.step == .switchTo(v("1.1.0")), "\(plan.decision)")
        #expect(plan.decision == .upgrade(to: v("1.1.0")))
    }

    @Test func withNothingRunningAMarkedVersionThatAloneMeetsTheMinimumIsFetched() {
        #expect(plan(min: "1.1.0", running: nil, installed: [], offered: ["1.0.0", "1.1.0"]).step == .fetch(v("1.1.0")))
    }

    @Test func aGoodVersionThatMeetsTheMinimumIsPreferredToAMarkedOne() {
        let plan = plan(min: "1.0.5", running: "1.0.0", installed: ["1.0.0", "1.1.0"], offered: ["1.0.5"])
        #expect(plan.step == .fetch(v("1.0.5")))
    }

    @Test func aboveTheMinimumTheMarkHolds() {
        let plan = plan(min: "1.0.0", running: "1.0.0", installed: ["1.0.0", "1.1.0"])
        #expect(plan.step == .unchanged(.keep(v("1.0.0"))))
    }
}
