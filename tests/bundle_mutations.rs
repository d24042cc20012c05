//! Issue 13, adversarial side: the structural mutation suite.
//!
//! Every valid bundle we have - the sigstore-conformance passes in
//! `../shared`, real third-party bundles in `tests/fixtures/bundles` (see its
//! SOURCES.md), keyed bundles OpenSSL signs here (P-256, P-384, RSA), and
//! bundles `tollgate sign` / `tollgate attest` make (keyed; keyed and logged to
//! the local Rekor stand-in; keyless through the Fulcio stand-in) - is first
//! verified as it is (a failure there is a false reject), then each
//! structural mutation that must make it invalid is applied and
//! `tollgate verify-bundle` must reject it (non-zero exit).
//!
//! The gate tests at the end take the same idea to `tollgate verify`: a
//! policy that only a mutant's (unverified) content could satisfy must be
//! denied, for every requirement type.
//!
//! Each test collects every wrong outcome before failing, so one run lists
//! all of them (`case / mutation: what happened`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use crate::support::{self, repo_root, Tollgate, EPOCH};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256, Sha384};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";
const V01: &str = "application/vnd.dev.sigstore.bundle+json;version=0.1";
const V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
const INTOTO: &str = "application/vnd.in-toto+json";

fn shared() -> PathBuf {
    let path = repo_root().join("../shared/sigstore");
    assert!(
        path.join("conformance/bundle-verify").is_dir(),
        "{}: the sigstore reference data from ../shared is required",
        path.display()
    );
    path
}

fn fixtures() -> PathBuf {
    repo_root().join("tests/fixtures/bundles")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).trim().to_string()
}

fn one_line(s: &str) -> String {
    let s: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    s.chars().take(300).collect()
}

// ---------------------------------------------------------------------------
// Valid bundles and how to verify them
// ---------------------------------------------------------------------------

/// A valid bundle and its verification inputs.
#[derive(Clone)]
struct Case {
    name: String,
    bundle: Value,
    /// `verify-bundle` arguments besides `--bundle`: the signer, the trust
    /// root, flags, and last the artifact (a path or `sha256:<hex>`).
    args: Vec<String>,
    /// Keyed (no certificate).
    keyed: bool,
    /// Verified with `--insecure-ignore-tlog`.
    ignore_tlog: bool,
}

impl Case {
    fn identity(
        name: &str,
        bundle: Value,
        identity: &str,
        issuer: &str,
        root: Option<&Path>,
        target: String,
    ) -> Case {
        let mut args = vec![
            "--certificate-identity".to_string(),
            identity.to_string(),
            "--certificate-oidc-issuer".to_string(),
            issuer.to_string(),
        ];
        if let Some(root) = root {
            args.push("--trusted-root".into());
            args.push(root.display().to_string());
        }
        args.push(target);
        Case {
            name: name.into(),
            bundle,
            args,
            keyed: false,
            ignore_tlog: false,
        }
    }

    fn key(
        name: &str,
        bundle: Value,
        key: &Path,
        root: Option<&Path>,
        ignore_tlog: bool,
        target: String,
    ) -> Case {
        let mut args = vec!["--key".to_string(), key.display().to_string()];
        if let Some(root) = root {
            args.push("--trusted-root".into());
            args.push(root.display().to_string());
        }
        if ignore_tlog {
            args.push("--insecure-ignore-tlog".into());
        }
        args.push(target);
        Case {
            name: name.into(),
            bundle,
            args,
            keyed: true,
            ignore_tlog,
        }
    }

    fn is_dsse(&self) -> bool {
        self.bundle.get("dsseEnvelope").is_some()
    }

    fn version(&self) -> &str {
        match self.bundle["mediaType"].as_str().unwrap_or("") {
            "application/vnd.dev.sigstore.bundle+json;version=0.1" => "0.1",
            "application/vnd.dev.sigstore.bundle+json;version=0.2" => "0.2",
            _ => "0.3",
        }
    }

    fn entries(&self) -> Vec<Value> {
        self.bundle["verificationMaterial"]["tlogEntries"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn timestamps(&self) -> Vec<Value> {
        self.bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Some entry carries a signed entry timestamp (a Rekor v1 time).
    fn has_set(&self) -> bool {
        self.entries()
            .iter()
            .any(|e| e["inclusionPromise"]["signedEntryTimestamp"].is_string())
    }

    /// The leaf certificate (base64 DER), wherever this bundle version keeps it.
    fn leaf(&self) -> Option<String> {
        let m = &self.bundle["verificationMaterial"];
        m["certificate"]["rawBytes"]
            .as_str()
            .or_else(|| m["x509CertificateChain"]["certificates"][0]["rawBytes"].as_str())
            .map(str::to_string)
    }
}

/// `verify-bundle` on `text` (written to a file in `dir`).
fn verify_text(case: &Case, text: &str, dir: &Path) -> Output {
    let file = dir.join("bundle-under-test.json");
    std::fs::write(&file, text).unwrap();
    let mut args = vec!["verify-bundle".to_string(), "--bundle".into()];
    args.push(file.display().to_string());
    args.extend(case.args.iter().cloned());
    Tollgate::new(dir).epoch(EPOCH).args(&args).run()
}

fn compact(v: &Value) -> String {
    serde_json::to_string(v).unwrap()
}

/// The conformance cases that must verify.
fn conformance_cases() -> Vec<Case> {
    let suite = shared().join("conformance");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(suite.join("bundle-verify"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && !p.to_string_lossy().ends_with("_fail"))
        .collect();
    dirs.sort();
    dirs.iter()
        .map(|case| {
            let name = format!(
                "conformance/{}",
                case.file_name().unwrap().to_string_lossy()
            );
            let bundle: Value =
                serde_json::from_slice(&std::fs::read(case.join("bundle.sigstore.json")).unwrap())
                    .unwrap();
            let artifact = if case.join("artifact").exists() {
                case.join("artifact")
            } else {
                suite.join("a.txt")
            };
            let root = case.join("trusted_root.json");
            let root = root.exists().then_some(root);
            let target = artifact.display().to_string();
            if case.join("key.pub").exists() {
                Case::key(
                    &name,
                    bundle,
                    &case.join("key.pub"),
                    root.as_deref(),
                    false,
                    target,
                )
            } else {
                let read = |f: &str, default: &str| {
                    std::fs::read_to_string(case.join(f))
                        .map(|s| s.trim().to_string())
                        .unwrap_or_else(|_| default.to_string())
                };
                Case::identity(
                    &name,
                    bundle,
                    &read("identity", DEFAULT_IDENTITY),
                    &read("issuer", DEFAULT_ISSUER),
                    root.as_deref(),
                    target,
                )
            }
        })
        .collect()
}

/// The real third-party bundles in tests/fixtures/bundles (SOURCES.md).
fn real_cases() -> Vec<Case> {
    let f = fixtures();
    let load = |name: &str| -> Value {
        serde_json::from_slice(&std::fs::read(f.join(name)).unwrap()).unwrap()
    };
    let public_good = shared().join("trusted_root.public-good.json");
    vec![
        // npm provenance (sigstore-js release workflow), public-good, v0.2,
        // Rekor intoto v0.0.2 entry; the subject is the npm tarball (sha512).
        Case::identity(
            "real/npm-sigstore-3.1.0",
            load("npm-sigstore-3.1.0.sigstore.json"),
            "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main",
            "https://token.actions.githubusercontent.com",
            Some(&public_good),
            f.join("sigstore-3.1.0.tgz").display().to_string(),
        ),
        // A PyPI release signed by gh-action-sigstore-python (the wheel of
        // rfc8785 0.1.2), public-good, v0.2 messageSignature, verified by
        // digest.
        Case::identity(
            "real/pypi-rfc8785-0.1.2",
            load("rfc8785-0.1.2-wheel.sigstore.json"),
            "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2",
            "https://token.actions.githubusercontent.com",
            Some(&public_good),
            "sha256:c4e92e9ecc828bef2aa7dba1de8ac983511f7532a0df11c770d39099a25cf201".into(),
        ),
        // cosign-made v0.3 attestation (an OCI image's, from cosign's own
        // test data): public-good, Rekor dsse v0.0.1 entry; verified by the
        // subject digest.
        Case::identity(
            "real/cosign-oci-attestation",
            load("cosign-oci-attestation.sigstore.json"),
            "cody@soyland.com",
            "https://github.com/login/oauth",
            Some(&public_good),
            "sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4".into(),
        ),
        // Fulcio username identity: the only SAN is an otherName.
        Case::identity(
            "real/othername-san",
            load("othername.sigstore.json"),
            "foo!oidc.local",
            "http://oidc.local:8080",
            Some(&f.join("othername.trusted_root.json")),
            "sha256:bc103b4a84971ef6459b294a2b98568a2bfb72cded09d4acd1e16366a401f95b".into(),
        ),
        // GitHub's Sigstore (staging): RFC 3161 timestamp, no log entry, as
        // private-repository attestations are.
        Case::identity(
            "real/github-timestamp-only",
            load("github-staging-timestamp-only.sigstore.json"),
            "cody@soyland.com",
            "https://github.com/login/oauth",
            Some(&f.join("github-staging.trusted_root.json")),
            f.join("sigstore-1.3.0.tgz").display().to_string(),
        ),
    ]
}

// ---------------------------------------------------------------------------
// Keyed bundles signed by OpenSSL (independent of tollgate)
// ---------------------------------------------------------------------------

struct OsslKey {
    private: PathBuf,
    public: PathBuf,
    public_pem: String,
    spki: Vec<u8>,
    /// `sha256` or `sha384`: the digest the signature scheme uses.
    hash: &'static str,
}

fn openssl(args: &[&str], dir: &Path) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is required");
    assert!(out.status.success(), "openssl {args:?}: {}", stderr(&out));
    out.stdout
}

/// `kind`: p256, p384 (SHA-384 throughout, the algorithm registry's
/// PKIX_ECDSA_P384_SHA_384: a messageSignature carries a SHA2_384 digest, as
/// sigstore-go's signer writes for such a key), rsa2048, rsa4096 (PKCS#1
/// v1.5, SHA-256).
fn ossl_key(dir: &Path, name: &str, kind: &str) -> OsslKey {
    let private = dir.join(format!("{name}.key.pem"));
    let public = dir.join(format!("{name}.pub.pem"));
    let opts: &[&str] = match kind {
        "p256" => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        "p384" => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
        "rsa2048" => &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        "rsa4096" => &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:4096"],
        other => panic!("unknown key kind {other}"),
    };
    let mut args = vec!["genpkey"];
    args.extend_from_slice(opts);
    args.extend_from_slice(&["-out", private.to_str().unwrap()]);
    openssl(&args, dir);
    openssl(
        &[
            "pkey",
            "-in",
            private.to_str().unwrap(),
            "-pubout",
            "-out",
            public.to_str().unwrap(),
        ],
        dir,
    );
    let spki = openssl(
        &[
            "pkey",
            "-in",
            private.to_str().unwrap(),
            "-pubout",
            "-outform",
            "DER",
        ],
        dir,
    );
    OsslKey {
        public_pem: std::fs::read_to_string(&public).unwrap(),
        private,
        public,
        spki,
        hash: if kind == "p384" { "sha384" } else { "sha256" },
    }
}

fn ossl_sign(key: &OsslKey, data: &[u8], dir: &Path) -> Vec<u8> {
    let input = dir.join("to-sign.bin");
    std::fs::write(&input, data).unwrap();
    openssl(
        &[
            "dgst",
            &format!("-{}", key.hash),
            "-sign",
            key.private.to_str().unwrap(),
            input.to_str().unwrap(),
        ],
        dir,
    )
}

fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

fn hint(key: &OsslKey) -> String {
    B64.encode(Sha256::digest(&key.spki))
}

/// A keyed v0.3 messageSignature bundle, as cosign's
/// `sign-blob --new-bundle-format --key` writes one without a log entry.
fn ossl_message_bundle(key: &OsslKey, artifact: &[u8], dir: &Path) -> Value {
    let (algorithm, digest) = if key.hash == "sha384" {
        ("SHA2_384", Sha384::digest(artifact).to_vec())
    } else {
        ("SHA2_256", Sha256::digest(artifact).to_vec())
    };
    json!({
        "mediaType": V03,
        "verificationMaterial": {"publicKey": {"hint": hint(key)}, "tlogEntries": []},
        "messageSignature": {
            "messageDigest": {"algorithm": algorithm, "digest": B64.encode(digest)},
            "signature": B64.encode(ossl_sign(key, artifact, dir)),
        }
    })
}

/// A keyed v0.3 DSSE bundle over exactly `payload` (any bytes: the tests
/// sign hand-written JSON, duplicate keys included).
fn ossl_dsse_bundle(key: &OsslKey, payload: &[u8], dir: &Path) -> Value {
    json!({
        "mediaType": V03,
        "verificationMaterial": {"publicKey": {"hint": hint(key)}, "tlogEntries": []},
        "dsseEnvelope": {
            "payload": B64.encode(payload),
            "payloadType": INTOTO,
            "signatures": [{"sig": B64.encode(ossl_sign(key, &pae(INTOTO, payload), dir)), "keyid": ""}],
        }
    })
}

fn statement(sha256_hex: &str, predicate_type: &str, predicate: &Value) -> Value {
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "app", "digest": {"sha256": sha256_hex}}],
        "predicateType": predicate_type,
        "predicate": predicate,
    })
}

// ---------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------

struct Mutant {
    name: String,
    text: String,
}

fn mutant(name: &str, v: &Value) -> Mutant {
    Mutant {
        name: name.into(),
        text: compact(v),
    }
}

/// Flip one bit of the byte at `at` (default: the middle) of base64 `s`.
fn flip_b64(s: &str, at: Option<usize>) -> String {
    let mut bytes = B64.decode(s).unwrap();
    assert!(!bytes.is_empty());
    let i = at.unwrap_or(bytes.len() / 2).min(bytes.len() - 1);
    bytes[i] ^= 0x01;
    B64.encode(bytes)
}

/// A decimal string plus one.
fn bump(s: &Value) -> Value {
    let n: i64 = s.as_str().and_then(|s| s.parse().ok()).unwrap_or(0);
    Value::String((n + 1).to_string())
}

/// The object at `path` (object keys) inside `v`.
fn at<'a>(v: &'a mut Value, path: &[&str]) -> &'a mut Value {
    path.iter().fold(v, |v, k| &mut v[*k])
}

/// JSON text of `v` in which the object at `path` holds `key` twice: the
/// forged value before (`first`) or after the genuine member. serde_json
/// maps cannot hold duplicates, so a placeholder member is spliced.
fn with_duplicate(v: &Value, path: &[&str], key: &str, forged: &Value, first: bool) -> String {
    let mut v = v.clone();
    // '!' sorts before, '~' after every other key, so the placeholder lands
    // first or last whether maps are sorted or keep insertion order.
    let placeholder = if first { "!dup!" } else { "~dup~" };
    let obj = at(&mut v, path).as_object_mut().expect("an object");
    let mut rebuilt = Map::new();
    if first {
        rebuilt.insert(placeholder.into(), Value::Null);
    }
    for (k, val) in obj.iter() {
        rebuilt.insert(k.clone(), val.clone());
    }
    if !first {
        rebuilt.insert(placeholder.into(), Value::Null);
    }
    *obj = rebuilt;
    let text = compact(&v);
    let needle = format!("\"{placeholder}\":null");
    assert_eq!(text.matches(&needle).count(), 1);
    text.replace(&needle, &format!("\"{key}\":{}", compact(forged)))
}

/// Material other bundles lend to the mutations.
struct Donors {
    message_signature: Value,
    dsse_envelope: Value,
    /// Two different leaf certificates (base64 DER).
    leaves: [String; 2],
    /// A whole other valid bundle (JSON text).
    other_bundle: String,
}

fn donors() -> Donors {
    let c = shared().join("conformance/bundle-verify");
    let load = |case: &str| -> Value {
        serde_json::from_slice(&std::fs::read(c.join(case).join("bundle.sigstore.json")).unwrap())
            .unwrap()
    };
    let msg = load("happy-path-v0.3");
    let dsse = load("happy-path-intoto-in-dsse-v3");
    Donors {
        message_signature: msg["messageSignature"].clone(),
        dsse_envelope: dsse["dsseEnvelope"].clone(),
        leaves: [
            msg["verificationMaterial"]["certificate"]["rawBytes"]
                .as_str()
                .unwrap()
                .to_string(),
            dsse["verificationMaterial"]["certificate"]["rawBytes"]
                .as_str()
                .unwrap()
                .to_string(),
        ],
        other_bundle: compact(&msg),
    }
}

/// The offset of the first byte of the message imprint's hash in a
/// DER timestamp token: after the id-ct-TSTInfo OID, the first SHA-2 OID
/// (and optional NULL), then `04 len`.
fn tst_imprint_offset(der: &[u8]) -> Option<usize> {
    const TSTINFO: [u8; 13] = [
        0x06, 0x0B, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x01, 0x04,
    ];
    const SHA2: [u8; 10] = [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02];
    let find = |hay: &[u8], needle: &[u8], from: usize| -> Option<usize> {
        hay.get(from..)?
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| p + from)
    };
    let t = find(der, &TSTINFO, 0)?;
    let mut i = find(der, &SHA2, t)? + SHA2.len() + 1;
    if der.get(i..i + 2) == Some(&[0x05, 0x00][..]) {
        i += 2;
    }
    (der.get(i) == Some(&0x04)).then_some(i + 2)
}

fn entry_mut(v: &mut Value, i: usize) -> &mut Value {
    &mut v["verificationMaterial"]["tlogEntries"][i]
}

fn material_mut(v: &mut Value) -> &mut Map<String, Value> {
    v["verificationMaterial"].as_object_mut().unwrap()
}

/// Every mutation of `case` that must be rejected. A mutation that would
/// leave a valid bundle (see each comment) is not generated for that case.
fn mutations(case: &Case, d: &Donors) -> Vec<Mutant> {
    let b = &case.bundle;
    let mut out = Vec::new();
    let content = if case.is_dsse() {
        "dsseEnvelope"
    } else {
        "messageSignature"
    };

    // --- content type -----------------------------------------------------
    // The bundle is a oneof: exactly one of messageSignature and
    // dsseEnvelope. With both, a consumer could verify one and read the
    // other (the forged-attestation false admit of issue 13).
    let mut v = b.clone();
    if case.is_dsse() {
        v["messageSignature"] = d.message_signature.clone();
    } else {
        v["dsseEnvelope"] = d.dsse_envelope.clone();
    }
    out.push(mutant("add-other-content-type", &v));
    // Neither: nothing is signed.
    let mut v = b.clone();
    v.as_object_mut().unwrap().remove(content);
    out.push(mutant("drop-content", &v));

    // --- mediaType ---------------------------------------------------------
    // Without a media type the version rules cannot be chosen (a verifier
    // that falls back to v0.1 lets the inclusion proof be stripped).
    let mut v = b.clone();
    v.as_object_mut().unwrap().remove("mediaType");
    out.push(mutant("drop-mediaType", &v));
    for (label, mt) in [
        (
            "unknown-mediaType-v0.9",
            "application/vnd.dev.sigstore.bundle.v0.9+json",
        ),
        ("unknown-mediaType-json", "application/json"),
    ] {
        let mut v = b.clone();
        v["mediaType"] = json!(mt);
        out.push(mutant(label, &v));
    }

    // --- transparency log entries -------------------------------------------
    let entries = case.entries();
    let tsas = case.timestamps();
    // Dropping the entries must be rejected when nothing else can stand in:
    // not with --insecure-ignore-tlog (keyed, unlogged by design), and not
    // when the bundle has an RFC 3161 timestamp (a keyless timestamp-only
    // bundle is valid - GitHub private-repository attestations - so that
    // mutant is not asserted either way).
    if !entries.is_empty() && !case.ignore_tlog && tsas.is_empty() {
        let mut v = b.clone();
        v["verificationMaterial"]["tlogEntries"] = json!([]);
        out.push(mutant("drop-tlog-entries", &v));
        let mut v = b.clone();
        material_mut(&mut v).remove("tlogEntries");
        out.push(mutant("remove-tlogEntries-key", &v));
    }
    if !entries.is_empty() {
        // The same entry twice counts one log twice (a threshold of 2 met
        // by one entry); a strict model refuses it.
        let mut v = b.clone();
        v["verificationMaterial"]["tlogEntries"]
            .as_array_mut()
            .unwrap()
            .push(entries[0].clone());
        out.push(mutant("duplicate-tlog-entry", &v));
    }
    for (i, e) in entries.iter().enumerate() {
        let tag = |m: &str| format!("tlog[{i}]-{m}");
        // v0.2+ needs the inclusion proof; v0.1 the promise (SET).
        if case.version() != "0.1" && e.get("inclusionProof").is_some() {
            let mut v = b.clone();
            entry_mut(&mut v, i)
                .as_object_mut()
                .unwrap()
                .remove("inclusionProof");
            out.push(mutant(&tag("drop-inclusionProof"), &v));
        }
        if case.version() == "0.1" && e.get("inclusionPromise").is_some() {
            let mut v = b.clone();
            entry_mut(&mut v, i)
                .as_object_mut()
                .unwrap()
                .remove("inclusionPromise");
            out.push(mutant(&tag("drop-inclusionPromise"), &v));
        }
        // Byte flips in signed or committed fields.
        if let Some(body) = e["canonicalizedBody"].as_str() {
            let mut v = b.clone();
            entry_mut(&mut v, i)["canonicalizedBody"] = json!(flip_b64(body, None));
            out.push(mutant(&tag("flip-canonicalizedBody"), &v));
        }
        if e.get("logIndex").is_some() {
            // Signed by the SET (v1), and bound to the proof's index.
            let mut v = b.clone();
            let bumped = bump(&e["logIndex"]);
            entry_mut(&mut v, i)["logIndex"] = bumped;
            out.push(mutant(&tag("bump-logIndex"), &v));
        }
        if let Some(key_id) = e["logId"]["keyId"].as_str() {
            // Names the log whose key verifies the entry.
            let mut v = b.clone();
            entry_mut(&mut v, i)["logId"]["keyId"] = json!(flip_b64(key_id, None));
            out.push(mutant(&tag("flip-logId"), &v));
        }
        if e["kindVersion"]["kind"].is_string() {
            // The body's kind must match; a hashedrekord claimed as dsse
            // (or the reverse) must not verify.
            let mut v = b.clone();
            let other = if e["kindVersion"]["kind"] == "hashedrekord" {
                "dsse"
            } else {
                "hashedrekord"
            };
            entry_mut(&mut v, i)["kindVersion"]["kind"] = json!(other);
            out.push(mutant(&tag("wrong-kind"), &v));
        }
        if let Some(set) = e["inclusionPromise"]["signedEntryTimestamp"].as_str() {
            let mut v = b.clone();
            entry_mut(&mut v, i)["inclusionPromise"]["signedEntryTimestamp"] =
                json!(flip_b64(set, None));
            out.push(mutant(&tag("flip-SET"), &v));
            // integratedTime is signed only by the SET; without a SET
            // (Rekor v2) it is not evidence, so it is flipped only here.
            let mut v = b.clone();
            let bumped = bump(&e["integratedTime"]);
            entry_mut(&mut v, i)["integratedTime"] = bumped;
            out.push(mutant(&tag("bump-integratedTime"), &v));
        }
        let proof = &e["inclusionProof"];
        if proof.is_object() {
            if let Some(h) = proof["hashes"].as_array().and_then(|h| h.first()) {
                let mut v = b.clone();
                entry_mut(&mut v, i)["inclusionProof"]["hashes"][0] =
                    json!(flip_b64(h.as_str().unwrap(), None));
                out.push(mutant(&tag("flip-inclusionProof-hash"), &v));
            }
            if let Some(root) = proof["rootHash"].as_str() {
                let mut v = b.clone();
                entry_mut(&mut v, i)["inclusionProof"]["rootHash"] = json!(flip_b64(root, None));
                out.push(mutant(&tag("flip-rootHash"), &v));
            }
            let mut v = b.clone();
            let bumped = bump(&proof["logIndex"]);
            entry_mut(&mut v, i)["inclusionProof"]["logIndex"] = bumped;
            out.push(mutant(&tag("bump-inclusionProof-logIndex"), &v));
            let mut v = b.clone();
            let bumped = bump(&proof["treeSize"]);
            entry_mut(&mut v, i)["inclusionProof"]["treeSize"] = bumped;
            out.push(mutant(&tag("bump-treeSize"), &v));
            if let Some(cp) = proof["checkpoint"]["envelope"].as_str() {
                // Every signature line of the note, so no cosignature by
                // the same key can still vouch for it.
                let flipped: Vec<String> = cp
                    .split('\n')
                    .map(|line| match line.strip_prefix("\u{2014} ") {
                        Some(rest) => match rest.rsplit_once(' ') {
                            Some((name, sig)) if B64.decode(sig).is_ok() => {
                                format!("\u{2014} {name} {}", flip_b64(sig, Some(usize::MAX)))
                            }
                            _ => line.to_string(),
                        },
                        None => line.to_string(),
                    })
                    .collect();
                let mut v = b.clone();
                entry_mut(&mut v, i)["inclusionProof"]["checkpoint"]["envelope"] =
                    json!(flipped.join("\n"));
                out.push(mutant(&tag("flip-checkpoint-signature"), &v));
                // And the root hash inside the signed note.
                if let Some(root) = proof["rootHash"].as_str() {
                    let mut v = b.clone();
                    entry_mut(&mut v, i)["inclusionProof"]["checkpoint"]["envelope"] =
                        json!(cp.replacen(root, &flip_b64(root, None), 1));
                    out.push(mutant(&tag("flip-checkpoint-roothash"), &v));
                }
            }
        }
    }

    // --- RFC 3161 timestamps ---------------------------------------------------
    if !tsas.is_empty() {
        // The same token twice is one TSA counted twice (towards a
        // threshold); sigstore-python refuses it ("duplicate timestamp
        // found"), whatever else the bundle holds.
        let mut v = b.clone();
        v["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]
            .as_array_mut()
            .unwrap()
            .push(tsas[0].clone());
        out.push(mutant("duplicate-tsa-timestamp", &v));
        // The timestamp is required only when it is the only time evidence
        // for a certificate: keyless, and no entry with a SET (Rekor v2
        // entries carry no signed time; timestamp-only bundles no entry).
        // Then dropping or corrupting it must be rejected. Beside a Rekor v1
        // SET it is optional: sigstore-python and sigstore-go skip a
        // timestamp that does not verify, so those mutants are not asserted.
        if !case.keyed && !case.has_set() {
            let token = tsas[0]["signedTimestamp"].as_str().unwrap();
            let len = B64.decode(token).unwrap().len();
            // In the SignerInfo's signature (the token's last field).
            let mut v = b.clone();
            v["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]
                ["signedTimestamp"] = json!(flip_b64(token, Some(len - 10)));
            out.push(mutant("flip-tsa-token-signature", &v));
            // In the TSTInfo's message imprint (signed content). Not an
            // arbitrary byte: embedded certificates are not signed.
            if let Some(at) = tst_imprint_offset(&B64.decode(token).unwrap()) {
                let mut v = b.clone();
                v["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]
                    ["signedTimestamp"] = json!(flip_b64(token, Some(at)));
                out.push(mutant("flip-tsa-token-imprint", &v));
            }
            let mut v = b.clone();
            v["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"] = json!([]);
            out.push(mutant("drop-tsa-timestamps", &v));
            let mut v = b.clone();
            material_mut(&mut v).remove("timestampVerificationData");
            out.push(mutant("remove-timestampVerificationData", &v));
        }
    }

    // --- verification material -----------------------------------------------
    // Unknown members: a second parser may understand what the verifier
    // skipped (protobuf JSON rejects unknown fields).
    let mut v = b.clone();
    material_mut(&mut v).insert("x509CertificateChainV2".into(), json!({"certificates": []}));
    out.push(mutant("unknown-verificationMaterial-key", &v));
    let mut v = b.clone();
    v.as_object_mut()
        .unwrap()
        .insert("dsseEnvelopeV2".into(), d.dsse_envelope.clone());
    out.push(mutant("unknown-top-level-key", &v));
    let mut v = b.clone();
    v[content]
        .as_object_mut()
        .unwrap()
        .insert("extra".into(), json!("x"));
    out.push(mutant("unknown-key-in-content", &v));
    if case.keyed {
        // A key and a certificate: the oneof again.
        let mut v = b.clone();
        material_mut(&mut v).insert("certificate".into(), json!({"rawBytes": d.leaves[0]}));
        out.push(mutant("keyed-plus-certificate", &v));
    } else if let Some(leaf) = case.leaf() {
        // Another signer's certificate (a real Fulcio leaf).
        let other = if leaf == d.leaves[0] {
            &d.leaves[1]
        } else {
            &d.leaves[0]
        };
        let mut v = b.clone();
        if v["verificationMaterial"]["certificate"].is_object() {
            v["verificationMaterial"]["certificate"]["rawBytes"] = json!(other);
        } else {
            v["verificationMaterial"]["x509CertificateChain"]["certificates"][0]["rawBytes"] =
                json!(other);
        }
        out.push(mutant("swap-certificate", &v));
        let mut v = b.clone();
        if v["verificationMaterial"]["certificate"].is_object() {
            v["verificationMaterial"]["certificate"]["rawBytes"] = json!(flip_b64(&leaf, None));
        } else {
            v["verificationMaterial"]["x509CertificateChain"]["certificates"][0]["rawBytes"] =
                json!(flip_b64(&leaf, None));
        }
        out.push(mutant("flip-certificate", &v));
        // Both forms of certificate at once, or a key beside it.
        let mut v = b.clone();
        if v["verificationMaterial"]["certificate"].is_object() {
            material_mut(&mut v).insert(
                "x509CertificateChain".into(),
                json!({"certificates": [{"rawBytes": other}]}),
            );
        } else {
            material_mut(&mut v).insert("certificate".into(), json!({"rawBytes": other}));
        }
        out.push(mutant("certificate-and-chain", &v));
        let mut v = b.clone();
        material_mut(&mut v).insert("publicKey".into(), json!({"hint": "forged"}));
        out.push(mutant("certificate-plus-publicKey", &v));
    }

    // --- duplicate JSON keys with conflicting values ---------------------------
    for first in [true, false] {
        let order = if first { "forged-first" } else { "forged-last" };
        let other_mt = if case.version() == "0.1" { V03 } else { V01 };
        out.push(Mutant {
            name: format!("dup-key-mediaType-{order}"),
            text: with_duplicate(b, &[], "mediaType", &json!(other_mt), first),
        });
        let forged_content = if case.is_dsse() {
            &d.dsse_envelope
        } else {
            &d.message_signature
        };
        if forged_content != &b[content] {
            out.push(Mutant {
                name: format!("dup-key-{content}-{order}"),
                text: with_duplicate(b, &[], content, forged_content, first),
            });
        }
        out.push(Mutant {
            name: format!("dup-key-verificationMaterial-{order}"),
            text: with_duplicate(
                b,
                &[],
                "verificationMaterial",
                &json!({"publicKey": {"hint": "forged"}, "tlogEntries": []}),
                first,
            ),
        });
        if case.is_dsse() {
            let forged_payload = B64.encode(
                compact(&statement(
                    &"0".repeat(64),
                    "https://slsa.dev/provenance/v1",
                    &json!({}),
                ))
                .as_bytes(),
            );
            out.push(Mutant {
                name: format!("dup-key-dsse-payload-{order}"),
                text: with_duplicate(
                    b,
                    &["dsseEnvelope"],
                    "payload",
                    &json!(forged_payload),
                    first,
                ),
            });
            out.push(Mutant {
                name: format!("dup-key-dsse-payloadType-{order}"),
                text: with_duplicate(
                    b,
                    &["dsseEnvelope"],
                    "payloadType",
                    &json!("text/plain"),
                    first,
                ),
            });
        } else {
            out.push(Mutant {
                name: format!("dup-key-messageDigest-{order}"),
                text: with_duplicate(
                    b,
                    &["messageSignature"],
                    "messageDigest",
                    &json!({"algorithm": "SHA2_256", "digest": B64.encode([0u8; 32])}),
                    first,
                ),
            });
        }
        if case.keyed {
            out.push(Mutant {
                name: format!("dup-key-publicKey-{order}"),
                text: with_duplicate(
                    b,
                    &["verificationMaterial"],
                    "publicKey",
                    &json!({"hint": "forged"}),
                    first,
                ),
            });
        } else if b["verificationMaterial"]["certificate"].is_object() {
            let other = case
                .leaf()
                .filter(|l| *l != d.leaves[0])
                .map_or(&d.leaves[1], |_| &d.leaves[0]);
            out.push(Mutant {
                name: format!("dup-key-certificate-{order}"),
                text: with_duplicate(
                    b,
                    &["verificationMaterial"],
                    "certificate",
                    &json!({"rawBytes": other}),
                    first,
                ),
            });
        }
        if !entries.is_empty() {
            out.push(Mutant {
                name: format!("dup-key-tlogEntries-{order}"),
                text: with_duplicate(
                    b,
                    &["verificationMaterial"],
                    "tlogEntries",
                    &json!([]),
                    first,
                ),
            });
        }
    }

    // --- signed content ----------------------------------------------------------
    if case.is_dsse() {
        let env = &b["dsseEnvelope"];
        let sig = env["signatures"][0]["sig"].as_str().unwrap();
        let mut v = b.clone();
        v["dsseEnvelope"]["signatures"][0]["sig"] = json!(flip_b64(sig, None));
        out.push(mutant("flip-dsse-signature", &v));
        let mut v = b.clone();
        v["dsseEnvelope"]["payload"] = json!(flip_b64(env["payload"].as_str().unwrap(), None));
        out.push(mutant("flip-dsse-payload", &v));
        // The type is part of the PAE.
        let mut v = b.clone();
        v["dsseEnvelope"]["payloadType"] = json!("application/json");
        out.push(mutant("change-payloadType", &v));
        // A bundle's envelope carries exactly one signature; a bogus one
        // beside the genuine one (either order) must not be waved through.
        let bogus = json!({"sig": B64.encode([0x30u8, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]), "keyid": ""});
        for (label, first) in [
            ("extra-bogus-dsse-signature-last", false),
            ("extra-bogus-dsse-signature-first", true),
        ] {
            let mut v = b.clone();
            let sigs = v["dsseEnvelope"]["signatures"].as_array_mut().unwrap();
            if first {
                sigs.insert(0, bogus.clone());
            } else {
                sigs.push(bogus.clone());
            }
            out.push(mutant(label, &v));
        }
        let mut v = b.clone();
        let genuine = env["signatures"][0].clone();
        v["dsseEnvelope"]["signatures"]
            .as_array_mut()
            .unwrap()
            .push(genuine);
        out.push(mutant("duplicate-dsse-signature", &v));
        let mut v = b.clone();
        v["dsseEnvelope"]["signatures"] = json!([]);
        out.push(mutant("no-dsse-signatures", &v));
    } else {
        let ms = &b["messageSignature"];
        let mut v = b.clone();
        v["messageSignature"]["signature"] =
            json!(flip_b64(ms["signature"].as_str().unwrap(), None));
        out.push(mutant("flip-message-signature", &v));
        let mut v = b.clone();
        v["messageSignature"]["messageDigest"]["digest"] = json!(flip_b64(
            ms["messageDigest"]["digest"].as_str().unwrap(),
            None
        ));
        out.push(mutant("flip-message-digest", &v));
        let mut v = b.clone();
        let alg = if ms["messageDigest"]["algorithm"] == "SHA2_512" {
            "SHA2_256"
        } else {
            "SHA2_512"
        };
        v["messageSignature"]["messageDigest"]["algorithm"] = json!(alg);
        out.push(mutant("change-digest-algorithm", &v));
    }

    // --- trailing data -------------------------------------------------------------
    let text = compact(b);
    out.push(Mutant {
        name: "trailing-garbage".into(),
        text: format!("{text}\nnot json"),
    });
    out.push(Mutant {
        name: "trailing-empty-object".into(),
        text: format!("{text}{{}}"),
    });
    out.push(Mutant {
        name: "trailing-second-bundle".into(),
        text: format!("{text}\n{}", d.other_bundle),
    });
    out
}

/// Verify each case as it is, then every mutant; list what went wrong.
fn run_cases(cases: &[Case], dir: &Path) -> Vec<String> {
    let d = donors();
    let mut problems = Vec::new();
    let mut mutants_run = 0;
    for case in cases {
        // The original (as written) and re-serialised must verify, or the
        // mutants prove nothing.
        let original = verify_text(case, &compact(&case.bundle), dir);
        if !original.status.success() {
            problems.push(format!(
                "{} / ORIGINAL: false reject, exit {:?}: {}",
                case.name,
                original.status.code(),
                one_line(&stderr(&original))
            ));
            continue;
        }
        for m in mutations(case, &d) {
            mutants_run += 1;
            let out = verify_text(case, &m.text, dir);
            if out.status.success() {
                problems.push(format!("{} / {}: ACCEPTED (exit 0)", case.name, m.name));
            }
        }
    }
    eprintln!(
        "{} cases, {mutants_run} mutants, {} problems",
        cases.len(),
        problems.len()
    );
    problems
}

fn report(what: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{what}: {} wrong outcome(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

// ---------------------------------------------------------------------------
// verify-bundle: the mutation suite
// ---------------------------------------------------------------------------

#[test]
fn conformance_bundles_reject_every_structural_mutation() {
    let dir = tempfile::tempdir().unwrap();
    let cases = conformance_cases();
    assert!(cases.len() >= 20, "expected the conformance passes");
    report("conformance", &run_cases(&cases, dir.path()));
}

#[test]
fn real_third_party_bundles_reject_every_structural_mutation() {
    let dir = tempfile::tempdir().unwrap();
    report("real bundles", &run_cases(&real_cases(), dir.path()));
}

/// False rejects: each real bundle verifies, from the file on disk as it
/// was published (not re-serialised), and by digest where it is a
/// messageSignature.
#[test]
fn real_third_party_bundles_verify() {
    let dir = tempfile::tempdir().unwrap();
    let mut problems = Vec::new();
    let files = [
        "npm-sigstore-3.1.0.sigstore.json",
        "rfc8785-0.1.2-wheel.sigstore.json",
        "cosign-oci-attestation.sigstore.json",
        "othername.sigstore.json",
        "github-staging-timestamp-only.sigstore.json",
    ];
    for (case, file) in real_cases().iter().zip(files) {
        let mut args = vec!["verify-bundle".to_string(), "--bundle".into()];
        args.push(fixtures().join(file).display().to_string());
        args.extend(case.args.iter().cloned());
        let out = Tollgate::new(dir.path()).epoch(EPOCH).args(&args).run();
        if !out.status.success() {
            problems.push(format!(
                "{}: false reject, exit {:?}: {}",
                case.name,
                out.status.code(),
                one_line(&stderr(&out))
            ));
        }
    }
    // The wrong identity, issuer or root must still be refused.
    for case in real_cases() {
        let mut wrong = case.clone();
        if let Some(i) = wrong
            .args
            .iter()
            .position(|a| a == "--certificate-identity")
        {
            wrong.args[i + 1].push_str("-not");
        }
        let out = verify_text(&wrong, &compact(&case.bundle), dir.path());
        if out.status.success() {
            problems.push(format!("{}: wrong identity ACCEPTED", case.name));
        }
        let mut wrong = case.clone();
        if let Some(i) = wrong
            .args
            .iter()
            .position(|a| a == "--certificate-oidc-issuer")
        {
            wrong.args[i + 1].push_str("/not");
        }
        let out = verify_text(&wrong, &compact(&case.bundle), dir.path());
        if out.status.success() {
            problems.push(format!("{}: wrong issuer ACCEPTED", case.name));
        }
        let mut wrong = case.clone();
        if let Some(i) = wrong.args.iter().position(|a| a == "--trusted-root") {
            wrong.args[i + 1] = shared()
                .join("conformance/bundle-verify/intoto-with-custom-trust-root/trusted_root.json")
                .display()
                .to_string();
        }
        let out = verify_text(&wrong, &compact(&case.bundle), dir.path());
        if out.status.success() {
            problems.push(format!("{}: another trusted root ACCEPTED", case.name));
        }
    }
    report("real bundles (false rejects)", &problems);
}

/// Keyed bundles OpenSSL signs: P-256, P-384 (SHA-384) and RSA 2048/4096
/// (PKCS#1 v1.5, SHA-256), messageSignature and DSSE. They must verify with
/// `--key` (a false reject otherwise), and every mutation must be rejected.
#[test]
fn openssl_keyed_bundles_verify_and_reject_every_mutation() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let artifact = d.join("artifact.bin");
    std::fs::write(&artifact, b"keyed release bytes\n").unwrap();
    let sha = hex::encode(Sha256::digest(b"keyed release bytes\n"));
    let mut cases = Vec::new();
    for kind in ["p256", "p384", "rsa2048", "rsa4096"] {
        let key = ossl_key(d, kind, kind);
        let msg = ossl_message_bundle(&key, b"keyed release bytes\n", d);
        cases.push(Case::key(
            &format!("openssl/{kind}-message"),
            msg,
            &key.public,
            None,
            true,
            artifact.display().to_string(),
        ));
        let payload = compact(&statement(
            &sha,
            "https://example.com/test/v1",
            &json!({"ok": true}),
        ));
        let dsse = ossl_dsse_bundle(&key, payload.as_bytes(), d);
        cases.push(Case::key(
            &format!("openssl/{kind}-dsse"),
            dsse,
            &key.public,
            None,
            true,
            artifact.display().to_string(),
        ));
    }
    let mut problems = run_cases(&cases, d);

    // Duplicate keys inside the signed payload: the signature is genuine, but
    // two parsers can read two different statements (here: two subjects).
    let key = ossl_key(d, "dup", "p256");
    let other = "1".repeat(64);
    for (label, payload) in [
        (
            "dup-key-subject-in-signed-payload (forged first)",
            format!(
                r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"x","digest":{{"sha256":"{other}"}}}}],"subject":[{{"name":"app","digest":{{"sha256":"{sha}"}}}}],"predicateType":"https://example.com/test/v1","predicate":{{}}}}"#
            ),
        ),
        (
            "dup-key-subject-in-signed-payload (forged last)",
            format!(
                r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"app","digest":{{"sha256":"{sha}"}}}}],"subject":[{{"name":"x","digest":{{"sha256":"{other}"}}}}],"predicateType":"https://example.com/test/v1","predicate":{{}}}}"#
            ),
        ),
        (
            "dup-key-predicateType-in-signed-payload",
            format!(
                r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"app","digest":{{"sha256":"{sha}"}}}}],"predicateType":"https://example.com/test/v1","predicateType":"https://slsa.dev/provenance/v1","predicate":{{}}}}"#
            ),
        ),
        (
            "signed-payload-with-trailing-data",
            format!(
                r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"app","digest":{{"sha256":"{sha}"}}}}],"predicateType":"https://example.com/test/v1","predicate":{{}}}}{{"predicate":1}}"#
            ),
        ),
    ] {
        let case = Case::key(
            "openssl/p256-dsse",
            ossl_dsse_bundle(&key, payload.as_bytes(), d),
            &key.public,
            None,
            true,
            artifact.display().to_string(),
        );
        let out = verify_text(&case, &compact(&case.bundle), d);
        if out.status.success() {
            problems.push(format!("{} / {label}: ACCEPTED (exit 0)", case.name));
        }
    }
    report("openssl keyed bundles", &problems);
}

/// Bundles tollgate itself writes: `tollgate sign` and `tollgate attest`
/// with a generated key (ECDSA P-256 and Ed25519), unlogged.
#[test]
fn tollgate_keyed_bundles_reject_every_mutation() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("pw"), "pw").unwrap();
    std::fs::write(d.join("app"), b"release binary").unwrap();
    std::fs::write(d.join("pred.json"), br#"{"reviewed": true}"#).unwrap();
    let mut cases = Vec::new();
    for kind in ["ecdsa-p256", "ed25519"] {
        std::fs::create_dir(d.join(kind)).unwrap();
        let kd = d.join(kind);
        let mut gen = vec!["key", "generate", "--password-file", "../pw"];
        if kind == "ed25519" {
            gen.extend(["--type", "ed25519"]);
        }
        let out = Tollgate::new(&kd).epoch(EPOCH).args(&gen).run();
        assert!(out.status.success(), "{}", stderr(&out));
        for (label, args) in [
            ("sign", vec!["sign", "../app"]),
            (
                "attest",
                vec![
                    "attest",
                    "--predicate-type",
                    "https://example.com/review/v1",
                    "--predicate",
                    "../pred.json",
                    "../app",
                ],
            ),
        ] {
            let bundle = format!("{label}.json");
            let mut all = args.clone();
            all.extend([
                "--key",
                "cosign.key",
                "--password-file",
                "../pw",
                "--bundle",
                &bundle,
            ]);
            let out = Tollgate::new(&kd).epoch(EPOCH).args(&all).run();
            assert!(out.status.success(), "{kind} {label}: {}", stderr(&out));
            let value: Value =
                serde_json::from_slice(&std::fs::read(kd.join(&bundle)).unwrap()).unwrap();
            cases.push(Case::key(
                &format!("tollgate/{kind}-{label}"),
                value,
                &kd.join("cosign.pub"),
                None,
                true,
                d.join("app").display().to_string(),
            ));
        }
    }
    report("tollgate keyed bundles", &run_cases(&cases, d));
}

/// Bundles tollgate writes against the local Fulcio/Rekor stand-in: keyless
/// (certificate + Rekor entry) and keyed with `--rekor-url`.
#[test]
fn tollgate_logged_bundles_reject_every_mutation() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mock = support::start_mock(d);
    std::fs::write(d.join("pw"), "pw").unwrap();
    std::fs::write(d.join("app"), b"release binary").unwrap();
    std::fs::write(d.join("pred.json"), br#"{"reviewed": true}"#).unwrap();
    let out = Tollgate::new(d)
        .epoch(EPOCH)
        .args(["key", "generate", "--password-file", "pw"])
        .run();
    assert!(out.status.success(), "{}", stderr(&out));
    let identity =
        "https://github.com/tollgate-dev/tollgate/.github/workflows/release.yml@refs/heads/main";
    let issuer = "https://token.actions.githubusercontent.com";
    let jwt = support::fake_jwt(json!({"iss": issuer, "sub": identity, "aud": "sigstore"}));
    let attest: &[&str] = &[
        "attest",
        "--predicate-type",
        "https://example.com/review/v1",
        "--predicate",
        "pred.json",
        "app",
    ];
    let mut cases = Vec::new();
    for (label, command) in [("sign", &["sign", "app"][..]), ("attest", attest)] {
        // Keyless.
        let bundle = format!("keyless-{label}.json");
        let mut args = command.to_vec();
        args.extend([
            "--identity-token",
            &jwt,
            "--fulcio-url",
            &mock.url,
            "--rekor-url",
            &mock.url,
            "--bundle",
            &bundle,
        ]);
        let out = Tollgate::new(d).epoch(EPOCH).args(&args).run();
        assert!(out.status.success(), "keyless {label}: {}", stderr(&out));
        let value: Value =
            serde_json::from_slice(&std::fs::read(d.join(&bundle)).unwrap()).unwrap();
        cases.push(Case::identity(
            &format!("tollgate/keyless-{label}"),
            value,
            identity,
            issuer,
            Some(&mock.root),
            d.join("app").display().to_string(),
        ));
        // Keyed, logged.
        let bundle = format!("keyed-logged-{label}.json");
        let mut args = command.to_vec();
        args.extend([
            "--key",
            "cosign.key",
            "--password-file",
            "pw",
            "--rekor-url",
            &mock.url,
            "--bundle",
            &bundle,
        ]);
        let out = Tollgate::new(d).epoch(EPOCH).args(&args).run();
        assert!(
            out.status.success(),
            "keyed logged {label}: {}",
            stderr(&out)
        );
        let value: Value =
            serde_json::from_slice(&std::fs::read(d.join(&bundle)).unwrap()).unwrap();
        cases.push(Case::key(
            &format!("tollgate/keyed-logged-{label}"),
            value,
            &d.join("cosign.pub"),
            Some(&mock.root),
            false,
            d.join("app").display().to_string(),
        ));
    }
    report("tollgate logged bundles", &run_cases(&cases, d));
}

// ---------------------------------------------------------------------------
// The gate: `tollgate verify` must not admit on unverified bytes
// ---------------------------------------------------------------------------

const REPO: &str = "https://github.com/tollgate-dev/tollgate";

/// A release directory: `app`, a tollgate key (`cosign.key`/`.pub`, password
/// `pw`), and an OpenSSL P-256 key (`signer`) that signs hand-made
/// statements. Both are authorities of every policy written here.
struct Gate {
    dir: tempfile::TempDir,
    signer: OsslKey,
    sha: String,
}

impl Gate {
    fn new() -> Gate {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("app"), b"release binary").unwrap();
        std::fs::write(d.join("pw"), "pw").unwrap();
        let out = Tollgate::new(d)
            .epoch(EPOCH)
            .args(["key", "generate", "--password-file", "pw"])
            .run();
        assert!(out.status.success(), "{}", stderr(&out));
        let signer = ossl_key(d, "signer", "p256");
        Gate {
            sha: hex::encode(Sha256::digest(b"release binary")),
            dir,
            signer,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, name: &str, text: &str) -> String {
        std::fs::write(self.path().join(name), text).unwrap();
        name.to_string()
    }

    /// A policy trusting both keys (unlogged allowed), with these
    /// `attestations:` items and any extra top-level YAML.
    fn policy(&self, name: &str, attestations: &str, extra: &str) -> String {
        let indent =
            |pem: &str| -> String { pem.lines().map(|l| format!("      {l}\n")).collect() };
        let tollgate_pem = std::fs::read_to_string(self.path().join("cosign.pub")).unwrap();
        let text = format!(
            "apiVersion: tollgate.dev/v1\nkind: Policy\nname: {name}\nmode: enforce\nauthorities:\n  - name: tollgate-key\n    key: |\n{}    allowUnlogged: true\n  - name: openssl-key\n    key: |\n{}    allowUnlogged: true\nthreshold: 1\nattestations:\n{attestations}{extra}",
            indent(&tollgate_pem),
            indent(&self.signer.public_pem),
        );
        self.write(&format!("{name}.policy.yaml"), &text)
    }

    /// A DSSE bundle the OpenSSL key signs over exactly `payload`.
    fn signed(&self, name: &str, payload: &str) -> Value {
        let v = ossl_dsse_bundle(&self.signer, payload.as_bytes(), self.path());
        self.write(name, &compact(&v));
        v
    }

    fn statement(&self, predicate_type: &str, predicate: &Value) -> String {
        compact(&statement(&self.sha, predicate_type, predicate))
    }

    fn verify(&self, policy: &str, target: &str, bundles: &[&str]) -> (Option<i32>, String) {
        let mut args = vec!["verify", target, "--policy", policy];
        for b in bundles {
            args.push("--bundle");
            args.push(b);
        }
        let out = Tollgate::new(self.path()).epoch(EPOCH).args(&args).run();
        (
            out.status.code(),
            one_line(&format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )),
        )
    }
}

/// Record a wrong outcome: `bundles` must not be admitted under `policy`.
fn expect_deny(g: &Gate, problems: &mut Vec<String>, label: &str, policy: &str, bundles: &[&str]) {
    let (code, out) = g.verify(policy, "app", bundles);
    if code == Some(0) {
        problems.push(format!("{label}: ADMITTED (exit 0): {out}"));
    }
}

/// Record a wrong outcome: `bundles` must be admitted (the control).
fn expect_admit(g: &Gate, problems: &mut Vec<String>, label: &str, policy: &str, bundles: &[&str]) {
    let (code, out) = g.verify(policy, "app", bundles);
    if code != Some(0) {
        problems.push(format!(
            "{label}: control not admitted (exit {code:?}): {out}"
        ));
    }
}

fn provenance(repo: &str, finished: &str) -> Value {
    json!({
        "buildDefinition": {
            "buildType": "https://github.com/tollgate-dev/tollgate/blob/main/docs/attestations.md#local-build-v1",
            "externalParameters": {},
            "resolvedDependencies": [{"uri": format!("git+{repo}@refs/heads/main"), "digest": {"gitCommit": "0123456789abcdef0123456789abcdef01234567"}}],
        },
        "runDetails": {
            "builder": {"id": "https://github.com/tollgate-dev/tollgate/blob/main/docs/attestations.md#local-builder"},
            "metadata": {"startedOn": finished, "finishedOn": finished},
        }
    })
}

fn vulns(scores: &[&str]) -> Value {
    let severity: Vec<Value> = scores
        .iter()
        .map(|s| json!({"method": "CVSSv3", "score": s}))
        .collect();
    json!({
        "scanner": {
            "uri": "https://github.com/tollgate-dev/tollgate",
            "version": "0.1.0",
            "db": {"uri": "https://github.com/rustsec/advisory-db"},
            "result": if scores.is_empty() { json!([]) } else { json!([{"id": "RUSTSEC-2099-0001", "severity": severity, "annotations": [{"reachability": "reachable"}]}]) },
        },
        "metadata": {"scanStartedOn": "2023-11-14T22:13:20Z", "scanFinishedOn": "2023-11-14T22:13:20Z"},
    })
}

fn sast(high: u64) -> Value {
    json!({
        "tool": {"name": "tollgate", "version": "0.1.0", "ruleset": "2026.11.0"},
        "counts": {"critical": 0, "high": high, "medium": 0, "low": 0, "note": 0},
        "results": high,
        "sarif": {"digest": {"sha256": "0".repeat(64)}, "mediaType": "application/sarif+json"},
    })
}

fn sbom(crate_name: &str, version: &str) -> Value {
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "components": [{"type": "library", "name": crate_name, "version": version, "purl": format!("pkg:cargo/{crate_name}@{version}"), "licenses": [{"expression": "MIT"}]}],
    })
}

const PROVENANCE: &str = "https://slsa.dev/provenance/v1";
const VULNS: &str = "https://in-toto.io/attestation/vulns/v0.2";
const SAST: &str =
    "https://github.com/tollgate-dev/tollgate/blob/main/docs/attestations.md#sast-v1";
const CDX: &str = "https://cyclonedx.org/bom";

/// The genuine half is a messageSignature (`tollgate sign`); the forged
/// half an unsigned dsseEnvelope claiming provenance, clean vulns and 0 SAST
/// errors. Issue 13, false admit 1.
#[test]
fn gate_denies_forged_dsse_beside_a_genuine_message_signature() {
    let g = Gate::new();
    let d = g.path();
    let mut problems = Vec::new();
    let out = Tollgate::new(d)
        .epoch(EPOCH)
        .args([
            "sign",
            "app",
            "--key",
            "cosign.key",
            "--password-file",
            "pw",
            "--bundle",
            "signed.json",
        ])
        .run();
    assert!(out.status.success(), "{}", stderr(&out));
    let genuine: Value =
        serde_json::from_slice(&std::fs::read(d.join("signed.json")).unwrap()).unwrap();

    let signature_only = g.policy("sig-only", "  []\n", "");
    expect_admit(
        &g,
        &mut problems,
        "control: signature-only policy",
        &signature_only,
        &["signed.json"],
    );

    for (label, ty, predicate, requirement) in [
        (
            "provenance",
            PROVENANCE,
            provenance(REPO, "2023-11-14T22:13:20Z"),
            format!(
                "  - type: provenance\n    provenance:\n      sourceRepositories: [\"{REPO}\"]\n"
            ),
        ),
        (
            "vulns",
            VULNS,
            vulns(&[]),
            "  - type: vulns\n    vulns:\n      maxSeverity: medium\n".to_string(),
        ),
        (
            "sast",
            SAST,
            sast(0),
            "  - type: sast\n    sast:\n      maxErrors: 0\n".to_string(),
        ),
    ] {
        let policy = g.policy(&format!("forged-{label}"), &requirement, "");
        let payload = B64.encode(g.statement(ty, &predicate));
        // Unsigned, with a signature copied from elsewhere, and with a
        // signature by the OpenSSL authority over other bytes.
        let copied_sig = genuine["messageSignature"]["signature"].clone();
        for (variant, sig) in [
            ("no-signature", None),
            ("copied-signature", Some(copied_sig)),
        ] {
            let mut v = genuine.clone();
            v["dsseEnvelope"] = json!({
                "payload": payload,
                "payloadType": INTOTO,
                "signatures": sig.map(|s| json!([{"sig": s, "keyid": ""}])).unwrap_or(json!([])),
            });
            let name = g.write(&format!("forged-{label}-{variant}.json"), &compact(&v));
            expect_deny(
                &g,
                &mut problems,
                &format!("msgsig+forged-dsse/{label}/{variant}"),
                &policy,
                &[&name],
            );
            // And verify-bundle must refuse the file too.
            let vb = Tollgate::new(d)
                .epoch(EPOCH)
                .args([
                    "verify-bundle",
                    "--key",
                    "cosign.pub",
                    "--insecure-ignore-tlog",
                    "--bundle",
                    &name,
                    "app",
                ])
                .run();
            if vb.status.success() {
                problems.push(format!(
                    "verify-bundle msgsig+forged-dsse/{label}/{variant}: ACCEPTED"
                ));
            }
        }
        // The forged envelope as a duplicate `dsseEnvelope` key is no better.
        let forged_env = json!({"payload": payload, "payloadType": INTOTO, "signatures": []});
        for first in [true, false] {
            let mut v = genuine.clone();
            v["dsseEnvelope"] = forged_env.clone();
            let text = with_duplicate(&v, &[], "dsseEnvelope", &forged_env, first);
            let name = g.write(&format!("forged-{label}-dupkey-{first}.json"), &text);
            expect_deny(
                &g,
                &mut problems,
                &format!("msgsig+dup-key-dsse/{label}/first={first}"),
                &policy,
                &[&name],
            );
        }
    }
    report("gate: forged DSSE beside a message signature", &problems);
}

/// For each requirement type: a genuine attestation that fails it, and
/// mutants whose only difference is unverified bytes that would pass it.
#[test]
fn gate_denies_requirements_met_only_by_unverified_bytes() {
    let g = Gate::new();
    let mut problems = Vec::new();
    let now = time_now_rfc3339();

    // (requirement, policy items, extra policy YAML, failing predicate type and
    // predicate, passing predicate).
    let rego = "rego: |\n  package tollgate\n  deny contains msg if {\n    some a in input.attestations\n    a.predicate.counts.high > 0\n    msg := sprintf(\"%d high SAST findings\", [a.predicate.counts.high])\n  }\n";
    let cases: Vec<(&str, String, &str, &str, Value, Value)> = vec![
        (
            "provenance",
            format!("  - type: provenance\n    provenance:\n      sourceRepositories: [\"{REPO}\"]\n      refs: [\"refs/heads/main\"]\n"),
            "",
            PROVENANCE,
            provenance("https://github.com/evil/fork", "2023-11-14T22:13:20Z"),
            provenance(REPO, "2023-11-14T22:13:20Z"),
        ),
        (
            "sbom",
            "  - type: sbom\n    sbom:\n      bannedCrates: [\"openssl\"]\n".to_string(),
            "",
            CDX,
            sbom("openssl", "0.10.0"),
            sbom("serde", "1.0.0"),
        ),
        (
            "vulns",
            "  - type: vulns\n    vulns:\n      maxSeverity: medium\n".to_string(),
            "",
            VULNS,
            vulns(&["9.8"]),
            vulns(&[]),
        ),
        (
            "sast",
            "  - type: sast\n    sast:\n      maxErrors: 0\n".to_string(),
            "",
            SAST,
            sast(3),
            sast(0),
        ),
        (
            // Rego sees only verified attestations: the sast requirement
            // (generous) makes the attestation necessary, the rule judges it.
            "rego",
            "  - type: sast\n    sast:\n      maxErrors: 100\n".to_string(),
            rego,
            SAST,
            sast(6),
            sast(0),
        ),
        (
            "maxAge",
            format!("  - type: provenance\n    maxAge: 30d\n    provenance:\n      sourceRepositories: [\"{REPO}\"]\n"),
            "",
            PROVENANCE,
            provenance(REPO, "2023-11-14T22:13:20Z"),
            provenance(REPO, &now),
        ),
    ];
    for (label, items, extra, ty, failing, passing) in &cases {
        let policy = g.policy(&format!("req-{label}"), items, extra);
        let good_payload = g.statement(ty, passing);
        let bad_payload = g.statement(ty, failing);
        // Control: the passing statement, really signed, is admitted; the
        // failing one, really signed, is denied.
        g.signed(&format!("{label}-pass.json"), &good_payload);
        let genuine = g.signed(&format!("{label}-fail.json"), &bad_payload);
        expect_admit(
            &g,
            &mut problems,
            &format!("{label}: control (signed passing statement)"),
            &policy,
            &[&format!("{label}-pass.json")],
        );
        expect_deny(
            &g,
            &mut problems,
            &format!("{label}: control (signed failing statement)"),
            &policy,
            &[&format!("{label}-fail.json")],
        );

        let good_b64 = B64.encode(good_payload.as_bytes());
        // 1. The payload swapped for the passing one (the signature is over
        //    the failing one).
        let mut v = genuine.clone();
        v["dsseEnvelope"]["payload"] = json!(good_b64);
        let name = g.write(&format!("{label}-swapped-payload.json"), &compact(&v));
        expect_deny(
            &g,
            &mut problems,
            &format!("{label}: swapped payload"),
            &policy,
            &[&name],
        );
        // 2. A duplicate `payload` key: genuine (failing) and forged (passing).
        for first in [true, false] {
            let text = with_duplicate(
                &genuine,
                &["dsseEnvelope"],
                "payload",
                &json!(good_b64),
                first,
            );
            let name = g.write(&format!("{label}-dup-payload-{first}.json"), &text);
            expect_deny(
                &g,
                &mut problems,
                &format!("{label}: duplicate dsseEnvelope.payload (forged first={first})"),
                &policy,
                &[&name],
            );
        }
        // 3. A duplicate `dsseEnvelope` key with the forged envelope.
        for first in [true, false] {
            let forged_env = json!({"payload": good_b64, "payloadType": INTOTO, "signatures": genuine["dsseEnvelope"]["signatures"]});
            let text = with_duplicate(&genuine, &[], "dsseEnvelope", &forged_env, first);
            let name = g.write(&format!("{label}-dup-envelope-{first}.json"), &text);
            expect_deny(
                &g,
                &mut problems,
                &format!("{label}: duplicate dsseEnvelope (forged first={first})"),
                &policy,
                &[&name],
            );
        }
        // 4. A second, bogus signature over nothing beside the genuine one,
        //    with the passing payload (neither signature covers it).
        let mut v = genuine.clone();
        v["dsseEnvelope"]["payload"] = json!(good_b64);
        v["dsseEnvelope"]["signatures"]
            .as_array_mut()
            .unwrap()
            .push(json!({"sig": B64.encode([1u8; 64]), "keyid": ""}));
        let name = g.write(&format!("{label}-extra-sig.json"), &compact(&v));
        expect_deny(
            &g,
            &mut problems,
            &format!("{label}: passing payload, genuine + bogus signatures"),
            &policy,
            &[&name],
        );
        // 5. Duplicate `predicate` keys inside the signed payload: the
        //    signature is genuine, the meaning depends on the parser.
        let pred_bad = compact(failing);
        let pred_good = compact(passing);
        for (order, a, b) in [
            ("failing-first", &pred_bad, &pred_good),
            ("passing-first", &pred_good, &pred_bad),
        ] {
            let payload = format!(
                r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"app","digest":{{"sha256":"{}"}}}}],"predicateType":"{ty}","predicate":{a},"predicate":{b}}}"#,
                g.sha
            );
            let name = format!("{label}-dup-predicate-{order}.json");
            g.signed(&name, &payload);
            expect_deny(
                &g,
                &mut problems,
                &format!("{label}: duplicate `predicate` in the signed payload ({order})"),
                &policy,
                &[&name],
            );
        }
        // 6. The forged envelope next to a genuine messageSignature by the
        //    trusted tollgate key (the first false admit, per requirement).
        let out = Tollgate::new(g.path())
            .epoch(EPOCH)
            .args([
                "sign",
                "app",
                "--key",
                "cosign.key",
                "--password-file",
                "pw",
                "--bundle",
                &format!("{label}-sig.json"),
            ])
            .run();
        assert!(out.status.success(), "{}", stderr(&out));
        let mut v: Value = serde_json::from_slice(
            &std::fs::read(g.path().join(format!("{label}-sig.json"))).unwrap(),
        )
        .unwrap();
        v["dsseEnvelope"] = json!({"payload": good_b64, "payloadType": INTOTO, "signatures": []});
        let name = g.write(&format!("{label}-sig-plus-forged.json"), &compact(&v));
        expect_deny(
            &g,
            &mut problems,
            &format!("{label}: genuine signature + forged DSSE"),
            &policy,
            &[&name],
        );
    }

    // maxAge: an unverifiable log entry claiming a recent integratedTime on
    // an unlogged keyed bundle (copied from a real bundle, time set to now).
    {
        let (_, items, extra, ty, failing, _) = &cases[5];
        let policy = g.policy("maxage-fake-entry", items, extra);
        let genuine = g.signed("maxage-old.json", &g.statement(ty, failing));
        let real: Value = serde_json::from_slice(
            &std::fs::read(shared().join(
                "conformance/bundle-verify/happy-path-intoto-in-dsse-v3/bundle.sigstore.json",
            ))
            .unwrap(),
        )
        .unwrap();
        let mut entry = real["verificationMaterial"]["tlogEntries"][0].clone();
        entry["integratedTime"] = json!(time_now_unix().to_string());
        let mut v = genuine.clone();
        v["verificationMaterial"]["tlogEntries"] = json!([entry]);
        let name = g.write("maxage-fake-entry.json", &compact(&v));
        expect_deny(
            &g,
            &mut problems,
            "maxAge: forged tlog entry with a recent integratedTime",
            &policy,
            &[&name],
        );
    }

    report("gate: requirements met only by unverified bytes", &problems);
}

/// Predicates read in full: every severity entry of a vulnerability, SAST
/// levels that are not the expected lower-case words. Signed genuinely;
/// the content itself must fail the policy. Issue 13, false admits 3 and 4.
#[test]
fn gate_reads_every_severity_and_every_sast_level() {
    let g = Gate::new();
    let d = g.path();
    let mut problems = Vec::new();
    let vulns_policy = g.policy(
        "vulns",
        "  - type: vulns\n    vulns:\n      maxSeverity: medium\n",
        "",
    );
    for (label, severity) in [
        (
            "low then 9.8",
            json!([{"method": "CVSSv3", "score": "2.0"}, {"method": "CVSSv3", "score": "9.8"}]),
        ),
        (
            "9.8 in CVSSv4 after a CVSSv3 3.1",
            json!([{"method": "CVSSv3", "score": "3.1"}, {"method": "CVSSv4", "score": "9.8"}]),
        ),
        (
            "unparseable score",
            json!([{"method": "CVSSv3", "score": "high"}]),
        ),
        (
            "vector instead of score",
            json!([{"method": "CVSSv3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]),
        ),
    ] {
        let predicate = json!({
            "scanner": {"uri": REPO, "version": "0.1.0", "result": [{"id": "RUSTSEC-2099-0002", "severity": severity}]},
            "metadata": {"scanFinishedOn": "2023-11-14T22:13:20Z"},
        });
        let name = format!("vulns-{}.json", label.replace(' ', "_"));
        g.signed(&name, &g.statement(VULNS, &predicate));
        expect_deny(
            &g,
            &mut problems,
            &format!("vulns: {label}"),
            &vulns_policy,
            &[&name],
        );
        // The same predicate through `tollgate attest --predicate-type` (a
        // tollgate-key signature).
        let pfile = g.write(&format!("{name}.predicate"), &compact(&predicate));
        let bundle = format!("tg-{name}");
        let out = Tollgate::new(d)
            .epoch(EPOCH)
            .args([
                "attest",
                "--predicate-type",
                VULNS,
                "--predicate",
                &pfile,
                "app",
                "--key",
                "cosign.key",
                "--password-file",
                "pw",
                "--bundle",
                &bundle,
            ])
            .run();
        if out.status.success() {
            expect_deny(
                &g,
                &mut problems,
                &format!("vulns (tollgate attest): {label}"),
                &vulns_policy,
                &[&bundle],
            );
        }
    }
    // Duplicate `score` keys inside one severity entry, signed.
    let payload = format!(
        r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"app","digest":{{"sha256":"{}"}}}}],"predicateType":"{VULNS}","predicate":{{"scanner":{{"uri":"{REPO}","result":[{{"id":"RUSTSEC-2099-0003","severity":[{{"method":"CVSSv3","score":"9.8","score":"2.0"}}]}}]}}}}}}"#,
        g.sha
    );
    g.signed("vulns-dup-score.json", &payload);
    expect_deny(
        &g,
        &mut problems,
        "vulns: duplicate score keys (9.8 then 2.0)",
        &vulns_policy,
        &["vulns-dup-score.json"],
    );

    // SAST: SARIF whose results say HIGH / error in properties.severity.
    let sast_policy = g.policy(
        "sast",
        "  - type: sast\n    sast:\n      maxErrors: 0\n",
        "",
    );
    for (label, severity) in [
        ("HIGH", "HIGH"),
        ("error", "error"),
        ("Critical", "Critical"),
    ] {
        let sarif = json!({
            "version": "2.1.0",
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "runs": [{
                "tool": {"driver": {"name": "tollgate", "semanticVersion": "0.1.0", "version": "2026.11.0", "rules": [{"id": "R1"}]}},
                "results": [{"ruleId": "R1", "level": "error", "message": {"text": "injection"}, "properties": {"severity": severity},
                    "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/main.rs"}, "region": {"startLine": 1}}}]}],
            }],
        });
        let file = g.write(&format!("sast-{label}.sarif"), &compact(&sarif));
        let bundle = format!("sast-{label}.json");
        let out = Tollgate::new(d)
            .epoch(EPOCH)
            .args([
                "attest",
                "sast",
                "--sarif",
                &file,
                "app",
                "--key",
                "cosign.key",
                "--password-file",
                "pw",
                "--bundle",
                &bundle,
            ])
            .run();
        if !out.status.success() {
            // Refusing to attest an unreadable severity is fail-closed too.
            continue;
        }
        expect_deny(
            &g,
            &mut problems,
            &format!("sast: SARIF result with properties.severity `{label}`, level error"),
            &sast_policy,
            &[&bundle],
        );
    }
    // A signed SAST predicate whose counts use a level outside the closed set.
    for (label, counts) in [
        (
            "HIGH key",
            json!({"critical": 0, "high": 0, "HIGH": 2, "medium": 0, "low": 0, "note": 0}),
        ),
        (
            "error key",
            json!({"critical": 0, "high": 0, "error": 1, "medium": 0, "low": 0, "note": 0}),
        ),
        (
            "high as string",
            json!({"critical": 0, "high": "5", "medium": 0, "low": 0, "note": 0}),
        ),
        ("no counts", json!(null)),
    ] {
        let mut predicate = sast(0);
        predicate["counts"] = counts;
        let name = format!("sast-counts-{}.json", label.replace(' ', "_"));
        g.signed(&name, &g.statement(SAST, &predicate));
        expect_deny(
            &g,
            &mut problems,
            &format!("sast: signed counts with {label}"),
            &sast_policy,
            &[&name],
        );
    }
    report("gate: predicates read in full", &problems);
}

/// matchBinary: the SBOM attested for a binary must list what cargo
/// auditable recorded in it; a forged payload that does is not enough.
#[test]
fn gate_match_binary_uses_only_the_verified_sbom() {
    let g = Gate::new();
    let d = g.path();
    let mut problems = Vec::new();
    // A real ELF with cargo auditable's section: smallvec 0.6.9 inside.
    let json_dep = r#"{"packages":[{"name":"app","version":"0.1.0","source":"local","dependencies":[1],"root":true},{"name":"smallvec","version":"0.6.9","source":"crates.io"}]}"#;
    let zlib = Command::new("python3")
        .args([
            "-c",
            "import sys, zlib; sys.stdout.buffer.write(zlib.compress(sys.argv[1].encode()))",
            json_dep,
        ])
        .output()
        .unwrap();
    assert!(zlib.status.success());
    std::fs::write(d.join("dep-v0"), zlib.stdout).unwrap();
    std::fs::copy("/bin/true", d.join("bin")).unwrap();
    let ok = Command::new("objcopy")
        .args(["--add-section", ".dep-v0=dep-v0", "bin"])
        .current_dir(d)
        .status()
        .expect("objcopy (binutils) is required");
    assert!(ok.success());
    let sha = hex::encode(Sha256::digest(std::fs::read(d.join("bin")).unwrap()));
    let st = |v: &Value| {
        compact(&json!({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "bin", "digest": {"sha256": sha}}],
            "predicateType": CDX,
            "predicate": v,
        }))
    };
    let honest = st(&sbom("smallvec", "0.6.9"));
    let dishonest = st(&sbom("smallvec", "1.13.2"));
    let policy = g.policy(
        "match",
        "  - type: sbom\n    sbom:\n      matchBinary: true\n",
        "",
    );
    let verify = |bundles: &[&str]| g.verify(&policy, "bin", bundles);
    g.signed("honest.json", &honest);
    let genuine = g.signed("dishonest.json", &dishonest);
    let (code, out) = verify(&["honest.json"]);
    if code != Some(0) {
        problems.push(format!(
            "matchBinary control (signed honest SBOM) not admitted: {out}"
        ));
    }
    let (code, out) = verify(&["dishonest.json"]);
    if code == Some(0) {
        problems.push(format!(
            "matchBinary control (signed wrong SBOM) ADMITTED: {out}"
        ));
    }
    let mut v = genuine.clone();
    v["dsseEnvelope"]["payload"] = json!(B64.encode(honest.as_bytes()));
    g.write("swapped.json", &compact(&v));
    let (code, out) = verify(&["swapped.json"]);
    if code == Some(0) {
        problems.push(format!(
            "matchBinary: swapped (unsigned) payload ADMITTED: {out}"
        ));
    }
    for first in [true, false] {
        let text = with_duplicate(
            &genuine,
            &["dsseEnvelope"],
            "payload",
            &json!(B64.encode(honest.as_bytes())),
            first,
        );
        let name = format!("dup-{first}.json");
        g.write(&name, &text);
        let (code, out) = verify(&[&name]);
        if code == Some(0) {
            problems.push(format!(
                "matchBinary: duplicate payload key (forged first={first}) ADMITTED: {out}"
            ));
        }
    }
    report("gate: matchBinary", &problems);
}

/// A `--bundle` that does not exist or is a directory is an input error
/// (exit 2), even when the other bundles would satisfy the policy; one that
/// reads but is not a bundle is not counted, and the decision names it.
/// Issue 13, false admit 7.
#[test]
fn gate_missing_or_directory_bundle_is_exit_2() {
    let g = Gate::new();
    let d = g.path();
    let mut problems = Vec::new();
    let out = Tollgate::new(d)
        .epoch(EPOCH)
        .args([
            "sign",
            "app",
            "--key",
            "cosign.key",
            "--password-file",
            "pw",
            "--bundle",
            "signed.json",
        ])
        .run();
    assert!(out.status.success(), "{}", stderr(&out));
    let policy = g.policy("sig", "  []\n", "");
    let (code, out) = g.verify(&policy, "app", &["signed.json"]);
    if code != Some(0) {
        problems.push(format!(
            "control: signed file not admitted (exit {code:?}): {out}"
        ));
    }
    std::fs::create_dir(d.join("a-directory")).unwrap();
    std::fs::write(d.join("empty.json"), "").unwrap();
    std::fs::write(d.join("not-json.json"), "this is not a bundle").unwrap();
    for (label, extra) in [
        ("nonexistent path", "does-not-exist.json"),
        ("directory", "a-directory"),
        ("empty file", "empty.json"),
        ("not JSON", "not-json.json"),
    ] {
        for order in [[extra, "signed.json"], ["signed.json", extra]] {
            let (code, out) = g.verify(&policy, "app", &order);
            let must_be_2 = matches!(label, "nonexistent path" | "directory");
            if must_be_2 && code != Some(2) {
                problems.push(format!(
                    "--bundle {label} ({order:?}): exit {code:?}, expected 2: {out}"
                ));
            } else if code == Some(0) && !out.contains(extra) {
                // A file that reads but does not parse is not counted,
                // and the decision must say so (issue 13: every bundle not
                // counted is shown with why); the other bundle may admit.
                problems.push(format!(
                    "--bundle {label} ({order:?}): admitted without naming the bundle not counted: {out}"
                ));
            }
        }
    }
    report("gate: unreadable bundles", &problems);
}

fn time_now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Now as RFC 3339 (UTC, seconds), by the civil-from-days algorithm.
fn time_now_rfc3339() -> String {
    let secs = time_now_unix();
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = if month <= 2 { y + 1 } else { y };
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The gate over a real keyless bundle: the npm provenance of
/// sigstore@3.1.0 (public-good; the subject is the tarball's sha512). The
/// genuine bundle satisfies a policy for sigstore-js; mutants that would
/// satisfy a policy for another repository, or a recent-time policy, only
/// through unverified bytes must be denied.
#[test]
fn gate_over_a_real_keyless_provenance_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut problems = Vec::new();
    std::fs::copy(
        fixtures().join("sigstore-3.1.0.tgz"),
        d.join("sigstore-3.1.0.tgz"),
    )
    .unwrap();
    let genuine: Value = serde_json::from_slice(
        &std::fs::read(fixtures().join("npm-sigstore-3.1.0.sigstore.json")).unwrap(),
    )
    .unwrap();
    std::fs::write(d.join("genuine.json"), compact(&genuine)).unwrap();
    let policy = |name: &str, repo: &str, extra: &str| -> String {
        let text = format!(
            "apiVersion: tollgate.dev/v1\nkind: Policy\nname: {name}\nmode: enforce\nauthorities:\n  - name: sigstore-js-release\n    keyless:\n      issuer: https://token.actions.githubusercontent.com\n      subject: https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main\nthreshold: 1\nattestations:\n  - type: provenance\n{extra}    provenance:\n      sourceRepositories: [\"{repo}\"]\n"
        );
        let file = format!("{name}.policy.yaml");
        std::fs::write(d.join(&file), text).unwrap();
        file
    };
    let verify = |policy: &str, bundle: &str| -> (Option<i32>, String) {
        let out = Tollgate::new(d)
            .epoch(EPOCH)
            .args([
                "verify",
                "sigstore-3.1.0.tgz",
                "--policy",
                policy,
                "--bundle",
                bundle,
            ])
            .run();
        (
            out.status.code(),
            one_line(&format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )),
        )
    };
    let real = policy("real", "https://github.com/sigstore/sigstore-js", "");
    let (code, out) = verify(&real, "genuine.json");
    if code != Some(0) {
        problems.push(format!(
            "control: the genuine npm provenance is not admitted for sigstore-js (exit {code:?}): {out}"
        ));
    }
    let fork = policy("fork", "https://github.com/evil/fork", "");
    let (code, out) = verify(&fork, "genuine.json");
    if code == Some(0) {
        problems.push(format!(
            "control: genuine provenance ADMITTED for another repository: {out}"
        ));
    }
    // The statement rewritten to name the fork (signature over the original).
    let payload = B64
        .decode(genuine["dsseEnvelope"]["payload"].as_str().unwrap())
        .unwrap();
    let forged = String::from_utf8(payload).unwrap().replace(
        "https://github.com/sigstore/sigstore-js",
        "https://github.com/evil/fork",
    );
    let forged_b64 = json!(B64.encode(forged.as_bytes()));
    let mut mutants: Vec<(String, String)> = Vec::new();
    let mut v = genuine.clone();
    v["dsseEnvelope"]["payload"] = forged_b64.clone();
    mutants.push(("payload rewritten".into(), compact(&v)));
    for first in [true, false] {
        mutants.push((
            format!("duplicate payload key (forged first={first})"),
            with_duplicate(&genuine, &["dsseEnvelope"], "payload", &forged_b64, first),
        ));
        let mut env = genuine["dsseEnvelope"].clone();
        env["payload"] = forged_b64.clone();
        mutants.push((
            format!("duplicate dsseEnvelope key (forged first={first})"),
            with_duplicate(&genuine, &[], "dsseEnvelope", &env, first),
        ));
    }
    let mut v = genuine.clone();
    v["dsseEnvelope"]["signatures"]
        .as_array_mut()
        .unwrap()
        .push(json!({"sig": B64.encode([2u8; 71]), "keyid": ""}));
    v["dsseEnvelope"]["payload"] = forged_b64.clone();
    mutants.push((
        "forged payload, genuine + bogus signature".into(),
        compact(&v),
    ));
    for (i, (label, text)) in mutants.iter().enumerate() {
        let name = format!("mutant-{i}.json");
        std::fs::write(d.join(&name), text).unwrap();
        let (code, out) = verify(&fork, &name);
        if code == Some(0) {
            problems.push(format!(
                "npm provenance / {label}: ADMITTED for evil/fork: {out}"
            ));
        }
    }
    // maxAge: signed in February 2025; the entry's time bumped to now is
    // not signed by the SET.
    let young = policy(
        "young",
        "https://github.com/sigstore/sigstore-js",
        "    maxAge: 30d\n",
    );
    let mut v = genuine.clone();
    v["verificationMaterial"]["tlogEntries"][0]["integratedTime"] =
        json!(time_now_unix().to_string());
    std::fs::write(d.join("recent.json"), compact(&v)).unwrap();
    let (code, out) = verify(&young, "recent.json");
    if code == Some(0) {
        problems.push(format!(
            "npm provenance / integratedTime set to now: ADMITTED under maxAge 30d: {out}"
        ));
    }
    let (code, out) = verify(&young, "genuine.json");
    if code == Some(0) {
        problems.push(format!(
            "control: 2025 provenance ADMITTED under maxAge 30d: {out}"
        ));
    }
    report("gate: real npm provenance", &problems);
}

/// Issue 13's first false admit, keyless: a genuine keyless signature
/// (Fulcio certificate, Rekor entry, from the local stand-ins) and a forged
/// unsigned DSSE envelope claiming SAST results beside it, or in a second
/// `dsseEnvelope` key.
#[test]
fn gate_denies_forged_dsse_beside_a_keyless_signature() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mock = support::start_mock(d);
    let mut problems = Vec::new();
    std::fs::write(d.join("app"), b"release binary").unwrap();
    let identity =
        "https://github.com/tollgate-dev/tollgate/.github/workflows/release.yml@refs/heads/main";
    let issuer = "https://token.actions.githubusercontent.com";
    let jwt = support::fake_jwt(json!({"iss": issuer, "sub": identity, "aud": "sigstore"}));
    let out = Tollgate::new(d)
        .epoch(EPOCH)
        .args([
            "sign",
            "app",
            "--identity-token",
            &jwt,
            "--fulcio-url",
            &mock.url,
            "--rekor-url",
            &mock.url,
            "--bundle",
            "signed.json",
        ])
        .run();
    assert!(out.status.success(), "{}", stderr(&out));
    let root = mock.root.display().to_string();
    let policy = |name: &str, items: &str| -> String {
        let text = format!(
            "apiVersion: tollgate.dev/v1\nkind: Policy\nname: {name}\nmode: enforce\nauthorities:\n  - name: release\n    keyless:\n      issuer: {issuer}\n      subject: {identity}\n      trustedRoot: {root}\nthreshold: 1\nattestations:\n{items}"
        );
        let file = format!("{name}.policy.yaml");
        std::fs::write(d.join(&file), text).unwrap();
        file
    };
    let verify = |policy: &str, bundle: &str| -> (Option<i32>, String) {
        let out = Tollgate::new(d)
            .epoch(EPOCH)
            .args(["verify", "app", "--policy", policy, "--bundle", bundle])
            .run();
        (
            out.status.code(),
            one_line(&format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )),
        )
    };
    let sig_only = policy("sig-only", "  []\n");
    let (code, out) = verify(&sig_only, "signed.json");
    if code != Some(0) {
        problems.push(format!(
            "control: keyless signature not admitted (exit {code:?}): {out}"
        ));
    }
    let sast_policy = policy("sast", "  - type: sast\n    sast:\n      maxErrors: 0\n");
    let genuine: Value =
        serde_json::from_slice(&std::fs::read(d.join("signed.json")).unwrap()).unwrap();
    let sha = hex::encode(Sha256::digest(b"release binary"));
    let payload = json!(B64.encode(compact(&statement(&sha, SAST, &sast(0))).as_bytes()));
    let forged_env = json!({"payload": payload, "payloadType": INTOTO, "signatures": [{"sig": genuine["messageSignature"]["signature"], "keyid": ""}]});
    let mut v = genuine.clone();
    v["dsseEnvelope"] = forged_env.clone();
    let mut mutants = vec![("beside".to_string(), compact(&v))];
    for first in [true, false] {
        let mut v = genuine.clone();
        v["dsseEnvelope"] = forged_env.clone();
        mutants.push((
            format!("duplicate dsseEnvelope key (first={first})"),
            with_duplicate(&v, &[], "dsseEnvelope", &forged_env, first),
        ));
    }
    for (i, (label, text)) in mutants.iter().enumerate() {
        let name = format!("forged-{i}.json");
        std::fs::write(d.join(&name), text).unwrap();
        let (code, out) = verify(&sast_policy, &name);
        if code == Some(0) {
            problems.push(format!(
                "keyless signature + forged SAST DSSE ({label}): ADMITTED: {out}"
            ));
        }
        let vb = Tollgate::new(d)
            .epoch(EPOCH)
            .args([
                "verify-bundle",
                "--bundle",
                &name,
                "--certificate-identity",
                identity,
                "--certificate-oidc-issuer",
                issuer,
                "--trusted-root",
                &root,
                "app",
            ])
            .run();
        if vb.status.success() {
            problems.push(format!(
                "verify-bundle keyless signature + forged DSSE ({label}): ACCEPTED"
            ));
        }
    }
    report("gate: forged DSSE beside a keyless signature", &problems);
}
