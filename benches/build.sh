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

now() { date +%s.%N; }
plain=()
hermetic=()
for i in $(seq "$RUNS"); do
  rm -rf "$W/plain" "$W/out"
  t0=$(now)
  (cd "$W/src" && CARGO_HOME=$H CARGO_TARGET_DIR=$W/plain cargo build --offline --locked --release -q)
  t1=$(now)
  "$T" -q build "$W/src" --cargo-home "$H" --out "$W/out" >/dev/null 2>"$W/hermetic.log" \
    || { cat "$W/hermetic.log" >&2; exit 1; }
  t2=$(now)
  plain+=("$(echo "$t1 - $t0" | bc)")
  hermetic+=("$(echo "$t2 - $t1" | bc)")
  echo "run $i: plain ${plain[-1]}s, tollgate build ${hermetic[-1]}s" >&2
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
P=$(median "${plain[@]}")
H_=$(median "${hermetic[@]}")
crates=$(grep -c '^\[\[package\]\]' "$W/src/Cargo.lock")
echo "project: $PROJECT ($crates crates in Cargo.lock), runs: $RUNS"
echo "plain cargo build --offline --release: ${P}s"
echo "tollgate build (sandbox, auditable, provenance): ${H_}s"
echo "ratio: $(echo "scale=3; $H_ / $P" | bc) (goal <= 1.10)"
