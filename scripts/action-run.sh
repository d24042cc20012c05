#!/usr/bin/env bash
# The GitHub Action's main step: turn the INPUT_* variables into a
# `tollgate ci` command, run it, and publish the outputs ($GITHUB_OUTPUT)
# and a Markdown job summary ($GITHUB_STEP_SUMMARY). A denied verdict is an
# output, not a failure here: the action's last step decides (input fail-on).
set -euo pipefail
out=${INPUT_OUT:-tollgate-out}
args=(ci "${INPUT_PATH:-.}" --out "$out" --format json --policy "${INPUT_POLICY:?the policy input is required}")

case "${INPUT_SIGN:-key}" in
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
[ -n "${INPUT_REKOR_URL:-}" ] && args+=(--rekor-url "$INPUT_REKOR_URL")
[ -n "${INPUT_TRUSTED_ROOT:-}" ] && args+=(--trusted-root "$INPUT_TRUSTED_ROOT")
[ -n "${INPUT_IMAGE:-}" ] && args+=(--image "$INPUT_IMAGE")
[ -n "${INPUT_ADVISORY_DB:-}" ] && args+=(--advisory-db "$INPUT_ADVISORY_DB")
[ "${INPUT_ALLOW_DIRTY:-false}" = "true" ] && args+=(--allow-dirty)

summary_json=$(mktemp)
trap 'rm -f "$summary_json"' EXIT
status=0
tollgate "${args[@]}" > "$summary_json" || status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then
  echo "::error title=Tollgate::tollgate ci failed (exit $status)" >&2
  exit "$status"
fi

verdict=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["verdict"])' "$summary_json")
{
  echo "sarif-file=$out/sast.sarif"
  echo "sbom-file=$out/sbom.cdx.json"
  echo "bundle-path=$out/attestations"
  echo "verdict=$verdict"
} >> "${GITHUB_OUTPUT:?}"

python3 - "$summary_json" >> "${GITHUB_STEP_SUMMARY:?}" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
icon = {"admit": "✅", "deny": "❌"}.get(s["verdict"], "⚠️")
print(f"## Tollgate: {icon} {s['verdict']}\n")
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
