import Core
import TestSupport
import Testing

/// `/healthz`'s verdict, at chosen instants.
@Suite struct HealthTests {
    let start = ContinuousClock.now

    func health() -> Health {
        let health = Health(pollInterval: .seconds(15))
        health.child(running: true)
        health.checkSucceeded(now: start)
        return health
    }

    @Test func healthyWhileTheLastCheckIsAtMostThreePollsOld() {
        let health = health()
        #expect(health.problem(now: start + .seconds(45)) == nil)
        #expect(health.problem(now: start + .seconds(46))?.contains("the last successful version check was 46 s ago") == true)
        health.child(running: false)
        #expect(health.problem(now: start + .seconds(1)) == "lavap is not running")
    }

    @Test func aLongDownloadInACheckKeepsAServingLavavisorHealthyForAnHourAtMost() {
        let health = health()
        health.checking(true, now: start + .seconds(10))
        #expect(health.problem(now: start + .seconds(600)) == nil, "a 10-minute download is no reason to take the pod out")
        #expect(health.problem(now: start + .seconds(10) + Health.longestCheck) == nil)
        let stuck = health.problem(now: start + .seconds(11) + Health.longestCheck)
        #expect(stuck?.contains("a version check has been running for") == true, "\(stuck ?? "healthy")")
        health.checking(false, now: start + .seconds(700))
        #expect(health.problem(now: start + .seconds(700))?.contains("the last successful version check was") == true)
        health.checkSucceeded(now: start + .seconds(700))
        #expect(health.problem(now: start + .seconds(701)) == nil)
    }

    @Test func failingChecksMakeItNotReadyButStillAlive() {
        let health = health()
        health.checking(true, now: start + .seconds(15))
        health.checking(false, now: start + .seconds(16))
        health.checking(true, now: start + .seconds(60))
        health.checking(false, now: start + .seconds(61))
        #expect(health.problem(now: start + .seconds(62))?.contains("the last successful version check was") == true)
        #expect(health.liveness(now: start + .seconds(62)) == nil, "the checks go on: alive")
        // Three polls of 15 s are less than the shortest window: a minute.
        #expect(health.liveness(now: start + .seconds(121)) == nil)
        #expect(health.liveness(now: start + .seconds(122)) == "no version check has ended for 61 s (more than 60 s)")
        health.checking(true, now: start + .seconds(122))
        #expect(health.liveness(now: start + .seconds(600)) == nil, "a check that runs is alive, up to the longest check")
        // A long poll: three of them.
        let slow = Health(pollInterval: .seconds(60))
        slow.checking(false, now: start)
        #expect(slow.liveness(now: start + .seconds(180)) == nil)
        #expect(slow.liveness(now: start + .seconds(181)) == "no version check has ended for 181 s (more than 180 s)")
    }

    @Test func aLavapBelowTheChainsMinimumIsNotReadyUntilANewerOneRuns() {
        let health = health()
        health.child(running: true, version: v("1.0.0"))
        health.required(minimum: v("1.0.0"))
        #expect(health.problem(now: start) == nil)
        health.required(minimum: v("1.1.0"))
        #expect(health.problem(now: start) == "lavap 1.0.0 is below the chain's minimum 1.1.0")
        #expect(health.liveness(now: start) == nil)
        // The upgrade's start, before any new check: judged on what runs now.
        health.child(running: true, version: v("1.1.0"))
        #expect(health.problem(now: start) == nil)
    }
}
