"""The chaos soak's loopback fakes: a Lava node (CometBFT RPC and its websocket) whose protocol
versions and faults the soak drives, and a release host (GitHub's layout) that counts downloads.

The node reuses detection_delay.py's websocket client and protobuf encoding; it adds a target and a
minimum of their own, a chain id, proposals in their voting period, and faults: HTTP 5xx, garbage
answers, timeouts, another chain id, dropped websockets. The release host serves
BASE/vX.Y.Z/lavap-vX.Y.Z-linux-amd64 and BASE/vX.Y.Z/sha256sum.txt (HEAD, GET, Range), with faults
per version or for all: 404, a corrupt asset, a cut connection, a slow one; it logs every request.
Randomness inside a fault (which garbage, where a body is cut) comes from the fault's own seed, so
the soak's event list never depends on it.
"""
import base64, hashlib, json, random, socket, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from detection_delay import field, upgrade_to_websocket

PARAMS_PATH = "/lavanet.lava.protocol.Query/Params"
PROPOSALS_PATH = "/cosmos.gov.v1.Query/Proposals"


def varint(n):
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def version_message(target, minimum):
    """`Version{provider_target, provider_min, consumer_target, consumer_min}`; both roles alike."""
    t, m = target.encode(), minimum.encode()
    return field(1, t) + field(2, m) + field(3, t) + field(4, m)


def params_value(target, minimum):
    return base64.b64encode(field(1, field(1, version_message(target, minimum)))).decode()


def proposals_value(proposals):
    """`QueryProposalsResponse` with one `MsgSetVersion` proposal per (id, target, minimum)."""
    out = b""
    for number, target, minimum in proposals:
        message = field(1, b"lava@10d07y265gmmuvt4z0w9aw880jnsr700jz3r0x0") + field(2, version_message(target, minimum))
        any_ = field(1, b"/lavanet.lava.protocol.MsgSetVersion") + field(2, message)
        ends = bytes([1 << 3]) + varint(int(time.time()) + 86400)  # Timestamp{seconds = 1}
        out += field(1, bytes([1 << 3]) + varint(number) + field(2, any_) + field(9, ends))
    return base64.b64encode(out).decode()


class QuietServer(ThreadingHTTPServer):
    """A loopback server that keeps quiet when lavavisor drops a connection (it does, on purpose, on timeouts)."""

    daemon_threads = True

    def handle_error(self, request, client_address):
        pass


class Fault:
    """One fault: its kind, until when (monotonic s), and a seed of its own."""

    def __init__(self, kind, until, seed):
        self.kind, self.until, self.rng = kind, until, random.Random(seed)

    def active(self):
        return time.monotonic() < self.until


class ChaosChain:
    """The fake chain: target and minimum, chain id, a block every `block_time`, websocket clients."""

    def __init__(self, block_time, target, minimum, chain_id="lava"):
        self.lock = threading.Lock()
        self.target, self.minimum, self.chain_id = target, minimum, chain_id
        self.height, self.block_time = 1, block_time
        self.clients = set()
        self.proposals = []  # (id, target, minimum) in their voting period
        self.fault = None
        self.ws_refused_until = 0.0
        self.stopped = threading.Event()
        self.requests = 0
        threading.Thread(target=self.produce, daemon=True, name="chaos-blocks").start()

    def set_versions(self, target, minimum):
        with self.lock:
            self.target, self.minimum = target, minimum

    def set_fault(self, kind, seconds, seed):
        with self.lock:
            self.fault = Fault(kind, time.monotonic() + seconds, seed)
            clients = list(self.clients) if kind == "ws_drop" else []
            if kind == "ws_drop":
                self.ws_refused_until = time.monotonic() + seconds
        for client in clients:  # a dropped connection, as a restarting node or a proxy does
            try:
                client.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def heal(self):
        with self.lock:
            self.fault, self.ws_refused_until = None, 0.0

    def current_fault(self):
        with self.lock:
            return self.fault if self.fault and self.fault.active() else None

    def produce(self):
        next_block, last_ping = time.monotonic() + self.block_time, time.monotonic()
        while not self.stopped.wait(max(0.0, next_block - time.monotonic())):
            next_block += self.block_time
            with self.lock:
                self.height += 1
                height, clients = self.height, list(self.clients)
            for client in clients:
                client.new_block(height)
            if time.monotonic() - last_ping > 27:
                last_ping = time.monotonic()
                for client in clients:
                    client.send(0x9, b"")

    def answer(self, method, path=PARAMS_PATH):
        """The result of `status` or `abci_query` (of the params, or of the proposals)."""
        with self.lock:
            target, minimum, height, chain_id = self.target, self.minimum, self.height, self.chain_id
            proposals = list(self.proposals)
            fault = self.fault if self.fault and self.fault.active() else None
        if fault and fault.kind == "wrong_chain":
            chain_id = "lava-testnet-2" if chain_id != "lava-testnet-2" else "lava"
        if method == "status":
            return {"node_info": {"network": chain_id}, "sync_info": {"latest_block_height": str(height)}}
        value = proposals_value(proposals) if path == PROPOSALS_PATH else params_value(target, minimum)
        return {"response": {"code": 0, "log": "", "value": value, "height": str(height)}}


def garbage(rng, chain):
    """One bad answer (status, content type, body) of the kinds a broken node or proxy sends."""
    kind = rng.choice(["html", "truncated", "no-result", "bad-base64", "protobuf", "bad-version", "min-above", "code"])
    if kind == "html":
        return 200, "text/html", b"<html><body>502 Bad Gateway</body></html>"
    if kind == "truncated":
        return 200, "application/json", b'{"jsonrpc":"2.0","id":1,"result":{"response":{"value":"CgYK'
    if kind == "no-result":
        return 200, "application/json", b'{"jsonrpc":"2.0","id":1}'
    response = {"code": 0, "log": "", "height": str(chain.height)}
    if kind == "bad-base64":
        response["value"] = "%%%not base64%%%"
    elif kind == "protobuf":
        response["value"] = base64.b64encode(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))).decode()
    elif kind == "bad-version":
        response["value"] = params_value("1.2", "1.0.0.0")
    elif kind == "min-above":
        response["value"] = params_value("1.0.0", "9.9.9")
    else:
        response.update(code=18, log="invalid request: the node is catching up")
    return 200, "application/json", json.dumps({"jsonrpc": "2.0", "id": 1, "result": {"response": response}}).encode()


def node_handler(chain, request_timeout):
    class Node(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def send_body(self, status, content_type, body):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def faulted(self):
            """Answers as the active fault says; False when there is none (or it does not touch HTTP)."""
            fault = chain.current_fault()
            if not fault or fault.kind in ("wrong_chain", "ws_drop"):
                return False
            if fault.kind == "5xx":
                status = fault.rng.choice([500, 502, 503, 504])
                self.send_body(status, "text/plain", f"{status} the node is overloaded\n".encode())
            elif fault.kind == "garbage":
                self.send_body(*garbage(fault.rng, chain))
            elif fault.kind == "timeout":
                # Silent past lavavisor's request timeout (or until the fault ends), then cut.
                deadline = min(fault.until, time.monotonic() + request_timeout + 1.0)
                while time.monotonic() < deadline and not chain.stopped.is_set():
                    time.sleep(0.05)
                self.close_connection = True
            return True

        def do_POST(self):
            chain.requests += 1
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.faulted():
                return
            try:
                request = json.loads(body or b"{}")
            except ValueError:
                request = {}
            method = request.get("method", "abci_query")
            params = request.get("params") or {}
            path = params.get("path", PARAMS_PATH) if isinstance(params, dict) else PARAMS_PATH
            if method == "subscribe":
                reply = {"jsonrpc": "2.0", "id": request.get("id"), "error": {"code": -32601, "message": "Method not found"}}
            else:
                reply = {"jsonrpc": "2.0", "id": request.get("id", 1),
                         "result": chain.answer("status" if method == "status" else "abci_query", path)}
            self.send_body(200, "application/json", json.dumps(reply).encode())

        def do_GET(self):
            chain.requests += 1
            if self.path.split("?")[0].rstrip("/").endswith("/websocket"):
                if time.monotonic() < chain.ws_refused_until:
                    self.send_body(503, "text/plain", b"websocket refused while the node restarts\n")
                    return
                if not upgrade_to_websocket(self, chain):
                    self.send_body(400, "text/plain", b"websocket upgrade expected\n")
                return
            if self.faulted():
                return
            method = "status" if self.path.split("?")[0].rstrip("/").endswith("/status") else "abci_query"
            self.send_body(200, "application/json",
                           json.dumps({"jsonrpc": "2.0", "id": -1, "result": chain.answer(method)}).encode())

    return Node


class ChaosNode:
    """The fake node on a loopback port bound to 0: `url`."""

    def __init__(self, block_time, target, minimum, request_timeout):
        self.chain = ChaosChain(block_time, target, minimum)
        self.server = QuietServer(("127.0.0.1", 0), node_handler(self.chain, request_timeout))
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True, name="chaos-node").start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.chain.stopped.set()
        with self.chain.lock:
            clients = list(self.chain.clients)
        for client in clients:
            try:
                client.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.server.shutdown()
        self.server.server_close()


PLATFORM = "linux-amd64"


def asset_name(version):
    return f"lavap-v{version}-{PLATFORM}"


class ReleaseHost:
    """Release assets on a loopback port bound to 0: `base` is the --release-url.

    `installed(version)` (given by the soak) says whether the store holds the version, verified, and
    for how long; an asset request for a version installed for more than a moment is a download
    that should not have happened, kept in `duplicates`.
    """

    def __init__(self, assets, installed):
        self.assets = assets  # version -> bytes
        self.sums = {v: f"{hashlib.sha256(d).hexdigest()}  {asset_name(v)}\n".encode() for v, d in assets.items()}
        self.digests = {v: hashlib.sha256(d).hexdigest() for v, d in assets.items()}
        self.installed = installed
        self.lock = threading.Lock()
        self.faults = {}  # version or "*" -> Fault
        self.log = []  # dicts: t, method, version, file, range, status, sent, complete, fault
        self.duplicates = []
        self.closing = threading.Event()
        self.server = QuietServer(("127.0.0.1", 0), self.handler())
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True, name="chaos-mirror").start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/download"

    def set_fault(self, version, kind, seconds, seed):
        with self.lock:
            self.faults[version or "*"] = Fault(kind, time.monotonic() + seconds, seed)

    def heal(self):
        with self.lock:
            self.faults.clear()

    def fault_for(self, version):
        with self.lock:
            for key in (version, "*"):
                fault = self.faults.get(key)
                if fault and fault.active():
                    return fault
        return None

    def requests(self):
        with self.lock:
            return list(self.log)

    def handler(self):
        host = self

        class Mirror(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def parse(self):
                parts = self.path.split("?")[0].strip("/").split("/")
                if len(parts) != 3 or parts[0] != "download" or not parts[1].startswith("v"):
                    return None, None
                version = parts[1][1:]
                if version not in host.assets:
                    return version, None
                if parts[2] == "sha256sum.txt":
                    return version, "sums"
                if parts[2] == asset_name(version):
                    return version, "asset"
                return version, None

            def entry(self, **values):
                values.setdefault("t", time.monotonic())
                with host.lock:
                    host.log.append(values)
                return values

            def plain(self, status, body=b"", head=False):
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)

            def serve(self, head):
                version, file = self.parse()
                fault = host.fault_for(version) if version else None
                record = self.entry(method="HEAD" if head else "GET", version=version, file=file,
                                    range=self.headers.get("Range"), status=None, sent=0, complete=False,
                                    fault=fault.kind if fault else None)
                if file is None or (fault and fault.kind == "404"):
                    record["status"] = 404
                    self.plain(404, b"Not Found\n", head)
                    return
                if file == "sums":
                    record["status"] = 200
                    self.plain(200, host.sums[version], head)
                    record["sent"], record["complete"] = len(host.sums[version]), True
                    return
                if not head:
                    state = host.installed(version)
                    if state is not None and state > 0.5:
                        host.duplicates.append({"t": record["t"], "version": version, "installed_for": state,
                                                "range": record["range"]})
                data = host.assets[version]
                start = 0
                requested = self.headers.get("Range", "")
                if requested.startswith("bytes=") and requested[6:].split("-")[0].isdigit():
                    start = min(int(requested[6:].split("-")[0]), len(data))
                body = data[start:]
                if fault and fault.kind == "corrupt":
                    body = bytearray(body)
                    for _ in range(8):
                        if body:
                            body[fault.rng.randrange(len(body))] ^= 0xFF
                    body = bytes(body)
                status = 206 if start else 200
                record["status"] = status
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Accept-Ranges", "bytes")
                if start:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.end_headers()
                if head:
                    return
                cut = len(body)
                if fault and fault.kind == "truncated" and body:
                    cut = int(len(body) * fault.rng.uniform(0.05, 0.9))
                rate = fault.rng.uniform(64e3, 256e3) if fault and fault.kind == "slow" else None
                chunk, sent, began = 16384, 0, time.monotonic()
                try:
                    while sent < cut and not host.closing.is_set():
                        n = min(chunk, cut - sent)
                        self.wfile.write(body[sent:sent + n])
                        sent += n
                        record["sent"] = sent
                        if rate:
                            ahead = began + sent / rate - time.monotonic()
                            if ahead > 0:
                                time.sleep(ahead)
                except OSError:
                    self.close_connection = True
                    return
                if sent < len(body):
                    self.close_connection = True
                    try:
                        self.wfile.flush()
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
                record["complete"] = fault is None or fault.kind != "corrupt"

            def do_HEAD(self):
                self.serve(head=True)

            def do_GET(self):
                self.serve(head=False)

        return Mirror

    def close(self):
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()
