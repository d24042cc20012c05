#!/usr/bin/env bash
# Install tollgate for the GitHub Action into $TOLLGATE_BIN_DIR and put it
# on the PATH.
#
# By default the release binary for this platform is downloaded, and
# nothing downloaded runs before its bytes are accounted for
# (ARCHITECTURE.md, "The GitHub Action and the release"):
#
#  1. The trust anchor is `.github/checksums/v<VERSION>.SHA256SUMS` in the
#     action's own tree: the commit the workflow pins, whose scripts it
#     already trusts. VERSION (a file, because `github.action_ref` is empty
#     in composite actions) names the release this commit installs.
#  2. That release's binary must have the checked-in SHA-256 (sha256sum;
#     nothing else runs first), and the release's SHA256SUMS must be the
#     checked-in file, byte for byte.
#  3. Its Sigstore bundle is then verified keylessly, pinned to the release
#     workflow of tollgate-dev/tollgate at the version's tag, by that
#     hash-checked binary.
#  4. Another release (the `version` input) is verified by the pinned
#     release as a bootstrap, the way cosign-installer does it: the Sigstore
#     bundles of its SHA256SUMS and of its binary, keyless, pinned to the
#     release workflow at that version's tag; then its hash against the
#     verified SHA256SUMS. A binary never vouches for itself.
#
# With TOLLGATE_BUILD_FROM_SOURCE=true the action's own source is built
# with cargo instead (input `build-from-source`).
#
# Inputs (environment): TOLLGATE_BIN_DIR, TOLLGATE_VERSION,
# TOLLGATE_BUILD_FROM_SOURCE, TOLLGATE_DOWNLOAD_URL (release download base,
# `<base>/v<version>/<asset>`), TOLLGATE_RELEASE_TRUSTED_ROOT (a Sigstore
# trusted root for the release signatures; default the public-good root
# built into tollgate), TOLLGATE_SOURCE_CACHE (a directory the action
# caches for source builds), GITHUB_TOKEN (sent only to $GITHUB_SERVER_URL).
set -euo pipefail

die() {
  echo "::error title=Tollgate install::$*" >&2
  exit 1
}

action=${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}
bin_dir=${TOLLGATE_BIN_DIR:?TOLLGATE_BIN_DIR is not set}
issuer=https://token.actions.githubusercontent.com
release_workflow=https://github.com/tollgate-dev/tollgate/.github/workflows/release.yml
base_url=${TOLLGATE_DOWNLOAD_URL:-https://github.com/tollgate-dev/tollgate/releases/download}
base_url=${base_url%/}

install_bin() { # FILE: the one binary the later steps run
  mkdir -p "$bin_dir"
  cp "$1" "$bin_dir/tollgate.new"
  chmod 755 "$bin_dir/tollgate.new"
  mv -f "$bin_dir/tollgate.new" "$bin_dir/tollgate"
  echo "$bin_dir" >> "${GITHUB_PATH:?GITHUB_PATH is not set}"
  "$bin_dir/tollgate" --version
}

# --- build from source ------------------------------------------------------
if [ "${TOLLGATE_BUILD_FROM_SOURCE:-false}" = true ]; then
  if [ -n "${TOLLGATE_VERSION:-}" ]; then
    die "build-from-source builds the action's own source; leave version empty (or pin the action to the commit you want built)"
  fi
  cache=${TOLLGATE_SOURCE_CACHE:-}
  if [ -n "$cache" ] && [ -x "$cache/tollgate" ]; then
    echo "tollgate: built from source earlier (cached for this source tree)"
    install_bin "$cache/tollgate"
    exit 0
  fi
  command -v cargo > /dev/null || die "build-from-source needs a Rust toolchain (cargo) on the runner"
  target_dir=${CARGO_TARGET_DIR:-$action/target}
  echo "tollgate: building from source in $action (cargo build --release --locked)"
  cargo build --release --locked -p tollgate --manifest-path "$action/Cargo.toml" --target-dir "$target_dir"
  if [ -n "$cache" ]; then
    mkdir -p "$cache"
    cp "$target_dir/release/tollgate" "$cache/tollgate"
  fi
  install_bin "$target_dir/release/tollgate"
  exit 0
fi

# --- download and verify ----------------------------------------------------
semver='^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$'
[ -f "$action/VERSION" ] || die "$action/VERSION is missing: this copy of the action does not name a release"
pinned=$(tr -d ' \t\r\n' < "$action/VERSION")
pinned=${pinned#v}
[[ $pinned =~ $semver ]] || die "$action/VERSION: '$pinned' is not a version (x.y.z)"
want=${TOLLGATE_VERSION:-$pinned}
want=${want#v}
[[ $want =~ $semver ]] || die "version: '$want' is not a release version (x.y.z or vx.y.z)"

case "$base_url" in
  https://*) ;;
  http://127.0.0.1[:/]* | http://localhost[:/]* | "http://[::1]"[:/]*) ;;
  *) die "download-url must be https:// (got $base_url)" ;;
esac

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) target=x86_64-unknown-linux-musl ;;
  Linux-aarch64 | Linux-arm64) target=aarch64-unknown-linux-musl ;;
  Darwin-x86_64) target=x86_64-apple-darwin ;;
  Darwin-arm64) target=aarch64-apple-darwin ;;
  *) die "no tollgate release binary for $(uname -s) $(uname -m); set build-from-source: true" ;;
esac

if command -v sha256sum > /dev/null; then
  sha256() { sha256sum "$1" | cut -d' ' -f1; }
elif command -v shasum > /dev/null; then
  sha256() { shasum -a 256 "$1" | cut -d' ' -f1; }
else
  die "neither sha256sum nor shasum is available to check the download"
fi

download() { # URL FILE
  # The token goes only to the GitHub server itself (curl drops it on a
  # redirect to another host, the release asset store), and through
  # standard input, never on the command line.
  if [ -n "${GITHUB_TOKEN:-}" ] && [[ $1 == "${GITHUB_SERVER_URL:-https://github.com}/"* ]]; then
    printf 'header = "Authorization: Bearer %s"\n' "$GITHUB_TOKEN" |
      curl --fail --silent --show-error --location --retry 3 --proto '=https,http' --proto-redir '=https' --config - -o "$2" "$1" ||
      die "could not download $1"
  else
    curl --fail --silent --show-error --location --retry 3 --proto '=https,http' --proto-redir '=https' -o "$2" "$1" ||
      die "could not download $1"
  fi
}

# check_sum FILE NAME SUMS LABEL: FILE's SHA-256 is the one SUMS gives for NAME.
check_sum() {
  local expected actual
  expected=$(awk -v n="$2" '$2 == n || $2 == "*" n { print $1 }' "$3" | sort -u)
  [ -n "$expected" ] || die "$4 lists no $2: refusing to run a binary without a checksum"
  [ "$(printf '%s\n' "$expected" | wc -l)" -eq 1 ] || die "$4 gives $2 more than one checksum"
  [[ $expected =~ ^[0-9a-f]{64}$ ]] || die "$4: the checksum of $2 is not a SHA-256 ('$expected')"
  actual=$(sha256 "$1")
  [ "$actual" = "$expected" ] ||
    die "$2: SHA-256 $actual does not match $expected in $4; the download is corrupt or tampered with, refusing to run it"
}

# verify_bundle VERIFIER FILE VERSION: FILE.sigstore.json is a keyless
# signature over FILE by the release workflow at tag vVERSION.
verify_bundle() {
  local root=()
  [ -n "${TOLLGATE_RELEASE_TRUSTED_ROOT:-}" ] && root=(--trusted-root "$TOLLGATE_RELEASE_TRUSTED_ROOT")
  "$1" verify-bundle --quiet --bundle "$2.sigstore.json" \
    --certificate-identity "$release_workflow@refs/tags/v$3" \
    --certificate-oidc-issuer "$issuer" ${root[@]+"${root[@]}"} "$2" ||
    die "$(basename "$2"): its Sigstore signature does not verify as the release workflow of tollgate-dev/tollgate at v$3; refusing to run it"
}

work=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/tollgate-install.XXXXXX")
trap 'rm -rf "$work"' EXIT

fetch() { # VERSION DIR: the binary, SHA256SUMS and their bundles
  local asset="tollgate-$1-$target"
  mkdir -p "$2"
  for file in "$asset" "$asset.sigstore.json" SHA256SUMS SHA256SUMS.sigstore.json; do
    download "$base_url/v$1/$file" "$2/$file"
  done
}

# 1-3: the release this commit of the action pins.
anchor="$action/.github/checksums/v$pinned.SHA256SUMS"
[ -f "$anchor" ] ||
  die "no checked-in checksums for v$pinned ($anchor), so there is no release this action can verify; set build-from-source: true"
asset="tollgate-$pinned-$target"
echo "tollgate: downloading v$pinned for $target from $base_url"
fetch "$pinned" "$work/pinned"
check_sum "$work/pinned/$asset" "$asset" "$anchor" "the action's checked-in .github/checksums/v$pinned.SHA256SUMS"
cmp -s "$work/pinned/SHA256SUMS" "$anchor" ||
  die "the SHA256SUMS published with v$pinned differs from the action's checked-in copy; refusing the release"
chmod 755 "$work/pinned/$asset"
bootstrap="$work/pinned/$asset"
verify_bundle "$bootstrap" "$work/pinned/$asset" "$pinned"
echo "tollgate: v$pinned verified (SHA-256 pinned by the action, Sigstore signature of the release workflow)"

if [ "$want" = "$pinned" ]; then
  install_bin "$bootstrap"
  exit 0
fi

# 4: another release, verified by the pinned one.
asset="tollgate-$want-$target"
echo "tollgate: downloading v$want, verified by the pinned v$pinned"
fetch "$want" "$work/want"
verify_bundle "$bootstrap" "$work/want/SHA256SUMS" "$want"
verify_bundle "$bootstrap" "$work/want/$asset" "$want"
check_sum "$work/want/$asset" "$asset" "$work/want/SHA256SUMS" "the SHA256SUMS of v$want"
echo "tollgate: v$want verified (Sigstore signatures of the release workflow, SHA-256 from its signed SHA256SUMS)"
install_bin "$work/want/$asset"
