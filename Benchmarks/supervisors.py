#!/usr/bin/env python3
"""Benchmark: lavavisor `wrap` against supervisord and tini, supervising the same stand-in lavap.

The stand-in lavap of standin.py (C, compiled here; version 1.0.0, as lavavisor's store demands)
records its start and the arrival of SIGTERM, CLOCK_MONOTONIC in ns. It runs
under:
  - lavavisor: `wrap --version-source file --source local --restart always
    --restart-reset-after 0.5 --cmd 'lavap rpcprovider EVENTS'` on a store prepared once by
    `lavavisor init` (default --poll-interval, 15 s);
  - supervisord (PyPI `supervisor`, in a venv): `supervisord -n -c` with a generated config, twice:
    at its defaults, and at its best for fast restarts as its documentation offers
    (`autorestart=true`, `startsecs=0`, `startretries=1000`, `stopasgroup`/`killasgroup`,
    `stopwaitsecs=30`: SUPERVISORD_SETTINGS); goals are judged against the best;
  - tini (Debian `tini`): `tini -s -- lavap rpcprovider EVENTS`.
and measures, for each:
  - crash -> restart: SIGKILL to the child (the time is taken just before kill()) -> the new
    child's start record; --trials times on one supervisor, each crash at a random point 1.5 to
    2.5 s after the child started (longer than lavavisor's --restart-reset-after 0.5, so that each
    restart is a first one, which the policy makes at once, where later ones in a row back off
    1 s, 2 s, ...; and past supervisord's first loop, which declares the child RUNNING).
    tini does not restart.
  - SIGTERM -> child: kill(supervisor, SIGTERM) at a random point 0.3 to 1.3 s after the child
    started -> the child's record of SIGTERM; --trials fresh supervisors. (supervisord wakes up
    once a second, so the point in its cycle matters.)
  - RSS: VmRSS of the supervisor process alone (/proc/PID/status; supervisord's Python process)
    after the idle window; also its PSS (/proc/PID/smaps_rollup) and how many other processes map
    the libFoundation.so lavavisor maps (the start-up pages lavavisor gives back with MADV_PAGEOUT
    are only those no other process maps).
  - idle CPU: utime+stime of the supervisor (/proc/PID/stat, clock ticks) over --idle-seconds with
    the child running, in ms per second; also the scheduler's ns-precise sum over the supervisor's
    threads (/proc/PID/task/*/schedstat; threads that end inside the window are not counted).
Goals: restart <= supervisord's best, signal forward <= 2x tini's, RSS <= supervisord's best, idle CPU
<= 1 ms per second (judged on the medians).

Installs what it needs: supervisor in a venv (--venv, created with python3 -m venv; python3-venv
from apt if that fails) and tini with apt-get when it is not on PATH (needs root).

Usage: swift build -c release --product lavavisor && flock -o /tmp/swift-build.lock python3 Benchmarks/supervisors.py
       [--lavavisor .build/release/lavavisor] [--trials 20] [--idle-seconds 30] [--venv DIR]
"""
import argparse, os, random, shutil, signal, statistics, subprocess, sys, tempfile, time

import standin
from report import Row, markdown

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERSION = "1.0.0"
DEFAULT_VENV = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")),
                            "lavavisor-benchmarks", "supervisor-venv")

# ---------------------------------------------------------------- setup

def run(command, **kwargs):
    print("+", " ".join(command), file=sys.stderr)
    subprocess.run(command, check=True, **kwargs)


def apt_install(package):
    if os.geteuid() != 0:
        raise SystemExit(f"{package} is missing: apt-get install {package} (as root), then run again")
    try:
        run(["apt-get", "install", "-y", "-q", package], stdout=subprocess.DEVNULL)
    except subprocess.CalledProcessError:
        run(["apt-get", "update", "-q"], stdout=subprocess.DEVNULL)
        run(["apt-get", "install", "-y", "-q", package], stdout=subprocess.DEVNULL)


def ensure_tini():
    if not shutil.which("tini"):
        apt_install("tini")
    return shutil.which("tini")


def ensure_supervisord(venv):
    supervisord = os.path.join(venv, "bin", "supervisord")
    if os.access(supervisord, os.X_OK):
        return supervisord
    if subprocess.run([sys.executable, "-m", "venv", venv], stdout=subprocess.DEVNULL).returncode != 0:
        shutil.rmtree(venv, ignore_errors=True)
        apt_install("python3-venv")
        run([sys.executable, "-m", "venv", venv])
    run([os.path.join(venv, "bin", "pip"), "install", "-q", "supervisor"])
    return supervisord


# ---------------------------------------------------------------- the three supervisors

class Supervised:
    """One supervisor process running the stand-in; events is the stand-in's record file."""

    def __init__(self, name, command, events, log):
        self.name, self.events = name, events
        open(events, "w").close()
        self.log = open(log, "a")
        self.proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
                                     start_new_session=True)

    def records(self):
        return standin.records(self.events)

    def wait_record(self, what, count, timeout=30, pid=None):
        """Polls the events file until there are `count` records of `what` (of `pid` when given)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [r for r in self.records() if r[0] == what and (pid is None or int(r[1]) == pid)]
            if len(found) >= count:
                return found[count - 1][1], found[count - 1][2]
            if self.proc.poll() is not None and what == "start":
                break
            time.sleep(0.002)
        raise SystemExit(f"{self.name}: no '{what}' record #{count} within {timeout} s "
                         f"(supervisor exit status {self.proc.poll()}); see {self.log.name}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def lavavisor_command(binary, work, stand_in, events):
    return [binary, "wrap", "--directory", os.path.join(work, "store"), "--version-source", "file",
            "--versions-file", os.path.join(work, "versions.yml"), "--source", "local",
            "--binaries-dir", os.path.join(work, "bin"), "--restart", "always", "--restart-reset-after", "0.5",
            "--cmd", f"lavap rpcprovider {events}"]


# supervisord's settings for the program. "default": only what names the command and its log, every
# other key at supervisord's default (autorestart=unexpected, startsecs=1, startretries=3,
# stopwaitsecs=10). "best": what its documentation offers for fast restarts and a clean stop:
# startsecs=0 ("the program needn't stay running for any particular amount of time"),
# autorestart=true, startretries high enough never to reach FATAL, stopasgroup/killasgroup (the
# signal goes to the child's process group, as lavavisor sends it), stopwaitsecs as lavavisor's
# --stop-timeout (30 s). Neither changes supervisord's main loop, which polls with a fixed 1 s
# timeout (supervisord.py, runforever: `timeout = 1`) and acts on a reaped child or a signal only
# when that poll returns.
SUPERVISORD_SETTINGS = {
    "default": "",
    "best": """autorestart=true
startsecs=0
startretries=1000
stopsignal=TERM
stopwaitsecs=30
stopasgroup=true
killasgroup=true
""",
}


def supervisord_command(supervisord, work, stand_in, events, settings="best"):
    folder = tempfile.mkdtemp(prefix="supervisord-", dir=work)
    config = os.path.join(folder, "supervisord.conf")
    with open(config, "w") as f:
        f.write(f"""[supervisord]
nodaemon=true
logfile={folder}/supervisord.log
pidfile={folder}/supervisord.pid
childlogdir={folder}
loglevel=warn

[program:lavap]
command={stand_in} rpcprovider {events}
stdout_logfile={folder}/lavap.log
redirect_stderr=true
{SUPERVISORD_SETTINGS[settings]}""")
    return [supervisord, "-n", "-c", config]


def tini_command(tini, work, stand_in, events):
    return [tini, "-s", "--", stand_in, "rpcprovider", events]


# ---------------------------------------------------------------- measurements

def settle_after_start(start_ns, seconds):
    """Lets the child run `seconds` since its start record."""
    remaining = start_ns / 1e9 + seconds - time.monotonic()
    if remaining > 0:
        time.sleep(remaining)


def measure_restart(sup, trials):
    pid, start = sup.wait_record("start", 1)
    delays = []
    for n in range(trials):
        settle_after_start(start, 1.5 + random.random())
        died = time.monotonic_ns()
        os.kill(pid, signal.SIGKILL)
        pid, start = sup.wait_record("start", n + 2)
        delays.append((start - died) / 1e6)
    return delays


def measure_signal(make, trials):
    delays = []
    for _ in range(trials):
        sup = make()
        try:
            pid, start = sup.wait_record("start", 1)
            settle_after_start(start, 0.3 + random.random())
            sent = time.monotonic_ns()
            sup.proc.send_signal(signal.SIGTERM)
            _, received = sup.wait_record("term", 1, pid=pid)
            delays.append((received - sent) / 1e6)
            sup.proc.wait(timeout=40)
        finally:
            sup.stop()
    return delays


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)


def sched_ns(pid):
    total = {}
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total[task] = int(f.read().split()[0])
        except FileNotFoundError:
            pass
    return total


def vm_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise SystemExit(f"no VmRSS for {pid}")


def smaps_mb(pid, key):
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return None


def sharers(pid, library="libFoundation.so"):
    """Other processes mapping the file `library` that `pid` maps (their pages MADV_PAGEOUT leaves alone)."""
    mine = next((line.split()[-1] for line in open(f"/proc/{pid}/maps") if line.rstrip().endswith(library)), None)
    if not mine:
        return 0
    count = 0
    for other in os.listdir("/proc"):
        if other.isdigit() and int(other) != pid:
            try:
                with open(f"/proc/{other}/maps") as f:
                    count += mine in f.read()
            except OSError:
                pass
    return count


def measure_idle(sup, seconds):
    pid, start = sup.wait_record("start", 1)
    shared_at_start = sharers(sup.proc.pid)  # about when lavavisor gives back its start-up pages
    settle_after_start(start, 2.0)
    tick = os.sysconf("SC_CLK_TCK")
    ticks0, sched0, t0 = cpu_ticks(sup.proc.pid), sched_ns(sup.proc.pid), time.monotonic()
    time.sleep(seconds)  # the window itself, not a wait for an event
    ticks1, sched1, t1 = cpu_ticks(sup.proc.pid), sched_ns(sup.proc.pid), time.monotonic()
    elapsed = t1 - t0
    assert sup.proc.poll() is None and [r[:3] for r in sup.records() if r[0] == "start"] == [("start", pid, start)], \
        f"{sup.name}: the child did not run undisturbed through the idle window"
    ticks = (ticks1 - ticks0) * 1000 / tick / elapsed
    sched = sum(ns - sched0.get(task, 0) for task, ns in sched1.items()) / 1e6 / elapsed
    pid = sup.proc.pid
    return vm_rss_mb(pid), ticks, sched, len(sched1), smaps_mb(pid, "Pss"), max(shared_at_start, sharers(pid))


# ---------------------------------------------------------------- main

def collect(binary, trials, idle_seconds, venv, work):
    """Runs the three supervisors on the stand-in in WORK; returns each one's figures and the peers' versions."""
    if "--restart-reset-after" not in subprocess.run([binary, "wrap", "--help"], capture_output=True, text=True).stdout:
        raise SystemExit(f"{binary} predates the restart policy (no --restart-reset-after): rebuild it")
    tini = ensure_tini()
    supervisord = ensure_supervisord(os.path.abspath(venv))
    versions = {
        "supervisord": "supervisor " + subprocess.run([supervisord, "--version"], capture_output=True, text=True).stdout.strip(),
        "tini": subprocess.run([tini, "--version"], capture_output=True, text=True).stdout.strip(),
    }
    stand_in = standin.build(work, VERSION)
    standin.versions_file(os.path.join(work, "versions.yml"), VERSION)
    init = subprocess.run([binary, "init", "--directory", os.path.join(work, "store"), "--version-source", "file",
                           "--versions-file", os.path.join(work, "versions.yml"), "--source", "local",
                           "--binaries-dir", os.path.join(work, "bin"), "--auto-download"],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if init.returncode != 0:
        raise SystemExit(f"lavavisor init failed:\n{init.stderr}")
    builders = {
        "lavavisor": lambda events: lavavisor_command(binary, work, stand_in, events),
        "supervisord": lambda events: supervisord_command(supervisord, work, stand_in, events, "best"),
        "supervisord-default": lambda events: supervisord_command(supervisord, work, stand_in, events, "default"),
        "tini": lambda events: tini_command(tini, work, stand_in, events),
    }
    counter = [0]

    def make(name):
        counter[0] += 1
        events = os.path.join(work, f"events-{counter[0]}")
        return Supervised(name, builders[name](events), events, os.path.join(work, f"{name}.log"))

    results = {}
    for name in builders:
        restart = None
        if name != "tini":
            print(f"{name}: crash -> restart, {trials} trials ...", file=sys.stderr, flush=True)
            sup = make(name)
            try:
                restart = measure_restart(sup, trials)
            finally:
                sup.stop()
        print(f"{name}: SIGTERM -> child, {trials} trials ...", file=sys.stderr, flush=True)
        forward = measure_signal(lambda: make(name), trials)
        print(f"{name}: idle {idle_seconds:g} s ...", file=sys.stderr, flush=True)
        sup = make(name)
        try:
            rss, cpu, sched, threads, pss, shared = measure_idle(sup, idle_seconds)
        finally:
            sup.stop()
        results[name] = {"restart": restart, "forward": forward, "rss": rss, "cpu": cpu, "sched": sched,
                         "threads": threads, "pss": pss, "sharers": shared}
    return results, versions


PEER_NAMES = {"supervisord": "supervisord best", "supervisord-default": "supervisord default", "tini": "tini"}


def rows(results):
    """The table's rows: each figure of lavavisor with the peers' (supervisord at its best and at its
    defaults, tini), and the goal's ratio against supervisord at its best (or tini)."""
    out = []
    peers = [p for p in PEER_NAMES if p in results]

    def shown(values):
        return [(PEER_NAMES[p], values[p]) for p in peers]

    for key, label, stat in [("restart", "crash → restarted child, median ms", statistics.median),
                             ("restart", "crash → restarted child, worst ms", max),
                             ("forward", "SIGTERM to the supervisor → child has it, median ms", statistics.median),
                             ("forward", "SIGTERM to the supervisor → child has it, worst ms", max)]:
        values = {n: (stat(r[key]) if r[key] else None) for n, r in results.items()}
        peer, limit = ("supervisord", 1) if key == "restart" else ("tini", 2)
        ratio = values["lavavisor"] / values[peer] if values[peer] else None
        out.append(Row(label, values["lavavisor"], shown(values), ratio, f"≤ {limit}× {PEER_NAMES[peer]}",
                       ratio is not None and ratio <= limit))
    values = {n: r["rss"] for n, r in results.items()}
    ratio = values["lavavisor"] / values["supervisord"]
    out.append(Row("RSS of the supervisor with a child running (file version source), MB", values["lavavisor"],
                   shown(values), ratio, "≤ 1× supervisord best", ratio <= 1))
    values = {n: r["pss"] for n, r in results.items()}
    out.append(Row(f"… its PSS (shared pages split among their users), MB; other processes mapping lavavisor's "
                   f"libFoundation.so at the child's start or the window's end: {results['lavavisor']['sharers']}", values["lavavisor"],
                   shown(values), values["lavavisor"] / values["supervisord"], "", None))
    for key, label in [("cpu", "idle CPU over the window (utime+stime), ms/s"),
                       ("sched", "idle CPU over the window (schedstat, lower bound), ms/s")]:
        values = {n: r[key] for n, r in results.items()}
        out.append(Row(label, values["lavavisor"], shown(values), values["lavavisor"] / 1.0,
                       "≤ 1 ms/s", values["lavavisor"] <= 1))
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lavavisor", default=os.path.join(REPO, ".build", "release", "lavavisor"))
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--idle-seconds", type=float, default=30)
    parser.add_argument("--venv", default=DEFAULT_VENV)
    args = parser.parse_args()
    binary = os.path.abspath(args.lavavisor)
    if not os.access(binary, os.X_OK):
        raise SystemExit(f"{binary} is not built: run 'swift build -c release --product lavavisor' first, or pass --lavavisor")
    print(f"{os.cpu_count()} CPUs, kernel {os.uname().release}; {time.strftime('%Y-%m-%d %H:%M %Z')}, "
          f"load {os.getloadavg()[0]:.2f}; lavavisor {binary}", flush=True)
    with tempfile.TemporaryDirectory(prefix="lavavisor-supervisors-") as work:
        results, versions = collect(binary, args.trials, args.idle_seconds, args.venv, work)
    print(f"{versions['supervisord']}; {versions['tini']}; load average at the end: {os.getloadavg()[0]:.2f}")
    print(markdown(rows(results)))
    print()
    print("threads of each supervisor at the end of the idle window: "
          + ", ".join(f"{n} {r['threads']}" for n, r in results.items()))
    print("all samples, ms:")
    for name, r in results.items():
        for key in ["restart", "forward"]:
            if r[key]:
                print(f"  {name} {key}: " + " ".join(f"{v:.2f}" for v in r[key]))


if __name__ == "__main__":
    main()
