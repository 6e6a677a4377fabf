"""The chaos soak's world: its temp folder, the store (on a small tmpfs when it can be mounted), the
processes it starts and their cleanup, and what it reads back (/proc, the store, the stand-ins'
records, lavavisor's JSON logs).
"""
import ctypes, errno, hashlib, json, os, re, shutil, signal, stat, subprocess, tempfile, threading, time

import chaos_standin

TMPFS_SIZE = 256 << 20
VERSION_DIR = re.compile(r"^v(\d+)\.(\d+)\.(\d+)$")
STAGING_NAME = re.compile(r"^(removing-)?v\d+\.\d+\.\d+\..+$")
PROGRESS = re.compile(r'"message":"downloading [^"]*: \d+%"')


def vkey(version):
    return tuple(int(p) for p in version.split("."))


def become_subreaper():
    """Orphans (a killed lavavisor's lavap) come to this process, so none escapes the cleanup."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except OSError:
        return False


def mount_tmpfs(path, size):
    """Mounts a tmpfs of `size` bytes at `path`; returns None, or why it cannot."""
    if os.environ.get("CHAOS_SOAK_NS") != "1":
        return os.environ.get("CHAOS_SOAK_NO_NS", "the soak is not in a mount namespace of its own")
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=755", "tmpfs", path],
                            capture_output=True, text=True)
    if result.returncode != 0:
        return f"mount -t tmpfs failed: {result.stderr.strip() or result.returncode}"
    return None


def proc_table():
    """pid -> (state, ppid, start time in ticks, comm) for every process (comm changes at exec)."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                text = f.read()
        except OSError:
            continue
        fields = text[text.rfind(")") + 2:].split()
        if len(fields) > 19:
            table[int(name)] = (fields[0], int(fields[1]), int(fields[19]), text[text.find("(") + 1:text.rfind(")")])
    return table


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return []


class Run:
    """One lavavisor process the soak started for a wrapper (a wrapper is respawned as new runs)."""

    def __init__(self, spec, number, popen, log, started, pty_master=None):
        self.spec, self.number, self.popen, self.log, self.started = spec, number, popen, log, started
        self.pid = popen.pid
        self.pty_master = pty_master
        self.signals = []  # (monotonic s, signal number) sent by the soak
        self.killed = False  # kill -9 by the soak
        self.kill_allowed = False  # a double SIGINT: lavap may be killed at once
        self.exited = None  # monotonic s when seen ended
        self.checked = False
        self._lines, self._offset, self._partial = [], 0, b""

    @property
    def name(self):
        return self.spec.name

    def alive(self):
        return self.popen.poll() is None

    def log_lines(self):
        """lavavisor's JSON log lines so far, read incrementally (the stand-in writes nothing to its output)."""
        try:
            with open(self.log, "rb") as f:
                f.seek(self._offset)
                data = f.read()
        except OSError:
            return self._lines
        self._offset += len(data)
        data = self._partial + data
        *complete, self._partial = data.split(b"\n")
        for raw in complete:
            line = raw.decode(errors="replace").strip()
            if line.startswith("{"):
                try:
                    self._lines.append(json.loads(line))
                    continue
                except ValueError:
                    pass
            if line:
                self._lines.append({"message": line, "level": "raw"})
        return self._lines

    def messages(self):
        return [line.get("message", "") for line in self.log_lines()]

    def tail(self, n=14, width=400):
        """The last lines of the log, without download progress lines, each cut to `width` characters."""
        try:
            with open(self.log, errors="replace") as f:
                lines = [l for l in f.read().splitlines() if not PROGRESS.search(l)]
        except OSError:
            return []
        return [l if len(l) <= width else l[:width] + " …" for l in lines[-n:]]


class World:
    """The temp folder, the fakes' neighbours and every process of one seed's run."""

    def __init__(self, binary, token, keep):
        self.work = tempfile.mkdtemp(prefix="lavavisor-chaos-")
        os.chmod(self.work, 0o755)
        self.token, self.keep = token, keep
        self.binary = os.path.join(self.work, "lavavisor")
        shutil.copy2(binary, self.binary)  # the main build is rebuilt under us: a private copy
        self.ctl = os.path.join(self.work, "ctl")
        self.logs = os.path.join(self.work, "logs")
        self.secret_dir = os.path.join(self.work, "secret")
        for folder in (self.ctl, self.logs, self.secret_dir):
            os.makedirs(folder)
        os.chmod(self.secret_dir, 0o700)
        self.fs = os.path.join(self.work, "fs")
        os.makedirs(self.fs)
        self.disk_unavailable = mount_tmpfs(self.fs, TMPFS_SIZE)
        self.mounted = self.disk_unavailable is None
        self.home = os.path.join(self.fs, "home")
        os.makedirs(self.home)
        self.store = os.path.join(self.home, ".lavavisor")
        self.ballast = os.path.join(self.fs, "ballast")
        self.popens = []
        self.lock = threading.Lock()
        self.cmdlines = {}  # (pid, start) -> argv
        self.hashes = {}  # (path, ino, size, mtime) -> sha256
        self.events_cache = {}  # name -> (size, records)

    # --- processes -------------------------------------------------------------------------
    def spawn(self, argv, log, stdin=subprocess.DEVNULL):
        """Starts `argv` in a session of its own, output to `log`; remembered for the cleanup."""
        with open(log, "ab") as out:
            popen = subprocess.Popen(argv, stdin=stdin, stdout=out, stderr=out, start_new_session=True,
                                     env={**os.environ, "CHAOS_SOAK_CHILD": "1"})
        with self.lock:
            self.popens.append(popen)
        return popen

    def popen_pids(self):
        with self.lock:
            return {p.pid for p in self.popens}

    def reap_orphans(self):
        """Reaps zombies handed to this process (it is a subreaper) that are not its own Popen children."""
        mine, me = self.popen_pids(), os.getpid()
        for pid, (state, ppid, _, _) in proc_table().items():
            if ppid == me and state == "Z" and pid not in mine:
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass

    def standins(self, table=None):
        """pid -> (name, state, ppid) of every stand-in of this run (found by the token in its argv)."""
        table = table or proc_table()
        out, token = {}, self.token.encode()
        for pid, (state, ppid, start, comm) in table.items():
            key = (pid, start, comm)  # a forked process keeps pid and start time across exec, not its comm
            argv = self.cmdlines.get(key)
            if argv is None:
                argv = cmdline(pid)
                if argv:
                    self.cmdlines[key] = argv
            if argv and token in argv:
                name = argv[argv.index(b"--chaos-name") + 1].decode() if b"--chaos-name" in argv else "?"
                out[pid] = (name, state, ppid)
        if len(self.cmdlines) > 20000:
            self.cmdlines.clear()
        return out

    def kill_everything(self):
        """SIGKILL to every process group the soak started and to every stand-in left; then reaps."""
        with self.lock:
            popens = list(self.popens)
        for popen in popens:
            if popen.poll() is None:
                try:
                    os.killpg(popen.pid, signal.SIGKILL)
                except OSError:
                    pass
        for _ in range(3):
            for pid in self.standins():
                try:
                    os.kill(pid, signal.SIGCONT)
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.05)
        for popen in popens:
            try:
                popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self.reap_orphans()

    def close(self):
        self.kill_everything()
        if self.keep and self.mounted:
            # The tmpfs goes with the namespace: what the store held is copied out first.
            shutil.copytree(self.home, os.path.join(self.work, "store-copy"), symlinks=True,
                            ignore_dangling_symlinks=True, dirs_exist_ok=True)
        if self.mounted:
            subprocess.run(["umount", "-l", self.fs], capture_output=True)
        if not self.keep:
            shutil.rmtree(self.work, ignore_errors=True)

    # --- the stand-ins' records ---------------------------------------------------------------
    def records(self, name):
        path = os.path.join(self.ctl, f"{name}.events")
        try:
            size = os.path.getsize(path)
        except OSError:
            return []
        cached = self.events_cache.get(name)
        if cached and cached[0] == size:
            return cached[1]
        records = chaos_standin.events(path)
        self.events_cache[name] = (size, records)
        return records

    def write_ctl(self, name, **values):
        path = os.path.join(self.ctl, f"{name}.ctl")
        current = {}
        try:
            with open(path) as f:
                for line in f:
                    if "=" in line:
                        k, v = line.strip().split("=", 1)
                        current[k] = v
        except FileNotFoundError:
            pass
        for k, v in values.items():
            if v is None:
                current.pop(k, None)
            else:
                current[k] = str(v)
        temporary = path + ".tmp"
        with open(temporary, "w") as f:
            f.write("".join(f"{k}={v}\n" for k, v in current.items()))
        os.replace(temporary, path)

    def read_ctl(self, name):
        try:
            with open(os.path.join(self.ctl, f"{name}.ctl")) as f:
                return dict(line.strip().split("=", 1) for line in f if "=" in line)
        except FileNotFoundError:
            return {}

    # --- the store ---------------------------------------------------------------------------
    def sha256(self, path):
        try:
            info = os.stat(path)
        except OSError:
            return None
        key = (path, info.st_ino, info.st_size, info.st_mtime_ns)
        if key not in self.hashes:
            digest = hashlib.sha256()
            try:
                with open(path, "rb") as f:
                    while chunk := f.read(1 << 20):
                        digest.update(chunk)
            except OSError:
                return None
            self.hashes[key] = digest.hexdigest()
        return self.hashes[key]

    def installed_age(self, version, digest):
        """Seconds since `upgrades/vVERSION` got its verified binary; None when it is not there."""
        folder = os.path.join(self.store, "upgrades", f"v{version}")
        binary = os.path.join(folder, "lavap")
        try:
            info = os.lstat(binary)
            if not stat.S_ISREG(info.st_mode) or self.sha256(binary) != digest:
                return None
            return time.time() - os.lstat(folder).st_ctime
        except OSError:
            return None

    def current_link(self):
        """(link text, version or None) of `current`; (None, None) when there is none."""
        try:
            text = os.readlink(os.path.join(self.store, "current"))
        except OSError:
            return None, None
        match = re.match(r"^upgrades/v(\d+\.\d+\.\d+)/?$", text)
        return text, match.group(1) if match else None

    def run_record(self, key):
        try:
            with open(os.path.join(self.store, "run", f"{key}.json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def state_marks(self):
        """The bad-version marks of state.json as (version, target) pairs; None when it cannot be read."""
        try:
            with open(os.path.join(self.store, "state.json")) as f:
                state = json.load(f)
            return {(m["version"], m["target"]) for m in state.get("bad", [])}
        except FileNotFoundError:
            return set()
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    # --- the full disk -----------------------------------------------------------------------
    def fill_disk(self, leave):
        """Fills the tmpfs with a ballast file, leaving about `leave` bytes free."""
        info = os.statvfs(self.fs)
        free = info.f_bavail * info.f_frsize
        size = max(0, free - leave)
        fd = os.open(self.ballast, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            try:
                if size > 0:
                    os.posix_fallocate(fd, os.fstat(fd).st_size, size)
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
            if leave == 0:
                block = b"\0" * 65536
                try:
                    while True:
                        os.write(fd, block)
                except OSError:
                    pass
        finally:
            os.close(fd)
        info = os.statvfs(self.fs)
        return info.f_bavail * info.f_frsize

    def free_disk(self):
        try:
            os.remove(self.ballast)
            return True
        except FileNotFoundError:
            return False
