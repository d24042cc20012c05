//! Keyless signing end to end against a local stand-in for Fulcio and
//! Rekor: the Sigstore project's `@sigstore/mock` handlers served on
//! 127.0.0.1 by `tests/js/sigstore-mock-server.js`, with the matching
//! trusted root. Bundles signed by tollgate are verified by tollgate and by
//! sigstore-js; tampering, a wrong identity or issuer, and the wrong trust
//! root are rejected.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use crate::support::{self, js_dir, start_mock, succeeded, tollgate};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const IDENTITY: &str =
    "https://github.com/tollgate-dev/tollgate/.github/workflows/release.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn token(claims: serde_json::Value) -> String {
    support::fake_jwt(claims)
}

fn verify(
    dir: &Path,
    bundle: &str,
    artifact: &str,
    identity: &str,
    issuer: &str,
    root: &Path,
) -> Output {
    tollgate(
        &[
            "verify-bundle",
            "--bundle",
            bundle,
            "--certificate-identity",
            identity,
            "--certificate-oidc-issuer",
            issuer,
            "--trusted-root",
            root.to_str().unwrap(),
            artifact,
        ],
        dir,
    )
}

/// `tollgate ARGS`, signing keylessly through the stand-in; must succeed.
fn keyless_ok(d: &Path, mock: &support::Mock, jwt: &str, args: &[&str]) -> Output {
    let mut all = args.to_vec();
    all.extend([
        "--identity-token",
        jwt,
        "--fulcio-url",
        &mock.url,
        "--rekor-url",
        &mock.url,
    ]);
    let out = tollgate(&all, d);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn node(script: &str, args: &[&str]) -> bool {
    Command::new("node")
        .arg(js_dir().join(script))
        .args(args)
        .status()
        .unwrap()
        .success()
}

#[test]
fn keyless_sign_verify_and_cross_check() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mock = start_mock(d);
    std::fs::write(d.join("app.tar"), b"release bytes").unwrap();
    std::fs::write(d.join("swapped.tar"), b"other bytes").unwrap();
    let jwt = token(
        serde_json::json!({"iss": ISSUER, "sub": IDENTITY, "repository": "tollgate-dev/tollgate", "aud": "sigstore"}),
    );

    keyless_ok(
        d,
        &mock,
        &jwt,
        &["sign", "app.tar", "--bundle", "app.sigstore.json"],
    );
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("app.sigstore.json")).unwrap()).unwrap();
    let material = &bundle["verificationMaterial"];
    assert!(
        material["certificate"]["rawBytes"].is_string()
            && material.get("x509CertificateChain").is_none()
    );
    let root: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&mock.root).unwrap()).unwrap();
    assert_ne!(
        material["certificate"]["rawBytes"],
        root["certificateAuthorities"][0]["certChain"]["certificates"][0]["rawBytes"],
        "never the root certificate"
    );
    assert!(material["tlogEntries"][0]["inclusionProof"]["checkpoint"]["envelope"].is_string());

    assert_eq!(
        verify(
            d,
            "app.sigstore.json",
            "app.tar",
            IDENTITY,
            ISSUER,
            &mock.root
        )
        .status
        .code(),
        Some(0)
    );
    assert_eq!(
        verify(
            d,
            "app.sigstore.json",
            "swapped.tar",
            IDENTITY,
            ISSUER,
            &mock.root
        )
        .status
        .code(),
        Some(1),
        "tampered artifact"
    );
    assert_eq!(
        verify(
            d,
            "app.sigstore.json",
            "app.tar",
            "https://github.com/evil/repo/.github/workflows/x.yml@refs/heads/main",
            ISSUER,
            &mock.root
        )
        .status
        .code(),
        Some(1),
        "wrong identity"
    );
    assert_eq!(
        verify(
            d,
            "app.sigstore.json",
            "app.tar",
            IDENTITY,
            "https://accounts.google.com",
            &mock.root
        )
        .status
        .code(),
        Some(1),
        "wrong issuer"
    );
    let public_good = tollgate(
        &[
            "verify-bundle",
            "--bundle",
            "app.sigstore.json",
            "--certificate-identity",
            IDENTITY,
            "--certificate-oidc-issuer",
            ISSUER,
            "app.tar",
        ],
        d,
    );
    assert_eq!(
        public_good.status.code(),
        Some(1),
        "the mock CA is not trusted by the public-good root"
    );

    let root_arg = mock.root.to_str().unwrap();
    let bundle_arg = d.join("app.sigstore.json");
    let bundle_arg = bundle_arg.to_str().unwrap();
    assert!(
        node(
            "verify-keyless.js",
            &[
                bundle_arg,
                d.join("app.tar").to_str().unwrap(),
                root_arg,
                IDENTITY,
                ISSUER
            ]
        ),
        "sigstore-js rejected tollgate's keyless bundle"
    );
    assert!(!node(
        "verify-keyless.js",
        &[
            bundle_arg,
            d.join("swapped.tar").to_str().unwrap(),
            root_arg,
            IDENTITY,
            ISSUER
        ]
    ));
}

#[test]
fn keyed_signature_logged_to_rekor_verifies_without_insecure_flags() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mock = start_mock(d);
    std::fs::write(d.join("pw"), "pw").unwrap();
    std::fs::write(d.join("app.tar"), b"release bytes").unwrap();
    std::fs::write(d.join("sbom.json"), SBOM).unwrap();
    assert!(tollgate(&["key", "generate", "--password-file", "pw"], d)
        .status
        .success());
    // A signature (hashedrekord entry) and an attestation (dsse entry).
    for (bundle, command) in [
        ("b.json", &["sign", "app.tar"][..]),
        (
            "sbom.att.json",
            &["attest", "sbom", "--sbom", "sbom.json", "app.tar"],
        ),
    ] {
        let mut args = command.to_vec();
        args.extend([
            "--key",
            "cosign.key",
            "--password-file",
            "pw",
            "--rekor-url",
            &mock.url,
            "--bundle",
            bundle,
        ]);
        let out = tollgate(&args, d);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let ok = tollgate(
            &[
                "verify-bundle",
                "--key",
                "cosign.pub",
                "--bundle",
                bundle,
                "--trusted-root",
                mock.root.to_str().unwrap(),
                "app.tar",
            ],
            d,
        );
        assert!(
            ok.status.success(),
            "{bundle}: {}",
            String::from_utf8_lossy(&ok.stderr)
        );
    }
}

/// A minimal CycloneDX SBOM to attest.
const SBOM: &[u8] =
    br#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": []}"#;

#[test]
fn ambient_github_actions_token_and_cleartext_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mock = start_mock(d);
    std::fs::write(d.join("app.tar"), b"release bytes").unwrap();
    succeeded(
        Command::new(env!("CARGO_BIN_EXE_tollgate"))
            .args([
                "sign",
                "app.tar",
                "--bundle",
                "gh.json",
                "--fulcio-url",
                &mock.url,
                "--rekor-url",
                &mock.url,
            ])
            .current_dir(d)
            .env_remove("SIGSTORE_ID_TOKEN")
            .env(
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                format!("{}/actions-token?api-version=2.0", mock.url),
            )
            .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "request-token"),
    );
    let subject = "repo:tollgate-dev/tollgate:ref:refs/heads/main";
    assert_eq!(
        verify(d, "gh.json", "app.tar", subject, ISSUER, &mock.root)
            .status
            .code(),
        Some(0)
    );

    let no_token = tollgate(&["sign", "app.tar", "--bundle", "x.json"], d);
    assert_eq!(no_token.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_token.stderr).contains("needs an identity token"));
    let jwt = token(
        serde_json::json!({"iss": ISSUER, "sub": IDENTITY, "repository": "tollgate-dev/tollgate"}),
    );
    let cleartext = tollgate(
        &[
            "sign",
            "app.tar",
            "--bundle",
            "x.json",
            "--identity-token",
            &jwt,
            "--fulcio-url",
            "http://fulcio.example.com",
        ],
        d,
    );
    assert_eq!(cleartext.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&cleartext.stderr).contains("only allowed to a loopback address")
    );
    assert!(!d.join("x.json").exists());
}

#[test]
fn signing_config_and_sign_time_trust_check() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mock = start_mock(d);
    std::fs::write(d.join("app.tar"), b"release bytes").unwrap();
    let jwt = token(
        serde_json::json!({"iss": ISSUER, "sub": IDENTITY, "repository": "tollgate-dev/tollgate"}),
    );
    std::fs::write(
        d.join("signing_config.json"),
        serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
            "caUrls": [{"url": mock.url, "majorApiVersion": 1, "validFor": {"start": "2020-01-01T00:00:00Z"}, "operator": "local"}],
            "rekorTlogUrls": [{"url": mock.url, "majorApiVersion": 1, "validFor": {"start": "2020-01-01T00:00:00Z"}, "operator": "local"}],
            "rekorTlogConfig": {"selector": "ANY"},
        })
        .to_string(),
    )
    .unwrap();
    let root = mock.root.to_str().unwrap();
    let ok = tollgate(
        &[
            "sign",
            "app.tar",
            "--bundle",
            "ok.json",
            "--identity-token",
            &jwt,
            "--signing-config",
            "signing_config.json",
            "--trusted-root",
            root,
        ],
        d,
    );
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(
        verify(d, "ok.json", "app.tar", IDENTITY, ISSUER, &mock.root)
            .status
            .code(),
        Some(0)
    );

    // A bundle from the mock CA does not verify against the public-good root:
    // signing fails and nothing is written.
    let public_good = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/sigstore/trusted_root.public-good.json");
    let bad = tollgate(
        &[
            "sign",
            "app.tar",
            "--bundle",
            "bad.json",
            "--identity-token",
            &jwt,
            "--signing-config",
            "signing_config.json",
            "--trusted-root",
            public_good.to_str().unwrap(),
        ],
        d,
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("does not verify against"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    assert!(!d.join("bad.json").exists() && !d.join("bad.tollgate-verify.json").exists());
}

/// The statement inside a DSSE bundle, re-encoded after `edit`.
fn edit_statement(bundle: &Path, out: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle).unwrap()).unwrap();
    let payload = b64
        .decode(doc["dsseEnvelope"]["payload"].as_str().unwrap())
        .unwrap();
    let mut statement: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    edit(&mut statement);
    doc["dsseEnvelope"]["payload"] = b64.encode(statement.to_string()).into();
    std::fs::write(out, doc.to_string()).unwrap();
}

#[test]
fn keyless_attestation_is_logged_as_dsse_and_verified_by_both_clients() {
    use base64::Engine;
    use sha2::Digest;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mock = start_mock(d);
    std::fs::write(d.join("app.tar"), b"release bytes").unwrap();
    std::fs::write(d.join("swapped.tar"), b"other bytes").unwrap();
    std::fs::write(d.join("predicate.json"), br#"{"reviewed": true}"#).unwrap();
    let jwt = token(
        serde_json::json!({"iss": ISSUER, "sub": IDENTITY, "repository": "tollgate-dev/tollgate", "aud": "sigstore"}),
    );
    let root = mock.root.to_str().unwrap();

    let out = keyless_ok(
        d,
        &mock,
        &jwt,
        &[
            "attest",
            "--predicate-type",
            "https://example.com/review/v1",
            "--predicate",
            "predicate.json",
            "app.tar",
            "--bundle",
            "att.sigstore.json",
            "--trusted-root",
            root,
        ],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("keyless, certificate from"));

    // The log entry is Rekor's canonical `dsse` body for this envelope.
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("att.sigstore.json")).unwrap()).unwrap();
    let entry = &bundle["verificationMaterial"]["tlogEntries"][0];
    assert_eq!(entry["kindVersion"]["kind"], "dsse");
    assert!(bundle["verificationMaterial"]["certificate"]["rawBytes"].is_string());
    let b64 = base64::engine::general_purpose::STANDARD;
    let body: serde_json::Value = serde_json::from_slice(
        &b64.decode(entry["canonicalizedBody"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    let payload = b64
        .decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        body["spec"]["payloadHash"]["value"],
        hex::encode(sha2::Sha256::digest(&payload))
    );
    assert_eq!(
        body["spec"]["signatures"][0]["signature"],
        bundle["dsseEnvelope"]["signatures"][0]["sig"]
    );
    assert!(body["spec"].get("proposedContent").is_none());

    let verify_att = |bundle: &str, artifact: &str, identity: &str| {
        verify(d, bundle, artifact, identity, ISSUER, &mock.root)
            .status
            .code()
    };
    assert_eq!(
        verify_att("att.sigstore.json", "app.tar", IDENTITY),
        Some(0)
    );
    assert_eq!(
        verify_att("att.sigstore.json", "swapped.tar", IDENTITY),
        Some(1),
        "the subject is another artifact"
    );
    assert_eq!(
        verify_att(
            "att.sigstore.json",
            "app.tar",
            "https://github.com/evil/repo/.github/workflows/x.yml@refs/heads/main"
        ),
        Some(1),
        "wrong identity"
    );
    // A statement rewritten to name another artifact: the signature and the
    // log's payload hash no longer match.
    let swapped_digest = hex::encode(sha2::Sha256::digest(b"other bytes"));
    edit_statement(
        &d.join("att.sigstore.json"),
        &d.join("tampered.json"),
        |s| s["subject"][0]["digest"]["sha256"] = swapped_digest.clone().into(),
    );
    assert_eq!(
        verify_att("tampered.json", "swapped.tar", IDENTITY),
        Some(1),
        "a rewritten statement"
    );

    let js = |bundle: &str, artifact: &str| {
        node(
            "verify-keyless.js",
            &[
                d.join(bundle).to_str().unwrap(),
                d.join(artifact).to_str().unwrap(),
                root,
                IDENTITY,
                ISSUER,
            ],
        )
    };
    assert!(
        js("att.sigstore.json", "app.tar"),
        "sigstore-js rejected tollgate's keyless attestation"
    );
    assert!(!js("att.sigstore.json", "swapped.tar"));
    assert!(!js("tampered.json", "swapped.tar"));

    // A bare envelope cannot carry the certificate: refused, nothing written.
    let jsonl = tollgate(
        &[
            "attest",
            "--predicate-type",
            "https://example.com/review/v1",
            "--predicate",
            "predicate.json",
            "app.tar",
            "--output-jsonl",
            "att.intoto.jsonl",
            "--identity-token",
            &jwt,
            "--fulcio-url",
            &mock.url,
            "--rekor-url",
            &mock.url,
        ],
        d,
    );
    assert_eq!(jsonl.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&jsonl.stderr).contains("--output-jsonl"));
    assert!(!d.join("att.intoto.jsonl").exists());
}

#[test]
fn a_private_instance_root_in_the_policy_admits_keyless_attestations() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mock = start_mock(d);
    std::fs::write(d.join("app.tar"), b"release bytes").unwrap();
    std::fs::write(d.join("sbom.json"), SBOM).unwrap();
    // A keyless attestation admitted by a policy naming the private
    // instance's trusted root (relative to the policy file); the same
    // policy without it trusts only the public-good root and denies.
    let jwt = token(
        serde_json::json!({"iss": ISSUER, "sub": IDENTITY, "repository": "tollgate-dev/tollgate", "aud": "sigstore"}),
    );
    keyless_ok(
        d,
        &mock,
        &jwt,
        &[
            "attest",
            "sbom",
            "--sbom",
            "sbom.json",
            "app.tar",
            "--bundle",
            "keyless.att.json",
        ],
    );
    std::fs::create_dir(d.join("policy")).unwrap();
    std::fs::copy(&mock.root, d.join("policy/private-root.json")).unwrap();
    let policy = |root_line: &str| {
        format!(
            "apiVersion: tollgate.dev/v1\nkind: Policy\nname: private\nauthorities:\n  - name: release\n    keyless:\n      github:\n        repository: tollgate-dev/tollgate\n        workflow: release.yml\n{root_line}attestations:\n  - type: sbom\n"
        )
    };
    std::fs::write(
        d.join("policy/private.yaml"),
        policy("      trustedRoot: private-root.json\n"),
    )
    .unwrap();
    std::fs::write(d.join("policy/public.yaml"), policy("")).unwrap();
    let gate = |policy: &str| {
        tollgate(
            &[
                "verify",
                "--policy",
                policy,
                "--bundle",
                "keyless.att.json",
                "app.tar",
            ],
            d,
        )
    };
    let admitted = gate("policy/private.yaml");
    assert_eq!(
        admitted.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&admitted.stdout),
        String::from_utf8_lossy(&admitted.stderr)
    );
    assert_eq!(gate("policy/public.yaml").status.code(), Some(1));
    std::fs::write(
        d.join("policy/missing.yaml"),
        policy("      trustedRoot: nowhere.json\n"),
    )
    .unwrap();
    let missing = gate("policy/missing.yaml");
    assert_eq!(missing.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("missing.yaml:line 10") && stderr.contains("trustedRoot"),
        "{stderr}"
    );
}

#[test]
fn ci_signs_keylessly_and_the_gate_checks_the_identity() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mock = start_mock(d);
    support::cargo_project(&d.join("svc"));
    std::fs::write(d.join("svc.tar"), b"the built service").unwrap();
    let policy = |workflow: &str| {
        format!(
            "apiVersion: tollgate.dev/v1\nkind: Policy\nname: keyless\nauthorities:\n  - name: release\n    keyless:\n      github:\n        repository: tollgate-dev/tollgate\n        workflow: {workflow}\n      trustedRoot: {}\nattestations:\n  - type: provenance\n  - type: sbom\n  - type: vulns\n    vulns:\n      maxSeverity: high\n  - type: sast\n",
            mock.root.display()
        )
    };
    std::fs::write(d.join("release.yaml"), policy("release.yml")).unwrap();
    std::fs::write(d.join("other.yaml"), policy("deploy.yml")).unwrap();
    // Workflow and ref: an exact identity (red team rt59: its source
    // repository went unchecked).
    std::fs::write(
        d.join("release-ref.yaml"),
        policy("release.yml\n        ref: refs/heads/main"),
    )
    .unwrap();
    let jwt = token(
        serde_json::json!({"iss": ISSUER, "sub": IDENTITY, "repository": "tollgate-dev/tollgate", "aud": "sigstore"}),
    );
    let ci_as = |jwt: &str, policy: &str, out: &str| {
        support::ci_keyless(
            d,
            &mock,
            jwt,
            &[
                "svc",
                "--trusted-root",
                mock.root.to_str().unwrap(),
                "--artifact",
                "svc.tar",
                "--policy",
                policy,
                "--out",
                out,
            ],
        )
    };
    let ci = |policy: &str, out: &str| ci_as(&jwt, policy, out);
    let admitted = ci("release.yaml", "out");
    assert_eq!(
        admitted.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&admitted.stdout),
        String::from_utf8_lossy(&admitted.stderr)
    );
    let with_ref = ci("release-ref.yaml", "out-ref");
    assert_eq!(
        with_ref.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&with_ref.stdout),
        String::from_utf8_lossy(&with_ref.stderr)
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("out/summary.json")).unwrap()).unwrap();
    assert_eq!(summary["signing"], "keyless");
    assert_eq!(summary["verdict"], "admit");
    for kind in ["provenance", "sbom", "vulns", "sast"] {
        let bundle: serde_json::Value = serde_json::from_slice(
            &std::fs::read(d.join(format!("out/attestations/svc.tar.{kind}.sigstore.json")))
                .unwrap(),
        )
        .unwrap();
        let material = &bundle["verificationMaterial"];
        assert!(material["certificate"]["rawBytes"].is_string(), "{kind}");
        assert_eq!(material["tlogEntries"][0]["kindVersion"]["kind"], "dsse");
    }
    // The token never appears in what ci writes.
    for entry in std::fs::read_dir(d.join("out")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(!text.contains(&jwt), "{} holds the token", path.display());
        }
    }

    // Another workflow's policy: the same signatures, the wrong identity.
    let denied = ci("other.yaml", "out-other");
    assert_eq!(
        denied.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&denied.stderr)
    );

    // The same release workflow, called as a reusable workflow from another
    // repository: the certificate's identity is the workflow's, its source
    // repository the caller's. The `github` authority names the source.
    let caller = token(
        serde_json::json!({"iss": ISSUER, "sub": IDENTITY, "aud": "sigstore", "repository": "attacker/app"}),
    );
    for (policy, out) in [
        ("release.yaml", "out-reused"),
        ("release-ref.yaml", "out-reused-ref"),
    ] {
        let reused = ci_as(&caller, policy, out);
        let report = format!(
            "{}{}",
            String::from_utf8_lossy(&reused.stdout),
            String::from_utf8_lossy(&reused.stderr)
        );
        assert_eq!(reused.status.code(), Some(1), "{policy}: {report}");
        let summary = std::fs::read_to_string(d.join(out).join("summary.json")).unwrap_or_default();
        assert!(
            report.contains("https://github.com/attacker/app")
                || summary.contains("https://github.com/attacker/app"),
            "{policy}: {report}{summary}"
        );
    }
}
