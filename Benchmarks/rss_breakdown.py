#!/usr/bin/env python3
"""What an idle rpc-source wrapper's resident memory is made of, and what environment knobs (no code
change) do to it.

One `lavavisor wrap --version-source rpc` on detection_delay.py's fake node (1 s blocks, following
new blocks, the default --poll-interval, local binaries), WAIT s after its lavap started:
  - /proc/PID/smaps grouped by what is mapped (the executable, each shared library, [heap], the
    other anonymous mappings: thread stacks and malloc arenas among them): Rss, Pss, Anonymous,
    Private_Dirty, and how many mappings; /proc/PID/status' RssAnon, RssFile and Threads;
  - then, for each knob (an environment given to lavavisor; lavavisor's own code unchanged), RUNS
    fresh wrappers: VmRSS, RssAnon, RssFile and threads, medians.

  - with --timeline: VmRSS, RssAnon and RssFile of one fresh wrapper sampled from lavap's start to
    WAIT s, to see the start-up page-out (3 s after lavap starts) and what the checks bring back.

    flock -o /tmp/swift-build.lock python3 Benchmarks/rss_breakdown.py [--binary .build/release/lavavisor ...]
        [--wait 20] [--runs 3] [--no-knobs] [--timeline]
"""
import argparse, os, re, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import block_cost  # noqa: E402
import detection_delay  # noqa: E402
import standin  # noqa: E402

# Environment knobs that need no change to lavavisor's code. Each is documented by its owner:
# glibc's malloc tunables, swift-nio's singleton thread counts (NIOCore/GlobalSingletons.swift),
# libdispatch's strict cooperative pool (one thread for Swift concurrency's global executor).
KNOBS = [
    ("none", {}),
    ("MALLOC_ARENA_MAX=1", {"MALLOC_ARENA_MAX": "1"}),
    ("MALLOC_ARENA_MAX=1, MALLOC_TRIM_THRESHOLD_=0", {"MALLOC_ARENA_MAX": "1", "MALLOC_TRIM_THRESHOLD_": "0"}),
    ("NIO_SINGLETON_GROUP_LOOP_COUNT=1, NIO_SINGLETON_BLOCKING_POOL_THREAD_COUNT=1",
     {"NIO_SINGLETON_GROUP_LOOP_COUNT": "1", "NIO_SINGLETON_BLOCKING_POOL_THREAD_COUNT": "1"}),
    ("LIBDISPATCH_COOPERATIVE_POOL_STRICT=1", {"LIBDISPATCH_COOPERATIVE_POOL_STRICT": "1"}),
    ("all of the above", {"MALLOC_ARENA_MAX": "1", "MALLOC_TRIM_THRESHOLD_": "0", "NIO_SINGLETON_GROUP_LOOP_COUNT": "1",
                          "NIO_SINGLETON_BLOCKING_POOL_THREAD_COUNT": "1", "LIBDISPATCH_COOPERATIVE_POOL_STRICT": "1"}),
]


def start(binary, node, work, env):
    home, events = os.path.join(work, "home"), os.path.join(work, "events")
    subprocess.run(["rm", "-rf", home], check=True)
    open(events, "w").close()
    proc = subprocess.Popen(
        [binary, "wrap", "--directory", home, "--version-source", "rpc", "--node", node.url, "--source", "local",
         "--binaries-dir", os.path.join(work, "bin"), "--auto-download", "--cmd", f"lavap rpcprovider p.yml {events}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, start_new_session=True,
        env={**os.environ, **env})
    if not detection_delay.wait_for(lambda: detection_delay.start_of(events, "1.0.0"), 30):
        proc.kill()
        proc.wait()
        raise SystemExit("lavap 1.0.0 never started under lavavisor")
    return proc


def status(pid):
    """VmRSS, RssAnon, RssFile (MB) and Threads by name, as block_cost.py reads them."""
    rss, anon, file, threads = block_cost.status_fields(pid)
    return {"VmRSS": rss, "RssAnon": anon, "RssFile": file, "Threads": threads}


def smaps_groups(pid, binary):
    """{group: {Rss, Pss, Anonymous, Private_Dirty (MB), mappings}} from /proc/PID/smaps."""
    groups, current = {}, None
    header = re.compile(r"^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$")
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            m = header.match(line)
            if m:
                path = m.group(1).strip()
                name = ("the lavavisor executable" if path and os.path.realpath(path) == os.path.realpath(binary)
                        else os.path.basename(path) if path.startswith("/") else path or "anonymous (stacks, arenas, ...)")
                current = groups.setdefault(name, {"Rss": 0, "Pss": 0, "Anonymous": 0, "Private_Dirty": 0, "mappings": 0})
                current["mappings"] += 1
                continue
            key, _, rest = line.partition(":")
            if current is not None and key in ("Rss", "Pss", "Anonymous", "Private_Dirty"):
                current[key] += int(rest.split()[0]) / 1024
    return groups


def timeline(binary, node, work, wait):
    proc = start(binary, node, work, {})
    began = time.monotonic()
    points = [0.5, 1, 2, 2.9, 3.2, 3.5, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60]
    print(f"\n{binary}: s after lavap started (about) | VmRSS MB | RssAnon MB | RssFile MB")
    try:
        for t in [p for p in points if p <= wait]:
            time.sleep(max(0.0, began + t - time.monotonic()))
            s = status(proc.pid)
            print(f"{t:5.1f} | {s['VmRSS']:.1f} | {s['RssAnon']:.1f} | {s['RssFile']:.1f}", flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", nargs="+", default=[".build/release/lavavisor"])
    parser.add_argument("--wait", type=float, default=20, help="seconds after lavap started")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-knobs", action="store_true")
    parser.add_argument("--timeline", action="store_true", help="only the RSS sampled from lavap's start to --wait")
    args = parser.parse_args()
    binaries = [standin.built_binary(b) for b in args.binary]
    node = detection_delay.FakeNode(1.0)
    try:
        with tempfile.TemporaryDirectory(prefix="lavavisor-rss-breakdown-") as work:
            detection_delay.prepare(work, node)
            for binary in binaries:
                if args.timeline:
                    timeline(binary, node, work, args.wait)
                    continue
                proc = start(binary, node, work, {})
                try:
                    time.sleep(args.wait)
                    s, groups = status(proc.pid), smaps_groups(proc.pid, binary)
                finally:
                    proc.terminate()
                    proc.wait(timeout=60)
                print(f"\n{binary}: VmRSS {s['VmRSS']:.1f} MB = RssAnon {s['RssAnon']:.1f} + RssFile {s['RssFile']:.1f} "
                      f"(+ shmem); {s['Threads']:.0f} threads; {args.wait:g} s after lavap started")
                print("| mapped | Rss MB | Pss MB | Anonymous MB | Private_Dirty MB | mappings |")
                print("|---|---:|---:|---:|---:|---:|")
                for name, g in sorted(groups.items(), key=lambda kv: -kv[1]["Rss"]):
                    if g["Rss"] >= 0.1:
                        print(f"| {name} | {g['Rss']:.1f} | {g['Pss']:.1f} | {g['Anonymous']:.1f} | {g['Private_Dirty']:.1f} | {g['mappings']} |")
                if args.no_knobs:
                    continue
                print(f"\nknobs, {args.runs} fresh wrappers each, medians:")
                print("| environment | VmRSS MB | RssAnon MB | RssFile MB | threads |")
                print("|---|---:|---:|---:|---:|")
                for label, env in KNOBS:
                    figures = []
                    for _ in range(args.runs):
                        proc = start(binary, node, work, env)
                        try:
                            time.sleep(args.wait)
                            figures.append(status(proc.pid))
                        finally:
                            proc.terminate()
                            proc.wait(timeout=60)
                    med = {k: statistics.median(f[k] for f in figures) for k in figures[0]}
                    print(f"| {label} | {med['VmRSS']:.1f} | {med['RssAnon']:.1f} | {med['RssFile']:.1f} | {med['Threads']:.0f} |",
                          flush=True)
    finally:
        node.close()


if __name__ == "__main__":
    main()
