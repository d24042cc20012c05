#!/usr/bin/env bash
# Compare `tollgate sbom` with cargo-cyclonedx on the same projects: the set
# of name@version components, what each records (hashes, licences, scopes),
# and wall-clock time. cargo-cyclonedx writes SBOMs next to each Cargo.toml,
# so each project is copied to a temporary directory first.
#
#   bash benches/sbom-vs-cargo-cyclonedx.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
TOOLS=target/bench-tools
if [ ! -x "$TOOLS/bin/cargo-cyclonedx" ]; then
  echo "installing cargo-cyclonedx into $TOOLS ..." >&2
  cargo install cargo-cyclonedx --locked --root "$TOOLS" >&2
fi
cargo build --release -q -p tollgate
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

copy_project() { # src dest
  mkdir -p "$2"
  (cd "$1" && git ls-files -co --exclude-standard 2>/dev/null || find . -type f -not -path './target/*') | while read -r f; do
    mkdir -p "$2/$(dirname "$f")"; cp "$1/$f" "$2/$f"
  done
}
copy_project . "$WORK/tollgate"
copy_project sbom/tests/fixtures/projects/called "$WORK/called"
copy_project sbom/tests/fixtures/projects/hyper-old "$WORK/hyper-old"

HOST=$(rustc -vV | sed -n 's/^host: //p')
python3 - "$RUNS" "$HOST" "$(pwd)/$TOOLS/bin/cargo-cyclonedx" "$(pwd)/target/release/tollgate" "$WORK/tollgate" "$WORK/called" "$WORK/hyper-old" <<'PY'
import glob, json, os, statistics, subprocess, sys, time
runs, host, cyclonedx, tollgate, *projects = sys.argv[1:]
runs = int(runs)

def timed(cmd, cwd):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True)
        times.append((time.perf_counter() - start) * 1000)
        if proc.returncode != 0:
            sys.exit(f"{cmd}: {proc.stderr.decode()[-2000:]}")
    return statistics.median(times), proc

def components(doc):
    comps = doc.get("components", [])
    return {f"{c['name']}@{c['version']}": c for c in comps}

def stats(comps):
    n = len(comps) or 1
    has = lambda key: sum(1 for c in comps.values() if c.get(key)) * 100 // n
    return f"hashes {has('hashes'):>3}%  licences {has('licenses'):>3}%  scope {has('scope'):>3}%"

print(f"{'project':<10} {'tool':<16} {'components':>10}  {'recorded':<40} {'ms':>8}")
all_same = True
for project in projects:
    name = os.path.basename(project)
    cd_ms, _ = timed([cyclonedx, "cyclonedx", "--manifest-path", f"{project}/Cargo.toml", "--format", "json", "--spec-version", "1.5"], project)
    theirs = {}
    for f in glob.glob(f"{project}/**/*.cdx.json", recursive=True):
        doc = json.load(open(f))
        theirs.update(components(doc))
        root = doc.get("metadata", {}).get("component")
        if root:
            theirs.pop(f"{root['name']}@{root['version']}", None)
        os.remove(f)
    tg_ms, proc = timed([tollgate, "sbom", project, "--no-dev-deps", "--target", host], project)
    ours = components(json.loads(proc.stdout))
    # Workspace members are components of our workspace root; cargo-cyclonedx
    # writes one SBOM per member, with the member as its root.
    members = {k for k in ours if k not in theirs and any(m in k for m in ("tollgate@", "tollgate-sast@", "tollgate-sbom@"))}
    ours_cmp = {k: v for k, v in ours.items() if k not in members}
    same = set(ours_cmp) == set(theirs)
    all_same &= same
    print(f"{name:<10} {'cargo-cyclonedx':<16} {len(theirs):>10}  {stats(theirs):<40} {cd_ms:>8.1f}")
    print(f"{name:<10} {'tollgate':<16} {len(ours_cmp):>10}  {stats(ours_cmp):<40} {tg_ms:>8.1f}   same set: {same}, {cd_ms / tg_ms:.2f}x faster")
    if not same:
        print(f"  only cargo-cyclonedx: {sorted(set(theirs) - set(ours_cmp))[:10]}")
        print(f"  only tollgate:        {sorted(set(ours_cmp) - set(theirs))[:10]}")
print(f"median of {runs} runs; tollgate with --no-dev-deps --target {host} (cargo-cyclonedx's defaults: no dev-dependencies, host target)")
sys.exit(0 if all_same else 1)
PY
