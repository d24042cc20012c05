//! Keyless authorities in the gate, against a real public-good bundle (the
//! sigstore-conformance `happy-path-v0.3` case, signed in GitHub Actions by
//! the conformance beacon workflow): exact subjects, anchored
//! `subjectRegExp`, and the `github` shortcut; and the policy errors.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::path::PathBuf;
use tollgate_verifier::gate::{self, Target};
use tollgate_verifier::policy::Policy;

fn case() -> (PathBuf, PathBuf) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/sigstore/conformance/bundle-verify");
    assert!(dir.is_dir(), "{} is required (../shared)", dir.display());
    (
        dir.join("a.txt"),
        dir.join("happy-path-v0.3/bundle.sigstore.json"),
    )
}

fn policy(keyless: &str) -> Result<Policy, String> {
    let text = format!(
        "apiVersion: tollgate.dev/v1\nkind: Policy\nname: k\nauthorities:\n  - name: ci\n    keyless:\n{keyless}"
    );
    Policy::parse(&text).map_err(|problems| {
        problems
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    })
}

fn admitted(keyless: &str) -> (bool, String) {
    let (artifact, bundle) = case();
    let policy = policy(keyless).unwrap();
    // 2026-11-23: the decision does not depend on the wall clock.
    let input = gate::BundleInput::new(
        bundle.display().to_string(),
        std::fs::read(&bundle).unwrap(),
    );
    let decision = gate::decide(&policy, &Target::File(&artifact), &[input], 1_795_392_000);
    let reasons = decision
        .checks
        .iter()
        .map(|c| c.reason.clone())
        .collect::<Vec<_>>()
        .join("; ");
    (decision.allowed, reasons)
}

const ISSUER: &str = "      issuer: https://token.actions.githubusercontent.com\n";

#[test]
fn exact_subject_and_patterns() {
    let exact = format!("{ISSUER}      subject: https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main\n");
    assert!(admitted(&exact).0, "{}", admitted(&exact).1);

    let pattern = format!("{ISSUER}      subjectRegExp: 'https://github\\.com/sigstore-conformance/[^/]+/\\.github/workflows/.*'\n");
    assert!(admitted(&pattern).0, "{}", admitted(&pattern).1);

    // Anchored: a pattern matching only a prefix of the identity is not enough.
    let prefix =
        format!("{ISSUER}      subjectRegExp: 'https://github\\.com/sigstore-conformance'\n");
    let (ok, reasons) = admitted(&prefix);
    assert!(!ok);
    assert!(reasons.contains("does not accept"), "{reasons}");

    // The right identity from another issuer is someone else.
    let other_issuer = "      issuer: https://accounts.google.com\n      subjectRegExp: '.*'\n";
    assert!(!admitted(other_issuer).0);
}

#[test]
fn github_shortcut() {
    let any_workflow = "      github:\n        repository: sigstore-conformance/extremely-dangerous-public-oidc-beacon\n";
    assert!(admitted(any_workflow).0, "{}", admitted(any_workflow).1);

    let exact = "      github:\n        repository: sigstore-conformance/extremely-dangerous-public-oidc-beacon\n        workflow: extremely-dangerous-oidc-beacon.yml\n        ref: refs/heads/main\n";
    assert!(admitted(exact).0, "{}", admitted(exact).1);

    let other_ref = "      github:\n        repository: sigstore-conformance/extremely-dangerous-public-oidc-beacon\n        ref: refs/heads/release\n";
    assert!(!admitted(other_ref).0);

    let other_repo = "      github:\n        repository: sigstore-conformance/other\n";
    let (ok, reasons) = admitted(other_repo);
    assert!(!ok);
    assert!(
        reasons.contains("extremely-dangerous-oidc-beacon.yml"),
        "{reasons}"
    );
}

#[test]
fn keyless_policy_errors_name_their_line() {
    let bad_regex = format!("{ISSUER}      subjectRegExp: 'https://(unclosed'\n");
    let err = policy(&bad_regex).unwrap_err();
    assert!(
        err.contains("line 8") && err.contains("not a valid pattern"),
        "{err}"
    );

    let both = format!("{ISSUER}      subject: https://x.invalid/a\n      subjectRegExp: '.*'\n");
    assert!(policy(&both).unwrap_err().contains("exactly one of"));

    let no_issuer = "      subjectRegExp: '.*'\n";
    assert!(policy(no_issuer)
        .unwrap_err()
        .contains("`issuer` is required"));

    let bad_repo = "      github:\n        repository: just-a-name\n";
    assert!(policy(bad_repo).unwrap_err().contains("owner/name"));

    let wrong_issuer =
        "      issuer: https://accounts.google.com\n      github:\n        repository: a/b\n";
    assert!(policy(wrong_issuer)
        .unwrap_err()
        .contains("token.actions.githubusercontent.com"));
}
