#!/usr/bin/env bash
# Whole-process in-toto verification time: `tollgate verify-layout`
# against the reference `in-toto-verify` (Python in-toto 3.x, from the
# test venv) on the same supply chain: a `fetch` step producing N source
# files and a `build` step that must consume exactly them (MATCH rules
# over every file) and create app.tar. Both must verify it.
#
#   bash benches/verify-layout-vs-in-toto.sh [RUNS] [N...]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
shift || true
SIZES=${*:-100 1000 10000}
VENV=$PWD/target/test-venv
if [ ! -x "$VENV/bin/in-toto-verify" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "in-toto>=3,<4"
fi
cargo build --release -q -p tollgate
TOLLGATE=$PWD/target/release/tollgate
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export COSIGN_PASSWORD=""

printf '%-8s %18s %12s %9s\n' files "in-toto-verify ms" "tollgate ms" speed-up
for n in $SIZES; do
  d=$WORK/$n
  mkdir -p "$d/keys" "$d/work/src" "$d/final"
  (cd "$d/keys" && "$TOLLGATE" key generate --output-key-prefix owner >/dev/null 2>&1 \
    && "$TOLLGATE" key generate --type ed25519 --output-key-prefix dev >/dev/null 2>&1)
  python3 - "$d/work/src" "$n" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    sub = os.path.join(root, f"m{i // 100:03d}")
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, f"f{i}.rs"), "w") as f:
        f.write(f"pub fn f{i}() -> u32 {{ {i} }}\n")
PY
  cat > "$d/keys/layout.yaml" <<'YAML'
expires: 4w
functionaries: { dev: dev.pub }
steps:
  - name: fetch
    functionaries: [dev]
    products: ["CREATE src/*", "DISALLOW *"]
  - name: build
    functionaries: [dev]
    materials: ["MATCH src/* WITH PRODUCTS FROM fetch", "DISALLOW *"]
    products: ["CREATE app.tar", "MATCH src/* WITH MATERIALS FROM build", "DISALLOW *"]
YAML
  (cd "$d/keys" && "$TOLLGATE" layout create layout.yaml -o "$d/final/root.layout" --key owner.key 2>/dev/null)
  cp "$d/keys/owner.pub" "$d/final/"
  (cd "$d/work" && "$TOLLGATE" attest link --step fetch -p src --key "$d/keys/dev.key" -x -d "$d/final" 2>/dev/null \
    && "$TOLLGATE" attest link --step build -m src -p src app.tar --key "$d/keys/dev.key" -d "$d/final" -- tar cf app.tar src 2>/dev/null)
  python3 - "$RUNS" "$d/final" "$VENV/bin/in-toto-verify" "$TOLLGATE" "$n" <<'PY'
import statistics, subprocess, sys, time
runs, final, py, tg, n = sys.argv[1:]
def timed(cmd):
    times = []
    for _ in range(int(runs)):
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=final, capture_output=True)
        times.append((time.perf_counter() - start) * 1000)
        if proc.returncode != 0:
            sys.exit(f"{cmd[0]} failed: {(proc.stdout + proc.stderr).decode()[-800:]}")
    return statistics.median(times)
a = timed([py, "-l", "root.layout", "--verification-keys", "owner.pub"])
b = timed([tg, "verify-layout", "-l", "root.layout", "--layout-key", "owner.pub"])
print(f"{n:<8} {a:>18.1f} {b:>12.1f} {a / b:>8.1f}x")
PY
done
