import Core
import Testing

@Suite struct RestartPolicyTests {
    @Test func theFirstRestartIsAtOnceThenTheWaitDoublesUpToTheCap() {
        let policy = RestartPolicy(maxDelay: .seconds(30))
        #expect((1...8).map { policy.delay(beforeRestart: $0) } == [0, 1, 2, 4, 8, 16, 30, 30].map { Duration.seconds($0) })
        #expect(policy.delay(beforeRestart: 1000) == .seconds(30))
        #expect(RestartPolicy(maxDelay: .milliseconds(200)).delay(beforeRestart: 2) == .milliseconds(200))
    }

    @Test func eachModeRestartsItsEnds() {
        #expect(RestartPolicy(mode: .always).wantsRestart(after: .exited(0)))
        #expect(RestartPolicy(mode: .always).wantsRestart(after: .signaled(9)))
        #expect(!RestartPolicy(mode: .onFailure).wantsRestart(after: .exited(0)))
        #expect(RestartPolicy(mode: .onFailure).wantsRestart(after: .exited(3)))
        #expect(RestartPolicy(mode: .onFailure).wantsRestart(after: .signaled(11)))
        #expect(!RestartPolicy.never.wantsRestart(after: .exited(3)))
    }

    @Test func moreFailuresThanTheLimitInARowIsACrashLoop() {
        let policy = RestartPolicy(crashLoopLimit: 3)
        var history = RestartHistory()
        let quick = Duration.milliseconds(10)
        #expect(history.next(after: .exited(3), uptime: quick, policy: policy) == .restart(after: .zero, number: 1))
        #expect(history.next(after: .exited(3), uptime: quick, policy: policy) == .restart(after: .seconds(1), number: 2))
        #expect(history.next(after: .exited(3), uptime: quick, policy: policy) == .restart(after: .seconds(2), number: 3))
        #expect(history.next(after: .exited(3), uptime: quick, policy: policy) == .crashLoop(failures: 4))
    }

    @Test func aProcessThatStayedUpStartsTheCountAgain() {
        let policy = RestartPolicy(resetAfter: .seconds(60), crashLoopLimit: 2)
        var history = RestartHistory()
        _ = history.next(after: .exited(3), uptime: .seconds(1), policy: policy)
        _ = history.next(after: .exited(3), uptime: .seconds(1), policy: policy)
        #expect(history.next(after: .exited(3), uptime: .seconds(61), policy: policy) == .restart(after: .zero, number: 1))
        #expect(history.failures == 1)
    }

    @Test func jitterScalesTheWaitWithinTheCap() {
        let policy = RestartPolicy(maxDelay: .seconds(2))
        var history = RestartHistory()
        _ = history.next(after: .exited(1), uptime: .zero, policy: policy, jitter: 1.1)
        let second = history.next(after: .exited(1), uptime: .zero, policy: policy, jitter: 1.1)
        guard case .restart(let delay, 2) = second else {
            Issue.record("expected the second restart, got \(second)")
            return
        }
        #expect(abs((delay - .seconds(1.1)).seconds) < 0.001, "\(delay)")
        _ = history.next(after: .exited(1), uptime: .zero, policy: policy, jitter: 1.1)
        #expect(history.next(after: .exited(1), uptime: .zero, policy: policy, jitter: 1.1) == .restart(after: .seconds(2), number: 4))
    }

    @Test func aCleanEndUnderOnFailureStops() {
        var history = RestartHistory()
        #expect(history.next(after: .exited(0), uptime: .zero, policy: RestartPolicy(mode: .onFailure)) == .stop)
        #expect(history.failures == 0)
    }

    @Test func waitsReadBrieflyInLogs() {
        #expect(Duration.milliseconds(48.057).brief == "0.048 s")
        #expect(Duration.seconds(30).brief == "30 s")
        #expect(Duration.seconds(1.1).brief == "1.1 s")
    }
}
