import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// https and wss against loopback fakes whose CA each test makes (`openssl`): `--ca-file` is
/// trusted by every connection (node, websocket, REST, release mirror), and a certificate that
/// does not verify is a clear error naming the host, never a request in plain text instead.
@Suite struct TLSTests {
    /// The flags of the rpc source on `node` (the test's CA given or not), local binaries.
    func flags(_ setup: Quickstart, node: String, caFile: URL?) -> [String] {
        [
            "--directory", setup.store.root.deletingLastPathComponent().path, "--node", node, "--source", "local", "--binaries-dir",
            setup.bin.path, "--request-timeout", "10", "--connect-timeout", "5", "--request-retries", "0",
        ] + (caFile.map { ["--ca-file", $0.path] } ?? [])
    }

    @Test func anHTTPSNodeIsFollowedOverWSSWithThePrivateCA() async throws {
        let setup = try Quickstart()
        let certificates = try TestCertificates(in: setup.temp.path("tls"))
        let node = try await FakeLavaNode()
        node.require(target: "1.0.0", min: "1.0.0")
        // One port for the RPC and the websocket, TLS only: as a node behind an https proxy.
        let secure = try await FakeWebSocketNode(tls: try certificates.serverContext(), http: node.answers)
        #expect(secure.url.hasPrefix("https://"))
        // An hour between polls: the upgrade below can only come from the block, over wss.
        let lavavisor = try CLI.launch(
            ["wrap"] + flags(setup, node: secure.url, caFile: certificates.caFile)
                + ["--auto-download", "--poll-interval", "3600", "--verbose", "--cmd", "lavap rpcprovider p.yml"],
            in: setup.temp)
        try await setup.waitForEvent("start", "1.0.0")
        try await waitUntil("the subscription over wss: \(lavavisor.logs)") { secure.subscribers == 1 }
        #expect(!secure.requests.isEmpty, "the RPC went to the https port")
        node.require(target: "1.1.0", min: "1.0.0")
        await secure.publish(height: 1235)
        try await setup.waitForEvent("start", "1.1.0")
        #expect(setup.store.currentVersion() == v("1.1.0"))
        #expect(!lavavisor.logs.contains("polled only"), "\(lavavisor.logs)")
        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(0), "\(lavavisor.logs)")
        await secure.stop()
        await node.stop()
    }

    @Test func aCertificateThatDoesNotVerifyIsAClearErrorAndNothingGoesInPlainText() async throws {
        let setup = try Quickstart()
        try FileManager.default.createDirectory(at: setup.temp.path("home"), withIntermediateDirectories: true)
        let certificates = try TestCertificates(in: setup.temp.path("tls"))
        let node = try await FakeLavaNode(tls: try certificates.serverContext())
        let host = "127.0.0.1:\(node.server.port)"

        // Without the CA: the system's CAs do not know it.
        let refused = try await CLI.run(["status"] + flags(setup, node: node.url, caFile: nil), in: setup.temp)
        #expect(refused.exit == .exited(1))
        #expect(refused.output.contains("the TLS certificate of \(host) does not verify"), "\(refused.output)")
        #expect(refused.output.contains("--ca-file"), "says what to do: \(refused.output)")
        #expect(node.server.requests.isEmpty, "no request was read: \(node.server.requests.map(\.uri))")

        // Another CA's file does not help either.
        let other = try TestCertificates(in: setup.temp.path("other"))
        let wrongCA = try await CLI.run(["status"] + flags(setup, node: node.url, caFile: other.caFile), in: setup.temp)
        #expect(wrongCA.exit == .exited(1))
        #expect(wrongCA.output.contains("the TLS certificate of \(host) does not verify"), "\(wrongCA.output)")

        // With it, the same node is read.
        let trusted = try await CLI.run(["status"] + flags(setup, node: node.url, caFile: certificates.caFile), in: setup.temp)
        #expect(trusted.exit == .exited(0), "\(trusted.output)")
        #expect(trusted.output.contains("required: target 6.2.5, minimum 5.5.1"), "\(trusted.output)")
        await node.stop()
    }

    @Test func aCertificateForAnotherHostIsRefusedEvenFromTheTrustedCA() async throws {
        let setup = try Quickstart()
        try FileManager.default.createDirectory(at: setup.temp.path("home"), withIntermediateDirectories: true)
        let certificates = try TestCertificates(in: setup.temp.path("tls"), names: ["DNS:node.example"])
        let node = try await FakeLavaNode(tls: try certificates.serverContext())
        let status = try await CLI.run(["status"] + flags(setup, node: node.url, caFile: certificates.caFile), in: setup.temp)
        #expect(status.exit == .exited(1))
        #expect(status.output.contains("the TLS certificate of 127.0.0.1:\(node.server.port) is not for that host"), "\(status.output)")
        #expect(node.server.requests.isEmpty)

        // The websocket is held to the same rule (the RPC over plain http here, so that lavap runs).
        let plain = try await FakeLavaNode()
        plain.require(target: "1.0.0", min: "1.0.0")
        let secure = try await FakeWebSocketNode(tls: try certificates.serverContext(), http: node.answers)
        let lavavisor = try CLI.launch(
            ["wrap"] + flags(setup, node: plain.url, caFile: certificates.caFile)
                + [
                    "--websocket-url", "wss://127.0.0.1:\(secure.port)", "--auto-download", "--poll-interval", "3600", "--cmd",
                    "lavap rpcprovider p.yml",
                ],
            in: setup.temp)
        try await lavavisor.waitForLog("cannot follow new blocks at wss://127.0.0.1:\(secure.port)/websocket")
        #expect(secure.upgrades == 0 && secure.requests.isEmpty)
        lavavisor.process.signal(SIGTERM)
        _ = try await lavavisor.exit()
        #expect(lavavisor.logs.contains("is not for that host"), "\(lavavisor.logs)")
        await plain.stop()
        await secure.stop()
        await node.stop()
    }

    @Test func theRESTSourceAndTheReleaseMirrorTrustTheCATooWithTheSameFlag() async throws {
        let versions = try VersionStore(binaries: [])
        try versions.prepare(installed: [], current: nil)
        let certificates = try TestCertificates(in: versions.temp.path("tls"))
        let host = try await FakeReleaseHost(tls: try certificates.serverContext())
        host.publishStandIn("1.2.0")
        let github = [
            "--source", "github", "--release-url", host.releaseURL, "--releases-api", host.releasesAPI, "--platform", "linux/amd64",
        ]
        #expect(host.releaseURL.hasPrefix("https://"))
        let refused = try await versions.run("install", ["1.2.0"] + github)
        #expect(refused.exit == .exited(1))
        #expect(refused.logs.contains("does not verify"), "\(refused.logs)")
        #expect(versions.store.installedVersions().isEmpty)
        #expect(host.server.requests.isEmpty)

        let installed = try await versions.run("install", ["1.2.0", "--ca-file", certificates.caFile.path] + github)
        #expect(installed.exit == .exited(0), "\(installed.logs)")
        #expect(versions.store.installedVersions() == [v("1.2.0")])
        await host.stop()

        let node = try await FakeLavaNode(tls: try certificates.serverContext())
        let rest = try await versions.run(
            "status", ["--version-source", "rest", "--rest-url", node.url, "--ca-file", certificates.caFile.path])
        #expect(rest.exit == .exited(0), "\(rest.output)")
        #expect(rest.output.contains("required: target 6.2.5, minimum 5.5.1"), "\(rest.output)")
        #expect(node.server.requests.contains { $0.uri.hasPrefix("/lavanet/lava/protocol/params") })
        await node.stop()
    }

    @Test(arguments: [
        ("missing.pem", "cannot be opened (No such file or directory)"),
        ("garbage.pem", "is not a PEM file of certificates (failedToLoadCertificate)"),
        ("empty.pem", "is not a PEM file of certificates (failedToLoadCertificate)"),
    ])
    func aCAFileThatCannotBeUsedIsNamedBeforeAnythingStarts(_ name: String, _ problem: String) async throws {
        let setup = try Quickstart()
        try setup.temp.write("not a certificate\n", to: "garbage.pem")
        try setup.temp.write("", to: "empty.pem")
        let file = setup.temp.path(name)
        let run = try await CLI.run(
            ["wrap"] + flags(setup, node: "https://127.0.0.1:1", caFile: file) + ["--cmd", "lavap"], in: setup.temp)
        #expect(run.exit == .exited(64), "\(run.logs)")
        #expect(run.logs.contains("--ca-file \(file.path) \(problem)"), "\(run.logs)")
        #expect(!FileManager.default.fileExists(atPath: setup.store.root.path), "nothing was created")
    }
}
