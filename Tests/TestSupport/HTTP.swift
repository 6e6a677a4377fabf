public import AsyncHTTPExecutor
public import Core

/// The real HTTP client, for tests.
public let testHTTP = AsyncHTTPExecutor()

/// Timeouts for tests against loopback servers: generous, because the suite's start keeps both
/// cores of a small machine busy for tens of seconds (see `patience`), and a request that times out
/// is retried, which changes the requests a test counts. Tests of timeouts set their own.
public let testTimeouts = HTTPTimeouts(connect: .seconds(30), total: .seconds(60))

/// Retries for tests: three tries, quickly.
public let testRetries = RetryPolicy(attempts: 3, backoff: .milliseconds(20))
