#!/usr/bin/env python3
"""What checking the chain costs an idle wrapper: lavavisor `wrap` on the rpc source of a fake node
(Benchmarks/detection_delay.py's, one block every BLOCK s), following new blocks (the default) and
with --no-subscribe, --poll-interval POLL; over WINDOW s once the stand-in lavap runs: the node's
HTTP requests per block, lavavisor's CPU (utime+stime, ms/s) and its VmRSS at the end, with what
that RSS is made of (anonymous and file-backed pages, /proc/PID/status) and its threads. Median of
RUNS runs each.

    python3 Benchmarks/block_cost.py [--binary .build/release/lavavisor] [--runs 3] [--window 30]
                                     [--poll-interval 1] [--block-time 1] [--default-only]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import detection_delay  # noqa: E402
import standin  # noqa: E402
import supervisors  # noqa: E402

MODES = [("following blocks (default)", True), ("--no-subscribe", False)]


FIELDS = ["node requests per block", "CPU ms/s", "RSS MB", "RssAnon MB", "RssFile MB", "threads"]


def status_fields(pid):
    """VmRSS, RssAnon and RssFile in MB and the thread count, from /proc/PID/status."""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "Threads"):
                values[key] = int(rest.split()[0])
    return values["VmRSS"] / 1024, values["RssAnon"] / 1024, values["RssFile"] / 1024, values["Threads"]


def one(binary, node, work, subscribe, window, poll):
    """One run: (node requests per block, CPU ms/s, RSS MB, RssAnon MB, RssFile MB, threads)."""
    proc = detection_delay.start_rpc_wrap(binary, node, work, subscribe, poll)
    try:
        time.sleep(2 * poll + 1)  # past the first checks and the proposals' first read
        with node.chain.lock:
            requests0, height0 = node.chain.requests, node.chain.height
        ticks0, t0 = supervisors.cpu_ticks(proc.pid), time.monotonic()
        time.sleep(window)  # blocks arrive meanwhile
        ticks1, t1 = supervisors.cpu_ticks(proc.pid), time.monotonic()
        with node.chain.lock:
            requests1, height1 = node.chain.requests, node.chain.height
        rss, anon, file, threads = status_fields(proc.pid)
        ticks_per_s = os.sysconf("SC_CLK_TCK")
        cpu = (ticks1 - ticks0) * 1000.0 / ticks_per_s / (t1 - t0)
        return (requests1 - requests0) / max(1, height1 - height0), cpu, rss, anon, file, threads
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def measure(binary, runs, window, poll, block_time, modes=MODES):
    """{mode label: [(requests per block, cpu ms/s, RSS MB, RssAnon MB, RssFile MB, threads), ...]} over
    `runs` runs of each mode (MODES, or MODES[:1] for the default only)."""
    node = detection_delay.FakeNode(block_time)
    try:
        with tempfile.TemporaryDirectory(prefix="lavavisor-block-cost-") as work:
            detection_delay.prepare(work, node)
            return {label: [one(binary, node, work, subscribe, window, poll) for _ in range(runs)] for label, subscribe in modes}
    finally:
        node.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=".build/release/lavavisor")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--window", type=float, default=30)
    parser.add_argument("--poll-interval", type=float, default=1)
    parser.add_argument("--block-time", type=float, default=1)
    parser.add_argument("--default-only", action="store_true", help="only the default mode (following blocks)")
    args = parser.parse_args()
    binary = standin.built_binary(args.binary)
    if not detection_delay.supports_websocket(binary):
        raise SystemExit(f"{binary} has no --websocket-url: build lavavisor with the block subscription")
    figures = measure(binary, args.runs, args.window, args.poll_interval, args.block_time,
                      MODES[:1] if args.default_only else MODES)
    print(f"{args.block_time:g} s blocks, --poll-interval {args.poll_interval:g}, {args.window:g} s window, median of {args.runs}")
    print("| | " + " | ".join(FIELDS) + " |")
    print("|---|" + "---:|" * len(FIELDS))
    for label, samples in figures.items():
        medians = [statistics.median(s[i] for s in samples) for i in range(len(FIELDS))]
        print(f"| {label} | " + " | ".join(f"{v:.2f}" for v in medians) + " |")
    for label, samples in figures.items():
        print(f"samples, {label}: " + "; ".join(" ".join(f"{v:.2f}" for v in s) for s in samples))


if __name__ == "__main__":
    main()
