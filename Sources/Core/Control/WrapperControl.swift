public import Foundation

/// What `lavavisor ctl` changed in a running wrapper, held in memory only (a lavavisor started again
/// begins unpaused and unpinned), and what the checks tell it back: the last check's result, and a
/// way to ask for a check now.
public actor WrapperControl {
    /// Since when moves onto another version are held (`ctl pause`); nil: not paused.
    public private(set) var pausedSince: Date?
    /// The version lavap is pinned to (`ctl use`); nil: it follows the chain.
    public private(set) var pin: SemanticVersion?
    /// What the last check decided or did, for `ctl status`.
    public private(set) var lastCheck: (summary: String, at: Date)?
    /// The checks begun and ended since start: a caller waits for one that began after its change.
    private(set) var checksBegun = 0
    private(set) var checksEnded = 0
    /// The outcome of the last check.
    private(set) var lastOutcome: CheckStep?
    /// What the pause held in the check under way, which `lastCheck` then says.
    private var held: String?
    /// The last move the pause held, so that the same one is logged once at info.
    private var lastHeld: String?
    /// The running backend's commands (`ctl restart`); nil until lavap was started.
    private(set) var commands: AsyncStream<BackendCommand>.Continuation?

    /// Where `checkSoon()` wakes the check scheduler that runs now, if any.
    private var nudge: AsyncStream<Void>.Continuation?

    /// Not paused, not pinned.
    public init() {}

    /// The wake-ups of a check scheduler that starts: one check now (several asked meanwhile make
    /// one). A scheduler that starts later takes them over.
    public func nudges() -> AsyncStream<Void> {
        let (nudges, nudge) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.nudge?.finish()
        self.nudge = nudge
        return nudges
    }

    /// Asks the scheduler for a check now.
    public func checkSoon() { nudge?.yield() }

    /// Pauses; returns when it was paused already, if it was.
    func pause() -> Date? {
        if let pausedSince { return pausedSince }
        pausedSince = Date()
        lastHeld = nil
        Telemetry.upgradesPaused(true)
        return nil
    }

    /// Resumes; returns whether it was paused.
    func resume() -> Bool {
        defer { pausedSince = nil }
        Telemetry.upgradesPaused(false)
        return pausedSince != nil
    }

    /// Pins lavap to `version`; returns the pin it replaces.
    func pin(_ version: SemanticVersion) -> SemanticVersion? {
        defer { pin = version }
        return pin
    }

    /// Drops the pin (when `only` is given: only a pin to that version); returns the pin dropped.
    @discardableResult
    func releasePin(only: SemanticVersion? = nil) -> SemanticVersion? {
        guard let pinned = pin, only.map({ $0 == pinned }) ?? true else { return nil }
        pin = nil
        return pinned
    }

    /// The backend's commands, once lavap runs.
    func attach(_ commands: AsyncStream<BackendCommand>.Continuation) { self.commands = commands }

    /// A check begins; returns its number.
    func beginCheck() -> Int {
        checksBegun += 1
        held = nil
        return checksBegun
    }

    /// The pause held `move` in the check under way; returns whether it differs from the last one held (log it at info).
    func holding(_ move: String) -> Bool {
        held = move
        defer { lastHeld = move }
        return lastHeld != move
    }

    /// A check ended with `outcome`.
    func endCheck(_ outcome: CheckStep) {
        checksEnded += 1
        lastOutcome = outcome
        lastCheck = (held ?? "\(outcome)", Date())
    }

    /// The outcome of a check that begins after this call, nil when none ended within `timeout`
    /// (asks for one now).
    func nextOutcome(within timeout: Duration) async -> CheckStep? {
        let wanted = checksBegun + 1
        checkSoon()
        let deadline = ContinuousClock.now + timeout
        while checksEnded < wanted {
            guard ContinuousClock.now < deadline, (try? await Task.sleep(for: .milliseconds(50))) != nil else { return nil }
        }
        return lastOutcome
    }
}
