import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Carries out one control request on a running supervisor.
struct ControlHandler: Sendable {
    let monitor: Monitor
    let status: BackendStatus
    let command: String
    let logger: Logger

    private var control: WrapperControl { monitor.control }

    func handle(_ request: ControlRequest) async -> ControlAnswer {
        do {
            switch request.command {
            case .restart: return try await restart()
            case .pause: return await pause()
            case .resume: return await resume()
            case .use:
                if request.release == true { return await release() }
                return try await use(try version(request))
            case .unmark: return try await unmark(try version(request))
            case .status: return await state()
            }
        } catch {
            return .refused(error)
        }
    }

    private func version(_ request: ControlRequest) throws -> SemanticVersion {
        guard let text = request.version else { throw ControlError("\(request.command.rawValue) needs a version X.Y.Z") }
        do { return try SemanticVersion(parsing: text.hasPrefix("v") ? String(text.dropFirst()) : text) } catch {
            throw ControlError("'\(text)' is not a version; give it as X.Y.Z, e.g. 6.2.5")
        }
    }

    /// The backend's commands; refused before lavap was started.
    private func commands() async throws -> AsyncStream<BackendCommand>.Continuation {
        guard let commands = await control.commands else {
            throw ControlError("lavap is not started yet (this lavavisor waits for a version to be installed); try again once it runs")
        }
        return commands
    }

    /// Waits for the start after `starts` starts (or a failed one), at most `ControlLimits.moveWait`; says what happened.
    private func startAfter(starts: Int, failed: Int) async -> String? {
        let deadline = ContinuousClock.now + ControlLimits.moveWait
        while ContinuousClock.now < deadline {
            if await status.starts > starts { return await status.running.map { "lavap runs \($0)" } ?? "lavap was started" }
            if await status.failedStarts > failed { return "lavap could not be started again; the log says why" }
            guard (try? await Task.sleep(for: .milliseconds(50))) != nil else { break }
        }
        return nil
    }

    private func restart() async throws -> ControlAnswer {
        let commands = try await commands()
        let (was, starts, failed) = (await status.running, await status.starts, await status.failedStarts)
        logger.info("lavavisor ctl asked for a restart of lavap", metadata: ["running": "\(was.map(\.description) ?? "nothing")"])
        commands.yield(.restart)
        let ran = was.map { "lavap \($0)" } ?? "lavap (not running)"
        guard let now = await startAfter(starts: starts, failed: failed) else {
            return .done(
                "asked \(ran) to restart; it has not started again within \(ControlLimits.moveWait.brief); the log tells when it does")
        }
        return .done("restarted \(ran): \(now)")
    }

    private func pause() async -> ControlAnswer {
        let running = await status.running.map { "lavap \($0)" } ?? "lavap"
        if let since = await control.pause() {
            return .done("already paused since \(since.formatted(.iso8601)); nothing changed")
        }
        logger.warning("paused by lavavisor ctl: lavap is not moved onto another version until 'lavavisor ctl resume'; checks go on")
        return .done(
            "paused: \(running) is not moved onto another version until 'lavavisor ctl resume' (checks go on and log what they would do; a rollback of a failing upgrade still happens; the pause ends with this lavavisor)"
        )
    }

    private func resume() async -> ControlAnswer {
        guard await control.resume() else { return .done("not paused; nothing changed") }
        logger.info("resumed by lavavisor ctl: checking now")
        await control.checkSoon()
        return .done("resumed: checking now; lavap moves if the chain (or a pin) asks for it")
    }

    private func release() async -> ControlAnswer {
        guard let pin = await control.releasePin() else { return .done("no version was pinned; nothing changed") }
        logger.info("lavavisor ctl released the pin to \(pin): lavap follows the chain again; checking now")
        await control.checkSoon()
        return .done("released the pin to \(pin): lavap follows the chain again (checking now)")
    }

    private func use(_ pin: SemanticVersion) async throws -> ControlAnswer {
        _ = try await commands()
        let requirement: VersionRequirement
        do { requirement = try await monitor.requirementNow() } catch {
            throw ControlError(
                "cannot pin \(pin): the chain's minimum is unknown (\(error)); try again once the version source answers")
        }
        let role = monitor.role.rawValue
        guard pin >= requirement.minimum else {
            throw ControlError(
                "refusing to pin \(pin): it is below the chain's minimum \(requirement.minimum) for the \(role) role (target \(requirement.target)), and lavap below the minimum loses relays; pick \(requirement.minimum) or later"
            )
        }
        let store = monitor.store
        if await monitor.readState().badVersions(whileTargetIs: requirement.target).contains(pin) {
            throw ControlError(
                "refusing to pin \(pin): it is marked bad while the chain's target is \(requirement.target); clear the mark first with 'lavavisor ctl unmark \(pin)' if you want it anyway"
            )
        }
        guard store.isInstalled(pin) || monitor.autoDownload else {
            throw ControlError(
                "refusing to pin \(pin): it is not installed and this lavavisor may not fetch (no --auto-download); install it first with 'lavavisor install \(pin) --directory \(store.root.deletingLastPathComponent().path)'"
            )
        }
        let replaced = await control.pin(pin)
        logger.warning(
            "pinned to \(pin) by lavavisor ctl: lavap runs it instead of the chain's target \(requirement.target) until 'lavavisor ctl use --release' (or until the chain's minimum rises above it)",
            metadata: ["replaced": "\(replaced.map(\.description) ?? "none")"])
        let head = "pinned to \(pin) (the chain's target is \(requirement.target), minimum \(requirement.minimum))"
        let (starts, failed) = (await status.starts, await status.failedStarts)
        guard let outcome = await control.nextOutcome(within: ControlLimits.moveWait) else {
            return .done(
                "\(head); the check that moves lavap has not finished within \(ControlLimits.moveWait.brief) (a download?); the log tells")
        }
        if outcome.restartVersion != nil {
            guard let now = await startAfter(starts: starts, failed: failed) else {
                return .done("\(head); lavap is being restarted on it; the log tells when it runs")
            }
            return .done("\(head); restarted lavap: \(now)")
        }
        if case .unchanged = outcome, await status.running == pin { return .done("\(head); lavap runs it already") }
        return .done("\(head); the check: \(outcome)")
    }

    private func unmark(_ version: SemanticVersion) async throws -> ControlAnswer {
        var removed: [StoreState.BadVersion] = []
        do {
            try await monitor.store.updateState(logger: logger) { state in
                removed = state.bad.filter { $0.version == version }
                return StoreState(bad: state.bad.filter { $0.version != version })
            }
        } catch {
            throw ControlError("cannot clear the mark of \(version): \(error)")
        }
        let held = await monitor.forgetHeldMark(of: version)
        guard let mark = removed.last else {
            return ControlAnswer(
                ok: true,
                message: held ? "cleared the mark of \(version) held in memory" : "\(version) was not marked bad; nothing changed",
                marked: held)
        }
        logger.warning(
            "lavavisor ctl cleared the bad-version mark of \(version); checks may choose it again", metadata: ["reason": "\(mark.reason)"])
        return ControlAnswer(
            ok: true,
            message:
                "cleared the bad-version mark of \(version) (marked \(mark.markedAt.formatted(.iso8601)) under the target \(mark.target): \(mark.reason)); checks may choose it again",
            marked: true)
    }

    private func state() async -> ControlAnswer {
        let (requirement, spread) = await monitor.controlState()
        let last = await control.lastCheck
        let status = WrapperStatus(
            pid: getpid(), command: command, running: await status.running?.description, paused: await control.pausedSince != nil,
            pausedSince: await control.pausedSince, pin: await control.pin?.description, target: requirement?.target.description,
            minimum: requirement?.minimum.description, spreadVersion: spread?.version.description, spreadUntil: spread?.until,
            lastCheck: last?.summary, lastCheckAt: last?.at)
        var lines = ["lavavisor \(status.pid) (\(command)) on \(monitor.store.root.path): \(status.summary)"]
        if let target = status.target, let minimum = status.minimum {
            lines.append("chain (\(monitor.role.rawValue)): target \(target), minimum \(minimum)")
        }
        if let since = status.pausedSince { lines.append("paused since \(since.formatted(.iso8601))") }
        if let last { lines.append("last check (\(last.at.formatted(.iso8601))): \(last.summary)") }
        return .done(lines.joined(separator: "\n"), status: status)
    }
}

extension Supervisor {
    /// Serves `lavavisor ctl` on `run/control-<pid>.sock` (restart lavap now, pause and resume the
    /// moves onto another version, pin a version, clear a bad-version mark, say what it runs and
    /// holds); nil without `controlCommand`, or when the socket cannot be made (logged: supervision
    /// goes on without it).
    func startControl() async -> ControlServer? {
        guard let controlCommand else { return nil }
        let handler = ControlHandler(monitor: monitor, status: status, command: controlCommand, logger: logger)
        do {
            let server = try await ControlServer.start(in: monitor.store, logger: logger) { await handler.handle($0) }
            logger.debug("serving lavavisor ctl", metadata: ["socket": "\(server.path.path)"])
            return server
        } catch {
            logger.warning("lavavisor ctl cannot reach this lavavisor: its control socket cannot be made", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
