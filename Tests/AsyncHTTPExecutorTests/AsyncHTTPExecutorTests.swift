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

    @Test func errorStatusesAreReturnedNotThrown() async throws {
        let server = try await FakeHTTPServer { _ in .respond(status: 500, body: Array("boom".utf8)) }
        let response = try await testHTTP.execute(HTTPRequest(.get, url(server)), timeouts: testTimeouts, maxBodyBytes: 100)
        #expect(response.status == 500)
        await server.stop()
    }

    // A connection closed before any answer may be retried by the client until the deadline, so
    // either account of it is right there.
    @Test(arguments: [
        (
            FakeHTTPServer.Reply.truncated(declared: 100, body: Array("partial".utf8)),
            ["closed the connection before the answer was complete"]
        ),
        (.close, ["closed the connection before the answer was complete", "no complete answer within 5.0 seconds"]),
        (.silent, ["no complete answer within 0.5 seconds (--request-timeout)"]),
        (.respond(status: 200, body: Array(repeating: 65, count: 5000)), ["larger than 1000 bytes"]),
    ])
    func transportFailuresAreClearErrors(_ reply: FakeHTTPServer.Reply, _ messages: [String]) async throws {
        let server = try await FakeHTTPServer { _ in reply }
        let target = url(server)
        // Only the silent server must hit the deadline; the others get time to show what they do.
        let total: Duration = if case .silent = reply { .milliseconds(500) } else { .seconds(5) }
        do {
            _ = try await testHTTP.execute(
                HTTPRequest(.get, target), timeouts: HTTPTimeouts(connect: .seconds(2), total: total), maxBodyBytes: 1000)
            Issue.record("expected an error containing one of \(messages)")
        } catch let error as HTTPTransportError {
            #expect(messages.contains { error.description.contains($0) }, "\(error)")
            #expect(error.url == target.absoluteString)
        }
        await server.stop()
    }

    @Test func aRefusedConnectionSaysSo() async throws {
        let refusing = try RefusingPort()
        do {
            _ = try await testHTTP.execute(
                HTTPRequest(.get, URL(string: refusing.url + "/status")!), timeouts: testTimeouts, maxBodyBytes: 100)
            Issue.record("expected a refused connection")
        } catch let error as HTTPTransportError {
            #expect(error.problem.contains("connection refused"), "\(error)")
        }
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
