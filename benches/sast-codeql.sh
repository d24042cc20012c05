#!/bin/sh
# Score `tollgate sast` against CodeQL's Rust security query tests (kept outside the repo; see benches/sast-codeql.py). Usage: benches/sast-codeql.sh [DIR] [--misses] [--fps]
exec python3 "$(dirname "$0")/sast-codeql.py" --bin "${TOLLGATE_BIN:-target/release/tollgate}" "$@"
