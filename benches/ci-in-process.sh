#!/usr/bin/env bash
# `tollgate ci` on this repository: an earlier binary (which ran every stage
# as a child process) against the current one (every stage in process, one
# graph, one advisory database, SAST in parallel), in the same run, with the
# same inputs. Reports the median wall time of each and checks that both
# wrote byte-identical files (sast.sarif, audit.json, sbom.cdx.json, the
# attestations and summary.json; decisions.jsonl records the time of each
# decision, so only its decisions are compared, and its Merkle tree file,
# hashed over those times, only by size).
#
#   bash benches/ci-in-process.sh BEFORE_BINARY [RUNS]
#
# BEFORE_BINARY: this tree with `tollgate ci` as it was before issue 18
# (b775d63^ = b2126ad: every stage a child process), so that both binaries
# run the same SAST, audit and SBOM code and their files can be compared:
#   git worktree add /tmp/before HEAD && \
#   git show b2126ad:cli/src/ci_cmd.rs > /tmp/before/cli/src/ci_cmd.rs && \
#   CARGO_TARGET_DIR=/tmp/target-before cargo build --release -p tollgate \
#     --manifest-path /tmp/before/Cargo.toml
# (A build of b2126ad itself runs too, but its SAST is older: sast.sarif,
# the SAST attestation and the summary's counts then differ.)
# On a shared machine other work shows in the times (the load is printed);
# as root, `echo -20 > /proc/self/autogroup` first gives this session's
# processes the processors ahead of other sessions'.
# AFTER (environment, optional): the binary to compare (default: a release
# build of this tree, built here).
set -euo pipefail
cd "$(dirname "$0")/.."
BEFORE=$(realpath "${1:?usage: benches/ci-in-process.sh BEFORE_BINARY [RUNS]}")
RUNS=${2:-5}
if [ -z "${AFTER:-}" ]; then
  cargo build --release -q -p tollgate
  AFTER=$(pwd)/${CARGO_TARGET_DIR:-target}/release/tollgate
fi
AFTER=$(realpath "$AFTER")
DB=$(realpath ../shared/advisory-db)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# This repository at HEAD, committed (provenance reads git), as the
# project; every package its lockfile names fetched first, so both runs
# read the graph offline (`cargo metadata` wants every platform's).
mkdir -p "$WORK/project"
git archive HEAD | tar -x -C "$WORK/project"
(cd "$WORK/project" && git init -q -b main && git add . \
  && git -c user.name=bench -c user.email=bench@example.com commit -q -m bench \
  && cargo fetch -q --locked)
# A key, a policy that trusts it and an artifact: the demo's.
(cd "$WORK" && "$AFTER" -q ci --demo fixed --out demo --advisory-db "$DB" >/dev/null)
ARTIFACT=$(ls "$WORK"/demo/artifacts/*.tar)

export SOURCE_DATE_EPOCH=1767225600 COSIGN_PASSWORD=
python3 - "$RUNS" "$BEFORE" "$AFTER" "$WORK" "$DB" "$ARTIFACT" <<'PY'
import filecmp, json, os, shutil, statistics, subprocess, sys, time
runs, before, after, work, db, artifact = sys.argv[1:]
runs = int(runs)

def ci(binary, out):
    shutil.rmtree(os.path.join(work, out), ignore_errors=True)
    cmd = [binary, "-q", "ci", "project", "--key", "demo/keys/demo.key",
           "--policy", "demo/policy.yaml", "--artifact", artifact,
           "--advisory-db", db, "--offline", "--format", "json", "--out", out]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=work, capture_output=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"{binary}: exit {proc.returncode}\n{proc.stderr.decode()[-3000:]}")
    return elapsed, proc.stdout

times = {"before": [], "after": []}
stdout = {}
# Other work on the machine shows in the times: the load is reported.
load_start = os.getloadavg()
# Alternate, so both see the same machine state (caches, other load).
for i in range(runs):
    for name, binary in (("before", before), ("after", after)):
        t, out = ci(binary, name)
        times[name].append(t)
        stdout[name] = out

def files(root):
    found = []
    for d, _, names in os.walk(root):
        for n in names:
            found.append(os.path.relpath(os.path.join(d, n), root))
    return sorted(found)

b, a = os.path.join(work, "before"), os.path.join(work, "after")
identical = True
fb, fa = files(b), files(a)
if fb != fa:
    identical = False
    print(f"different file sets:\n  before {fb}\n  after  {fa}")
for f in fb:
    if f not in fa:
        continue
    if f == "decisions.jsonl.tree":
        # The log's Merkle tree: leaf hashes cover each record's time.
        same = os.path.getsize(os.path.join(b, f)) == os.path.getsize(os.path.join(a, f))
    elif f == "decisions.jsonl":
        # Each line: index, prev (hash chain), time, event (the decision).
        strip = lambda p: [json.loads(l).get("event") for l in open(p)]
        same = strip(os.path.join(b, f)) == strip(os.path.join(a, f))
    else:
        same = filecmp.cmp(os.path.join(b, f), os.path.join(a, f), shallow=False)
    print(f"  {'same' if same else 'DIFFERENT'}  {f}")
    identical &= same
same_stdout = stdout["before"] == stdout["after"]
print(f"  {'same' if same_stdout else 'DIFFERENT'}  standard output (--format json)")
identical &= same_stdout

mb, ma = statistics.median(times["before"]), statistics.median(times["after"])
print()
print(f"tollgate ci on this repository, {runs} runs each, median wall time")
print(f"  before (child process per stage): {mb:6.2f} s   runs {', '.join(f'{t:.2f}' for t in times['before'])}")
print(f"  after  (in process, one context): {ma:6.2f} s   runs {', '.join(f'{t:.2f}' for t in times['after'])}")
print(f"  speed-up: {mb / ma:.2f}x   output identical: {'yes' if identical else 'NO'}")
fmt = lambda l: " ".join(f"{x:.2f}" for x in l)
print(f"  load average (1, 5, 15 min) at start: {fmt(load_start)}, at end: {fmt(os.getloadavg())}"
      f" on {os.cpu_count()} CPUs")
sys.exit(0 if identical else 1)
PY
