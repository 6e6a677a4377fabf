public import Core
import Foundation

/// Decodes the ABCI answer of `/cosmos.gov.v1.Query/Proposals` (asked for the proposals in their
/// voting period) into the version changes they would make:
/// `QueryProposalsResponse{repeated Proposal proposals = 1}`,
/// `Proposal{uint64 id = 1; repeated Any messages = 2; Timestamp voting_end_time = 9}`,
/// `Any{string type_url = 1; bytes value = 2}`; a message is a
/// `lavanet.lava.protocol.MsgSetVersion{authority = 1; Version version = 2}` or a
/// `cosmos.gov.v1.MsgExecLegacyContent{Any content = 1}` around a
/// `ParameterChangeProposal{repeated ParamChange changes = 3}`, `ParamChange{subspace = 1; key = 2; value = 3}`
/// (`protocol`, `Version`, the versions as JSON text). Proposals that change something else are skipped.
public enum ProposalsDecoder {
    /// The request: `QueryProposalsRequest{proposal_status = 1: PROPOSAL_STATUS_VOTING_PERIOD (2)}`, in hex.
    public static let votingPeriodRequest = "0802"

    /// The version changes in `bytes`; malformed protobuf is an error.
    public static func decode(_ bytes: [UInt8]) throws -> [PendingVersion] {
        var reader = ProtobufReader(bytes[...])
        var pending: [PendingVersion] = []
        while let (field, value) = try reader.next() {
            guard field == 1, case .bytes(let proposal) = value else { continue }
            if let change = try self.proposal(proposal) { pending.append(change) }
        }
        return pending
    }

    private static func proposal(_ bytes: ArraySlice<UInt8>) throws -> PendingVersion? {
        var reader = ProtobufReader(bytes)
        var id: UInt64 = 0
        var versions: ProtocolVersion?
        var end: Date?
        while let (field, value) = try reader.next() {
            switch (field, value) {
            case (1, .varint(let number)): id = number
            case (2, .bytes(let any)): versions = try versions ?? self.versions(inAny: any)
            case (9, .bytes(let timestamp)): end = try date(timestamp)
            default: continue
            }
        }
        return versions.map { PendingVersion(proposal: "\(id)", versions: $0, votingEnd: end) }
    }

    /// The type URL and value of an `Any`.
    private static func any(_ bytes: ArraySlice<UInt8>) throws -> (type: String, value: ArraySlice<UInt8>) {
        var reader = ProtobufReader(bytes)
        var type = ""
        var content: ArraySlice<UInt8> = []
        while let (field, value) = try reader.next() {
            guard case .bytes(let raw) = value else { continue }
            if field == 1 { type = String(decoding: raw, as: UTF8.self) } else if field == 2 { content = raw }
        }
        return (type, content)
    }

    private static func versions(inAny bytes: ArraySlice<UInt8>) throws -> ProtocolVersion? {
        let (type, value) = try any(bytes)
        if type.hasSuffix("lavanet.lava.protocol.MsgSetVersion") {
            guard let version = try ParamsDecoder.embedded(2, in: value) else { return nil }
            return try? ParamsDecoder.decodeVersion(version[...], path: "MsgSetVersion.version")
        }
        guard type.hasSuffix("cosmos.gov.v1.MsgExecLegacyContent"), let content = try ParamsDecoder.embedded(1, in: value) else {
            return nil
        }
        let (contentType, proposal) = try any(content[...])
        guard contentType.hasSuffix("ParameterChangeProposal") else { return nil }
        var reader = ProtobufReader(proposal)
        while let (field, value) = try reader.next() {
            guard field == 3, case .bytes(let change) = value else { continue }
            var strings: [UInt64: String] = [:]
            var fields = ProtobufReader(change)
            while let (number, part) = try fields.next() {
                if case .bytes(let raw) = part { strings[number] = String(decoding: raw, as: UTF8.self) }
            }
            if strings[1] == "protocol", strings[2] == "Version", let versions = ProposalReader.protocolVersion(strings[3]) {
                return versions
            }
        }
        return nil
    }

    /// A `Timestamp{int64 seconds = 1; int32 nanos = 2}`.
    private static func date(_ bytes: ArraySlice<UInt8>) throws -> Date {
        var reader = ProtobufReader(bytes)
        var seconds: UInt64 = 0
        while let (field, value) = try reader.next() {
            if field == 1, case .varint(let number) = value { seconds = number }
        }
        return Date(timeIntervalSince1970: TimeInterval(Int64(bitPattern: seconds)))
    }
}
