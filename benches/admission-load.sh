#!/usr/bin/env bash
# Load on the admission webhook over loopback TLS, with wrk, with the
# decision log ON (every review is a durable record before its answer; the
# log commits many records per fdatasync): warm (cached decisions), cold
# (cache off: every review resolves the image and verifies its attestations
# against a local docker-registry), and the floor: the same server's
# fixed-response /healthz on the same TLS stack, measured in the same run.
# Prints, for each number of connections, the warm pinned pod's throughput
# as a share of the floor, its p99 and its errors (non-2xx and socket
# errors).
#
#   bash benches/admission-load.sh [SECONDS]
#
# CONNECTIONS (default "16 64"): wrk's concurrent connections; the floor
# and the warm pinned pod are run at each. Each review waits for the
# fdatasync that makes its record durable, so a closed-loop client's
# throughput is at most C / (review time + one write+fdatasync): with few
# connections that bound, not the server's work, sets the rate (printed as
# the log-on ceiling); with more, group commit puts more records in each
# fdatasync. The bench prints records per fdatasync and the time one took.
# LOG_DIR (default: the bench's temporary directory, on disk): where the
# decision log is written; LOG_DIR=/dev/shm (tmpfs, fdatasync costs
# nothing) isolates the admission path's CPU cost from the disk's.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
CONNECTIONS=${CONNECTIONS:-16 64}
FIRST_C=${CONNECTIONS%% *}
for tool in wrk docker-registry skopeo umoci openssl; do
  command -v "$tool" >/dev/null || { echo "installing $tool" >&2; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$tool" >/dev/null; }
done
# TOLLGATE_BIN: an already built binary (skips the release build).
if [ -n "${TOLLGATE_BIN:-}" ]; then
  T=$(realpath "$TOLLGATE_BIN")
else
  cargo build --release -q -p tollgate
  T=$(pwd)/target/release/tollgate
fi
W=$(mktemp -d)
LOGS=$(mktemp -d "${LOG_DIR:-$W}/tollgate-bench-log.XXXXXX")
cleanup() { kill $(jobs -p) 2>/dev/null || true; rm -rf "$W" "$LOGS"; }
trap cleanup EXIT
cd "$W"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

REG=$(free_port)
printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s/storage\nhttp:\n  addr: 127.0.0.1:%s\n' "$W" "$REG" > registry.yml
docker-registry serve registry.yml >/dev/null 2>&1 &
sleep 1
umoci init --layout img >/dev/null && umoci new --image img:v1 >/dev/null
umoci unpack --rootless --image img:v1 b >/dev/null && echo hi > b/rootfs/x && umoci repack --image img:v1 b >/dev/null
skopeo copy --quiet --dest-tls-verify=false oci:img:v1 "docker://127.0.0.1:$REG/bench/app:v1"
echo pw > pw
"$T" key generate --password-file pw >/dev/null 2>&1
echo '{"approved": true}' > review.json
"$T" attest --predicate-type https://example.com/review/v1 --predicate review.json --attach "127.0.0.1:$REG/bench/app:v1" --key cosign.key --password-file pw --allow-insecure-registry >/dev/null 2>&1
{ printf 'apiVersion: tollgate.dev/v1\nkind: Policy\nname: bench\nauthorities:\n  - name: k\n    key: |\n'; sed 's/^/      /' cosign.pub; printf '    allowUnlogged: true\nattestations:\n  - type: https://example.com/review/v1\n'; } > policy.yaml
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tls.key -out tls.crt -days 1 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null

DIGEST=$(skopeo inspect --tls-verify=false "docker://127.0.0.1:$REG/bench/app:v1" --format '{{.Digest}}')
python3 - "127.0.0.1:$REG/bench/app@$DIGEST" > review-digest.lua <<'PY'
import json, sys
body = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {"uid": "bench", "kind": {"group": "", "version": "v1", "kind": "Pod"}, "namespace": "default", "operation": "CREATE", "object": {"spec": {"containers": [{"name": "app", "image": sys.argv[1]}]}}}}
print('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = ' + json.dumps(json.dumps(body)))
PY
python3 - "127.0.0.1:$REG/bench/app:v1" > review.lua <<'PY'
import json, sys
body = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {"uid": "bench", "kind": {"group": "", "version": "v1", "kind": "Pod"}, "namespace": "default", "operation": "CREATE", "object": {"spec": {"containers": [{"name": "app", "image": sys.argv[1]}]}}}}
open("body.json", "w").write(json.dumps(body))
print('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = ' + json.dumps(json.dumps(body)))
PY

run() { # name port path script [connections] -> prints a line; sets RPS P99 ERR
  local args=(-t2 -c"${5:-$FIRST_C}" -d"${DURATION}s" --latency)
  [ -n "$4" ] && args+=(-s "$4")
  local out; out="run-$RANDOM.out"
  wrk "${args[@]}" "https://127.0.0.1:$2$3" > "$out"
  read -r RPS P99 ERR < <(python3 - "$1" "$out" <<'PY'
import re, sys
name, path = sys.argv[1:]
text = open(path).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
def pct(p):
    m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)", text, re.M)
    v, u = float(m.group(1)), m.group(2)
    return v / 1000 if u == "us" else v * 1000 if u == "s" else v
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(int(g) for g in sock.groups()) if sock else 0)
print(f"{name:<44} {rps:>10.0f} req/s   p50 {pct(50):>7.2f} ms   p99 {pct(99):>7.2f} ms   errors {errors}", file=sys.stderr)
print(f"{rps} {pct(99)} {errors}")
PY
)
}

# The ceiling the decision log leaves: the same warm pinned pod on a server
# without it. A closed-loop client with C connections gets C / latency, and
# with the log on each review also waits for at least one durable write, so
# the log-on throughput is at most C / (log-off latency + one
# write+fdatasync) (printed at the end).
declare -A NOLOG FLOOR PINNED PINNED_P99 PINNED_ERR SYNC_MS
PORT=$(free_port)
"$T" admission serve --listen "127.0.0.1:$PORT" --tls-cert tls.crt --tls-key tls.key --policy policy.yaml --cache-ttl 300 --allow-insecure-registry >/dev/null 2>&1 &
for _ in $(seq 50); do curl -sfk "https://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
for c in $CONNECTIONS; do
  run "log off: warm pinned (ceiling), c$c" "$PORT" /validate review-digest.lua "$c"; NOLOG[$c]=$RPS
done
kill %% 2>/dev/null || true
wait %% 2>/dev/null || true
# The decision log's counters: "records syncs sync_seconds largest_batch".
log_counters() {
  curl -sk "https://127.0.0.1:$1/metrics" | python3 -c '
import sys
m = {}
for line in sys.stdin:
    if line.startswith("tollgate_decision_log_"):
        k, v = line.split()
        m[k] = float(v)
print(*(m.get("tollgate_decision_log_" + k, 0) for k in ("records_total", "syncs_total", "sync_seconds_total", "max_batch")))
'
}
# Group commit between two readings of the counters: prints records per
# fdatasync and the time one write+fdatasync took; echoes that time in ms.
group_commit() {
  python3 - "$1" "$2" <<'PY'
import sys
a = [float(x) for x in sys.argv[1].split()]
b = [float(x) for x in sys.argv[2].split()]
records, syncs, secs = b[0] - a[0], b[1] - a[1], b[2] - a[2]
if syncs:
    print("  group commit: %d records in %d fdatasyncs (%.1f per sync, largest so far %d), %.3f ms per write+fdatasync" % (
        records, syncs, records / syncs, b[3], 1000 * secs / syncs), file=sys.stderr)
    print("%.4f" % (1000 * secs / syncs))
else:
    print("0")
PY
}
for mode in warm cold; do
  PORT=$(free_port)
  TTL=300; [ $mode = cold ] && TTL=0
  LOG="$LOGS/decisions-$mode.jsonl"
  "$T" admission serve --listen "127.0.0.1:$PORT" --tls-cert tls.crt --tls-key tls.key --policy policy.yaml --cache-ttl "$TTL" --allow-insecure-registry --decision-log "$LOG" >/dev/null 2>&1 &
  for _ in $(seq 50); do curl -sfk "https://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
  answer=$(curl -sk -X POST -H 'Content-Type: application/json' --data-binary @body.json "https://127.0.0.1:$PORT/validate")
  case "$answer" in *'"allowed":true'*) ;; *) echo "the bench image is not admitted: $answer" >&2; exit 1 ;; esac
  if [ $mode = warm ]; then
    for c in $CONNECTIONS; do
      run "floor: fixed /healthz (same TLS), c$c" "$PORT" /healthz "" "$c"; FLOOR[$c]=$RPS
      before=$(log_counters "$PORT")
      run "admission warm, pinned image@digest, c$c" "$PORT" /validate review-digest.lua "$c"
      PINNED[$c]=$RPS; PINNED_P99[$c]=$P99; PINNED_ERR[$c]=$ERR
      SYNC_MS[$c]=$(group_commit "$before" "$(log_counters "$PORT")")
    done
  fi
  before=$(log_counters "$PORT")
  run "admission $mode, image:tag, c$FIRST_C" "$PORT" /validate review.lua
  group_commit "$before" "$(log_counters "$PORT")" >/dev/null
  kill %% 2>/dev/null || true
  wait %% 2>/dev/null || true
  echo "  decision log: $(wc -l < "$LOG") records" >&2
done
for c in $CONNECTIONS; do
  python3 - "${PINNED[$c]}" "${FLOOR[$c]}" "${PINNED_P99[$c]}" "${PINNED_ERR[$c]}" "${NOLOG[$c]}" "${SYNC_MS[$c]}" "$c" <<'PY'
import sys
pinned, floor, p99, err, nolog, sync_ms, conns = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7])
ratio = pinned / floor
print(f"c{conns}: warm pinned pod / healthz floor = {pinned:.0f} / {floor:.0f} = {ratio:.0%}   p99 {p99:.2f} ms   errors {err}   (target: >= 50%, p99 < 5 ms, 0 errors)")
if nolog > 0:
    base_ms = 1000 * conns / nolog
    ceiling = 1000 * conns / (base_ms + sync_ms)
    print(f"  log off: {nolog:.0f} = {nolog / floor:.0%} of the floor ({base_ms:.3f} ms per review at {conns} connections); one write+fdatasync {sync_ms:.3f} ms;"
          f" log-on ceiling {conns} / ({base_ms:.3f} + {sync_ms:.3f}) ms = {ceiling:.0f} = {ceiling / floor:.0%} of the floor; reached {pinned / ceiling:.0%} of it")
PY
done
echo "wrk -t2 -c(${CONNECTIONS// /, }) -d${DURATION}s on 2 cores (wrk shares them), loopback TLS 1.3, decision log on ($(df --output=fstype "$LOGS" | tail -1) at $LOGS). A tag is resolved on every review (HEAD and GET: never"
echo "cached, a moved tag must not inherit a verdict); a digest-pinned image is answered from the cache. cold = cache off, every review verified."
