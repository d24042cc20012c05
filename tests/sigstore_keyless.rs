//! Keyless signing end to end against a local stand-in for Fulcio and
//! Rekor: the Sigstore project's `@sigstore/mock` handlers served on
//! 127.0.0.1 by `tests/js/sigstore-mock-server.js`, with the matching
//! trusted root. Bundles signed by tollgate are verified by tollgate and by
//! sigstore-js; tampering, a wrong identity or issuer, and the wrong trust
//! root are rejected.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const IDENTITY: &str =
    "https://github.com/tollgate-dev/tollgate/.github/workflows/release.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

#[path = "support/mod.rs"]
mod support;
use support::{js_dir, start_mock};

fn token(claims: serde_json::Value) -> String {
    support::fake_jwt(claims)
}

fn tollgate(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(args)
        .current_dir(dir)
        .env_remove("SIGSTORE_ID_TOKEN")
        .env_remove("ACTIONS_ID_TOKEN_REQUEST_URL")
        .output()
        .unwrap()
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
    let jwt = token(serde_json::json!({"iss": ISSUER, "sub": IDENTITY, "aud": "sigstore"}));

    let out = tollgate(
        &[
            "sign",
            "app.tar",
            "--bundle",
            "app.sigstore.json",
            "--identity-token",
            &jwt,
            "--fulcio-url",
            &mock.url,
            "--rekor-url",
            &mock.url,
        ],
        d,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
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
    assert!(tollgate(&["key", "generate", "--password-file", "pw"], d)
        .status
        .success());
    let out = tollgate(
        &[
            "sign",
            "app.tar",
            "--key",
            "cosign.key",
            "--password-file",
            "pw",
            "--rekor-url",
            &mock.url,
            "--bundle",
            "b.json",
        ],
        d,
    );
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
            "b.json",
            "--trusted-root",
            mock.root.to_str().unwrap(),
            "app.tar",
        ],
        d,
    );
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

#[test]
fn ambient_github_actions_token_and_cleartext_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mock = start_mock(d);
    std::fs::write(d.join("app.tar"), b"release bytes").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tollgate"))
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
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "request-token")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
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
    let jwt = token(serde_json::json!({"iss": ISSUER, "sub": IDENTITY}));
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
    let jwt = token(serde_json::json!({"iss": ISSUER, "sub": IDENTITY}));
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
