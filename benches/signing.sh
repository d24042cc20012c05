#!/usr/bin/env bash
# Signing throughput per key type, against peers in the same run:
#
# 1. In process (signatures/s over one 4 KiB payload): tollgate's keys
#    (Ed25519, ECDSA P-256, ECDSA P-384, RSA-3072, and ECDSA P-256 on a
#    SoftHSM2 token through PKCS#11) next to `openssl speed` for the same
#    algorithms (OpenSSL's raw signing loop: the floor), and the PKCS#11 key
#    next to the token's own C_Sign rate (what tollgate adds: hashing the
#    payload, DER encoding, and checking each token signature with its
#    public key).
# 2. Whole process (median ms per `sign` of the same payload file):
#    `tollgate sign FILE --key K --bundle B` next to `openssl dgst -sign`
#    with the same key (unencrypted PEM, so OpenSSL does no key
#    decryption; tollgate decrypts cosign's scrypt-encrypted key each run,
#    which dominates), and for the token `tollgate sign --key pkcs11:...`
#    next to OpenSC's `pkcs11-tool --sign` (both load the module, log in and
#    sign once).
#
#   bash benches/signing.sh [RUNS]        (RUNS for part 2, default 10)
#
# Needs softhsm2, opensc and openssl (scripts/test installs the first two).
# On a shared 2-core machine the numbers move with the load: compare
# ratios within one run, not absolute rates across runs.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10}
MODULE=/usr/lib/softhsm/libsofthsm2.so
for tool in softhsm2-util pkcs11-tool openssl python3; do
  command -v "$tool" >/dev/null || { echo "error: $tool is needed (apt-get install softhsm2 opensc openssl)" >&2; exit 2; }
done
[ -f "$MODULE" ] || { echo "error: $MODULE is missing (apt-get install softhsm2)" >&2; exit 2; }

TARGET=${CARGO_TARGET_DIR:-target}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
PIN=bench-pin-1234

# A SoftHSM2 token of its own, with an ECDSA P-256 key pair.
mkdir -p "$work/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$work/tokens" > "$work/softhsm2.conf"
export SOFTHSM2_CONF="$work/softhsm2.conf"
softhsm2-util --init-token --free --label bench --pin "$PIN" --so-pin "so-$PIN" >/dev/null
pkcs11-tool --module "$MODULE" --token-label bench --login --pin "$PIN" \
  --keypairgen --key-type EC:prime256v1 --label signing --id 01 >/dev/null
URI="pkcs11:token=bench;object=signing?module-path=$MODULE&pin-value=$PIN"
head -c 4096 /dev/urandom > "$work/payload.bin"

echo "== building (release)" >&2
cargo build --release -q -p tollgate
TOLLGATE="$TARGET/release/tollgate"

echo "== in process: tollgate (cargo bench --profile release -p tollgate-attest --bench signing)" >&2
TOLLGATE_BENCH_PKCS11_URI="$URI" TOLLGATE_BENCH_PAYLOAD="$work/payload.bin" \
  cargo bench -q --profile release -p tollgate-attest --bench signing > "$work/tollgate.tsv"
echo "== in process: openssl speed" >&2
openssl speed -mr -elapsed -seconds 2 ed25519 ecdsap256 ecdsap384 rsa3072 2>/dev/null > "$work/openssl.txt"

# Part 2: keys of each type for both tools: tollgate's in cosign's
# encrypted format, OpenSSL's unencrypted PEM (same algorithm and size).
echo "pw" > "$work/pw"
for type in ed25519 ecdsa-p256 ecdsa-p384 rsa-3072; do
  "$TOLLGATE" -q key generate --type "$type" --output-key-prefix "$work/$type" --password-file "$work/pw"
done
ok=1
for type in ed25519 ecdsa-p256 ecdsa-p384 rsa-3072; do
  case "$type" in
    ed25519) openssl genpkey -algorithm ed25519 -out "$work/$type.openssl.pem" 2>/dev/null ;;
    ecdsa-p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/$type.openssl.pem" 2>/dev/null ;;
    ecdsa-p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$work/$type.openssl.pem" 2>/dev/null ;;
    rsa-3072) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$work/$type.openssl.pem" 2>/dev/null ;;
  esac || ok=0
done
[ "$ok" = 1 ] || { echo "error: openssl genpkey failed" >&2; exit 2; }

python3 - "$RUNS" "$work" "$TOLLGATE" "$URI" "$MODULE" "$PIN" <<'PY'
import os, statistics, subprocess, sys, time
runs, work, tollgate, uri, module, pin = sys.argv[1:]
runs = int(runs)
payload = os.path.join(work, "payload.bin")

def timed(cmd, env=None):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, env=env)
        times.append((time.perf_counter() - start) * 1000)
        if proc.returncode != 0:
            sys.exit(f"{cmd[0]} failed: {proc.stderr.decode()[-500:]}")
    return statistics.median(times)

# Part 1: in process.
tg = {}
for line in open(os.path.join(work, "tollgate.tsv")):
    name, ops = line.split("\t")
    tg[name] = float(ops)
ossl = {}
for line in open(os.path.join(work, "openssl.txt")):
    f = line.strip().split(":")
    if f[0] == "+F2" and f[2] == "3072":
        ossl["rsa-3072"] = float(f[3])
    elif f[0] == "+F4" and f[2] == "256":
        ossl["ecdsa-p256"] = float(f[3])
    elif f[0] == "+F4" and f[2] == "384":
        ossl["ecdsa-p384"] = float(f[3])
    elif f[0] == "+F6" and f[3] == "Ed25519":
        ossl["ed25519"] = float(f[4])
print("In process, signatures/s (4 KiB payload; openssl speed signs a digest)")
print(f"{'key':<24} {'tollgate':>10} {'peer':>10} {'ratio':>7}  peer")
for name in ["ed25519", "ecdsa-p256", "ecdsa-p384", "rsa-3072"]:
    t, o = tg.get(name), ossl.get(name)
    if t is None or o is None:
        sys.exit(f"missing result for {name}: tollgate {t}, openssl {o}")
    print(f"{name:<24} {t:>10.0f} {o:>10.0f} {t / o:>6.2f}x  openssl speed")
hw, raw = tg.get("pkcs11-ecdsa-p256"), tg.get("pkcs11-ecdsa-p256-raw-c_sign")
if hw is None or raw is None:
    sys.exit("missing PKCS#11 result")
print(f"{'pkcs11 ecdsa-p256':<24} {hw:>10.0f} {raw:>10.0f} {hw / raw:>6.2f}x  SoftHSM2 C_Sign alone")
print(f"{'pkcs11 vs in-memory p256':<24} {hw:>10.0f} {tg['ecdsa-p256']:>10.0f} {hw / tg['ecdsa-p256']:>6.2f}x  tollgate in memory")

# Part 2: whole process, one signature per run.
print()
print(f"Whole process, median ms of {runs} runs (one 4 KiB file)")
print(f"{'key':<24} {'tollgate':>10} {'peer':>10} {'ratio':>7}  peer")
pw = os.path.join(work, "pw")
for name in ["ed25519", "ecdsa-p256", "ecdsa-p384", "rsa-3072"]:
    bundle = os.path.join(work, f"{name}.bundle.json")
    t = timed([tollgate, "-q", "sign", payload, "--key", os.path.join(work, f"{name}.key"), "--password-file", pw, "--bundle", bundle])
    key = os.path.join(work, f"{name}.openssl.pem")
    sig = os.path.join(work, f"{name}.sig")
    if name == "ed25519":
        cmd = ["openssl", "pkeyutl", "-sign", "-rawin", "-inkey", key, "-in", payload, "-out", sig]
    else:
        cmd = ["openssl", "dgst", "-sha384" if name == "ecdsa-p384" else "-sha256", "-sign", key, "-out", sig, payload]
    o = timed(cmd)
    print(f"{name:<24} {t:>10.1f} {o:>10.1f} {t / o:>6.2f}x  openssl (unencrypted key; tollgate runs scrypt)")
bundle = os.path.join(work, "pkcs11.bundle.json")
t = timed([tollgate, "-q", "sign", payload, "--key", uri, "--bundle", bundle])
# SoftHSM2 has CKM_ECDSA only: pkcs11-tool signs the payload's SHA-256,
# computed once here (tollgate hashes the 4 KiB itself, a few microseconds).
digest = os.path.join(work, "payload.sha256")
subprocess.run(["openssl", "dgst", "-sha256", "-binary", "-out", digest, payload], check=True)
o = timed(["pkcs11-tool", "--module", module, "--token-label", "bench", "--login", "--pin", pin,
           "--sign", "--mechanism", "ECDSA", "--label", "signing",
           "--input-file", digest, "--output-file", os.path.join(work, "pkcs11.sig")])
print(f"{'pkcs11 ecdsa-p256':<24} {t:>10.1f} {o:>10.1f} {t / o:>6.2f}x  pkcs11-tool --sign (same token)")
# The signatures the runs made verify (a benchmark of broken output is no benchmark).
pub = os.path.join(work, "pkcs11.pub")
subprocess.run([tollgate, "-q", "key", "public-key", "--key", uri, "--output-file", pub], check=True)
subprocess.run([tollgate, "-q", "verify-bundle", "--key", pub, "--insecure-ignore-tlog", "--bundle", bundle, payload], check=True, capture_output=True)
for name in ["ed25519", "ecdsa-p256", "ecdsa-p384", "rsa-3072"]:
    subprocess.run([tollgate, "-q", "verify-bundle", "--key", os.path.join(work, f"{name}.pub"), "--insecure-ignore-tlog",
                    "--bundle", os.path.join(work, f"{name}.bundle.json"), payload], check=True, capture_output=True)
print("(every bundle written above verified with tollgate verify-bundle)")
PY
