//! `tollgate attest`: in-toto statements in DSSE envelopes. Golden
//! statement JSON, the real commit in SLSA provenance, every built-in
//! predicate from the earlier stages' real output, `.intoto.jsonl`, a
//! tamper matrix, and sigstore-js as an independent DSSE verifier.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use crate::support::{self, repo_root, Tollgate, EPOCH};
use base64::Engine;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Tollgate Test")
        .env("GIT_AUTHOR_EMAIL", "test@tollgate.invalid")
        .env("GIT_COMMITTER_NAME", "Tollgate Test")
        .env("GIT_COMMITTER_EMAIL", "test@tollgate.invalid")
        .env("GIT_AUTHOR_DATE", "2023-11-14T22:13:20Z")
        .env("GIT_COMMITTER_DATE", "2023-11-14T22:13:20Z")
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// A repository with one commit holding `app` (deterministic commit id).
fn project(dir: &Path) {
    git(dir, &["init", "-q", "-b", "main"]);
    git(
        dir,
        &[
            "remote",
            "add",
            "origin",
            "git@github.com:tollgate-dev/tollgate.git",
        ],
    );
    std::fs::write(dir.join("app"), b"the built binary").unwrap();
    git(dir, &["add", "app"]);
    git(dir, &["commit", "-q", "-m", "release"]);
    std::fs::write(dir.join("pw"), "pw").unwrap();
    let out = Tollgate::new(dir)
        .epoch(EPOCH)
        .args([
            "key",
            "generate",
            "--password-file",
            "pw",
            "--output-key-prefix",
            "signing",
        ])
        .run();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(
        dir.join(".gitignore"),
        "signing.*\npw\n*.json\n*.jsonl\n.gitignore\n",
    )
    .unwrap();
}

fn statement_of(bundle: &Path) -> Value {
    let b: Value = serde_json::from_slice(&std::fs::read(bundle).unwrap()).unwrap();
    let payload = base64::engine::general_purpose::STANDARD
        .decode(b["dsseEnvelope"]["payload"].as_str().unwrap())
        .unwrap();
    serde_json::from_slice(&payload).unwrap()
}

fn verify(dir: &Path, bundle: &str, subject: &str, key: &str) -> Output {
    Tollgate::new(dir)
        .epoch(EPOCH)
        .args([
            "verify-bundle",
            "--key",
            key,
            "--bundle",
            bundle,
            "--insecure-ignore-tlog",
            subject,
        ])
        .run()
}

#[test]
fn provenance_golden_statement_and_real_commit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    project(d);
    let out = Tollgate::new(d)
        .epoch(EPOCH)
        .args([
            "attest",
            "provenance",
            "app",
            "--key",
            "signing.key",
            "--password-file",
            "pw",
            "--bundle",
            "prov.json",
        ])
        .run();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let statement = statement_of(&d.join("prov.json"));
    let head = String::from_utf8(
        Command::new("git")
            .args(["rev-parse", "HEAD"])
            .current_dir(d)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(
        statement["predicate"]["buildDefinition"]["resolvedDependencies"][0]["digest"]["gitCommit"],
        head.trim()
    );
    insta::assert_json_snapshot!("provenance_statement", statement);
    assert_eq!(
        verify(d, "prov.json", "app", "signing.pub").status.code(),
        Some(0)
    );
}

#[test]
fn dirty_tree_is_refused_unless_allowed_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    project(d);
    std::fs::write(d.join("app"), b"rebuilt after the commit").unwrap();
    let refused = Tollgate::new(d)
        .epoch(EPOCH)
        .args([
            "attest",
            "provenance",
            "app",
            "--key",
            "signing.key",
            "--password-file",
            "pw",
            "--bundle",
            "p.json",
        ])
        .run();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("uncommitted changes"));
    assert!(!d.join("p.json").exists());
    let allowed = Tollgate::new(d)
        .epoch(EPOCH)
        .args([
            "attest",
            "provenance",
            "app",
            "--allow-dirty",
            "--key",
            "signing.key",
            "--password-file",
            "pw",
            "--bundle",
            "p.json",
        ])
        .run();
    assert!(allowed.status.success());
    assert_eq!(
        statement_of(&d.join("p.json"))["predicate"]["buildDefinition"]["internalParameters"]
            ["tollgate"]["dirty"],
        true
    );
}

#[test]
fn sbom_vulns_and_sast_predicates_from_the_real_stages() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    project(d);
    let root = repo_root();
    let fixture = root.join("sbom/tests/fixtures/projects/called");
    let db = support::advisory_db();
    let sbom = Tollgate::new(d)
        .epoch(EPOCH)
        .args([
            "sbom",
            fixture.to_str().unwrap(),
            "-o",
            d.join("sbom.json").to_str().unwrap(),
        ])
        .run();
    assert!(sbom.status.success());
    let audit = Tollgate::new(d)
        .epoch(EPOCH)
        .args([
            "audit",
            fixture.to_str().unwrap(),
            "--advisory-db",
            db.to_str().unwrap(),
            "--format",
            "json",
            "-o",
            d.join("audit.json").to_str().unwrap(),
        ])
        .run();
    assert_eq!(audit.status.code(), Some(1), "the fixture is vulnerable");
    let sast = Tollgate::new(d)
        .epoch(EPOCH)
        .args([
            "sast",
            root.join("demo").to_str().unwrap(),
            "--format",
            "sarif",
            "-o",
            d.join("sast.sarif").to_str().unwrap(),
        ])
        .run();
    assert_eq!(sast.status.code(), Some(1));

    let sign = |kind: &str, flag: &str, file: &str| {
        let out = Tollgate::new(d)
            .epoch(EPOCH)
            .args([
                "attest",
                kind,
                flag,
                file,
                "app",
                "--key",
                "signing.key",
                "--password-file",
                "pw",
                "--bundle",
                &format!("{kind}.json"),
                "--output-jsonl",
                "all.intoto.jsonl",
            ])
            .run();
        assert!(
            out.status.success(),
            "{kind}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            verify(d, &format!("{kind}.json"), "app", "signing.pub")
                .status
                .code(),
            Some(0)
        );
        statement_of(&d.join(format!("{kind}.json")))
    };
    let sbom = sign("sbom", "--sbom", "sbom.json");
    assert_eq!(sbom["predicateType"], "https://cyclonedx.org/bom");
    assert_eq!(sbom["predicate"]["bomFormat"], "CycloneDX");
    let vulns = sign("vulns", "--audit", "audit.json");
    assert_eq!(
        vulns["predicateType"],
        "https://in-toto.io/attestation/vulns/v0.2"
    );
    let ids: Vec<&str> = vulns["predicate"]["scanner"]["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"RUSTSEC-2020-0071"), "{ids:?}");
    let sast = sign("sast", "--sarif", "sast.sarif");
    assert_eq!(sast["predicate"]["counts"]["critical"], 1);
    assert_eq!(sast["predicate"]["results"], 8);
    let sarif_digest = hex_sha256(&std::fs::read(d.join("sast.sarif")).unwrap());
    assert_eq!(sast["predicate"]["sarif"]["digest"]["sha256"], sarif_digest);

    let lines = std::fs::read_to_string(d.join("all.intoto.jsonl")).unwrap();
    assert_eq!(lines.lines().count(), 3);
    for line in lines.lines() {
        let envelope: Value = serde_json::from_str(line).unwrap();
        assert_eq!(envelope["payloadType"], "application/vnd.in-toto+json");
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[test]
fn custom_predicate_image_subjects_and_tamper_matrix() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    project(d);
    std::fs::write(
        d.join("predicate.json"),
        r#"{"reviewed": true, "reviewer": "security-team"}"#,
    )
    .unwrap();
    let image = format!("ghcr.io/org/app@sha256:{}", "ab".repeat(32));
    let out = Tollgate::new(d)
        .epoch(EPOCH)
        .args([
            "attest",
            "--predicate-type",
            "https://example.com/review/v1",
            "--predicate",
            "predicate.json",
            "app",
            &image,
            "--key",
            "signing.key",
            "--password-file",
            "pw",
            "--bundle",
            "review.json",
        ])
        .run();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let statement = statement_of(&d.join("review.json"));
    assert_eq!(statement["subject"].as_array().unwrap().len(), 2);
    assert_eq!(statement["subject"][1]["digest"]["sha256"], "ab".repeat(32));
    assert_eq!(
        verify(
            d,
            "review.json",
            &format!("sha256:{}", "ab".repeat(32)),
            "signing.pub"
        )
        .status
        .code(),
        Some(0),
        "image subject by digest"
    );

    let original: Value =
        serde_json::from_slice(&std::fs::read(d.join("review.json")).unwrap()).unwrap();
    let tamper = |name: &str, f: &dyn Fn(&mut Value)| {
        let mut b = original.clone();
        f(&mut b);
        std::fs::write(d.join(name), serde_json::to_vec(&b).unwrap()).unwrap();
        let out = verify(d, name, "app", "signing.pub");
        assert_eq!(out.status.code(), Some(1), "{name} must be rejected");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let changed_payload = tamper("payload.json", &|b| {
        let mut st = statement_of(&d.join("review.json"));
        st["predicate"]["reviewed"] = Value::Bool(false);
        b["dsseEnvelope"]["payload"] = base64::engine::general_purpose::STANDARD
            .encode(serde_json::to_vec(&st).unwrap())
            .into();
    });
    assert!(
        changed_payload.contains("signature does not verify"),
        "{changed_payload}"
    );
    let swapped_type = tamper("type.json", &|b| {
        b["dsseEnvelope"]["payloadType"] = "application/json".into()
    });
    assert!(
        swapped_type.contains("DSSE payload type is `application/json`"),
        "{swapped_type}"
    );
    std::fs::write(d.join("other-app"), b"a different binary").unwrap();
    let wrong_subject = verify(d, "review.json", "other-app", "signing.pub");
    assert_eq!(wrong_subject.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&wrong_subject.stderr).contains("no statement subject has sha256")
    );
    Tollgate::new(d)
        .epoch(EPOCH)
        .args([
            "key",
            "generate",
            "--password-file",
            "pw",
            "--output-key-prefix",
            "untrusted",
        ])
        .run();
    let untrusted = verify(d, "review.json", "app", "untrusted.pub");
    assert_eq!(
        untrusted.status.code(),
        Some(1),
        "statement signed by an untrusted key"
    );
}

#[test]
fn sigstore_js_verifies_a_keyed_attestation_bundle() {
    let js = repo_root().join("tests/js");
    assert!(
        js.join("node_modules/@sigstore/verify").is_dir(),
        "run `npm ci --prefix tests/js` (scripts/test does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    project(d);
    assert!(Tollgate::new(d)
        .epoch(EPOCH)
        .args([
            "attest",
            "provenance",
            "app",
            "--key",
            "signing.key",
            "--password-file",
            "pw",
            "--bundle",
            "prov.json"
        ])
        .run()
        .status
        .success());
    let root = repo_root().join("../shared/sigstore/trusted_root.public-good.json");
    let ok = Command::new("node")
        .arg(js.join("verify.js"))
        .arg(d.join("prov.json"))
        .arg(d.join("app"))
        .arg(d.join("signing.pub"))
        .arg(&root)
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
}
