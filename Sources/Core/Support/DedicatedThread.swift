import Foundation

extension Thread {
    /// Runs `body` on a new thread of its own, with a stack of `stackSize` bytes and named `name`
    /// when given: where lavavisor's blocking calls run, never on the cooperative pool.
    package static func detach(name: String? = nil, stackSize: Int, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        if let name { thread.name = name }
        thread.stackSize = stackSize
        thread.start()
    }
}
