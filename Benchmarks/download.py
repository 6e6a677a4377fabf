#!/usr/bin/env python3
"""Benchmark: download a large release asset from a loopback server with lavavisor and with curl.

Serves a 200 MB stand-in lavap (standin.py's, version 9.9.9, padded after its ELF image, so that it
still answers `version`) and its sha256sum.txt from a loopback HTTP server (Python's http.server), then:
  - runs `lavavisor init --auto-download --source github` against it (download, SHA-256 while
    streaming, verification, install) and reports wall time, throughput and lavavisor's peak RSS;
  - downloads the same file with `curl -o` and reports its throughput and peak RSS;
  - downloads it with curl and checks it with `sha256sum -c` (what an operator would do by hand).
The release URL is a mirror without a listing (no --releases-api): nothing but loopback is asked.
Each is run --runs times; the best run of each is printed.

Usage: swift build -c release --product lavavisor && flock -o /tmp/swift-build.lock python3 Benchmarks/download.py [--size-mb 200] [--runs 3]
       [--binary .build/release/lavavisor]
"""
import argparse, hashlib, os, shutil, subprocess, tempfile, threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import standin


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def make_asset(work, path, size):
    """The stand-in lavap 9.9.9 of standin.py, padded to `size` bytes; returns its SHA-256 and size."""
    built = standin.build(work, "9.9.9", folder=os.path.join(work, "stand-in"))
    shutil.copyfile(built, path)
    os.chmod(path, 0o755)
    standin.pad(path, size)
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest(), os.path.getsize(path)


def isolated(command):
    """Measures `command` in a fresh Python process so that peak RSS belongs to that run alone."""
    code = ("import resource,subprocess,sys,time;s=time.monotonic();"
            "r=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.PIPE,stdin=subprocess.DEVNULL);"
            "e=time.monotonic()-s;"
            "sys.exit(r.stderr.decode()[-2000:]) if r.returncode else "
            "print(e, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024)")
    out = subprocess.run(["python3", "-c", code] + command, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{command[0]} failed: {out.stderr}")
    seconds, rss = out.stdout.split()
    return float(seconds), float(rss)


def measure(binary, size, runs, work):
    """Each tool `runs` times on one asset of `size` bytes; returns {tool: [(seconds, peak RSS MB)...]} and the size."""
    for tool in ["curl", "sha256sum"]:
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is not installed: apt-get install {'curl' if tool == 'curl' else 'coreutils'}")
    root = os.path.join(work, "www")
    folder = os.path.join(root, "download", "v9.9.9")
    os.makedirs(folder)
    asset = "lavap-v9.9.9-linux-amd64"
    digest, size = make_asset(work, os.path.join(folder, asset), size)
    with open(os.path.join(folder, "sha256sum.txt"), "w") as f:
        f.write(f"{digest}  {asset}\n")
    versions = standin.versions_file(os.path.join(work, "versions.yml"), "9.9.9")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=root))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/download"
    results = {"lavavisor": [], "curl": [], "curl + sha256sum -c": []}
    try:
        for run in range(runs):
            home = os.path.join(work, f"home{run}")
            results["lavavisor"].append(isolated([
                binary, "init", "--auto-download", "--directory", home, "--version-source", "file", "--versions-file",
                versions, "--source", "github", "--release-url", base, "--platform", "linux/amd64"]))
            installed = os.path.join(home, ".lavavisor", "upgrades", "v9.9.9", "lavap")
            assert os.path.getsize(installed) == size, "lavavisor installed a file of the wrong size"
            shutil.rmtree(home)
            target = os.path.join(work, f"curl{run}")
            results["curl"].append(isolated(["curl", "-sSf", "-o", target, f"{base}/v9.9.9/{asset}"]))
            os.remove(target)
            check = os.path.join(work, f"check{run}")
            os.makedirs(check)
            results["curl + sha256sum -c"].append(isolated([
                "sh", "-c", f'cd "{check}" && curl -sSf -o {asset} "{base}/v9.9.9/{asset}" && '
                f'curl -sSf "{base}/v9.9.9/sha256sum.txt" | sha256sum -c --quiet']))
            shutil.rmtree(check)
    finally:
        server.shutdown()
    return results, size


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/lavavisor")
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    binary = standin.built_binary(args.binary)
    with tempfile.TemporaryDirectory() as work:
        results, size = measure(binary, args.size_mb * 1_000_000, args.runs, work)
    print(f"download of a {size / 1e6:.0f} MB asset from loopback, best of {args.runs}")
    print(f"{'tool':<20} {'seconds':>8} {'MB/s':>8} {'peak RSS MB':>12}")
    for tool, runs in results.items():
        seconds = min(r[0] for r in runs)
        rss = max(r[1] for r in runs)
        print(f"{tool:<20} {seconds:8.2f} {size / 1e6 / seconds:8.1f} {rss:12.1f}")
    ratio = min(r[0] for r in results["lavavisor"]) / min(r[0] for r in results["curl + sha256sum -c"])
    print(f"lavavisor / (curl + sha256sum) = {ratio:.2f} (goal: at most 1.5)")
    print("lavavisor's time includes the SHA-256, the fsyncs, the install and running 'lavap version'.")


if __name__ == "__main__":
    main()
