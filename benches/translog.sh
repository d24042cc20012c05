#!/usr/bin/env bash
# The decision log at scale: a 1,000,000-record signed log (about 500 bytes
# a record, written with group commit), inclusion proofs in it (goal:
# < 10 ms each), and verifying the whole log (recompute every leaf and node,
# check every checkpoint) against `sha256sum` over the same bytes
# (goal: at most 2x). Best of 3 runs each, warm page cache.
#
#   bash benches/translog.sh [RECORDS]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
cargo build --release -q -p tollgate-verifier --example translog_bench
B=$(pwd)/target/release/examples/translog_bench
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"
python3 - <<'PY'
# A log key in the note format, written here so the bench needs no CLI build.
import base64, hashlib, os
name = b"bench.tollgate/decisions"
seed = os.urandom(32)
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization
pub = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
kid = hashlib.sha256(name + b"\n\x01" + pub).digest()[:4].hex()
open("log.key", "w").write("PRIVATE+KEY+%s+%s+%s\n" % (name.decode(), kid, base64.b64encode(b"\x01" + seed).decode()))
open("log.pub", "w").write("%s+%s+%s\n" % (name.decode(), kid, base64.b64encode(b"\x01" + pub).decode()))
PY
"$B" gen d.jsonl log.key "$N"
echo "log: $(du -h d.jsonl | cut -f1) ($(stat -c %s d.jsonl) bytes), tree cache $(du -h d.jsonl.tree | cut -f1)"
"$B" prove d.jsonl 1000

best() { sort -n | head -1; }
cat d.jsonl > /dev/null
sha=$(for _ in 1 2 3; do /usr/bin/env TIMEFORMAT=%R bash -c 'time sha256sum d.jsonl >/dev/null' 2>&1; done | best)
ver=$(for _ in 1 2 3; do "$B" verify d.jsonl log.pub 2>/dev/null; done | best)
echo "sha256sum over the log: ${sha} s"
echo "tollgate log verify (library, whole tree + checkpoints): ${ver} s"
python3 -c "print('verify / sha256sum = %.2fx (goal <= 2x)' % ($ver / $sha))"
