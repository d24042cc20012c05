#!/usr/bin/env python3
"""A fault-injecting proxy in front of a real registry (Debian's
docker-registry), for tests/admission_faults.rs.

    fault_registry_proxy.py LISTEN_PORT UPSTREAM_HOST:PORT CONTROL_FILE

CONTROL_FILE holds JSON, read again on every request:
    {"mode": "pass"}                      forward everything
    {"mode": "silent"}                    accept, read the request, never answer
    {"mode": "slow", "ms": 3000}          answer after a delay
    {"mode": "5xx"}                       503 with an OCI error body
    {"mode": "truncate"}                  manifests and blobs cut short
                                          (Content-Length of the whole body)
    {"mode": "garbage-referrers"}         referrers API and fallback tags
                                          answer 200 with garbage
    {"mode": "headget", "head": "T1", "get": "T2"}
                                          a manifest request for tag T1:
                                          HEAD answered for T1, GET served T2
    {"mode": "endless", "kind": K, "status": S}
                                          a GET of kind K (manifest,
                                          referrers, fallback-tag) answered
                                          with status S (default 200) and a
                                          chunked body that never ends
    {"mode": "referrers-repeat", "n": N}  the referrers index (API or
                                          fallback tag) lists its first
                                          bundle referrer N more times
    {"mode": "referrers-flood", "n": N}   ... and N more distinct ones
    {"mode": "padded-referrer", "kib": K} ... and a referrer whose manifest
                                          (served at its digest) is padded
                                          to K KiB ("layer_size": S: with a
                                          bundle layer declaring S bytes;
                                          "empty_layers": N: N layers `{}`)
Every request is counted per path kind in the control file's sibling
`<CONTROL_FILE>.counts` (JSON), written after each request.
"""
import http.client
import http.server
import json
import socket
import sys
import threading
import time

BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
PADDED = {}
LISTEN = int(sys.argv[1])
UPSTREAM = sys.argv[2]
CONTROL = sys.argv[3]
COUNTS = {}
LOCK = threading.Lock()


def control():
    try:
        with open(CONTROL) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {"mode": "pass"}


def count(kind):
    with LOCK:
        COUNTS[kind] = COUNTS.get(kind, 0) + 1
        tmp = CONTROL + ".counts.tmp"
        with open(tmp, "w") as f:
            json.dump(COUNTS, f)
        import os

        os.replace(tmp, CONTROL + ".counts")


def kind_of(path):
    if "/referrers/" in path:
        return "referrers"
    if "/manifests/sha256-" in path:
        return "fallback-tag"
    if "/manifests/" in path:
        return "manifest"
    if "/blobs/" in path:
        return "blob"
    return "other"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def forward(self, method, path):
        conn = http.client.HTTPConnection(UPSTREAM, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, resp.getheaders(), data

    def send(self, status, headers, data, declared=None):
        self.send_response(status)
        for k, v in headers:
            if k.lower() in ("content-length", "connection", "transfer-encoding"):
                continue
            self.send_header(k, v)
        self.send_header("Content-Length", str(declared if declared is not None else len(data)))
        if declared is not None:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()
        if declared is not None:
            self.close_connection = True

    def handle_any(self):
        c = control()
        mode = c.get("mode", "pass")
        path = self.path
        count(kind_of(path))
        if mode == "silent":
            # Hold the connection until the client gives up.
            try:
                self.connection.settimeout(None)
                while self.connection.recv(4096):
                    pass
            except OSError:
                pass
            self.close_connection = True
            return
        if mode == "slow":
            time.sleep(c.get("ms", 3000) / 1000)
        if mode == "5xx" and path.startswith("/v2/"):
            body = json.dumps({"errors": [{"code": "UNAVAILABLE", "message": "injected outage"}]}).encode()
            self.send(503, [("Content-Type", "application/json")], body)
            return
        if mode == "garbage-referrers" and ("/referrers/" in path or "/manifests/sha256-" in path):
            self.send(200, [("Content-Type", "application/vnd.oci.image.index.v1+json")], b'{"manifests": [{"digest": 7}, garbage')
            return
        if mode == "endless" and self.command == "GET" and kind_of(path) == c.get("kind", "manifest"):
            self.send_response(c.get("status", 200))
            self.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"[" * 65536
            frame = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
            try:
                while True:
                    self.wfile.write(frame)
            except OSError:
                pass
            self.close_connection = True
            return
        if mode == "headget" and "/manifests/" in path:
            head, get = c.get("head"), c.get("get")
            repo, _, ref = path.rpartition("/manifests/")
            if ref == head and self.command == "GET":
                path = f"{repo}/manifests/{get}"
        if self.command == "GET" and path.rpartition("/manifests/")[2] in PADDED:
            body = PADDED[path.rpartition("/manifests/")[2]]
            self.send(200, [("Content-Type", "application/vnd.oci.image.manifest.v1+json")], body)
            return
        status, headers, data = self.forward(self.command, path)
        if (
            mode in ("referrers-repeat", "referrers-flood", "padded-referrer")
            and self.command == "GET"
            and kind_of(path) in ("referrers", "fallback-tag")
            and status == 200
        ):
            import hashlib

            data = self.rewrite_index(c, path, data)
            headers = [(k, v) for k, v in headers if k.lower() != "docker-content-digest"]
            headers.append(("Docker-Content-Digest", "sha256:" + hashlib.sha256(data).hexdigest()))
        if mode == "truncate" and ("/blobs/" in path or "/manifests/" in path) and len(data) > 1:
            self.send(status, headers, data[: len(data) // 2], declared=len(data))
            return
        self.send(status, headers, data)

    def rewrite_index(self, c, path, data):
        import hashlib

        index = json.loads(data)
        listed = index.get("manifests", [])
        bundles = [m for m in listed if m.get("artifactType") == BUNDLE]
        if not bundles:
            return data
        mode = c["mode"]
        if mode == "referrers-repeat":
            listed += bundles[:1] * c["n"]
        elif mode == "referrers-flood":
            listed += [dict(bundles[0], digest="sha256:%064x" % (i + 1)) for i in range(c["n"])]
        else:
            ref = path.rpartition("/")[2]
            subject = ref.replace("sha256-", "sha256:", 1)
            manifest = {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "artifactType": BUNDLE,
                "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": subject, "size": 1},
                "layers": [
                    {"mediaType": BUNDLE, "digest": "sha256:" + "0" * 64, "size": c["layer_size"]}
                ]
                if "layer_size" in c
                else [{}] * c.get("empty_layers", 0),
                "pad": [0] * (c["kib"] * 512),
            }
            body = json.dumps(manifest, separators=(",", ":")).encode()
            digest = "sha256:" + hashlib.sha256(body).hexdigest()
            PADDED[digest] = body
            listed.insert(0, dict(bundles[0], digest=digest, size=len(body)))
        index["manifests"] = listed
        return json.dumps(index).encode()

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024


if __name__ == "__main__":
    server = Server(("127.0.0.1", LISTEN), Handler)
    print("ready", flush=True)
    server.serve_forever()
