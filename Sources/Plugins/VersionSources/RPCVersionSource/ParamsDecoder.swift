public import Core

/// Decodes the ABCI answer of `/lavanet.lava.protocol.Query/Params`:
/// `QueryParamsResponse{Params params = 1}`, `Params{Version version = 1}`,
/// `Version{provider_target = 1; provider_min = 2; consumer_target = 3; consumer_min = 4}`.
///
/// Protobuf rules apply: unknown fields are skipped, a repeated embedded message is merged (its
/// occurrences are concatenated), the last occurrence of a string wins, fields may come in any order.
public enum ParamsDecoder {
    /// The validated versions in `bytes`, or an error naming what is missing or malformed.
    public static func decode(_ bytes: [UInt8]) throws -> ProtocolVersion {
        guard let params = try embedded(1, in: bytes[...]) else { throw ParamsDecodingError.missing("params") }
        guard let version = try embedded(1, in: params[...]) else { throw ParamsDecodingError.missing("params.version") }
        return try decodeVersion(version[...], path: "params.version")
    }

    /// The versions of a `Version` message (`path` names it in errors).
    static func decodeVersion(_ version: ArraySlice<UInt8>, path: String) throws -> ProtocolVersion {
        var strings: [UInt64: String] = [:]
        var reader = ProtobufReader(version)
        while let (field, value) = try reader.next() {
            guard (1...4).contains(field) else { continue }
            guard case .bytes(let raw) = value else {
                throw ProtobufError.malformed("version field \(field) is not a string")
            }
            guard let text = String(validating: raw, as: UTF8.self) else {
                throw ProtobufError.malformed("version field \(field) is not UTF-8")
            }
            strings[field] = text
        }
        let names: [UInt64: String] = [1: "provider_target", 2: "provider_min", 3: "consumer_target", 4: "consumer_min"]
        for field in 1...4 where strings[UInt64(field)] == nil {
            throw ParamsDecodingError.missing("\(path).\(names[UInt64(field)]!)")
        }
        return try ProtocolVersion(
            providerTarget: strings[1]!, providerMin: strings[2]!, consumerTarget: strings[3]!, consumerMin: strings[4]!)
    }

    /// The merged bytes of every occurrence of embedded message `field`, or nil when it never occurs.
    static func embedded(_ field: UInt64, in bytes: ArraySlice<UInt8>) throws -> [UInt8]? {
        var reader = ProtobufReader(bytes)
        var merged: [UInt8]?
        while let (number, value) = try reader.next() {
            guard number == field else { continue }
            guard case .bytes(let raw) = value else { throw ProtobufError.malformed("field \(field) is not a message") }
            // Appended in place: a new array per piece made a flood of tiny pieces quadratic.
            merged = merged ?? []
            merged!.append(contentsOf: raw)
        }
        return merged
    }
}

/// A Params answer without a field the chain always sends.
public enum ParamsDecodingError: Error, Equatable, CustomStringConvertible {
    /// The named field is absent.
    case missing(String)

    public var description: String {
        switch self {
        case .missing(let field): "the Params answer has no \(field)"
        }
    }
}
