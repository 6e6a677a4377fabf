"""One seed's chaos soak: the fakes, the wrappers, the events carried out, and the invariants.

See Benchmarks/README.md ("Chaos soak") for what is checked and why. The invariants live in
chaos_checks.py; this file starts and drives everything.
"""
import collections, hashlib, json, os, pty, signal, subprocess, threading, time

import chaos_checks, chaos_standin
from chaos_fakes import ChaosNode, ReleaseHost
from chaos_plan import Plan
from chaos_world import Run, World, vkey

SIGNALS = {"SIGTERM": signal.SIGTERM, "SIGINT": signal.SIGINT, "SIGHUP": signal.SIGHUP}


class Aborted(Exception):
    """A violation stopped the seed (without --keep-going)."""


class Soak:
    def __init__(self, seed, args, stand_in):
        self.seed, self.args, self.stand_in = seed, args, stand_in
        self.plan = Plan(seed, args.pool_size)
        self.s = self.plan.settings
        self.events = []
        self.kinds = collections.Counter()
        self.notes = []
        self.token = hashlib.sha256(f"{seed}-{os.getpid()}-{time.time()}".encode()).hexdigest()[:16]
        self.world = None
        self.node = self.host = None
        self.runs = {}  # name -> the latest Run
        self.all_runs = []
        self.run_numbers = collections.Counter()
        self.timers = []  # (due, description, action)
        self.timeline = []  # (t, target, min) of the chain
        self.obstructions = []  # (start, end, what): times lavavisor may not be able to comply
        self.disk_windows = []
        self.wrong_chain_windows = []
        self.side_install_windows = []
        self.stopped = {}  # stand-in pid -> when the soak SIGSTOPped it (until it continues it)
        self.stopped_history = {}  # stand-in pid -> when the soak last SIGSTOPped it
        self.planted = {}  # version -> when planted
        self.dangling_at = None
        self.garbage_state = None
        self.started = time.monotonic()
        self.checks = None
        self.lock = threading.RLock()

    # --- helpers ---------------------------------------------------------------------------------
    def say(self, text):
        if self.args.verbose:
            print(f"  [{time.monotonic() - self.started:7.2f}] {text}", flush=True)

    def note(self, text):
        self.notes.append(text)
        self.say(text)

    def spec(self, name):
        return next(s for s in self.s.specs if s.name == name)

    def version_index(self, version):
        return self.s.pool.index(version)

    def chain(self):
        with self.node.chain.lock:
            return self.node.chain.target, self.node.chain.minimum

    def set_chain(self, target, minimum):
        self.node.chain.set_versions(target, minimum)
        with self.lock:
            self.timeline.append((time.monotonic(), target, minimum))

    def obstruct(self, seconds, what):
        now = time.monotonic()
        with self.lock:
            self.obstructions.append([now, now + seconds, what])

    def end_obstructions(self):
        now = time.monotonic()
        with self.lock:
            for o in self.obstructions:
                o[1] = min(o[1], now)

    def schedule(self, seconds, description, action):
        self.timers.append((time.monotonic() + seconds, description, action))

    def run_timers(self):
        now = time.monotonic()
        due = [t for t in self.timers if t[0] <= now]
        self.timers = [t for t in self.timers if t[0] > now]
        for _, description, action in due:
            self.say(description)
            action()

    def wait(self, seconds):
        """The soak's schedule: lets time pass, running due timers and the checks of ended processes."""
        end = time.monotonic() + seconds
        while True:
            self.run_timers()
            self.checks.poll_runs()
            left = end - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(0.05, left))

    def wait_for(self, predicate, timeout, step=0.05):
        """Polls `predicate` until it is true or `timeout` passed; returns its last value."""
        end = time.monotonic() + timeout
        while True:
            value = predicate()
            if value or time.monotonic() >= end:
                return value
            self.run_timers()
            time.sleep(step)

    def standin_of(self, name):
        """The pid of the live stand-in of `name` (the newest when there are several), or None."""
        live = [pid for pid, (n, state, _) in self.world.standins().items() if n == name and state not in "ZX"]
        return max(live) if live else None

    # --- wrappers --------------------------------------------------------------------------------
    def command_words(self, spec):
        return [spec.role, f"{spec.name}.yml", "--from", spec.name, "--chaos-dir", self.world.ctl,
                "--chaos-name", spec.name, "--chaos-run", self.token]

    def wrapper_argv(self, spec, password_route=None):
        s = self.s
        argv = [self.world.binary, spec.kind, "--directory", self.world.home, "--log-format", "json",
                "--chain-id", "lava", "--version-source", "rpc", "--node", self.node.url,
                "--source", "github", "--release-url", self.host.base, "--platform", "linux/amd64",
                "--poll-interval", f"{s.poll:g}", "--stop-timeout", f"{s.stop_timeout:g}", "--restart", spec.restart,
                "--restart-max-delay", f"{s.restart_max_delay:g}", "--restart-reset-after", f"{s.restart_reset_after:g}",
                "--crash-loop-limit", str(s.crash_loop_limit), "--upgrade-probation", str(s.upgrade_probation),
                "--connect-timeout", "1", "--request-timeout", f"{s.request_timeout:g}", "--request-retries", "1",
                "--download-idle-timeout", "3",
                "--cmd", " ".join(["lavap"] + self.command_words(spec))]
        if spec.fetcher and spec.kind == "wrap":
            argv.append("--auto-download")
        route = password_route or spec.password
        if route == "file":
            argv += ["--keyring-password-file", self.password_file]
        elif route == "prompt":
            argv.append("--enter-keyring-password")
        return argv

    def start_run(self, spec):
        self.run_numbers[spec.name] += 1
        number = self.run_numbers[spec.name]
        log = os.path.join(self.world.logs, f"{spec.name}.{number}.log")
        master = None
        if spec.password == "prompt":
            master, slave = pty.openpty()
            popen = self.world.spawn(self.wrapper_argv(spec), log, stdin=slave)
            os.close(slave)
        else:
            popen = self.world.spawn(self.wrapper_argv(spec), log)
        run = Run(spec, number, popen, log, time.monotonic(), master)
        if master is not None:
            threading.Thread(target=self.answer_prompt, args=(run,), daemon=True).start()
        with self.lock:
            self.runs[spec.name] = run
            self.all_runs.append(run)
        self.say(f"started {spec.name} run {number} (pid {run.pid})")
        return run

    def answer_prompt(self, run):
        """Types the password once lavavisor prompts for it on the pty, then drains the terminal."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and run.alive():
            if any("keyring password" in line.get("message", "") for line in run.log_lines()):
                try:
                    os.write(run.pty_master, self.s.password.encode() + b"\n")
                except OSError:
                    pass
                break
            time.sleep(0.05)
        try:
            while run.alive():
                try:
                    if not os.read(run.pty_master, 4096):
                        break
                except OSError:
                    break
        finally:
            try:
                os.close(run.pty_master)
            except OSError:
                pass

    def respawn_dead(self):
        for spec in self.s.specs:
            run = self.runs.get(spec.name)
            if run is None or not run.alive():
                if run is not None:
                    self.checks.poll_runs()
                self.start_run(spec)

    # --- setup and teardown ----------------------------------------------------------------------
    def setup(self):
        self.world = World(self.args.binary, self.token, self.args.keep)
        self.checks = chaos_checks.Checks(self)
        pool = self.s.pool
        assets = {v: chaos_standin.versioned(self.stand_in, v, self.s.asset_sizes[v]) for v in pool}
        self.host = ReleaseHost(assets, lambda v: self.world.installed_age(v, self.host.digests[v]))
        target, minimum = pool[self.s.start_target], pool[self.s.start_min]
        self.node = ChaosNode(self.s.block_time, target, minimum, self.s.request_timeout)
        self.timeline.append((time.monotonic(), target, minimum))
        self.password_file = os.path.join(self.world.secret_dir, "keyring-password")
        fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, self.s.password.encode())
        os.close(fd)
        for spec in self.s.specs:
            self.world.write_ctl(spec.name, pw="read")
        self.checks.start_sampler()
        for spec in self.s.specs:
            self.start_run(spec)

    def teardown(self):
        """Stops every wrapper with SIGTERM, as an operator would, and checks that nothing is left."""
        for run in list(self.runs.values()):
            if run.alive():
                run.signals.append((time.monotonic(), signal.SIGTERM))
                try:
                    os.kill(run.pid, signal.SIGTERM)
                except OSError:
                    pass
        bound = 2 * self.s.stop_timeout + self.args.exit_margin
        self.wait_for(lambda: not any(r.alive() for r in self.runs.values()), bound)
        self.checks.poll_runs()
        self.checks.after_teardown()

    # --- the run ---------------------------------------------------------------------------------
    def execute(self):
        args = self.args
        deadline = self.started + args.minutes * 60 if args.minutes else None
        self.setup()
        try:
            self.settle(initial=True)
            while True:
                if deadline is None and len(self.events) >= args.events:
                    break
                if deadline is not None and time.monotonic() >= deadline:
                    break
                event = self.plan.next()
                self.events.append(event)
                self.kinds[event.kind] += 1
                self.say(str(event))
                self.respawn_dead()
                getattr(self, "do_" + event.kind)(**event.params)
                self.checks.after_event(event)
                self.wait(event.gap)
                self.checks.after_event(event)
                if args.progress and len(self.events) % args.progress == 0 and not args.verbose:
                    print(f"  seed {self.seed}: {len(self.events)} events, {len(self.checks.violations)} violations, "
                          f"{time.monotonic() - self.started:.0f} s", flush=True)
            self.events_final = len(self.events)
            self.settle(initial=False)
            self.teardown()
        except Aborted:
            pass
        finally:
            if self.checks:
                self.checks.stop_sampler()
                self.checks.final_password_scan()
            self.close()

    def close(self):
        if self.world:
            self.world.kill_everything()
        if self.world and self.host and self.args.keep:
            with open(os.path.join(self.world.logs, "release-host-requests.json"), "w") as f:
                json.dump(self.host.requests(), f, indent=0)
            with open(os.path.join(self.world.logs, "events.txt"), "w") as f:
                f.write("".join(f"{line}\n" for line in self.s.lines()))
                f.write("".join(f"{event}\n" for event in self.events))
        for server in (self.node, self.host):
            if server:
                server.close()
        for run in self.all_runs:
            if run.pty_master is not None:
                try:
                    os.close(run.pty_master)
                except OSError:
                    pass
        if self.world:
            self.world.close()

    # --- healing and settling --------------------------------------------------------------------
    def heal(self):
        self.node.chain.heal()
        self.host.heal()
        if self.world.mounted:
            self.world.free_disk()
        for version in list(self.planted):
            self.unplant(version)
        for pid in list(self.stopped):
            self.cont(pid)
        for spec in self.s.specs:
            self.world.write_ctl(spec.name, crash_at_start=None)
        if self.garbage_state is not None:
            path = os.path.join(self.world.store, "state.json")
            try:
                with open(path) as f:
                    if f.read() == self.garbage_state:
                        os.remove(path)
            except OSError:
                pass
            self.garbage_state = None
        self.timers = [t for t in self.timers if not t[1].startswith(("end ", "free ", "unplant ", "SIGCONT "))]
        self.end_obstructions()

    def settle(self, initial):
        if not initial:
            self.heal()
        self.respawn_dead()
        self.checks.settle(initial)

    # --- events ----------------------------------------------------------------------------------
    def do_settle(self):
        self.settle(initial=False)

    def do_chain_raise(self, target, min):
        self.node.chain.proposals = [p for p in self.node.chain.proposals if vkey(p[1]) > vkey(target)]
        self.set_chain(target, min)

    do_chain_lower = do_min_raise = do_chain_raise

    def do_chain_flap(self, a, b, flips, period, final):
        states = [tuple(a.split("/")), tuple(b.split("/"))]
        for i in range(flips):
            self.set_chain(*states[i % 2])
            self.wait(period)
        self.set_chain(*final.split("/"))

    def do_proposal(self, target, min):
        self.node.chain.proposals = [(self.plan.index, target, min)]

    def do_node_fault(self, fault, seconds, seed):
        self.node.chain.set_fault(fault, seconds, seed)
        self.obstruct(seconds, f"node {fault}")
        if fault == "wrong_chain":
            now = time.monotonic()
            self.wrong_chain_windows.append((now, now + seconds))

    def do_mirror_fault(self, fault, version, seconds, seed):
        self.host.set_fault(None if version == "all" else version, fault, seconds, seed)
        self.obstruct(seconds, f"mirror {fault} {version}")

    def crash(self, name, status):
        pid = self.standin_of(name)
        if pid is None:
            self.note(f"{name} has no lavap running: nothing to crash")
            return None
        with open(os.path.join(self.world.ctl, f"{name}.crash"), "w") as f:
            f.write(str(status))
        self.cont(pid)
        try:
            os.kill(pid, signal.SIGUSR1)
        except OSError:
            return None
        return pid

    def do_lavap_crash(self, wrapper, status):
        self.crash(wrapper, status)

    def do_crash_loop(self, wrapper, status, seconds):
        self.world.write_ctl(wrapper, crash_at_start=status)
        self.obstruct(seconds + self.s.restart_max_delay, f"{wrapper} crash loop")
        self.crash(wrapper, status)
        self.schedule(seconds, f"end {wrapper}'s crash loop", lambda: self.world.write_ctl(wrapper, crash_at_start=None))

    def do_bad_version(self, version):
        if version != "none":
            open(os.path.join(self.world.ctl, f"bad-{version}"), "w").close()

    def do_lavap_hang(self, wrapper):
        pid = self.standin_of(wrapper)
        if pid is None:
            self.note(f"{wrapper} has no lavap running: nothing to hang")
            return
        os.kill(pid, signal.SIGUSR2)

    def do_lavap_sigstop(self, wrapper, seconds):
        pid = self.standin_of(wrapper)
        if pid is None:
            self.note(f"{wrapper} has no lavap running: nothing to stop")
            return
        os.kill(pid, signal.SIGSTOP)
        self.stopped[pid] = self.stopped_history[pid] = time.monotonic()
        self.schedule(seconds, f"SIGCONT {pid}", lambda: self.cont(pid))

    def cont(self, pid):
        if self.stopped.pop(pid, None) is not None:
            try:
                os.kill(pid, signal.SIGCONT)
            except OSError:
                pass

    def do_pw_mode(self, wrapper, mode):
        self.world.write_ctl(wrapper, pw=mode)

    def signal_run(self, run, number):
        # A signal in the first milliseconds after exec, before lavavisor's first instruction runs,
        # takes the default action (measured: up to about 5 ms with the debug build): that is not
        # what is tested here, so a fresh lavavisor gets a moment first.
        young = run.started + 0.2 - time.monotonic()
        if young > 0:
            time.sleep(young)
        run.signals.append((time.monotonic(), number))
        try:
            os.kill(run.pid, number)
        except OSError:
            pass

    def await_exit(self, run, bound):
        if not self.wait_for(lambda: not run.alive(), bound):
            self.checks.violation("liveness", f"{run.name} run {run.number} (pid {run.pid}) did not exit within "
                                  f"{bound:g} s of {self.signal_names(run)}; killing it", runs=[run])
            self.kill9(run, group=True)
        else:
            self.checks.poll_runs()

    @staticmethod
    def signal_names(run):
        return ", ".join(signal.Signals(n).name for _, n in run.signals)

    def do_wrapper_signal(self, wrapper, signal, respawn_after):
        run = self.runs[wrapper]
        number = SIGNALS[signal]
        if not run.alive():
            self.note(f"{wrapper} is not running: no {signal}")
            return
        if number == SIGNALS["SIGHUP"]:
            child = self.standin_of(wrapper)
            before = time.monotonic()
            self.signal_run(run, number)
            self.checks.hup_forwarded(run, child, before)
            return
        self.signal_run(run, number)
        self.await_exit(run, 2 * self.s.stop_timeout + self.args.exit_margin)
        self.wait(respawn_after)
        self.respawn_dead()

    def do_double_sigint(self, wrapper, between, respawn_after):
        run = self.runs[wrapper]
        if not run.alive():
            self.note(f"{wrapper} is not running: no SIGINT")
            return
        run.kill_allowed = True
        self.signal_run(run, signal.SIGINT)
        self.wait(between)
        if run.alive():
            self.signal_run(run, signal.SIGINT)
        self.await_exit(run, 2 * self.s.stop_timeout + self.args.exit_margin)
        self.wait(respawn_after)
        self.respawn_dead()

    def kill9(self, run, group=False):
        """SIGKILL to `run`'s lavavisor (with `group`, to its whole session's group), then the checks of its end."""
        run.killed = True
        try:
            (os.killpg if group else os.kill)(run.pid, signal.SIGKILL)
        except OSError:
            pass
        run.popen.wait()
        self.checks.poll_runs()

    def do_kill9(self, wrapper, respawn_after):
        run = self.runs[wrapper]
        if run.alive():
            self.kill9(run)
        self.wait(respawn_after)
        self.respawn_dead()

    def do_crash_kill9(self, wrapper, status, delay_ms, respawn_after):
        run = self.runs[wrapper]
        if self.crash(wrapper, status) is None or not run.alive():
            return
        time.sleep(delay_ms / 1000)
        self.kill9(run)
        self.wait(respawn_after)
        self.respawn_dead()

    def do_duplicate_wrap(self, wrapper):
        first = self.runs[wrapper]
        if not first.alive():
            self.note(f"{wrapper} is not running: no second wrap")
            return
        if "crash_at_start" in self.world.read_ctl(wrapper):
            # Its lavavisor ends by itself at the crash-loop limit, and the second one then rightly takes over.
            self.note(f"{wrapper}'s lavap is in a crash loop: no second wrap")
            return
        # The first must hold its claim: one just respawned may not have got as far yet, and the
        # second would rightly win the race.
        started = lambda: not first.alive() or any(m.startswith("started lavap") for m in first.messages())
        if not self.wait_for(started, 10) or not first.alive():
            self.note(f"{wrapper}'s lavavisor is not supervising yet: no second wrap")
            return
        child = self.standin_of(wrapper)
        spec = self.spec(wrapper)
        log = os.path.join(self.world.logs, f"{wrapper}.duplicate-{self.plan.index}.log")
        popen = self.world.spawn(self.wrapper_argv(spec, "file" if spec.password else None), log)
        self.checks.duplicate(first, child, popen, log)

    def side_command(self, words, name, timeout=60):
        log = os.path.join(self.world.logs, f"{name}-{self.plan.index}.log")
        begun = time.monotonic()
        popen = self.world.spawn([self.world.binary] + words + ["--directory", self.world.home], log)
        self.wait_for(lambda: popen.poll() is not None, timeout)
        if popen.poll() is None:
            self.checks.violation("liveness", f"'lavavisor {' '.join(words)}' did not end within {timeout} s; killing it")
            os.killpg(popen.pid, signal.SIGKILL)
            popen.wait()
        return popen.returncode, log, begun, time.monotonic()

    def source_flags(self):
        return ["--source", "github", "--release-url", self.host.base, "--platform", "linux/amd64",
                "--connect-timeout", "1", "--request-timeout", f"{self.s.request_timeout:g}"]

    def do_side_prune(self, keep):
        before = self.checks.store_snapshot()
        status, log, begun, ended = self.side_command(["prune", "--keep", str(keep)], "prune")
        after = self.checks.store_snapshot()
        self.checks.prune(keep, before, after, status, log, begun)

    def do_side_install(self, version):
        begun = time.monotonic()
        self.side_install_windows.append([begun, None])
        status, log, begun, ended = self.side_command(["install", version] + self.source_flags(), "install")
        self.side_install_windows[-1][1] = ended
        self.checks.install(version, status, log, begun, ended)

    def do_side_status(self):
        log = os.path.join(self.world.logs, f"status-{self.plan.index}.log")
        argv = [self.world.binary, "status", "--json", "--directory", self.world.home, "--chain-id", "lava",
                "--version-source", "rpc", "--node", self.node.url] + self.source_flags()
        begun = time.monotonic()
        with open(log, "wb") as err:
            popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err,
                                     start_new_session=True)
        with self.world.lock:
            self.world.popens.append(popen)
        try:
            out, _ = popen.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(popen.pid, signal.SIGKILL)
            out, _ = popen.communicate()
            self.checks.violation("liveness", "'lavavisor status' did not end within 60 s")
            return
        self.checks.status(popen.returncode, out, log, begun)

    def do_disk_full(self, leave, seconds):
        if not self.world.mounted:
            self.note(f"full disk not available: {self.world.disk_unavailable}")
            return
        free = self.world.fill_disk(leave)
        now = time.monotonic()
        self.disk_windows.append([now, now + seconds])
        self.obstruct(seconds, "full disk")
        self.say(f"disk filled: {free} bytes free")

        def free_it():
            self.world.free_disk()
            self.disk_windows[-1][1] = min(self.disk_windows[-1][1], time.monotonic())

        self.schedule(seconds, "free the disk", free_it)

    def do_plant_dir(self, version, seconds):
        folder = os.path.join(self.world.store, "upgrades", f"v{version}")
        if not os.path.isdir(os.path.dirname(folder)) or os.path.lexists(folder):
            self.note(f"{folder} exists (or no store yet): nothing planted")
            return
        try:
            os.makedirs(os.path.join(folder, "lavap"), mode=0o755)
        except OSError as error:
            self.note(f"cannot plant {folder}/lavap: {error}")
            return
        self.planted[version] = time.monotonic()
        self.obstruct(seconds, f"planted v{version}/lavap")
        self.schedule(seconds, f"unplant {version}", lambda: self.unplant(version))

    def unplant(self, version):
        if self.planted.pop(version, None) is None:
            return
        folder = os.path.join(self.world.store, "upgrades", f"v{version}")
        for path in (os.path.join(folder, "lavap"), folder):
            try:
                os.rmdir(path)
            except OSError:
                pass

    def do_garbage_state(self, text):
        if not os.path.isdir(self.world.store):
            self.note("no store yet: no state.json written")
            return
        path = os.path.join(self.world.store, "state.json")
        try:
            with open(path + ".chaos", "w") as f:
                f.write(text)
            os.replace(path + ".chaos", path)
            self.garbage_state = text
        except OSError as error:
            self.note(f"cannot write state.json: {error}")

    def do_dangling_current(self, to):
        if not os.path.isdir(self.world.store):
            self.note("no store yet: no current to break")
            return
        link = os.path.join(self.world.store, ".chaos-current")
        try:
            if os.path.lexists(link):
                os.remove(link)
            os.symlink(to, link)
            os.replace(link, os.path.join(self.world.store, "current"))
            self.dangling_at = time.monotonic()
        except OSError as error:
            self.note(f"cannot break current: {error}")

    # --- scenarios ---------------------------------------------------------------------------------
    def do_sigstop_switch(self, wrapper, target, min):
        """A switch must stop a SIGSTOPped lavap gracefully: SIGTERM is acted on only once continued."""
        pid = self.standin_of(wrapper)
        if pid is not None:
            os.kill(pid, signal.SIGSTOP)
            self.stopped[pid] = self.stopped_history[pid] = time.monotonic()
            self.schedule(3 * self.s.stop_timeout + 2, f"SIGCONT {pid}", lambda: self.cont(pid))
        else:
            self.note(f"{wrapper} has no lavap running: nothing to stop")
        self.set_chain(target, min)

    def do_plant_raise(self, target, min, seconds):
        """A folder at upgrades/vX.Y.Z/lavap, then the chain asks for X.Y.Z: it is not an installed version."""
        self.do_plant_dir(target, seconds)
        self.set_chain(target, min)

    def do_dangling_prune(self, to, keep):
        self.do_dangling_current(to)
        self.do_side_prune(keep)

    def do_raise_prune(self, target, min, delay_ms):
        """A switch and a prune --keep 0 at about the same time."""
        self.set_chain(target, min)
        time.sleep(delay_ms / 1000)
        self.do_side_prune(0)

    def do_full_rollback(self, version, min, leave, seconds):
        """A broken version on a disk that fills up once it is installed: the bad mark cannot be written."""
        if version == "none":
            self.note("the chain is at the newest version: no broken version to roll back from")
            return
        self.do_bad_version(version)
        self.set_chain(version, min)
        if not self.world.mounted:
            self.note(f"full disk not available: {self.world.disk_unavailable}")
            return
        digest = self.host.digests[version]
        self.wait_for(lambda: self.world.installed_age(version, digest) is not None, 4 * self.s.poll + 10)
        self.do_disk_full(leave, seconds)

    def do_pw_block(self, wrapper, status):
        """The password wrapper's next lavap never reads its stdin (with a 64 KiB password the pipe fills)."""
        self.world.write_ctl(wrapper, pw="ignore")
        self.crash(wrapper, status)
