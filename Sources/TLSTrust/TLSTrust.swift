public import Foundation
public import NIOSSL

#if canImport(Glibc)
    import Glibc
#endif

/// What every HTTPS and wss connection of lavavisor trusts: the system's CA certificates, plus
/// those of `--ca-file` (a private CA of a node, a REST endpoint or a release mirror). A server
/// whose certificate does not verify against them, or is not for the host asked, is refused: there
/// is no fallback to plain text and no switch that turns verification off.
public enum TLSTrust {
    /// The client configuration: full verification of the chain and the host name against the
    /// system's roots and the certificates in `caFile`, when given.
    public static func clientConfiguration(caFile: URL?) throws(CAFileError) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .fullVerification
        if let caFile { configuration.additionalTrustRoots = [.certificates(try certificates(in: caFile))] }
        return configuration
    }

    /// The certificates of a PEM file; an error naming the file when it cannot be read or holds none.
    public static func certificates(in caFile: URL) throws(CAFileError) -> [NIOSSLCertificate] {
        let bytes = try read(caFile)
        // NIOSSL throws when the bytes hold no certificate (empty, DER, a key alone).
        do { return try NIOSSLCertificate.fromPEMBytes(bytes) } catch {
            throw CAFileError(
                path: caFile.path,
                problem: "is not a PEM file of certificates (\(error)); give the CA's certificate in PEM (-----BEGIN CERTIFICATE-----)")
        }
    }

    /// A TLS failure talking to `host`, or nil when `error` is none: whether the server's
    /// certificate was refused (it does not verify, or is not for the host), and the sentence
    /// saying what failed and what to do.
    public static func failure(_ error: any Error, host: String) -> (certificate: Bool, problem: String)? {
        switch error {
        case NIOSSLError.handshakeFailed(let cause):
            let detail = "\(cause)"
            if detail.contains("CERTIFICATE_VERIFY_FAILED") {
                return (
                    true,
                    "the TLS certificate of \(host) does not verify against the system's CAs nor --ca-file (\(detail)); if a private CA signed it, give that CA with --ca-file PEM"
                )
            }
            return (false, "the TLS handshake with \(host) failed (\(detail)): is it an https server, speaking TLS 1.2 or later?")
        case let error as NIOSSLExtraError where error == .failedToValidateHostname:
            return (
                true, "the TLS certificate of \(host) is not for that host (\(error)); connect by a name or address the certificate lists"
            )
        case NIOSSLError.uncleanShutdown:
            return nil  // a cut connection, which the caller says
        case let error as NIOSSLError:
            return (false, "TLS failed with \(host) (\(error))")
        default:
            return nil
        }
    }

    /// The largest `--ca-file`: a bundle of every public CA is about 200 KiB.
    static let maxBytes = 4 << 20

    /// The bytes of `file`, at most `maxBytes` (a device or a huge file given by mistake is refused).
    private static func read(_ file: URL) throws(CAFileError) -> [UInt8] {
        let descriptor = open(file.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw CAFileError(
                path: file.path,
                problem: "cannot be opened (\(String(cString: strerror(errno)))); give the path of a PEM file of CA certificates")
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else {
                throw CAFileError(path: file.path, problem: "cannot be read (\(String(cString: strerror(errno))))")
            }
            if count == 0 { return bytes }
            bytes += chunk[..<count]
            guard bytes.count <= maxBytes else {
                throw CAFileError(
                    path: file.path, problem: "is larger than \(maxBytes >> 20) MiB; give the PEM file of the CA certificates to trust")
            }
        }
    }
}

/// `--ca-file` cannot be used.
public struct CAFileError: Error, Sendable, CustomStringConvertible {
    /// The file given.
    public let path: String
    /// What is wrong with it, and what to do.
    public let problem: String

    public var description: String { "--ca-file \(path) \(problem)" }
}
