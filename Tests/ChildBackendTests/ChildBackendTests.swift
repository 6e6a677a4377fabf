import ChildBackend
import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct ChildBackendTests {
    let fixture: StoreFixture
    var temp: TemporaryDirectory { fixture.temp }
    var store: Store { fixture.store }
    var events: URL { fixture.events }
    var logs: CapturedLogs { fixture.logs }

    init() throws { fixture = try StoreFixture() }

    func install(_ version: String, _ behaviour: StandIn.Behaviour = .serve) throws { try fixture.install(version, behaviour) }

    func backend(
        _ arguments: [String] = ["rpcprovider", "p.yml"], password: Secret? = nil, stopTimeout: Duration = .seconds(10),
        restart: RestartPolicy = .never
    ) -> ChildBackend {
        ChildBackend(
            .init(
                arguments: arguments, store: store,
                settings: ProcessSettings(stopTimeout: stopTimeout, keyringPassword: password, restart: restart)),
            logger: logs.logger())
    }

    @discardableResult
    func waitForEvent(_ words: String...) async throws -> [String] { try await fixture.waitForEvent(matching: words) }

    @Test func startsRestartsOnTheNewBinaryAndStopsGracefully() async throws {
        try install("1.0.0")
        try install("1.1.0")
        try store.switchCurrent(to: v("1.0.0"))
        let backend = backend()
        try await backend.supervised.start()
        let first = try await waitForEvent("start", "1.0.0")
        #expect(first.last == "rpcprovider p.yml")

        try store.switchCurrent(to: v("1.1.0"))
        try await backend.supervised.restart()
        _ = try await waitForEvent("sigterm", "1.0.0", first[2])
        let second = try await waitForEvent("start", "1.1.0")
        #expect(second[2] != first[2])

        await backend.supervised.stop()
        _ = try await waitForEvent("sigterm", "1.1.0", second[2])
        #expect(await backend.supervised.waitForExit() == .exited(0))
        #expect(StandIn.events(events).map { $0[0] } == ["start", "sigterm", "start", "sigterm"])
    }

    @Test func passesArgumentsExactly() async throws {
        try FileManager.default.createDirectory(at: store.folder(for: v("1.0.0")), withIntermediateDirectories: true)
        try temp.write(
            "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\" >> '\(events.path)'; done\n", to: ".lavavisor/upgrades/v1.0.0/lavap",
            executable: true)
        try store.switchCurrent(to: v("1.0.0"))
        let arguments = try SupervisedCommand(parsing: #"lavap rpcprovider "my config.yml" --from 'alice bob' --node $NODE"#).arguments
        let backend = backend(arguments)
        try await backend.supervised.start()
        #expect(await backend.supervised.waitForExit() == .exited(0))
        #expect(try String(contentsOf: events, encoding: .utf8) == "rpcprovider\nmy config.yml\n--from\nalice bob\n--node\n$NODE\n")
    }

    @Test func aStopFromACancelledTaskStillGivesTheGracePeriod() async throws {
        try install("1.0.0", .slowStop)
        try store.switchCurrent(to: v("1.0.0"))
        let backend = backend()
        try await backend.supervised.start()
        let started = try await waitForEvent("start", "1.0.0")
        let stopper = Task {
            try? await Task.sleep(for: .seconds(3600))  // ends at once: the task is cancelled below
            await backend.supervised.stop()
        }
        stopper.cancel()
        await stopper.value
        #expect(await backend.supervised.waitForExit() == .exited(0))
        _ = try await waitForEvent("sigterm", "1.0.0", started[2])
    }

    @Test func escalatesToSIGKILLWhenSIGTERMIsIgnored() async throws {
        try install("1.0.0", .ignoreTerm)
        try store.switchCurrent(to: v("1.0.0"))
        let backend = backend(stopTimeout: .milliseconds(300))
        try await backend.supervised.start()
        _ = try await waitForEvent("start", "1.0.0")
        await backend.supervised.stop()
        #expect(await backend.supervised.waitForExit() == .signaled(SIGKILL))
        #expect(StandIn.events(events).contains { $0.first == "ignored-sigterm" })
        #expect(logs.text.contains("did not stop within"))
    }

    @Test func aChildThatEndsByItselfEndsTheRunWithItsStatus() async throws {
        try install("1.0.0", .exit(3))
        try store.switchCurrent(to: v("1.0.0"))
        let backend = backend()
        try await backend.supervised.start()
        #expect(await backend.supervised.waitForExit() == .exited(3))
        #expect(logs.text.contains("lavap ended by itself"))
    }

    @Test func handsThePasswordOnStdinOnlyAndAgainAfterARestart() async throws {
        try install("1.0.0", .readStdin)
        try install("1.1.0", .readStdin)
        try store.switchCurrent(to: v("1.0.0"))
        let password = "s3cret pass-\(UUID().uuidString)"
        let backend = backend(password: Secret(password))
        try await backend.supervised.start()
        let started = try await waitForEvent("start", "1.0.0")
        #expect(try await waitForEvent("stdin", "1.0.0").last == password)
        let pid = started[2]
        for file in ["cmdline", "environ"] {
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/\(file)"))) ?? Data()
            #expect(!String(decoding: bytes, as: UTF8.self).contains(password), "password found in /proc/\(pid)/\(file)")
        }
        try store.switchCurrent(to: v("1.1.0"))
        try await backend.supervised.restart()
        #expect(try await waitForEvent("stdin", "1.1.0").last == password)
        await backend.supervised.stop()
        _ = await backend.supervised.waitForExit()
        #expect(!logs.text.contains(password))
    }

    @Test func theCommandMustStartWithLavapAndGivesTheRole() throws {
        let consumer = try SupervisedCommand(parsing: "/usr/local/bin/lavap rpcconsumer c.yml")
        #expect(consumer.arguments == ["rpcconsumer", "c.yml"])
        #expect(consumer.role == .consumer)
        #expect(try SupervisedCommand(parsing: "lavap rpcprovider p.yml").role == .provider)
        #expect(try SupervisedCommand(parsing: "lavap test rpcprovider").role == .any)
        #expect(throws: OptionError.self) { try SupervisedCommand(parsing: "lavad start") }
        #expect(throws: OptionError.self) { try SupervisedCommand(parsing: "   ") }
        #expect(throws: ShellWordsError.self) { try SupervisedCommand(parsing: "lavap 'unterminated") }
    }

    @Test func theFactoryNeedsACommand() throws {
        let context = PluginContext(store: store, logger: logs.logger())
        #expect(throws: OptionError.self) { try ChildBackend.make(options: .parse([]), context: context, processes: ProcessSettings()) }
        let processes = ProcessSettings(command: try SupervisedCommand(parsing: "lavap rpcprovider x.yml"), stopTimeout: .seconds(3))
        let backend = try ChildBackend.make(options: .parse([]), context: context, processes: processes)
        #expect(backend.supervised.configuration.arguments == ["rpcprovider", "x.yml"])
        #expect(backend.supervised.configuration.store.root == store.root)
    }

    @Test func knowsTheVersionItStartedEvenWhenCurrentMovesOn() async throws {
        try install("1.0.0")
        try install("1.1.0")
        try store.switchCurrent(to: v("1.0.0"))
        let backend = backend()
        #expect(await backend.supervised.runningVersion == nil)
        try await backend.supervised.start()
        let started = try await waitForEvent("start", "1.0.0")
        try store.switchCurrent(to: v("1.1.0"))  // another lavavisor on the same directory switched
        #expect(await backend.supervised.runningVersion == v("1.0.0"))
        #expect(try String(contentsOfFile: "/proc/\(started[2])/cmdline", encoding: .utf8).contains("upgrades/v1.0.0/lavap"))
        try await backend.supervised.restart()
        _ = try await waitForEvent("start", "1.1.0")
        #expect(await backend.supervised.runningVersion == v("1.1.0"))
        await backend.supervised.stop()
        #expect(await backend.supervised.runningVersion == nil)
    }

    @Test func killEndsAGracefulStopAtOnce() async throws {
        try install("1.0.0", .ignoreTerm)
        try store.switchCurrent(to: v("1.0.0"))
        let backend = backend(stopTimeout: .seconds(3600))
        try await backend.supervised.start()
        _ = try await waitForEvent("start", "1.0.0")
        let stopping = Task { await backend.supervised.stop() }
        try await waitUntil("the child to ignore SIGTERM") { StandIn.events(events).contains { $0.first == "ignored-sigterm" } }
        await backend.supervised.kill()
        await stopping.value
        #expect(await backend.supervised.waitForExit() == .signaled(SIGKILL))
    }

    @Test func aRestartAfterTheChildEndedStartsNothing() async throws {
        try install("1.0.0", .exit(3))
        try install("1.1.0")
        try store.switchCurrent(to: v("1.0.0"))
        let backend = backend()
        try await backend.supervised.start()
        #expect(await backend.supervised.waitForExit() == .exited(3))
        try store.switchCurrent(to: v("1.1.0"))
        try await backend.supervised.restart()
        #expect(!StandIn.events(events).contains { $0.prefix(2) == ["start", "1.1.0"] })
        #expect(await backend.supervised.runningVersion == nil)
    }

    @Test func aChildThatKeepsFailingIsRestartedThenCalledACrashLoop() async throws {
        try install("1.0.0", .exit(3))
        try store.switchCurrent(to: v("1.0.0"))
        let backend = backend(restart: RestartPolicy(mode: .always, maxDelay: .milliseconds(50), crashLoopLimit: 2))
        try await backend.supervised.start()
        #expect(await backend.supervised.waitForExit() == .exited(3))
        #expect(fixture.recorded.filter { $0.first == "start" }.count == 3, "the first start and two restarts: \(fixture.recorded)")
        #expect(logs.text.contains("lavap ended by itself with exit status 3; restarting it now"))
        #expect(logs.text.contains("lavap is in a crash loop: it ended 3 times in a row"))
    }

    @Test func onFailureLeavesACleanExitAlone() async throws {
        try install("1.0.0", .exit(0))
        try store.switchCurrent(to: v("1.0.0"))
        let backend = backend(restart: RestartPolicy(mode: .onFailure, maxDelay: .milliseconds(50)))
        try await backend.supervised.start()
        #expect(await backend.supervised.waitForExit() == .exited(0))
        #expect(fixture.recorded.filter { $0.first == "start" }.count == 1)
    }

    @Test func aStopDuringTheBackoffStartsNothingMore() async throws {
        try install("1.0.0", .exit(3))
        try store.switchCurrent(to: v("1.0.0"))
        let backend = backend(restart: RestartPolicy(mode: .always, maxDelay: .seconds(3600)))
        try await backend.supervised.start()
        // The first restart is at once; the second waits 1 s: stop inside that wait.
        try await waitUntil("two starts and a backoff") {
            fixture.recorded.filter { $0.first == "start" }.count == 2 && logs.text.contains("restarting it in")
        }
        await backend.supervised.stop()
        #expect(await backend.supervised.waitForExit() == .exited(3))
        #expect(await backend.supervised.runningVersion == nil)
        #expect(fixture.recorded.filter { $0.first == "start" }.count == 2)
    }
}
