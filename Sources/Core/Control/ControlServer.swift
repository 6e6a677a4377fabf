public import Foundation
public import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The control socket of a running wrapper, `run/control-<pid>.sock` (mode 0600): one request line
/// of JSON in, one answer line out, per connection. Only this user and root are answered
/// (`SO_PEERCRED`). A thread accepts; each client is served on a thread of its own, at most
/// `ControlLimits.connections` at once, and a client that is slow, says nothing, or sends too much
/// or garbage is answered (or dropped) within `ControlLimits.requestTimeout`: the supervision
/// never waits for a client.
public final class ControlServer: Sendable {
    /// The socket's path.
    public let path: URL
    private let listener: Int32
    private let wakeUp: WakeUpPipe
    private let active = Mutex(0)
    private let stopped = Mutex<CheckedContinuation<Void, Never>?>(nil)
    private let finished = Mutex(false)

    /// What the server does with a request.
    public typealias Handler = @Sendable (ControlRequest) async -> ControlAnswer

    /// How long a client has to send its request line (`ControlLimits.requestTimeout`).
    let requestTimeout: Duration

    private init(path: URL, listener: Int32, wakeUp: WakeUpPipe, requestTimeout: Duration) {
        self.requestTimeout = requestTimeout
        self.path = path
        self.listener = listener
        self.wakeUp = wakeUp
    }

    /// Removes the sockets of dead lavavisors in `store`'s `run/` (and any left with this pid),
    /// then listens at this process's socket and serves `handle` until `stop()`.
    public static func start(
        in store: Store, logger: Logger, requestTimeout: Duration = ControlLimits.requestTimeout, handle: @escaping Handler
    ) async throws -> ControlServer {
        try FileManager.default.createDirectory(at: store.run, withIntermediateDirectories: true)
        for socket in store.controlSockets() {
            let stale = socket.pid == getpid() ? true : await ControlClient.isStale(socket.path)
            guard stale else { continue }
            try? FileManager.default.removeItem(at: socket.path)
            if socket.pid != getpid() {
                logger.info("removed the control socket of a lavavisor that is gone", metadata: ["path": "\(socket.path.path)"])
            }
        }
        let path = store.controlSocket(of: getpid())
        // Listening before it has its name: a lavavisor starting meanwhile never finds it refusing
        // connections (bound, not yet listening) and removes it as stale.
        let unnamed = store.run.appendingPathComponent(".control-\(getpid()).new")
        try? FileManager.default.removeItem(at: unnamed)
        let listener = try UnixSocket.listen(at: unnamed.path)
        guard rename(unnamed.path, path.path) == 0 else {
            let error = SystemError("naming the control socket \(path.path)")
            close(listener)
            try? FileManager.default.removeItem(at: unnamed)
            throw error
        }
        let server = ControlServer(path: path, listener: listener, wakeUp: try WakeUpPipe(), requestTimeout: requestTimeout)
        Thread.detach(name: "lavavisor-control", stackSize: 256 * 1024) { server.accept(logger: logger, handle: handle) }
        return server
    }

    /// Stops accepting, removes the socket and waits for the accepting thread to end; clients
    /// being served finish on their own threads.
    public func stop() async {
        await withCheckedContinuation { continuation in
            let done = finished.withLock { finished in
                if finished { return true }
                stopped.withLock { $0 = continuation }
                return false
            }
            if done { continuation.resume() } else { wakeUp.wake() }
        }
    }

    private func accept(logger: Logger, handle: @escaping Handler) {
        defer {
            close(listener)
            try? FileManager.default.removeItem(at: path)
            wakeUp.close()
            finished.withLock { $0 = true }
            stopped.withLock { waiting in
                waiting?.resume()
                waiting = nil
            }
        }
        var fds = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeUp.readEnd, events: Int16(POLLIN), revents: 0)]
        while true {
            fds[0].revents = 0
            fds[1].revents = 0
            let ready = poll(&fds, 2, -1)
            if ready < 0, errno == EINTR { continue }
            guard ready >= 0, fds[1].revents == 0 else { return }
            guard fds[0].revents != 0 else { continue }
            let client = UnixSocket.accept(listener)
            guard client >= 0 else {
                let code = errno
                if code == EINTR || code == EAGAIN || code == ECONNABORTED { continue }
                if [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(code) {
                    // Out of descriptors or memory for now (a flood of clients, lavap's own files):
                    // waits a little, still woken by `stop()`, instead of closing the socket for good.
                    logger.debug(
                        "the control socket cannot accept a client now", metadata: ["error": "\(SystemError("accepting", code: code))"])
                    var wake = pollfd(fd: wakeUp.readEnd, events: Int16(POLLIN), revents: 0)
                    if poll(&wake, 1, 100) > 0 { return }
                    continue
                }
                logger.warning(
                    "the control socket cannot accept clients; \(path.path) is closed", metadata: ["error": "\(SystemError("accepting"))"])
                return
            }
            UnixSocket.setSendTimeout(client, requestTimeout)
            guard let uid = UnixSocket.peerUID(client), uid == getuid() || uid == 0 else {
                logger.warning(
                    "refused a control client of another user",
                    metadata: ["uid": "\(UnixSocket.peerUID(client).map(String.init) ?? "unknown")"])
                UnixSocket.writeAll(
                    client, ControlAnswer.refused(ControlError("only the user lavavisor runs as, or root, may control it")).line())
                close(client)
                continue
            }
            let admitted = active.withLock { count in
                guard count < ControlLimits.connections else { return false }
                count += 1
                return true
            }
            guard admitted else {
                UnixSocket.writeAll(
                    client, ControlAnswer.refused(ControlError("the wrapper is busy with other control clients; try again")).line())
                close(client)
                continue
            }
            Thread.detach(name: "lavavisor-control-client", stackSize: 256 * 1024) { [self] in
                defer { active.withLock { $0 -= 1 } }
                serve(client, logger: logger, handle: handle)
            }
        }
    }

    /// Reads one request, answers it, closes.
    private func serve(_ client: Int32, logger: Logger, handle: @escaping Handler) {
        defer { close(client) }
        let answer: ControlAnswer
        switch UnixSocket.readLine(client, limit: ControlLimits.requestBytes, timeout: requestTimeout) {
        case .success(nil):
            return  // connected and closed: a probe for stale sockets
        case .failure(let error):
            logger.debug("dropped a control client", metadata: ["error": "\(error)"])
            answer = .refused(error)
        case .success(let line?):
            switch ControlLimits.decode(line) {
            case .failure(let error): answer = .refused(error)
            case .success(let request):
                let box = Mutex<ControlAnswer?>(nil)
                let done = DispatchSemaphore(value: 0)
                Task {
                    let answer = await handle(request)
                    box.withLock { $0 = answer }
                    done.signal()
                }
                done.wait()  // this client's own thread, not the cooperative pool
                answer = box.withLock { $0 } ?? .refused(ControlError("the wrapper could not answer"))
            }
        }
        UnixSocket.writeAll(client, answer.line())
    }
}

/// One control socket in a store's `run/`.
public struct ControlSocket: Sendable, Equatable {
    /// The lavavisor that made it.
    public var pid: Int32
    /// `run/control-<pid>.sock`.
    public var path: URL
}

extension Store {
    /// `run/control-<pid>.sock`.
    public func controlSocket(of pid: Int32) -> URL { run.appendingPathComponent("control-\(pid).sock") }

    /// The control sockets in `run/`, live or stale, by pid.
    public func controlSockets() -> [ControlSocket] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: run.path)) ?? []
        return names.compactMap { name -> ControlSocket? in
            guard name.hasPrefix("control-"), name.hasSuffix(".sock"),
                let pid = Int32(name.dropFirst("control-".count).dropLast(".sock".count))
            else { return nil }
            return ControlSocket(pid: pid, path: run.appendingPathComponent(name))
        }.sorted { $0.pid < $1.pid }
    }
}
