import Core
import TestSupport
import Testing

@Suite struct UpgradeDecisionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let running: String?
        let target: String
        let min: String
        let available: [String]
        let expected: UpgradeDecision
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "at target: keep", running: "6.2.5", target: "6.2.5", min: "5.5.1", available: ["6.2.5"], expected: .keep(v("6.2.5"))),
        Case(
            name: "above target: never downgrade", running: "7.0.0", target: "6.2.5", min: "5.5.1", available: ["6.2.5"],
            expected: .keep(v("7.0.0"))),
        Case(
            name: "below target, target available: upgrade", running: "6.2.4", target: "6.2.5", min: "5.5.1",
            available: ["6.2.4", "6.2.5"], expected: .upgrade(to: v("6.2.5"))),
        Case(
            name: "below min, target available: upgrade", running: "5.0.0", target: "6.2.5", min: "5.5.1", available: ["6.2.5"],
            expected: .upgrade(to: v("6.2.5"))),
        Case(
            name: "unknown running: upgrade", running: nil, target: "6.2.5", min: "5.5.1", available: ["6.2.5"],
            expected: .upgrade(to: v("6.2.5"))),
        Case(
            name: "target missing: highest in range", running: "5.0.0", target: "6.2.5", min: "5.5.1",
            available: ["5.5.1", "6.2.3", "6.2.4", "7.0.0"], expected: .fallback(to: v("6.2.4"), target: v("6.2.5"))),
        Case(
            name: "patch 10 and over is not skipped", running: "1.0.9", target: "1.0.12", min: "1.0.9",
            available: ["1.0.9", "1.0.10", "1.0.11"], expected: .fallback(to: v("1.0.11"), target: v("1.0.12"))),
        Case(
            name: "patch 10 as target", running: "1.0.9", target: "1.0.10", min: "1.0.0", available: ["1.0.10"],
            expected: .upgrade(to: v("1.0.10"))),
        Case(
            name: "target X.0.0 missing: fall back across the minor", running: "4.9.0", target: "5.0.0", min: "4.10.2",
            available: ["4.10.2", "4.10.3", "4.9.0"], expected: .fallback(to: v("4.10.3"), target: v("5.0.0"))),
        Case(
            name: "target X.0.0 available", running: "4.9.0", target: "5.0.0", min: "4.0.0", available: ["5.0.0"],
            expected: .upgrade(to: v("5.0.0"))),
        Case(
            name: "fallback never below what runs", running: "6.2.3", target: "6.2.5", min: "5.5.1", available: ["6.2.1", "6.2.2"],
            expected: .keep(v("6.2.3"))),
        Case(
            name: "fallback must beat what runs", running: "6.2.3", target: "6.2.5", min: "5.5.1", available: ["6.2.3", "6.2.4"],
            expected: .fallback(to: v("6.2.4"), target: v("6.2.5"))),
        Case(
            name: "nothing in range, running in protocol: keep", running: "6.0.0", target: "6.2.5", min: "5.5.1", available: [],
            expected: .keep(v("6.0.0"))),
        Case(
            name: "versions above target are never chosen", running: "5.0.0", target: "6.2.5", min: "6.2.5", available: ["6.2.6", "7.0.0"],
            expected: .cannotComply(reason: "")),
        Case(
            name: "below min, nothing available", running: "5.0.0", target: "6.2.5", min: "5.5.1", available: ["5.0.0", "5.5.0"],
            expected: .cannotComply(reason: "")),
        Case(
            name: "unknown running, nothing available", running: nil, target: "6.2.5", min: "5.5.1", available: [],
            expected: .cannotComply(reason: "")),
        Case(
            name: "unknown running, fallback to min", running: nil, target: "6.2.5", min: "5.5.1", available: ["5.5.1"],
            expected: .fallback(to: v("5.5.1"), target: v("6.2.5"))),
    ]

    @Test(arguments: cases)
    func decides(_ example: Case) {
        let decision = UpgradeDecision.decide(
            running: example.running.map(v), required: VersionRequirement(target: v(example.target), minimum: v(example.min)),
            available: example.available.map(v))
        if case .cannotComply = example.expected {
            guard case .cannotComply(let reason) = decision else {
                Issue.record("expected cannot comply, got \(decision)")
                return
            }
            #expect(reason.contains("[\(example.min), \(example.target)]"))
        } else {
            #expect(decision == example.expected)
        }
    }

    @Test func eachRoleFollowsItsOwnPairAndAnyTheHigherOfBoth() throws {
        let versions = try ProtocolVersion(providerTarget: "6.2.4", providerMin: "5.0.0", consumerTarget: "6.2.5", consumerMin: "5.5.1")
        #expect(Role.provider.requirement(versions) == VersionRequirement(target: v("6.2.4"), minimum: v("5.0.0")))
        #expect(Role.consumer.requirement(versions) == VersionRequirement(target: v("6.2.5"), minimum: v("5.5.1")))
        #expect(Role.any.requirement(versions) == VersionRequirement(target: v("6.2.5"), minimum: v("5.5.1")))
        // A provider at its target keeps it; the consumer target is not its business.
        #expect(
            UpgradeDecision.decide(running: v("6.2.4"), required: Role.provider.requirement(versions), available: [v("6.2.5")])
                == .keep(v("6.2.4")))
        #expect(
            UpgradeDecision.decide(running: v("6.2.4"), required: Role.any.requirement(versions), available: [v("6.2.5")])
                == .upgrade(to: v("6.2.5")))
        // 5.2.1 meets provider_min 5.0.0 but not consumer_min 5.5.1: a fallback for a provider only.
        #expect(
            UpgradeDecision.decide(running: v("5.2.0"), required: Role.provider.requirement(versions), available: [v("5.2.1")])
                == .fallback(to: v("5.2.1"), target: v("6.2.4")))
        let decision = UpgradeDecision.decide(running: v("5.2.0"), required: Role.any.requirement(versions), available: [v("5.2.1")])
        guard case .cannotComply(let reason) = decision else {
            Issue.record("expected cannot comply, got \(decision)")
            return
        }
        #expect(reason.contains("[5.5.1, 6.2.5]"))
    }

    @Test func cannotComplyNamesWhatRunsAndWhatIsAvailable() {
        let decision = UpgradeDecision.decide(
            running: v("1.0.0"), required: VersionRequirement(target: v("2.0.0"), minimum: v("1.5.0")), available: [v("1.0.0")])
        guard case .cannotComply(let reason) = decision else {
            Issue.record("expected cannot comply, got \(decision)")
            return
        }
        #expect(reason.contains("running 1.0.0 is below the minimum 1.5.0"))
        #expect(reason.contains("available: 1.0.0"))
    }
}
