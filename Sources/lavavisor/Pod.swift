import ArgumentParser
import Core
import Foundation

extension Lavavisor {
    /// `lavavisor pod --cmd 'lavap …'`: like wrap, in lean pods, with released binaries.
    struct Pod: ChildSupervisingCommand {
        static let configuration = CommandConfiguration(
            abstract: "Like wrap, for lean pods that cannot build: released binaries, PID 1 duties.",
            usage: "lavavisor pod [<options>] (--cmd '<lavap command line>' | -- lavap <argument>...)",
            discussion: "Needs no 'lavavisor init'. Example: lavavisor pod --cmd 'lavap rpcprovider config.yml --from alice'")

        @OptionGroup var common: CommonFlags
        @OptionGroup var network: NetworkFlags
        @OptionGroup var supervision: SupervisionFlags<ChildBackendFlags>
        @OptionGroup var versionSources: VersionSourceFlags
        @OptionGroup var binarySources: BinarySourceFlags

        func validate() throws {
            if supervision.process.enterKeyringPassword {
                throw ValidationError(
                    "pod never asks anything on a terminal: put the keyring password in a file only you can read (a mounted secret) and pass --keyring-password-file PATH"
                )
            }
        }

        static let defaultSource = DefaultPlugin.podBinarySource
        static let defaultBackend = DefaultPlugin.podBackend
        static let alwaysFetch = true
    }
}
