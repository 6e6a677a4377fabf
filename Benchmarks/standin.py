"""The one stand-in lavap every benchmark runs: a small C program, compiled here with cc.

It is NOT the real Lava binary. Its version is compiled in (-DVERSION), and:
  lavap version                 prints the version (what lavavisor's store checks before installing)
  lavap emit BYTES EVENTS       writes BYTES to stdout in 64 KiB writes, then exits 0
  lavap ANYTHING... EVENTS      waits for SIGTERM or SIGINT, then exits 0
and appends to the file EVENTS (the last argument) one line per event, "WHAT PID NS VERSION", NS
being CLOCK_MONOTONIC in ns (the clock of Python's time.monotonic_ns): "start" as main() begins,
"term" when SIGTERM or SIGINT arrives (taken in the handler), "exit" just before it returns.
"""
import os, shutil, subprocess

SOURCE = r"""
/* STAND-IN for lavap, for lavavisor's Benchmarks: NOT the real Lava binary. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got_term;
static struct timespec term_at;

static void on_term(int sig) { (void)sig; clock_gettime(CLOCK_MONOTONIC, &term_at); got_term = 1; }

static void record(const char *path, const char *what, const struct timespec *at) {
    char line[160];
    int n = snprintf(line, sizeof line, "%s %ld %lld %s\n", what, (long)getpid(),
                     (long long)at->tv_sec * 1000000000LL + at->tv_nsec, VERSION);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) { (void)!write(fd, line, (size_t)n); close(fd); }
}

static void now(struct timespec *at) { clock_gettime(CLOCK_MONOTONIC, at); }

int main(int argc, char **argv) {
    struct timespec at;
    now(&at);
    if (argc > 1 && strcmp(argv[1], "version") == 0) { puts(VERSION); return 0; }
    if (argc < 3) { fputs("usage: lavap version | lavap emit BYTES EVENTS | lavap ... EVENTS\n", stderr); return 2; }
    const char *events = argv[argc - 1];
    record(events, "start", &at);
    if (strcmp(argv[1], "emit") == 0) {
        static char block[65536];
        memset(block, 'x', sizeof block);
        long long left = atoll(argv[2]);
        while (left > 0) {
            size_t n = left < (long long)sizeof block ? (size_t)left : sizeof block;
            ssize_t w = write(1, block, n);
            if (w < 0) return 1;
            left -= w;
        }
        now(&at);
        record(events, "exit", &at);
        return 0;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    while (!got_term) sigsuspend(&old);
    record(events, "term", &term_at);
    now(&at);
    record(events, "exit", &at);
    return 0;
}
"""


def compiler():
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        raise SystemExit("no C compiler for the stand-in lavap: apt-get install gcc (or put cc on PATH)")
    return cc


def build(work, version, folder=None):
    """Compiles the stand-in for `version` into FOLDER/vVERSION/lavap (FOLDER: WORK/bin); returns its path."""
    folder = os.path.join(folder or os.path.join(work, "bin"), f"v{version}")
    os.makedirs(folder, exist_ok=True)
    source = os.path.join(work, "standin.c")
    with open(source, "w") as f:
        f.write(SOURCE)
    path = os.path.join(folder, "lavap")
    subprocess.run([compiler(), "-O2", f'-DVERSION="{version}"', "-o", path, source], check=True)
    return path


def pad(path, size):
    """Appends filler to the executable at `path` up to `size` bytes (an ELF file still runs with a tail)."""
    line = b"stand-in lavap padding, not the real Lava binary " * 20 + b"\n"
    with open(path, "ab") as f:
        written = f.tell()
        while written + len(line) <= size:
            f.write(line)
            written += len(line)
        f.write(b"\n" * (size - written))
    return size


def records(events):
    """The stand-in's records in EVENTS as (what, pid, ns, version) tuples."""
    try:
        with open(events) as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return []
    out = []
    for line in lines:
        parts = line.split()
        if len(parts) == 4:
            out.append((parts[0], int(parts[1]), int(parts[2]), parts[3]))
    return out


def versions_file(path, version):
    """Writes a versions file demanding `version` for both roles (lavavisor's `file` version source)."""
    with open(path, "w") as f:
        f.write("".join(f'{k}: "{version}"\n' for k in ["provider_target", "provider_min", "consumer_target", "consumer_min"]))
    return path


def built_binary(path):
    """The absolute path of a built lavavisor; exits saying how to build it when there is none."""
    binary = os.path.abspath(path)
    if not os.access(binary, os.X_OK):
        raise SystemExit(f"{binary} is not built: run 'swift build -c release --product lavavisor' first, or pass --binary")
    return binary
