import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct WrapTests {
    @Test func editingTheVersionsFileUpgradesTheChildGracefully() async throws {
        let setup = try Quickstart()
        let lavavisor = try CLI.launch(setup.wrap(), in: setup.temp)
        let first = try await setup.waitForEvent("start", "1.0.0")
        #expect(first.last == "rpcprovider provider.yml --from alice")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: setup.store.current.path) == "upgrades/v1.0.0")

        try setup.require("1.1.0")
        try await setup.waitForEvent("sigterm", "1.0.0", first[2])
        let second = try await setup.waitForEvent("start", "1.1.0")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: setup.store.current.path) == "upgrades/v1.1.0")
        #expect(setup.recorded.map { $0[0] } == ["start", "sigterm", "start"], "\(setup.recorded)\n\(lavavisor.logs)")
        try await lavavisor.waitForLog("INF [Lavavisor] switched current to 1.1.0")

        // SIGTERM to lavavisor: the child is stopped gracefully and its status becomes lavavisor's.
        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(0))
        try await setup.waitForEvent("sigterm", "1.1.0", second[2])
        #expect(lavavisor.output.contains("stand-in lavap 1.1.0 serving"))
        #expect(lavavisor.logs.contains("received signal 15; stopping lavap gracefully"))
    }

    @Test func aBrokenVersionsFileNeverTouchesTheRunningChild() async throws {
        let setup = try Quickstart()
        let lavavisor = try CLI.launch(setup.wrap(), in: setup.temp)
        let first = try await setup.waitForEvent("start", "1.0.0")
        try setup.temp.write("provider_target: latest\n", to: "versions.yml")
        try await lavavisor.waitForLog("ERR [Lavavisor] cannot read the required versions")
        try setup.temp.write("", to: "versions.yml")
        try await lavavisor.waitForLog("must hold a mapping")
        try FileManager.default.removeItem(at: setup.versions)
        try await lavavisor.waitForLog("cannot be read")
        #expect(kill(pid_t(first[2])!, 0) == 0)
        #expect(setup.recorded.count == 1)
        // Fixed again, it upgrades.
        try setup.require("1.1.0")
        try await setup.waitForEvent("start", "1.1.0")
        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(0))
    }

    @Test func aChildThatExitsByItselfGivesLavavisorItsStatus() async throws {
        let setup = try Quickstart(binaries: ["1.0.0"], behaviour: .exit(3))
        let finished = try await CLI.run(setup.wrap(["--restart", "never"]), in: setup.temp)
        #expect(finished.exit == .exited(3))
        #expect(finished.logs.contains("lavap ended by itself"))
    }

    @Test func aCrashingChildIsRestartedWithBackoffUntilACrashLoop() async throws {
        let setup = try Quickstart(binaries: ["1.0.0"], behaviour: .exit(3))
        let finished = try await CLI.run(
            setup.wrap(["--crash-loop-limit", "3", "--restart-max-delay", "0.05"]), in: setup.temp)
        #expect(finished.exit == .exited(3), "\(finished.logs)")
        #expect(setup.recorded.filter { $0.first == "start" }.count == 4)
        #expect(finished.logs.contains("restarting it now"))
        // The second and third waits: 0.05 s (the cap) with ±10 % jitter.
        #expect(finished.logs.contains("restarting it in 0.0"), "\(finished.logs)")
        #expect(finished.logs.contains("lavap is in a crash loop"))
    }

    @Test func theKeyringPasswordReachesOnlyTheChildsStdin() async throws {
        let setup = try Quickstart(binaries: ["1.0.0"], behaviour: .readStdin)
        let password = "pw-\(UUID().uuidString)"
        let terminal = try PseudoTerminal()
        defer { terminal.close() }
        let lavavisor = try CLI.launch(setup.wrap(["--enter-keyring-password"]), on: terminal)
        try await terminal.waitForOutput("Please enter the keyring password:")
        terminal.write(password + "\n")
        let stdin = try await setup.waitForEvent("stdin", "1.0.0")
        #expect(stdin.last == password)
        #expect(!terminal.output.contains(password), "the password was echoed")
        let pids = [String(lavavisor.pid), stdin[2]]
        for pid in pids {
            for file in ["cmdline", "environ"] {
                let bytes = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/\(file)"))) ?? Data()
                #expect(!String(decoding: bytes, as: UTF8.self).contains(password), "password in /proc/\(pid)/\(file)")
            }
        }
        lavavisor.signal(SIGTERM)
        #expect(try await lavavisor.wait() == .exited(0))
        #expect(!terminal.output.contains(password))
        let storeFiles = FileManager.default.enumerator(atPath: setup.store.root.path)?.allObjects as? [String] ?? []
        for file in storeFiles {
            let data = (try? Data(contentsOf: setup.store.root.appendingPathComponent(file))) ?? Data()
            #expect(!String(decoding: data, as: UTF8.self).contains(password), "password in \(file)")
        }
    }

    @Test func askingForThePasswordWithoutATerminalFailsAtOnceNamingTheFile() async throws {
        let setup = try Quickstart(binaries: ["1.0.0"], behaviour: .readStdin)
        let finished = try await CLI.run(setup.wrap(["--enter-keyring-password"]), in: setup.temp, input: "piped\n")
        #expect(finished.exit == .exited(1))
        #expect(finished.logs.contains("standard input is not one"), "\(finished.logs)")
        #expect(finished.logs.contains("--keyring-password-file PATH"))
        #expect(setup.recorded.isEmpty)
    }

    @Test func jsonLogsAreOneObjectPerLine() async throws {
        let setup = try Quickstart(binaries: ["1.0.0"], behaviour: .exit(0))
        let finished = try await CLI.run(setup.wrap(["--log-format", "json", "--restart", "on-failure"]), in: setup.temp)
        #expect(finished.exit == .exited(0))
        let lines = finished.logs.split(separator: "\n")
        #expect(lines.count >= 3)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
            #expect(object?["message"] != nil, "not a JSON log line: \(line)")
        }
    }

    @Test func aSignalWhileWaitingForABinaryEndsCleanly() async throws {
        let setup = try Quickstart(binaries: [])
        let lavavisor = try CLI.launch(setup.wrap(), in: setup.temp)
        try await lavavisor.waitForLog("no lavap is installed yet")
        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(128 + SIGTERM))
    }

    @Test func theKeyringPasswordFileReachesOnlyTheChildsStdin() async throws {
        let setup = try Quickstart(binaries: ["1.0.0", "1.1.0"], behaviour: .readStdin)
        let password = "file-pw-\(UUID().uuidString)"
        let file = try setup.temp.write(password + "\n", to: "keyring-password")
        #expect(chmod(file.path, 0o600) == 0)
        let lavavisor = try CLI.launch(setup.wrap(["--keyring-password-file", file.path]), in: setup.temp)
        #expect(try await setup.waitForEvent("stdin", "1.0.0").last == password)
        try setup.require("1.1.0")
        #expect(try await setup.waitForEvent("stdin", "1.1.0").last == password, "again after the upgrade")
        lavavisor.process.signal(SIGTERM)
        _ = try await lavavisor.exit()
        #expect(!lavavisor.logs.contains(password))

        #expect(chmod(file.path, 0o644) == 0)
        let refused = try await CLI.run(setup.wrap(["--keyring-password-file", file.path]), in: setup.temp)
        #expect(refused.exit == .exited(1))
        #expect(refused.logs.contains("chmod 600 \(file.path)"), "\(refused.logs)")
        #expect(!refused.logs.contains(password))
    }

    @Test func aLavapLeftByAKilledLavavisorIsStoppedBeforeTheNewOneStarts() async throws {
        let setup = try Quickstart(binaries: ["1.0.0"])
        let killed = try CLI.launch(setup.wrap(), in: setup.temp)
        let left = try await setup.waitForEvent("start", "1.0.0")
        // The child runs before lavavisor records it: a kill in between leaves nothing to find.
        try await waitUntil("the child recorded in the store") { setup.store.runningChildren().map { "\($0.pid)" } == [left[2]] }
        killed.process.signal(SIGKILL)
        #expect(try await killed.exit() == .signaled(SIGKILL))
        #expect(kill(pid_t(left[2])!, 0) == 0, "the killed lavavisor's lavap still runs")

        let next = try CLI.launch(setup.wrap(), in: setup.temp)
        try await setup.waitForEvent("sigterm", "1.0.0", left[2])
        try await waitUntil("a new lavap, events: \(setup.recorded)") {
            setup.recorded.filter { $0.prefix(2) == ["start", "1.0.0"] }.count == 2
        }
        let order = setup.recorded.map { $0.prefix(3).joined(separator: " ") }
        #expect(order.firstIndex(of: "sigterm 1.0.0 \(left[2])")! < order.lastIndex { $0.hasPrefix("start 1.0.0") }!)
        #expect(next.logs.contains("a lavap left running by a lavavisor that was killed is stopped before the new one starts"))
        next.process.signal(SIGTERM)
        #expect(try await next.exit() == .exited(0))
    }

    @Test func aSecondLavavisorForTheSameCommandOnOneDirectoryRefuses() async throws {
        let setup = try Quickstart(binaries: ["1.0.0"])
        let first = try CLI.launch(setup.wrap(), in: setup.temp)
        try await setup.waitForEvent("start", "1.0.0")
        let status = try await CLI.run(["status"] + setup.flags, in: setup.temp)
        #expect(status.output.contains("running: lavap 1.0.0 pid \(setup.recorded[0][2]) (lavavisor pid "), "\(status.output)")
        let json = try await CLI.run(["status", "--json"] + setup.flags, in: setup.temp)
        let object = try #require(JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        let child = (object["children"] as? [[String: Any]])?.first
        #expect(child?["pid"] as? Int == Int(setup.recorded[0][2]))
        #expect(child?["version"] as? String == "1.0.0")
        #expect((child?["startTicks"] as? Int ?? 0) > 0, "the kernel's start time, in clock ticks: \(child ?? [:])")
        let second = try await CLI.run(setup.wrap(), in: setup.temp)
        #expect(second.exit == .exited(1))
        #expect(second.logs.contains("already supervises 'lavap rpcprovider provider.yml --from alice'"), "\(second.logs)")
        #expect(setup.recorded.filter { $0.first == "start" }.count == 1)
        first.process.signal(SIGTERM)
        #expect(try await first.exit() == .exited(0))
    }
    /// The README quickstart as a new user tried it: start it, run the same command again (refused),
    /// kill -9 the first lavavisor, start it again: one lavap, never two.
    @Test func aRefusedSecondLavavisorLeavesTheFirstOnesLavapFindable() async throws {
        let setup = try Quickstart(binaries: ["1.0.0"])
        let first = try CLI.launch(setup.wrap(), in: setup.temp)
        let left = try await setup.waitForEvent("start", "1.0.0")
        let refused = try await CLI.run(setup.wrap(), in: setup.temp)
        #expect(refused.exit == .exited(1))
        #expect(setup.store.runningChildren().map { "\($0.pid)" } == [left[2]], "the refused one removed the record")

        first.process.signal(SIGKILL)
        #expect(try await first.exit() == .signaled(SIGKILL))
        let next = try CLI.launch(setup.wrap(), in: setup.temp)
        try await setup.waitForEvent("sigterm", "1.0.0", left[2])
        try await waitUntil("a new lavap, events: \(setup.recorded)") { setup.starts("1.0.0") == 2 }
        #expect(ChildRecord.startTime(of: pid_t(left[2])!) == nil, "the left lavap still runs beside the new one")
        next.process.signal(SIGTERM)
        #expect(try await next.exit() == .exited(0))
    }

    /// A child no record names (its lavavisor was killed between the spawn and the record, or the
    /// record could not be written) is found by the mark in its environment.
    @Test func aLavapThatCouldNotBeRecordedIsFoundByItsMark() async throws {
        let setup = try Quickstart(binaries: ["1.0.0"])
        // The record cannot be written: its name is taken by a folder.
        let files = ChildRecordFile(store: setup.store, arguments: ["rpcprovider", "provider.yml", "--from", "alice"])
        try FileManager.default.createDirectory(at: files.record.appendingPathComponent("taken"), withIntermediateDirectories: true)
        let killed = try CLI.launch(setup.wrap(), in: setup.temp)
        let left = try await setup.waitForEvent("start", "1.0.0")
        try await killed.waitForLog("cannot record the child in the store")
        #expect(setup.store.runningChildren().isEmpty)
        killed.process.signal(SIGKILL)
        #expect(try await killed.exit() == .signaled(SIGKILL))

        let next = try CLI.launch(setup.wrap(), in: setup.temp)
        try await setup.waitForEvent("sigterm", "1.0.0", left[2])
        try await waitUntil("a new lavap, events: \(setup.recorded)") { setup.starts("1.0.0") == 2 }
        try await next.waitForLog("found-by=\"its LAVAVISOR_SUPERVISED mark; no record named it\"")
        #expect(ChildRecord.startTime(of: pid_t(left[2])!) == nil, "the unrecorded lavap still runs beside the new one")
        next.process.signal(SIGTERM)
        #expect(try await next.exit() == .exited(0))
    }
}
