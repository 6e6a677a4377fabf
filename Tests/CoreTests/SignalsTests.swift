import Core
import Foundation
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Signals are process-wide: these tests use only SIGUSR1 and SIGUSR2, which nothing else in the
/// test process handles, and run one after the other.
@Suite(.serialized) struct SignalsTests {
    @Test func aSignalBeforeTheStreamExistsIsKept() async throws {
        Signals.install([SIGUSR1, SIGUSR2])
        kill(getpid(), SIGUSR1)  // to the process, as `kill` from a shell: no stream exists yet
        #expect(try await receive(count: 1) == [SIGUSR1])
    }

    @Test func signalsInARowAllArriveInOrder() async throws {
        Signals.install([SIGUSR1, SIGUSR2])
        let sequence = [SIGUSR2, SIGUSR1, SIGUSR1, SIGUSR2]
        try await raiseInOrder(sequence)
        #expect(try await receive(count: 4) == sequence)
        // And one that comes while the stream is being read.
        let consumer = Consumer()
        try await raiseInOrder([SIGUSR2])
        try await waitUntil("the signal sent during the stream") { consumer.received == [SIGUSR2] }
        try await consumer.stop()
    }

    /// Raises each signal in turn from a thread that does not block them: `raise` returns only after
    /// the handler ran, so none is merged with a pending one of the same number or reordered.
    /// (The cooperative pool's threads block signals: a `raise` there would stay pending.)
    private func raiseInOrder(_ numbers: [Int32]) async throws {
        let done = Counter()
        let thread = Thread {
            var set = sigset_t()
            sigemptyset(&set)
            for number in numbers { sigaddset(&set, number) }
            pthread_sigmask(SIG_UNBLOCK, &set, nil)
            for number in numbers { raise(number) }
            done.increment()
        }
        thread.start()
        try await waitUntil("the signals to be raised") { done.value == 1 }
    }

    /// Reads `count` signals from a new stream, then stops it.
    private func receive(count: Int) async throws -> [Int32] {
        let consumer = Consumer()
        try await waitUntil("\(count) signals; got \(consumer.received)") { consumer.received.count >= count }
        try await consumer.stop()
        return consumer.received
    }

    /// One task consuming `Signals.stream()`, recording what it yields.
    private final class Consumer: Sendable {
        private let log = Log()
        private let task: Task<Void, Never>

        init() {
            let log = self.log
            task = Task {
                for await number in Signals.stream(only: [SIGUSR1, SIGUSR2]) { log.state.withLock { $0.received.append(number) } }
                log.state.withLock { $0.ended = true }
            }
        }

        var received: [Int32] { log.state.withLock { $0.received } }

        /// Cancels the task; its stream must end.
        func stop() async throws {
            task.cancel()
            try await waitUntil("the cancelled stream to end") { log.state.withLock { $0.ended } }
        }
    }

    private final class Log: Sendable {
        let state = Mutex<(received: [Int32], ended: Bool)>(([], false))
    }
}
