#!/usr/bin/env bash
# Whole-process verification time: `tollgate verify-bundle` against
# sigstore-python's `sigstore verify identity --offline` on the same
# sigstore-conformance bundles (public-good root, offline). Installs
# sigstore-python 4.5.1 into target/bench-venv on first use.
#
#   bash benches/verify-vs-sigstore-python.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10}
VENV=target/bench-venv
if [ ! -x "$VENV/bin/sigstore" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "sigstore==4.5.1"
fi
cargo build --release -q -p tollgate
python3 - "$RUNS" "$VENV/bin/sigstore" target/release/tollgate ../shared/sigstore/conformance <<'PY'
import os, statistics, subprocess, sys, time
runs, sigstore_py, tollgate, conf = sys.argv[1:]
runs = int(runs)
identity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
issuer = "https://token.actions.githubusercontent.com"
artifact = os.path.join(conf, "a.txt")

def timed(cmd):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True)
        times.append((time.perf_counter() - start) * 1000)
        if proc.returncode != 0:
            sys.exit(f"{cmd[0]} failed: {proc.stderr.decode()[-500:]}")
    return statistics.median(times)

print(f"{'bundle':<30} {'sigstore-python ms':>19} {'tollgate ms':>12} {'speed-up':>9}")
for case in ["happy-path-v0.1", "happy-path-v0.2", "happy-path-v0.3-new-mediaType"]:
    bundle = os.path.join(conf, "bundle-verify", case, "bundle.sigstore.json")
    py = timed([sigstore_py, "verify", "identity", "--offline", "--bundle", bundle, "--cert-identity", identity, "--cert-oidc-issuer", issuer, artifact])
    tg = timed([tollgate, "verify-bundle", "--bundle", bundle, "--certificate-identity", identity, "--certificate-oidc-issuer", issuer, artifact])
    print(f"{case:<30} {py:>19.1f} {tg:>12.1f} {py / tg:>8.1f}x")
print(f"median of {runs} runs each, offline, public-good trusted root")
PY
