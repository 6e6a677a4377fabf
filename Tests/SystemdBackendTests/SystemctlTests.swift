import Core
import Foundation
import SystemdBackend
import TestSupport
import Testing

/// How systemctl is run: through sudo only when asked, for the user's manager with --user.
@Suite struct SystemctlTests {
    @Test func sudoAndUserShapeTheCommandLine() {
        #expect(Systemctl(program: "systemctl").commandLine(["restart", "a.service"]) == ["systemctl", "restart", "a.service"])
        #expect(
            Systemctl(program: "/bin/systemctl", sudo: true, user: true).commandLine(["is-active", "a.service"])
                == ["sudo", "-n", "/bin/systemctl", "--user", "is-active", "a.service"])
    }

    @Test func aMissingProgramAndAFailingCallSayWhatHappened() async throws {
        let temp = try TemporaryDirectory()
        let missing = await #expect(throws: SystemctlFailed.self) {
            try await Systemctl(program: temp.path("nope").path).require(["daemon-reload"])
        }
        #expect(
            missing?.description
                == "'\(temp.path("nope").path) daemon-reload' cannot run: \(temp.path("nope").path) is not an executable file or not in PATH; install systemd or pass --systemctl PATH"
        )
        let standIn = try StandInSystemctl(in: temp)
        try standIn.fail("enable", message: "Failed to enable unit: Unit file a.service does not exist.\n")
        let failed = await #expect(throws: SystemctlFailed.self) {
            try await Systemctl(program: standIn.url.path).require(["enable", "a.service"])
        }
        #expect(
            failed?.description
                == "'\(standIn.url.path) enable a.service' ended with exit status 1: Failed to enable unit: Unit file a.service does not exist."
        )
        #expect(await Systemctl(program: standIn.url.path).systemdVersion() == 252)
    }
}
