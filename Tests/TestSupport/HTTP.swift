public import AsyncHTTPExecutor
public import Core

/// The real HTTP client, for tests.
public let testHTTP = AsyncHTTPExecutor.shared

/// Timeouts for tests against loopback servers.
public let testTimeouts = HTTPTimeouts(connect: .seconds(2), total: .seconds(10))

/// Retries for tests: three tries, quickly.
public let testRetries = RetryPolicy(attempts: 3, backoff: .milliseconds(20))
