import AsyncHTTPExecutor
import Core
import Foundation
import TestSupport
import Testing

@Suite struct AsyncHTTPExecutorTests {
    func url(_ server: FakeHTTPServer, _ path: String = "/x") -> URL { URL(string: server.baseURL + path)! }

    @Test func returnsStatusHeadersAndBodyAndSendsPOSTBodies() async throws {
        let server = try await FakeHTTPServer { request in
            .respond(status: request.method == "POST" ? 201 : 200, headers: [("X-Echo", request.uri)], body: request.body + [33])
        }
        let response = try await testHTTP.execute(
            HTTPRequest(.post, url(server, "/a?b=c"), body: Array("hello".utf8)), timeouts: testTimeouts, maxBodyBytes: 100)
        #expect(response.status == 201)
        #expect(response.header("x-echo") == "/a?b=c")
        #expect(response.body == Array("hello!".utf8))
        #expect(server.requests.map(\.method) == ["POST"])
        await server.stop()
    }

    @Test func redirectsAreFollowedAtMostFiveTimes() async throws {
        let server = try await FakeHTTPServer { request in
            guard let hop = Int(request.uri.dropFirst("/hop/".count)) else { return .respond(status: 404, body: []) }
            return hop == 0
                ? .respond(status: 200, body: Array("arrived".utf8))
                : .respond(status: 302, headers: [("Location", "/hop/\(hop - 1)")], body: [])
        }
        let response = try await testHTTP.execute(HTTPRequest(.get, url(server, "/hop/5")), timeouts: testTimeouts, maxBodyBytes: 100)
        #expect(response.body == Array("arrived".utf8))
        #expect(server.requests.count == 6)
        await expectError(containing: "it redirected more than 5 times; check the URL") {
            _ = try await testHTTP.execute(HTTPRequest(.get, url(server, "/hop/6")), timeouts: testTimeouts, maxBodyBytes: 100)
        }
        #expect(server.requests.count == 12)
        await server.stop()
    }

    @Test func aRedirectFromHTTPSToPlainHTTPIsRefused() throws {
        let https = URL(string: "https://mirror.example/v6.2.5/lavap")!
        #expect(throws: HTTPTransportError.self) {
            try Redirect.target(from: https, location: "http://evil.example/lavap", hop: 1, original: https)
        }
        let refused = #expect(throws: HTTPTransportError.self) {
            try Redirect.target(from: https, location: "HTTP://evil.example/lavap", hop: 1, original: https)
        }
        #expect(refused?.description.contains("it redirected from https to plain http (HTTP://evil.example/lavap); refused") == true)
        #expect(
            try Redirect.target(from: https, location: "/other/lavap", hop: 1, original: https).absoluteString
                == "https://mirror.example/other/lavap")
        #expect(
            try Redirect.target(from: https, location: "https://cdn.example/a", hop: 5, original: https).absoluteString
                == "https://cdn.example/a")
        let plain = URL(string: "http://mirror.example/a")!
        #expect(try Redirect.target(from: plain, location: "https://mirror.example/a", hop: 1, original: plain).scheme == "https")
        #expect(throws: HTTPTransportError.self) {
            try Redirect.target(from: plain, location: "file:///etc/passwd", hop: 1, original: plain)
        }
        #expect(throws: HTTPTransportError.self) {
            try Redirect.target(from: https, location: "https://a.example", hop: 6, original: https)
        }
    }

    @Test func errorStatusesAreReturnedNotThrown() async throws {
        let server = try await FakeHTTPServer { _ in .respond(status: 500, body: Array("boom".utf8)) }
        let response = try await testHTTP.execute(HTTPRequest(.get, url(server)), timeouts: testTimeouts, maxBodyBytes: 100)
        #expect(response.status == 500)
        await server.stop()
    }

    /// Asks `request` as a check does, with `testRetries` and `RetryPolicy.isTransient`; returns
    /// the transport error the last try ended with and how many tries were made.
    func failure(
        of request: HTTPRequest, timeouts: HTTPTimeouts = testTimeouts, maxBodyBytes: Int = 1000,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (error: HTTPTransportError, tries: Int) {
        let tries = Counter()
        do {
            _ = try await testRetries.run(retryable: RetryPolicy.isTransient) {
                tries.increment()
                return try await testHTTP.execute(request, timeouts: timeouts, maxBodyBytes: maxBodyBytes)
            }
        } catch let error as HTTPTransportError {
            #expect(error.url == request.url.absoluteString, sourceLocation: sourceLocation)
            return (error, tries.value)
        }
        throw TestFailure("expected a transport error from \(request.url)")
    }

    @Test(arguments: [
        (
            FakeHTTPServer.Reply.truncated(declared: 100, body: Array("partial".utf8)), HTTPTransportError.Kind.cut,
            "closed the connection before the answer was complete"
        ),
        (.close, .cut, "closed the connection before the answer was complete"),
        (.silent, .timeout, "no complete answer within 0.5 seconds (--request-timeout)"),
        (.respond(status: 200, body: Array(repeating: 65, count: 5000)), .tooLarge, "larger than 1000 bytes"),
    ])
    func transportFailuresAreClearErrorsOfTheirKind(
        _ reply: FakeHTTPServer.Reply, _ kind: HTTPTransportError.Kind, _ message: String
    ) async throws {
        let server = try await FakeHTTPServer { _ in reply }
        // Only the silent server must hit the deadline; the others get time to show what they do.
        let total: Duration = if case .silent = reply { .milliseconds(500) } else { .seconds(30) }
        let (error, tries) = try await failure(
            of: HTTPRequest(.get, url(server)), timeouts: HTTPTimeouts(connect: .seconds(2), total: total))
        #expect(error.kind == kind, "\(error)")
        #expect(error.description.contains(message), "\(error)")
        // A cut or timed-out answer is tried again within the check; a too-large one is not.
        let retried = kind == .cut || kind == .timeout
        #expect(RetryPolicy.isTransient(error) == retried)
        #expect(tries == (retried ? testRetries.attempts : 1))
        // The server notes a request once it has read it, which under load may come after the timeout.
        try await waitUntil("every try reached the server: \(server.requests.count)") { server.requests.count >= tries }
        #expect(server.requests.count == tries)
        await server.stop()
    }

    @Test func aRefusedConnectionFailsAtOnceAndIsLeftToTheNextCheck() async throws {
        let refusing = try RefusingPort()
        // The refusal must not wait for the connect timeout (were it retried until then, this
        // test would take 10 s).
        let (error, tries) = try await failure(
            of: HTTPRequest(.get, URL(string: refusing.url + "/status")!),
            timeouts: HTTPTimeouts(connect: .seconds(10), total: .seconds(20)))
        #expect(error.kind == .refused, "\(error)")
        #expect(error.problem.contains("connection refused"), "\(error)")
        #expect(!RetryPolicy.isTransient(error))
        #expect(tries == 1)
    }

    // A name whose first label is longer than DNS allows (63 bytes) cannot be put in a query:
    // glibc's resolver fails it before sending anything, so the test stays off the network (a
    // plain `lavavisor-test.invalid` would still be sent to the configured name server).
    @Test func anUnresolvableHostFailsAtOnceAndIsLeftToTheNextCheck() async throws {
        let host = String(repeating: "x", count: 64) + ".lavavisor-test.invalid"
        let (error, tries) = try await failure(
            of: HTTPRequest(.get, URL(string: "http://\(host):80/status")!),
            timeouts: HTTPTimeouts(connect: .seconds(10), total: .seconds(20)))
        #expect(error.kind == .nameResolution, "\(error)")
        #expect(error.problem.contains("cannot be resolved"), "\(error)")
        #expect(!RetryPolicy.isTransient(error))
        #expect(tries == 1)
    }

    @Test func aSilentStreamTimesOutAfterTheIdleLimit() async throws {
        let server = try await FakeHTTPServer { _ in .silent }
        let timeouts = HTTPTimeouts(connect: .seconds(2), total: .seconds(10), idle: .milliseconds(300))
        do {
            try await testHTTP.stream(HTTPRequest(.get, url(server)), timeouts: timeouts) { _ in
            } body: { _ in
            }
            Issue.record("expected a timeout")
        } catch let error as HTTPTransportError {
            #expect(error.kind == .timeout, "\(error)")
            #expect(error.problem == "the server sent nothing for 0.3 seconds", "\(error)")
            #expect(RetryPolicy.isTransient(error))
        }
        await server.stop()
    }

    @Test func headRequestsGetStatusAndHeadersWithoutABody() async throws {
        let server = try await FakeHTTPServer { request in
            .respond(
                status: request.uri == "/v1.2.3/sha256sum.txt" ? 200 : 404, headers: [("X-Method", request.method)],
                body: Array("abc".utf8))
        }
        func ask(_ method: HTTPRequest.Method, _ path: String) async throws -> HTTPResponse {
            try await testHTTP.execute(HTTPRequest(method, url(server, path)), timeouts: testTimeouts, maxBodyBytes: 100)
        }
        let found = try await ask(.head, "/v1.2.3/sha256sum.txt")
        #expect(found.status == 200)
        #expect(found.header("X-Method") == "HEAD")
        #expect(found.header("Content-Length") == "3")
        #expect(found.body.isEmpty)
        #expect(try await ask(.head, "/v9.9.9/sha256sum.txt").status == 404)
        // The connection is still good for a GET after the HEADs.
        #expect(try await ask(.get, "/v1.2.3/sha256sum.txt").body == Array("abc".utf8))
        #expect(server.requests.map(\.method) == ["HEAD", "HEAD", "GET"])
        await server.stop()
    }

    struct Refusal: Error, Equatable {}

    @Test func errorsOfTheCallersClosuresPassThroughUntouched() async throws {
        let server = try await FakeHTTPServer { _ in .respond(status: 200, body: Array("abc".utf8)) }
        let request = HTTPRequest(.get, url(server))
        await #expect(throws: Refusal()) {
            try await testHTTP.stream(request, timeouts: testTimeouts) { _ in
                throw Refusal()
            } body: { _ in
            }
        }
        await #expect(throws: Refusal()) {
            try await testHTTP.stream(request, timeouts: testTimeouts) { _ in
            } body: { _ in
                throw Refusal()
            }
        }
        // Even an error of a type the executor translates stays the caller's when the caller throws it.
        await #expect(throws: CancellationError.self) {
            try await testHTTP.stream(request, timeouts: testTimeouts) { _ in
            } body: { _ in
                throw CancellationError()
            }
        }
        await server.stop()
    }

    @Test func retriesTransientFailuresOnly() async throws {
        let calls = Counter()
        let value = try await testRetries.run(retryable: RetryPolicy.isTransient) { () async throws -> Int in
            calls.increment()
            if calls.value < 3 { throw HTTPStatusError(url: "u", status: 503, body: []) }
            return 7
        }
        #expect(value == 7)
        #expect(calls.value == 3)

        let refusals = Counter()
        await #expect(throws: HTTPStatusError.self) {
            try await testRetries.run(retryable: RetryPolicy.isTransient) { () async throws -> Int in
                refusals.increment()
                throw HTTPStatusError(url: "u", status: 404, body: [])
            }
        }
        #expect(refusals.value == 1)
    }
}

/// HTTPS against a loopback server whose CA the test makes.
@Suite struct AsyncHTTPExecutorTLSTests {
    @Test func httpsTrustsTheCAFileBesideTheSystemsAndRefusesWhatDoesNotVerify() async throws {
        let temp = try TemporaryDirectory()
        let certificates = try TestCertificates(in: temp.path("tls"))
        let server = try await FakeHTTPServer(tls: try certificates.serverContext()) { _ in .json(#"{"ok":true}"#) }
        let request = HTTPRequest(.get, URL(string: server.baseURL + "/x")!)

        let trusted = AsyncHTTPExecutor(caFile: certificates.caFile)
        let answer = try await trusted.execute(request, timeouts: testTimeouts, maxBodyBytes: 100)
        #expect(answer.status == 200)
        #expect(server.requests.map(\.uri) == ["/x"])

        do {
            _ = try await AsyncHTTPExecutor().execute(request, timeouts: testTimeouts, maxBodyBytes: 100)
            Issue.record("a certificate of an unknown CA was accepted")
        } catch let error as HTTPTransportError {
            #expect(error.kind == .certificate)
            #expect(!error.isTransient, "never retried at once")
            #expect(error.problem.contains("the TLS certificate of 127.0.0.1:\(server.port) does not verify"), "\(error)")
        }
        #expect(server.requests.count == 1, "nothing more reached the server")
        await server.stop()
    }

    @Test func aCAFileThatCannotBeUsedFailsEveryRequestNamingIt() async throws {
        let temp = try TemporaryDirectory()
        let missing = temp.path("missing.pem")
        await expectError(containing: "--ca-file \(missing.path) cannot be opened") {
            _ = try await AsyncHTTPExecutor(caFile: missing).execute(
                HTTPRequest(.get, URL(string: "https://127.0.0.1:1/x")!), timeouts: testTimeouts, maxBodyBytes: 100)
        }
    }
}
