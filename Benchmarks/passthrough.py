#!/usr/bin/env python3
"""Benchmark: a child writing a lot to stdout, run directly and under `lavavisor wrap`.

The stand-in lavap of standin.py (`lavap emit BYTES EVENTS`) writes BYTES to its stdout in 64 KiB
writes and exits. It runs (a) directly and (b) as `lavavisor wrap --cmd 'lavap emit BYTES EVENTS'`
(file version source, local binaries, a store prepared once by `lavavisor init`, `--restart never`,
so that lavavisor exits with the child). In both cases stdout is a pipe that this script
reads (1 MiB reads) and counts; stderr (lavavisor's log) goes to a file. Per run:
  - wall time: spawn of the command -> EOF on the pipe and the command reaped;
  - stream time: the child's own start record -> EOF (the bytes' way alone, without lavavisor's
    start-up before the child and its exit after);
  - before: spawn -> the child's start record; after: EOF -> the command reaped.
The runs alternate direct and wrapped; the medians are compared. Goal: wrapped <= 1.05x direct.
Twice: on any CPU (as deployed; where the scheduler puts the writer and the reader changes the
time by up to 2x from run to run), and with everything on one CPU (steady figures).

Usage: swift build -c release --product lavavisor && flock -o /tmp/swift-build.lock python3 Benchmarks/passthrough.py
       [--binary .build/release/lavavisor] [--size-mb 500] [--runs 5]
"""
import argparse, os, statistics, subprocess, tempfile, time

import standin

VERSION = "1.0.0"


def run_once(command, size, events, log):
    """One run; returns wall, stream, before (spawn -> the child's start) and after (EOF -> reaped), s."""
    open(events, "w").close()
    with open(log, "a") as err:
        start = time.monotonic_ns()
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL, bufsize=0)
        fd, total = proc.stdout.fileno(), 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            total += len(chunk)
        eof = time.monotonic_ns()
        status = proc.wait()
        end = time.monotonic_ns()
        proc.stdout.close()
    if status != 0 or total != size:
        raise SystemExit(f"{command[0]} exited {status} after {total} bytes of {size}; see {log}")
    child = next(r for r in standin.records(events) if r[0] == "start")[2]
    return {"wall": (end - start) / 1e9, "stream": (eof - child) / 1e9, "before": (child - start) / 1e9,
            "after": (end - eof) / 1e9}


def measure(binary, size, runs, work, pin=False):
    """Returns {"direct": [run, ...], "lavavisor": [...]}, each run as `run_once` gives it.

    With `pin`, this script, the child and lavavisor all run on one CPU (the first this process may
    use): no cross-CPU pipe traffic, whose placement otherwise varies the time by 2x from run to run."""
    stand_in = standin.build(work, VERSION)
    versions = standin.versions_file(os.path.join(work, "versions.yml"), VERSION)
    store = os.path.join(work, "store")
    flags = ["--directory", store, "--version-source", "file", "--versions-file", versions, "--source", "local",
             "--binaries-dir", os.path.join(work, "bin")]
    init = subprocess.run([binary, "init", "--auto-download"] + flags, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if init.returncode != 0:
        raise SystemExit(f"lavavisor init failed:\n{init.stderr}")
    installed = os.path.join(store, ".lavavisor", "upgrades", f"v{VERSION}", "lavap")
    events, log = os.path.join(work, "events"), os.path.join(work, "passthrough.log")
    commands = {
        "direct": [installed, "emit", str(size), events],
        "lavavisor": [binary, "wrap"] + flags + ["--restart", "never", "--cmd", f"lavap emit {size} {events}"],
    }
    results = {name: [] for name in commands}
    allowed = os.sched_getaffinity(0)
    if pin:
        os.sched_setaffinity(0, {min(allowed)})  # inherited by every process spawned from here on
    try:
        run_once(commands["lavavisor"], size, events, log)  # warm the page cache and the store's files
        for _ in range(runs):
            for name, command in commands.items():
                results[name].append(run_once(command, size, events, log))
    finally:
        os.sched_setaffinity(0, allowed)
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/lavavisor")
    parser.add_argument("--size-mb", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    binary = standin.built_binary(args.binary)
    for pin in [False, True]:
        with tempfile.TemporaryDirectory(prefix="lavavisor-passthrough-") as work:
            results = measure(binary, args.size_mb * 1_000_000, args.runs, work, pin)
        print(f"{args.size_mb} MB through the child's stdout to a pipe, {'all on one CPU' if pin else 'any CPU'}, "
              f"median of {args.runs} runs, seconds")
        print(f"{'how':<10} {'wall':>8} {'stream':>8} {'before':>8} {'after':>8}")
        for name, runs in results.items():
            print(f"{name:<10} " + " ".join(f"{statistics.median(r[k] for r in runs):8.3f}"
                                            for k in ["wall", "stream", "before", "after"]))
        wall = statistics.median(r["wall"] for r in results["lavavisor"]) / statistics.median(r["wall"] for r in results["direct"])
        print(f"wrapped / direct wall time = {wall:.3f} (goal: at most 1.05)")

if __name__ == "__main__":
    main()
