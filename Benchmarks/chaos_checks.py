"""The chaos soak's invariants: a sampler thread for what can be missed between events (two lavaps,
zombies, a version below the minimum for too long) and checks after every event and settle.

Each check counts itself in `counts` (the summary's "invariant checks made") and reports a
violation at most once per cause. The names are the invariants of Benchmarks/README.md.
"""
import collections, json, os, re, signal, stat, threading, time

import chaos_standin
from chaos_world import STAGING_NAME, VERSION_DIR, proc_table, vkey

ROLLBACK = re.compile(r"lavap (\S+) \(upgraded from (\S+)\).*is marked bad and not tried again until the chain's target changes from (\S+)")


class Checks:
    def __init__(self, soak):
        self.soak, self.world, self.args = soak, soak.world, soak.args
        self.counts = collections.Counter()
        self.violations = []
        self.seen = set()
        self.lock = threading.Lock()
        self.alive = {}  # stand-in pid -> {name, first, last, ppid}
        self.gone = {}  # stand-in pid -> {name, when}
        self.zombies = {}
        self.below = {}  # wrapper name -> (since, pid)
        self.persisting = {}
        self.stopped_history = {}
        self.duplicates_seen = 0
        self.stop = threading.Event()
        self.sampler = None
        self.password = soak.s.password.encode()
        self.tearing_down = False
        s = soak.s
        self.allowance = (4 * s.poll + s.stop_timeout + s.restart_max_delay + self.args.download_allowance
                          + self.args.margin)

    # --- reporting ---------------------------------------------------------------------------
    def violation(self, invariant, message, runs=(), key=None):
        key = key or (invariant, message)
        with self.lock:
            if key in self.seen:
                return
            self.seen.add(key)
            entry = {"invariant": invariant, "message": message, "event": len(self.soak.events),
                     "t": time.monotonic() - self.soak.started,
                     "logs": {f"{r.name} run {r.number} (pid {r.pid})": r.tail() for r in runs}}
            self.violations.append(entry)
        print(f"  VIOLATION [{invariant}] after event #{entry['event']}: {message}", flush=True)

    def should_abort(self):
        return self.violations and not self.args.keep_going

    def persist(self, key, holds, grace):
        """True once `holds` has been true for more than `grace` seconds in a row."""
        now = time.monotonic()
        if not holds:
            self.persisting.pop(key, None)
            return False
        first = self.persisting.setdefault(key, now)
        return now - first > grace

    # --- the stand-ins' records -------------------------------------------------------------------
    def standin_info(self, name):
        info = {}
        for r in self.world.records(name):
            entry = info.setdefault(r["pid"], {"pid": r["pid"], "name": name, "ppid": r["ppid"], "version": r["version"],
                                               "start": None, "exit": None, "hang": False, "pw": None, "pw_mode": None,
                                               "hups": []})
            what = r["what"]
            if what == "start":
                entry.update(start=r["ns"] / 1e9, ppid=r["ppid"], pw_mode=r["detail"].partition("=")[2])
            elif what == "exit":
                entry["exit"] = int(r["detail"] or 0)
            elif what == "hang":
                entry["hang"] = True
            elif what == "hup":
                entry["hups"].append(r["ns"] / 1e9)
            elif what in ("pw", "pw-eof", "pw-cut"):
                entry["pw"] = (what, r["detail"])
        return info

    def run_of(self, pid):
        return next((r for r in self.soak.all_runs if r.pid == pid), None)

    # --- the sampler --------------------------------------------------------------------------
    def start_sampler(self):
        self.sampler = threading.Thread(target=self.sample_loop, daemon=True, name="chaos-sampler")
        self.sampler.start()

    def stop_sampler(self):
        self.stop.set()
        if self.sampler:
            self.sampler.join(timeout=5)

    def sample_loop(self):
        last_reap = 0.0
        while not self.stop.wait(self.args.sample_interval):
            try:
                self.sample()
                if time.monotonic() - last_reap > 0.5:
                    self.world.reap_orphans()
                    last_reap = time.monotonic()
            except Exception as error:  # a sampler that dies silently would hide everything
                self.violation("soak", f"the sampler failed: {error!r}")

    def obstructed_until(self, now):
        with self.soak.lock:
            ends = [end for start, end, _ in self.soak.obstructions if start <= now]
        return max(ends, default=0.0)

    def sample(self):
        now = time.monotonic()
        table = proc_table()
        standins = self.world.standins(table)
        live = {pid: v for pid, v in standins.items() if v[1] not in "ZX"}
        by_name = collections.defaultdict(list)
        for pid, (name, state, ppid) in live.items():
            by_name[name].append(pid)
            entry = self.alive.setdefault(pid, {"name": name, "first": now, "ppid": ppid})
            entry["last"] = now
        for pid in list(self.alive):
            if pid not in live:
                self.gone[pid] = {**self.alive.pop(pid), "when": now}
        # At most one lavap per command, at every sample.
        for name, pids in by_name.items():
            self.counts["at most one lavap per command"] += 1
            if len(pids) > 1:
                described = ", ".join(f"pid {p} (parent {live[p][2]}, {self.version_of(name, p)})" for p in sorted(pids))
                runs = [r for r in self.soak.all_runs if r.name == name][-2:]
                self.violation("at most one lavap", f"{name}: {len(pids)} lavap processes run at once: {described}",
                               runs=runs, key=("two", frozenset(pids)))
        # No zombie children of a wrapper for longer than a moment.
        wrappers = {r.pid: r for r in self.soak.all_runs if r.alive()}
        zombies_now = {pid for pid, (state, ppid, _, _) in table.items() if state == "Z" and ppid in wrappers}
        for pid in list(self.zombies):
            if pid not in zombies_now:
                del self.zombies[pid]
        for pid in zombies_now:
            first = self.zombies.setdefault(pid, now)
            self.counts["no zombies"] += 1
            if now - first > self.args.zombie_grace:
                run = wrappers[table[pid][1]]
                self.violation("no zombies", f"pid {pid}, a child of {run.name}'s lavavisor (pid {run.pid}), is a zombie "
                               f"for {now - first:.1f} s", runs=[run], key=("zombie", pid))
        # The running version is below the chain's minimum no longer than the allowance.
        target, minimum = self.soak.chain()
        fetcher = self.soak.runs.get(self.soak.s.specs[0].name)
        for name, run in list(self.soak.runs.items()):
            pids = by_name.get(name)
            if not run.alive() or not pids:
                self.below.pop(name, None)
                continue
            pid = max(pids)
            version = self.version_of(name, pid)
            if version is None or vkey(version) >= vkey(minimum):
                self.below.pop(name, None)
                continue
            first = self.below.setdefault(name, now)
            since = max(first, self.obstructed_until(now), run.started, fetcher.started if fetcher else 0.0)
            self.counts["version at or above the minimum"] += 1
            if now - since > self.allowance:
                self.violation("version at or above the minimum",
                               f"{name} runs lavap {version} (pid {pid}) below the chain's minimum {minimum} (target {target}) "
                               f"for {now - first:.1f} s, {now - since:.1f} s of it without any fault in the way "
                               f"(allowance {self.allowance:g} s)", runs=[run], key=("below", name, run.number, minimum))

    def version_of(self, name, pid):
        for r in self.world.records(name):
            if r["pid"] == pid and r["what"] == "start":
                return r["version"]
        return None

    # --- after every event ------------------------------------------------------------------------
    def after_event(self, event):
        self.poll_runs()
        self.judge_gone()
        self.check_store()
        self.check_mirror()
        self.check_records()
        self.check_passwords_handed()
        self.check_rollbacks()
        if len(self.soak.events) % 10 == 0:
            self.password_scan()
        if self.should_abort():
            from chaos_soak import Aborted
            raise Aborted()

    def poll_runs(self):
        for run in list(self.soak.all_runs):
            if not run.checked and run.popen.poll() is not None:
                run.exited = time.monotonic()
                run.checked = True
                self.judge_exit(run)
        if self.should_abort():
            from chaos_soak import Aborted
            raise Aborted()

    def last_child(self, run):
        children = sorted((i for i in self.standin_info(run.name).values() if i["ppid"] == run.pid and i["start"]),
                          key=lambda i: i["start"])
        return children[-1] if children else None, children

    @staticmethod
    def status_of(child):
        """What lavavisor reports for a child: its exit status, or 137 when it left no exit record (SIGKILL)."""
        return child["exit"] if child["exit"] is not None else 137

    def judge_exit(self, run):
        rc = run.popen.returncode
        self.counts["exit status is the child's"] += 1
        if run.killed:
            return
        last, children = self.last_child(run)
        stops = [n for _, n in run.signals if n in (signal.SIGTERM, signal.SIGINT)]
        messages = run.messages()
        if stops:
            expected = self.status_of(last) if last else 128 + stops[0]
            # A lavap SIGKILLed (a second Ctrl-C) before it could record its start: lavavisor's log
            # names it, and 137 is its status.
            if last is None and rc == 137 and any(m.startswith("started lavap") for m in messages) \
                    and any(m.startswith("killing lavap") for m in messages):
                return
            if rc != expected:
                what = f"its last lavap (pid {last['pid']}, {last['version']}) ended with {self.status_of(last)}" if last \
                    else "it had started no lavap"
                self.violation("exit status is the child's",
                               f"{run.name} run {run.number} exited with {rc} after {self.soak.signal_names(run)}; {what}, "
                               f"so {expected} was expected", runs=[run])
            return
        if run.spec.restart == "never" and last is not None:
            expected = self.status_of(last)
            if rc != expected:
                self.violation("exit status is the child's",
                               f"{run.name} run {run.number} (--restart never) exited with {rc}, its lavap with {expected}",
                               runs=[run])
            return
        if any("crash loop" in m for m in messages) and last is not None:
            status = self.status_of(last)
            expected = status if status != 0 else 1
            failures = sum(1 for c in children if self.status_of(c) != 0)
            if rc != expected:
                self.violation("exit status is the child's",
                               f"{run.name} run {run.number} ended in a crash loop with {rc}; its last lavap ended with {status}",
                               runs=[run])
            elif failures < self.soak.s.crash_loop_limit + 1:
                self.violation("exit status is the child's",
                               f"{run.name} run {run.number} declared a crash loop after {failures} failures of lavap "
                               f"(--crash-loop-limit {self.soak.s.crash_loop_limit})", runs=[run])
            return
        refused = any("refusing to start" in m for m in messages)
        wrong_chain = any(s <= (run.exited or time.monotonic()) and e >= run.started for s, e in self.soak.wrong_chain_windows)
        if rc == 1 and refused and wrong_chain:
            return
        self.violation("no unexplained exit",
                       f"{run.name} run {run.number} (pid {run.pid}) exited with {rc} by itself: no signal from the soak, "
                       f"no crash loop{', no --restart never' if run.spec.restart != 'never' else ''}", runs=[run])

    def judge_gone(self):
        for pid, g in list(self.gone.items()):
            if g.get("judged"):
                if time.monotonic() - g["when"] > 600:
                    del self.gone[pid]
                continue
            g["judged"] = True
            info = self.standin_info(g["name"]).get(pid)
            self.counts["graceful stop (no SIGKILL for a lavap that honours SIGTERM)"] += 1
            if info is None or info["exit"] is not None or info["hang"]:
                continue
            run = self.run_of(info["ppid"])
            if run is not None and run.kill_allowed:
                continue
            stopped = self.soak.stopped_history.get(pid)
            why = f"; the soak had SIGSTOPped it {g['when'] - stopped:.1f} s before and not continued it" if stopped else ""
            owner = f"{run.name} run {run.number}" if run else g["name"]
            runs = [r for r in self.soak.all_runs if r.name == g["name"]][-2:]
            self.violation("graceful stop",
                           f"lavap pid {pid} ({info['version']}, {owner}) was killed (no exit record) although it "
                           f"honours SIGTERM{why}", runs=runs, key=("killed", pid))

    # --- the store ------------------------------------------------------------------------------
    def verified(self, version):
        digest = self.soak.host.digests.get(version)
        return digest is not None and self.world.installed_age(version, digest) is not None

    def check_store(self):
        store = self.world.store
        upgrades = os.path.join(store, "upgrades")
        if not os.path.isdir(upgrades):
            return
        self.counts["nothing partial in upgrades/"] += 1
        try:
            names = os.listdir(upgrades)
        except OSError:
            names = []
        installed = []
        for name in names:
            match = VERSION_DIR.match(name)
            version = name[1:] if match else None
            if version in self.soak.planted:
                continue
            folder = os.path.join(upgrades, name)
            problem = None
            if not match:
                problem = "is not a vX.Y.Z folder"
            elif version not in self.soak.host.digests:
                problem = "is a version the release host never served"
            else:
                try:
                    entries = os.listdir(folder)
                except FileNotFoundError:
                    continue  # renamed away by a prune this instant
                except OSError as error:
                    entries, problem = [], f"cannot be listed ({error})"
                binary = os.path.join(folder, "lavap")
                if problem is None:
                    try:
                        info = os.lstat(binary)
                    except FileNotFoundError:
                        info = None
                    if info is None:
                        problem = "holds no lavap"
                    elif not stat.S_ISREG(info.st_mode):
                        problem = "holds a lavap that is not a regular file"
                    elif not info.st_mode & 0o111:
                        problem = "holds a lavap that is not executable"
                    elif self.world.sha256(binary) != self.soak.host.digests[version]:
                        problem = f"holds a lavap of {info.st_size} bytes that is not the released asset (partial or corrupt)"
                    elif sorted(entries) != ["lavap"]:
                        problem = f"holds more than lavap: {sorted(entries)}"
                    else:
                        installed.append(version)
            if problem and self.persist(("upgrades", name, problem), True, 0.3):
                self.violation("nothing partial in upgrades/", f"upgrades/{name} {problem}", key=("upgrades", name, problem))
        staging = os.path.join(store, "staging")
        try:
            for name in os.listdir(staging):
                if not STAGING_NAME.match(name):
                    self.violation("nothing partial in upgrades/", f"staging/{name} is not a name the store's layout makes",
                                   key=("staging", name))
        except OSError:
            pass
        # current resolves to a verified installed binary.
        self.counts["current resolves to a verified binary"] += 1
        text, version = self.world.current_link()
        if text is None:
            bad = bool(installed) and os.path.lexists(os.path.join(store, "upgrades"))
            reason = "current is missing although versions are installed" if bad else None
        elif version is None or not self.verified(version):
            where = os.path.join(store, text) if not text.startswith("/") else text
            what = "a planted folder" if version in self.soak.planted else \
                "nothing" if not os.path.lexists(where) else "no verified binary"
            reason = f"current links to '{text}', where there is {what}"
        else:
            reason = None
        dangling = self.soak.dangling_at
        grace = 4 * self.soak.s.poll + self.args.margin
        if reason and dangling is not None and time.monotonic() - dangling < grace:
            return
        if reason and self.persist(("current", reason), True, 1.0):
            suffix = f" ({time.monotonic() - dangling:.1f} s after the soak broke it)" if dangling else ""
            self.violation("current resolves to a verified binary", reason + suffix, key=("current", reason, dangling))
        elif not reason:
            self.persisting = {k: v for k, v in self.persisting.items() if k[0] != "current"}
            self.soak.dangling_at = None

    def store_snapshot(self):
        installed = set()
        try:
            for name in os.listdir(os.path.join(self.world.store, "upgrades")):
                if VERSION_DIR.match(name) and self.verified(name[1:]):
                    installed.add(name[1:])
        except OSError:
            pass
        text, version = self.world.current_link()
        running = {self.version_of(n, pid) for pid, (n, state, _) in self.world.standins().items() if state not in "ZX"}
        return {"installed": installed, "current": version if version in installed else None, "link": text,
                "running": {v for v in running if v}}

    def prune(self, keep, before, after, status, log, begun):
        self.counts["prune removes only what it may"] += 1
        removed = sorted(before["installed"] - after["installed"], key=vkey)
        disk = any(s <= time.monotonic() and e >= begun for s, e in self.soak.disk_windows)
        if status != 0 and not disk:
            self.violation("prune removes only what it may", f"prune --keep {keep} failed with {status}: {tail(log)}")
        text = tail(log, n=1 << 20)
        for version in removed:
            currents = [c for c in (before["current"], after["current"])]
            # A wrapper may repair a broken current while prune starts: prune then decides under the
            # repaired one, and says so ("kept V: current").
            if before["current"] is None and after["current"] is not None and f"kept {after['current']}: current" in text:
                currents = [after["current"]]
            problem = None
            if None in currents:
                problem = f"current was '{before['link']}' then '{after['link']}', no installed version"
            elif vkey(version) >= vkey(min(currents, key=vkey)):
                problem = f"it is not older than current ({before['current']}, then {after['current']})"
            elif version in after["running"]:
                # Still running once prune is done. A lavap seen only before may have ended (stopped
                # for a switch) before prune decided: removing its version then is right.
                problem = "a lavap runs it"
            else:
                kept = [v for v in before["installed"] if vkey(version) < vkey(v) < vkey(min(currents, key=vkey))]
                if len(kept) < keep:
                    problem = f"only {len(kept)} newer older-than-current versions stayed ({kept})"
            if problem:
                self.violation("prune removes only what it may", f"prune --keep {keep} removed {version}: {problem}; "
                               f"installed before: {sorted(before['installed'], key=vkey)}; output: {tail(log)}")

    def install(self, version, status, log, begun, ended):
        self.counts["install installs"] += 1
        faults = any(s <= ended and e >= begun for s, e, _ in self.soak.obstructions)
        if status == 0:
            if not self.verified(version):
                self.violation("install installs", f"install {version} exited 0 but upgrades/v{version}/lavap is not the "
                               f"verified asset; output: {tail(log)}")
        elif not faults and version not in self.soak.planted:
            self.violation("install installs", f"install {version} failed with {status} with no fault in the way: {tail(log)}")

    def status(self, returncode, out, log, begun):
        self.counts["status answers"] += 1
        faults = any(s <= time.monotonic() and e >= begun for s, e, _ in self.soak.obstructions)
        if returncode == 0:
            try:
                json.loads(out)
            except ValueError:
                self.violation("status answers", f"status --json exited 0 without JSON: {out[:300]!r}")
        elif not (returncode == 1 and faults):
            self.violation("status answers", f"status --json exited {returncode} with no fault in the way: {tail(log)}")

    # --- the release host ----------------------------------------------------------------------------
    def check_mirror(self):
        host = self.soak.host
        duplicates = host.duplicates[self.duplicates_seen:]
        self.duplicates_seen += len(duplicates)
        requests = host.requests()
        self.counts["no version downloaded twice"] = sum(1 for r in requests if r["file"] == "asset" and r["method"] == "GET")
        for d in duplicates:
            self.violation("no version downloaded twice",
                           f"v{d['version']}'s asset was downloaded again (GET{' ' + d['range'] if d['range'] else ''}) "
                           f"although it had been installed {d['installed_for']:.1f} s before", key=("dup", d["version"], d["t"]))
        # Failed installs are retried with backoff: a bounded number of attempts per version per window.
        windows = self.soak.side_install_windows
        starts = [r.started for r in self.soak.all_runs if r.spec.fetcher]
        attempts = collections.defaultdict(list)
        for r in requests:
            if r["method"] == "GET" and r["file"] == "sums":
                t = r["t"]
                if any(s - 0.5 <= t <= (e if e is not None else float("inf")) + 0.5 for s, e in windows):
                    continue
                if any(0 <= t - s <= 2.0 for s in starts):
                    continue
                attempts[r["version"]].append(t)
        window, limit = self.args.retry_window, self.args.retry_limit
        for version, times in attempts.items():
            self.counts["install retries back off"] += 1
            times.sort()
            j = 0
            for i in range(len(times)):
                while times[i] - times[j] > window:
                    j += 1
                if i - j + 1 > limit:
                    self.violation("install retries back off",
                                   f"v{version} was fetched {i - j + 1} times within {times[i] - times[j]:.1f} s "
                                   f"(limit {limit} per {window:g} s): failed installs are retried without backoff",
                                   key=("retry", version))
                    break

    # --- the run records ------------------------------------------------------------------------------
    def record_key(self, spec):
        import hashlib
        words = "\0".join(self.soak.command_words(spec)).encode()
        return hashlib.sha256(words).digest()[:8].hex()

    def check_records(self, only=None):
        now = time.monotonic()
        standins = self.world.standins()
        for name, run in list(self.soak.runs.items()):
            if only and name != only:
                continue
            if not run.alive() or run.signals and any(n in (signal.SIGTERM, signal.SIGINT) for _, n in run.signals):
                continue
            pids = [p for p, (n, state, _) in standins.items() if n == name and state not in "ZX"]
            if len(pids) != 1 or standins[pids[0]][2] != run.pid:
                continue
            info = self.standin_info(name).get(pids[0])
            if not info or not info["start"] or now - info["start"] < 1.5:
                continue
            if any(s - 0.5 <= info["start"] <= e for s, e in self.soak.disk_windows):
                continue  # the record may not be writable on a full disk (lavavisor warns)
            self.counts["the child record names the running lavap"] += 1
            record = self.world.run_record(self.record_key(run.spec))
            wrong = record is None or record.get("pid") != pids[0] or record.get("supervisor") != run.pid
            # The child may have ended and been replaced between the look at /proc and the read of the
            # record: only a mismatch about the same live child, for more than a second, counts.
            still = self.world.standins().get(pids[0])
            if wrong and (still is None or still[1] in "ZX" or not run.alive()):
                continue
            if self.persist(("record", name, pids[0]), wrong, 1.0):
                self.violation("the child record names the running lavap",
                               f"{name}: run/{self.record_key(run.spec)}.json is {json.dumps(record)} while lavavisor pid "
                               f"{run.pid} runs lavap pid {pids[0]} ({info['version']}) for {now - info['start']:.1f} s: "
                               f"a lavavisor started after this one is killed would not find it", runs=[run],
                               key=("record", name, pids[0]))

    # --- the password ---------------------------------------------------------------------------------
    def check_passwords_handed(self):
        from chaos_standin import fnv1a64
        expected = f"{fnv1a64(self.password)} {len(self.password)}"
        now = time.monotonic()
        for spec in self.soak.s.specs:
            for pid, info in self.standin_info(spec.name).items():
                if ("pw-judged", spec.name, pid) in self.seen or not info["start"]:
                    continue
                mode = info["pw_mode"] or "read"
                if mode == "ignore":
                    continue
                wait = 3.0 + (1.0 if mode == "late" else 0.0)
                if info["pw"] is None and (info["exit"] is not None or now - info["start"] < wait or pid in self.soak.stopped):
                    continue
                if info["pw"] is None and pid not in self.alive:
                    continue  # killed before it could read (a switch)
                got = info["pw"]
                launcher = self.run_of(info["ppid"])
                if got and got[0] != "pw" and launcher is not None and launcher.killed:
                    continue  # its lavavisor was killed -9 in the middle of the hand-off: nobody can finish it
                self.counts["the password reaches lavap, and only it"] += 1
                if spec.password:
                    if got is None or got[0] != "pw" or got[1] != expected:
                        described = "nothing within {:.0f} s".format(wait) if got is None else f"{got[0]} {got[1]}"
                        self.violation("the password reaches lavap, and only it",
                                       f"lavap pid {pid} of {spec.name} ({info['version']}) got {described} on its stdin, "
                                       f"not the {len(self.password)}-byte password", runs=[self.run_of(info['ppid'])]
                                       if self.run_of(info["ppid"]) else [], key=("pw", pid))
                elif got is not None and got[0] == "pw":
                    self.violation("the password reaches lavap, and only it",
                                   f"lavap pid {pid} of {spec.name}, which has no password, read a line from its stdin",
                                   key=("pw", pid))
                self.seen.add(("pw-judged", spec.name, pid))

    def password_scan(self):
        """The password appears in no file of the run (store, logs, records) nor in any argv or environment."""
        password = self.password
        needles = [password] if len(password) <= 64 else [password[:32], password[len(password) // 2:][:32], password[-32:]]
        skip = {os.path.realpath(self.soak.password_file), os.path.realpath(self.world.ballast)}
        for root, _, files in os.walk(self.world.work):
            for name in files:
                path = os.path.join(root, name)
                if os.path.realpath(path) in skip or os.path.islink(path):
                    continue
                try:
                    if os.path.getsize(path) > 64 << 20:
                        continue
                    with open(path, "rb") as f:
                        data = f.read()
                except OSError:
                    continue
                self.counts["the password is written nowhere"] += 1
                if any(n in data for n in needles):
                    self.violation("the password is written nowhere", f"the keyring password is in {path}", key=("leak", path))
        pids = [r.pid for r in self.soak.all_runs if r.alive()] + list(self.world.standins())
        for pid in pids:
            for what in ("cmdline", "environ"):
                try:
                    with open(f"/proc/{pid}/{what}", "rb") as f:
                        data = f.read()
                except OSError:
                    continue
                self.counts["the password is written nowhere"] += 1
                if any(n in data for n in needles):
                    self.violation("the password is written nowhere", f"the keyring password is in /proc/{pid}/{what}",
                                   key=("leak", pid, what))

    def final_password_scan(self):
        try:
            self.password_scan()
        except Exception as error:
            self.violation("soak", f"the final password scan failed: {error!r}")

    # --- rollbacks --------------------------------------------------------------------------------
    def target_at(self, t):
        target = None
        for when, tgt, _ in self.soak.timeline:
            if when <= t:
                target = tgt
        return target

    def check_rollbacks(self):
        offset = time.time() - time.monotonic()
        for run in self.soak.all_runs:
            for line in run.log_lines():
                match = ROLLBACK.search(line.get("message", ""))
                if not match:
                    continue
                failed, target = match.group(1), match.group(3)
                when = parse_time(line.get("time")) - offset if line.get("time") else run.started
                for pid, info in self.standin_info(run.name).items():
                    if info["ppid"] != run.pid or info["version"] != failed or not info["start"]:
                        continue
                    if info["start"] > when + 1.5 and self.target_at(info["start"]) == target:
                        self.violation("a rolled-back version is not tried again",
                                       f"{run.name} run {run.number} rolled back from {failed} (target {target}) and started "
                                       f"it again {info['start'] - when:.1f} s later (pid {pid}) with the target unchanged",
                                       runs=[run], key=("rollback", run.pid, failed, target))

    # --- signals ----------------------------------------------------------------------------------
    def hup_forwarded(self, run, child, before):
        if child is None or child in self.soak.stopped:
            return
        self.counts["signals reach lavap"] += 1
        name = run.name

        def got():
            info = self.standin_info(name).get(child)
            return info and any(t >= before - 0.01 for t in info["hups"])

        if not self.soak.wait_for(got, 3.0):
            if child in self.alive and run.alive():
                self.violation("signals reach lavap", f"SIGHUP to {name}'s lavavisor (pid {run.pid}) did not reach its "
                               f"lavap (pid {child}) within 3 s", runs=[run])
        if not run.alive():
            self.poll_runs()

    def duplicate(self, first, child, popen, log):
        self.counts["a second wrap is refused, the first unharmed"] += 1
        self.soak.wait_for(lambda: popen.poll() is not None, 20)
        if popen.poll() is None:
            self.violation("a second wrap is refused, the first unharmed",
                           f"a second {first.spec.kind} for {first.name}'s command still runs after 20 s", runs=[first])
            os.killpg(popen.pid, signal.SIGKILL)
            popen.wait()
            return
        text = open(log, errors="replace").read()
        wrong_chain = any(s <= time.monotonic() and e >= time.monotonic() - 25 for s, e in self.soak.wrong_chain_windows) \
            and "refusing to start" in text  # refused before it got as far as the claim: fine too
        if popen.returncode == 0 or ("already supervises" not in text and not wrong_chain):
            self.violation("a second wrap is refused, the first unharmed",
                           f"a second {first.spec.kind} for {first.name}'s command exited {popen.returncode}: {text[-600:]}",
                           runs=[first])
        if not first.alive():
            self.violation("a second wrap is refused, the first unharmed",
                           f"{first.name}'s first lavavisor (pid {first.pid}) ended while the second was refused", runs=[first])
            return
        switched = any(line.get("pid") == str(child) and line.get("message") == "stopping lavap for the switch"
                       for line in first.log_lines())
        if child is not None and child not in self.world.standins() and not switched:
            self.violation("a second wrap is refused, the first unharmed",
                           f"{first.name}'s lavap (pid {child}) ended while the second wrap was refused", runs=[first])
        for _ in range(8):  # the record check reports a mismatch that lasts more than a second
            self.check_records(only=first.name)
            time.sleep(0.2)

    # --- settling -----------------------------------------------------------------------------------
    def unsettled(self):
        """Why the system has not converged on the chain's versions yet; empty when it has."""
        reasons = []
        target, minimum = self.soak.chain()
        marks = self.world.state_marks() or set()
        broken = {n[4:] for n in os.listdir(self.world.ctl) if n.startswith("bad-")}
        text, current = self.world.current_link()
        if current is None or not self.verified(current):
            reasons.append(f"current links to '{text}', no verified binary")
        elif vkey(current) < vkey(minimum):
            reasons.append(f"current is {current}, below the minimum {minimum}")
        standins = self.world.standins()
        now = time.monotonic()
        for spec in self.soak.s.specs:
            run = self.soak.runs.get(spec.name)
            if run is None or not run.alive():
                reasons.append(f"{spec.name} is not running")
                continue
            pids = [p for p, (n, state, _) in standins.items() if n == spec.name and state not in "ZX"]
            target_bad = (target, target) in marks or target in broken
            if target in broken and any("cannot roll back" in m for m in run.messages()):
                continue  # nothing to roll back to: it keeps restarting the broken target, as documented
            if len(pids) != 1:
                reasons.append(f"{spec.name} runs {len(pids)} lavap")
                continue
            if standins[pids[0]][2] != run.pid:
                reasons.append(f"{spec.name}'s lavap (pid {pids[0]}) is not its lavavisor's child (a killed one's, not yet taken over)")
                continue
            info = self.standin_info(spec.name).get(pids[0])
            if not info or not info["start"] or now - info["start"] < 1.0:
                reasons.append(f"{spec.name}'s lavap has just started")
                continue
            version = info["version"]
            if vkey(version) < vkey(minimum):
                reasons.append(f"{spec.name} runs {version}, below the minimum {minimum}")
            elif vkey(version) < vkey(target) and not target_bad:
                reasons.append(f"{spec.name} runs {version}, below the target {target}")
        return reasons

    def settle(self, initial):
        self.counts["settles on the chain's versions"] += 1
        timeout = self.allowance + (30 if initial else 15)
        began = time.monotonic()
        reasons = []

        def settled():
            nonlocal reasons
            self.soak.respawn_dead()
            self.poll_runs()
            reasons = self.unsettled()
            return not reasons

        if not self.soak.wait_for(settled, timeout, step=0.2):
            target, minimum = self.soak.chain()
            self.violation("settles on the chain's versions",
                           f"not settled {timeout:g} s after {'the start' if initial else 'every fault was healed'} "
                           f"(target {target}, min {minimum}): " + "; ".join(reasons),
                           runs=list(self.soak.runs.values()), key=("settle", len(self.soak.events)))
        else:
            self.soak.say(f"settled in {time.monotonic() - began:.1f} s")
        self.after_event(None)

    def after_teardown(self):
        self.tearing_down = True
        self.counts["no lavap outlives the soak"] += 1
        self.soak.wait_for(lambda: not [p for p, v in self.world.standins().items() if v[1] not in "ZX"], 2.0)
        self.judge_gone()
        left = {p: v for p, v in self.world.standins().items() if v[1] not in "ZX"}
        if left:
            self.violation("no lavap outlives the soak", "lavap processes still run after every lavavisor was stopped: "
                           + ", ".join(f"pid {p} ({v[0]}, state {v[1]}, parent {v[2]})" for p, v in left.items()))


def tail(path, n=600):
    try:
        with open(path, errors="replace") as f:
            return f.read()[-n:].replace("\n", " | ")
    except OSError:
        return ""


def parse_time(text):
    from datetime import datetime
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return time.time()
