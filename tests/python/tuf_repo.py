"""A local TUF repository serving a Sigstore trusted root, built with the
TUF reference implementation (python-tuf's Metadata API and
securesystemslib signers), for tests/tuf.rs.

  tuf_repo.py init REPO KEYS TARGET   new repository (consistent snapshots,
                                      one Ed25519 key per role) whose one
                                      target is TARGET as trusted_root.json
  tuf_repo.py publish REPO KEYS TARGET
                                      a new version of trusted_root.json
                                      (targets, snapshot, timestamp bumped)
  tuf_repo.py rollback REPO SAVED     put back an older timestamp.json
                                      (a rollback attack)
  tuf_repo.py expire REPO KEYS        a new timestamp, validly signed, that
                                      expired yesterday (a freeze attack)
  tuf_repo.py serve REPO              serve REPO on 127.0.0.1, print {"url": ...}

REPO holds only what a mirror serves (metadata at the top, targets/);
KEYS (the private keys) lives outside it.
"""

import datetime
import json
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from securesystemslib.signer import CryptoSigner, SSlibKey
from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

ROLES = ["root", "targets", "snapshot", "timestamp"]
TARGET = "trusted_root.json"


def utc(days: int) -> datetime.datetime:
    return (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)).replace(microsecond=0)


def signers(keys_path: Path) -> dict:
    pems = json.loads(keys_path.read_text())
    out = {}
    for role, pem in pems.items():
        private = serialization.load_pem_private_key(pem.encode(), password=None)
        out[role] = CryptoSigner(private, SSlibKey.from_crypto(private.public_key()))
    return out


def write(repo: Path, md: Metadata, signer: CryptoSigner, name: str) -> None:
    md.signatures.clear()
    md.sign(signer)
    md.to_file(str(repo / name), JSONSerializer(compact=False))


def init(repo: Path, keys_path: Path, target: Path) -> None:
    repo.mkdir(parents=True, exist_ok=True)
    (repo / "targets").mkdir(exist_ok=True)
    pems = {}
    for role in ROLES:
        key = ed25519.Ed25519PrivateKey.generate()
        pems[role] = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
    keys_path.write_text(json.dumps(pems))
    s = signers(keys_path)
    root = Root(expires=utc(365), consistent_snapshot=True)
    for role in ROLES:
        root.add_key(s[role].public_key, role)
    write(repo, Metadata(root), s["root"], "1.root.json")
    write(repo, Metadata(root), s["root"], "root.json")
    publish(repo, keys_path, target, first=True)


def publish(repo: Path, keys_path: Path, target: Path, first: bool = False) -> None:
    s = signers(keys_path)
    data = target.read_bytes()
    if first:
        targets = Targets(expires=utc(30))
        snapshot = Snapshot(expires=utc(7))
        timestamp = Timestamp(expires=utc(1))
    else:
        targets = Metadata[Targets].from_file(str(repo / "targets.json")).signed
        snapshot = Metadata[Snapshot].from_file(str(repo / "snapshot.json")).signed
        timestamp = Metadata[Timestamp].from_file(str(repo / "timestamp.json")).signed
        targets.version += 1
        snapshot.version += 1
        timestamp.version += 1
    file = TargetFile.from_data(TARGET, data, ["sha256"])
    targets.targets[TARGET] = file
    (repo / "targets" / f"{file.hashes['sha256']}.{TARGET}").write_bytes(data)
    write(repo, Metadata(targets), s["targets"], f"{targets.version}.targets.json")
    write(repo, Metadata(targets), s["targets"], "targets.json")
    snapshot.meta["targets.json"] = MetaFile(version=targets.version)
    write(repo, Metadata(snapshot), s["snapshot"], f"{snapshot.version}.snapshot.json")
    write(repo, Metadata(snapshot), s["snapshot"], "snapshot.json")
    timestamp.snapshot_meta = MetaFile(version=snapshot.version)
    write(repo, Metadata(timestamp), s["timestamp"], "timestamp.json")


def expire(repo: Path, keys_path: Path) -> None:
    s = signers(keys_path)
    timestamp = Metadata[Timestamp].from_file(str(repo / "timestamp.json")).signed
    timestamp.version += 1
    timestamp.expires = utc(-1)
    write(repo, Metadata(timestamp), s["timestamp"], "timestamp.json")


def serve(repo: Path) -> None:
    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(repo), **kwargs)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(json.dumps({"url": f"http://127.0.0.1:{server.server_address[1]}"}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    command, args = sys.argv[1], [Path(a) for a in sys.argv[2:]]
    if command == "init":
        init(*args)
    elif command == "publish":
        publish(*args)
    elif command == "rollback":
        (args[0] / "timestamp.json").write_bytes(args[1].read_bytes())
    elif command == "expire":
        expire(*args)
    elif command == "serve":
        serve(args[0])
    else:
        sys.exit(f"unknown command {command}")
