import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 18: as root, lavavisor runs no binary and uses no store that another user could change.
/// The tests run as root (here and in CI) and hand real files to `nobody`.
@Suite(.enabled(if: OtherUser.testsRunAsRoot, "the ownership checks apply to root only; run the tests as root"))
struct OwnershipTests {
    let fixture: StoreFixture
    var store: Store { fixture.store }
    var binary: URL { store.binary(for: v("1.0.0")) }

    init() throws {
        fixture = try StoreFixture()
        try fixture.install("1.0.0")
        try store.switchCurrent(to: v("1.0.0"))
    }

    @Test func aRootOwnedStoreWithMode755Passes() throws {
        #expect(try OtherUser.mode(of: store.root) == 0o755)
        try store.checkOwnership()
        try store.checkOwnership(ofBinary: binary)
        try store.checkOwnership(ofBinary: store.currentBinary)
        // A path that does not exist yet is judged by its nearest folder.
        try Ownership.current.check(store.root.appendingPathComponent("services/a.service").path, what: "the unit")
    }

    @Test func aBinaryAnotherUserOwnsIsRefusedWithTheFix() throws {
        try OtherUser.give(binary)
        let error = #expect(throws: OwnershipError.self) { try store.checkOwnership(ofBinary: binary) }
        #expect(
            error?.description
                == "lavavisor runs as root and refuses the binary \(binary.path): it belongs to \(OtherUser.described), not root, who could change what root runs; run 'chown root: \(binary.path)', choose a --directory whose folders all belong to root, or run lavavisor as that user"
        )
        // Through `current`, the link is followed: the message names the file it leads to.
        let throughLink = #expect(throws: OwnershipError.self) { try store.checkOwnership(ofBinary: store.currentBinary) }
        #expect(throughLink?.path == binary.path && throughLink?.checked == store.currentBinary.path)
    }

    @Test func aBinaryOthersMayWriteIsRefusedWithTheFix() throws {
        try OtherUser.chmod(binary, 0o757)
        let error = #expect(throws: OwnershipError.self) { try store.checkOwnership(ofBinary: binary) }
        #expect(
            error?.description
                == "lavavisor runs as root and refuses the binary \(binary.path): it may be written by its group or others (mode 757); run 'chmod go-w \(binary.path)'"
        )
        try OtherUser.chmod(binary, 0o775)
        #expect(throws: OwnershipError.self) { try store.checkOwnership(ofBinary: binary) }
    }

    @Test func aFolderAboveTheBinaryIsCheckedUpToTheRoot() throws {
        let folder = store.folder(for: v("1.0.0"))
        try OtherUser.give(folder)
        let owned = #expect(throws: OwnershipError.self) { try store.checkOwnership(ofBinary: binary) }
        #expect(owned?.path == folder.path)
        #expect(
            owned?.description.hasPrefix("lavavisor runs as root and refuses the binary \(binary.path): \(folder.path) belongs to") == true)
        _ = lchown(folder.path, 0, gid_t.max)
        // A folder others may write, without the sticky bit: they could rename the binary away and put theirs.
        try OtherUser.chmod(fixture.temp.url, 0o777)
        let writable = #expect(throws: OwnershipError.self) { try store.checkOwnership() }
        #expect(
            writable?.description
                == "lavavisor runs as root and refuses the store \(store.root.path): \(fixture.temp.url.path) may be written by its group or others (mode 777); run 'chmod go-w \(fixture.temp.url.path)' (or 'chmod +t \(fixture.temp.url.path)' if others must create files in it)"
        )
        // With the sticky bit (as /tmp), others cannot replace root's entries: accepted.
        try OtherUser.chmod(fixture.temp.url, 0o1777)
        try store.checkOwnership()
        try store.checkOwnership(ofBinary: binary)
    }

    @Test func theStoresFoldersAndConfigAreChecked() throws {
        for item in [store.upgrades, store.staging, store.locks, store.configFile] {
            try OtherUser.give(item)
            let error = #expect(throws: OwnershipError.self) { try store.checkOwnership() }
            #expect(error?.path == item.path)
            _ = lchown(item.path, 0, gid_t.max)
        }
        try OtherUser.chmod(store.configFile, 0o666)
        #expect(throws: OwnershipError.self) { try store.checkOwnership() }
    }

    @Test func aLinkAnotherUserMadeInASharedFolderIsRefused() throws {
        // A sticky, world-writable folder: another user may add a link there, pointing at root's files.
        let shared = fixture.temp.path("shared")
        try FileManager.default.createDirectory(at: shared, withIntermediateDirectories: true)
        try OtherUser.chmod(shared, 0o1777)
        let link = shared.appendingPathComponent("lavap")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: binary)
        try Ownership.current.check(link.path, what: "the binary")
        try OtherUser.give(link)
        let error = #expect(throws: OwnershipError.self) { try Ownership.current.check(link.path, what: "the binary") }
        #expect(error?.path == link.path)
    }

    @Test func asAnotherUserNothingIsChecked() throws {
        try OtherUser.give(binary)
        try OtherUser.chmod(fixture.temp.url, 0o777)
        let unprivileged = Ownership(user: 1000)
        #expect(!unprivileged.applies && Ownership(user: 0).applies)
        try store.checkOwnership(unprivileged)
        try store.checkOwnership(ofBinary: binary, unprivileged)
    }

    @Test func theCurrentVersionOfABinaryAnotherUserOwnsIsNotAskedFor() async throws {
        #expect(await store.currentBinaryVersion() == v("1.0.0"))
        try OtherUser.give(binary)
        #expect(await store.currentBinaryVersion() == nil)
    }
}
