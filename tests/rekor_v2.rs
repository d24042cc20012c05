//! Signing the way Sigstore works now: a v0.2 SigningConfig selects a Rekor
//! v2 log and an RFC 3161 timestamp authority, and the bundle carries a
//! `hashedrekord` v0.0.2 entry (inclusion proof and checkpoint, no SET)
//! and a signed timestamp.
//!
//! The services are local stand-ins: Fulcio from `@sigstore/mock`
//! (`tests/js/sigstore-mock-server.js`), Rekor v2 and the TSA from
//! `tests/python/sigstore_v2_services.py` (a real RFC 6962 tree over
//! validated entries, Ed25519 signed-note checkpoints, CMS-signed
//! TimeStampResp). The bundles are verified by tollgate, by
//! sigstore-python 4 (`sigstore verify identity --trust-config`) and by
//! sigstore-js (`tests/js/verify-rekor-v2.js`, a timestamp required), and
//! one byte changed in any authenticated part is rejected by all three.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use crate::support::{self, repo_root, start_mock, succeeded, tollgate};
use base64::Engine;
use serde_json::{json, Value};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

const IDENTITY: &str =
    "https://github.com/tollgate-dev/tollgate/.github/workflows/release.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";
const B64: base64::engine::general_purpose::GeneralPurpose =
    base64::engine::general_purpose::STANDARD;

fn venv_python() -> PathBuf {
    let python = repo_root().join("target/test-venv/bin/python");
    assert!(
        python.exists(),
        "{} is required (scripts/test creates it and installs sigstore, asn1crypto)",
        python.display()
    );
    python
}

/// The Rekor v2 and TSA stand-ins; killed when dropped.
struct Services {
    child: Child,
    url: String,
    /// `tlogs` and `timestampAuthorities` entries for a trusted root.
    trust: Value,
}

impl Drop for Services {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_services(dir: &Path, extra: &[&str]) -> Services {
    let trust_path = dir.join(format!("v2-trust-{}.json", extra.len()));
    let mut child = Command::new(venv_python())
        .arg(repo_root().join("tests/python/sigstore_v2_services.py"))
        .args(extra)
        .arg(&trust_path)
        .stdout(Stdio::piped())
        .spawn()
        .expect("the stand-in starts");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = serde_json::from_str::<Value>(&line).unwrap_or_else(|e| panic!("{line:?}: {e}"))
        ["url"]
        .as_str()
        .unwrap()
        .to_string();
    let trust = serde_json::from_slice(&std::fs::read(&trust_path).unwrap()).unwrap();
    Services { child, url, trust }
}

/// Fulcio (and CT log) from the mock's root, the log and TSA from the stand-ins.
fn trusted_root(mock_root: &Path, services: &Services) -> Value {
    let mut root: Value = serde_json::from_slice(&std::fs::read(mock_root).unwrap()).unwrap();
    root["tlogs"] = services.trust["tlogs"].clone();
    root["timestampAuthorities"] = services.trust["timestampAuthorities"].clone();
    root
}

fn endpoint(url: &str, version: u32, start: &str, end: Option<&str>) -> Value {
    let mut valid = json!({ "start": start });
    if let Some(end) = end {
        valid["end"] = json!(end);
    }
    json!({ "url": url, "majorApiVersion": version, "validFor": valid, "operator": "tollgate.test" })
}

/// A v0.2 config in which only the first choice by API version and
/// validity window is right: an expired CA, a Rekor v2 log that is not
/// valid yet, the mock's v1 log, and a TSA of an unsupported version.
fn signing_config(mock_url: &str, services_url: &str) -> Value {
    let past = "2020-01-01T00:00:00Z";
    json!({
        "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
        "caUrls": [
            endpoint("http://127.0.0.1:9/expired-ca", 1, past, Some("2021-01-01T00:00:00Z")),
            endpoint(mock_url, 1, past, None),
        ],
        "oidcUrls": [],
        "rekorTlogUrls": [
            endpoint(mock_url, 1, past, None),
            endpoint("http://127.0.0.1:9/future-v2", 2, "2100-01-01T00:00:00Z", None),
            endpoint(services_url, 2, past, None),
        ],
        "tsaUrls": [
            endpoint("http://127.0.0.1:9/tsa-v2", 2, past, None),
            endpoint(&format!("{services_url}/api/v1/timestamp"), 1, past, None),
        ],
        "rekorTlogConfig": { "selector": "ANY" },
        "tsaConfig": { "selector": "ANY" },
    })
}

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn tollgate_verifies(dir: &Path, bundle: &Path, artifact: &str) -> (bool, String) {
    let out = tollgate(
        &[
            "verify-bundle",
            "--bundle",
            bundle.to_str().unwrap(),
            "--certificate-identity",
            IDENTITY,
            "--certificate-oidc-issuer",
            ISSUER,
            "--trusted-root",
            "root.json",
            artifact,
        ],
        dir,
    );
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// sigstore-js (`tests/js/verify-rekor-v2.js`): log entry, SCT and one
/// verified RFC 3161 timestamp required.
fn js_verifies(dir: &Path, bundle: &Path, artifact: &str) -> (bool, String) {
    let out = Command::new("node")
        .arg(support::js_dir().join("verify-rekor-v2.js"))
        .arg(bundle)
        .args([artifact, "root.json", IDENTITY, ISSUER])
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn python_verifies(dir: &Path, bundle: &Path, artifact: &str) -> (bool, String) {
    let out = Command::new(venv_python())
        .args(["-m", "sigstore", "--trust-config", "client-trust.json"])
        .args(["verify", "identity", "--offline", "--bundle"])
        .arg(bundle)
        .args(["--cert-identity", IDENTITY, "--cert-oidc-issuer", ISSUER])
        .arg(artifact)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

struct Setup {
    _dir: tempfile::TempDir,
    d: PathBuf,
    _mock: support::Mock,
    services: Services,
    jwt: String,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let mock = start_mock(&d);
    let services = start_services(&d, &[]);
    let root = trusted_root(&mock.root, &services);
    std::fs::write(d.join("root.json"), root.to_string()).unwrap();
    let config = signing_config(&mock.url, &services.url);
    std::fs::write(d.join("signing-config.json"), config.to_string()).unwrap();
    std::fs::write(
        d.join("client-trust.json"),
        json!({
            "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
            "trustedRoot": root,
            "signingConfig": config,
        })
        .to_string(),
    )
    .unwrap();
    std::fs::write(d.join("app.tar"), b"release bytes").unwrap();
    std::fs::write(d.join("other.tar"), b"other bytes").unwrap();
    let jwt = support::fake_jwt(json!({"iss": ISSUER, "sub": IDENTITY, "aud": "sigstore"}));
    Setup {
        _dir: dir,
        d,
        _mock: mock,
        services,
        jwt,
    }
}

/// `tollgate sign app.tar` keylessly through the setup's signing config
/// and root, into `app.sigstore.json`.
fn sign_app(s: &Setup) {
    ok(tollgate(
        &[
            "sign",
            "app.tar",
            "--bundle",
            "app.sigstore.json",
            "--signing-config",
            "signing-config.json",
            "--trusted-root",
            "root.json",
            "--identity-token",
            &s.jwt,
        ],
        &s.d,
    ));
}

/// Flip one byte inside the base64 value at `pointer` (decoded, changed,
/// re-encoded), or inside the string itself for a non-base64 field.
fn mutate(bundle: &Value, pointer: &str, decoded: bool) -> Value {
    let mut out = bundle.clone();
    let field = out
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("{pointer}"));
    let text = field.as_str().unwrap().to_string();
    *field = if decoded {
        let mut bytes = B64.decode(&text).unwrap();
        let at = bytes.len() / 2;
        bytes[at] ^= 0x01;
        json!(B64.encode(bytes))
    } else {
        let mut bytes = text.into_bytes();
        let at = bytes.iter().position(|b| b.is_ascii_digit()).unwrap();
        bytes[at] = if bytes[at] == b'9' {
            b'8'
        } else {
            bytes[at] + 1
        };
        json!(String::from_utf8(bytes).unwrap())
    };
    out
}

#[test]
fn keyless_rekor_v2_and_tsa_verify_in_tollgate_sigstore_python_and_sigstore_js() {
    let s = setup();
    let d = &s.d;
    sign_app(&s);
    let bundle: Value =
        serde_json::from_slice(&std::fs::read(d.join("app.sigstore.json")).unwrap()).unwrap();
    let material = &bundle["verificationMaterial"];
    let entry = &material["tlogEntries"][0];
    assert_eq!(
        entry["kindVersion"],
        json!({"kind": "hashedrekord", "version": "0.0.2"})
    );
    assert!(entry.get("inclusionPromise").is_none() && entry.get("integratedTime").is_none());
    // The checkpoint's origin is the log's host, which clients find in its URL.
    let origin = s.services.url.trim_start_matches("http://").to_string();
    assert!(entry["inclusionProof"]["checkpoint"]["envelope"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{origin}\n")));
    assert_eq!(
        entry["logId"]["keyId"],
        s.services.trust["tlogs"][0]["logId"]["keyId"]
    );
    assert_eq!(
        material["timestampVerificationData"]["rfc3161Timestamps"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let path = d.join("app.sigstore.json");
    let (good, err) = tollgate_verifies(d, &path, "app.tar");
    assert!(good, "tollgate: {err}");
    let (good, err) = python_verifies(d, &path, "app.tar");
    assert!(good, "sigstore-python: {err}");
    let (good, err) = js_verifies(d, &path, "app.tar");
    assert!(good, "{err}");

    // The wrong artifact is refused by all three.
    assert!(!tollgate_verifies(d, &path, "other.tar").0);
    assert!(!python_verifies(d, &path, "other.tar").0);
    assert!(!js_verifies(d, &path, "other.tar").0);

    // Without its timestamp the bundle has no time: refused by all three.
    let mut untimed = bundle.clone();
    untimed["verificationMaterial"]
        .as_object_mut()
        .unwrap()
        .remove("timestampVerificationData");
    let file = d.join("untimed.sigstore.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&untimed).unwrap()).unwrap();
    assert!(!tollgate_verifies(d, &file, "app.tar").0);
    assert!(!python_verifies(d, &file, "app.tar").0);
    assert!(!js_verifies(d, &file, "app.tar").0);

    // One byte changed in each part that carries meaning: refused by all.
    // `true`: the field is base64 and a decoded byte is changed.
    let both = [
        ("/messageSignature/signature", true),
        ("/messageSignature/messageDigest/digest", true),
        ("/verificationMaterial/certificate/rawBytes", true),
        (
            "/verificationMaterial/tlogEntries/0/canonicalizedBody",
            true,
        ),
        (
            "/verificationMaterial/tlogEntries/0/inclusionProof/logIndex",
            false,
        ),
        (
            "/verificationMaterial/tlogEntries/0/inclusionProof/checkpoint/envelope",
            false,
        ),
    ];
    let file = d.join("changed.sigstore.json");
    // The timestamp: a byte of the TSTInfo the TSA signed (refused by all
    // three), and a byte of the embedded TSA certificate, which only
    // tollgate and sigstore-python compare with the trusted root's (the
    // middle of the response, which the list above used to flip, falls in
    // the certificate or the TSTInfo depending on the run's lengths).
    let pointer =
        "/verificationMaterial/timestampVerificationData/rfc3161Timestamps/0/signedTimestamp";
    let response = B64
        .decode(bundle.pointer(pointer).unwrap().as_str().unwrap())
        .unwrap();
    for (name, range) in timestamp_parts(&response) {
        if name != "TSTInfo" && name != "certificates" {
            continue;
        }
        let mut changed = response.clone();
        changed[(range.start + range.end) / 2] ^= 0x01;
        let mut b = bundle.clone();
        *b.pointer_mut(pointer).unwrap() = json!(B64.encode(&changed));
        std::fs::write(&file, serde_json::to_vec_pretty(&b).unwrap()).unwrap();
        assert!(
            !tollgate_verifies(d, &file, "app.tar").0,
            "tollgate: {name}"
        );
        assert!(!python_verifies(d, &file, "app.tar").0, "python: {name}");
        if name == "TSTInfo" {
            assert!(!js_verifies(d, &file, "app.tar").0, "js: {name}");
        }
    }
    for (pointer, decoded) in both {
        let changed = mutate(&bundle, pointer, decoded);
        std::fs::write(&file, serde_json::to_vec_pretty(&changed).unwrap()).unwrap();
        assert!(
            !tollgate_verifies(d, &file, "app.tar").0,
            "tollgate accepted a change to {pointer}"
        );
        assert!(
            !python_verifies(d, &file, "app.tar").0,
            "sigstore-python accepted a change to {pointer}"
        );
        assert!(
            !js_verifies(d, &file, "app.tar").0,
            "sigstore-js accepted a change to {pointer}"
        );
    }
    // Rekor v2 leaves the proof's `rootHash` unauthenticated (the signed
    // checkpoint's root is the one that counts): sigstore-js ignores a
    // change to it; tollgate and sigstore-python refuse a proof whose root
    // is not the checkpoint's.
    let changed = mutate(
        &bundle,
        "/verificationMaterial/tlogEntries/0/inclusionProof/rootHash",
        true,
    );
    std::fs::write(&file, serde_json::to_vec_pretty(&changed).unwrap()).unwrap();
    assert!(!tollgate_verifies(d, &file, "app.tar").0);
    assert!(!python_verifies(d, &file, "app.tar").0);
    // The entry's own `logIndex` is not authenticated in Rekor v2 (the
    // proof's is): sigstore-python 4.5.1 ignores a change to it, tollgate's
    // strict reading refuses an entry whose two indexes disagree.
    let changed = mutate(
        &bundle,
        "/verificationMaterial/tlogEntries/0/logIndex",
        false,
    );
    std::fs::write(&file, serde_json::to_vec_pretty(&changed).unwrap()).unwrap();
    assert!(!tollgate_verifies(d, &file, "app.tar").0);
}

#[test]
fn every_byte_of_the_timestamp_is_checked_by_tollgate() {
    let s = setup();
    let d = &s.d;
    ok(tollgate(
        &[
            "sign",
            "app.tar",
            "--bundle",
            "app.sigstore.json",
            "--signing-config",
            "signing-config.json",
            "--identity-token",
            &s.jwt,
        ],
        d,
    ));
    let text = std::fs::read(d.join("app.sigstore.json")).unwrap();
    let bundle: Value = serde_json::from_slice(&text).unwrap();
    let pointer =
        "/verificationMaterial/timestampVerificationData/rfc3161Timestamps/0/signedTimestamp";
    let response = B64
        .decode(bundle.pointer(pointer).unwrap().as_str().unwrap())
        .unwrap();
    let with = |changed: &[u8]| {
        let mut b = bundle.clone();
        *b.pointer_mut(pointer).unwrap() = json!(B64.encode(changed));
        serde_json::to_string(&b).unwrap()
    };
    // Every byte of the TimeStampResp, the unsigned parts included (status,
    // SignedData header and digestAlgorithms, eContentType, the embedded
    // certificate, sid, signatureAlgorithm), through tollgate's verifier in
    // process (one CLI run per byte would cost minutes).
    use tollgate_attest::verify::{verify_bundle_text, Signer, Subject, Trust};
    let signer = Signer::Identity {
        identity: IDENTITY.into(),
        issuer: ISSUER.into(),
    };
    let in_process = |text: &str| {
        verify_bundle_text(
            Path::new("changed.sigstore.json"),
            text,
            &Subject::File(d.join("app.tar")),
            &signer,
            &Trust::File(d.join("root.json")),
            false,
        )
    };
    if let Err(e) = in_process(&with(&response)) {
        panic!("the unchanged bundle: {e}");
    }
    let accepted: Vec<usize> = (0..response.len())
        .filter(|&at| {
            let mut changed = response.clone();
            changed[at] ^= 0x01;
            in_process(&with(&changed)).is_ok()
        })
        .collect();
    assert!(response.len() > 900, "{} bytes", response.len());
    assert!(
        accepted.is_empty(),
        "timestamp bytes changed and still accepted at {accepted:?} of {}",
        response.len()
    );

    // Through the CLI: one byte in each signed and each unsigned part.
    // sigstore-python refuses the unsigned changes it checks too
    // (digestAlgorithms, eContentType, the embedded certificate).
    let parts = timestamp_parts(&response);
    let file = d.join("changed.sigstore.json");
    for (name, range) in &parts {
        let mut changed = response.clone();
        changed[(range.start + range.end) / 2] ^= 0x01;
        std::fs::write(&file, with(&changed)).unwrap();
        let (good, _) = tollgate_verifies(d, &file, "app.tar");
        assert!(!good, "tollgate accepted a change to the {name}");
        if ["digestAlgorithms", "eContentType", "certificates"].contains(name) {
            let (good, _) = python_verifies(d, &file, "app.tar");
            assert!(!good, "sigstore-python accepted a change to the {name}");
        }
    }
    assert_eq!(parts.len(), 8);
}

/// One DER TLV at `at`: (tag, start of value, end of value).
fn tlv(der: &[u8], at: usize) -> (u8, usize, usize) {
    let tag = der[at];
    let first = der[at + 1] as usize;
    let (len, header) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7f;
        let len = der[at + 2..at + 2 + n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | *b as usize);
        (len, 2 + n)
    };
    (tag, at + header, at + header + len)
}

/// The children of the constructed TLV whose value is `start..end`.
fn children(der: &[u8], start: usize, end: usize) -> Vec<(u8, usize, usize, usize)> {
    let mut out = Vec::new();
    let mut at = start;
    while at < end {
        let (tag, s, e) = tlv(der, at);
        out.push((tag, at, s, e));
        at = e;
    }
    out
}

/// The parts of a TimeStampResp, each as the range of its value: the
/// signed ones (TSTInfo, signed attributes, signature) and the unsigned
/// ones (digestAlgorithms, eContentType, embedded certificates, sid,
/// signatureAlgorithm).
fn timestamp_parts(der: &[u8]) -> Vec<(&'static str, std::ops::Range<usize>)> {
    let (_, s, e) = tlv(der, 0);
    let resp = children(der, s, e);
    let (_, _, s, e) = resp[1]; // timeStampToken (ContentInfo)
    let content_info = children(der, s, e);
    let (_, _, s, _) = content_info[1]; // [0] EXPLICIT
    let (_, s, e) = tlv(der, s); // SignedData
    let signed_data = children(der, s, e);
    let digest_algorithms = signed_data[1];
    let (_, _, s, e) = signed_data[2]; // encapContentInfo
    let encap = children(der, s, e);
    let (_, _, s, _) = encap[1]; // [0] EXPLICIT
    let (_, tst_start, tst_end) = tlv(der, s); // OCTET STRING
    let certificates = signed_data.iter().find(|c| c.0 == 0xa0).unwrap();
    let (_, _, s, e) = *signed_data.last().unwrap(); // signerInfos SET
    let (_, s, e) = tlv(der, children(der, s, e)[0].1);
    let signer = children(der, s, e);
    let attrs = signer.iter().position(|c| c.0 == 0xa0).unwrap();
    let signature = signer.last().unwrap();
    vec![
        ("TSTInfo", tst_start..tst_end),
        ("signed attributes", signer[attrs].1..signer[attrs].3),
        ("signature", signature.2..signature.3),
        ("digestAlgorithms", digest_algorithms.2..digest_algorithms.3),
        ("eContentType", encap[0].2..encap[0].3),
        ("certificates", certificates.2..certificates.3),
        ("sid", signer[1].2..signer[1].3),
        (
            "signatureAlgorithm",
            signer[attrs + 1].2..signer[attrs + 1].3,
        ),
    ]
}

#[test]
fn keyless_attestation_through_rekor_v2_verifies_in_all_three() {
    let s = setup();
    let d = &s.d;
    std::fs::write(
        d.join("predicate.json"),
        r#"{"buildType": "https://tollgate.dev/test"}"#,
    )
    .unwrap();
    ok(tollgate(
        &[
            "attest",
            "app.tar",
            "--predicate-type",
            "https://tollgate.dev/test/v1",
            "--predicate",
            "predicate.json",
            "--bundle",
            "att.sigstore.json",
            "--signing-config",
            "signing-config.json",
            "--identity-token",
            &s.jwt,
        ],
        d,
    ));
    let bundle: Value =
        serde_json::from_slice(&std::fs::read(d.join("att.sigstore.json")).unwrap()).unwrap();
    assert_eq!(
        bundle["verificationMaterial"]["tlogEntries"][0]["kindVersion"]["version"],
        "0.0.2"
    );
    let path = d.join("att.sigstore.json");
    let (good, err) = tollgate_verifies(d, &path, "app.tar");
    assert!(good, "tollgate: {err}");
    let (good, err) = python_verifies(d, &path, "app.tar");
    assert!(good, "sigstore-python: {err}");
    let (good, err) = js_verifies(d, &path, "app.tar");
    assert!(good, "{err}");
    for (pointer, decoded) in [
        ("/dsseEnvelope/signatures/0/sig", true),
        ("/dsseEnvelope/payload", true),
        (
            "/verificationMaterial/tlogEntries/0/canonicalizedBody",
            true,
        ),
    ] {
        let changed = mutate(&bundle, pointer, decoded);
        let file = d.join("changed.json");
        std::fs::write(&file, changed.to_string()).unwrap();
        assert!(
            !tollgate_verifies(d, &file, "app.tar").0,
            "tollgate: {pointer}"
        );
        assert!(!python_verifies(d, &file, "app.tar").0, "python: {pointer}");
        assert!(!js_verifies(d, &file, "app.tar").0, "js: {pointer}");
    }
}

#[test]
fn a_refusing_tsa_and_an_invalid_config_fail_the_signing() {
    let s = setup();
    let d = &s.d;
    // The TSA answers with PKIStatus rejection: nothing is written.
    let refusing = start_services(d, &["--tsa-status", "2"]);
    let mut config: Value =
        serde_json::from_slice(&std::fs::read(d.join("signing-config.json")).unwrap()).unwrap();
    config["tsaUrls"][1]["url"] = json!(format!("{}/api/v1/timestamp", refusing.url));
    std::fs::write(d.join("refusing.json"), config.to_string()).unwrap();
    let out = tollgate(
        &[
            "sign",
            "app.tar",
            "--bundle",
            "refused.sigstore.json",
            "--signing-config",
            "refusing.json",
            "--identity-token",
            &s.jwt,
        ],
        d,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("refused (PKIStatus 2)"),
        "{err}"
    );
    assert!(!d.join("refused.sigstore.json").exists());

    // Every Rekor log expired: a clear error naming the file.
    config["rekorTlogUrls"] = json!([endpoint(
        &s.services.url,
        2,
        "2020-01-01T00:00:00Z",
        Some("2021-01-01T00:00:00Z")
    )]);
    std::fs::write(d.join("expired.json"), config.to_string()).unwrap();
    let out = tollgate(
        &[
            "sign",
            "app.tar",
            "--bundle",
            "x.json",
            "--signing-config",
            "expired.json",
            "--identity-token",
            &s.jwt,
        ],
        d,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("expired.json") && err.contains("no Rekor log"),
        "{err}"
    );

    // Rekor v2 and no TSA: keyless has no time, refused before any request.
    config["rekorTlogUrls"] = json!([endpoint(&s.services.url, 2, "2020-01-01T00:00:00Z", None)]);
    config["tsaUrls"] = json!([]);
    std::fs::write(d.join("no-tsa.json"), config.to_string()).unwrap();
    let out = tollgate(
        &[
            "sign",
            "app.tar",
            "--bundle",
            "x.json",
            "--signing-config",
            "no-tsa.json",
            "--identity-token",
            &s.jwt,
        ],
        d,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("needs a time"),
        "{err}"
    );
}

/// The stand-in is only worth testing against if it refuses what Rekor v2
/// refuses: a signature that does not verify, a digest that is not the one
/// signed, a key that is not the `keyDetails` type, a DSSE request type.
#[test]
fn the_rekor_v2_stand_in_refuses_what_the_real_log_refuses() {
    let s = setup();
    let script = r#"
import base64, hashlib, json, sys, urllib.request, urllib.error
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
url = sys.argv[1] + "/api/v2/log/entries"
b64 = lambda b: base64.b64encode(b).decode()
def post(body):
    req = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        return urllib.request.urlopen(req).status
    except urllib.error.HTTPError as e:
        return e.code
def request(key, digest, sig, details="PKIX_ECDSA_P256_SHA_256"):
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return {"hashedRekordRequestV002": {"digest": b64(digest), "signature": {"content": b64(sig),
            "verifier": {"publicKey": {"rawBytes": b64(spki)}, "keyDetails": details}}}}
key = ec.generate_private_key(ec.SECP256R1())
digest = hashlib.sha256(b"artifact").digest()
sig = key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
p384 = ec.generate_private_key(ec.SECP384R1())
print(json.dumps({
    "valid": post(request(key, digest, sig)),
    "other_digest": post(request(key, hashlib.sha256(b"other").digest(), sig)),
    "other_key": post(request(ec.generate_private_key(ec.SECP256R1()), digest, sig)),
    "wrong_key_type": post(request(p384, digest, p384.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256()))))),
    "ed25519_details": post(request(key, digest, sig, "PKIX_ED25519")),
    "dsse_request": post({"dsseRequestV002": {}}),
    "short_digest": post(request(key, digest[:20], sig)),
}))
"#;
    let out = succeeded(Command::new(venv_python()).args(["-c", script, &s.services.url]));
    let statuses: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        statuses,
        json!({"valid": 201, "other_digest": 400, "other_key": 400, "wrong_key_type": 400,
               "ed25519_details": 400, "dsse_request": 400, "short_digest": 400})
    );
}

/// A keyed ECDSA P-256 signature through the same config: a `publicKey`
/// verifier in the Rekor v2 entry and a timestamp; verified with the key
/// by tollgate (sigstore-python's CLI verifies identities only).
#[test]
fn keyed_signature_through_rekor_v2_and_tsa() {
    let s = setup();
    let d = &s.d;
    std::fs::write(d.join("pw"), "s3cret\n").unwrap();
    ok(tollgate(&["key", "generate", "--password-file", "pw"], d));
    ok(tollgate(
        &[
            "sign",
            "app.tar",
            "--key",
            "cosign.key",
            "--password-file",
            "pw",
            "--bundle",
            "keyed.sigstore.json",
            "--signing-config",
            "signing-config.json",
        ],
        d,
    ));
    let bundle: Value =
        serde_json::from_slice(&std::fs::read(d.join("keyed.sigstore.json")).unwrap()).unwrap();
    let entry = &bundle["verificationMaterial"]["tlogEntries"][0];
    let body: Value = serde_json::from_slice(
        &B64.decode(entry["canonicalizedBody"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert!(
        body["spec"]["hashedRekordV002"]["signature"]["verifier"]["publicKey"]["rawBytes"]
            .is_string()
    );
    assert!(bundle["verificationMaterial"]["timestampVerificationData"].is_object());
    let verify = |bundle: &str, artifact: &str| {
        tollgate(
            &[
                "verify-bundle",
                "--key",
                "cosign.pub",
                "--bundle",
                bundle,
                "--trusted-root",
                "root.json",
                artifact,
            ],
            d,
        )
        .status
        .success()
    };
    assert!(verify("keyed.sigstore.json", "app.tar"));
    assert!(!verify("keyed.sigstore.json", "other.tar"));
    let changed = mutate(&bundle, "/messageSignature/signature", true);
    std::fs::write(d.join("changed.json"), changed.to_string()).unwrap();
    assert!(!verify("changed.json", "app.tar"));
}

/// A checkpoint is its log's: the entry's logId names the log whose key
/// signed it. The same bundle, its logId changed to another log of the
/// root (the mock's Rekor v1, whose logId is its key's hash, so
/// sigstore-python looks that key up and refuses too), is refused
/// (`sigstore-verify` alone accepts a checkpoint signed by any log key of
/// the root, and a Rekor v2 entry's logId is signed by nothing else).
#[test]
fn a_checkpoint_signed_by_another_log_of_the_root_is_refused() {
    let s = setup();
    let d = &s.d;
    sign_app(&s);
    let path = d.join("app.sigstore.json");
    let (good, err) = tollgate_verifies(d, &path, "app.tar");
    assert!(good, "tollgate: {err}");
    // Both logs in the root: the stand-in's Rekor v2 and the mock's v1.
    let mock_root: Value = serde_json::from_slice(&std::fs::read(&s._mock.root).unwrap()).unwrap();
    let other = mock_root["tlogs"][0].clone();
    let both = |root: &mut Value| {
        root["tlogs"].as_array_mut().unwrap().push(other.clone());
    };
    let mut root: Value =
        serde_json::from_slice(&std::fs::read(d.join("root.json")).unwrap()).unwrap();
    both(&mut root);
    std::fs::write(d.join("root.json"), root.to_string()).unwrap();
    let mut trust: Value =
        serde_json::from_slice(&std::fs::read(d.join("client-trust.json")).unwrap()).unwrap();
    both(&mut trust["trustedRoot"]);
    std::fs::write(d.join("client-trust.json"), trust.to_string()).unwrap();
    let (good, err) = tollgate_verifies(d, &path, "app.tar");
    assert!(good, "tollgate, with a second log in the root: {err}");

    let mut bundle: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_ne!(
        bundle["verificationMaterial"]["tlogEntries"][0]["logId"],
        other["logId"]
    );
    bundle["verificationMaterial"]["tlogEntries"][0]["logId"] = other["logId"].clone();
    let moved = d.join("moved.sigstore.json");
    std::fs::write(&moved, bundle.to_string()).unwrap();
    let (good, err) = tollgate_verifies(d, &moved, "app.tar");
    assert!(
        !good,
        "a checkpoint signed by another log of the root was accepted"
    );
    assert!(
        err.contains("checkpoint is not signed by the log its logId names"),
        "{err}"
    );
    let (good, err) = python_verifies(d, &moved, "app.tar");
    assert!(!good, "sigstore-python accepted it: {err}");
}
