#!/usr/bin/env python3
"""What following new blocks costs in memory: lavavisor `wrap` on the rpc source of a fake node
(Benchmarks/detection_delay.py's, 1 s blocks), with the websocket subscription and with
--no-subscribe; VmRSS of lavavisor WINDOW s after the stand-in lavap started (the default 20 s
holds one poll of 15 s: both ways have run the code of a check), median of RUNS runs.

    python3 Benchmarks/subscription_rss.py [--binary .build/release/lavavisor] [--runs 5] [--window 20]
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


def one(binary, node, work, subscribe, window):
    proc = detection_delay.start_rpc_wrap(binary, node, work, subscribe, 15)
    try:
        time.sleep(window)  # blocks arrive every second meanwhile
        return supervisors.vm_rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=".build/release/lavavisor")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--window", type=float, default=20)
    args = parser.parse_args()
    binary = standin.built_binary(args.binary)
    if not detection_delay.supports_websocket(binary):
        raise SystemExit(f"{binary} has no --websocket-url: build lavavisor with the block subscription")
    node = detection_delay.FakeNode(1.0)
    try:
        with tempfile.TemporaryDirectory(prefix="lavavisor-subscription-rss-") as work:
            detection_delay.prepare(work, node)
            figures = {}
            for subscribe in [False, True]:
                figures[subscribe] = [one(binary, node, work, subscribe, args.window) for _ in range(args.runs)]
    finally:
        node.close()
    print("| lavavisor wrap, rpc source | VmRSS median MB | min | max |")
    print("|---|---:|---:|---:|")
    for subscribe, name in [(False, "--no-subscribe (polling only)"), (True, "following new blocks (1 s blocks)")]:
        values = figures[subscribe]
        print(f"| {name} | {statistics.median(values):.1f} | {min(values):.1f} | {max(values):.1f} |")


if __name__ == "__main__":
    main()
