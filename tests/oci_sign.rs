//! Image signing against a real registry: Debian's `docker-registry`
//! started on 127.0.0.1 (a free port, its own storage directory), an image
//! built with `umoci` and pushed with `skopeo`. Sign, then verify back from
//! the registry; a wrong key, a tag moved to another image, and plain HTTP
//! without `--allow-insecure-registry` are rejected. Keyless image signing
//! uses the local Fulcio/Rekor stand-in, and the bundle pushed as a
//! referrer verifies as a Sigstore bundle on its own.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use crate::support::{self, push_image, start_registry, tollgate};

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn keyed_image_signing_round_trip_and_tamper() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let registry = start_registry(d);
    push_image(d, &registry, "demo/app:v1", "version one");
    std::fs::write(d.join("pw"), "pw").unwrap();
    assert!(tollgate(&["key", "generate", "--password-file", "pw"], d)
        .status
        .success());
    std::fs::create_dir(d.join("other")).unwrap();
    assert!(tollgate(
        &["key", "generate", "--password-file", "../pw"],
        &d.join("other")
    )
    .status
    .success());
    let image = format!("{}/demo/app:v1", registry.host);

    let plain = tollgate(
        &[
            "sign",
            &image,
            "--key",
            "cosign.key",
            "--password-file",
            "pw",
        ],
        d,
    );
    assert_eq!(
        plain.status.code(),
        Some(2),
        "plain HTTP needs --allow-insecure-registry"
    );

    let signed = tollgate(
        &[
            "sign",
            &image,
            "--key",
            "cosign.key",
            "--password-file",
            "pw",
            "--allow-insecure-registry",
        ],
        d,
    );
    assert!(signed.status.success(), "{}", err(&signed));
    let result: serde_json::Value = serde_json::from_slice(&signed.stdout).unwrap();
    let digest = result["digest"].as_str().unwrap().to_string();
    assert!(digest.starts_with("sha256:"));
    assert_eq!(
        result["signature_tag"],
        format!("{}.sig", digest.replace(':', "-"))
    );
    assert_eq!(
        result["referrers_fallback"], true,
        "distribution 2.8 has no referrers API"
    );

    let ok = tollgate(
        &[
            "verify-image",
            &image,
            "--key",
            "cosign.pub",
            "--allow-insecure-registry",
        ],
        d,
    );
    assert!(ok.status.success(), "{}", err(&ok));
    let verified: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(
        (
            verified["signatures"].as_u64(),
            verified["bundles"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let by_digest = tollgate(
        &[
            "verify-image",
            &format!("{}/demo/app@{digest}", registry.host),
            "--key",
            "cosign.pub",
            "--allow-insecure-registry",
        ],
        d,
    );
    assert!(by_digest.status.success());

    let wrong = tollgate(
        &[
            "verify-image",
            &image,
            "--key",
            "other/cosign.pub",
            "--allow-insecure-registry",
        ],
        d,
    );
    assert_eq!(wrong.status.code(), Some(1), "wrong key");

    // The deploy gate: an image signed with `tollgate sign` alone satisfies
    // a policy that asks only for a signature (the bundle referrer signs the
    // simple-signing payload, which names the digest); another key does not.
    let signature_policy = |key: &str| {
        let pem = std::fs::read_to_string(d.join(key)).unwrap();
        let indented: String = pem.lines().map(|l| format!("      {l}\n")).collect();
        format!("apiVersion: tollgate.dev/v1\nkind: Policy\nname: signed\nauthorities:\n  - name: k\n    key: |\n{indented}    allowUnlogged: true\n")
    };
    std::fs::write(d.join("sig-policy.yaml"), signature_policy("cosign.pub")).unwrap();
    std::fs::write(
        d.join("other-policy.yaml"),
        signature_policy("other/cosign.pub"),
    )
    .unwrap();
    let gate = |policy: &str| {
        tollgate(
            &[
                "verify",
                &image,
                "--policy",
                policy,
                "--allow-insecure-registry",
            ],
            d,
        )
    };
    let admitted = gate("sig-policy.yaml");
    assert_eq!(
        admitted.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&admitted.stdout),
        err(&admitted)
    );
    let denied = gate("other-policy.yaml");
    assert_eq!(denied.status.code(), Some(1), "{}", err(&denied));

    // The tag now points at another image: the signature was for the old digest.
    push_image(d, &registry, "demo/app:v1", "version two, swapped in");
    let moved = tollgate(
        &[
            "verify-image",
            &image,
            "--key",
            "cosign.pub",
            "--allow-insecure-registry",
        ],
        d,
    );
    assert_eq!(
        moved.status.code(),
        Some(1),
        "a moved tag must not verify: {}",
        err(&moved)
    );
    let moved_gate = gate("sig-policy.yaml");
    assert_eq!(
        moved_gate.status.code(),
        Some(1),
        "the gate must not admit the image a moved tag points at: {}",
        String::from_utf8_lossy(&moved_gate.stdout)
    );

    let far = tollgate(
        &[
            "verify-image",
            "registry.example.com/app:v1",
            "--key",
            "cosign.pub",
            "--allow-insecure-registry",
        ],
        d,
    );
    assert_eq!(far.status.code(), Some(2));
    assert!(
        err(&far).contains("only for a registry on a loopback address"),
        "{}",
        err(&far)
    );
}

#[test]
fn keyless_image_signing_pushes_a_verifiable_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let registry = start_registry(d);
    push_image(d, &registry, "demo/svc:1.0", "service");
    let mock = support::start_mock(d);
    let (url, root) = (mock.url.clone(), mock.root.clone());
    let identity =
        "https://github.com/tollgate-dev/tollgate/.github/workflows/release.yml@refs/heads/main";
    let issuer = "https://token.actions.githubusercontent.com";
    let jwt = support::fake_jwt(serde_json::json!({"iss": issuer, "sub": identity}));

    let image = format!("{}/demo/svc:1.0", registry.host);
    let signed = tollgate(
        &[
            "sign",
            &image,
            "--identity-token",
            &jwt,
            "--fulcio-url",
            &url,
            "--rekor-url",
            &url,
            "--allow-insecure-registry",
        ],
        d,
    );
    assert!(signed.status.success(), "{}", err(&signed));
    let digest = serde_json::from_slice::<serde_json::Value>(&signed.stdout).unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_string();

    // A keyless attestation attached next to it, admitted by a policy that
    // trusts the private instance's root.
    std::fs::write(d.join("review.json"), br#"{"reviewed": true}"#).unwrap();
    let attested = tollgate(
        &[
            "attest",
            "--predicate-type",
            "https://example.com/review/v1",
            "--predicate",
            "review.json",
            "--attach",
            &image,
            "--identity-token",
            &jwt,
            "--fulcio-url",
            &url,
            "--rekor-url",
            &url,
            "--trusted-root",
            root.to_str().unwrap(),
            "--allow-insecure-registry",
        ],
        d,
    );
    drop(mock);
    assert!(attested.status.success(), "{}", err(&attested));
    std::fs::write(
        d.join("policy.yaml"),
        format!("apiVersion: tollgate.dev/v1\nkind: Policy\nname: private\nauthorities:\n  - name: release\n    keyless:\n      issuer: {issuer}\n      subject: {identity}\n      trustedRoot: {}\nattestations:\n  - type: https://example.com/review/v1\n", root.display()),
    )
    .unwrap();
    let admitted = tollgate(
        &[
            "verify",
            &image,
            "--policy",
            "policy.yaml",
            "--allow-insecure-registry",
        ],
        d,
    );
    assert_eq!(
        admitted.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&admitted.stdout),
        err(&admitted)
    );

    // Read the referrer back over the registry API, as any client would.
    let get = |path: &str, accept: &str| -> Vec<u8> {
        let out = Command::new("curl")
            .args([
                "-sf",
                "-H",
                &format!("Accept: {accept}"),
                &format!("http://{}/v2/demo/svc/{path}", registry.host),
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "GET {path}");
        out.stdout
    };
    let index: serde_json::Value = serde_json::from_slice(&get(
        &format!("manifests/{}", digest.replace(':', "-")),
        "application/vnd.oci.image.index.v1+json",
    ))
    .unwrap();
    let referrer_digest = index["manifests"][0]["digest"].as_str().unwrap();
    assert_eq!(
        index["manifests"][0]["artifactType"],
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    );
    let referrer: serde_json::Value = serde_json::from_slice(&get(
        &format!("manifests/{referrer_digest}"),
        "application/vnd.oci.image.manifest.v1+json",
    ))
    .unwrap();
    assert_eq!(referrer["subject"]["digest"], digest);
    let layer = |i: usize| {
        referrer["layers"][i]["digest"]
            .as_str()
            .unwrap()
            .to_string()
    };
    std::fs::write(
        d.join("bundle.json"),
        get(&format!("blobs/{}", layer(0)), "*/*"),
    )
    .unwrap();
    std::fs::write(
        d.join("payload.json"),
        get(&format!("blobs/{}", layer(1)), "*/*"),
    )
    .unwrap();
    let payload: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("payload.json")).unwrap()).unwrap();
    assert_eq!(
        payload["critical"]["image"]["docker-manifest-digest"],
        digest
    );

    let verified = tollgate(
        &[
            "verify-bundle",
            "--bundle",
            "bundle.json",
            "--certificate-identity",
            identity,
            "--certificate-oidc-issuer",
            issuer,
            "--trusted-root",
            root.to_str().unwrap(),
            "payload.json",
        ],
        d,
    );
    assert!(verified.status.success(), "{}", err(&verified));

    // cosign's annotations carry the certificate and the Rekor bundle.
    let sig: serde_json::Value = serde_json::from_slice(&get(
        &format!("manifests/{}.sig", digest.replace(':', "-")),
        "application/vnd.oci.image.manifest.v1+json",
    ))
    .unwrap();
    let annotations = &sig["layers"][0]["annotations"];
    assert!(annotations["dev.cosignproject.cosign/signature"].is_string());
    assert!(annotations["dev.sigstore.cosign/certificate"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(annotations["dev.sigstore.cosign/bundle"]
        .as_str()
        .unwrap()
        .contains("SignedEntryTimestamp"));

    // The `.att` layer carries the same for the attestation.
    let att: serde_json::Value = serde_json::from_slice(&get(
        &format!("manifests/{}.att", digest.replace(':', "-")),
        "application/vnd.oci.image.manifest.v1+json",
    ))
    .unwrap();
    let annotations = &att["layers"][0]["annotations"];
    assert_eq!(
        att["layers"][0]["mediaType"],
        "application/vnd.dsse.envelope.v1+json"
    );
    assert_eq!(
        annotations["predicateType"],
        "https://example.com/review/v1"
    );
    assert!(annotations["dev.sigstore.cosign/certificate"].is_string());
    assert!(annotations["dev.sigstore.cosign/bundle"]
        .as_str()
        .unwrap()
        .contains("SignedEntryTimestamp"));
}

#[test]
fn attestations_attach_to_images() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let registry = start_registry(d);
    push_image(d, &registry, "demo/att:1", "attested image");
    std::fs::write(d.join("pw"), "pw").unwrap();
    assert!(tollgate(&["key", "generate", "--password-file", "pw"], d)
        .status
        .success());
    std::fs::write(d.join("review.json"), r#"{"approved": true}"#).unwrap();
    let image = format!("{}/demo/att:1", registry.host);
    let out = tollgate(
        &[
            "attest",
            "--predicate-type",
            "https://example.com/review/v1",
            "--predicate",
            "review.json",
            "--attach",
            &image,
            "--key",
            "cosign.key",
            "--password-file",
            "pw",
            "--allow-insecure-registry",
        ],
        d,
    );
    assert!(out.status.success(), "{}", err(&out));
    let attached: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let digest = attached["image"]
        .as_str()
        .unwrap()
        .split_once('@')
        .unwrap()
        .1
        .to_string();
    assert_eq!(
        attached["attestation_tag"],
        format!("{}.att", digest.replace(':', "-"))
    );

    let get = |path: &str, accept: &str| -> Vec<u8> {
        let out = Command::new("curl")
            .args([
                "-sf",
                "-H",
                &format!("Accept: {accept}"),
                &format!("http://{}/v2/demo/att/{path}", registry.host),
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "GET {path}");
        out.stdout
    };
    let att: serde_json::Value = serde_json::from_slice(&get(
        &format!("manifests/{}.att", digest.replace(':', "-")),
        "application/vnd.oci.image.manifest.v1+json",
    ))
    .unwrap();
    assert_eq!(
        att["layers"][0]["mediaType"],
        "application/vnd.dsse.envelope.v1+json"
    );
    assert_eq!(
        att["layers"][0]["annotations"]["predicateType"],
        "https://example.com/review/v1"
    );
    let index: serde_json::Value = serde_json::from_slice(&get(
        &format!("manifests/{}", digest.replace(':', "-")),
        "application/vnd.oci.image.index.v1+json",
    ))
    .unwrap();
    let referrer: serde_json::Value = serde_json::from_slice(&get(
        &format!(
            "manifests/{}",
            index["manifests"][0]["digest"].as_str().unwrap()
        ),
        "application/vnd.oci.image.manifest.v1+json",
    ))
    .unwrap();
    assert_eq!(referrer["subject"]["digest"], digest);
    std::fs::write(
        d.join("att.sigstore.json"),
        get(
            &format!(
                "blobs/{}",
                referrer["layers"][0]["digest"].as_str().unwrap()
            ),
            "*/*",
        ),
    )
    .unwrap();
    let verified = tollgate(
        &[
            "verify-bundle",
            "--key",
            "cosign.pub",
            "--insecure-ignore-tlog",
            "--bundle",
            "att.sigstore.json",
            &digest,
        ],
        d,
    );
    assert!(
        verified.status.success(),
        "the attestation names the image digest: {}",
        err(&verified)
    );
    // The library view the verifier uses: bundles attached to this digest.
    let options = tollgate_attest::oci::RegistryOptions {
        allow_insecure: true,
        ..Default::default()
    };
    let (resolved, bundles) = tollgate_attest::oci::attached_bundles(&image, &options).unwrap();
    assert_eq!(resolved, digest);
    assert_eq!(bundles.len(), 1);
    let bundle: serde_json::Value = serde_json::from_slice(&bundles[0].bytes).unwrap();
    assert_eq!(
        bundle["dsseEnvelope"]["payloadType"],
        "application/vnd.in-toto+json"
    );
    assert!(bundles[0].signed_payload.is_none());
    // The deploy gate admits the image from the attestation in its registry.
    let pem = std::fs::read_to_string(d.join("cosign.pub")).unwrap();
    let indented: String = pem.lines().map(|l| format!("      {l}\n")).collect();
    let policy = |requirement: &str| {
        format!("apiVersion: tollgate.dev/v1\nkind: Policy\nname: images\nauthorities:\n  - name: k\n    key: |\n{indented}    allowUnlogged: true\nattestations:\n  - type: {requirement}\n")
    };
    std::fs::write(
        d.join("review-policy.yaml"),
        policy("https://example.com/review/v1"),
    )
    .unwrap();
    std::fs::write(d.join("provenance-policy.yaml"), policy("provenance")).unwrap();
    let admit = tollgate(
        &[
            "verify",
            &image,
            "--policy",
            "review-policy.yaml",
            "--allow-insecure-registry",
        ],
        d,
    );
    assert_eq!(
        admit.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&admit.stdout),
        err(&admit)
    );
    // Another spelling of the loopback registry is the same image, reached
    // the same way as the webhook reaches it (red team rt59: the CLI gate
    // refused `LOCALHOST:PORT/..` that the webhook admitted).
    let port = registry.host.rsplit_once(':').unwrap().1;
    let shouted = format!("LOCALHOST:{port}/demo/att:1");
    let admit = tollgate(
        &[
            "verify",
            &shouted,
            "--policy",
            "review-policy.yaml",
            "--allow-insecure-registry",
        ],
        d,
    );
    assert_eq!(admit.status.code(), Some(0), "{shouted}: {}", err(&admit));
    let deny = tollgate(
        &[
            "verify",
            &image,
            "--policy",
            "provenance-policy.yaml",
            "--allow-insecure-registry",
        ],
        d,
    );
    assert_eq!(deny.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&deny.stdout).contains("missing"),
        "{}",
        String::from_utf8_lossy(&deny.stdout)
    );

    let other = format!("sha256:{}", "0".repeat(64));
    assert_eq!(
        tollgate(
            &[
                "verify-bundle",
                "--key",
                "cosign.pub",
                "--insecure-ignore-tlog",
                "--bundle",
                "att.sigstore.json",
                &other
            ],
            d
        )
        .status
        .code(),
        Some(1),
        "attestation for a different digest"
    );
}

/// `tollgate admission serve` on a free port with a fresh certificate; killed on drop.
struct Webhook {
    child: std::process::Child,
    url: String,
    ca: PathBuf,
}

impl Drop for Webhook {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `tollgate admission serve` with a fresh server certificate and
/// `extra` arguments; does not wait for it to answer.
fn spawn_webhook(d: &Path, policy: &str, extra: &[&str]) -> Webhook {
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    std::fs::write(d.join("tls.crt"), cert.cert.pem()).unwrap();
    std::fs::write(d.join("tls.key"), cert.signing_key.serialize_pem()).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args([
            "admission",
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--tls-cert",
            "tls.crt",
            "--tls-key",
            "tls.key",
            "--policy",
            policy,
            "--decision-log",
            "admission.jsonl",
            "--allow-insecure-registry",
        ])
        .args(extra)
        .current_dir(d)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Webhook {
        child,
        url: format!("https://localhost:{port}"),
        ca: d.join("tls.crt"),
    }
}

fn start_webhook(d: &Path, policy: &str) -> Webhook {
    let hook = spawn_webhook(d, policy, &[]);
    for _ in 0..100 {
        let ok = Command::new("curl")
            .args(["-sf", "--cacert"])
            .arg(&hook.ca)
            .arg(format!("{}/healthz", hook.url))
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if ok {
            return hook;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("the webhook did not come up");
}

/// POST an AdmissionReview; returns (HTTP status, body, seconds taken).
fn admit(hook: &Webhook, body: &str, query: &str) -> (u16, serde_json::Value, f64) {
    admit_at(hook, "/validate", body, query)
}

/// POST an AdmissionReview to `endpoint` (`/validate` or `/mutate`).
fn admit_at(
    hook: &Webhook,
    endpoint: &str,
    body: &str,
    query: &str,
) -> (u16, serde_json::Value, f64) {
    let start = std::time::Instant::now();
    let out = Command::new("curl")
        .args(["-s", "-o", "-", "-w", "\n%{http_code}", "--cacert"])
        .arg(&hook.ca)
        .args([
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            "@-",
            &format!("{}{endpoint}{query}", hook.url),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(body.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (json, code) = text.rsplit_once('\n').unwrap();
    (
        code.trim().parse().unwrap(),
        serde_json::from_str(json).unwrap_or(serde_json::Value::Null),
        start.elapsed().as_secs_f64(),
    )
}

fn capture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/k8s/admission-requests")
        .join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (required from ../shared)", path.display()))
}

#[test]
fn admission_webhook_over_tls_with_real_captures() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let registry = start_registry(d);
    push_image(d, &registry, "demo/attested:1", "attested");
    push_image(d, &registry, "demo/unsigned:1", "never signed");
    std::fs::write(d.join("pw"), "pw").unwrap();
    assert!(tollgate(&["key", "generate", "--password-file", "pw"], d)
        .status
        .success());
    std::fs::write(d.join("review.json"), r#"{"approved": true}"#).unwrap();
    let attested = format!("{}/demo/attested:1", registry.host);
    let unsigned = format!("{}/demo/unsigned:1", registry.host);
    let out = tollgate(
        &[
            "attest",
            "--predicate-type",
            "https://example.com/review/v1",
            "--predicate",
            "review.json",
            "--attach",
            &attested,
            "--key",
            "cosign.key",
            "--password-file",
            "pw",
            "--allow-insecure-registry",
        ],
        d,
    );
    assert!(out.status.success(), "{}", err(&out));
    let pem = std::fs::read_to_string(d.join("cosign.pub")).unwrap();
    let indented: String = pem.lines().map(|l| format!("      {l}\n")).collect();
    std::fs::write(d.join("policy.yaml"), format!("apiVersion: tollgate.dev/v1\nkind: Policy\nname: cluster\nauthorities:\n  - name: release\n    key: |\n{indented}    allowUnlogged: true\nattestations:\n  - type: https://example.com/review/v1\n")).unwrap();
    let hook = start_webhook(d, "policy.yaml");

    // A Pod (v1) with the attested image: allowed, uid echoed.
    let pod = capture("02_pod.json").replace("securesystemsengineering/charlie-image@sha256:91ac9b26df583762234c1cdb2fc930364754ccc59bc752a2bfe298d2ea68f9ff", &attested);
    let (code, body, _) = admit(&hook, &pod, "?timeout=10s");
    assert_eq!(code, 200);
    let uid: serde_json::Value =
        serde_json::from_str::<serde_json::Value>(&pod).unwrap()["request"]["uid"].clone();
    assert_eq!(body["response"]["uid"], uid);
    assert_eq!(body["response"]["allowed"], true, "{body}");

    // A Deployment (v1beta1) with several images, one unsigned: denied, naming it.
    let multi = capture("09_dply_multi_image.json")
        .replace("redis:alpine", &attested)
        .replace("mysql:8", &unsigned)
        .replace("busybox:1.32", &attested);
    let (_, body, _) = admit(&hook, &multi, "?timeout=10s");
    assert_eq!(body["apiVersion"], "admission.k8s.io/v1beta1");
    assert_eq!(body["response"]["allowed"], false);
    let message = body["response"]["status"]["message"].as_str().unwrap();
    assert!(
        message.contains(&unsigned) && message.contains("no valid signature"),
        "{message}"
    );

    // A CronJob's template image.
    let cron = capture("04_cronjob.json").replace("\"busybox\"", &format!("\"{attested}\""));
    assert_eq!(admit(&hook, &cron, "").1["response"]["allowed"], true);

    // Null and broken requests: 400 with a reason.
    let (code, body, _) = admit(&hook, &capture("25_null_request.json"), "");
    assert_eq!(code, 400, "{body}");
    assert!(body["error"].as_str().unwrap().contains("no request"));
    assert_eq!(admit(&hook, "{not json", "").0, 400);

    // Registry unreachable: denied with a reason, quickly.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let gone = pod.replace(&attested, &format!("127.0.0.1:{closed}/demo/gone:1"));
    let (_, body, secs) = admit(&hook, &gone, "?timeout=10s");
    assert_eq!(body["response"]["allowed"], false);
    assert!(
        body["response"]["status"]["message"]
            .as_str()
            .unwrap()
            .contains("registry unreachable or failing, not verified"),
        "{body}"
    );
    assert!(secs < 8.0);

    // Registry slower than the deadline: a listener that never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let slow = pod.replace(
        &attested,
        &format!("{}/demo/slow:1", silent.local_addr().unwrap()),
    );
    let (code, body, secs) = admit(&hook, &slow, "?timeout=2s");
    assert_eq!(code, 200);
    assert_eq!(body["response"]["allowed"], false, "fail closed: {body}");
    assert!(
        body["response"]["status"]["message"]
            .as_str()
            .unwrap()
            .contains("did not finish within"),
        "{body}"
    );
    assert!(
        secs < 2.0,
        "answered within the apiserver's timeout ({secs:.2}s)"
    );
    drop(silent);

    // Warm cache and metrics.
    admit(&hook, &pod, "");
    let metrics = Command::new("curl")
        .args(["-sf", "--cacert"])
        .arg(&hook.ca)
        .arg(format!("{}/metrics", hook.url))
        .output()
        .unwrap();
    let metrics = String::from_utf8_lossy(&metrics.stdout);
    assert!(
        metrics.contains("tollgate_admission_decisions_total{result=\"allow\"}"),
        "{metrics}"
    );
    let hits: u64 = metrics
        .lines()
        .find(|l| l.starts_with("tollgate_admission_cache_hits_total "))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(hits >= 1, "{metrics}");

    // Every decision was logged, and the chain verifies.
    drop(hook);
    let log = tollgate(&["log", "verify", "admission.jsonl"], d);
    assert!(log.status.success(), "{}", err(&log));
}

/// `tollgate ci --image`: the demo attested in the registry; the vulnerable
/// build is denied by the gate and by the webhook, the fixed one admitted
/// by both.
#[test]
fn ci_attests_an_image_and_the_webhook_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let registry = start_registry(d);
    push_image(d, &registry, "demo/shop:0.1.0", "vulnerable build");
    push_image(d, &registry, "demo/shop:0.2.0", "fixed build, v2");
    let db = support::advisory_db();
    let ci = |variant: &str, tag: &str| {
        let image = format!("{}/demo/shop:{tag}", registry.host);
        let out = tollgate(
            &[
                "ci",
                "--demo",
                variant,
                "--out",
                variant,
                "--image",
                &image,
                "--allow-insecure-registry",
                "--advisory-db",
                db.to_str().unwrap(),
                "--format",
                "json",
            ],
            d,
        );
        let summary: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", err(&out)));
        (out.status.code(), summary, image)
    };
    let (code, summary, vulnerable) = ci("vulnerable", "0.1.0");
    assert_eq!(code, Some(1));
    // Both subjects, the archive and the image, are denied for the same reasons.
    for subject in summary["subjects"].as_array().unwrap() {
        let failed: Vec<&str> = subject["failed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["requirement"].as_str().unwrap())
            .collect();
        assert_eq!(
            failed,
            ["attestation vulns", "attestation sast"],
            "{subject}"
        );
    }
    assert_eq!(summary["subjects"][1]["subject"], vulnerable.as_str());
    let (code, summary, fixed) = ci("fixed", "0.2.0");
    assert_eq!(code, Some(0), "{summary}");
    assert_eq!(summary["subjects"][1]["allowed"], true);

    // The webhook, with the fixed run's policy and key, admits the fixed
    // image and denies the vulnerable one (whose signer it does not trust).
    let hook = start_webhook(d, "fixed/policy.yaml");
    let pod = |image: &str| {
        capture("02_pod.json").replace("securesystemsengineering/charlie-image@sha256:91ac9b26df583762234c1cdb2fc930364754ccc59bc752a2bfe298d2ea68f9ff", image)
    };
    let (_, body, _) = admit(&hook, &pod(&fixed), "?timeout=10s");
    assert_eq!(body["response"]["allowed"], true, "{body}");

    // /mutate admits it too, pinning the tag to the digest it verified.
    let (_, body, _) = admit_at(&hook, "/mutate", &pod(&fixed), "?timeout=10s");
    assert_eq!(body["response"]["patchType"], "JSONPatch", "{body}");
    use base64::Engine;
    let patch: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(body["response"]["patch"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    let pinned = summary["subjects"][1]["digest"].as_str().unwrap();
    assert_eq!(patch[0]["op"], "replace");
    assert_eq!(patch[0]["path"], "/spec/containers/0/image");
    assert_eq!(patch[0]["value"], format!("{fixed}@{pinned}"));
    // The pinned reference is admitted, the second time from the cache
    // without the registry. (Decisions are cached per spelling, since a
    // policy may read the reference: the first pinned review is not
    // answered by the tag's decision.)
    let pinned_image = format!("{fixed}@{pinned}");
    let hits = |hook: &Webhook| -> u64 {
        let out = Command::new("curl")
            .args(["-s", "--cacert"])
            .arg(&hook.ca)
            .arg(format!("{}/metrics", hook.url))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("tollgate_admission_cache_hits_total "))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    let before = hits(&hook);
    for _ in 0..2 {
        let (_, body, _) = admit(&hook, &pod(&pinned_image), "?timeout=10s");
        assert_eq!(body["response"]["allowed"], true, "{body}");
    }
    assert_eq!(
        hits(&hook),
        before + 1,
        "the second pinned review came from the cache"
    );
    // A denied image gets no patch.
    let (_, body, _) = admit_at(&hook, "/mutate", &pod(&vulnerable), "?timeout=10s");
    assert_eq!(body["response"]["allowed"], false);
    assert!(body["response"].get("patch").is_none());
    let (_, body, _) = admit(&hook, &pod(&vulnerable), "?timeout=10s");
    assert_eq!(body["response"]["allowed"], false, "{body}");

    // With the vulnerable run's own policy, its image is signed by a
    // trusted key and still denied: for its vulnerabilities and SAST errors.
    let own = d.join("own");
    std::fs::create_dir(&own).unwrap();
    let hook = start_webhook(&own, "../vulnerable/policy.yaml");
    let (_, body, _) = admit(&hook, &pod(&vulnerable), "?timeout=10s");
    assert_eq!(body["response"]["allowed"], false, "{body}");
    let message = body["response"]["status"]["message"].as_str().unwrap();
    assert!(
        message.contains("RUSTSEC-") && message.contains("SAST"),
        "{message}"
    );
}

/// With `--client-ca`, only clients with a certificate from that CA (the
/// apiserver) get an answer; without a certificate, or with one from
/// another CA, the TLS handshake fails.
#[test]
fn admission_webhook_requires_client_certificates_with_client_ca() {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ca = |name: &str| {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        std::fs::write(d.join(format!("{name}.pem")), cert.pem()).unwrap();
        (params, key)
    };
    let client = |issuer: &(CertificateParams, KeyPair), name: &str| {
        let params = CertificateParams::new(vec!["kube-apiserver".to_string()]).unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = params
            .signed_by(&key, &Issuer::from_params(&issuer.0, &issuer.1))
            .unwrap();
        std::fs::write(d.join(format!("{name}.crt")), cert.pem()).unwrap();
        std::fs::write(d.join(format!("{name}.key")), key.serialize_pem()).unwrap();
    };
    let apiserver_ca = ca("apiserver-ca");
    let other_ca = ca("other-ca");
    client(&apiserver_ca, "apiserver");
    client(&other_ca, "intruder");

    std::fs::write(d.join("policy.yaml"), "apiVersion: tollgate.dev/v1\nkind: Policy\nname: p\nauthorities:\n  - name: k\n    keyless:\n      github:\n        repository: a/b\n").unwrap();
    let hook = spawn_webhook(d, "policy.yaml", &["--client-ca", "apiserver-ca.pem"]);
    let get = |cert: Option<&str>| {
        let mut cmd = Command::new("curl");
        cmd.current_dir(d)
            .args(["-sf", "--cacert", "tls.crt"])
            .arg(format!("{}/healthz", hook.url));
        if let Some(name) = cert {
            cmd.args([
                "--cert",
                &format!("{name}.crt"),
                "--key",
                &format!("{name}.key"),
            ]);
        }
        cmd.output().map(|o| o.status.success()).unwrap_or(false)
    };
    let mut up = false;
    for _ in 0..100 {
        if get(Some("apiserver")) {
            up = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(up, "the webhook did not answer the apiserver's certificate");
    assert!(!get(None), "answered without a client certificate");
    assert!(
        !get(Some("intruder")),
        "answered a certificate from another CA"
    );
}

#[test]
fn ci_attests_an_image_keylessly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let registry = start_registry(d);
    push_image(d, &registry, "svc/api:1.0", "keyless build");
    let mock = support::start_mock(d);
    support::cargo_project(&d.join("svc"));
    let identity =
        "https://github.com/tollgate-dev/tollgate/.github/workflows/release.yml@refs/heads/main";
    let issuer = "https://token.actions.githubusercontent.com";
    std::fs::write(
        d.join("policy.yaml"),
        format!("apiVersion: tollgate.dev/v1\nkind: Policy\nname: keyless\nauthorities:\n  - name: release\n    keyless:\n      issuer: {issuer}\n      subject: {identity}\n      trustedRoot: {}\nattestations:\n  - type: provenance\n  - type: sbom\n  - type: vulns\n  - type: sast\n", mock.root.display()),
    )
    .unwrap();
    let image = format!("{}/svc/api:1.0", registry.host);
    let token = support::fake_jwt(serde_json::json!({"iss": issuer, "sub": identity}));
    let out = support::ci_keyless(
        d,
        &mock,
        &token,
        &[
            "svc",
            "--image",
            &image,
            "--allow-insecure-registry",
            "--policy",
            "policy.yaml",
            "--out",
            "out",
        ],
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", err(&out)));
    assert_eq!(out.status.code(), Some(0), "{summary}");
    assert_eq!(summary["signing"], "keyless");
    assert_eq!(summary["subjects"][0]["subject"], image.as_str());
    assert_eq!(summary["subjects"][0]["allowed"], true, "{summary}");

    // The gate alone, later, reads the same four attestations from the registry.
    let verified = tollgate(
        &[
            "verify",
            &image,
            "--policy",
            "policy.yaml",
            "--allow-insecure-registry",
        ],
        d,
    );
    assert_eq!(verified.status.code(), Some(0), "{}", err(&verified));
}
