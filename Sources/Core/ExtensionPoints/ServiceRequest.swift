public import Foundation

/// What `lavavisor create-service` is asked to make: one `lavap rpcprovider|rpcconsumer` service.
public struct ServiceRequest: Sendable, Hashable {
    /// A provider or a consumer.
    public enum Kind: String, Sendable, CaseIterable {
        case provider, consumer

        /// The lavap subcommand that runs it.
        public var subcommand: String { self == .provider ? "rpcprovider" : "rpcconsumer" }
    }

    /// Provider or consumer.
    public var kind: Kind
    /// The provider or consumer config file.
    public var config: URL
    /// lavap's `--from`: the account it signs with.
    public var from: String
    /// lavap's `--geolocation`.
    public var geolocation: UInt64
    /// lavap's `--log_level`.
    public var logLevel: String
    /// lavap's `--keyring-backend`.
    public var keyringBackend: String
    /// lavap's `--chain-id` (the Lava chain), when given.
    public var chainID: String?
    /// lavap's `--node`, when given.
    public var node: String?
    /// lavap's `--parallel-connections`.
    public var parallelConnections: UInt
    /// The file systemd hands to lavap as the keyring password (a credential); nil: none.
    public var keyringPasswordFile: URL?
    /// Whether to link the unit into the unit folder.
    public var createLink: Bool

    /// A request with lavap's defaults for what is not given.
    public init(
        kind: Kind, config: URL, from: String, geolocation: UInt64 = 1, logLevel: String = "info", keyringBackend: String = "test",
        chainID: String? = nil, node: String? = nil, parallelConnections: UInt = 4, keyringPasswordFile: URL? = nil,
        createLink: Bool = false
    ) {
        self.kind = kind
        self.config = config
        self.from = from
        self.geolocation = geolocation
        self.logLevel = logLevel
        self.keyringBackend = keyringBackend
        self.chainID = chainID
        self.node = node
        self.parallelConnections = parallelConnections
        self.keyringPasswordFile = keyringPasswordFile
        self.createLink = createLink
    }
}

/// What `create-service` made.
public struct CreatedService: Sendable, Hashable {
    /// The service's name, `<from>-<chain-id>.service`.
    public var name: String
    /// `.lavavisor/services/<name>`.
    public var unitFile: URL
    /// The copy of the config the service runs with.
    public var config: URL
    /// The link in the unit folder, with `--create-link`.
    public var link: URL?

    /// What was made.
    public init(name: String, unitFile: URL, config: URL, link: URL?) {
        self.name = name
        self.unitFile = unitFile
        self.config = config
        self.link = link
    }
}

/// A process backend was asked for a capability it does not have.
public struct BackendCannot: Error, Sendable, Equatable, CustomStringConvertible {
    /// The id of the backend.
    public let backend: String
    /// What it was asked to do, e.g. "create services".
    public let what: String
    /// The backend that can, to name in the advice.
    public let instead: String?

    /// The error for `backend`, asked to do `what`.
    public init(backend: String, what: String, instead: String? = nil) {
        self.backend = backend
        self.what = what
        self.instead = instead
    }

    public var description: String {
        "the \(backend) backend cannot \(what)" + (instead.map { "; choose --backend \($0)" } ?? "")
    }
}
