import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// Turns POSIX signals into an async stream, as swift-service-lifecycle does.
public enum Signals {
    /// Ignores the signals whose default action would kill lavavisor for a recoverable error:
    /// SIGPIPE (a child that closes its stdin) and SIGXFSZ (a file size limit: writes fail with
    /// EFBIG instead). Children get default dispositions back at spawn.
    public static func ignoreHarmful() {
        signal(SIGPIPE, SIG_IGN)
        signal(SIGXFSZ, SIG_IGN)
    }

    /// Streams `signals`, after `ignoreHarmful()`.
    ///
    /// Each signal's default action is replaced by "ignore" before it is listened to, so it never
    /// kills lavavisor; children get default dispositions back at spawn.
    public static func stream(_ signals: [Int32]) -> AsyncStream<Int32> {
        ignoreHarmful()
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        let sources = SourceBox(
            signals.map { number in
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { continuation.yield(number) }
                source.resume()
                return source
            })
        continuation.onTermination = { _ in sources.cancel() }
        return stream
    }

    /// Keeps the dispatch sources alive for as long as the stream is.
    private final class SourceBox: @unchecked Sendable {
        private let sources: [any DispatchSourceSignal]
        init(_ sources: [any DispatchSourceSignal]) { self.sources = sources }
        func cancel() { for source in sources { source.cancel() } }
    }
}
