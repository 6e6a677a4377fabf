import Core
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
}
