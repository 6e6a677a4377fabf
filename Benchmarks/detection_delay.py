#!/usr/bin/env python3
"""Benchmark: from a protocol version change on the chain to the new lavap running under `lavavisor wrap`.

A fake CometBFT node on loopback (Python's http.server, one port, as a Lava node's RPC) answers
the ABCI query of /lavanet.lava.protocol.Query/Params and /status over HTTP, makes a block every
--block-time seconds, and serves /websocket: JSON-RPC `subscribe` to tm.event='NewBlock' (or
'NewBlockHeader') is answered with {} and followed by one event per block, as CometBFT 0.37 does.
`lavavisor wrap --version-source rpc --source local` runs the stand-in lavap of standin.py (1.0.0,
then 1.1.0), which records its start and exit on CLOCK_MONOTONIC. Two ways to hear the change:
  - polling (--poll-interval P): the version is changed at a random point of the poll cycle;
  - the NewBlock subscription (`--websocket-url ws://.../websocket`, or the node's http:// base when
    the build's help shows that form; a long --poll-interval so that only the subscription can find
    it): the version changes with a block, the moment its event is pushed. Only when `lavavisor
    wrap --help` lists --websocket-url; otherwise it is skipped. For polling, --no-subscribe is
    given when the build has it (a build that subscribes by default).
Per trial: version changed -> the new lavap has started; and the old lavap's exit -> the new
one's start (the gap with no lavap running).
Goals: polling, new lavap within P + 1 s; NewBlock, within 1 block + 0.5 s.

With --source mirror the binaries come from the same loopback server as release assets
(`--source github --release-url URL`, no release listing: the air-gapped mirror case), so each
trial also downloads and verifies the new version.

Usage: swift build -c release --product lavavisor && flock -o /tmp/swift-build.lock python3 Benchmarks/detection_delay.py
       [--binary .build/release/lavavisor] [--intervals 1,5] [--trials 8] [--block-time 1] [--source local|mirror]
"""
import argparse, base64, hashlib, json, os, random, shutil, socket, statistics, struct, subprocess, sys, tempfile, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import standin

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


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


class Chain:
    """The fake chain: a version, a height, a block every `block_time`, and the websocket subscribers."""

    def __init__(self, block_time):
        self.lock = threading.Lock()
        self.version, self.height, self.block_time = "1.0.0", 1, block_time
        self.pending, self.pending_done = None, None  # a version that the next block brings
        self.changed_ns = None  # when the pending version came with a block (its event pushed)
        self.clients = set()
        self.requests = 0  # HTTP requests to the RPC (websocket upgrades and downloads not counted)
        self.assets = {}  # path -> bytes, the release mirror
        self.stopped = threading.Event()
        threading.Thread(target=self.produce, daemon=True).start()

    def set_version(self, version):
        with self.lock:
            self.version, self.height = version, self.height + 1

    def change_with_next_block(self, version):
        """The next block brings `version`; returns an event set once its NewBlock has been pushed."""
        done = threading.Event()
        with self.lock:
            self.pending, self.changed_ns, self.pending_done = version, None, done
        return done

    def produce(self):
        next_block, last_ping = time.monotonic() + self.block_time, time.monotonic()
        while not self.stopped.wait(max(0.0, next_block - time.monotonic())):
            next_block += self.block_time
            with self.lock:
                self.height += 1
                height, done = self.height, None
                if self.pending:
                    self.version, self.pending, done = self.pending, None, self.pending_done
                clients = list(self.clients)
            pushed = time.monotonic_ns()
            for client in clients:
                client.new_block(height)
            if done:
                self.changed_ns = pushed
                done.set()
            if time.monotonic() - last_ping > 27:  # CometBFT pings every 27 s
                last_ping = time.monotonic()
                for client in clients:
                    client.send(0x9, b"")

    def subscribers(self):
        with self.lock:
            return sum(len(c.subscriptions) for c in self.clients)

    def answer(self, method):
        """The result of `abci_query` or `status`."""
        with self.lock:
            version, height = self.version, self.height
        if method == "status":
            return {"node_info": {"network": "lava"}, "sync_info": {"latest_block_height": str(height)}}
        return {"response": {"code": 0, "log": "", "value": params_value(version), "height": str(height)}}


class WebSocketClient:
    """One websocket connection on /websocket (RFC 6455, text frames, JSON-RPC 2.0)."""

    def __init__(self, chain, sock, reader):
        self.chain, self.sock, self.reader, self.send_lock = chain, sock, reader, threading.Lock()
        self.subscriptions = {}  # JSON-RPC id -> (query, "NewBlock" | "NewBlockHeader" | None)

    def send(self, opcode, payload):
        header = bytes([0x80 | opcode])
        n = len(payload)
        header += bytes([n]) if n < 126 else bytes([126]) + struct.pack("!H", n) if n < 65536 else bytes([127]) + struct.pack("!Q", n)
        try:
            with self.send_lock:
                self.sock.sendall(header + payload)
        except OSError:
            pass

    def send_json(self, obj):
        self.send(0x1, json.dumps(obj).encode())

    def read_exact(self, n):
        data = self.reader.read(n)  # the handler's buffered reader: nothing read past the handshake is lost
        if len(data) < n:
            raise EOFError
        return data

    def read_message(self):
        """The next data message (opcode, payload); answers pings and closes on the way."""
        message, message_opcode = b"", None
        while True:
            b0, b1 = self.read_exact(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self.read_exact(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self.read_exact(8))[0]
            mask = self.read_exact(4) if b1 & 0x80 else None
            payload = self.read_exact(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x8:
                self.send(0x8, payload[:2])
                raise EOFError
            if opcode == 0x9:
                self.send(0xA, payload)
                continue
            if opcode == 0xA:
                continue
            if opcode != 0x0:
                message_opcode = opcode
            message += payload
            if b0 & 0x80:
                return message_opcode, message

    def serve(self):
        with self.chain.lock:
            self.chain.clients.add(self)
        try:
            while True:
                _, payload = self.read_message()
                try:
                    request = json.loads(payload)
                except ValueError:
                    self.send_json({"jsonrpc": "2.0", "id": -1, "error": {"code": -32700, "message": "Parse error"}})
                    continue
                self.handle(request)
        except (EOFError, OSError):
            pass
        finally:
            with self.chain.lock:
                self.chain.clients.discard(self)

    def handle(self, request):
        rid, method, params = request.get("id"), request.get("method"), request.get("params") or {}
        if method == "subscribe":
            query = params.get("query") if isinstance(params, dict) else (params[0] if params else "")
            kind = "NewBlockHeader" if "NewBlockHeader" in query else "NewBlock" if "NewBlock" in query else None
            with self.chain.lock:
                self.subscriptions[json.dumps(rid)] = (rid, query, kind)
            self.send_json({"jsonrpc": "2.0", "id": rid, "result": {}})
        elif method in ("unsubscribe", "unsubscribe_all"):
            with self.chain.lock:
                self.subscriptions.clear()
            self.send_json({"jsonrpc": "2.0", "id": rid, "result": {}})
        elif method in ("abci_query", "status"):
            self.send_json({"jsonrpc": "2.0", "id": rid, "result": self.chain.answer(method)})
        else:
            self.send_json({"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": "Method not found"}})

    def new_block(self, height):
        with self.chain.lock:
            subscriptions = list(self.subscriptions.values())
        header = {"version": {"block": "11"}, "chain_id": "lava", "height": str(height),
                  "time": time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime())}
        for rid, query, kind in subscriptions:
            if kind == "NewBlock":
                value = {"block": {"header": header, "data": {"txs": []}, "evidence": {"evidence": []},
                                   "last_commit": {"height": str(height - 1), "round": 0, "signatures": []}},
                         "result_begin_block": {}, "result_end_block": {"validator_updates": []}}
            elif kind == "NewBlockHeader":
                value = {"header": header, "num_txs": "0", "result_begin_block": {}, "result_end_block": {}}
            else:
                continue
            self.send_json({"jsonrpc": "2.0", "id": rid, "result": {
                "query": query, "data": {"type": f"tendermint/event/{kind}", "value": value},
                "events": {"tm.event": [kind], "block.height": [str(height)]}}})


def upgrade_to_websocket(handler, chain):
    """Answers the websocket upgrade asked of `handler` (101) and serves `chain`'s new blocks on it
    until the client goes; False, with nothing sent, when the request is no websocket upgrade."""
    key = handler.headers.get("Sec-WebSocket-Key")
    if "websocket" not in handler.headers.get("Upgrade", "").lower() or not key:
        return False
    accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
    handler.send_response(101, "Switching Protocols")
    handler.send_header("Upgrade", "websocket")
    handler.send_header("Connection", "Upgrade")
    handler.send_header("Sec-WebSocket-Accept", accept)
    handler.end_headers()
    handler.wfile.flush()
    handler.close_connection = True
    handler.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    WebSocketClient(chain, handler.connection, handler.rfile).serve()
    return True


def handler_for(chain):
    class Node(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def reply(self, obj, status=200):
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def count(self):
            with chain.lock:
                chain.requests += 1

        def do_POST(self):
            self.count()
            request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            method = request.get("method", "abci_query")
            if method == "subscribe":  # as CometBFT: only over the websocket
                self.reply({"jsonrpc": "2.0", "id": request.get("id"), "error": {
                    "code": -32601, "message": "Method not found"}})
                return
            self.reply({"jsonrpc": "2.0", "id": request.get("id", 1), "result": chain.answer(
                "status" if method == "status" else "abci_query")})

        def do_GET(self):
            if self.path.split("?")[0].rstrip("/").endswith("/websocket"):
                if not upgrade_to_websocket(self, chain):
                    self.reply({"error": "websocket upgrade expected"}, status=400)
                return
            if not self.path.startswith("/download/"):
                self.count()
            if self.path.startswith("/download/"):
                body = chain.assets.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")
                return
            self.reply({"jsonrpc": "2.0", "id": -1, "result": chain.answer("status")})

    return Node


class FakeNode:
    """The fake node on a loopback port: `url` (http) and `websocket_url` (ws)."""

    def __init__(self, block_time):
        self.chain = Chain(block_time)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(self.chain))
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        port = self.server.server_address[1]
        self.url, self.websocket_url = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/websocket"

    def close(self):
        self.chain.stopped.set()
        self.server.shutdown()


def wrap_help(binary):
    return subprocess.run([binary, "wrap", "--help"], capture_output=True, text=True).stdout


def supports_websocket(binary):
    """Whether this build can follow new blocks: its `wrap --help` lists --websocket-url."""
    return "--websocket-url" in wrap_help(binary)


def listen_flags(binary, node, subscribe):
    """The flags that make `wrap` follow the node's blocks (subscribe) or only poll.

    A build that subscribes by default has --no-subscribe, given for polling. --websocket-url is
    given in the form its help shows: ws://HOST:PORT/websocket, or the node's base http://HOST:PORT
    (to which it adds /websocket); the fake node answers on any path ending in /websocket.
    """
    text = wrap_help(binary)
    if not subscribe:
        return ["--no-subscribe"] if "--no-subscribe" in text else []
    help_of_flag = text[text.index("--websocket-url"):][:400]
    return ["--websocket-url", node.websocket_url if "ws://" in help_of_flag else node.url]


def start_rpc_wrap(binary, node, work, subscribe, poll):
    """`wrap` on the rpc source of `node` in WORK/home, its stand-in lavap 1.0.0 from WORK/bin (see
    prepare); returns the process once lavap runs (and lavavisor has subscribed, when it follows
    blocks). The caller terminates it."""
    home, events = os.path.join(work, "home"), os.path.join(work, "events")
    subprocess.run(["rm", "-rf", home], check=True)
    open(events, "w").close()
    node.chain.set_version("1.0.0")
    proc = subprocess.Popen(
        [binary, "wrap", "--directory", home, "--version-source", "rpc", "--node", node.url] + listen_flags(binary, node, subscribe)
        + ["--source", "local", "--binaries-dir", os.path.join(work, "bin"), "--auto-download", "--poll-interval", f"{poll:g}",
           "--cmd", f"lavap rpcprovider p.yml {events}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        if not wait_for(lambda: start_of(events, "1.0.0"), 30):
            raise SystemExit("lavap 1.0.0 never started under lavavisor")
        if subscribe and not wait_for(node.chain.subscribers, 30):
            raise SystemExit("lavavisor never subscribed")
    except BaseException:
        proc.terminate()
        proc.wait(timeout=60)
        raise
    return proc


def wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.002)
    return None


def start_of(events, version):
    return next((r for r in standin.records(events) if r[0] == "start" and r[3] == version), None)


def trial(binary, node, work, source, interval, subscribe):
    """One version change 1.0.0 -> 1.1.0; returns (change -> new lavap started, old lavap's exit -> new start), s."""
    home, events = os.path.join(work, "home"), os.path.join(work, "events")
    shutil.rmtree(home, ignore_errors=True)
    open(events, "w").close()
    node.chain.set_version("1.0.0")
    log_path = os.path.join(work, "lavavisor.log")
    binary_source = ["--source", "local", "--binaries-dir", os.path.join(work, "bin")] if source == "local" else [
        "--source", "github", "--release-url", node.url + "/download", "--platform", "linux/amd64"]
    listen = listen_flags(binary, node, subscribe)
    with open(log_path, "w") as log:
        proc = subprocess.Popen([binary, "wrap", "--directory", home, "--version-source", "rpc", "--node", node.url]
                                + listen + binary_source + ["--auto-download", "--poll-interval", str(interval),
                                                            "--cmd", f"lavap rpcprovider p.yml {events}"],
                                stdout=subprocess.DEVNULL, stderr=log, stdin=subprocess.DEVNULL)
        try:
            old = wait_for(lambda: start_of(events, "1.0.0"), 30)
            if not old:
                raise SystemExit(f"lavap 1.0.0 never started under lavavisor; its log:\n{open(log_path).read()[-3000:]}")
            if subscribe:
                if not wait_for(node.chain.subscribers, 30):
                    raise SystemExit("lavavisor lists --websocket-url but never subscribed on the fake node's /websocket; "
                                     f"its log:\n{open(log_path).read()[-3000:]}")
                time.sleep(random.uniform(0, node.chain.block_time))
                if not node.chain.change_with_next_block("1.1.0").wait(node.chain.block_time + 5):
                    raise SystemExit("the fake node made no block")
                changed = node.chain.changed_ns
            else:
                # At a random point of the poll cycle, as a real proposal would.
                time.sleep(interval * random.uniform(0.1, 0.9))
                node.chain.set_version("1.1.0")
                changed = time.monotonic_ns()
            new = wait_for(lambda: start_of(events, "1.1.0"), interval + 60)
            if not new:
                raise SystemExit(f"lavap 1.1.0 never started under lavavisor; its log:\n{open(log_path).read()[-3000:]}")
            exit_old = next((r for r in standin.records(events) if r[0] == "exit" and r[1] == old[1]), None)
            gap = (new[2] - exit_old[2]) / 1e9 if exit_old else None
            return (new[2] - changed) / 1e9, gap
        finally:
            proc.terminate()
            proc.wait(timeout=60)


def prepare(work, node):
    """The stand-ins 1.0.0 and 1.1.0 in WORK/bin, and as release assets on the node."""
    for version in ["1.0.0", "1.1.0"]:
        path = standin.build(work, version)
        asset = f"lavap-v{version}-linux-amd64"
        data = open(path, "rb").read()
        node.chain.assets[f"/download/v{version}/{asset}"] = data
        node.chain.assets[f"/download/v{version}/sha256sum.txt"] = f"{hashlib.sha256(data).hexdigest()}  {asset}\n".encode()


def measure(binary, node, work, trials, interval, subscribe=False, source="local"):
    """`trials` changes; returns the delays (s) and the gaps (s)."""
    results = [trial(binary, node, work, source, interval, subscribe) for _ in range(trials)]
    return [r[0] for r in results], [r[1] for r in results if r[1] is not None]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/lavavisor")
    parser.add_argument("--intervals", default="1,5")
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--block-time", type=float, default=1.0)
    parser.add_argument("--source", choices=["local", "mirror"], default="local")
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        raise SystemExit(f"{binary} is not built: run 'swift build -c release --product lavavisor' first, or pass --binary")
    node = FakeNode(args.block_time)
    with tempfile.TemporaryDirectory() as work:
        prepare(work, node)
        print(f"lavavisor detection delay ({binary}), binaries from {args.source}, {args.trials} trials each, seconds")
        print(f"{'how':<22} {'new lavap min':>14} {'median':>8} {'max':>8} {'gap median':>11} {'max':>8}  goal")
        runs = [(f"poll every {float(i):g} s", float(i), False, float(i) + 1) for i in args.intervals.split(",")]
        if supports_websocket(binary):
            runs.append((f"NewBlock, {args.block_time:g} s blocks", 60.0, True, args.block_time + 0.5))
        else:
            print("(this build has no --websocket-url: no NewBlock subscription to measure)")
        for label, interval, subscribe, goal in runs:
            delays, gaps = measure(binary, node, work, args.trials, interval, subscribe, args.source)
            print(f"{label:<22} {min(delays):14.3f} {statistics.median(delays):8.3f} {max(delays):8.3f} "
                  f"{statistics.median(gaps):11.4f} {max(gaps):8.4f}  within {goal:g} s: "
                  f"{'met' if max(delays) <= goal else 'MISSED'}", flush=True)
    node.close()


if __name__ == "__main__":
    main()
