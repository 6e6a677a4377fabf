import Core
import Foundation
import TestSupport
import Testing

/// Version changes read out of gov v1 proposals, in both forms a Lava protocol upgrade takes.
@Suite struct ProposalReaderTests {
    static let legacy = #"""
        {"proposals":[
          {"id":"41","status":"PROPOSAL_STATUS_VOTING_PERIOD","voting_end_time":"2026-12-01T10:00:00Z",
           "messages":[{"@type":"/cosmos.bank.v1beta1.MsgSend","from_address":"a","to_address":"b","amount":[]}]},
          {"id":"42","status":"PROPOSAL_STATUS_VOTING_PERIOD","voting_end_time":"2026-12-02T10:00:00Z",
           "messages":[{"@type":"/cosmos.gov.v1.MsgExecLegacyContent","authority":"lava@gov",
             "content":{"@type":"/cosmos.params.v1beta1.ParameterChangeProposal","title":"Protocol Version Change",
               "description":"Update version","changes":[{"subspace":"protocol","key":"Version",
               "value":"{\"provider_target\":\"0.26.1\",\"consumer_target\":\"0.26.1\",\"provider_min\":\"0.26.0\",\"consumer_min\":\"0.26.0\"}"}]}}]},
          {"id":"43","status":"PROPOSAL_STATUS_VOTING_PERIOD",
           "messages":[{"@type":"/lavanet.lava.protocol.MsgSetVersion","authority":"lava@gov",
             "version":{"provider_target":"0.27.0","provider_min":"0.26.0","consumer_target":"0.27.1","consumer_min":"0.26.0"}}]}
        ]}
        """#

    @Test func bothFormsAreReadAndOtherProposalsSkipped() throws {
        let json = try JSONSerialization.jsonObject(with: Data(Self.legacy.utf8))
        let pending = ProposalReader.pendingVersions(inProposals: json)
        #expect(pending.map(\.proposal) == ["42", "43"])
        #expect(pending[0].versions == required(target: "0.26.1", min: "0.26.0"))
        #expect(pending[0].votingEnd == Date(timeIntervalSince1970: 1_796_205_600))
        #expect(pending[1].versions.providerTarget == v("0.27.0"))
        #expect(pending[1].versions.consumerTarget == v("0.27.1"))
        #expect(pending[1].votingEnd == nil)
    }

    @Test func theReferenceChangeWithItsValueAsAnObjectIsReadToo() throws {
        let change = try String(contentsOf: Repository.fixture("param_change_version_upgrade.json"), encoding: .utf8)
        let content = try #require(JSONSerialization.jsonObject(with: Data(change.utf8)) as? [String: Any])
        let proposal: [String: Any] = [
            "id": "7", "messages": [["@type": "/cosmos.gov.v1.MsgExecLegacyContent", "content": content]],
        ]
        let pending = ProposalReader.pendingVersions(inProposals: ["proposals": [proposal]])
        #expect(pending.first?.versions == required(target: "0.26.1", min: "0.26.0"))
    }

    @Test func nothingUsableIsNothing() {
        #expect(ProposalReader.pendingVersions(inProposals: ["proposals": "no"]).isEmpty)
        #expect(ProposalReader.pendingVersions(inProposals: [1, 2]).isEmpty)
    }
}
