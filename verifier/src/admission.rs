//! The Kubernetes admission webhook: `POST /validate` admits or denies;
//! `POST /mutate` does the same and, when it admits, returns a JSONPatch
//! pinning each verified image to the digest it was verified at.
//!
//! Every container image of a Pod or of a workload's pod template
//! (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob,
//! ReplicationController), including init and ephemeral containers, goes
//! through the same gate as `tollgate verify`. It fails closed: verification
//! runs under a deadline below the apiserver's `?timeout=`, and a registry
//! that is slow or unreachable becomes a deny with a reason, never an allow
//! and never a timeout. Malformed and null requests get a 400.

use crate::gate::{self, Decision, Target};
use crate::policy::{Mode, Policy};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tollgate_attest::oci::RegistryOptions;

/// Latency histogram buckets (seconds).
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Default)]
pub struct Metrics {
    pub allowed: AtomicU64,
    pub denied: AtomicU64,
    pub errors: AtomicU64,
    pub cache_hits: AtomicU64,
    latency_buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
}

impl Metrics {
    fn observe(&self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                self.latency_buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }

    /// Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::from("# HELP tollgate_admission_decisions_total Admission decisions by result.\n# TYPE tollgate_admission_decisions_total counter\n");
        for (result, v) in [
            ("allow", &self.allowed),
            ("deny", &self.denied),
            ("error", &self.errors),
        ] {
            out.push_str(&format!(
                "tollgate_admission_decisions_total{{result=\"{result}\"}} {}\n",
                v.load(Ordering::Relaxed)
            ));
        }
        out.push_str(&format!("# HELP tollgate_admission_cache_hits_total Verification results served from the cache.\n# TYPE tollgate_admission_cache_hits_total counter\ntollgate_admission_cache_hits_total {}\n", self.cache_hits.load(Ordering::Relaxed)));
        out.push_str("# HELP tollgate_admission_latency_seconds Time to answer an admission review.\n# TYPE tollgate_admission_latency_seconds histogram\n");
        for (i, b) in BUCKETS.iter().enumerate() {
            out.push_str(&format!(
                "tollgate_admission_latency_seconds_bucket{{le=\"{b}\"}} {}\n",
                self.latency_buckets[i].load(Ordering::Relaxed)
            ));
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        out.push_str(&format!(
            "tollgate_admission_latency_seconds_bucket{{le=\"+Inf\"}} {count}\n"
        ));
        out.push_str(&format!(
            "tollgate_admission_latency_seconds_sum {}\n",
            self.latency_sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        ));
        out.push_str(&format!(
            "tollgate_admission_latency_seconds_count {count}\n"
        ));
        out
    }
}

pub struct State {
    pub policy: Policy,
    /// SHA-256 of the policy text: cache entries never outlive a policy change.
    pub policy_hash: String,
    pub registry: RegistryOptions,
    pub decision_log: Option<PathBuf>,
    pub cache_ttl: Duration,
    /// Upper bound on verification time, whatever the apiserver allows.
    pub max_deadline: Duration,
    cache: Mutex<HashMap<(String, String), (Decision, Instant)>>,
    log_lock: Mutex<()>,
    pub metrics: Metrics,
}

impl State {
    pub fn new(
        policy: Policy,
        policy_text: &str,
        registry: RegistryOptions,
        decision_log: Option<PathBuf>,
    ) -> State {
        use sha2::Digest;
        State {
            policy,
            policy_hash: hex::encode(sha2::Sha256::digest(policy_text.as_bytes())),
            registry,
            decision_log,
            cache_ttl: Duration::from_secs(300),
            max_deadline: Duration::from_secs(10),
            cache: Mutex::new(HashMap::new()),
            log_lock: Mutex::new(()),
            metrics: Metrics::default(),
        }
    }
}

/// Where the pod spec of a Pod or of a workload's template is (a JSON pointer).
fn pod_spec_pointer(kind: &str) -> Option<&'static str> {
    match kind {
        "Pod" => Some("/spec"),
        "Deployment"
        | "ReplicaSet"
        | "StatefulSet"
        | "DaemonSet"
        | "Job"
        | "ReplicationController" => Some("/spec/template/spec"),
        "CronJob" => Some("/spec/jobTemplate/spec/template/spec"),
        _ => None,
    }
}

/// The pod spec of a Pod or of a workload's template.
fn pod_spec<'a>(kind: &str, object: &'a Value) -> Option<&'a Value> {
    object.pointer(pod_spec_pointer(kind)?)
}

/// JSONPatch operations that pin each verified image to the digest it was
/// verified at (`name:tag@sha256:…`), so the kubelet pulls exactly what was
/// admitted even if the tag moves afterwards. Images already pinned are
/// left as they are.
pub fn digest_patch(kind: &str, spec: &Value, digests: &HashMap<String, String>) -> Vec<Value> {
    let Some(prefix) = pod_spec_pointer(kind) else {
        return Vec::new();
    };
    let mut ops = Vec::new();
    for key in ["initContainers", "containers", "ephemeralContainers"] {
        for (i, c) in spec[key].as_array().into_iter().flatten().enumerate() {
            let Some(image) = c["image"].as_str() else {
                continue;
            };
            if image.contains('@') {
                continue;
            }
            if let Some(digest) = digests.get(image) {
                ops.push(json!({
                    "op": "replace",
                    "path": format!("{prefix}/{key}/{i}/image"),
                    "value": format!("{image}@{digest}"),
                }));
            }
        }
    }
    ops
}

/// Every image of a pod spec: containers, init and ephemeral containers.
pub fn images(spec: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for key in ["initContainers", "containers", "ephemeralContainers"] {
        for c in spec[key].as_array().into_iter().flatten() {
            if let Some(image) = c["image"].as_str() {
                if !out.iter().any(|i| i == image) {
                    out.push(image.to_string());
                }
            }
        }
    }
    out
}

fn in_scope(policy: &Policy, namespace: &str, image: &str) -> bool {
    let ns_ok = policy.scope.namespaces.is_empty()
        || policy.scope.namespaces.iter().any(|n| n == namespace);
    let image_ok = policy.scope.images.is_empty()
        || policy.scope.images.iter().any(|g| {
            globset::Glob::new(g)
                .map(|g| g.compile_matcher().is_match(image))
                .unwrap_or(false)
        });
    ns_ok && image_ok
}

/// `?timeout=10s` (the apiserver's webhook timeout) to a deadline with a
/// margin, capped by the server's own maximum.
pub fn deadline(timeout_param: Option<&str>, max: Duration) -> Duration {
    let parsed = timeout_param.and_then(|t| {
        let t = t.trim();
        if let Some(ms) = t.strip_suffix("ms") {
            ms.parse::<u64>().ok().map(Duration::from_millis)
        } else if let Some(s) = t.strip_suffix('s') {
            s.parse::<u64>().ok().map(Duration::from_secs)
        } else {
            t.parse::<u64>().ok().map(Duration::from_secs)
        }
    });
    let budget = parsed.unwrap_or(max).min(max);
    // Leave room to answer: 80% of the budget, at least 50 ms less.
    budget
        .mul_f64(0.8)
        .min(budget.saturating_sub(Duration::from_millis(50)))
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The cached decision for an image pinned by digest (`name@sha256:…`), if
/// fresh: no registry, no credentials, no blocking work. Tags always go
/// through the registry, so a moved tag is seen.
fn cached_pinned(state: &State, image: &str) -> Option<Decision> {
    let (_, digest) = image.rsplit_once('@')?;
    if !digest.starts_with("sha256:") {
        return None;
    }
    let key = (digest.to_string(), state.policy_hash.clone());
    let cache = state.cache.lock().ok()?;
    let (decision, at) = cache.get(&key)?;
    if at.elapsed() >= state.cache_ttl {
        return None;
    }
    state.metrics.cache_hits.fetch_add(1, Ordering::Relaxed);
    Some(decision.clone())
}

/// Verify one image (blocking: registry I/O and signature checks).
fn verify_image(state: &State, image: &str) -> Result<(Decision, bool), String> {
    // Resolve first (one HEAD request): a cached decision for this digest
    // and policy skips fetching the attestations.
    let registry = tollgate_attest::oci::Registry::connect(image, &state.registry)
        .map_err(|e| e.to_string())?;
    let digest = registry.resolve().map_err(|e| e.to_string())?;
    let key = (digest.clone(), state.policy_hash.clone());
    if let Ok(cache) = state.cache.lock() {
        if let Some((decision, at)) = cache.get(&key) {
            if at.elapsed() < state.cache_ttl {
                state.metrics.cache_hits.fetch_add(1, Ordering::Relaxed);
                return Ok((decision.clone(), true));
            }
        }
    }
    let bundles =
        tollgate_attest::oci::attached_bundles_of(&registry, &digest).map_err(|e| e.to_string())?;
    let dir = std::env::temp_dir().join(format!(
        "tollgate-admission-{}-{}",
        std::process::id(),
        digest.trim_start_matches("sha256:")
    ));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let mut paths = Vec::new();
    for (i, b) in bundles.iter().enumerate() {
        let p = dir.join(format!("{i}.json"));
        std::fs::write(&p, serde_json::to_vec(b).unwrap_or_default()).map_err(|e| e.to_string())?;
        paths.push(p);
    }
    let sha = digest.trim_start_matches("sha256:").to_string();
    let decision = gate::decide(
        &state.policy,
        &Target::Digest {
            name: image,
            sha256: &sha,
        },
        &paths,
        now_secs(),
    );
    let _ = std::fs::remove_dir_all(&dir);
    // Only real decisions are cached; errors (above) never are.
    if let Ok(mut cache) = state.cache.lock() {
        cache.insert(key, (decision.clone(), Instant::now()));
    }
    Ok((decision, false))
}

fn log_decision(state: &State, record: &Value) {
    if let Some(path) = &state.decision_log {
        let _guard = state.log_lock.lock();
        if crate::log::append(path, record, &tollgate_sbom::report::rfc3339(now_secs())).is_err() {
            state.metrics.errors.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Review one AdmissionReview body; returns an HTTP status and the JSON body.
///
/// With `mutate`, an admitted review also carries a JSONPatch that pins
/// every verified image to its digest (the `/mutate` endpoint).
pub async fn review(
    state: Arc<State>,
    body: &[u8],
    timeout_param: Option<String>,
    mutate: bool,
) -> (u16, Value) {
    let started = Instant::now();
    let result = review_inner(state.clone(), body, timeout_param, mutate).await;
    state.metrics.observe(started.elapsed());
    result
}

/// Verify on the blocking pool under the deadline; a timeout is an error.
async fn verify_blocking(
    state: &Arc<State>,
    image: &str,
    deadline: Duration,
) -> Result<Decision, String> {
    let s = state.clone();
    let img = image.to_string();
    let work = tokio::task::spawn_blocking(move || verify_image(&s, &img));
    match tokio::time::timeout(deadline, work).await {
        Ok(Ok(Ok((decision, _cached)))) => Ok(decision),
        Ok(Ok(Err(e))) => Err(format!("cannot verify: {e}")),
        Ok(Err(_)) => Err("verification failed internally".to_string()),
        Err(_) => Err(format!(
            "verification did not finish within {} ms (registry slow or unreachable)",
            deadline.as_millis()
        )),
    }
}

async fn review_inner(
    state: Arc<State>,
    body: &[u8],
    timeout_param: Option<String>,
    mutate: bool,
) -> (u16, Value) {
    let bad = |state: &State, reason: String| {
        state.metrics.errors.fetch_add(1, Ordering::Relaxed);
        (400, json!({ "error": reason }))
    };
    let Ok(review) = serde_json::from_slice::<Value>(body) else {
        return bad(&state, "body is not a JSON AdmissionReview".into());
    };
    let Some(request) = review.get("request").filter(|r| r.is_object()) else {
        return bad(&state, "AdmissionReview has no request".into());
    };
    let Some(uid) = request["uid"].as_str() else {
        return bad(&state, "request has no uid".into());
    };
    let api_version = review["apiVersion"]
        .as_str()
        .unwrap_or("admission.k8s.io/v1")
        .to_string();
    let kind = request
        .pointer("/kind/kind")
        .and_then(Value::as_str)
        .unwrap_or("");
    let namespace = request["namespace"].as_str().unwrap_or("");
    let respond = |allowed: bool,
                   message: Option<String>,
                   warnings: Vec<String>,
                   patch: Vec<Value>| {
        let mut response = json!({ "uid": uid, "allowed": allowed });
        if allowed && !patch.is_empty() {
            use base64::Engine;
            response["patchType"] = json!("JSONPatch");
            response["patch"] = json!(base64::engine::general_purpose::STANDARD
                .encode(serde_json::to_vec(&patch).unwrap_or_default()));
        }
        if let Some(m) = message {
            response["status"] = json!({ "code": 403, "message": m });
        }
        if !warnings.is_empty() {
            response["warnings"] = json!(warnings);
        }
        (
            200,
            json!({ "apiVersion": api_version, "kind": "AdmissionReview", "response": response }),
        )
    };
    let Some(spec) = pod_spec(kind, &request["object"]) else {
        // Not a pod-carrying object (or a DELETE with no object): nothing to check.
        return respond(true, None, Vec::new(), Vec::new());
    };
    let images: Vec<String> = images(spec)
        .into_iter()
        .filter(|i| in_scope(&state.policy, namespace, i))
        .collect();
    let deadline = deadline(timeout_param.as_deref(), state.max_deadline);
    let mut denials = Vec::new();
    let mut warnings = Vec::new();
    let mut digests: HashMap<String, String> = HashMap::new();
    for image in images {
        let outcome = match cached_pinned(&state, &image) {
            Some(decision) => Ok(decision),
            None => verify_blocking(&state, &image, deadline).await,
        };
        if state.decision_log.is_some() {
            let record = match &outcome {
                Ok(d) => {
                    json!({ "uid": uid, "namespace": namespace, "image": image, "decision": d })
                }
                Err(e) => json!({ "uid": uid, "namespace": namespace, "image": image, "error": e }),
            };
            log_decision(&state, &record);
        }
        if let Ok(d) = &outcome {
            digests.insert(image.clone(), d.digest.clone());
        }
        match outcome {
            Ok(d) if d.violations == 0 => {}
            Ok(d) => {
                let failed: Vec<String> = d
                    .checks
                    .iter()
                    .filter(|c| !c.passed)
                    .map(|c| format!("{}: {}", c.requirement, c.reason))
                    .collect();
                let message = format!("image {image}: {}", failed.join("; "));
                if d.mode == Mode::Warn {
                    warnings.push(message);
                } else {
                    denials.push(message);
                }
            }
            // Fail closed, whatever the mode: an unverifiable image is not admitted.
            Err(e) => denials.push(format!("image {image}: {e}")),
        }
    }
    if denials.is_empty() {
        state.metrics.allowed.fetch_add(1, Ordering::Relaxed);
        let patch = if mutate {
            digest_patch(kind, spec, &digests)
        } else {
            Vec::new()
        };
        respond(true, None, warnings, patch)
    } else {
        state.metrics.denied.fetch_add(1, Ordering::Relaxed);
        respond(
            false,
            Some(format!(
                "tollgate policy `{}` denied: {}",
                state.policy.name,
                denials.join(" | ")
            )),
            warnings,
            Vec::new(),
        )
    }
}

/// The server's TLS configuration: its certificate chain and key and, with
/// `client_ca`, mandatory client certificates signed by that CA (the
/// apiserver's, configured in its admission kubeconfig). Built the same way
/// on every reload, so a reload can never drop client authentication.
fn tls_config(
    cert: &Path,
    key: &Path,
    client_ca: Option<&Path>,
) -> Result<Arc<rustls::ServerConfig>, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{}: no certificate", cert.display()));
    }
    let private =
        PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            let cas: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(ca)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| format!("{}: {e}", ca.display()))?;
            for c in cas {
                roots.add(c).map_err(|e| format!("{}: {e}", ca.display()))?;
            }
            if roots.is_empty() {
                return Err(format!("{}: no CA certificate", ca.display()));
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .map_err(|e| format!("{}: {e}", ca.display()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder
        .with_single_cert(chain, private)
        .map_err(|e| format!("{} / {}: {e}", cert.display(), key.display()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Serve HTTPS until Ctrl-C or SIGTERM; certificates (and the client CA)
/// are reloaded when their files change.
pub async fn serve(
    state: Arc<State>,
    listen: std::net::SocketAddr,
    cert: PathBuf,
    key: PathBuf,
    client_ca: Option<PathBuf>,
) -> Result<(), String> {
    use axum::extract::{Query, State as AxState};
    use axum::http::StatusCode;
    use axum::routing::{get, post};
    // Several rustls providers are linked (ureq brings ring, sigstore-verify
    // aws-lc-rs); clients that rely on the process default get aws-lc-rs.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let tls = axum_server::tls_rustls::RustlsConfig::from_config(tls_config(
        &cert,
        &key,
        client_ca.as_deref(),
    )?);
    let reload = tls.clone();
    tokio::spawn(async move {
        let stamp = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        let stamps =
            |c: &Path, k: &Path, ca: Option<&Path>| (stamp(c), stamp(k), ca.and_then(stamp));
        let mut last = stamps(&cert, &key, client_ca.as_deref());
        loop {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let now = stamps(&cert, &key, client_ca.as_deref());
            if now != last {
                // A half-written or bad file keeps the old configuration.
                if let Ok(config) = tls_config(&cert, &key, client_ca.as_deref()) {
                    reload.reload_from_config(config);
                    last = now;
                }
            }
        }
    });
    let app = axum::Router::new()
        .route(
            "/validate",
            post(
                |AxState(state): AxState<Arc<State>>,
                 Query(q): Query<HashMap<String, String>>,
                 body: axum::body::Bytes| async move {
                    let (status, value) =
                        review(state, &body, q.get("timeout").cloned(), false).await;
                    (
                        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
                        axum::Json(value),
                    )
                },
            ),
        )
        .route(
            "/mutate",
            post(
                |AxState(state): AxState<Arc<State>>,
                 Query(q): Query<HashMap<String, String>>,
                 body: axum::body::Bytes| async move {
                    let (status, value) =
                        review(state, &body, q.get("timeout").cloned(), true).await;
                    (
                        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
                        axum::Json(value),
                    )
                },
            ),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(|| async { "ok" }))
        .route(
            "/metrics",
            get(|AxState(state): AxState<Arc<State>>| async move { state.metrics.render() }),
        )
        .with_state(state);
    let handle = axum_server::Handle::new();
    let shutdown = handle.clone();
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(t) => t,
                    Err(_) => return,
                };
            tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        shutdown.graceful_shutdown(Some(Duration::from_secs(10)));
    });
    axum_server::bind_rustls(listen, tls)
        .handle(handle)
        .serve(app.into_make_service())
        .await
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_stay_below_the_apiserver_timeout() {
        let max = Duration::from_secs(10);
        assert_eq!(deadline(Some("5s"), max), Duration::from_secs(4));
        assert_eq!(deadline(Some("30s"), max), Duration::from_secs(8));
        assert!(deadline(Some("100ms"), max) <= Duration::from_millis(50));
        assert_eq!(deadline(None, max), Duration::from_secs(8));
    }

    #[test]
    fn digest_patch_pins_tags_and_leaves_pinned_images() {
        let spec = json!({"initContainers": [{"image": "r/a:1"}], "containers": [{"image": "r/b@sha256:00"}, {"image": "r/a:1"}]});
        let digests: HashMap<String, String> =
            [("r/a:1".to_string(), "sha256:ab".to_string())].into();
        let ops = digest_patch("Deployment", &spec, &digests);
        assert_eq!(
            ops,
            vec![
                json!({"op": "replace", "path": "/spec/template/spec/initContainers/0/image", "value": "r/a:1@sha256:ab"}),
                json!({"op": "replace", "path": "/spec/template/spec/containers/1/image", "value": "r/a:1@sha256:ab"}),
            ]
        );
        assert!(digest_patch("ConfigMap", &spec, &digests).is_empty());
    }

    #[test]
    fn images_of_every_container_kind() {
        let spec = json!({"initContainers": [{"image": "a"}], "containers": [{"image": "b"}, {"image": "a"}], "ephemeralContainers": [{"image": "c"}]});
        assert_eq!(images(&spec), vec!["a", "b", "c"]);
        let cron = json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}}}});
        assert_eq!(images(pod_spec("CronJob", &cron).unwrap()), vec!["x"]);
    }
}
