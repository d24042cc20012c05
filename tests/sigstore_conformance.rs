//! The sigstore-conformance `bundle-verify` suite from
//! `../shared/sigstore/conformance/bundle-verify`, driven through the
//! `tollgate verify-bundle` client protocol: every case twice (the file,
//! and its `sha256:` digest). A case whose name ends in `_fail` must be
//! rejected; every other one must verify. Offline: cases without their own
//! `trusted_root.json` use the public-good root built into tollgate.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";

fn suite() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/sigstore/conformance");
    assert!(
        path.join("bundle-verify").is_dir(),
        "{}: the sigstore-conformance cases from ../shared are required",
        path.display()
    );
    path
}

fn read_trimmed(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
}

#[test]
fn bundle_verify_suite_140_of_140() {
    let suite = suite();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(suite.join("bundle-verify"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    let mut runs = 0;
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let artifact = if case.join("artifact").exists() {
            case.join("artifact")
        } else {
            suite.join("a.txt")
        };
        let digest = format!(
            "sha256:{}",
            hex::encode(Sha256::digest(std::fs::read(&artifact).unwrap()))
        );
        for target in [artifact.to_string_lossy().into_owned(), digest] {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_tollgate"));
            cmd.arg("verify-bundle")
                .arg("--bundle")
                .arg(case.join("bundle.sigstore.json"));
            if case.join("key.pub").exists() {
                cmd.arg("--key").arg(case.join("key.pub"));
            } else {
                let identity =
                    read_trimmed(&case.join("identity")).unwrap_or_else(|| DEFAULT_IDENTITY.into());
                let issuer =
                    read_trimmed(&case.join("issuer")).unwrap_or_else(|| DEFAULT_ISSUER.into());
                cmd.args([
                    "--certificate-identity",
                    &identity,
                    "--certificate-oidc-issuer",
                    &issuer,
                ]);
            }
            if case.join("trusted_root.json").exists() {
                cmd.arg("--trusted-root")
                    .arg(case.join("trusted_root.json"));
            }
            cmd.arg(&target);
            let out = cmd.output().unwrap();
            let should_fail = name.ends_with("_fail");
            runs += 1;
            if out.status.success() == should_fail {
                let kind = if target.starts_with("sha256:") {
                    "digest"
                } else {
                    "file"
                };
                failures.push(format!(
                    "{name} ({kind}): exit {:?}: {}",
                    out.status.code(),
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
        }
    }
    assert_eq!(runs, 140, "expected 70 cases x 2");
    assert!(
        failures.is_empty(),
        "{} of {runs} conformance runs wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
