"""The chaos soak's stand-in lavap: a variant of standin.py's C program that can be told to crash,
hang, ignore its stdin or read the keyring password, and that says who it is in its argv.

It is NOT the real Lava binary. One build is compiled with cc; every version is a copy of it with
its version written into a fixed slot (`VERSION_SLOT` below), so a pool of a hundred versions costs
one compile. Each copy is padded to a size of its own, so that a slow or cut mirror matters.

  lavap version                  prints the version
  lavap ROLE CONFIG ... --chaos-dir DIR --chaos-name NAME --chaos-run TOKEN
                                 runs until SIGTERM or SIGINT (exit 0), as a lavap would

What it does is read from DIR at start (nothing but files the soak writes):
  DIR/NAME.ctl     lines key=value: `crash_at_start=CODE` (exit at once with CODE: a crash loop),
                   `pw=read|ignore|late` (read one line from stdin at start, never, or after 1 s)
  DIR/bad-VERSION  this version is broken: every start of it exits at once with status 66
  DIR/NAME.crash   read on SIGUSR1: the status to exit with (a crash)
Signals: SIGTERM/SIGINT end it with status 0 (ignored once SIGUSR2 put it in hang mode), SIGHUP is
recorded and ignored, SIGUSR1 crashes it, SIGUSR2 makes it hang (ignore SIGTERM and SIGINT).
Every event is appended to DIR/NAME.events as one line (written with one write(2), O_APPEND):
  WHAT PID PPID VERSION NS [DETAIL]
with NS on CLOCK_MONOTONIC (Python's time.monotonic_ns): start (DETAIL: pw=MODE), pw (DETAIL: FNV-1a 64 of the line
and its length, never the line), pw-eof, pw-cut, hup, hang, term, term-ignored, exit (DETAIL: the status).
"""
import os, subprocess

from standin import compiler

VERSION_SLOT = b"@@CHAOS-LAVAP-VERSION-SLOT@@"

SOURCE = r"""
/* STAND-IN for lavap, for lavavisor's chaos soak: NOT the real Lava binary. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const volatile char slot[40] = "@@CHAOS-LAVAP-VERSION-SLOT@@";
static char version[40];
static const char *dir = ".", *name = "lavap";
static volatile sig_atomic_t got_term, got_hup, got_crash, got_hang;
static int hang;

static void on_signal(int sig) {
    if (sig == SIGTERM || sig == SIGINT) got_term = sig;
    else if (sig == SIGHUP) got_hup = 1;
    else if (sig == SIGUSR1) got_crash = 1;
    else if (sig == SIGUSR2) got_hang = 1;
}

static long long now_ns(void) {
    struct timespec at;
    clock_gettime(CLOCK_MONOTONIC, &at);
    return (long long)at.tv_sec * 1000000000LL + at.tv_nsec;
}

static void path_of(char *out, size_t size, const char *suffix) { snprintf(out, size, "%s/%s%s", dir, name, suffix); }

static void record(const char *what, const char *detail) {
    char path[4096], line[512];
    path_of(path, sizeof path, ".events");
    int n = snprintf(line, sizeof line, "%s %ld %ld %s %lld%s%s\n", what, (long)getpid(), (long)getppid(), version,
                     now_ns(), detail ? " " : "", detail ? detail : "");
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) { (void)!write(fd, line, (size_t)n); close(fd); }
}

static void leave(int status) {
    char detail[32];
    snprintf(detail, sizeof detail, "%d", status);
    record("exit", detail);
    _exit(status);
}

static int read_file(const char *path, char *buf, size_t size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n < 0) return -1;
    buf[n] = 0;
    return (int)n;
}

/* The value of `key=` in the control file, or NULL. */
static const char *control(const char *text, const char *key, char *out, size_t size) {
    size_t k = strlen(key);
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, key, k) == 0 && line[k] == '=') {
            size_t i = 0;
            for (const char *v = line + k + 1; *v && *v != '\n' && i + 1 < size; v++) out[i++] = *v;
            out[i] = 0;
            return out;
        }
    }
    return NULL;
}

/* Reads one line from stdin; records its FNV-1a 64 and length (never the bytes), or pw-eof. */
static void read_password(void) {
    uint64_t hash = 1469598103934665603ULL;
    long length = 0;
    for (;;) {
        char c;
        ssize_t n = read(0, &c, 1);
        if (n < 0 && errno == EINTR) { if (got_term && !hang) return; continue; }
        if (n <= 0) { record(length ? "pw-cut" : "pw-eof", NULL); return; }
        if (c == '\n') break;
        hash = (hash ^ (unsigned char)c) * 1099511628211ULL;
        length++;
    }
    char detail[64];
    snprintf(detail, sizeof detail, "%016llx %ld", (unsigned long long)hash, length);
    record("pw", detail);
}

int main(int argc, char **argv) {
    for (int i = 0; i < 39; i++) version[i] = slot[i];
    version[39] = 0;
    if (argc > 1 && strcmp(argv[1], "version") == 0) { puts(version); return 0; }
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--chaos-dir") == 0) dir = argv[i + 1];
        if (strcmp(argv[i], "--chaos-name") == 0) name = argv[i + 1];
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    int handled[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2};
    for (size_t i = 0; i < sizeof handled / sizeof *handled; i++) sigaction(handled[i], &sa, NULL);
    char path[4096], text[4096], value[64], mode[64], detail[80];
    path_of(path, sizeof path, ".ctl");
    if (read_file(path, text, sizeof text) < 0) text[0] = 0;
    const char *pw = control(text, "pw", mode, sizeof mode) ? mode : "read";
    snprintf(detail, sizeof detail, "pw=%s", pw);
    record("start", detail);
    snprintf(path, sizeof path, "%s/bad-%s", dir, version);
    if (access(path, F_OK) == 0) leave(66);
    if (control(text, "crash_at_start", value, sizeof value)) leave(atoi(value));
    if (strcmp(pw, "late") == 0) { struct timespec second = {1, 0}; nanosleep(&second, NULL); }
    if (strcmp(pw, "ignore") != 0) read_password();

    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    for (;;) {
        if (got_hang) { got_hang = 0; hang = 1; record("hang", NULL); }
        if (got_hup) { got_hup = 0; record("hup", NULL); }
        if (got_crash) {
            path_of(path, sizeof path, ".crash");
            int status = read_file(path, text, sizeof text) > 0 ? atoi(text) : 3;
            leave(status);
        }
        if (got_term) {
            char detail[16];
            snprintf(detail, sizeof detail, "%d", (int)got_term);
            got_term = 0;
            if (hang) record("term-ignored", detail);
            else { record("term", detail); leave(0); }
        }
        sigsuspend(&old);
    }
}
"""


def build(work):
    """Compiles the stand-in once into WORK/chaos-standin; returns its bytes (with the empty slot)."""
    source = os.path.join(work, "chaos-standin.c")
    with open(source, "w") as f:
        f.write(SOURCE)
    out = os.path.join(work, "chaos-standin")
    subprocess.run([compiler(), "-O2", "-o", out, source], check=True)
    with open(out, "rb") as f:
        data = f.read()
    if data.count(VERSION_SLOT) != 1:
        raise SystemExit("the chaos stand-in's version slot is not found once in the compiled binary; the compiler moved it")
    return data


def versioned(base, version, size):
    """The stand-in for `version`: the slot filled in, padded to `size` bytes (an ELF file still runs with a tail)."""
    filled = version.encode().ljust(len(VERSION_SLOT), b"\0")
    data = base.replace(VERSION_SLOT, filled, 1)
    line = f"chaos stand-in lavap {version} padding, not the real Lava binary\n".encode()
    tail = (line * (max(0, size - len(data)) // len(line) + 1))[: max(0, size - len(data))]
    return data + tail


def events(path):
    """The stand-in records in `path` as dicts: what, pid, ppid, version, ns, detail."""
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return []
    out = []
    for line in lines:
        parts = line.split(" ", 5)
        if len(parts) >= 5:
            out.append({"what": parts[0], "pid": int(parts[1]), "ppid": int(parts[2]), "version": parts[3],
                        "ns": int(parts[4]), "detail": parts[5] if len(parts) > 5 else ""})
    return out


def fnv1a64(data):
    """FNV-1a 64 of `data`, as the stand-in records a password line."""
    h = 1469598103934665603
    for b in data:
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"
