/// The fuzz targets: one per decoder of input from outside (a node, a release host, a file, a
/// command line), each a function of bytes that must never crash. A throw is an accepted answer;
/// a broken invariant stops the process with `precondition`, which the fuzzer reports as a crash.
///
/// The raw value is the name of the target's executable in FuzzTesting/ and of its corpus folders,
/// `FuzzTesting/Corpus/<name>/` and `FuzzTesting/Regressions/<name>/`.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `ParamsDecoder.decode`: the protobuf answer of `/lavanet.lava.protocol.Query/Params`.
    case params = "FuzzParams"
    /// `ProposalsDecoder.decode`: the protobuf answer of `/cosmos.gov.v1.Query/Proposals`.
    case proposals = "FuzzProposals"
    /// The JSON-RPC answers of `abci_query` (its value through both protobuf decoders) and `/status`.
    case rpcAnswer = "FuzzRPCAnswer"
    /// One message of the websocket block feed.
    case newBlock = "FuzzNewBlock"
    /// The REST answers: params, node_info and gov proposals.
    case restAnswer = "FuzzRESTAnswer"
    /// A release's `sha256sum.txt`.
    case checksums = "FuzzChecksums"
    /// A page of GitHub's release listing.
    case releaseListing = "FuzzReleaseListing"
    /// A versions file (JSON or YAML), its versions and its `pending:` entries.
    case versionsFile = "FuzzVersionsFile"
    /// The store's `config.yml`, read and edited.
    case storeConfig = "FuzzStoreConfig"
    /// `ShellWords.split` of a `--cmd` line.
    case shellWords = "FuzzShellWords"

    /// Feeds `bytes` to the target.
    public func run(_ bytes: [UInt8]) {
        switch self {
        case .params: Fuzz.params(bytes)
        case .proposals: Fuzz.proposals(bytes)
        case .rpcAnswer: Fuzz.rpcAnswer(bytes)
        case .newBlock: Fuzz.newBlock(bytes)
        case .restAnswer: Fuzz.restAnswer(bytes)
        case .checksums: Fuzz.checksums(bytes)
        case .releaseListing: Fuzz.releaseListing(bytes)
        case .versionsFile: Fuzz.versionsFile(bytes)
        case .storeConfig: Fuzz.storeConfig(bytes)
        case .shellWords: Fuzz.shellWords(bytes)
        }
    }
}

/// The fuzz targets' entry points, one per target (see `FuzzTarget`).
public enum Fuzz {}
