import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct KeyringPasswordFileTests {
    let temp: TemporaryDirectory
    init() throws { temp = try TemporaryDirectory() }

    func file(_ text: String, mode: mode_t) throws -> URL {
        let url = try temp.write(text, to: "password-\(UUID().uuidString)")
        #expect(chmod(url.path, mode) == 0)
        return url
    }

    @Test func readsTheFileAndStripsOneTrailingNewline() throws {
        #expect(try KeyringPasswordFile.read(file("s3cret pass\n", mode: 0o600)).withBytes { Array($0) } == Array("s3cret pass".utf8))
        #expect(try KeyringPasswordFile.read(file("two\n\n", mode: 0o400)).withBytes { Array($0) } == Array("two\n".utf8))
        #expect(try KeyringPasswordFile.read(file("no newline", mode: 0o600)).withBytes { Array($0) } == Array("no newline".utf8))
    }

    @Test func refusesAFileOthersMayReadOrItsGroupMayChange() throws {
        let open = try file("pw\n", mode: 0o644)
        let error = #expect(throws: KeyringPasswordFileError.self) { try KeyringPasswordFile.read(open) }
        #expect(error?.description.contains("may be read by others or changed by its group (mode 644)") == true)
        #expect(error?.description.contains("chmod 600 \(open.path)") == true)
        #expect(throws: KeyringPasswordFileError.self) { try KeyringPasswordFile.read(try file("pw", mode: 0o604)) }
        #expect(throws: KeyringPasswordFileError.self) { try KeyringPasswordFile.read(try file("pw", mode: 0o660)) }
    }

    @Test func acceptsASecretItsGroupMayRead() throws {
        // A Kubernetes secret mounted with the pod's fsGroup (0440), a systemd credential with its ACL.
        #expect(try KeyringPasswordFile.read(file("pw\n", mode: 0o440)).withBytes { Array($0) } == Array("pw".utf8))
        #expect(try KeyringPasswordFile.read(file("pw\n", mode: 0o640)).withBytes { Array($0) } == Array("pw".utf8))
    }

    @Test func refusesAFileOfAnotherUser() throws {
        let foreign = try file("pw\n", mode: 0o600)
        try #require(chown(foreign.path, geteuid() == 0 ? 65534 : geteuid(), getegid()) == 0)
        try #require(geteuid() == 0, "only root can give a file away; this machine's tests run as root")
        let error = #expect(throws: KeyringPasswordFileError.self) { try KeyringPasswordFile.read(foreign) }
        #expect(error?.description.contains("belongs to user id 65534") == true)
    }

    @Test func aMissingOrEmptyFileIsAClearError() throws {
        let missing = #expect(throws: KeyringPasswordFileError.self) { try KeyringPasswordFile.read(temp.path("nope")) }
        #expect(missing?.description.contains("cannot be opened") == true)
        let empty = #expect(throws: KeyringPasswordFileError.self) { try KeyringPasswordFile.read(try file("\n", mode: 0o600)) }
        #expect(empty?.description.contains("is empty") == true)
    }
}
