//! End to end: `tollgate key generate`, keyed `tollgate sign`, and
//! `tollgate verify-bundle --key`, including the error cases a user hits.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use crate::support::tollgate;
use sha2::{Digest, Sha256};
use std::process::{Command, Output};

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn generate_sign_verify_and_tamper() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("pw"), "s3cret\n").unwrap();
    std::fs::write(d.join("app.tar"), b"release bytes").unwrap();
    let out = tollgate(&["key", "generate", "--password-file", "pw"], d);
    assert!(out.status.success(), "{}", err(&out));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(d.join("cosign.key"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
    }
    assert!(std::fs::read_to_string(d.join("cosign.key"))
        .unwrap()
        .starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"));
    assert!(std::fs::read_to_string(d.join("cosign.pub"))
        .unwrap()
        .starts_with("-----BEGIN PUBLIC KEY-----"));
    let again = tollgate(&["key", "generate", "--password-file", "pw"], d);
    assert_eq!(
        again.status.code(),
        Some(2),
        "existing keys are not overwritten"
    );

    let out = tollgate(
        &[
            "sign",
            "app.tar",
            "--key",
            "cosign.key",
            "--bundle",
            "app.sigstore.json",
            "--password-file",
            "pw",
        ],
        d,
    );
    assert!(out.status.success(), "{}", err(&out));
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("app.sigstore.json")).unwrap()).unwrap();
    assert_eq!(
        bundle["mediaType"],
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    );
    assert!(bundle["verificationMaterial"]["publicKey"]["hint"].is_string());

    let verify = |artifact: &str, extra: &[&str]| {
        let mut args = vec![
            "verify-bundle",
            "--key",
            "cosign.pub",
            "--bundle",
            "app.sigstore.json",
        ];
        args.extend_from_slice(extra);
        args.push(artifact);
        tollgate(&args, d)
    };
    assert_eq!(
        verify("app.tar", &["--insecure-ignore-tlog"]).status.code(),
        Some(0)
    );
    let digest = format!("sha256:{}", hex::encode(Sha256::digest(b"release bytes")));
    assert_eq!(
        verify(&digest, &["--insecure-ignore-tlog"]).status.code(),
        Some(0),
        "verify by digest"
    );
    let unlogged = verify("app.tar", &[]);
    assert_eq!(
        unlogged.status.code(),
        Some(1),
        "an unlogged bundle needs --insecure-ignore-tlog"
    );
    std::fs::write(d.join("app.tar"), b"release bytes, swapped").unwrap();
    let tampered = verify("app.tar", &["--insecure-ignore-tlog"]);
    assert_eq!(tampered.status.code(), Some(1));
    assert!(
        err(&tampered).contains("does not match"),
        "{}",
        err(&tampered)
    );

    // A different key does not verify.
    std::fs::create_dir(d.join("other")).unwrap();
    tollgate(
        &[
            "key",
            "generate",
            "--password-file",
            "../pw",
            "--type",
            "ed25519",
        ],
        &d.join("other"),
    );
    std::fs::write(d.join("app.tar"), b"release bytes").unwrap();
    let wrong_key = tollgate(
        &[
            "verify-bundle",
            "--key",
            "other/cosign.pub",
            "--bundle",
            "app.sigstore.json",
            "--insecure-ignore-tlog",
            "app.tar",
        ],
        d,
    );
    assert_eq!(wrong_key.status.code(), Some(1));
}

#[test]
fn key_errors_are_distinct() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("pw"), "right").unwrap();
    std::fs::write(d.join("bad-pw"), "wrong").unwrap();
    std::fs::write(d.join("file"), b"x").unwrap();
    tollgate(&["key", "generate", "--password-file", "pw"], d);
    let wrong = tollgate(
        &[
            "sign",
            "file",
            "--key",
            "cosign.key",
            "--bundle",
            "b.json",
            "--password-file",
            "bad-pw",
        ],
        d,
    );
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        err(&wrong).contains("cosign.key") && err(&wrong).contains("wrong password"),
        "{}",
        err(&wrong)
    );
    assert!(!d.join("b.json").exists(), "nothing written on error");

    let key = std::fs::read_to_string(d.join("cosign.key")).unwrap();
    std::fs::write(d.join("truncated.key"), &key[..key.len() / 2]).unwrap();
    let truncated = tollgate(
        &[
            "sign",
            "file",
            "--key",
            "truncated.key",
            "--bundle",
            "b.json",
            "--password-file",
            "pw",
        ],
        d,
    );
    assert!(
        err(&truncated).contains("corrupt or truncated key"),
        "{}",
        err(&truncated)
    );

    let no_password = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["sign", "file", "--key", "cosign.key", "--bundle", "b.json"])
        .current_dir(d)
        .env_remove("COSIGN_PASSWORD")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(no_password.status.code(), Some(2));
    assert!(
        err(&no_password).contains("no password"),
        "{}",
        err(&no_password)
    );

    let env_password = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["sign", "file", "--key", "cosign.key", "--bundle", "b.json"])
        .current_dir(d)
        .env("COSIGN_PASSWORD", "right")
        .output()
        .unwrap();
    assert!(
        env_password.status.success(),
        "COSIGN_PASSWORD is accepted for cosign compatibility"
    );
}
