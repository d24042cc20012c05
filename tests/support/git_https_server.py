#!/usr/bin/env python3
"""`git http-backend` (the real smart-HTTP server from git) behind TLS on
127.0.0.1, for tests/db_fetch.rs.

    git_https_server.py --root DIR --cert CRT --key KEY --port-file FILE
                        [--cut-upload-pack BYTES] [--die-upload-pack BYTES]

Serves the repositories under DIR (GIT_PROJECT_ROOT, all exported) on an
ephemeral port, written to FILE once listening. The failure modes stand in
for a network that breaks mid-transfer: --cut-upload-pack sends that many
bytes of each upload-pack (pack data) response and closes the connection
(a truncating proxy); --die-upload-pack does the same and then kills the
whole server process (a server killed mid-transfer).
"""
import argparse
import http.server
import os
import shutil
import socket
import ssl
import subprocess
import sys

ARGS = None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("git-https: " + (fmt % args) + "\n")

    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def serve(self):
        path, _, query = self.path.partition("?")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": ARGS.root,
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "REMOTE_ADDR": self.client_address[0],
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": ARGS.root,
        }
        for header, var in (("Git-Protocol", "GIT_PROTOCOL"), ("Content-Encoding", "HTTP_CONTENT_ENCODING")):
            if self.headers.get(header):
                env[var] = self.headers[header]
        data = self.body() if self.command == "POST" else b""
        env["CONTENT_LENGTH"] = str(len(data))
        out = subprocess.run(
            ["git", "http-backend"], input=data, env=env, capture_output=True, check=False
        ).stdout
        head, sep, payload = out.partition(b"\r\n\r\n")
        if not sep:
            head, _, payload = out.partition(b"\n\n")
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        cut = ARGS.cut_upload_pack if ARGS.cut_upload_pack is not None else ARGS.die_upload_pack
        if cut is not None and path.endswith("/git-upload-pack") and len(payload) > cut:
            self.wfile.write(payload[:cut])
            self.wfile.flush()
            sys.stderr.write(f"git-https: cut the pack after {cut} of {len(payload)} bytes\n")
            if ARGS.die_upload_pack is not None:
                os._exit(3)
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.wfile.write(payload)

    do_GET = serve
    do_POST = serve


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--cut-upload-pack", type=int)
    parser.add_argument("--die-upload-pack", type=int)
    ARGS = parser.parse_args()
    ARGS.root = os.path.abspath(ARGS.root)
    if not shutil.which("git"):
        sys.exit("git-https: git is not installed")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(ARGS.cert, ARGS.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, ARGS.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
