//! The GitHub Action: `action.yml` and the workflows validate against the
//! GitHub Actions schemas (check-jsonschema's vendored copies, offline),
//! every third-party action and image is pinned by digest, checkouts do not
//! persist credentials, and the action's steps run here under a simulated
//! GitHub environment (`GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, `GITHUB_PATH`,
//! `INPUT_*`): the main step on this repository (keyed, keyless, a fork's
//! pull request, no advisory database given, the daily database cache), and
//! the install step downloading a release from a local HTTP server
//! (`python3 -m http.server` on 127.0.0.1) that serves a tollgate binary,
//! SHA256SUMS and Sigstore bundles signed through the local Sigstore
//! stand-in: a good release installs, a tampered binary, a missing checksum,
//! a changed SHA256SUMS and a signature by another identity are refused.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use crate::support::{self, repo_root};

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
        ("vendor.github-workflows", ".github/workflows/release.yml"),
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

/// action.yml and every workflow.
fn action_files() -> Vec<PathBuf> {
    let root = repo_root();
    let mut files = vec![root.join("action.yml")];
    let mut workflows: Vec<PathBuf> = std::fs::read_dir(root.join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    workflows.sort();
    files.extend(workflows);
    files
}

#[test]
fn every_third_party_action_is_pinned_by_commit_sha() {
    let mut seen = 0;
    let files = action_files();
    assert!(files.iter().any(|f| f.ends_with("release.yml")));
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let file = file.display();
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
    assert!(
        seen >= 8,
        "expected checkout, cache, upload-sarif, upload- and download-artifact"
    );
}

/// A container image reference is pinned when it names a digest.
fn assert_image_pinned(file: &str, image: &str) {
    let digest = image.rsplit_once("@sha256:").map(|(_, d)| d).unwrap_or("");
    assert!(
        digest.len() == 64 && digest.chars().all(|c| c.is_ascii_hexdigit()),
        "{file}: image `{image}` is not pinned by digest"
    );
}

#[test]
fn images_are_pinned_by_digest_and_checkouts_keep_no_credentials() {
    let root = repo_root();
    // The Dockerfile: every FROM is a pinned image, a build argument whose
    // default is one, or an earlier stage; the image runs as non-root.
    let dockerfile = std::fs::read_to_string(root.join("Dockerfile")).unwrap();
    let mut stages = vec!["scratch".to_string()];
    let mut args = std::collections::HashMap::new();
    let mut froms = 0;
    for line in dockerfile.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["ARG", def] => {
                if let Some((name, value)) = def.split_once('=') {
                    args.insert(format!("${{{name}}}"), value.to_string());
                }
            }
            ["FROM", image, rest @ ..] => {
                froms += 1;
                let image = args.get(*image).cloned().unwrap_or(image.to_string());
                if !stages.contains(&image) {
                    assert_image_pinned("Dockerfile", &image);
                }
                if let ["AS", name] = rest {
                    stages.push(name.to_string());
                }
            }
            _ => {}
        }
    }
    assert!(froms >= 3, "{dockerfile}");
    let last_user = dockerfile
        .lines()
        .filter_map(|l| l.strip_prefix("USER "))
        .next_back()
        .expect("the Dockerfile sets a USER");
    assert_ne!(last_user.split(':').next().unwrap().trim(), "0");
    assert_ne!(last_user.trim(), "root");
    // The release workflow's build image.
    let release = std::fs::read_to_string(root.join(".github/workflows/release.yml")).unwrap();
    for line in release.lines() {
        if let Some(image) = line.trim().strip_prefix("RUST_IMAGE:") {
            assert_image_pinned("release.yml", image.trim());
        }
    }
    // Every checkout in the workflows: persist-credentials: false.
    for file in action_files().iter().skip(1) {
        let text = std::fs::read_to_string(file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !line.contains("uses: actions/checkout@") {
                continue;
            }
            let indent = line.find("uses:").unwrap();
            let block: Vec<&str> = lines[i + 1..]
                .iter()
                .take_while(|l| {
                    let trimmed = l.trim_start();
                    l.len() - trimmed.len() >= indent && !trimmed.starts_with("- ")
                })
                .copied()
                .collect();
            assert!(
                block
                    .iter()
                    .any(|l| l.trim() == "persist-credentials: false"),
                "{}: checkout at line {} persists the token in .git/config",
                file.display(),
                i + 1
            );
        }
    }
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
        .env_remove("SOURCE_DATE_EPOCH")
        .env_remove("TOLLGATE_FORK_PR")
        .env_remove("TOLLGATE_DB_DIR")
        .env_remove("TOLLGATE_DB_FRESH");
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
    let summary = std::fs::read_to_string(d.join("step_summary.md")).unwrap();
    assert_eq!(get("verdict"), "admit", "{summary}");
    assert!(Path::new(&get("sarif-file")).is_file());
    assert!(Path::new(&get("sbom-file")).is_file());
    let bundles = std::fs::read_dir(get("bundle-path")).unwrap().count();
    assert_eq!(bundles, 4, "provenance, sbom, vulns and sast bundles");
    // Each bundle's path, for later steps (fromJSON).
    let listed: Vec<String> = serde_json::from_str(&get("bundles")).unwrap();
    assert_eq!(listed.len(), 4, "{listed:?}");
    for kind in ["provenance", "sbom", "vulns", "sast"] {
        let path = listed
            .iter()
            .find(|p| p.ends_with(&format!("app.bin.{kind}.sigstore.json")))
            .unwrap_or_else(|| panic!("no {kind} bundle in {listed:?}"));
        assert!(Path::new(path).is_file(), "{path}");
    }
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

/// A committed dependency-free cargo project in `d/proj`, a key pair
/// (`release.key`, password `pw`) and a policy trusting it (`policy.yaml`).
fn small_project_with_policy(d: &Path) -> PathBuf {
    let proj = d.join("proj");
    support::cargo_project(&proj);
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
            "apiVersion: tollgate.dev/v1\nkind: Policy\nname: ci\nauthorities:\n  - name: release\n    key: |\n{indented}    allowUnlogged: true\nattestations:\n  - type: provenance\n  - type: sbom\n  - type: vulns\n  - type: sast\n    sast:\n      maxErrors: 0\n"
        ),
    )
    .unwrap();
    std::fs::write(d.join("app.bin"), b"the release binary").unwrap();
    proj
}

fn output_of(d: &Path, key: &str) -> Option<String> {
    std::fs::read_to_string(d.join("github_output"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.strip_prefix(&format!("{key}=")))
        .next_back()
        .map(str::to_string)
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// No advisory database given: offline, the snapshot built into tollgate
/// (an empty CARGO_HOME, so nothing else could be found); online, the
/// action's daily cache, fetched (here from a local git repository made
/// from ../shared/advisory-db), reused the same day without a fetch, and
/// kept when the next day's fetch fails.
#[test]
fn the_action_runs_with_no_advisory_database_given() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let proj = small_project_with_policy(d);
    let cargo_home = d.join("cargo-home");
    std::fs::create_dir(&cargo_home).unwrap();
    let cargo_home = cargo_home.to_str().unwrap().to_string();
    let base = [
        ("INPUT_PATH", proj.to_str().unwrap()),
        ("INPUT_ARTIFACTS", "app.bin"),
        ("INPUT_POLICY", "policy.yaml"),
        ("INPUT_SIGN", "key"),
        ("INPUT_KEY", "release.key"),
        ("INPUT_ALLOW_DIRTY", "true"),
        ("CARGO_HOME", cargo_home.as_str()),
    ];

    let out = d.join("offline-out");
    let mut inputs = base.to_vec();
    inputs.extend([
        ("INPUT_OFFLINE", "true"),
        ("INPUT_OUT", out.to_str().unwrap()),
    ]);
    let o = run_action_step(d, &inputs);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("no advisory database") && text(&o).contains("built into"),
        "the snapshot is announced with its date: {}",
        text(&o)
    );
    assert_eq!(output_of(d, "verdict").as_deref(), Some("admit"));
    let summary = std::fs::read_to_string(d.join("step_summary.md")).unwrap();
    assert!(summary.contains("| audit | 0 vulnerabilities"), "{summary}");

    // The daily cache: a git repository of the shared snapshot, branch main.
    let upstream = d.join("advisory-upstream");
    let copied = Command::new("cp")
        .arg("-r")
        .arg(support::advisory_db())
        .arg(&upstream)
        .status()
        .unwrap();
    assert!(copied.success());
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["add", "."],
        &["commit", "-q", "-m", "advisories"],
    ] {
        let ok = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(&upstream)
            .status()
            .unwrap();
        assert!(ok.success());
    }
    let url = format!("file://{}", upstream.display());
    let db = d.join("runner-temp/tollgate-advisory-db");
    let run_cached = |fresh: &str, url: &str, out: &Path| {
        let mut inputs = base.to_vec();
        inputs.extend([
            ("TOLLGATE_DB_DIR", db.to_str().unwrap()),
            ("TOLLGATE_DB_FRESH", fresh),
            ("INPUT_ADVISORY_DB_URL", url),
            ("INPUT_OUT", out.to_str().unwrap()),
        ]);
        run_action_step(d, &inputs)
    };
    // A cache miss: fetched into the cache directory, then used.
    let o = run_cached("", &url, &d.join("out-1"));
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        db.join("crates").is_dir(),
        "fetched into the cache directory"
    );
    assert!(!text(&o).contains("built into"), "{}", text(&o));
    assert_eq!(output_of(d, "verdict").as_deref(), Some("admit"));
    // Today's entry restored: used as it is (the URL is not even read).
    let o = run_cached("true", "file:///nonexistent/advisory-db", &d.join("out-2"));
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("from today's cache"), "{}", text(&o));
    // An earlier day's entry, and the fetch fails: kept, with a warning.
    let o = run_cached("", "file:///nonexistent/advisory-db", &d.join("out-3"));
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("::warning title=Tollgate::could not update the advisory database"),
        "{}",
        text(&o)
    );
    assert!(!text(&o).contains("built into"), "{}", text(&o));
}

/// A pull request from a fork: no OIDC token, so keyless signing is
/// skipped (a throwaway key instead) and the SARIF upload too, each with a
/// notice; the step succeeds and reports `unsigned`.
#[test]
fn a_fork_pull_request_skips_keyless_signing_and_the_sarif_upload() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let proj = small_project_with_policy(d);
    let db = support::advisory_db();
    let out = d.join("fork-out");
    let tmp = d.join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let inputs = [
        ("INPUT_PATH", proj.to_str().unwrap()),
        ("INPUT_ARTIFACTS", "app.bin"),
        ("INPUT_POLICY", ".github/tollgate-policy.yaml"),
        ("INPUT_SIGN", "keyless"),
        ("INPUT_ALLOW_DIRTY", "true"),
        ("INPUT_ADVISORY_DB", db.to_str().unwrap()),
        ("INPUT_OUT", out.to_str().unwrap()),
        ("INPUT_UPLOAD_SARIF", "true"),
        ("INPUT_REKOR_URL", "http://127.0.0.1:9/never-used"),
        ("TOLLGATE_FORK_PR", "true"),
        ("COSIGN_PASSWORD", ""),
        ("TMPDIR", tmp.to_str().unwrap()),
    ];
    std::fs::create_dir_all(d.join(".github")).unwrap();
    std::fs::copy(
        repo_root().join(".github/tollgate-policy.yaml"),
        d.join(".github/tollgate-policy.yaml"),
    )
    .unwrap();
    let o = run_action_step(d, &inputs);
    assert!(o.status.success(), "{}", text(&o));
    let all = text(&o);
    assert!(
        all.contains("::notice title=Tollgate::pull request from a fork: no OIDC token, so keyless signing is skipped"),
        "{all}"
    );
    assert!(all.contains("the SARIF is not uploaded"), "{all}");
    assert_eq!(output_of(d, "verdict").as_deref(), Some("unsigned"));
    assert_eq!(output_of(d, "fork-pr").as_deref(), Some("true"));
    assert!(Path::new(&output_of(d, "sarif-file").unwrap()).is_file());
    let bundles: Vec<String> = serde_json::from_str(&output_of(d, "bundles").unwrap()).unwrap();
    assert_eq!(bundles.len(), 4, "{bundles:?}");
    let summary = std::fs::read_to_string(d.join("step_summary.md")).unwrap();
    assert!(summary.starts_with("## Tollgate: ⚠️ unsigned"), "{summary}");
    assert!(summary.contains("throwaway key"), "{summary}");
    // The throwaway key is gone with the step.
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "left in TMPDIR: {left:?}");
}

// ---- the install step: download a release and verify it before running it

const RELEASE_WORKFLOW: &str =
    "https://github.com/tollgate-dev/tollgate/.github/workflows/release.yml";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

/// The release asset name's target for this machine, as the script picks it.
fn target_triple() -> &'static str {
    match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => "x86_64-unknown-linux-musl",
        ("linux", "aarch64") => "aarch64-unknown-linux-musl",
        ("macos", "x86_64") => "x86_64-apple-darwin",
        ("macos", "aarch64") => "aarch64-apple-darwin",
        other => panic!("no release target for {other:?}"),
    }
}

fn sha256_hex(path: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

/// `python3 -m http.server` on 127.0.0.1 serving `root`; killed when dropped.
struct HttpServer {
    child: std::process::Child,
    url: String,
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(root: &Path) -> HttpServer {
    use std::io::BufRead;
    let mut child = Command::new("python3")
        .args([
            "-u",
            "-m",
            "http.server",
            "0",
            "--bind",
            "127.0.0.1",
            "--directory",
        ])
        .arg(root)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    // "Serving HTTP on 127.0.0.1 port 40123 (http://127.0.0.1:40123/) ..."
    let port: u16 = line
        .split(" port ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("http.server said {line:?}"));
    HttpServer {
        child,
        url: format!("http://127.0.0.1:{port}"),
    }
}

/// A fake release and the action that pins it: `www/v<version>/` holds the
/// binary, SHA256SUMS and their keyless bundles; `action/` holds the
/// install script, VERSION and `.github/checksums/v<version>.SHA256SUMS`.
struct Release<'a> {
    d: &'a Path,
    mock: &'a support::Mock,
    binary: PathBuf,
}

impl Release<'_> {
    fn dir(&self, version: &str) -> PathBuf {
        self.d.join("www").join(format!("v{version}"))
    }

    fn asset(version: &str) -> String {
        format!("tollgate-{version}-{}", target_triple())
    }

    /// Signs `file` keylessly as the release workflow at `git_ref`.
    fn sign(&self, file: &Path, git_ref: &str) {
        let jwt = support::fake_jwt(serde_json::json!({
            "iss": ISSUER,
            "sub": format!("{RELEASE_WORKFLOW}@{git_ref}"),
            "aud": "sigstore",
        }));
        let mut bundle = file.as_os_str().to_owned();
        bundle.push(".sigstore.json");
        let o = Command::new(env!("CARGO_BIN_EXE_tollgate"))
            .arg("sign")
            .arg(file)
            .arg("--bundle")
            .arg(&bundle)
            .args(["--identity-token", &jwt, "--fulcio-url", &self.mock.url])
            .args(["--rekor-url", &self.mock.url])
            .env_remove("SIGSTORE_ID_TOKEN")
            .env_remove("ACTIONS_ID_TOKEN_REQUEST_URL")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o));
    }

    /// Publishes `version`: the binary with `extra` bytes appended (still
    /// runnable; a distinct release), SHA256SUMS listing it and another
    /// platform, each signed by the release workflow at the version's tag.
    fn publish(&self, version: &str, extra: &[u8]) -> String {
        let dir = self.dir(version);
        std::fs::create_dir_all(&dir).unwrap();
        let asset = dir.join(Self::asset(version));
        let mut bytes = std::fs::read(&self.binary).unwrap();
        bytes.extend_from_slice(extra);
        std::fs::write(&asset, bytes).unwrap();
        let hash = sha256_hex(&asset);
        std::fs::write(
            dir.join("SHA256SUMS"),
            format!(
                "{}  tollgate-{version}-riscv64gc-unknown-linux-musl\n{hash}  {}\n",
                "0".repeat(64),
                Self::asset(version)
            ),
        )
        .unwrap();
        let tag = format!("refs/tags/v{version}");
        self.sign(&asset, &tag);
        self.sign(&dir.join("SHA256SUMS"), &tag);
        hash
    }

    /// The action's tree, pinning `version` with `sums` as its checked-in
    /// SHA256SUMS.
    fn action(&self, version: &str, sums: &str) -> PathBuf {
        let action = self.d.join("action");
        std::fs::create_dir_all(action.join("scripts")).unwrap();
        std::fs::create_dir_all(action.join(".github/checksums")).unwrap();
        std::fs::copy(
            repo_root().join("scripts/action-install.sh"),
            action.join("scripts/action-install.sh"),
        )
        .unwrap();
        std::fs::write(action.join("VERSION"), format!("{version}\n")).unwrap();
        std::fs::write(
            action
                .join(".github/checksums")
                .join(format!("v{version}.SHA256SUMS")),
            sums,
        )
        .unwrap();
        action
    }

    /// The install step as action.yml runs it; `bin` is the bin directory.
    fn install(&self, url: &str, version: &str, bin: &Path) -> Output {
        let action = self.d.join("action");
        let runner_temp = self.d.join("runner-temp");
        std::fs::create_dir_all(&runner_temp).unwrap();
        Command::new("bash")
            .arg(action.join("scripts/action-install.sh"))
            .current_dir(self.d)
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_ACTION_PATH", &action)
            .env("GITHUB_PATH", self.d.join("github_path"))
            .env("RUNNER_TEMP", &runner_temp)
            .env("TOLLGATE_BIN_DIR", bin)
            .env("TOLLGATE_VERSION", version)
            .env("TOLLGATE_DOWNLOAD_URL", url)
            .env("TOLLGATE_RELEASE_TRUSTED_ROOT", &self.mock.root)
            .env("GITHUB_TOKEN", "not-sent-to-127.0.0.1")
            .env_remove("TOLLGATE_BUILD_FROM_SOURCE")
            .output()
            .unwrap()
    }
}

#[test]
fn the_action_downloads_a_release_and_verifies_it_before_running_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The release binary: this build's tollgate, stripped of debug info
    // to keep the copies small (a copy when strip is missing).
    let binary = d.join("tollgate");
    let stripped = Command::new("strip")
        .arg("--strip-debug")
        .arg(env!("CARGO_BIN_EXE_tollgate"))
        .arg("-o")
        .arg(&binary)
        .status()
        .is_ok_and(|s| s.success());
    if !stripped {
        std::fs::copy(env!("CARGO_BIN_EXE_tollgate"), &binary).unwrap();
    }
    let mock = support::start_mock(d);
    let release = Release {
        d,
        mock: &mock,
        binary,
    };
    let v1 = "0.1.0";
    let asset = Release::asset(v1);
    let hash = release.publish(v1, b"");
    let sums = std::fs::read_to_string(release.dir(v1).join("SHA256SUMS")).unwrap();
    release.action(v1, &sums);
    let server = serve(&d.join("www"));

    // A good release: checked, verified, installed, on the PATH, and it runs.
    let bin = d.join("bin-good");
    let o = release.install(&server.url, "", &bin);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("v0.1.0 verified (SHA-256 pinned by the action, Sigstore signature of the release workflow)"),
        "{}",
        text(&o)
    );
    assert_eq!(sha256_hex(&bin.join("tollgate")), hash);
    let path = std::fs::read_to_string(d.join("github_path")).unwrap();
    assert_eq!(path.trim(), bin.to_str().unwrap());
    let version = Command::new(bin.join("tollgate"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("tollgate "));

    // A tampered binary: refused before it runs, and nothing installed.
    let served = release.dir(v1).join(&asset);
    let good = std::fs::read(&served).unwrap();
    let mut tampered = good.clone();
    tampered.extend_from_slice(b"tampered");
    std::fs::write(&served, &tampered).unwrap();
    let bin = d.join("bin-tampered");
    let o = release.install(&server.url, "", &bin);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("{asset}: SHA-256 "))
            && text(&o).contains(&format!("does not match {hash} in the action's checked-in .github/checksums/v0.1.0.SHA256SUMS"))
            && text(&o).contains("refusing to run it"),
        "{}",
        text(&o)
    );
    assert!(!bin.exists());
    std::fs::write(&served, &good).unwrap();

    // A missing checksum: the pinned SHA256SUMS does not list this platform.
    let other_only: String = sums
        .lines()
        .filter(|l| !l.ends_with(&asset))
        .map(|l| format!("{l}\n"))
        .collect();
    release.action(v1, &other_only);
    let bin = d.join("bin-missing");
    let o = release.install(&server.url, "", &bin);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains(&format!(".github/checksums/v0.1.0.SHA256SUMS lists no {asset}: refusing to run a binary without a checksum")),
        "{}",
        text(&o)
    );
    assert!(!bin.exists());

    // The release's SHA256SUMS changed since the action pinned it.
    release.action(v1, &format!("{sums}{}  tollgate-extra\n", "1".repeat(64)));
    let o = release.install(&server.url, "", &d.join("bin-sums"));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("differs from the action's checked-in copy"),
        "{}",
        text(&o)
    );
    release.action(v1, &sums);

    // Signed by another identity (a branch, not the version's tag).
    release.sign(&served, "refs/heads/main");
    let o = release.install(&server.url, "", &d.join("bin-identity"));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("its Sigstore signature does not verify as the release workflow of tollgate-dev/tollgate at v0.1.0"),
        "{}",
        text(&o)
    );
    release.sign(&served, "refs/tags/v0.1.0");

    // Another release, asked for by `version`: verified by the pinned one
    // (signatures of its SHA256SUMS and binary, then the hash).
    let v2 = "0.2.0";
    let hash2 = release.publish(v2, b"\0release 0.2.0");
    let bin = d.join("bin-v2");
    let o = release.install(&server.url, "v0.2.0", &bin);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("v0.2.0 verified (Sigstore signatures of the release workflow, SHA-256 from its signed SHA256SUMS)"),
        "{}",
        text(&o)
    );
    assert_eq!(sha256_hex(&bin.join("tollgate")), hash2);
    // ... and refused when its binary was replaced after signing.
    let served2 = release.dir(v2).join(Release::asset(v2));
    std::fs::write(&served2, &tampered).unwrap();
    let bin = d.join("bin-v2-tampered");
    let o = release.install(&server.url, "0.2.0", &bin);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("its Sigstore signature does not verify as the release workflow of tollgate-dev/tollgate at v0.2.0"),
        "{}",
        text(&o)
    );
    assert!(!bin.exists());

    // Not a version, and a plain-HTTP mirror off this machine: refused.
    let o = release.install(&server.url, "../../etc", &d.join("bin-bad"));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("is not a release version"),
        "{}",
        text(&o)
    );
    let o = release.install("http://mirror.example/releases", "", &d.join("bin-bad"));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("download-url must be https://"),
        "{}",
        text(&o)
    );

    // A commit of the action whose release has no checked-in checksums
    // (a tag before its pin pull request): refused, naming the way out.
    std::fs::write(d.join("action/VERSION"), "0.3.0\n").unwrap();
    let o = release.install(&server.url, "", &d.join("bin-unpinned"));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("no checked-in checksums for v0.3.0")
            && text(&o).contains("set build-from-source: true"),
        "{}",
        text(&o)
    );
}
