"""The chaos soak's plan: the run's settings and its events, drawn from random.Random(seed) alone.

Nothing here looks at the clock or at what lavavisor did: the same seed gives the same settings
and the same event list, whatever the timing. The generator keeps a model of what the soak itself
decided (the chain's versions, the broken versions, the planted folders) to draw sensible values.
"""
import random
import string

EVENT_WEIGHTS = {
    "chain_raise": 10, "chain_lower": 3, "min_raise": 4, "chain_flap": 3, "proposal": 2,
    "node_fault": 8, "mirror_fault": 6,
    "lavap_crash": 6, "crash_loop": 2, "bad_version": 1, "lavap_hang": 2, "lavap_sigstop": 3, "pw_mode": 2,
    "wrapper_signal": 4, "double_sigint": 1, "kill9": 4, "crash_kill9": 2, "duplicate_wrap": 3,
    "side_prune": 3, "side_install": 2, "side_status": 1,
    "disk_full": 2, "plant_dir": 1, "garbage_state": 1, "dangling_current": 1,
    # Scenarios: two of the above at once, where races are known to hide.
    "sigstop_switch": 2, "plant_raise": 1, "dangling_prune": 1, "raise_prune": 2, "full_rollback": 1, "pw_block": 1,
}
SETTLE_EVERY = 12
NODE_FAULTS = ["5xx", "garbage", "timeout", "wrong_chain", "ws_drop"]
MIRROR_FAULTS = ["404", "corrupt", "truncated", "slow"]


class Spec:
    """One wrapper: a command of its own on the shared store."""

    def __init__(self, name, role, fetcher, kind, restart, password):
        self.name, self.role, self.fetcher, self.kind, self.restart, self.password = name, role, fetcher, kind, restart, password

    def describe(self):
        parts = [self.kind, self.role]
        if self.fetcher and self.kind == "wrap":
            parts.append("--auto-download")
        if self.restart != "always":
            parts.append(f"--restart {self.restart}")
        if self.password:
            parts.append({"file": "--keyring-password-file", "prompt": "--enter-keyring-password (pty)"}[self.password])
        return " ".join(parts)


class Settings:
    """What the seed decides before the first event."""

    def __init__(self, rng, pool_size):
        self.poll = rng.choice([1.0, 1.5, 2.0])
        self.block_time = rng.choice([1.0, 2.0, 3.0])
        self.stop_timeout = rng.choice([1.5, 2.0, 3.0])
        self.restart_reset_after = rng.choice([3.0, 4.0])
        self.crash_loop_limit = rng.choice([2, 3])
        self.restart_max_delay = 2.0
        self.upgrade_probation = 2
        self.request_timeout = 2.0
        count = rng.choice([2, 3, 3, 4])
        fetcher_kind = "pod" if rng.random() < 0.3 else "wrap"
        roles = ["rpcprovider", "rpcconsumer"]
        self.specs = []
        password_at = rng.randrange(count)
        for i in range(count):
            password = None
            if i == password_at:
                password = "prompt" if (i != 0 or fetcher_kind == "wrap") and rng.random() < 0.3 else "file"
            restart = "never" if i > 0 and rng.random() < 0.15 else "always"
            self.specs.append(Spec(f"w{i}", roles[i % 2], i == 0, fetcher_kind if i == 0 else "wrap", restart, password))
        prompt = any(s.password == "prompt" for s in self.specs)
        # A terminal line holds at most 4095 bytes; a file up to 64 KiB (65536 fills a pipe to the byte).
        length = rng.choice([12, 40, 200] if prompt else [12, 40, 4096, 65536, 65536])
        alphabet = string.ascii_letters + string.digits + "!#%+,-./:=@^_~"
        marker = "pw-" + "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(20))
        self.password = (marker + "".join(rng.choice(alphabet) for _ in range(max(0, length - len(marker)))))[:length]
        self.pool = pool(rng, pool_size)
        self.asset_sizes = {v: rng.randrange(100_000, 400_000) for v in self.pool}
        self.start_target = rng.randrange(2, 5)
        self.start_min = rng.randrange(0, self.start_target + 1)

    def lines(self):
        yield (f"poll {self.poll:g} s, blocks every {self.block_time:g} s, stop timeout {self.stop_timeout:g} s, "
               f"reset after {self.restart_reset_after:g} s, crash-loop limit {self.crash_loop_limit}, "
               f"probation {self.upgrade_probation}, password {len(self.password)} bytes")
        for spec in self.specs:
            yield f"{spec.name}: {spec.describe()}"
        yield (f"versions {self.pool[0]} .. {self.pool[-1]} ({len(self.pool)}), chain starts at target "
               f"{self.pool[self.start_target]} min {self.pool[self.start_min]}")


def pool(rng, size):
    """`size` increasing X.Y.Z versions with the steps releases take (patches of 10 and over too)."""
    major, minor, patch = rng.randrange(1, 6), rng.randrange(0, 30), rng.randrange(0, 5)
    out = []
    for _ in range(size):
        out.append(f"{major}.{minor}.{patch}")
        step = rng.random()
        if step < 0.7:
            patch += rng.choice([1, 1, 1, 2, 9])
        elif step < 0.95:
            minor, patch = minor + 1, 0
        else:
            major, minor, patch = major + 1, 0, 0
    return out


class Event:
    def __init__(self, index, kind, gap, **params):
        self.index, self.kind, self.gap, self.params = index, kind, gap, params

    def __str__(self):
        params = " ".join(f"{k}={v}" for k, v in self.params.items())
        return f"#{self.index} {self.kind} {params}".rstrip() + f" (then {self.gap:.2f} s)"


class Plan:
    """Draws the settings, then one event at a time; the model follows only the soak's own decisions."""

    def __init__(self, seed, pool_size):
        self.rng = random.Random(seed)
        self.settings = Settings(self.rng, pool_size)
        self.target, self.minimum = self.settings.start_target, self.settings.start_min
        self.bad = set()  # indexes of broken versions
        self.index = 0
        self.kinds = list(EVENT_WEIGHTS)
        self.weights = [EVENT_WEIGHTS[k] for k in self.kinds]

    @property
    def pool(self):
        return self.settings.pool

    def version(self, i):
        return self.pool[max(0, min(i, len(self.pool) - 1))]

    def wrapper(self):
        return self.rng.choice(self.settings.specs).name

    def good_min(self, low, high):
        """A minimum in [low, high] that is not a broken version (the chain's minimum must be runnable)."""
        choices = [i for i in range(low, high + 1) if i not in self.bad]
        return self.rng.choice(choices) if choices else low

    def next(self):
        self.index += 1
        rng, i = self.rng, self.index
        if i % SETTLE_EVERY == 0:
            return Event(i, "settle", 0.0)
        kind = rng.choices(self.kinds, self.weights)[0]
        gap = round(rng.uniform(0.2, 2.5), 2)
        top = len(self.pool) - 1
        p = {}
        if kind == "chain_raise":
            self.target = min(top, self.target + rng.choice([1, 1, 2, 3]))
            if rng.random() < 0.5:
                self.minimum = self.good_min(self.minimum, max(self.minimum, self.target - (1 if self.target in self.bad else 0)))
            p = dict(target=self.version(self.target), min=self.version(self.minimum))
        elif kind == "chain_lower":
            self.target = max(self.minimum, self.target - rng.choice([1, 2]))
            if rng.random() < 0.3 and self.minimum - 1 >= 0 and self.minimum - 1 not in self.bad:
                self.minimum -= 1
            p = dict(target=self.version(self.target), min=self.version(self.minimum))
        elif kind == "min_raise":
            self.minimum = self.good_min(self.minimum, self.target if self.target not in self.bad else self.target - 1)
            p = dict(target=self.version(self.target), min=self.version(self.minimum))
        elif kind == "chain_flap":
            other = min(top, self.target + 1)
            flips, period = rng.randrange(2, 7), round(rng.uniform(0.1, 1.5), 2)
            first = (self.version(self.target), self.version(self.minimum))
            second = (self.version(other), self.version(self.minimum))
            if rng.random() < 0.5:
                self.target = other
            p = dict(a=f"{first[0]}/{first[1]}", b=f"{second[0]}/{second[1]}", flips=flips, period=period,
                     final=f"{self.version(self.target)}/{self.version(self.minimum)}")
        elif kind == "proposal":
            p = dict(target=self.version(self.target + rng.choice([1, 2])), min=self.version(self.minimum))
        elif kind == "node_fault":
            p = dict(fault=rng.choice(NODE_FAULTS), seconds=round(rng.uniform(1, 8), 1), seed=rng.randrange(1 << 30))
        elif kind == "mirror_fault":
            scope = None if rng.random() < 0.4 else self.version(self.target + rng.randrange(0, 4))
            p = dict(fault=rng.choice(MIRROR_FAULTS), version=scope or "all", seconds=round(rng.uniform(2, 15), 1),
                     seed=rng.randrange(1 << 30))
        elif kind == "lavap_crash":
            p = dict(wrapper=self.wrapper(), status=rng.randrange(1, 126))
        elif kind == "crash_loop":
            p = dict(wrapper=self.wrapper(), status=rng.randrange(1, 126), seconds=round(rng.uniform(5, 20), 1))
        elif kind == "bad_version":
            candidates = [j for j in range(self.target + 1, min(top, self.target + 3) + 1) if j not in self.bad]
            if candidates:
                j = rng.choice(candidates)
                self.bad.add(j)
                p = dict(version=self.version(j))
            else:
                p = dict(version="none")
        elif kind == "lavap_hang":
            p = dict(wrapper=self.wrapper())
        elif kind == "lavap_sigstop":
            p = dict(wrapper=self.wrapper(), seconds=round(rng.uniform(1, 10), 1))
        elif kind == "pw_mode":
            p = dict(wrapper=self.wrapper(), mode=rng.choice(["read", "read", "ignore", "late"]))
        elif kind == "wrapper_signal":
            p = dict(wrapper=self.wrapper(), signal=rng.choice(["SIGTERM", "SIGINT", "SIGHUP", "SIGHUP"]),
                     respawn_after=round(rng.uniform(0, 2), 2))
        elif kind == "double_sigint":
            p = dict(wrapper=self.wrapper(), between=round(rng.uniform(0.05, 0.5), 2), respawn_after=round(rng.uniform(0, 2), 2))
        elif kind == "kill9":
            p = dict(wrapper=self.wrapper(), respawn_after=round(rng.uniform(0, 3), 2))
        elif kind == "crash_kill9":
            p = dict(wrapper=self.wrapper(), status=rng.randrange(1, 126), delay_ms=rng.randrange(0, 40),
                     respawn_after=round(rng.uniform(0, 2), 2))
        elif kind == "duplicate_wrap":
            p = dict(wrapper=self.wrapper())
        elif kind == "side_prune":
            p = dict(keep=rng.choice([0, 0, 1, 2]))
        elif kind == "side_install":
            p = dict(version=self.version(self.target + rng.randrange(-2, 4)))
        elif kind == "disk_full":
            p = dict(leave=rng.choice([0, 4096, 1 << 20, 70 << 20]), seconds=round(rng.uniform(3, 15), 1))
        elif kind == "plant_dir":
            p = dict(version=self.version(self.target + rng.randrange(1, 4)), seconds=round(rng.uniform(3, 20), 1))
        elif kind == "garbage_state":
            p = dict(text=rng.choice(['{"bad": [', "not json at all", '{"bad": [{"version": 7}]}', "\u0000\u0001\u0002"]))
        elif kind == "dangling_current":
            p = dict(to=rng.choice(["upgrades/v99.99.99", "upgrades/v0.0.1", "nowhere"]))
        elif kind == "sigstop_switch":
            self.target = min(top, self.target + 1)
            p = dict(wrapper=self.wrapper(), target=self.version(self.target), min=self.version(self.minimum))
        elif kind == "plant_raise":
            self.target = min(top, self.target + 1)
            p = dict(target=self.version(self.target), min=self.version(self.minimum), seconds=round(rng.uniform(5, 20), 1))
        elif kind == "dangling_prune":
            p = dict(to=rng.choice(["upgrades/v99.99.99", "nowhere"]), keep=rng.choice([0, 1]))
        elif kind == "raise_prune":
            self.target = min(top, self.target + 1)
            p = dict(target=self.version(self.target), min=self.version(self.minimum), delay_ms=rng.randrange(0, 1500))
        elif kind == "full_rollback":
            version = "none"  # at the top of the pool there is no new version to break
            if self.target < top:
                self.target += 1
                self.bad.add(self.target)
                version = self.version(self.target)
            p = dict(version=version, min=self.version(self.minimum), leave=rng.choice([0, 4096]),
                     seconds=round(rng.uniform(5, 15), 1))
        elif kind == "pw_block":
            name = next((s.name for s in self.settings.specs if s.password), self.settings.specs[0].name)
            p = dict(wrapper=name, status=rng.randrange(1, 126))
        return Event(i, kind, gap, **p)
