#!/usr/bin/env bash
# The GitHub Action's main step: turn the INPUT_* variables into a
# `tollgate ci` command, run it, and publish the outputs ($GITHUB_OUTPUT)
# and a Markdown job summary ($GITHUB_STEP_SUMMARY). A denied verdict is an
# output, not a failure here: the action's last step decides (input fail-on).
#
# Pull requests from forks (TOLLGATE_FORK_PR=true) get no OIDC token and a
# read-only token: keyless signing is replaced by a throwaway key made for
# this run, the verdict is `unsigned` (not enforced), and the SARIF is not
# uploaded; each is said in a ::notice::.
#
# The advisory database: the `advisory-db` input; else, with `offline`, the
# snapshot built into tollgate; else the action's daily cache
# ($TOLLGATE_DB_DIR, restored by actions/cache under a key holding the date;
# TOLLGATE_DB_FRESH=true when today's entry was restored), fetched when it
# is not today's; when that fetch fails, yesterday's copy, or tollgate's own
# default (its built-in snapshot when nothing can be fetched).
set -euo pipefail
trap 'rm -f "${summary_json:-}"; [ -z "${ephemeral:-}" ] || rm -rf "$ephemeral"' EXIT
out=${INPUT_OUT:-tollgate-out}
args=(ci "${INPUT_PATH:-.}" --out "$out" --format json --policy "${INPUT_POLICY:?the policy input is required}")

fork=false
if [ "${TOLLGATE_FORK_PR:-false}" = true ]; then
  fork=true
  echo "fork-pr=true" >> "${GITHUB_OUTPUT:?}"
  if [ "${INPUT_UPLOAD_SARIF:-true}" = true ]; then
    echo "::notice title=Tollgate::pull request from a fork: its token cannot write code scanning alerts, so the SARIF is not uploaded (it is in the sarif-file output)"
  fi
fi

sign=${INPUT_SIGN:-key}
if [ "$fork" = true ] && [ "$sign" = keyless ]; then
  echo "::notice title=Tollgate::pull request from a fork: no OIDC token, so keyless signing is skipped; the checks run and are attested with a throwaway key, and the verdict is reported as unsigned, not enforced"
  ephemeral=$(mktemp -d)
  COSIGN_PASSWORD=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
  export COSIGN_PASSWORD
  (cd "$ephemeral" && tollgate --quiet key generate --output-key-prefix throwaway > /dev/null)
  args+=(--key "$ephemeral/throwaway.key")
  sign=throwaway
fi

case "$sign" in
  throwaway) ;;
  key)
    if [ -z "${INPUT_KEY:-}" ]; then
      echo "::error title=Tollgate::sign: key needs the key input (a cosign key file)" >&2
      exit 2
    fi
    args+=(--key "$INPUT_KEY") ;;
  keyless)
    # The token comes from the runner (ACTIONS_ID_TOKEN_REQUEST_*), which
    # exists only when the job grants `id-token: write`.
    if [ -z "${ACTIONS_ID_TOKEN_REQUEST_URL:-}" ] && [ -z "${SIGSTORE_ID_TOKEN:-}" ]; then
      echo "::error title=Tollgate::sign: keyless needs the workflow's OIDC token: add 'permissions: id-token: write' to the job" >&2
      exit 2
    fi
    args+=(--keyless)
    [ -n "${INPUT_FULCIO_URL:-}" ] && args+=(--fulcio-url "$INPUT_FULCIO_URL") ;;
  *)
    echo "::error title=Tollgate::sign must be key or keyless, not '${INPUT_SIGN}'" >&2
    exit 2 ;;
esac

while IFS= read -r artifact; do
  artifact=${artifact#"${artifact%%[![:space:]]*}"}
  artifact=${artifact%"${artifact##*[![:space:]]}"}
  [ -n "$artifact" ] && args+=(--artifact "$artifact")
done <<< "${INPUT_ARTIFACTS:-}"
if [ "$sign" != throwaway ]; then
  [ -n "${INPUT_REKOR_URL:-}" ] && args+=(--rekor-url "$INPUT_REKOR_URL")
  [ -n "${INPUT_TRUSTED_ROOT:-}" ] && args+=(--trusted-root "$INPUT_TRUSTED_ROOT")
fi
[ -n "${INPUT_IMAGE:-}" ] && args+=(--image "$INPUT_IMAGE")
[ "${INPUT_ALLOW_DIRTY:-false}" = "true" ] && args+=(--allow-dirty)
if [ -n "${INPUT_ADVISORY_DB:-}" ]; then
  args+=(--advisory-db "$INPUT_ADVISORY_DB")
elif [ "${INPUT_OFFLINE:-false}" = true ]; then
  : # tollgate ci --offline: the snapshot built into tollgate
elif [ -n "${TOLLGATE_DB_DIR:-}" ]; then
  db=$TOLLGATE_DB_DIR
  if [ "${TOLLGATE_DB_FRESH:-false}" = true ] && [ -d "$db" ]; then
    echo "tollgate: advisory database from today's cache"
    args+=(--advisory-db "$db")
  else
    fetch=(db fetch --advisory-db "$db")
    [ -n "${INPUT_ADVISORY_DB_URL:-}" ] && fetch+=(--url "$INPUT_ADVISORY_DB_URL")
    if tollgate "${fetch[@]}"; then
      args+=(--advisory-db "$db")
    elif [ -d "$db" ] && [ -n "$(ls -A "$db")" ]; then
      echo "::warning title=Tollgate::could not update the advisory database; using the cached copy from an earlier day"
      args+=(--advisory-db "$db")
    else
      echo "::warning title=Tollgate::could not fetch the advisory database; tollgate falls back to its own default"
      rm -rf "$db"
    fi
  fi
fi
[ "${INPUT_OFFLINE:-false}" = true ] && args+=(--offline)

summary_json=$(mktemp)
status=0
tollgate "${args[@]}" > "$summary_json" || status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then
  echo "::error title=Tollgate::tollgate ci failed (exit $status)" >&2
  exit "$status"
fi

verdict=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["verdict"])' "$summary_json")
[ "$sign" = throwaway ] && verdict=unsigned
# Every bundle's path, as a JSON array (fromJSON in later steps).
bundles=$(python3 -c 'import json,os,sys; d=sys.argv[1]; print(json.dumps([os.path.join(d, f) for f in sorted(os.listdir(d)) if f.endswith(".sigstore.json")] if os.path.isdir(d) else []))' "$out/attestations")
{
  echo "sarif-file=$out/sast.sarif"
  echo "sbom-file=$out/sbom.cdx.json"
  echo "bundle-path=$out/attestations"
  echo "bundles=$bundles"
  echo "verdict=$verdict"
} >> "${GITHUB_OUTPUT:?}"

python3 - "$summary_json" "$sign" >> "${GITHUB_STEP_SUMMARY:?}" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
if sys.argv[2] == "throwaway":
    s["verdict"] = "unsigned"
icon = {"admit": "✅", "deny": "❌"}.get(s["verdict"], "⚠️")
print(f"## Tollgate: {icon} {s['verdict']}\n")
if sys.argv[2] == "throwaway":
    print("A pull request from a fork: no OIDC token, so the attestations are signed with a throwaway key and the policy's verdict is not enforced.\n")
else:
    print(f"Signed with {'a key' if s.get('signing') == 'key' else 'Sigstore keyless (Fulcio certificate, Rekor log)'}.\n")
print("| stage | result |\n|---|---|")
for st in s["stages"]:
    if st["stage"] == "sast":
        f = st["findings"]
        print(f"| SAST | {f['error']} error, {f['warning']} warning, {f['note']} note |")
    elif st["stage"] == "audit":
        ids = ", ".join(f"{v['id']} ({v['package']} {v['version']})" for v in st["vulnerabilities"])
        print(f"| audit | {len(st['vulnerabilities'])} vulnerabilities{': ' + ids if ids else ''} |")
    elif st["stage"] == "sbom":
        print(f"| SBOM | {st['components']} components |")
print("\n| subject | digest | verdict |\n|---|---|---|")
for sub in s["subjects"]:
    verdict = "admit" if sub["allowed"] else "deny"
    print(f"| `{sub['subject']}` | `{sub['digest']}` | {verdict} |")
    for f in sub["failed"]:
        print(f"| | {f['requirement']} | {f['reason']} |")
PY
echo "tollgate: verdict $verdict"
