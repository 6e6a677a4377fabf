#!/usr/bin/env python3
"""Benchmark: how long after the chain's protocol version changes does lavavisor switch and restart lavap?

Starts a fake CometBFT node on loopback (Python's http.server, answering abci_query for
/lavanet.lava.protocol.Query/Params and /status as a Lava node does), runs the built
`lavavisor wrap --version-source rpc` on stand-in lavap scripts, flips the node's version and
measures, per trial:
  - switch delay: version changed on the node -> lavavisor logs "switched current to"
  - restart delay: version changed on the node -> the new stand-in lavap has started
lavavisor polls (it does not subscribe to new blocks), so the expected delay is uniform in
[0, poll interval] plus one query and one restart.

With --source mirror the binaries come from the same loopback server as release assets
(`--source github --release-url URL`, no release listing: the air-gapped mirror case), so each
trial also downloads and verifies the new version. Goal: the new lavap runs within poll + 1 s.

Usage: swift build -c release && python3 Benchmarks/detection_delay.py [--binary .build/release/lavavisor]
       [--intervals 1,5] [--trials 10] [--source local|mirror]
"""
import argparse, base64, hashlib, json, os, random, shutil, statistics, subprocess, tempfile, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = {"version": "1.0.0", "height": 1}
LOCK = threading.Lock()
ASSETS = {}  # path -> bytes, the release mirror


def field(number, data):
    length, out = len(data), bytearray()
    while True:
        out.append((length & 0x7F) | (0x80 if length > 0x7F else 0))
        length >>= 7
        if not length:
            break
    return bytes([number << 3 | 2]) + bytes(out) + data


def params_value(version):
    v = version.encode()
    return base64.b64encode(field(1, field(1, field(1, v) + field(2, v) + field(3, v) + field(4, v)))).decode()


class Node(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, obj):
        body = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with LOCK:
            version, height = STATE["version"], STATE["height"]
        self.reply({"jsonrpc": "2.0", "id": 1, "result": {"response": {
            "code": 0, "log": "", "value": params_value(version), "height": str(height)}}})

    def do_GET(self):
        if self.path.startswith("/download/"):
            body = ASSETS.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")
            return
        with LOCK:
            height = STATE["height"]
        self.reply({"jsonrpc": "2.0", "id": -1, "result": {
            "node_info": {"network": "lava"}, "sync_info": {"latest_block_height": str(height)}}})


STAND_IN = """#!/bin/sh
# STAND-IN for lavap {v}: not the real Lava binary.
if [ "$1" = version ]; then echo {v}; exit 0; fi
echo "$(date +%s.%N) start {v}" >> "{events}"
trap 'exit 0' TERM
while :; do sleep 3600 & wait $!; done
"""


def wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return False


def trial(binary, node_url, interval, work, source):
    home, binaries, events = os.path.join(work, "home"), os.path.join(work, "bin"), os.path.join(work, "events")
    shutil.rmtree(home, ignore_errors=True)
    open(events, "w").close()
    with LOCK:
        STATE["version"] = "1.0.0"
    log_path = os.path.join(work, "lavavisor.log")
    log = open(log_path, "w")
    binary_source = ["--source", "local", "--binaries-dir", binaries] if source == "local" else [
        "--source", "github", "--release-url", node_url + "/download", "--platform", "linux/amd64"]
    proc = subprocess.Popen([binary, "wrap", "--directory", home, "--version-source", "rpc", "--node", node_url]
                            + binary_source + ["--auto-download",
                             "--poll-interval", str(interval), "--cmd", "lavap rpcprovider p.yml"],
                            stdout=subprocess.DEVNULL, stderr=log, stdin=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: "start 1.0.0" in open(events).read(), 30), "lavap 1.0.0 never started"
        # Change the version at a random point of the poll cycle, as a real proposal would.
        time.sleep(interval * random.uniform(0.1, 0.9))
        with LOCK:
            STATE["version"], STATE["height"] = "1.1.0", STATE["height"] + 1
        changed = time.time()
        assert wait_for(lambda: "switched current to 1.1.0" in open(log_path).read(), interval + 30), "no switch"
        switched = time.time()
        assert wait_for(lambda: "start 1.1.0" in open(events).read(), 30), "lavap 1.1.0 never started"
        started = float([l for l in open(events).read().splitlines() if l.endswith("start 1.1.0")][0].split()[0])
        return switched - changed, started - changed
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        log.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/lavavisor")
    parser.add_argument("--intervals", default="1,5")
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--source", choices=["local", "mirror"], default="local")
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        raise SystemExit(f"{binary} is not built: run 'swift build -c release' first, or pass --binary")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Node)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    node_url = f"http://127.0.0.1:{server.server_address[1]}"
    with tempfile.TemporaryDirectory() as work:
        for version in ["1.0.0", "1.1.0"]:
            path = os.path.join(work, "bin", f"v{version}", "lavap")
            os.makedirs(os.path.dirname(path))
            with open(path, "w") as f:
                f.write(STAND_IN.format(v=version, events=os.path.join(work, "events")))
            os.chmod(path, 0o755)
            asset = f"lavap-v{version}-linux-amd64"
            data = open(path, "rb").read()
            ASSETS[f"/download/v{version}/{asset}"] = data
            ASSETS[f"/download/v{version}/sha256sum.txt"] = f"{hashlib.sha256(data).hexdigest()}  {asset}\n".encode()
        print(f"lavavisor detection delay ({binary}), binaries from {args.source}, {args.trials} trials per poll interval, "
              "version changed at a random point")
        print(f"{'poll s':>7} {'switch min':>11} {'median':>8} {'max':>8} {'restart min':>12} {'median':>8} {'max':>8}")
        for interval in [float(i) for i in args.intervals.split(",")]:
            results = [trial(binary, node_url, interval, work, args.source) for _ in range(args.trials)]
            switch, restart = [r[0] for r in results], [r[1] for r in results]
            print(f"{interval:7.1f} {min(switch):11.3f} {statistics.median(switch):8.3f} {max(switch):8.3f} "
                  f"{min(restart):12.3f} {statistics.median(restart):8.3f} {max(restart):8.3f}")
            print(f"{'':7} goal: new lavap within poll + 1 s = {interval + 1:.1f} s: {'met' if max(restart) <= interval + 1 else 'MISSED'}")
        print("Expected: switch delay uniform in [0, poll interval] plus one query; restart adds SIGTERM, exit and exec.")
    server.shutdown()


if __name__ == "__main__":
    main()
