//! cosign's keyless identity flags on `verify-bundle`, `verify-image` and
//! `verify-attestation`, against real bundles signed through the local
//! Fulcio/Rekor stand-in (`@sigstore/mock`) and a real registry (Debian's
//! `docker-registry`, an image built with `umoci` and pushed with
//! `skopeo`). Every admit is paired with the spellings an attacker would
//! try: a pattern that only matches part of the identity (cosign's Go
//! `MatchString` is unanchored; tollgate anchors), another case, a
//! trailing newline, a look-alike issuer, and a certificate with a second
//! Subject Alternative Name.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use crate::support::{self, push_image, start_registry, tollgate};

use std::path::Path;
use std::process::Output;

const IDENTITY: &str =
    "https://github.com/tollgate-dev/tollgate/.github/workflows/release.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn err(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

/// Sign `app.tar` keylessly (a message signature) and attest it with a
/// custom predicate, both through the stand-in.
fn signed_file(d: &Path, mock: &support::Mock) {
    std::fs::write(d.join("app.tar"), b"release bytes").unwrap();
    std::fs::write(d.join("other.tar"), b"other bytes").unwrap();
    std::fs::write(d.join("review.json"), br#"{"approved": true}"#).unwrap();
    let jwt = support::fake_jwt(serde_json::json!({"iss": ISSUER, "sub": IDENTITY}));
    let sigstore = [
        "--identity-token",
        &jwt,
        "--fulcio-url",
        &mock.url,
        "--rekor-url",
        &mock.url,
    ];
    let mut sign = vec!["sign", "app.tar", "--bundle", "app.sigstore.json"];
    sign.extend(sigstore);
    let out = tollgate(&sign, d);
    assert!(out.status.success(), "{}", err(&out));
    let mut attest = vec![
        "attest",
        "--predicate-type",
        "https://example.com/review/v1",
        "--predicate",
        "review.json",
        "--bundle",
        "app.att.json",
        "app.tar",
    ];
    attest.extend(sigstore);
    let out = tollgate(&attest, d);
    assert!(out.status.success(), "{}", err(&out));
}

fn verify_bundle(d: &Path, root: &Path, identity: &[&str]) -> Output {
    let mut args = vec![
        "verify-bundle",
        "--bundle",
        "app.sigstore.json",
        "--trusted-root",
        root.to_str().unwrap(),
    ];
    args.extend(identity);
    args.push("app.tar");
    tollgate(&args, d)
}

#[test]
fn verify_bundle_identity_patterns_match_the_whole_identity() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mock = support::start_mock(d);
    signed_file(d, &mock);
    let root = mock.root.clone();
    drop(mock); // verification needs nothing online

    // Admitted: exact, a pattern that spells out the whole identity, and
    // issuer patterns.
    for flags in [
        vec![
            "--certificate-identity",
            IDENTITY,
            "--certificate-oidc-issuer",
            ISSUER,
        ],
        vec![
            "--certificate-identity-regexp",
            r"https://github\.com/tollgate-dev/tollgate/\.github/workflows/.*@refs/heads/main",
            "--certificate-oidc-issuer",
            ISSUER,
        ],
        vec![
            "--certificate-identity-regexp",
            r".*tollgate-dev/tollgate/.*",
            "--certificate-oidc-issuer-regexp",
            r"https://token\.actions\.githubusercontent\.com",
        ],
        vec![
            "--certificate-identity",
            IDENTITY,
            "--certificate-oidc-issuer-regexp",
            r"https://token\.actions\.(githubusercontent|example)\.com",
        ],
    ] {
        let out = verify_bundle(d, &root, &flags);
        assert_eq!(code(&out), Some(0), "{flags:?}: {}", err(&out));
    }
    let json = tollgate(
        &[
            "verify-bundle",
            "--bundle",
            "app.sigstore.json",
            "--trusted-root",
            root.to_str().unwrap(),
            "--certificate-identity-regexp",
            ".*",
            "--certificate-oidc-issuer",
            ISSUER,
            "--json",
            "app.tar",
        ],
        d,
    );
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["identity"], IDENTITY);
    assert_eq!(v["issuer"], ISSUER);

    // Refused (exit 1): what cosign's unanchored MatchString would admit,
    // another case, a trailing newline, look-alike issuers.
    for flags in [
        vec![
            "--certificate-identity-regexp",
            "tollgate-dev/tollgate",
            "--certificate-oidc-issuer",
            ISSUER,
        ],
        vec![
            "--certificate-identity-regexp",
            r"https://github\.com/tollgate-dev/",
            "--certificate-oidc-issuer",
            ISSUER,
        ],
        vec![
            "--certificate-identity-regexp",
            "release.yml@refs/heads/main",
            "--certificate-oidc-issuer",
            ISSUER,
        ],
        vec![
            "--certificate-identity-regexp",
            r"https://github\.com/TOLLGATE-DEV/tollgate/.*",
            "--certificate-oidc-issuer",
            ISSUER,
        ],
        vec![
            "--certificate-identity",
            &IDENTITY.to_uppercase(),
            "--certificate-oidc-issuer",
            ISSUER,
        ],
        vec![
            "--certificate-identity",
            &format!("{IDENTITY}\n"),
            "--certificate-oidc-issuer",
            ISSUER,
        ],
        vec![
            "--certificate-identity-regexp",
            r".*main\n",
            "--certificate-oidc-issuer",
            ISSUER,
        ],
        vec![
            "--certificate-identity-regexp",
            ".*",
            "--certificate-oidc-issuer-regexp",
            "githubusercontent",
        ],
        vec![
            "--certificate-identity-regexp",
            ".*",
            "--certificate-oidc-issuer",
            &format!("{ISSUER}/"),
        ],
        vec![
            "--certificate-identity-regexp",
            ".*",
            "--certificate-oidc-issuer-regexp",
            r"https://accounts\.google\.com",
        ],
    ] {
        let out = verify_bundle(d, &root, &flags);
        assert_eq!(code(&out), Some(1), "{flags:?} must be refused");
        assert!(err(&out).contains("verification failed"), "{}", err(&out));
    }

    // Usage errors (exit 2): half a rule, both spellings of one side, a
    // pattern that does not compile, a key with an identity.
    for flags in [
        vec!["--certificate-identity-regexp", ".*"],
        vec!["--certificate-oidc-issuer-regexp", ".*"],
        vec![
            "--certificate-identity",
            IDENTITY,
            "--certificate-identity-regexp",
            ".*",
            "--certificate-oidc-issuer",
            ISSUER,
        ],
        vec![
            "--certificate-identity-regexp",
            "(",
            "--certificate-oidc-issuer",
            ISSUER,
        ],
        vec![
            "--key",
            "app.tar",
            "--certificate-identity-regexp",
            ".*",
            "--certificate-oidc-issuer",
            ISSUER,
        ],
    ] {
        let out = verify_bundle(d, &root, &flags);
        assert_eq!(code(&out), Some(2), "{flags:?}: {}", err(&out));
    }
}

#[test]
fn a_certificate_with_a_second_name_has_no_identity() {
    use rcgen::{CertificateParams, KeyPair, SanType};
    use tollgate_attest::identity::{san_identity, IdentityError, SanIdentity};
    let key = KeyPair::generate().unwrap();
    let cert = |names: Vec<SanType>| {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.subject_alt_names = names;
        params.self_signed(&key).unwrap().der().to_vec()
    };
    let uri = || SanType::URI(IDENTITY.try_into().unwrap());
    assert_eq!(
        san_identity(&cert(vec![uri()])),
        Ok(SanIdentity::Uri(IDENTITY.into()))
    );
    // The wanted identity next to the attacker's, in either order.
    let evil = || SanType::Rfc822Name("attacker@evil.example".try_into().unwrap());
    assert_eq!(
        san_identity(&cert(vec![uri(), evil()])),
        Err(IdentityError::SeveralNames(2))
    );
    assert_eq!(
        san_identity(&cert(vec![evil(), uri()])),
        Err(IdentityError::SeveralNames(2))
    );
    assert_eq!(
        san_identity(&cert(vec![uri(), uri()])),
        Err(IdentityError::SeveralNames(2))
    );
    assert_eq!(
        san_identity(&cert(vec![SanType::DnsName(
            "example.com".try_into().unwrap()
        )])),
        Err(IdentityError::UnsupportedKind)
    );
    // Red team rt61: two OIDC issuer extensions, GitHub's first; the
    // verifier read the first, another reader the second.
    let issuer = |value: &str| {
        let mut der = vec![0x0c, value.len() as u8];
        der.extend_from_slice(value.as_bytes());
        rcgen::CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 57264, 1, 8], der)
    };
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.subject_alt_names = vec![uri()];
    params.custom_extensions = vec![issuer(ISSUER), issuer("https://evil.example")];
    let twice = params.self_signed(&key).unwrap().der().to_vec();
    assert_eq!(
        san_identity(&twice),
        Err(IdentityError::RepeatedExtension(
            "1.3.6.1.4.1.57264.1.8".into()
        ))
    );
    params.custom_extensions.truncate(1);
    let once = params.self_signed(&key).unwrap().der().to_vec();
    assert_eq!(san_identity(&once), Ok(SanIdentity::Uri(IDENTITY.into())));
}

#[test]
fn verify_attestation_checks_type_subject_and_identity_for_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mock = support::start_mock(d);
    signed_file(d, &mock);
    let root = mock.root.clone();
    drop(mock);
    let run = |subject: &str, bundle: &str, t: &str, identity: &[&str]| {
        let mut args = vec![
            "verify-attestation",
            "--type",
            t,
            "--bundle",
            bundle,
            "--trusted-root",
            root.to_str().unwrap(),
        ];
        args.extend(identity);
        args.push(subject);
        tollgate(&args, d)
    };
    let ok_identity = [
        "--certificate-identity-regexp",
        r"https://github\.com/tollgate-dev/.*",
        "--certificate-oidc-issuer",
        ISSUER,
    ];
    let out = run(
        "app.tar",
        "app.att.json",
        "https://example.com/review/v1",
        &ok_identity,
    );
    assert_eq!(code(&out), Some(0), "{}", err(&out));
    let statement: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(statement["predicateType"], "https://example.com/review/v1");
    assert_eq!(statement["predicate"]["approved"], true);

    // The digest form names the same artifact.
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(b"release bytes"))
    };
    let out = run(
        &format!("sha256:{sha}"),
        "app.att.json",
        "https://example.com/review/v1",
        &ok_identity,
    );
    assert_eq!(code(&out), Some(0), "{}", err(&out));

    // Another type (cosign's names and tollgate's), another artifact, a
    // partial identity pattern, a message signature instead of an
    // attestation: all refused.
    for (subject, bundle, t, identity) in [
        ("app.tar", "app.att.json", "custom", &ok_identity[..]),
        (
            "app.tar",
            "app.att.json",
            "slsaprovenance",
            &ok_identity[..],
        ),
        ("app.tar", "app.att.json", "provenance", &ok_identity[..]),
        (
            "app.tar",
            "app.att.json",
            "https://example.com/review/v2",
            &ok_identity[..],
        ),
        (
            "other.tar",
            "app.att.json",
            "https://example.com/review/v1",
            &ok_identity[..],
        ),
        (
            "app.tar",
            "app.att.json",
            "https://example.com/review/v1",
            &[
                "--certificate-identity-regexp",
                "tollgate-dev",
                "--certificate-oidc-issuer",
                ISSUER,
            ][..],
        ),
        (
            "app.tar",
            "app.sigstore.json",
            "https://example.com/review/v1",
            &ok_identity[..],
        ),
    ] {
        let out = run(subject, bundle, t, identity);
        assert_eq!(
            code(&out),
            Some(1),
            "{subject} {bundle} {t} {identity:?}: {}",
            err(&out)
        );
    }
    let bogus = run("app.tar", "app.att.json", "reveiw", &ok_identity);
    assert_eq!(code(&bogus), Some(2), "{}", err(&bogus));
    assert!(err(&bogus).contains("--type reveiw"), "{}", err(&bogus));
    let missing = run(
        "missing.tar",
        "app.att.json",
        "https://example.com/review/v1",
        &ok_identity,
    );
    assert_eq!(code(&missing), Some(2), "{}", err(&missing));
}

#[test]
fn keyless_verify_image_and_image_attestations() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let registry = start_registry(d);
    push_image(d, &registry, "demo/svc:1.0", "service");
    push_image(d, &registry, "demo/unsigned:1.0", "unsigned!");
    let mock = support::start_mock(d);
    let root = mock.root.clone();
    let root_arg = root.to_str().unwrap();
    let jwt = support::fake_jwt(serde_json::json!({"iss": ISSUER, "sub": IDENTITY}));
    let image = format!("{}/demo/svc:1.0", registry.host);
    let sigstore = [
        "--identity-token",
        &jwt,
        "--fulcio-url",
        &mock.url,
        "--rekor-url",
        &mock.url,
        "--allow-insecure-registry",
    ];
    let mut sign = vec!["sign", image.as_str()];
    sign.extend(sigstore);
    let out = tollgate(&sign, d);
    assert!(out.status.success(), "{}", err(&out));
    std::fs::write(d.join("review.json"), br#"{"reviewed": true}"#).unwrap();
    let mut attest = vec![
        "attest",
        "--predicate-type",
        "https://example.com/review/v1",
        "--predicate",
        "review.json",
        "--attach",
        image.as_str(),
    ];
    attest.extend(sigstore);
    let out = tollgate(&attest, d);
    assert!(out.status.success(), "{}", err(&out));
    drop(mock);

    let verify_image = |image: &str, identity: &[&str]| {
        let mut args = vec![
            "verify-image",
            image,
            "--trusted-root",
            root_arg,
            "--allow-insecure-registry",
        ];
        args.extend(identity);
        tollgate(&args, d)
    };
    for flags in [
        &[
            "--certificate-identity",
            IDENTITY,
            "--certificate-oidc-issuer",
            ISSUER,
        ][..],
        &[
            "--certificate-identity-regexp",
            r"https://github\.com/tollgate-dev/tollgate/.*",
            "--certificate-oidc-issuer-regexp",
            r"https://token\.actions\.githubusercontent\.com",
        ][..],
    ] {
        let out = verify_image(&image, flags);
        assert_eq!(code(&out), Some(0), "{flags:?}: {}", err(&out));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["signatures"][0]["identity"], IDENTITY);
        assert!(v["image"]
            .as_str()
            .unwrap()
            .ends_with(v["digest"].as_str().unwrap()));
    }
    for flags in [
        &[
            "--certificate-identity-regexp",
            "tollgate-dev",
            "--certificate-oidc-issuer",
            ISSUER,
        ][..],
        &[
            "--certificate-identity",
            "https://github.com/evil/repo/.github/workflows/x.yml@refs/heads/main",
            "--certificate-oidc-issuer",
            ISSUER,
        ][..],
        &[
            "--certificate-identity",
            IDENTITY,
            "--certificate-oidc-issuer-regexp",
            "token",
        ][..],
    ] {
        let out = verify_image(&image, flags);
        assert_eq!(code(&out), Some(1), "{flags:?}: {}", err(&out));
    }
    let exact = [
        "--certificate-identity",
        IDENTITY,
        "--certificate-oidc-issuer",
        ISSUER,
    ];
    let unsigned = verify_image(&format!("{}/demo/unsigned:1.0", registry.host), &exact);
    assert_eq!(code(&unsigned), Some(1), "{}", err(&unsigned));
    assert!(
        err(&unsigned).contains("no signature bundle is attached"),
        "{}",
        err(&unsigned)
    );
    // The public-good root does not trust the stand-in's CA.
    let public_good = tollgate(
        &[
            "verify-image",
            &image,
            "--allow-insecure-registry",
            "--certificate-identity",
            IDENTITY,
            "--certificate-oidc-issuer",
            ISSUER,
        ],
        d,
    );
    assert_eq!(code(&public_good), Some(1), "{}", err(&public_good));

    // verify-attestation on the image: the attached DSSE bundle only.
    let verify_att = |t: &str, identity: &[&str]| {
        let mut args = vec![
            "verify-attestation",
            image.as_str(),
            "--type",
            t,
            "--trusted-root",
            root_arg,
            "--allow-insecure-registry",
        ];
        args.extend(identity);
        tollgate(&args, d)
    };
    let out = verify_att("https://example.com/review/v1", &exact);
    assert_eq!(code(&out), Some(0), "{}", err(&out));
    let statement: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(statement["predicate"]["reviewed"], true);
    assert_eq!(
        code(&verify_att("cyclonedx", &exact)),
        Some(1),
        "no SBOM attestation is attached"
    );
    assert_eq!(
        code(&verify_att(
            "https://example.com/review/v1",
            &[
                "--certificate-identity-regexp",
                "evil|tollgate-dev",
                "--certificate-oidc-issuer",
                ISSUER
            ]
        )),
        Some(1)
    );
}

/// `--offline`: bundles verify as before (they never needed the network);
/// an image, whose signatures live in its registry, is refused before any
/// connection (exit 2), even one that would answer.
#[test]
fn offline_verification_never_reaches_for_a_registry() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mock = support::start_mock(d);
    signed_file(d, &mock);
    let root = mock.root.clone();
    drop(mock);
    let root_arg = root.to_str().unwrap();
    let identity = [
        "--certificate-identity",
        IDENTITY,
        "--certificate-oidc-issuer",
        ISSUER,
    ];
    let mut args = vec![
        "verify-bundle",
        "--offline",
        "--bundle",
        "app.sigstore.json",
        "--trusted-root",
        root_arg,
        "app.tar",
    ];
    args.extend(identity);
    let out = tollgate(&args, d);
    assert_eq!(code(&out), Some(0), "{}", err(&out));
    let mut args = vec![
        "verify-attestation",
        "--offline",
        "--type",
        "https://example.com/review/v1",
        "--bundle",
        "app.att.json",
        "--trusted-root",
        root_arg,
        "app.tar",
    ];
    args.extend(identity);
    let out = tollgate(&args, d);
    assert_eq!(code(&out), Some(0), "{}", err(&out));

    // A listener that records whether anyone connected.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let image = format!("{}/demo/app:1", listener.local_addr().unwrap());
    for command in [
        vec!["verify-image", image.as_str()],
        vec!["verify-attestation", image.as_str(), "--type", "custom"],
    ] {
        let mut args = command.clone();
        args.extend([
            "--offline",
            "--allow-insecure-registry",
            "--trusted-root",
            root_arg,
        ]);
        args.extend(identity);
        let out = tollgate(&args, d);
        assert_eq!(code(&out), Some(2), "{command:?}: {}", err(&out));
        assert!(err(&out).contains("--offline"), "{}", err(&out));
    }
    assert!(
        listener.accept().is_err(),
        "nothing connected to the registry address"
    );
}
