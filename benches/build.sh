#!/usr/bin/env bash
# What `tollgate build` costs over a plain offline release build of the
# same project, measured in the same run: `cargo build --offline --locked
# --release` against `tollgate build` (network sandbox, allow-listed
# environment, cargo-auditable, provenance with every Cargo.lock crate and
# the toolchain's digests). Both start from an empty target directory and
# the same, already filled, cargo home (the fetch is outside the timing of
# the plain build and a no-op inside tollgate's). Prints both times and
# the ratio (goal: <= 1.10).
#
#   bash benches/build.sh [PROJECT]     # default: this repository
#
# Wall time on a shared machine swings with everyone else's load, so each
# run also reports the CPU time (user + system, of every process waited
# for: cargo, rustc, build scripts, bwrap, cargo-auditable), which other
# processes' load disturbs much less, the load average before and after,
# and where tollgate's time goes: cargo's own build (its `Finished ... in`
# line) and the rest (probe, fetch, toolchain hashing, provenance, copying
# the artifacts).
#
# RUNS (default 1): alternate plain and hermetic builds this many times
# and report the medians. TOLLGATE_BIN: an already built binary (skips the
# release build of tollgate). The cargo home is seeded from
# ~/.cargo/registry when that exists, so little or nothing is downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."
PROJECT=$(realpath "${1:-.}")
RUNS=${RUNS:-1}
if [ -n "${TOLLGATE_BIN:-}" ]; then
  T=$(realpath "$TOLLGATE_BIN")
else
  cargo build --release -q -p tollgate
  T=$(pwd)/target/release/tollgate
fi
command -v cargo-auditable >/dev/null || [ -x "${CARGO_HOME:-$HOME/.cargo}/bin/cargo-auditable" ] \
  || cargo install -q cargo-auditable --locked
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
H=$W/cargo-home
mkdir -p "$H"
if [ -d "${CARGO_HOME:-$HOME/.cargo}/registry" ]; then
  cp -r "${CARGO_HOME:-$HOME/.cargo}/registry" "$H/"
fi
# The project, copied without its target directory.
mkdir -p "$W/src"
tar -C "$PROJECT" --exclude=./target --exclude=./.git -cf - . | tar -C "$W/src" -xf -
CARGO_HOME=$H cargo fetch --locked -q --manifest-path "$W/src/Cargo.toml"

# `timed NAME CMD...`: run CMD, append "wall cpu" (seconds) to $W/NAME.
# CPU is read from a cpuacct cgroup of its own where one can be made
# (root, cgroup v1): tollgate's sandbox re-parents the build's processes,
# whose time `wait` then never reports to /usr/bin/time (a first run gave
# tollgate build 1.23 s CPU for a 1,032 s build). Otherwise /usr/bin/time.
CG_ROOT=/sys/fs/cgroup/cpuacct
timed() {
  local name=$1
  shift
  local cg="$CG_ROOT/tollgate-bench-$$-$name"
  if mkdir "$cg" 2>/dev/null; then
    /usr/bin/time -o "$W/$name.t" -f '%e %U %S' sh -c 'echo $$ > "$1/tasks" && shift && exec "$@"' sh "$cg" "$@"
    local ns
    ns=$(cat "$cg/cpuacct.usage")
    while read -r p; do echo "$p" >"$CG_ROOT/tasks" 2>/dev/null || true; done <"$cg/tasks"
    rmdir "$cg" 2>/dev/null || true
    awk -v ns="$ns" '{printf "%s %.2f\n", $1, ns / 1e9}' "$W/$name.t" >>"$W/$name"
  else
    /usr/bin/time -o "$W/$name.t" -f '%e %U %S' "$@"
    awk '{printf "%s %.2f\n", $1, $2 + $3}' "$W/$name.t" >>"$W/$name"
  fi
}
# cargo's "Finished `release` profile ... in 1m 02s" as seconds.
cargo_seconds() {
  grep -o 'Finished .* in .*' "$1" | tail -1 | sed 's/.* in //' \
    | awk '{s = 0; for (i = 1; i <= NF; i++) { v = $i; if (v ~ /m$/) s += 60 * substr(v, 1, length(v) - 1); else if (v ~ /s$/) s += substr(v, 1, length(v) - 1) } print s}'
}
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "load average before: $(load)" >&2
for i in $(seq "$RUNS"); do
  rm -rf "$W/plain-target" "$W/out"
  timed plain env -C "$W/src" CARGO_HOME="$H" CARGO_TARGET_DIR="$W/plain-target" \
    cargo build --offline --locked --release -q
  timed hermetic "$T" -q build "$W/src" --cargo-home "$H" --out "$W/out" >/dev/null 2>"$W/hermetic.log" \
    || { cat "$W/hermetic.log" >&2; exit 1; }
  c=$(cargo_seconds "$W/hermetic.log")
  echo "$c" >>"$W/inner"
  echo "run $i: plain $(tail -1 "$W/plain" | awk '{print $1 "s wall, " $2 "s cpu"}');" \
    "tollgate build $(tail -1 "$W/hermetic" | awk '{print $1 "s wall, " $2 "s cpu"}')" \
    "(cargo inside: ${c}s); load average: $(load)" >&2
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
PW=$(cut -d' ' -f1 "$W/plain" | median)
PC=$(cut -d' ' -f2 "$W/plain" | median)
HW=$(cut -d' ' -f1 "$W/hermetic" | median)
HC=$(cut -d' ' -f2 "$W/hermetic" | median)
IN=$(median <"$W/inner")
crates=$(grep -c '^\[\[package\]\]' "$W/src/Cargo.lock")
echo "project: $PROJECT ($crates crates in Cargo.lock), runs: $RUNS, $(nproc) cores"
echo "plain cargo build --offline --locked --release: ${PW}s wall, ${PC}s cpu"
echo "tollgate build (sandbox, auditable, provenance): ${HW}s wall, ${HC}s cpu"
echo "  of which cargo's build: ${IN}s; outside it (probe, fetch, hashing, provenance, copy): $(echo "$HW - $IN" | bc)s"
echo "ratio wall: $(echo "scale=3; $HW / $PW" | bc), cpu: $(echo "scale=3; $HC / $PC" | bc) (goal <= 1.10)"
echo "load average after: $(load)"
