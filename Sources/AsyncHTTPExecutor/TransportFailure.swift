import AsyncHTTPClient
import Core
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import TLSTrust

#if canImport(Glibc)
    import Glibc
#endif

/// Reads the errors AsyncHTTPClient and SwiftNIO throw as `HTTPTransportError`s: the kind from the
/// error's type (and errno), the sentence from the kind. Errors of any other type are not ours.
struct TransportFailure {
    typealias Kind = HTTPTransportError.Kind

    /// The URL asked.
    let url: URL
    /// The limits of the request, for the sentences.
    let timeouts: HTTPTimeouts
    /// The body limit of the request, for the sentence.
    let maxBodyBytes: Int

    /// The transport error `error` stands for, or nil when the network stack did not throw it.
    func translate(_ error: any Error) -> HTTPTransportError? {
        if let tls = TLSTrust.failure(error, host: url.host.map { host in url.port.map { "\(host):\($0)" } ?? host } ?? url.absoluteString)
        {
            return HTTPTransportError(url: url.absoluteString, kind: tls.certificate ? .certificate : .other, problem: tls.problem)
        }
        guard let kind = Self.kind(of: error) else { return nil }
        return HTTPTransportError(url: url.absoluteString, kind: kind, problem: problem(kind, error))
    }

    /// The kind of a network stack error; nil for errors of other types. `connecting` tells that
    /// the error happened while a connection was being made.
    static func kind(of error: any Error, connecting: Bool = false) -> Kind? {
        switch error {
        case let error as HTTPClientError: clientKind(error)
        case is NIOTooManyBytesError: .tooLarge
        case let error as IOError: errnoKind(error.errnoCode, connecting: connecting)
        case let error as NIOConnectionError: connectionKind(error)
        case is SocketAddressError.UnknownHost: .nameResolution
        case SocketAddressError.unknown: .nameResolution
        case is SocketAddressError: .other
        case let error as ChannelError: channelKind(error)
        case HTTPParserError.invalidEOFState, HTTPParserError.closedConnection: .cut
        case is HTTPParserError: .malformed
        case NIOSSLError.uncleanShutdown: .cut
        case is NIOSSLError: .other
        default: nil
        }
    }

    private static func clientKind(_ error: HTTPClientError) -> Kind {
        switch error {
        case .connectTimeout, .tlsHandshakeTimeout, .socksHandshakeTimeout, .httpProxyHandshakeTimeout,
            .getConnectionFromPoolTimeout:
            .connectTimeout
        case .readTimeout, .writeTimeout, .deadlineExceeded: .timeout
        case .remoteConnectionClosed, .uncleanShutdown: .cut
        case .invalidURL, .emptyHost, .emptyScheme: .invalidURL
        default: .other
        }
    }

    /// A failed connection: the lookup failed, or every address tried failed; when the addresses
    /// failed differently, the likeliest account wins (refused, then unreachable, then timed out).
    private static func connectionKind(_ error: NIOConnectionError) -> Kind {
        let kinds = error.connectionErrors.map { kind(of: $0.error, connecting: true) ?? .other }
        if kinds.isEmpty {
            return error.dnsAError != nil || error.dnsAAAAError != nil ? .nameResolution : .other
        }
        return [Kind.refused, .unreachable, .connectTimeout].first(where: kinds.contains) ?? kinds[0]
    }

    private static func channelKind(_ error: ChannelError) -> Kind {
        switch error {
        case .connectTimeout: .connectTimeout
        case .ioOnClosedChannel, .alreadyClosed, .outputClosed, .inputClosed, .eof: .cut
        case .writeHostUnreachable: .unreachable
        default: .other
        }
    }

    private static func errnoKind(_ code: CInt, connecting: Bool) -> Kind {
        switch code {
        case ECONNREFUSED: .refused
        case ECONNRESET, EPIPE, ECONNABORTED, ENOTCONN: .cut
        case ETIMEDOUT: connecting ? .connectTimeout : .timeout
        case EHOSTUNREACH, ENETUNREACH, ENETDOWN, EHOSTDOWN, EADDRNOTAVAIL: .unreachable
        default: .other
        }
    }

    /// One sentence: what happened and what to do.
    private func problem(_ kind: Kind, _ error: any Error) -> String {
        let host = url.host ?? url.absoluteString
        switch kind {
        case .refused:
            return "connection refused: is the server running and listening on that port?"
        case .nameResolution:
            return "the host name '\(host)' cannot be resolved: check its spelling and the DNS settings"
        case .unreachable:
            return "the network cannot reach \(host): check the network connection and its routes"
        case .connectTimeout:
            return "could not connect within \(timeouts.connect) (--connect-timeout): is the host up and the port open?"
        case .timeout:
            if (error as? HTTPClientError) == .readTimeout, let idle = timeouts.idle {
                return "the server sent nothing for \(idle)"
            }
            return "no complete answer within \(timeouts.total) (--request-timeout)"
        case .cut:
            return "the server closed the connection before the answer was complete"
        case .tooLarge:
            return "the answer is larger than \(maxBodyBytes) bytes: is the URL right?"
        case .malformed:
            return "the answer is not valid HTTP (\(error)): is an HTTP server listening there?"
        case .invalidURL:
            return "the URL is not a valid http or https URL"
        case .other, .certificate:  // a refused certificate is said by TLSTrust, before the kind is read
            return "\(error)"
        }
    }
}
