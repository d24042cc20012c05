#!/usr/bin/env bash
# Peak memory of `tollgate-sast` on generated ~5.4 MB files, as a multiple
# of the file size (the budget is 20x). Three shapes: many ordinary
# functions, many mid-sized constant tables, one huge literal table (which
# is over the per-item limit and becomes an `analysis-limit` note).
# SIZE (default 5400000): the size of each generated file, in bytes.
#
#   benches/sast-memory.sh            # builds the example in release
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cargo build --release -q -p tollgate-sast --example sast_scan
bin="${CARGO_TARGET_DIR:-$root/target}/release/examples/sast_scan"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
SIZE="${SIZE:-5400000}" python3 - "$work" <<'PY'
import random, sys
out = sys.argv[1]
random.seed(1)
target = int(__import__("os").environ.get("SIZE", "5400000"))
parts, size, i = [], 0, 0
while size < target:
    f = f'''pub fn handler_{i}(input: &str, limit: usize) -> Result<String, std::io::Error> {{
    let trimmed = input.trim();
    let mut out = String::with_capacity(limit.min(4096));
    for (n, part) in trimmed.split(',').enumerate() {{
        if part.is_empty() {{ continue; }}
        out.push_str(&format!("{{}}:{{}};", n, part.to_uppercase()));
    }}
    let path = std::path::Path::new("/srv/data").join(format!("item-{i}.txt"));
    std::fs::write(&path, out.as_bytes())?;
    Ok(out)
}}
'''
    parts.append(f); size += len(f); i += 1
open(f"{out}/functions.rs", "w").write("".join(parts))
parts, size, i = [], 0, 0
while size < target:
    t = "pub const T%d: [(u32, &str); 64] = [%s];\n" % (i, ", ".join('(%d, "x%d")' % (j, j) for j in range(64)))
    parts.append(t); size += len(t); i += 1
open(f"{out}/consts.rs", "w").write("".join(parts))
n = target // 8
open(f"{out}/table.rs", "w").write("pub static TABLE: [u32; %d] = [\n" % n + "".join("%6d,\n" % random.randrange(100000) for _ in range(n)) + "];\n")
PY
printf '%-14s %10s %8s %12s %8s\n' file bytes "wall s" "peak RSS MB" ratio
for shape in functions consts table; do
    file="$work/$shape.rs"
    bytes=$(stat -c %s "$file")
    /usr/bin/time -v "$bin" "$file" >"$work/out" 2>"$work/time"
    rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time")
    awk -v s="$shape" -v b="$bytes" -v r="$rss_kb" -v w="$wall" \
        'BEGIN { printf "%-14s %10d %8s %12.1f %7.1fx\n", s, b, w, r/1024, r*1024/b }'
done
