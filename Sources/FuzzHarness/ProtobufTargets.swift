import Core
import RPCVersionSource

extension Fuzz {
    /// `ParamsDecoder.decode`. Invariants: an unknown field appended changes nothing, and the
    /// versions it read, encoded again, decode to the same versions.
    public static func params(_ bytes: [UInt8]) {
        guard let versions = try? ParamsDecoder.decode(bytes) else { return }
        precondition((try? ParamsDecoder.decode(bytes + unknownField)) == versions, "an unknown field changed the Params answer")
        let encoded = Protobuf.message(1, Protobuf.message(1, Protobuf.version(versions)))
        precondition((try? ParamsDecoder.decode(encoded)) == versions, "the versions read do not survive encoding: \(versions)")
    }

    /// `ProposalsDecoder.decode`. Invariants: an unknown field appended changes nothing, the answer
    /// twice over (its proposals repeated) is the changes twice over, and ids are numbers.
    public static func proposals(_ bytes: [UInt8]) {
        guard let pending = try? ProposalsDecoder.decode(bytes) else { return }
        precondition((try? ProposalsDecoder.decode(bytes + unknownField)) == pending, "an unknown field changed the proposals")
        precondition((try? ProposalsDecoder.decode(bytes + bytes)) == pending + pending, "the proposals repeated are not read twice")
        precondition(pending.allSatisfy { UInt64($0.proposal) != nil }, "a proposal id is not a number: \(pending)")
    }

    /// Field 15 as a varint: a field that neither message has, which a decoder must skip.
    static let unknownField: [UInt8] = [0x78, 0x01]
}

/// Just enough of the protobuf wire format to write a `Version` back.
enum Protobuf {
    /// Field `number` holding `bytes` (wire type 2).
    static func message(_ number: UInt64, _ bytes: [UInt8]) -> [UInt8] {
        varint(number << 3 | 2) + varint(UInt64(bytes.count)) + bytes
    }

    /// A `Version{provider_target = 1; provider_min = 2; consumer_target = 3; consumer_min = 4}`.
    static func version(_ versions: ProtocolVersion) -> [UInt8] {
        let texts = [versions.providerTarget, versions.providerMin, versions.consumerTarget, versions.consumerMin]
        return texts.enumerated().flatMap { message(UInt64($0.offset + 1), Array($0.element.description.utf8)) }
    }

    /// A base-128 varint.
    static func varint(_ value: UInt64) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        return bytes + [UInt8(value)]
    }
}
