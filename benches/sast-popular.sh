#!/usr/bin/env bash
# What `tollgate sast` reports on ten popular crates (the evaluation's set:
# tokio, hyper, reqwest, rustls, serde_json, regex, clap, axum, ring, git2),
# taken from the local cargo registry: findings per crate and rule, then
# every finding of a security rule (taint, crypto, TLS, secrets, headers)
# with its place and message, for a person to judge. Precision is that
# judgement (true findings / security findings); hygiene rules
# (`undocumented-unsafe` and the other unsafe-code rules) are counted apart.
#
#   bash benches/sast-popular.sh            # builds tollgate in release
#   TOLLGATE_BIN=path bash benches/sast-popular.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${TOLLGATE_BIN:-}" ]; then
  T=$(realpath "$TOLLGATE_BIN")
else
  cargo build --release -q -p tollgate
  T=$(pwd)/target/release/tollgate
fi
REGISTRY=${CARGO_HOME:-$HOME/.cargo}/registry/src
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for crate in tokio hyper reqwest rustls serde_json regex clap axum ring git2; do
  dir=$(ls -d "$REGISTRY"/*/"$crate"-[0-9]* 2>/dev/null | sort -V | tail -1 || true)
  if [ -z "$dir" ]; then
    echo "$crate: not in $REGISTRY (fetch it with cargo first)" >&2
    continue
  fi
  # Exit 1 means findings; 2 is an error.
  rc=0
  "$T" sast "$dir" --format json -o "$out/$(basename "$dir").json" >/dev/null 2>"$out/err" || rc=$?
  if [ "$rc" -gt 1 ]; then
    echo "$crate: tollgate sast failed: $(cat "$out/err")" >&2
    exit 2
  fi
done
python3 - "$out" <<'PY'
import collections, glob, json, os, sys
hygiene = {"undocumented-unsafe", "raw-parts-dynamic-length", "mem-transmute",
           "unsafe-send-sync", "get-unchecked-dynamic-index", "dangling-pointer"}
security = []
totals = collections.Counter()
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.json"))):
    crate = os.path.basename(path)[:-5]
    findings = json.load(open(path)).get("findings", [])
    rules = collections.Counter(f["rule"] for f in findings)
    totals.update(rules)
    print(f"{crate:24} {dict(sorted(rules.items()))}")
    security += [(crate, f) for f in findings if f["rule"] not in hygiene]
h = sum(n for r, n in totals.items() if r in hygiene)
print(f"\nsecurity findings: {len(security)}; hygiene findings: {h}")
for crate, f in security:
    print(f"  {crate} {f['rule']} {f['path']}:{f['line']}  {f['message'][:120]}")
PY
