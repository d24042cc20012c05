//! The GitHub Action: `action.yml` and the example workflow validate against
//! the GitHub Actions schemas (check-jsonschema's vendored copies, offline),
//! every third-party action is pinned by commit SHA, and the action's main
//! step runs here under a simulated GitHub environment (`GITHUB_OUTPUT`,
//! `GITHUB_STEP_SUMMARY`, `INPUT_*`) on this repository.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

#[path = "support/mod.rs"]
mod support;
use support::repo_root;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn check_jsonschema() -> PathBuf {
    let tool = repo_root().join("target/test-venv/bin/check-jsonschema");
    assert!(
        tool.is_file(),
        "{} is required (scripts/test installs it)",
        tool.display()
    );
    tool
}

#[test]
fn action_and_workflow_validate_against_the_github_schemas() {
    let root = repo_root();
    for (schema, file) in [
        ("vendor.github-actions", "action.yml"),
        ("vendor.github-workflows", ".github/workflows/tollgate.yml"),
    ] {
        let out = Command::new(check_jsonschema())
            .args(["--builtin-schema", schema])
            .arg(root.join(file))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{file}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The policy the example workflow names is a valid policy.
    let policy = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["policy", "validate"])
        .arg(root.join(".github/tollgate-policy.yaml"))
        .output()
        .unwrap();
    assert!(
        policy.status.success(),
        "{}",
        String::from_utf8_lossy(&policy.stderr)
    );
}

#[test]
fn every_third_party_action_is_pinned_by_commit_sha() {
    let root = repo_root();
    let mut seen = 0;
    for file in ["action.yml", ".github/workflows/tollgate.yml"] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        for line in text.lines() {
            let Some((_, used)) = line.split_once("uses:") else {
                continue;
            };
            let used = used.split('#').next().unwrap().trim();
            if used.starts_with("./") {
                continue;
            }
            seen += 1;
            let (_, reference) = used.split_once('@').unwrap();
            assert!(
                reference.len() == 40 && reference.chars().all(|c| c.is_ascii_hexdigit()),
                "{file}: `{used}` is not pinned by a commit SHA"
            );
        }
    }
    assert!(seen >= 3, "expected checkout, cache and upload-sarif");
}

/// Runs `scripts/action-run.sh` like the action does, with `tollgate` on the PATH.
fn run_action_step(dir: &Path, inputs: &[(&str, &str)]) -> Output {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_tollgate"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("bash");
    cmd.arg(repo_root().join("scripts/action-run.sh"))
        .current_dir(dir)
        .env("PATH", path)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_ACTION_PATH", repo_root())
        .env("GITHUB_WORKSPACE", repo_root())
        .env("GITHUB_OUTPUT", dir.join("github_output"))
        .env("GITHUB_STEP_SUMMARY", dir.join("step_summary.md"))
        .env("COSIGN_PASSWORD", "pw")
        .env_remove("ACTIONS_ID_TOKEN_REQUEST_URL")
        .env_remove("SOURCE_DATE_EPOCH");
    for (name, value) in inputs {
        cmd.env(name, value);
    }
    cmd.output().unwrap()
}

#[test]
fn the_action_runs_tollgate_ci_on_this_repository() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let keys = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["key", "generate", "--output-key-prefix", "release"])
        .current_dir(d)
        .env("COSIGN_PASSWORD", "pw")
        .output()
        .unwrap();
    assert!(keys.status.success());
    let pem = std::fs::read_to_string(d.join("release.pub")).unwrap();
    let indented: String = pem.lines().map(|l| format!("      {l}\n")).collect();
    std::fs::write(
        d.join("policy.yaml"),
        format!(
            "apiVersion: tollgate.dev/v1\nkind: Policy\nname: ci\nauthorities:\n  - name: release\n    key: |\n{indented}    allowUnlogged: true\nattestations:\n  - type: provenance\n  - type: sbom\n  - type: sast\n    sast:\n      maxErrors: 0\n"
        ),
    )
    .unwrap();
    std::fs::write(d.join("app.bin"), b"the release binary").unwrap();
    let root = repo_root();
    let db = support::advisory_db();
    let out_dir = d.join("tollgate-out");
    let inputs = [
        ("INPUT_PATH", root.to_str().unwrap()),
        ("INPUT_ARTIFACTS", "  app.bin\n\n"),
        ("INPUT_POLICY", "policy.yaml"),
        ("INPUT_SIGN", "key"),
        ("INPUT_KEY", "release.key"),
        ("INPUT_ALLOW_DIRTY", "true"),
        ("INPUT_ADVISORY_DB", db.to_str().unwrap()),
        ("INPUT_OUT", out_dir.to_str().unwrap()),
    ];
    let o = run_action_step(d, &inputs);
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let outputs = std::fs::read_to_string(d.join("github_output")).unwrap();
    let get = |key: &str| {
        outputs
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("no output {key} in {outputs}"))
            .to_string()
    };
    assert_eq!(get("verdict"), "admit");
    assert!(Path::new(&get("sarif-file")).is_file());
    assert!(Path::new(&get("sbom-file")).is_file());
    let bundles = std::fs::read_dir(get("bundle-path")).unwrap().count();
    assert_eq!(bundles, 4, "provenance, sbom, vulns and sast bundles");
    let summary = std::fs::read_to_string(d.join("step_summary.md")).unwrap();
    assert!(summary.starts_with("## Tollgate: ✅ admit"), "{summary}");
    assert!(summary.contains("| SAST | 0 error"), "{summary}");
    assert!(summary.contains("| `app.bin` | `sha256:"), "{summary}");

    // Keyless, with the runner's OIDC token: without `id-token: write` the
    // step says so; with it (the token endpoint of the local Sigstore
    // stand-in), every attestation carries a certificate and a log entry,
    // and a keyless policy admits the build.
    let mut keyless = inputs.to_vec();
    keyless[3] = ("INPUT_SIGN", "keyless");
    let o = run_action_step(d, &keyless);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("id-token: write"));

    let mock = support::start_mock(d);
    std::fs::write(
        d.join("keyless-policy.yaml"),
        format!(
            "apiVersion: tollgate.dev/v1\nkind: Policy\nname: ci\nauthorities:\n  - name: workflow\n    keyless:\n      issuer: https://token.actions.githubusercontent.com\n      subject: repo:tollgate-dev/tollgate:ref:refs/heads/main\n      trustedRoot: {}\nattestations:\n  - type: provenance\n  - type: sbom\n",
            mock.root.display()
        ),
    )
    .unwrap();
    let token_url = format!("{}/actions-token?api-version=2.0", mock.url);
    let keyless_out = d.join("keyless-out");
    let mut keyless = inputs.to_vec();
    keyless[2] = ("INPUT_POLICY", "keyless-policy.yaml");
    keyless[3] = ("INPUT_SIGN", "keyless");
    keyless[4] = ("INPUT_KEY", "");
    keyless[7] = ("INPUT_OUT", keyless_out.to_str().unwrap());
    keyless.extend([
        ("INPUT_FULCIO_URL", mock.url.as_str()),
        ("INPUT_REKOR_URL", mock.url.as_str()),
        ("INPUT_TRUSTED_ROOT", mock.root.to_str().unwrap()),
        ("ACTIONS_ID_TOKEN_REQUEST_URL", token_url.as_str()),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "request-token"),
    ]);
    std::fs::remove_file(d.join("step_summary.md")).unwrap();
    let o = run_action_step(d, &keyless);
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let summary = std::fs::read_to_string(d.join("step_summary.md")).unwrap();
    assert!(summary.starts_with("## Tollgate: ✅ admit"), "{summary}");
    assert!(summary.contains("Sigstore keyless"), "{summary}");
    let bundle: serde_json::Value = serde_json::from_slice(
        &std::fs::read(keyless_out.join("attestations/app.bin.provenance.sigstore.json")).unwrap(),
    )
    .unwrap();
    assert!(bundle["verificationMaterial"]["certificate"]["rawBytes"].is_string());

    // A bad `sign` value names itself.
    keyless[3] = ("INPUT_SIGN", "sometimes");
    let o = run_action_step(d, &keyless);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("'sometimes'"));
}
