//! `tollgate ci` end to end: the built-in demo goes through every stage and
//! is denied for the right reasons; the fixed variant is admitted, and the
//! deploy gate run on its own reaches the same decisions from the files
//! `tollgate ci` wrote. A failed stage leaves no output directory behind.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use crate::support::{self, advisory_db, repo_root, tollgate, Tollgate};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn run_demo(dir: &Path, variant: &str, out: &str) -> (Output, Value) {
    let db = advisory_db();
    let o = tollgate(
        &[
            "ci",
            "--demo",
            variant,
            "--out",
            out,
            "--advisory-db",
            db.to_str().unwrap(),
        ],
        dir,
    );
    let summary = std::fs::read(dir.join(out).join("summary.json"))
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap_or(Value::Null);
    (o, summary)
}

fn failed_requirements(summary: &Value) -> Vec<String> {
    summary["subjects"][0]["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["requirement"].as_str().unwrap().to_string())
        .collect()
}

/// Keep the SBOM for the reference validator `scripts/test` runs.
fn keep_sbom(from: &Path, name: &str) {
    let samples = repo_root().join("target").join("tmp").join("sbom-samples");
    std::fs::create_dir_all(&samples).unwrap();
    std::fs::copy(from, samples.join(name)).unwrap();
}

#[test]
fn the_demo_is_denied_for_its_vulnerabilities_and_sast_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (o, summary) = run_demo(dir.path(), "vulnerable", "out");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(stdout.contains("verdict: DENY"), "{stdout}");
    assert_eq!(summary["verdict"], "deny");
    // Denied for exactly these reasons: provenance and SBOM pass.
    assert_eq!(
        failed_requirements(&summary),
        ["attestation vulns", "attestation sast"]
    );
    let audit = &summary["stages"][1];
    let ids: Vec<&str> = audit["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"RUSTSEC-2024-0363"), "{ids:?}"); // sqlx 0.7.4
    assert_eq!(summary["stages"][0]["findings"]["error"], 7);
    let out = dir.path().join("out");
    for file in [
        "sast.sarif",
        "audit.json",
        "sbom.cdx.json",
        "policy.yaml",
        "decisions.jsonl",
        "attestations/tollgate-demo-shop-0.1.0.tar.provenance.sigstore.json",
        "attestations/tollgate-demo-shop-0.1.0.tar.sbom.sigstore.json",
        "attestations/tollgate-demo-shop-0.1.0.tar.vulns.sigstore.json",
        "attestations/tollgate-demo-shop-0.1.0.tar.sast.sigstore.json",
    ] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    keep_sbom(&out.join("sbom.cdx.json"), "ci-demo.cdx.json");
    // The decision log the run wrote verifies.
    let log = tollgate(&["log", "verify", "out/decisions.jsonl"], dir.path());
    assert!(
        log.status.success(),
        "{}",
        String::from_utf8_lossy(&log.stderr)
    );

    // The artifact is the same bytes on every run (fixed commit time, sorted tar).
    let (again, _) = run_demo(dir.path(), "vulnerable", "out");
    assert_eq!(again.status.code(), Some(1));
    let digest = |s: &Value| s["subjects"][0]["digest"].as_str().unwrap().to_string();
    let second: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(digest(&summary), digest(&second));
}

#[test]
fn the_fixed_demo_is_admitted_and_the_gate_agrees_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let (o, summary) = run_demo(dir.path(), "fixed", "fixed");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(summary["verdict"], "admit");
    assert!(failed_requirements(&summary).is_empty());
    keep_sbom(
        &dir.path().join("fixed/sbom.cdx.json"),
        "ci-demo-fixed.cdx.json",
    );

    // `tollgate verify` alone, from the files ci wrote, admits the artifact...
    let bundles: Vec<String> = ["provenance", "sbom", "vulns", "sast"]
        .iter()
        .map(|k| format!("fixed/attestations/tollgate-demo-shop-0.2.0.tar.{k}.sigstore.json"))
        .collect();
    let mut args = vec![
        "verify",
        "fixed/artifacts/tollgate-demo-shop-0.2.0.tar",
        "--policy",
        "fixed/policy.yaml",
    ];
    for b in &bundles {
        args.extend(["--bundle", b]);
    }
    let admitted = tollgate(&args, dir.path());
    assert_eq!(
        admitted.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&admitted.stdout)
    );

    // ...and denies the vulnerable artifact presented with the fixed one's
    // attestations: they name another digest.
    let (_, _) = run_demo(dir.path(), "vulnerable", "vulnerable");
    args[1] = "vulnerable/artifacts/tollgate-demo-shop-0.1.0.tar";
    let swapped = tollgate(&args, dir.path());
    assert_eq!(
        swapped.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&swapped.stdout)
    );
}

#[test]
fn a_failed_stage_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let o = tollgate(
        &[
            "ci",
            "--demo",
            "--out",
            "out",
            "--advisory-db",
            "no-such-db",
            "--offline",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("no-such-db"), "{stderr}");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");

    // An output directory that is not ours is never replaced.
    std::fs::create_dir(dir.path().join("precious")).unwrap();
    std::fs::write(dir.path().join("precious/file"), "keep").unwrap();
    let db = advisory_db();
    let o = tollgate(
        &[
            "ci",
            "--demo",
            "--out",
            "precious",
            "--advisory-db",
            db.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("precious: exists"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("precious/file")).unwrap(),
        "keep"
    );
}

/// The `SOURCE_DATE_EPOCH` of the byte-for-byte comparison (timestamps in
/// the SBOM and the predicates); its runs also give the demo key's empty
/// password.
const FIXED_EPOCH: &str = "1767225600";

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != ".git" {
                copy_tree(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

#[test]
fn ci_writes_the_same_bytes_as_the_individual_commands() {
    let dir = tempfile::tempdir().unwrap();
    let db = advisory_db();
    let db = db.to_str().unwrap();
    // The demo's key, policy, artifact and sources (a lockfile, no manifest:
    // the graph comes from the lockfile, offline) as an ordinary project.
    let (first, _) = run_demo(dir.path(), "vulnerable", "first");
    assert_eq!(first.status.code(), Some(1));
    let project = dir.path().join("project");
    copy_tree(&dir.path().join("first/demo"), &project);
    std::fs::remove_file(project.join("Cargo.toml")).unwrap();
    git(&project, &["init", "-q", "-b", "main"]);
    git(&project, &["add", "."]);
    git(&project, &["commit", "-q", "-m", "release"]);
    let artifact = "first/artifacts/tollgate-demo-shop-0.1.0.tar";
    let ci = Tollgate::new(dir.path())
        .epoch(FIXED_EPOCH)
        .env("COSIGN_PASSWORD", "")
        .args([
            "ci",
            "project",
            "--key",
            "first/keys/demo.key",
            "--policy",
            "first/policy.yaml",
            "--artifact",
            artifact,
            "--advisory-db",
            db,
            "--offline",
            "--out",
            "ci",
        ])
        .run();
    assert_eq!(
        ci.status.code(),
        Some(1),
        "{}{}",
        String::from_utf8_lossy(&ci.stdout),
        String::from_utf8_lossy(&ci.stderr)
    );

    std::fs::create_dir(dir.path().join("alone")).unwrap();
    let stages: [&[&str]; 5] = [
        &[
            "sast",
            "project",
            "--format",
            "sarif",
            "-o",
            "alone/sast.sarif",
            "--fail-on",
            "never",
        ],
        &[
            "audit",
            "project",
            "--advisory-db",
            db,
            "--offline",
            "--format",
            "json",
            "-o",
            "alone/audit.json",
        ],
        &["sbom", "project", "--offline", "-o", "alone/sbom.cdx.json"],
        // The attestations of the same reports with the same key.
        &[
            "attest",
            "sbom",
            "--sbom",
            "alone/sbom.cdx.json",
            artifact,
            "--key",
            "first/keys/demo.key",
            "--bundle",
            "alone/sbom.sigstore.json",
        ],
        &[
            "attest",
            "sast",
            "--sarif",
            "alone/sast.sarif",
            artifact,
            "--key",
            "first/keys/demo.key",
            "--bundle",
            "alone/sast.sigstore.json",
        ],
    ];
    for args in stages {
        let o = Tollgate::new(dir.path())
            .epoch(FIXED_EPOCH)
            .env("COSIGN_PASSWORD", "")
            .args(args)
            .run();
        assert!(
            o.status.code() == Some(0) || o.status.code() == Some(1),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    for (alone, ci) in [
        ("sast.sarif", "sast.sarif"),
        ("audit.json", "audit.json"),
        ("sbom.cdx.json", "sbom.cdx.json"),
        (
            "sbom.sigstore.json",
            "attestations/tollgate-demo-shop-0.1.0.tar.sbom.sigstore.json",
        ),
        (
            "sast.sigstore.json",
            "attestations/tollgate-demo-shop-0.1.0.tar.sast.sigstore.json",
        ),
    ] {
        let a = std::fs::read(dir.path().join("alone").join(alone)).unwrap();
        let c = std::fs::read(dir.path().join("ci").join(ci)).unwrap();
        assert!(!a.is_empty());
        assert!(a == c, "{ci} differs from `tollgate` run alone");
    }
    // The summary counts what the files hold.
    let summary: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("ci/summary.json")).unwrap())
            .unwrap();
    let sbom: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("alone/sbom.cdx.json")).unwrap())
            .unwrap();
    assert_eq!(
        summary["stages"][2]["components"],
        sbom["components"].as_array().unwrap().len()
    );
    let audit: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("alone/audit.json")).unwrap())
            .unwrap();
    assert_eq!(
        summary["stages"][1]["vulnerabilities"]
            .as_array()
            .unwrap()
            .len(),
        audit["vulnerabilities"]["list"].as_array().unwrap().len()
    );
    assert!(!summary["stages"][1]["vulnerabilities"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn a_bad_tollgate_toml_is_reported_at_its_line_and_column_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    support::cargo_project(dir.path());
    std::fs::write(
        dir.path().join("tollgate.toml"),
        "[audit]\ndeny = [\"unmaintaned\"]\n\n[[audit.bans.deny]]\ncrate = \"openssl\"\nversion = \"one\"\nreason = \"no\"\n",
    )
    .unwrap();
    for command in ["audit", "sast"] {
        let o = tollgate(&[command, "."], dir.path());
        assert_eq!(o.status.code(), Some(2), "{command}");
        let stderr = String::from_utf8_lossy(&o.stderr);
        // Both problems at once, each at its position in the file.
        assert!(
            stderr.contains("tollgate.toml:2:9: [audit] deny: unknown advisory kind `unmaintaned`"),
            "{command}: {stderr}"
        );
        assert!(
            stderr.contains("tollgate.toml:6:11: [audit.bans] openssl: version `one`"),
            "{command}: {stderr}"
        );
        assert!(!stderr.contains("--deny"), "{stderr}");
    }
}

#[test]
fn a_wrong_key_password_stops_the_run_and_leaves_nothing_behind() {
    // The key is decrypted while SAST runs on its own thread: the error
    // still ends the run (exit 2, naming the key) without its output.
    let dir = tempfile::tempdir().unwrap();
    let (first, _) = run_demo(dir.path(), "fixed", "first");
    assert_eq!(first.status.code(), Some(0));
    let db = advisory_db();
    let o = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args([
            "ci",
            "first/demo",
            "--key",
            "first/keys/demo.key",
            "--policy",
            "first/policy.yaml",
            "--artifact",
            "first/artifacts/tollgate-demo-shop-0.2.0.tar",
            "--advisory-db",
            db.to_str().unwrap(),
            "--offline",
            "--out",
            "second",
        ])
        .current_dir(dir.path())
        .env("COSIGN_PASSWORD", "not the password")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("first/keys/demo.key"), "{stderr}");
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["first"], "{stderr}");
}
