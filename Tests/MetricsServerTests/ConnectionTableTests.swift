import Testing

@testable import MetricsServer

/// The connection cap's policy, without sockets.
@Suite struct ConnectionTableTests {
    @Test func admitsUpToTheLimitThenEvictsTheOldestThatSentNothing() {
        var table = ConnectionTable<Int>(limit: 3)
        #expect(table.admit(1) == .admitted(evicting: nil))
        #expect(table.admit(2) == .admitted(evicting: nil))
        #expect(table.admit(3) == .admitted(evicting: nil))
        table.requested(1)
        #expect(table.admit(4) == .admitted(evicting: 2), "1 is being answered: 2 is the oldest idle one")
        #expect(table.admit(5) == .admitted(evicting: 3))
        #expect(table.count == 3)
        #expect(table.hasRequested(1))
        #expect(!table.hasRequested(4))
    }

    @Test func refusesWhileEveryHeldConnectionIsBeingAnsweredAndAcceptsOnceOneCloses() {
        var table = ConnectionTable<Int>(limit: 2)
        _ = table.admit(1)
        _ = table.admit(2)
        #expect(table.accepting, "idle connections can make room")
        table.requested(1)
        table.requested(2)
        #expect(!table.accepting)
        #expect(table.admit(3) == .refused)
        #expect(table.count == 2)
        table.closed(1)
        #expect(table.accepting)
        #expect(table.admit(3) == .admitted(evicting: nil))
        table.closed(7)
        #expect(table.count == 2, "closing an unknown connection changes nothing")
    }

    @Test func aLimitBelowOneHoldsOne() {
        var table = ConnectionTable<Int>(limit: 0)
        #expect(table.admit(1) == .admitted(evicting: nil))
        #expect(table.admit(2) == .admitted(evicting: 1))
    }

    @Test func theStandardLimitsKeepToAQuarterOfTheDescriptors() {
        #expect(MetricsServerLimits.standard(descriptorLimit: 1_048_576).connections == 16)
        #expect(MetricsServerLimits.standard(descriptorLimit: 64).connections == 16)
        #expect(MetricsServerLimits.standard(descriptorLimit: 32).connections == 8)
        #expect(MetricsServerLimits.standard(descriptorLimit: 2).connections == 1)
        #expect(MetricsServerLimits.standard(descriptorLimit: 64).timeout == .seconds(5))
    }
}
