import RESTVersionSource

extension Fuzz {
    /// The REST answers of the `rest` source: the body read as the params answer, as the node_info
    /// answer and as the gov proposals answer.
    public static func restAnswer(_ bytes: [UInt8]) {
        _ = try? RESTAnswers.params(bytes)
        _ = try? RESTAnswers.network(bytes)
        _ = try? RESTAnswers.pendingVersions(bytes)
    }
}
