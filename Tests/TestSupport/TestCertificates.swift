public import Foundation
public import NIOSSL

/// A certificate authority made for one test by `openssl` (installed by `.ci/run`), in the test's
/// folder: `ca.pem` to give lavavisor with `--ca-file`, and a server certificate it signed for
/// the names given (127.0.0.1 and localhost by default), for the loopback fakes' TLS.
public struct TestCertificates: Sendable {
    /// The CA's certificate (PEM).
    public let caFile: URL
    /// The server's certificate (PEM), signed by the CA.
    public let serverCertificate: URL
    /// The server's private key (PEM).
    public let serverKey: URL

    /// Makes a CA and a server certificate for `names` (subjectAltName entries) in `folder`.
    public init(in folder: URL, names: [String] = ["IP:127.0.0.1", "DNS:localhost"]) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        caFile = folder.appendingPathComponent("ca.pem")
        serverCertificate = folder.appendingPathComponent("server.pem")
        serverKey = folder.appendingPathComponent("server.key")
        let caKey = folder.appendingPathComponent("ca.key")
        let request = folder.appendingPathComponent("server.csr")
        let extensions = folder.appendingPathComponent("server.ext")
        try Data(
            """
            subjectAltName=\(names.joined(separator: ","))
            basicConstraints=CA:FALSE
            keyUsage=critical,digitalSignature
            extendedKeyUsage=serverAuth

            """.utf8
        ).write(to: extensions)
        let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try Self.openssl(
            ["req", "-x509"] + curve + [
                "-keyout", caKey.path, "-out", caFile.path, "-days", "2", "-subj", "/CN=lavavisor test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ])
        try Self.openssl(["req"] + curve + ["-keyout", serverKey.path, "-out", request.path, "-subj", "/CN=lavavisor test server"])
        try Self.openssl([
            "x509", "-req", "-in", request.path, "-CA", caFile.path, "-CAkey", caKey.path, "-CAcreateserial", "-out",
            serverCertificate.path, "-days", "2", "-extfile", extensions.path,
        ])
    }

    /// The TLS of a loopback server presenting the server certificate.
    public func serverContext() throws -> NIOSSLContext {
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(serverCertificate.path).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: serverKey.path, format: .pem)))
        return try NIOSSLContext(configuration: configuration)
    }

    private static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestFailure(
                "openssl \(arguments.prefix(2).joined(separator: " ")) failed (\(process.terminationStatus)); .ci/run installs Debian's openssl: \(said)"
            )
        }
    }
}
