//! The admission webhook under faults, load and change, against real
//! components: Debian's `docker-registry` on 127.0.0.1, a fault-injecting
//! proxy in front of it (`tests/fault_registry_proxy.py`: silent after
//! accept, slow, 5xx, truncated bodies, garbage referrers, HEAD and GET
//! that disagree), `tollgate admission serve` over TLS, and the real
//! AdmissionReview captures in `../shared/k8s/admission-requests/`.
//!
//! Every fault must be a deny, answered before the apiserver's timeout; a
//! registry that recovers admits again (an outage is not a verdict); the
//! server's thread count stays flat over 1,000 reviews against a silent
//! registry; a policy directory swapped the way Kubernetes swaps a
//! ConfigMap volume takes effect, and an invalid one keeps the old policy.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use crate::support::{self, succeeded, tollgate};

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn require(tool: &str) {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        found,
        "{tool} is required (scripts/test installs docker-registry, skopeo, umoci, curl, python3)"
    );
}

/// A child process killed on drop.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(host: &str) {
    for _ in 0..200 {
        if std::net::TcpStream::connect(host).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nothing listens on {host}");
}

fn start_registry(dir: &Path) -> (Proc, String) {
    require("docker-registry");
    let port = free_port();
    let storage = dir.join("registry-storage");
    std::fs::create_dir_all(&storage).unwrap();
    let config = dir.join("registry.yml");
    std::fs::write(&config, format!("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n", storage.display())).unwrap();
    let child = Command::new("docker-registry")
        .arg("serve")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let host = format!("127.0.0.1:{port}");
    let proc = Proc(child);
    wait_for_port(&host);
    (proc, host)
}

/// A registry with `demo/signed:1` (attested with the test key) and
/// `demo/evil:1` (not), and the fault proxy in front of it.
struct Fixture {
    dir: tempfile::TempDir,
    _registry: Proc,
    _proxy: Proc,
    /// The registry's own `host:port` (pushes go there directly).
    registry: String,
    /// The proxy's `host:port`: what the webhook is told about.
    proxy: String,
    control: PathBuf,
    public_key: String,
}

impl Fixture {
    fn new() -> Fixture {
        require("python3");
        require("curl");
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let (registry, host) = start_registry(d);
        support::push_image_to(d, &host, "demo/signed:1", "signed");
        support::push_image_to(d, &host, "demo/evil:1", "evil twin");
        std::fs::write(d.join("pw"), "pw").unwrap();
        let out = tollgate(&["key", "generate", "--password-file", "pw"], d);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(d.join("review.json"), r#"{"approved": true}"#).unwrap();
        let out = tollgate(
            &[
                "attest",
                "--predicate-type",
                "https://example.com/review/v1",
                "--predicate",
                "review.json",
                "--attach",
                &format!("{host}/demo/signed:1"),
                "--key",
                "cosign.key",
                "--password-file",
                "pw",
                "--allow-insecure-registry",
            ],
            d,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let control = d.join("proxy-control.json");
        std::fs::write(&control, r#"{"mode": "pass"}"#).unwrap();
        let script = support::repo_root().join("tests/fault_registry_proxy.py");
        let child = Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .arg(&host)
            .arg(&control)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let proxy = format!("127.0.0.1:{port}");
        let proxy_proc = Proc(child);
        wait_for_port(&proxy);
        let public_key = std::fs::read_to_string(d.join("cosign.pub")).unwrap();
        Fixture {
            dir,
            _registry: registry,
            _proxy: proxy_proc,
            registry: host,
            proxy,
            control,
            public_key,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn mode(&self, control: Value) {
        let tmp = self.control.with_extension("tmp");
        std::fs::write(&tmp, control.to_string()).unwrap();
        std::fs::rename(&tmp, &self.control).unwrap();
    }

    fn counts(&self) -> Value {
        let mut p = self.control.as_os_str().to_owned();
        p.push(".counts");
        std::fs::read_to_string(PathBuf::from(p))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(json!({}))
    }

    /// The manifest digest of `demo/NAME` in the registry behind the proxy.
    fn digest(&self, name: &str) -> String {
        let out = succeeded(
            Command::new("skopeo")
                .args(["inspect", "--tls-verify=false", "--format", "{{.Digest}}"])
                .arg(format!("docker://{}/demo/{name}", self.registry)),
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn image(&self, name: &str) -> String {
        format!("{}/demo/{name}", self.proxy)
    }

    /// A policy trusting `key` that requires the review attestation.
    fn policy(&self, name: &str, key: &str, extra: &str) -> String {
        let key: String = key.lines().map(|l| format!("      {l}\n")).collect();
        format!("apiVersion: tollgate.dev/v1\nkind: Policy\nname: {name}\n{extra}authorities:\n  - name: release\n    key: |\n{key}    allowUnlogged: true\nattestations:\n  - type: https://example.com/review/v1\n")
    }

    fn write_policy(&self, file: &str, text: &str) -> PathBuf {
        let p = self.path().join(file);
        std::fs::write(&p, text).unwrap();
        p
    }
}

/// `tollgate admission serve` over TLS on a free port.
struct Hook {
    child: Proc,
    url: String,
    ca: PathBuf,
}

impl Hook {
    fn start(d: &Path, policy: &Path, extra: &[&str]) -> Hook {
        Hook::start_env(d, policy, extra, &[])
    }

    fn start_env(d: &Path, policy: &Path, extra: &[&str], env: &[(&str, &Path)]) -> Hook {
        let cert = rcgen::generate_simple_self_signed(vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
        ])
        .unwrap();
        std::fs::write(d.join("tls.crt"), cert.cert.pem()).unwrap();
        std::fs::write(d.join("tls.key"), cert.signing_key.serialize_pem()).unwrap();
        let port = free_port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tollgate"));
        cmd.args([
            "admission",
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--tls-cert",
            "tls.crt",
            "--tls-key",
            "tls.key",
            "--allow-insecure-registry",
            "--policy",
        ])
        .arg(policy)
        .args(extra)
        .current_dir(d)
        .env("DOCKER_CONFIG", d)
        .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let hook = Hook {
            child: Proc(cmd.spawn().unwrap()),
            url: format!("https://localhost:{port}"),
            ca: d.join("tls.crt"),
        };
        for _ in 0..100 {
            if hook.get("/healthz").0 == 200 {
                return hook;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the webhook did not come up");
    }

    fn pid(&self) -> u32 {
        self.child.0.id()
    }

    fn get(&self, path: &str) -> (u16, String) {
        let out = Command::new("curl")
            .args(["-s", "-o", "-", "-w", "\n%{http_code}", "--cacert"])
            .arg(&self.ca)
            .arg(format!("{}{path}", self.url))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
        (code.trim().parse().unwrap_or(0), body.to_string())
    }

    /// POST an AdmissionReview; (HTTP status, body, seconds).
    fn review(&self, body: &str, query: &str) -> (u16, Value, f64) {
        post_review(&self.url, &self.ca, body, query)
    }

    fn threads(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/task", self.pid()))
            .map(|d| d.count())
            .unwrap_or(0)
    }

    fn metric(&self, name: &str) -> f64 {
        let (_, text) = self.get("/metrics");
        text.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
            .unwrap_or(-1.0)
    }
}

/// POST an AdmissionReview to the webhook at `url`; (HTTP status, body,
/// seconds).
fn post_review(url: &str, ca: &Path, body: &str, query: &str) -> (u16, Value, f64) {
    let start = Instant::now();
    let mut child = Command::new("curl")
        .args(["-s", "-o", "-", "-w", "\n%{http_code}", "--cacert"])
        .arg(ca)
        .args([
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            "@-",
            &format!("{url}/validate{query}"),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(body.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (json, code) = text.rsplit_once('\n').unwrap();
    (
        code.trim().parse().unwrap(),
        serde_json::from_str(json).unwrap_or(Value::Null),
        start.elapsed().as_secs_f64(),
    )
}

/// A process's peak resident memory (VmHWM), in KiB.
fn peak_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

fn pod(namespace: &str, operation: &str, images: &[&str]) -> String {
    let containers: Vec<Value> = images
        .iter()
        .enumerate()
        .map(|(i, image)| json!({"name": format!("c{i}"), "image": image}))
        .collect();
    json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "test-uid",
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "namespace": namespace,
            "operation": operation,
            "object": {"metadata": {"name": "p"}, "spec": {"containers": containers}},
        }
    })
    .to_string()
}

fn allowed(v: &Value) -> bool {
    v["response"]["allowed"] == json!(true)
}

fn message(v: &Value) -> String {
    v["response"]["status"]["message"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

#[test]
fn every_registry_fault_is_a_deny_within_the_deadline() {
    let f = Fixture::new();
    let policy = f.write_policy("policy.yaml", &f.policy("faults", &f.public_key, ""));
    // No cache and no negative cache: every review goes to the registry.
    let hook = Hook::start(
        f.path(),
        &policy,
        &["--cache-ttl", "0", "--negative-cache-ms", "0"],
    );
    let signed = f.image("signed:1");
    let body = pod("default", "CREATE", &[&signed]);
    // (The apiserver's full 10 s: a first, cold review on a loaded 2-core
    // machine can take a second; the faults below use 2 s.)
    let (status, v, _) = hook.review(&body, "?timeout=10s");
    assert_eq!(status, 200);
    assert!(
        allowed(&v),
        "the signed image is admitted without faults: {v}"
    );

    let faults = [
        (json!({"mode": "silent"}), "did not finish"),
        (json!({"mode": "slow", "ms": 3000}), "did not finish"),
        (json!({"mode": "5xx"}), "registry"),
        (json!({"mode": "truncate"}), ""),
        (json!({"mode": "garbage-referrers"}), "referrers"),
    ];
    for (fault, reason) in faults {
        f.mode(fault.clone());
        let (status, v, secs) = hook.review(&body, "?timeout=2s");
        assert_eq!(status, 200, "{fault}: {v}");
        assert!(!allowed(&v), "{fault} must deny: {v}");
        assert!(
            message(&v).contains(reason),
            "{fault}: the reason should say `{reason}`: {}",
            message(&v)
        );
        assert!(
            secs < 2.0,
            "{fault}: answered after {secs:.2} s (timeout 2 s)"
        );
        eprintln!("{fault}: denied in {secs:.3} s: {}", message(&v));
    }

    // HEAD and GET disagree: HEAD names the signed manifest, GET serves the
    // unsigned one (a tag of the same repository).
    f.mode(json!({"mode": "pass"}));
    succeeded(
        Command::new("skopeo")
            .args([
                "copy",
                "--quiet",
                "--src-tls-verify=false",
                "--dest-tls-verify=false",
            ])
            .arg(format!("docker://{}/demo/evil:1", f.registry))
            .arg(format!("docker://{}/demo/signed:twin", f.registry)),
    );
    f.mode(json!({"mode": "headget", "head": "1", "get": "twin"}));
    let (_, v, _) = hook.review(&body, "?timeout=2s");
    assert!(!allowed(&v), "HEAD/GET disagreement must deny: {v}");
    assert!(message(&v).contains("HEAD"), "{}", message(&v));

    // Three images on a silent registry: one deadline for the review.
    f.mode(json!({"mode": "silent"}));
    let three = pod(
        "default",
        "CREATE",
        &[&signed, &f.image("signed:2"), &f.image("evil:1")],
    );
    let (_, v, secs) = hook.review(&three, "?timeout=2s");
    assert!(!allowed(&v), "{v}");
    assert!(secs < 2.0, "a 3-image pod answered after {secs:.2} s");

    // The registry recovers: the outage was not cached as a verdict.
    f.mode(json!({"mode": "pass"}));
    let (_, v, _) = hook.review(&body, "?timeout=10s");
    assert!(allowed(&v), "after the outage: {v}");
    assert!(hook.metric("tollgate_admission_registry_errors_total") >= 5.0);
}

#[test]
fn a_hanging_credential_helper_neither_stalls_the_server_nor_outlives_the_deadline() {
    // Red team rt60: `credsStore` naming a helper that never answers (a
    // cloud helper whose metadata endpoint is silent) blocked a runtime
    // thread for 30 s: /healthz and every other review stalled with it.
    let f = Fixture::new();
    let d = f.path();
    let policy = f.write_policy("policy.yaml", &f.policy("creds", &f.public_key, ""));
    std::fs::write(d.join("config.json"), r#"{"credsStore": "slow"}"#).unwrap();
    let bin = d.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let helper = bin.join("docker-credential-slow");
    let runs = d.join("helper-runs");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\necho run >> '{}'\nexec sleep 30\n",
            runs.display()
        ),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let hook = Hook::start_env(
        d,
        &policy,
        &["--cache-ttl", "0", "--negative-cache-ms", "0"],
        &[("PATH", Path::new(&path))],
    );
    let started = Instant::now();
    let reviews: Vec<_> = (0..3)
        .map(|i| {
            let body = pod("default", "CREATE", &[&f.image(&format!("signed:{i}"))]);
            let url = hook.url.clone();
            let ca = hook.ca.clone();
            std::thread::spawn(move || post_review(&url, &ca, &body, "?timeout=2s"))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let health = Instant::now();
    assert_eq!(hook.get("/healthz").0, 200);
    let health = health.elapsed().as_secs_f64();
    assert!(health < 1.0, "/healthz took {health:.2} s");
    for r in reviews {
        let (status, v, secs) = r.join().unwrap();
        assert_eq!(status, 200, "{v}");
        assert!(!allowed(&v), "{v}");
        assert!(secs < 2.5, "answered after {secs:.2} s (timeout 2 s): {v}");
    }
    assert!(started.elapsed() < Duration::from_secs(4));
    // Red team rt62: each review cancelled at its deadline let the next
    // start another helper. One runs per registry, however many wait;
    // its failure is remembered for a while.
    for i in 3..6 {
        let body = pod("default", "CREATE", &[&f.image(&format!("signed:{i}"))]);
        let (_, v, secs) = hook.review(&body, "?timeout=1s");
        assert!(!allowed(&v), "{v}");
        assert!(secs < 1.5, "answered after {secs:.2} s: {v}");
    }
    std::thread::sleep(Duration::from_secs(5));
    let body = pod("default", "CREATE", &[&f.image("signed:6")]);
    let (_, v, _) = hook.review(&body, "?timeout=2s");
    assert!(!allowed(&v), "{v}");
    let count = || {
        std::fs::read_to_string(&runs)
            .unwrap_or_default()
            .lines()
            .count()
    };
    assert_eq!(count(), 1);
    // Red team rt63: first reads of new registries queued behind the 4
    // helpers that may run at once, and ran long after their reviews were
    // answered. 8 new registries: 4 helpers run, the other reads are
    // abandoned with their review and never run one.
    let hosts: Vec<String> = (2..10).map(|i| format!("127.0.0.{i}:5000/app:1")).collect();
    let refs: Vec<&str> = hosts.iter().map(String::as_str).collect();
    let (_, v, secs) = hook.review(&pod("default", "CREATE", &refs), "?timeout=1s");
    assert!(!allowed(&v), "{v}");
    assert!(secs < 1.5, "answered after {secs:.2} s: {v}");
    std::thread::sleep(Duration::from_secs(7));
    assert_eq!(count(), 5, "helper runs after 8 new registries");
}

#[test]
fn a_review_that_outlives_a_policy_reload_is_not_admitted_under_the_old_policy() {
    // Red team rt62: a review begun before a revocation was admitted 5 s
    // after the new policy was in force.
    let f = Fixture::new();
    let d = f.path();
    let cm = d.join("policies");
    std::fs::create_dir_all(&cm).unwrap();
    configmap_swap(
        &cm,
        "v1",
        &[("team.yaml", &f.policy("team", &f.public_key, ""))],
    );
    let hook = Hook::start(d, &cm, &["--cache-ttl", "0"]);
    // A review under way while the ConfigMap swaps in a new `team.yaml`
    // (the registry answers slowly, so the swap lands during the review).
    let review_across_swap = |body: &str, version: &str, name: &str, extra: &str| {
        let (url, ca, b) = (hook.url.clone(), hook.ca.clone(), body.to_string());
        let slow = std::thread::spawn(move || post_review(&url, &ca, &b, "?timeout=10s"));
        std::thread::sleep(Duration::from_millis(300));
        configmap_swap(
            &cm,
            version,
            &[("team.yaml", &f.policy(name, &f.public_key, extra))],
        );
        slow.join().unwrap().1
    };
    let body = pod("default", "CREATE", &[&f.image("signed:1")]);
    let (_, v, _) = hook.review(&body, "?timeout=10s");
    assert!(allowed(&v), "{v}");
    // The registry answers slowly; the policy changes meanwhile (here to
    // one that still trusts the key: only the generation differs).
    f.mode(json!({"mode": "slow", "ms": 600}));
    let v = review_across_swap(&body, "v2", "team", "mode: enforce\n");
    assert!(!allowed(&v), "{v}");
    assert!(message(&v).contains("policy changed"), "{}", message(&v));
    // The next review is checked under the new policy, and admitted.
    f.mode(json!({"mode": "pass"}));
    let (_, v, _) = hook.review(&body, "?timeout=10s");
    assert!(allowed(&v), "{v}");
    // Under `warn` policies too, a reload during a review denies it (red
    // team rt65: a narrowed warn scope denies through `noMatch`; red team
    // rt63 had asked for warn-only reviews to pass, which fails open).
    configmap_swap(
        &cm,
        "v3",
        &[(
            "team.yaml",
            &f.policy("team", &f.public_key, "mode: warn\n"),
        )],
    );
    let evil = pod("default", "CREATE", &[&f.image("evil:1")]);
    wait_until(
        "the warn policy is in force",
        Duration::from_secs(5),
        || {
            let (_, v, _) = hook.review(&evil, "?timeout=10s");
            allowed(&v) && !v["response"]["warnings"].is_null()
        },
    );
    f.mode(json!({"mode": "slow", "ms": 600}));
    let v = review_across_swap(&evil, "v4", "team2", "mode: warn\n");
    assert!(!allowed(&v), "{v}");
    assert!(message(&v).contains("policy changed"), "{}", message(&v));
    // Red team rt64: warn reloaded as enforce during the review: the
    // review's warning is not an admission under the enforcing policy.
    let v = review_across_swap(&evil, "v5", "team2", "mode: enforce\n");
    assert!(!allowed(&v), "{v}");
}

#[test]
fn a_pod_of_too_many_images_is_denied_at_once() {
    // Red team rt60: 20,000 images were answered after the apiserver's
    // timeout and took 875 MB.
    let f = Fixture::new();
    let policy = f.write_policy("policy.yaml", &f.policy("many", &f.public_key, ""));
    let hook = Hook::start(f.path(), &policy, &[]);
    let names: Vec<String> = (0..1001).map(|i| f.image(&format!("x:{i}"))).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let (status, v, secs) = hook.review(&pod("default", "CREATE", &refs), "?timeout=2s");
    assert_eq!(status, 200, "{v}");
    assert!(!allowed(&v), "{v}");
    assert!(message(&v).contains("1001 images"), "{}", message(&v));
    assert!(secs < 1.0, "answered after {secs:.2} s");
    // Red team rt62: images on 33 registries (each a client, request
    // slots and a credential read).
    let names: Vec<String> = (0..33)
        .map(|i| format!("127.0.0.{}:5000/app:1", i + 1))
        .collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let (_, v, secs) = hook.review(&pod("default", "CREATE", &refs), "?timeout=2s");
    assert!(!allowed(&v), "{v}");
    assert!(message(&v).contains("33 registries"), "{}", message(&v));
    assert!(secs < 1.0, "answered after {secs:.2} s");
    // An UPDATE that brings none of its 5,000 images anew runs nothing new.
    let names: Vec<String> = (0..5000).map(|i| f.image(&format!("x:{i}"))).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut update: Value = serde_json::from_str(&pod("default", "UPDATE", &refs)).unwrap();
    update["request"]["oldObject"] = update["request"]["object"].clone();
    let (status, v, secs) = hook.review(&update.to_string(), "?timeout=2s");
    assert_eq!(status, 200, "{v}");
    assert!(allowed(&v), "{v}");
    assert!(secs < 1.0, "answered after {secs:.2} s");
}

/// Red team rt37: a registry that answers a manifest, referrers or error
/// body with a chunked stream that never ends grew the server by 2.4 GB
/// in one review (oci-client read such bodies whole); under the 256 MiB
/// limit of `deploy/webhook.yaml` that is a dead webhook. Every such body
/// is cut at 4 MiB: a deny, and the server's peak memory stays small.
#[test]
fn an_endless_registry_body_is_a_deny_and_memory_stays_bounded() {
    let f = Fixture::new();
    let policy = f.write_policy("policy.yaml", &f.policy("endless", &f.public_key, ""));
    let hook = Hook::start(
        f.path(),
        &policy,
        &["--cache-ttl", "0", "--negative-cache-ms", "0"],
    );
    let digest = f.digest("signed:1");
    let tagged = pod("default", "CREATE", &[&f.image("signed:1")]);
    let pinned = pod(
        "default",
        "CREATE",
        &[&format!("{}/demo/signed@{digest}", f.proxy)],
    );
    let (_, v, _) = hook.review(&tagged, "?timeout=10s");
    assert!(
        allowed(&v),
        "the signed image is admitted without faults: {v}"
    );
    let cases = [
        (json!({"mode": "endless", "kind": "manifest"}), &tagged),
        (
            json!({"mode": "endless", "kind": "manifest", "status": 500}),
            &tagged,
        ),
        (json!({"mode": "endless", "kind": "referrers"}), &pinned),
        (json!({"mode": "endless", "kind": "fallback-tag"}), &pinned),
    ];
    eprintln!(
        "peak memory before the faults: {} MB",
        peak_kb(hook.pid()) / 1024
    );
    for (fault, body) in cases {
        f.mode(fault.clone());
        for _ in 0..3 {
            let (status, v, secs) = hook.review(body, "?timeout=10s");
            assert_eq!(status, 200, "{fault}: {v}");
            assert!(!allowed(&v), "{fault} must deny: {v}");
            assert!(secs < 10.0, "{fault}: answered after {secs:.2} s");
            // Manifests stop at 4 MiB, referrers indexes at 512 KiB.
            assert!(
                message(&v).contains("larger than 4 MiB")
                    || message(&v).contains("larger than 512 KiB"),
                "{fault}: {v}"
            );
        }
        let kb = peak_kb(hook.pid());
        assert!(
            kb < 200 * 1024,
            "{fault}: the server's peak memory reached {} MB",
            kb / 1024
        );
    }
    // The server is up and admits again once the registry behaves.
    f.mode(json!({"mode": "pass"}));
    let (_, v, _) = hook.review(&tagged, "?timeout=10s");
    assert!(allowed(&v), "after the faults: {v}");
    eprintln!("peak memory: {} MB", peak_kb(hook.pid()) / 1024);
}

/// Red team rt38: a referrer listed again and again, a flood of them, a
/// referrer manifest padded to just under the 4 MiB body cap, or a layer
/// declaring a huge blob took the webhook past its memory limit. Each
/// referrer is read once, at most 64 of them, each manifest at most
/// 256 KiB (read into the few fields the verifier uses), each blob at most
/// its declared size and 32 MiB, and the bytes held at once are budgeted.
#[test]
fn referrer_floods_and_padding_are_bounded() {
    let f = Fixture::new();
    let policy = f.write_policy("policy.yaml", &f.policy("flood", &f.public_key, ""));
    let hook = Hook::start(
        f.path(),
        &policy,
        &["--cache-ttl", "0", "--negative-cache-ms", "0"],
    );
    let digest = f.digest("signed:1");
    let pinned = pod(
        "default",
        "CREATE",
        &[&format!("{}/demo/signed@{digest}", f.proxy)],
    );
    let (_, v, _) = hook.review(&pinned, "?timeout=10s");
    assert!(
        allowed(&v),
        "the signed image is admitted without faults: {v}"
    );
    // The same referrer listed 500 more times is read once.
    f.mode(json!({"mode": "referrers-repeat", "n": 500}));
    let (_, v, _) = hook.review(&pinned, "?timeout=10s");
    assert!(allowed(&v), "a repeated referrer is read once: {v}");
    let cases = [
        (
            json!({"mode": "referrers-flood", "n": 100}),
            "bundle referrers (at most 64",
        ),
        // 1,500 entries: past the index's 512 KiB or its 1,024 entries.
        (json!({"mode": "referrers-flood", "n": 1500}), "512 KiB"),
        (
            json!({"mode": "padded-referrer", "kib": 1, "empty_layers": 5000}),
            "more than 16 elements",
        ),
        (
            json!({"mode": "padded-referrer", "kib": 3900}),
            "(at most 262144)",
        ),
        (
            json!({"mode": "padded-referrer", "kib": 1, "layer_size": 40u64 << 20}),
            "declares more than 32 MiB",
        ),
    ];
    for (fault, reason) in cases {
        f.mode(fault.clone());
        for _ in 0..3 {
            let (status, v, _) = hook.review(&pinned, "?timeout=10s");
            assert_eq!(status, 200, "{fault}: {v}");
            assert!(!allowed(&v), "{fault} must deny: {v}");
            assert!(message(&v).contains(reason), "{fault}: {}", message(&v));
        }
    }
    let kb = peak_kb(hook.pid());
    assert!(
        kb < 200 * 1024,
        "the server's peak memory reached {} MB",
        kb / 1024
    );
    f.mode(json!({"mode": "pass"}));
    let (_, v, _) = hook.review(&pinned, "?timeout=10s");
    assert!(allowed(&v), "after the faults: {v}");
}

#[test]
fn a_silent_registry_leaks_no_threads_over_1000_reviews() {
    let f = Fixture::new();
    let policy = f.write_policy("policy.yaml", &f.policy("silent", &f.public_key, ""));
    let hook = Hook::start(f.path(), &policy, &["--negative-cache-ms", "0"]);
    let body = pod("default", "CREATE", &[&f.image("signed:1")]);
    std::fs::write(f.path().join("body.json"), &body).unwrap();
    // Warm up (TLS, the runtime's workers), then count.
    for _ in 0..5 {
        hook.review(&body, "?timeout=10s");
    }
    f.mode(json!({"mode": "silent"}));
    for _ in 0..5 {
        hook.review(&body, "?timeout=2s");
    }
    let before = hook.threads();
    let outs = f.path().join("outs");
    std::fs::create_dir_all(&outs).unwrap();
    let mut config = String::new();
    for i in 0..1000 {
        config.push_str(&format!(
            "url = \"{}/validate?timeout=2s\"\ndata-binary = \"@body.json\"\nheader = \"Content-Type: application/json\"\ncacert = \"{}\"\noutput = \"outs/{i}.json\"\nwrite-out = \"%{{http_code}} %{{time_total}}\\n\"\n",
            hook.url,
            hook.ca.display()
        ));
        if i < 999 {
            config.push_str("next\n");
        }
    }
    std::fs::write(f.path().join("curl.cfg"), config).unwrap();
    let mut curl = Command::new("curl")
        .args([
            "-s",
            "-S",
            "--no-progress-meter",
            "--parallel",
            "--parallel-max",
            "50",
            "-K",
            "curl.cfg",
        ])
        .current_dir(f.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut peak = before;
    while curl.try_wait().unwrap().is_none() {
        peak = peak.max(hook.threads());
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = curl.wait_with_output().unwrap();
    let lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(lines.len(), 1000);
    let mut slowest = 0.0f64;
    for line in &lines {
        let (code, secs) = line.split_once(' ').unwrap();
        assert_eq!(code, "200", "{line}");
        slowest = slowest.max(secs.parse().unwrap());
    }
    for i in 0..1000 {
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(outs.join(format!("{i}.json"))).unwrap())
                .unwrap();
        assert!(!allowed(&v), "review {i} against a silent registry: {v}");
    }
    std::thread::sleep(Duration::from_secs(1));
    let after = hook.threads();
    eprintln!(
        "threads: {before} before, peak {peak}, {after} after 1000 reviews; slowest answer {slowest:.2} s"
    );
    // The server answered every review before the apiserver's 2 s timeout
    // (its own latency histogram; the client's times also include TLS
    // set-up and queueing on this 2-core machine).
    let answered = hook.metric("tollgate_admission_latency_seconds_count");
    let in_time = hook.metric("tollgate_admission_latency_seconds_bucket{le=\"2\"}");
    assert_eq!(
        answered, in_time,
        "reviews answered after 2 s on the server"
    );
    assert!(slowest < 5.0, "a review took {slowest:.2} s");
    assert!(
        after <= before + 4,
        "threads grew from {before} to {after} over 1000 reviews"
    );
    assert!(
        peak <= before + 20,
        "threads peaked at {peak} (from {before})"
    );
    // Still serving.
    f.mode(json!({"mode": "pass"}));
    let (_, v, _) = hook.review(&body, "?timeout=10s");
    assert!(allowed(&v), "{v}");
}

/// Kubernetes' ConfigMap volume layout: `..data` points at a timestamped
/// directory, and each file is a symlink through `..data`. An update writes
/// a new directory and swaps the `..data` link atomically.
fn configmap_swap(dir: &Path, version: &str, files: &[(&str, &str)]) {
    // The kubelet's name for it: `..` and a timestamp, then Go's
    // `os.MkdirTemp` digits (anything else starting with `..` is read as
    // an entry of the directory).
    let digits: String = version.bytes().map(|b| format!("{:03}", b)).collect();
    let version = format!("2026_11_29_05_37_34.{digits}");
    let version = version.as_str();
    let data = dir.join(format!("..{version}"));
    std::fs::create_dir_all(&data).unwrap();
    for (name, text) in files {
        std::fs::write(data.join(name), text).unwrap();
    }
    let tmp = dir.join("..data_tmp");
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(format!("..{version}"), &tmp).unwrap();
    std::fs::rename(&tmp, dir.join("..data")).unwrap();
    for (name, _) in files {
        let link = dir.join(name);
        if std::fs::symlink_metadata(&link).is_err() {
            std::os::unix::fs::symlink(format!("..data/{name}"), &link).unwrap();
        }
    }
}

fn wait_until(what: &str, limit: Duration, mut ok: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while start.elapsed() < limit {
        if ok() {
            return start.elapsed();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what}: not within {limit:?}");
}

#[test]
fn a_policy_directory_reloads_on_a_configmap_swap() {
    let f = Fixture::new();
    let d = f.path();
    let cm = d.join("policies");
    std::fs::create_dir_all(&cm).unwrap();
    let scope = format!(
        "noMatch: deny\nscope:\n  images: [\"{}/demo/*\"]\n  namespaces: [prod]\n",
        f.proxy
    );
    let good = f.policy("team", &f.public_key, &scope);
    configmap_swap(&cm, "v1", &[("team.yaml", &good)]);
    let hook = Hook::start(d, &cm, &[]);
    let body = pod("prod", "CREATE", &[&f.image("signed:1")]);
    let (_, v, _) = hook.review(&body, "");
    assert!(allowed(&v), "{v}");
    // A namespace the apiserver would never send (too long, or not a
    // label) is denied before any work: it never becomes a cache key.
    for ns in ["x".repeat(100_000), "Prod".into(), "prod\nprod".into()] {
        let (_, v, _) = hook.review(&pod(&ns, "CREATE", &[&f.image("signed:1")]), "");
        assert!(!allowed(&v), "{v}");
        assert!(message(&v).contains("not a Kubernetes namespace"), "{v}");
    }
    // Outside every scope, in a covered namespace: denied (no-match).
    let stray = pod("prod", "CREATE", &[&format!("{}/other/app:1", f.proxy)]);
    let (_, v, _) = hook.review(&stray, "");
    assert!(!allowed(&v), "{v}");
    assert!(message(&v).contains("matches no policy"), "{}", message(&v));
    // A namespace no policy covers is not checked.
    let (_, v, _) = hook.review(&pod("dev", "CREATE", &[&f.image("evil:1")]), "");
    assert!(allowed(&v), "{v}");

    // The signer is revoked: a new key replaces the old one.
    let sub = d.join("other");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(sub.join("pw"), "pw").unwrap();
    let out = tollgate(&["key", "generate", "--password-file", "pw"], &sub);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let other_key = std::fs::read_to_string(sub.join("cosign.pub")).unwrap();
    let revoked = f.policy("team", &other_key, &scope);
    configmap_swap(&cm, "v2", &[("team.yaml", &revoked)]);
    let took = wait_until(
        "the revocation takes effect",
        Duration::from_secs(5),
        || !allowed(&hook.review(&body, "").1),
    );
    eprintln!("policy change effective after {took:?}");

    // An invalid policy is refused; the previous one stays in force.
    configmap_swap(
        &cm,
        "v3",
        &[("team.yaml", "apiVersion: tollgate.dev/v1\nkind: [")],
    );
    wait_until(
        "the invalid policy is noticed",
        Duration::from_secs(5),
        || hook.metric("tollgate_admission_policy_reloads_total{result=\"invalid\"}") >= 1.0,
    );
    assert_eq!(hook.metric("tollgate_admission_policy_stale"), 1.0);
    let (_, v, _) = hook.review(&body, "");
    assert!(!allowed(&v), "the revoked signer must stay revoked: {v}");

    // A second policy file in the set, and the good key back: both apply.
    let extra = f.policy("platform", &f.public_key, "noMatch: allow\n");
    configmap_swap(
        &cm,
        "v4",
        &[("team.yaml", &good), ("platform.yaml", &extra)],
    );
    wait_until("the good policy returns", Duration::from_secs(5), || {
        allowed(&hook.review(&body, "").1)
    });
    assert_eq!(hook.metric("tollgate_admission_policy_stale"), 0.0);
    let (_, v, _) = hook.review(&pod("prod", "CREATE", &[&f.image("evil:1")]), "");
    assert!(!allowed(&v), "{v}");
    assert!(message(&v).contains("platform"), "{}", message(&v));
}

/// A module whose rules `v1`..`v{n}` each apply `step` (with `{p}` the
/// previous rule) to the one before, starting from `init`: `n` doublings.
fn doubling(init: &str, step: &str, n: usize, test: &str) -> String {
    let mut m = format!("package tollgate\nv0 := {init}\n");
    for i in 0..n {
        m += &format!("v{} := {}\n", i + 1, step.replace("{p}", &format!("v{i}")));
    }
    m + &format!("deny contains msg if {{ {test}; msg := \"big\" }}\n")
}

/// Modules that `policy validate` accepts and that allocate without bound
/// (or for too long), by name.
fn rego_bombs() -> Vec<(&'static str, String)> {
    let s = "\"xxxxxxxxxxxxxxxx\"";
    vec![
        ("concat", doubling(s, "concat(\"\", [{p}, {p}])", 40, "count(v40) > 0")),
        ("sprintf", doubling(s, "sprintf(\"%s%s\", [{p}, {p}])", 40, "count(v40) > 0")),
        ("replace", doubling(s, "replace({p}, \"x\", \"xx\")", 40, "count(v40) > 0")),
        ("array.concat", doubling("[1, 2, 3, 4, 5, 6, 7, 8]", "array.concat({p}, {p})", 40, "count(v40) > 0")),
        ("json.marshal", doubling("{\"a\": 1}", "{\"a\": {p}, \"b\": {p}}", 40, "count(json.marshal(v40)) > 0")),
        ("numbers.range", "package tollgate\ndeny contains msg if { count(numbers.range(1, 1000000000)) > 0; msg := \"big\" }\n".into()),
        ("comprehension", "package tollgate\nxs := numbers.range(1, 10000)\nys := [[a, b] | some a in xs; some b in xs]\nzs := [[y, z] | some y in ys; some z in ys]\ndeny contains msg if { count(zs) > 0; msg := \"big\" }\n".into()),
    ]
}

/// The reason a bomb was stopped: out of memory, out of time, over a cap.
fn stopped(reason: &str) -> bool {
    [
        "ran out of memory",
        "time limit",
        "exceed the limit",
        "CPU limit",
        "memory limit",
    ]
    .iter()
    .any(|r| reason.contains(r))
}

#[test]
fn rego_bombs_end_their_evaluation_process_not_the_caller() {
    // The binary's evaluation process, as `tollgate` itself sets it up.
    tollgate_verifier::rego::isolate_in(
        PathBuf::from(env!("CARGO_BIN_EXE_tollgate")),
        vec!["__rego-eval".into()],
    );
    let good = "package tollgate\ndeny contains msg if { some a in input.attestations; a.predicate.approved == false; msg := \"not approved\" }\n";
    let approved = json!({"attestations": [{"predicate": {"approved": true}}]});
    let refused = json!({"attestations": [{"predicate": {"approved": false}}]});
    for (name, module) in rego_bombs() {
        tollgate_verifier::rego::check(&module).unwrap_or_else(|e| panic!("{name}: {e}"));
        let started = Instant::now();
        let e = tollgate_verifier::rego::deny(&module, &json!({}))
            .expect_err(&format!("{name} must fail"));
        eprintln!("{name}: {:?}: {e}", started.elapsed());
        assert!(stopped(&e.to_string()), "{name}: {e}");
        // This process is fine, and the next evaluation is right.
        assert!(tollgate_verifier::rego::deny(good, &approved)
            .unwrap()
            .is_empty());
        assert_eq!(
            tollgate_verifier::rego::deny(good, &refused).unwrap(),
            ["not approved"]
        );
    }
}

#[test]
fn rego_bombs_are_denials_and_the_server_stays_up() {
    let f = Fixture::new();
    let d = f.path();
    let base = f.policy("rego", &f.public_key, "");
    // Recursion is a policy error (as in OPA).
    let recursive = format!(
        "{base}rego: |\n  package tollgate\n  f(x) := y if {{ y := f(x) }}\n  deny contains msg if {{ msg := f(1) }}\n"
    );
    let p = f.write_policy("recursive.yaml", &recursive);
    let out = tollgate(&["policy", "validate", p.to_str().unwrap()], d);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("recursion"));
    let indent = |module: &str| -> String { module.lines().map(|l| format!("  {l}\n")).collect() };
    // Every bomb validates, and denies at evaluation with a reason; the
    // server stays up. The policy directory is swapped from one to the next.
    let cm = d.join("policies");
    std::fs::create_dir_all(&cm).unwrap();
    let body = pod("default", "CREATE", &[&f.image("signed:1")]);
    let mut hook = None;
    for (i, (name, module)) in rego_bombs().into_iter().enumerate() {
        // Each its own name: a deny names its policy, so a cached deny
        // from the previous one is not mistaken for this one's.
        let tag = format!("bomb-{i}");
        let policy = format!(
            "{}rego: |\n{}",
            f.policy(&tag, &f.public_key, ""),
            indent(&module)
        );
        let p = f.write_policy(&format!("{name}.yaml"), &policy);
        let out = tollgate(&["policy", "validate", p.to_str().unwrap()], d);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        configmap_swap(&cm, &format!("v{i}"), &[("rego.yaml", &policy)]);
        let hook = hook.get_or_insert_with(|| Hook::start(d, &cm, &[]));
        let mut last = Value::Null;
        wait_until(
            &format!("{name} is denied with a reason"),
            Duration::from_secs(30),
            || {
                let (status, v, _) = hook.review(&body, "");
                assert_eq!(status, 200, "{name}: {v}");
                assert!(!allowed(&v), "{name}: {v}");
                last = v;
                stopped(&message(&last)) && message(&last).contains(&tag)
            },
        );
        eprintln!("{name}: {}", message(&last));
        assert_eq!(
            hook.get("/healthz").0,
            200,
            "{name}: the server must stay up"
        );
    }
    // The next policy is evaluated correctly by the same server.
    let hook = hook.unwrap();
    let fine = format!(
        "{base}rego: |\n  package tollgate\n  deny contains msg if {{ some a in input.attestations; a.predicate.approved == false; msg := \"not approved\" }}\n"
    );
    configmap_swap(&cm, "final", &[("rego.yaml", &fine)]);
    wait_until(
        "the signed image is admitted again",
        Duration::from_secs(10),
        || allowed(&hook.review(&body, "").1),
    );
    let (_, v, _) = hook.review(&pod("default", "CREATE", &[&f.image("evil:1")]), "");
    assert!(!allowed(&v), "{v}");
}

#[test]
fn operations_and_legacy_kinds() {
    let f = Fixture::new();
    let policy = f.write_policy("policy.yaml", &f.policy("ops", &f.public_key, ""));
    let hook = Hook::start(f.path(), &policy, &[]);
    let evil = f.image("evil:1");
    let signed = f.image("signed:1");
    // DELETE and CONNECT are admitted.
    for op in ["DELETE", "CONNECT"] {
        let (_, v, _) = hook.review(&pod("default", op, &[&evil]), "");
        assert!(allowed(&v), "{op}: {v}");
    }
    // An UPDATE during deletion (a finalizer removed) that changes no image.
    let mut update: Value = serde_json::from_str(&pod("default", "UPDATE", &[&evil])).unwrap();
    update["request"]["oldObject"] = update["request"]["object"].clone();
    update["request"]["object"]["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
    update["request"]["object"]["metadata"]["finalizers"] = json!([]);
    let (_, v, _) = hook.review(&update.to_string(), "");
    assert!(allowed(&v), "{v}");
    // An UPDATE that brings a new, unsigned image is checked.
    let mut swap: Value = serde_json::from_str(&pod("default", "UPDATE", &[&evil])).unwrap();
    swap["request"]["oldObject"] =
        serde_json::from_str::<Value>(&pod("default", "UPDATE", &[&signed])).unwrap()["request"]
            ["object"]
            .clone();
    let (_, v, _) = hook.review(&swap.to_string(), "");
    assert!(!allowed(&v), "{v}");
    // The legacy EphemeralContainers kind is checked, not admitted unchecked.
    let legacy = json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "e", "namespace": "default", "operation": "UPDATE",
            "kind": {"group": "", "version": "v1", "kind": "EphemeralContainers"},
            "object": {"metadata": {"name": "p"}, "ephemeralContainers": [{"name": "debug", "image": evil}]},
            "oldObject": {"metadata": {"name": "p"}, "ephemeralContainers": []},
        }
    });
    let (_, v, _) = hook.review(&legacy.to_string(), "");
    assert!(!allowed(&v), "{v}");
    let legacy_ok = legacy.to_string().replace(&evil, &signed);
    let (_, v, _) = hook.review(&legacy_ok, "");
    assert!(allowed(&v), "{v}");
}

#[test]
fn real_captures_are_answered_and_unverifiable_images_denied() {
    let f = Fixture::new();
    let policy = f.write_policy("policy.yaml", &f.policy("captures", &f.public_key, ""));
    let hook = Hook::start(f.path(), &policy, &[]);
    let dir = support::repo_root().join("../shared/k8s/admission-requests");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e} (required from ../shared)", dir.display()))
    {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let body = std::fs::read_to_string(&path).unwrap();
        let (status, v, secs) = hook.review(&body, "?timeout=2s");
        assert!(secs < 2.0, "{name}: {secs:.2} s");
        seen += 1;
        match name.as_str() {
            "21_broken_admission_request.json" | "25_null_request.json" => {
                assert_eq!(status, 400, "{name}: {v}")
            }
            // Same image before and after: nothing new to check.
            "10_update.json" => assert!(allowed(&v), "{name}: {v}"),
            // Images on registries this machine cannot reach: never admitted.
            _ => {
                assert_eq!(status, 200, "{name}");
                assert!(!allowed(&v), "{name}: {v}");
            }
        }
    }
    assert!(seen >= 9);
}

#[test]
fn concurrent_reviews_of_one_digest_share_one_verification_and_write_no_files() {
    let f = Fixture::new();
    let d = f.path();
    let policy = f.write_policy("policy.yaml", &f.policy("flight", &f.public_key, ""));
    let tmp = d.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let hook = Hook::start_env(d, &policy, &["--cache-ttl", "0"], &[("TMPDIR", &tmp)]);
    let body = pod("default", "CREATE", &[&f.image("signed:1")]);
    // A slow registry, so that the reviews overlap.
    f.mode(json!({"mode": "slow", "ms": 300}));
    let before = f.counts()["blob"].as_u64().unwrap_or(0);
    let threads: Vec<_> = (0..12)
        .map(|_| {
            let body = body.clone();
            let url = hook.url.clone();
            let ca = hook.ca.clone();
            std::thread::spawn(move || {
                let h = HookRef { url, ca };
                h.review(&body)
            })
        })
        .collect();
    for t in threads {
        let v = t.join().unwrap();
        assert!(allowed(&v), "{v}");
    }
    let blobs = f.counts()["blob"].as_u64().unwrap_or(0) - before;
    eprintln!("12 concurrent reviews of one digest fetched {blobs} blob(s)");
    assert!(
        blobs < 12,
        "{blobs} blob fetches for 12 reviews of one digest"
    );
    assert_eq!(
        std::fs::read_dir(&tmp).unwrap().count(),
        0,
        "files in TMPDIR"
    );
}

#[test]
fn a_review_cancelled_at_its_deadline_leaves_no_single_flight_entry() {
    let f = Fixture::new();
    let d = f.path();
    let policy = f.write_policy("policy.yaml", &f.policy("flight", &f.public_key, ""));
    let digest = f.digest("signed:1");
    assert!(digest.starts_with("sha256:"), "{digest}");
    // Pinned: no resolution, so every review goes straight to the flight.
    let image = format!("{}/demo/signed@{digest}", f.proxy);
    let hook = Hook::start(
        d,
        &policy,
        &["--cache-ttl", "0", "--negative-cache-ms", "0"],
    );
    let body = pod("default", "CREATE", &[&image]);
    // The registry accepts and never answers: every waiter of the flight,
    // the one that started it included, is cancelled at its deadline.
    f.mode(json!({"mode": "silent"}));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (url, ca, body) = (hook.url.clone(), hook.ca.clone(), body.clone());
            std::thread::spawn(move || {
                let out = Command::new("curl")
                    .args(["-s", "--cacert"])
                    .arg(&ca)
                    .args(["-H", "Content-Type: application/json", "--data-binary"])
                    .arg(&body)
                    .arg(format!("{url}/validate?timeout=1s"))
                    .output()
                    .unwrap();
                serde_json::from_slice::<Value>(&out.stdout).unwrap_or(Value::Null)
            })
        })
        .collect();
    for t in threads {
        let v = t.join().unwrap();
        assert!(!allowed(&v), "{v}");
        assert!(message(&v).contains("did not finish"), "{}", message(&v));
    }
    assert_eq!(
        hook.metric("tollgate_admission_verifications_in_flight"),
        0.0,
        "single-flight entries left behind by cancelled reviews"
    );
    // The next review starts a fresh flight and, with the registry back,
    // is admitted.
    f.mode(json!({"mode": "pass"}));
    let (_, v, _) = hook.review(&body, "?timeout=10s");
    assert!(allowed(&v), "{v}");
    assert_eq!(
        hook.metric("tollgate_admission_verifications_in_flight"),
        0.0
    );
}

/// A review client without the server (for threads).
struct HookRef {
    url: String,
    ca: PathBuf,
}

impl HookRef {
    fn review(&self, body: &str) -> Value {
        let out = Command::new("curl")
            .args(["-s", "--cacert"])
            .arg(&self.ca)
            .args(["-H", "Content-Type: application/json", "--data-binary"])
            .arg(body)
            .arg(format!("{}/validate?timeout=10s", self.url))
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
    }
}

#[test]
fn a_decision_that_cannot_be_logged_is_denied() {
    let f = Fixture::new();
    let d = f.path();
    // A tiny filesystem for the log: full after a few records.
    let mnt = d.join("full");
    std::fs::create_dir_all(&mnt).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=16k", "tmpfs"])
        .arg(&mnt)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        mounted,
        "mounting a tmpfs needs root (the CI container runs as root)"
    );
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(mnt.clone());
    let enforce = f.write_policy("enforce.yaml", &f.policy("enforce", &f.public_key, ""));
    let log = mnt.join("decisions.jsonl");
    let hook = Hook::start(d, &enforce, &["--decision-log", log.to_str().unwrap()]);
    let body = pod("default", "CREATE", &[&f.image("signed:1")]);
    let (_, v, _) = hook.review(&body, "");
    assert!(allowed(&v), "with room in the log: {v}");
    // Fill the filesystem.
    let _ = std::fs::write(mnt.join("filler"), vec![0u8; 64 * 1024]);
    let mut denied = None;
    for _ in 0..50 {
        let (_, v, _) = hook.review(&body, "");
        if !allowed(&v) {
            denied = Some(v);
            break;
        }
    }
    let v = denied.expect("a full log must deny");
    assert!(
        message(&v).contains("decision log unavailable"),
        "{}",
        message(&v)
    );
    assert!(hook.metric("tollgate_admission_log_failures_total") >= 1.0);
    assert_eq!(hook.get("/healthz").0, 200);
}

#[test]
fn verify_with_a_policy_directory_has_the_webhook_semantics() {
    let f = Fixture::new();
    let d = f.path();
    let sub = d.join("other");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(sub.join("pw"), "pw").unwrap();
    assert!(
        tollgate(&["key", "generate", "--password-file", "pw"], &sub)
            .status
            .success()
    );
    let other_key = std::fs::read_to_string(sub.join("cosign.pub")).unwrap();
    let set = d.join("set");
    std::fs::create_dir_all(&set).unwrap();
    let demo = format!("scope:\n  images: [\"{}/demo/*\"]\n", f.registry);
    std::fs::write(
        set.join("team.yaml"),
        f.policy("team", &f.public_key, &demo),
    )
    .unwrap();
    let elsewhere = "scope:\n  images: [\"ghcr.io/elsewhere/*\"]\n";
    std::fs::write(
        set.join("elsewhere.yaml"),
        f.policy("elsewhere", &other_key, elsewhere),
    )
    .unwrap();
    let verify = |image: &str| {
        tollgate(
            &[
                "verify",
                image,
                "--policy",
                set.to_str().unwrap(),
                "--allow-insecure-registry",
            ],
            d,
        )
    };
    let signed = format!("{}/demo/signed:1", f.registry);
    let out = verify(&signed);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("team"));
    // A second matching policy with another signer: both must admit.
    std::fs::write(
        set.join("second.yaml"),
        f.policy("second", &other_key, &demo),
    )
    .unwrap();
    let out = verify(&signed);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("second"));
    std::fs::remove_file(set.join("second.yaml")).unwrap();
    // Outside every scope: denied (no-match).
    let stray = format!("{}/stray/app:1", f.registry);
    let out = verify(&stray);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("matches no policy"));
}
