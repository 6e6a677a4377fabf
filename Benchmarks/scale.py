#!/usr/bin/env python3
"""Scale on one machine: N `lavavisor wrap` of different commands on ONE store, rpc version source.

For each N (default 1, 10, 50), from scratch (a fresh store, node and release host):
  - a fake Lava node on loopback (chaos_fakes.ChaosNode: the params' target and minimum, /status,
    the proposals query, a block every --block-time s, the websocket of detection_delay.py) and a
    release host in GitHub's layout (chaos_fakes.ReleaseHost, `--source github --release-url`, no
    listing), which logs every request; the stand-in lavap of standin.py, 1.0.0 and 1.1.0, as assets;
  - wrapper 0: `wrap --directory STORE --version-source rpc --node URL (it follows new blocks on
    the node's websocket by default) --source github --release-url BASE --platform linux/amd64 --auto-download
    --cmd 'lavap rpcprovider provider-0.yml --from w0 EVENTS-0'`; once its lavap runs (it fetched
    1.0.0), wrappers 1..N-1, the same without --auto-download (they wait for wrapper 0 to fetch),
    each with its own arguments and its own record file; default --poll-interval (what operators run);
  - once every lavap runs, SETTLE s (first checks and first read of the proposals done), then an
    idle window of WINDOW s: the sum over the lavavisor processes of VmRSS, of PSS (smaps_rollup:
    what they share, the binary's and the libraries' pages, counted once) and of RssAnon at the end;
    the sum of their CPU (utime+stime, /proc/PID/stat) and of their threads' schedstat, in ms/s;
    the node's HTTP requests (a websocket upgrade counts as one) per second and per block; the open
    websocket connections at the node (and their subscriptions);
  - then the chain's target goes from 1.0.0 to 1.1.0 (minimum unchanged): the time until every
    wrapper's lavap runs 1.1.0 (the last one's start record; the first and the median too), and how
    many times the release host served the 1.1.0 binary (GETs of the asset; must be 1: one download
    on the store for all) and 1.0.0's;
  - the peer, same machine, same window: ONE supervisord (its best settings, supervisors.py) running
    the same N stand-in commands as N programs: its VmRSS, PSS and CPU (it checks no chain).
Every process runs in a session of its own; all are stopped at the end of each N (SIGTERM, then
SIGKILL of the session), stand-ins left behind too.

    flock -o /tmp/swift-build.lock python3 Benchmarks/scale.py [--binary .build/release/lavavisor]
        [--sizes 1,10,50] [--window 20] [--settle 5] [--block-time 1] [--no-peer]
"""
import argparse, os, signal, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chaos_fakes  # noqa: E402
import standin  # noqa: E402
import supervisors  # noqa: E402

OLD, NEW = "1.0.0", "1.1.0"


def proc_status(pid):
    """VmRSS, RssAnon (kB) and Threads of /proc/PID/status."""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "RssAnon", "Threads"):
                values[key] = int(rest.split()[0])
    return values


def pss_kb(pid):
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def sched_total_ns(pids):
    return sum(sum(supervisors.sched_ns(pid).values()) for pid in pids)


def memory(pids):
    """(sum VmRSS MB, sum PSS MB, sum RssAnon MB, per-process VmRSS MB list, sum threads)."""
    rss, pss, anon, each, threads = 0, 0, 0, [], 0
    for pid in pids:
        s = proc_status(pid)
        rss, anon, threads = rss + s["VmRSS"], anon + s["RssAnon"], threads + s["Threads"]
        each.append(s["VmRSS"] / 1024)
        pss += pss_kb(pid)
    return rss / 1024, pss / 1024, anon / 1024, each, threads


def cpu_window(pids, seconds):
    """Sum over `pids` of utime+stime (ms/s) and of schedstat (ms/s) over `seconds`."""
    tick = os.sysconf("SC_CLK_TCK")
    ticks0, sched0, t0 = sum(supervisors.cpu_ticks(p) for p in pids), sched_total_ns(pids), time.monotonic()
    time.sleep(seconds)  # the window itself
    ticks1, sched1, t1 = sum(supervisors.cpu_ticks(p) for p in pids), sched_total_ns(pids), time.monotonic()
    return (ticks1 - ticks0) * 1000 / tick / (t1 - t0), (sched1 - sched0) / 1e6 / (t1 - t0), t1 - t0


def start_of(events, version):
    return next((r for r in standin.records(events) if r[0] == "start" and r[3] == version), None)


def wait_for(predicate, timeout, procs=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        ended = [p for p in procs if p.poll() is not None]
        if ended:
            raise SystemExit(f"a lavavisor ended (exit status {ended[0].returncode}) while waiting; see its log in "
                             f"{getattr(ended[0], 'log_path', '?')}")
        time.sleep(0.02)
    return None


def stop(procs, events_files=()):
    """SIGTERM to every process, then SIGKILL to the session of any left; stand-ins left behind killed too."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 40
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for p in procs:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if p.poll() is None:
            p.wait()
    for events in events_files:  # a lavap whose lavavisor did not stop it
        records = standin.records(events)
        exited = {r[1] for r in records if r[0] == "exit"}
        for r in records:
            if r[0] == "start" and r[1] not in exited:
                try:
                    with open(f"/proc/{r[1]}/cmdline", "rb") as f:
                        if events.encode() in f.read():
                            os.kill(r[1], signal.SIGKILL)
                except (FileNotFoundError, ProcessLookupError):
                    pass


def wrapper_command(binary, node, host, store, i, events):
    # No --websocket-url: by default the wrapper follows new blocks on --node's host and port.
    return ([binary, "wrap", "--directory", store, "--version-source", "rpc", "--node", node.url]
            + ["--source", "github", "--release-url", host.base, "--platform", "linux/amd64"]
            + (["--auto-download"] if i == 0 else [])
            + ["--cmd", f"lavap rpcprovider provider-{i}.yml --from w{i} --geolocation {i % 3 + 1} {events}"])


def measure(binary, n, work, assets, window=20.0, settle=5.0, block_time=1.0, progress=print):
    """N wrappers on one store; returns a dict of figures (see the module's docstring)."""
    node = chaos_fakes.ChaosNode(block_time, OLD, OLD, request_timeout=10)
    chain = node.chain
    host = chaos_fakes.ReleaseHost(assets, installed=lambda version: None)
    root = tempfile.mkdtemp(prefix=f"scale-{n}-", dir=work)
    store = os.path.join(root, "store")
    procs, events_files = [], []
    try:
        def launch(i):
            events = os.path.join(root, f"events-{i}")
            open(events, "w").close()
            log_path = os.path.join(root, f"lavavisor-{i}.log")
            with open(log_path, "w") as log:
                p = subprocess.Popen(wrapper_command(binary, node, host, store, i, events), cwd=root,
                                     stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
            p.log_path = log_path
            procs.append(p)
            events_files.append(events)

        started = time.monotonic()
        launch(0)
        if not wait_for(lambda: start_of(events_files[0], OLD), 60, procs):
            raise SystemExit(f"wrapper 0's lavap {OLD} never started; see {procs[0].log_path}")
        for i in range(1, n):
            launch(i)
        if not wait_for(lambda: all(start_of(e, OLD) for e in events_files), 60 + n, procs):
            missing = [i for i, e in enumerate(events_files) if not start_of(e, OLD)]
            raise SystemExit(f"lavap {OLD} never started under wrappers {missing[:10]}; see {procs[missing[0]].log_path}")
        all_up = time.monotonic() - started
        time.sleep(settle)
        pids = [p.pid for p in procs]
        with chain.lock:
            requests0, height0 = chain.requests, chain.height
        cpu, sched, elapsed = cpu_window(pids, window)
        with chain.lock:
            requests1, height1 = chain.requests, chain.height
            sockets = len(chain.clients)
            subscriptions = sum(len(c.subscriptions) for c in chain.clients)
        rss, pss, anon, each, threads = memory(pids)
        if any(p.poll() is not None for p in procs):
            raise SystemExit("a lavavisor ended during the idle window")
        # The chain moves: the target goes up, the minimum stays.
        changed = time.monotonic_ns()
        chain.set_versions(NEW, OLD)
        done = wait_for(lambda: all(start_of(e, NEW) for e in events_files), 120 + n, procs)
        if not done:
            missing = [i for i, e in enumerate(events_files) if not start_of(e, NEW)]
            raise SystemExit(f"lavap {NEW} never started under wrappers {missing[:10]} within {120 + n} s; "
                             f"see {procs[missing[0]].log_path}")
        delays = sorted((start_of(e, NEW)[2] - changed) / 1e9 for e in events_files)
        rss_after, pss_after, _, _, _ = memory(pids)
        served = {v: sum(1 for r in host.requests() if r["method"] == "GET" and r["file"] == "asset" and r["version"] == v
                         and r["status"] in (200, 206)) for v in (OLD, NEW)}
        return {
            "n": n, "start_s": all_up, "window_s": elapsed,
            "rss": rss, "pss": pss, "anon": anon, "rss_each_median": statistics.median(each),
            "rss_each_max": max(each), "threads": threads, "rss_after": rss_after, "pss_after": pss_after,
            "cpu": cpu, "sched": sched,
            "requests_per_s": (requests1 - requests0) / elapsed,
            "requests_per_block": (requests1 - requests0) / max(1, height1 - height0),
            "sockets": sockets, "subscriptions": subscriptions,
            "switch_first": delays[0], "switch_median": statistics.median(delays), "switch_all": delays[-1],
            "served_new": served[NEW], "served_old": served[OLD],
        }
    finally:
        stop(procs, events_files)
        node.close()
        host.close()


def supervisord_peer(supervisord, stand_in, n, work, window=20.0, settle=5.0):
    """ONE supervisord (best settings) running N stand-in commands: VmRSS, PSS (MB) and CPU (ms/s)."""
    folder = tempfile.mkdtemp(prefix=f"scale-supervisord-{n}-", dir=work)
    events_files = [os.path.join(folder, f"events-{i}") for i in range(n)]
    with open(os.path.join(folder, "supervisord.conf"), "w") as f:
        f.write(f"[supervisord]\nnodaemon=true\nlogfile={folder}/supervisord.log\npidfile={folder}/supervisord.pid\n"
                f"childlogdir={folder}\nloglevel=warn\n")
        for i, events in enumerate(events_files):
            open(events, "w").close()
            f.write(f"\n[program:lavap{i}]\ncommand={stand_in} rpcprovider provider-{i}.yml --from w{i} {events}\n"
                    f"stdout_logfile={folder}/lavap{i}.log\nredirect_stderr=true\n{supervisors.SUPERVISORD_SETTINGS['best']}")
    log = open(os.path.join(folder, "out.log"), "w")
    proc = subprocess.Popen([supervisord, "-n", "-c", os.path.join(folder, "supervisord.conf")], stdin=subprocess.DEVNULL,
                            stdout=log, stderr=log, start_new_session=True)
    try:
        if not wait_for(lambda: all(start_of(e, OLD) for e in events_files), 60 + n, [proc]):
            raise SystemExit(f"supervisord did not start its {n} programs; see {folder}")
        time.sleep(settle)
        cpu, sched, _ = cpu_window([proc.pid], window)
        rss, pss, anon, _, threads = memory([proc.pid])
        return {"rss": rss, "pss": pss, "anon": anon, "cpu": cpu, "sched": sched}
    finally:
        stop([proc], events_files)
        log.close()


def prepare(work):
    """The stand-ins 1.0.0 and 1.1.0 (WORK/bin/vX/lavap); returns {version: bytes} for the release host."""
    return {v: open(standin.build(work, v), "rb").read() for v in (OLD, NEW)}


def collect(binary, sizes, work, window=20.0, settle=5.0, block_time=1.0, supervisord=None, progress=print):
    """{n: figures} for each N, with the supervisord peer's under figures["peer"] when `supervisord` is given."""
    assets = prepare(work)
    stand_in = os.path.join(work, "bin", f"v{OLD}", "lavap")
    out = {}
    for n in sizes:
        progress(f"scale: {n} wrapper(s) on one store, {window:g} s idle window, then the target moves ...")
        out[n] = measure(binary, n, work, assets, window, settle, block_time)
        if supervisord:
            progress(f"scale: one supervisord with {n} program(s), {window:g} s idle window ...")
            out[n]["peer"] = supervisord_peer(supervisord, stand_in, n, work, window, settle)
    return out


COLUMNS = [("rss", "sum VmRSS MB", "{:.1f}"), ("pss", "sum PSS MB", "{:.1f}"), ("anon", "sum RssAnon MB", "{:.1f}"),
           ("rss_each_median", "VmRSS each, median MB", "{:.1f}"), ("threads", "threads", "{}"),
           ("cpu", "CPU ms/s (ticks)", "{:.2f}"), ("sched", "CPU ms/s (schedstat)", "{:.2f}"),
           ("requests_per_s", "node req/s", "{:.2f}"), ("requests_per_block", "node req/block", "{:.2f}"),
           ("sockets", "websockets", "{}"), ("switch_first", "target → first new lavap s", "{:.2f}"),
           ("switch_median", "… median s", "{:.2f}"), ("switch_all", "… all s", "{:.2f}"),
           ("served_new", "1.1.0 downloads", "{}"), ("served_old", "1.0.0 downloads", "{}"),
           ("rss_after", "sum VmRSS after the switch MB", "{:.1f}")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=".build/release/lavavisor")
    parser.add_argument("--sizes", default="1,10,50")
    parser.add_argument("--window", type=float, default=20)
    parser.add_argument("--settle", type=float, default=5)
    parser.add_argument("--block-time", type=float, default=1)
    parser.add_argument("--no-peer", action="store_true", help="without the one-supervisord peer")
    parser.add_argument("--venv", default=supervisors.DEFAULT_VENV)
    args = parser.parse_args()
    binary = standin.built_binary(args.binary)
    supervisord = None if args.no_peer else supervisors.ensure_supervisord(os.path.abspath(args.venv))
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    with tempfile.TemporaryDirectory(prefix="lavavisor-scale-") as work:
        results = collect(binary, sizes, work, args.window, args.settle, args.block_time, supervisord,
                          progress=lambda m: print(m, file=sys.stderr, flush=True))
    print(f"{binary}; {args.block_time:g} s blocks; {args.window:g} s window; load {os.getloadavg()[0]:.2f}")
    print("| N | " + " | ".join(label for _, label, _ in COLUMNS) + " |")
    print("|---:|" + "---:|" * len(COLUMNS))
    for n, r in results.items():
        print(f"| {n} | " + " | ".join(fmt.format(r[key]) for key, _, fmt in COLUMNS) + " |")
    if supervisord:
        print("\none supervisord (best settings) running N stand-ins:")
        for n, r in results.items():
            p = r["peer"]
            print(f"  N={n}: VmRSS {p['rss']:.1f} MB, PSS {p['pss']:.1f} MB, CPU {p['cpu']:.2f} ms/s (schedstat {p['sched']:.2f})")


if __name__ == "__main__":
    main()
