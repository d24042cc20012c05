#!/usr/bin/env bash
# Compare `tollgate audit` with cargo-audit: same lockfiles, same advisory
# database (a git copy of ../shared/advisory-db, as cargo-audit wants a git
# checkout), same advisory ids expected; prints wall-clock timings.
#
#   bash benches/audit-vs-cargo-audit.sh [RUNS]
#
# Installs cargo-audit into target/bench-tools on first use (a few minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10}
TOOLS=target/bench-tools
if [ ! -x "$TOOLS/bin/cargo-audit" ]; then
  echo "installing cargo-audit into $TOOLS ..." >&2
  cargo install cargo-audit --locked --root "$TOOLS" >&2
fi
cargo build --release -q -p tollgate

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp -r ../shared/advisory-db "$WORK/advisory-db"
git -C "$WORK/advisory-db" init -q -b main
git -C "$WORK/advisory-db" add -A
git -C "$WORK/advisory-db" -c user.name=bench -c user.email=bench@localhost commit -q -m snapshot

python3 - "$WORK/advisory-db" "$RUNS" "$TOOLS/bin/cargo-audit" target/release/tollgate \
  sbom/tests/fixtures/projects/called/Cargo.lock \
  sbom/tests/fixtures/projects/hyper-old/Cargo.lock \
  sbom/tests/fixtures/projects/not-called/Cargo.lock \
  Cargo.lock <<'PY'
import json, statistics, subprocess, sys, time
db, runs, cargo_audit, tollgate, *lockfiles = sys.argv[1:]
runs = int(runs)

def ids(doc):
    found = {v["advisory"]["id"] for v in doc["vulnerabilities"]["list"]}
    for kind, warnings in (doc.get("warnings") or {}).items():
        for w in warnings:
            if w.get("advisory"):
                found.add(w["advisory"]["id"])
    return found

def timed(cmd):
    times = []
    out = None
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True)
        times.append((time.perf_counter() - start) * 1000)
        out = proc
    if out.returncode not in (0, 1):
        sys.exit(f"{cmd[0]} failed ({out.returncode}): {out.stderr.decode()[-2000:]}")
    return json.loads(out.stdout), statistics.median(times), min(times)

print(f"{'lockfile':<52} {'ids':>4} {'same':>5} {'cargo-audit ms':>15} {'tollgate ms':>12} {'ratio':>6}")
all_same = True
for lock in lockfiles:
    ca, ca_med, _ = timed([cargo_audit, "audit", "--db", db, "--no-fetch", "--stale", "--json", "--file", lock])
    tg, tg_med, _ = timed([tollgate, "audit", lock, "--advisory-db", db, "--format", "json", "--no-reachability", "--max-db-age", "100000d"])
    a, b = ids(ca), ids(tg)
    same = a == b
    all_same &= same
    print(f"{lock:<52} {len(a):>4} {str(same):>5} {ca_med:>15.1f} {tg_med:>12.1f} {ca_med / tg_med:>5.2f}x")
    if not same:
        print(f"  only cargo-audit: {sorted(a - b)}\n  only tollgate:    {sorted(b - a)}")
print(f"median of {runs} runs each; ratio = cargo-audit time / tollgate time (higher: tollgate faster)")
sys.exit(0 if all_same else 1)
PY
