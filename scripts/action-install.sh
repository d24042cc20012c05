#!/usr/bin/env bash
# Install tollgate for the GitHub Action into $TOLLGATE_BIN_DIR (cached by
# the action) and put it on the PATH. Builds from the action's own source,
# or from the tag in $TOLLGATE_VERSION.
set -euo pipefail
bin_dir=${TOLLGATE_BIN_DIR:?}
if [ ! -x "$bin_dir/bin/tollgate" ]; then
  if [ -n "${TOLLGATE_VERSION:-}" ]; then
    cargo install --locked --root "$bin_dir" --git https://github.com/tollgate-dev/tollgate --tag "$TOLLGATE_VERSION" tollgate
  else
    cargo install --locked --root "$bin_dir" --path "${GITHUB_ACTION_PATH:?}/cli"
  fi
fi
echo "$bin_dir/bin" >> "${GITHUB_PATH:?}"
"$bin_dir/bin/tollgate" --version
