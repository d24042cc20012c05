//! The Kubernetes admission webhook: `POST /validate` admits or denies;
//! `POST /mutate` does the same and, when it admits, returns a JSONPatch
//! pinning each verified image to the digest it was verified at.
//!
//! Every container image of a Pod or of a workload's pod template
//! (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob,
//! ReplicationController, and the legacy `EphemeralContainers` kind),
//! including init and ephemeral containers, goes through the same gate as
//! `tollgate verify`, under every policy of the set that applies to it
//! ([`crate::policy_set`]). It fails closed:
//!
//! * one deadline per review, below the apiserver's `?timeout=`; the images
//!   of a review are verified concurrently, and whatever is not done at the
//!   deadline is cancelled (the registry request is dropped, no thread is
//!   left waiting) and denied with a reason;
//! * a registry that fails is a deny whose reason says so; it is never
//!   cached as a verdict (a short negative cache at most), and only
//!   definitive decisions are cached, per policy text and digest;
//! * concurrent reviews of one digest wait for one verification
//!   (single-flight); bundles are verified in memory, no file is written;
//! * a decision that cannot be written to the decision log is a deny
//!   ("decision log unavailable"), except that a review only `warn`
//!   policies applied to is admitted with a warning;
//! * the policy directory is watched; a valid change replaces the set and
//!   drops every cached decision, an invalid one keeps the old set (a log
//!   line and a metric);
//! * DELETE and CONNECT, and UPDATEs that bring no new image (finalizer
//!   removal during deletion, label changes), are admitted unchecked.
//!
//! Malformed and null requests get a 400.

use crate::gate::{self, Decision, Target};
use crate::policy::{Mode, NoMatch};
use crate::policy_set::{PolicySet, Selection};
use crate::reference::ImageRef;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use tokio::time::Instant as TokioInstant;
use tollgate_attest::bundle::StrictValue;
use tollgate_attest::oci::RegistryOptions;

/// Why the server could not start or go on serving.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A certificate, key or CA file that cannot be used (named).
    #[error("{path}: {message}")]
    Tls {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Config(#[from] rustls::Error),
    /// The listener failed.
    #[error("serving: {0}")]
    Io(#[from] std::io::Error),
}

/// Why an image was not verified: the reason its review denies with (a
/// registry that failed, a deadline, an internal failure). Never a verdict:
/// it is not cached as one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("{0}")]
#[serde(transparent)]
pub struct Unverified(pub String);

impl From<String> for Unverified {
    fn from(reason: String) -> Unverified {
        Unverified(reason)
    }
}

impl From<&str> for Unverified {
    fn from(reason: &str) -> Unverified {
        Unverified(reason.to_string())
    }
}

/// Latency histogram buckets (seconds).
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0,
];

/// The webhook's counters, served at `/metrics` in Prometheus text format.
#[derive(Default)]
pub struct Metrics {
    /// Reviews admitted.
    pub allowed: AtomicU64,
    /// Reviews denied.
    pub denied: AtomicU64,
    /// Malformed reviews (answered 400).
    pub errors: AtomicU64,
    /// Images answered from cached decisions.
    pub cache_hits: AtomicU64,
    /// Verifications that failed on the registry (not verdicts).
    pub registry_errors: AtomicU64,
    /// Reviews whose decision could not be logged.
    pub log_failures: AtomicU64,
    /// Policy reloads put in force.
    pub reloads_ok: AtomicU64,
    /// Policy changes refused (invalid; the old set kept serving).
    pub reloads_failed: AtomicU64,
    /// 1 while the policy on disk is invalid and the previous set serves.
    pub reload_stale: AtomicU64,
    /// The generation of the set in force (1 at start, +1 per reload).
    pub policy_generation: AtomicU64,
    /// Reviews per latency bucket, not cumulative (one add per review;
    /// summed when rendered), the last one past every bound: the count is
    /// their sum, so a render during a review's adds stays monotone with
    /// `+Inf` equal to the count.
    latency_buckets: [AtomicU64; BUCKETS.len() + 1],
    latency_sum_micros: AtomicU64,
}

impl Metrics {
    fn observe(&self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let i = BUCKETS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(BUCKETS.len());
        self.latency_buckets[i].fetch_add(1, Ordering::Relaxed);
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
        let counter = |out: &mut String, name: &str, help: &str, v: &AtomicU64| {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}\n",
                v.load(Ordering::Relaxed)
            ));
        };
        counter(
            &mut out,
            "tollgate_admission_cache_hits_total",
            "Verification results served from the cache.",
            &self.cache_hits,
        );
        counter(
            &mut out,
            "tollgate_admission_registry_errors_total",
            "Verifications that failed on the registry (denied, not cached as verdicts).",
            &self.registry_errors,
        );
        counter(
            &mut out,
            "tollgate_admission_log_failures_total",
            "Reviews whose decision could not be written to the decision log.",
            &self.log_failures,
        );
        out.push_str("# HELP tollgate_admission_policy_reloads_total Policy reloads by result.\n# TYPE tollgate_admission_policy_reloads_total counter\n");
        out.push_str(&format!(
            "tollgate_admission_policy_reloads_total{{result=\"ok\"}} {}\ntollgate_admission_policy_reloads_total{{result=\"invalid\"}} {}\n",
            self.reloads_ok.load(Ordering::Relaxed),
            self.reloads_failed.load(Ordering::Relaxed)
        ));
        out.push_str(&format!(
            "# HELP tollgate_admission_policy_stale 1 while the policy on disk is invalid and the previous one serves.\n# TYPE tollgate_admission_policy_stale gauge\ntollgate_admission_policy_stale {}\n",
            self.reload_stale.load(Ordering::Relaxed)
        ));
        out.push_str(&format!(
            "# HELP tollgate_admission_policy_generation Policy sets loaded so far.\n# TYPE tollgate_admission_policy_generation gauge\ntollgate_admission_policy_generation {}\n",
            self.policy_generation.load(Ordering::Relaxed)
        ));
        out.push_str("# HELP tollgate_admission_latency_seconds Time to answer an admission review.\n# TYPE tollgate_admission_latency_seconds histogram\n");
        let mut cumulative = 0;
        for (i, b) in BUCKETS.iter().enumerate() {
            cumulative += self.latency_buckets[i].load(Ordering::Relaxed);
            out.push_str(&format!(
                "tollgate_admission_latency_seconds_bucket{{le=\"{b}\"}} {cumulative}\n"
            ));
        }
        let count = cumulative + self.latency_buckets[BUCKETS.len()].load(Ordering::Relaxed);
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

/// The policy set in force and its generation (bumped on every reload).
pub struct Loaded {
    /// The policies.
    pub set: PolicySet,
    /// Bumped on every reload; cached decisions are keyed by it.
    pub generation: u64,
}

/// A definitive decision, cached per generation, policy (its index in
/// that generation's set: two policies never share an entry, whatever
/// their names) and `"{reference}\n{digest}"`. The reference is the
/// canonical spelling the decision was made for, because a policy may read
/// it (Rego's `input.subject`): `app:1` and `app:latest` at one digest are
/// decided, and cached, apart.
type DecisionKey = (u64, usize, String);

fn subject_key(canonical: &str, digest: &str) -> String {
    let mut key = String::with_capacity(canonical.len() + digest.len() + 1);
    key.push_str(canonical);
    key.push('\n');
    key.push_str(digest);
    key
}
/// One verification in flight: (generation, `subject_key`, policy indices).
type FlightKey = (u64, String, Vec<usize>);
type FlightResult = Result<Vec<Decided>, Unverified>;

/// A decision and its JSON for the decision log, serialised once when it
/// is made: a review answered from the cache copies bytes, nothing more.
#[derive(Debug)]
pub struct Cached {
    /// The gate's decision.
    pub decision: Decision,
    json: String,
}

type Decided = Arc<Cached>;

impl Cached {
    fn new(decision: Decision) -> Decided {
        // The review's record gives the image, its normalized name and its
        // digest once; each decision leaves out its subject and digest (the
        // spelling that happened to fill the cache).
        let json = match serde_json::to_value(&decision) {
            Ok(Value::Object(mut m)) => {
                m.remove("subject");
                m.remove("digest");
                Value::Object(m).to_string()
            }
            _ => "null".into(),
        };
        Arc::new(Cached { decision, json })
    }
}

/// Append `s` as a JSON string literal (escaped as serde_json escapes).
fn push_jstr(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            out.push_str(&format!("\\u{b:04x}"));
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Everything a review reads: the policy set in force, the registry
/// options, the decision log, the caches and the metrics. Shared by every
/// review (`Arc<State>`).
pub struct State {
    policies: RwLock<Arc<Loaded>>,
    /// How the registries are reached (TLS, credentials, timeouts).
    pub registry: RegistryOptions,
    /// Where each checked review's decision is recorded (durable before
    /// the review is answered), if anywhere.
    pub decision_log: Option<PathBuf>,
    /// How long a definitive decision is reused (zero: never).
    pub cache_ttl: Duration,
    /// How long a registry failure is remembered for an image (answers
    /// repeated reviews quickly; never a verdict). Zero: not at all.
    pub negative_ttl: Duration,
    /// Upper bound on verification time, whatever the apiserver allows.
    pub max_deadline: Duration,
    /// How often the policy files are looked at.
    pub reload_interval: Duration,
    cache: Mutex<HashMap<DecisionKey, (Decided, Instant)>>,
    negative: Mutex<HashMap<(u64, String), (String, Instant)>>,
    /// Whole outcomes of pinned images answered from cached decisions, per
    /// generation and `"{namespace}\n{image}"`, with the time of the
    /// oldest decision they rest on (so they expire with it).
    outcomes: Mutex<HashMap<(u64, String), (ImageOutcome, Instant)>>,
    flights: Mutex<HashMap<FlightKey, FlightCell>>,
    /// The counters.
    pub metrics: Metrics,
}

impl State {
    /// A state serving `policies` (generation 1), with the default cache
    /// TTL (300 s), negative TTL (2 s), deadline cap (10 s) and reload
    /// interval (1 s).
    pub fn new(
        policies: PolicySet,
        registry: RegistryOptions,
        decision_log: Option<PathBuf>,
    ) -> State {
        let metrics = Metrics::default();
        metrics.policy_generation.store(1, Ordering::Relaxed);
        State {
            policies: RwLock::new(Arc::new(Loaded {
                set: policies,
                generation: 1,
            })),
            registry,
            decision_log,
            cache_ttl: Duration::from_secs(300),
            negative_ttl: Duration::from_secs(2),
            max_deadline: Duration::from_secs(10),
            reload_interval: Duration::from_secs(1),
            cache: Mutex::new(HashMap::new()),
            negative: Mutex::new(HashMap::new()),
            outcomes: Mutex::new(HashMap::new()),
            flights: Mutex::new(HashMap::new()),
            metrics,
        }
    }

    /// The policy set in force.
    pub fn policies(&self) -> Arc<Loaded> {
        match self.policies.read() {
            Ok(p) => p.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Put a new, already validated set in force and forget every decision
    /// made under the old one.
    pub fn replace_policies(&self, set: PolicySet) {
        let mut guard = match self.policies.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let generation = guard.generation + 1;
        *guard = Arc::new(Loaded { set, generation });
        drop(guard);
        if let Ok(mut c) = self.cache.lock() {
            c.clear();
        }
        if let Ok(mut n) = self.negative.lock() {
            n.clear();
        }
        if let Ok(mut o) = self.outcomes.lock() {
            o.clear();
        }
        self.metrics
            .policy_generation
            .store(generation, Ordering::Relaxed);
    }

    /// Load the set again from `path`: a valid change is put in force; an
    /// invalid one keeps the old set. Returns whether anything changed.
    pub fn reload_from(&self, path: &Path) -> Result<bool, crate::policy_set::PolicySetError> {
        match PolicySet::load(path) {
            Ok(set) => {
                self.metrics.reload_stale.store(0, Ordering::Relaxed);
                if set.hash == self.policies().set.hash {
                    return Ok(false);
                }
                self.replace_policies(set);
                self.metrics.reloads_ok.fetch_add(1, Ordering::Relaxed);
                Ok(true)
            }
            Err(e) => {
                self.metrics.reloads_failed.fetch_add(1, Ordering::Relaxed);
                self.metrics.reload_stale.store(1, Ordering::Relaxed);
                Err(e)
            }
        }
    }
}

/// The raw bytes of the policy files (a file, or a directory's policy
/// files and the target of its `..data` link) and of the files the loaded
/// policies read (`extra`: trusted roots), to notice a change cheaply.
fn policy_fingerprint(path: &Path, extra: &[PathBuf]) -> Option<String> {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    let files = if path.is_dir() {
        if let Ok(target) = std::fs::read_link(path.join("..data")) {
            h.update(target.to_string_lossy().as_bytes());
        }
        // Every entry's name: a stray file dropped beside the policies
        // makes a reload, which refuses it (and says so).
        let mut names: Vec<String> = std::fs::read_dir(path)
            .ok()?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for n in names {
            h.update(n.as_bytes());
            h.update([0]);
        }
        crate::policy_set::policy_files(path).ok()?
    } else {
        vec![path.to_path_buf()]
    };
    for f in files.iter().chain(extra) {
        h.update(f.to_string_lossy().as_bytes());
        h.update([0]);
        h.update(std::fs::read(f).unwrap_or_default());
        h.update([0]);
    }
    Some(hex::encode(h.finalize()))
}

/// Watch the policy file or directory (Kubernetes swaps the `..data`
/// symlink of a ConfigMap volume: the directory is read again, never a
/// file handle kept open) and reload on change.
pub fn spawn_policy_watcher(state: Arc<State>, path: PathBuf) {
    tokio::spawn(async move {
        let mut last = policy_fingerprint(&path, &state.policies().set.referenced_files());
        loop {
            tokio::time::sleep(state.reload_interval).await;
            let now = policy_fingerprint(&path, &state.policies().set.referenced_files());
            if now == last {
                continue;
            }
            last = now;
            // On a thread of its own: the blocking pool may be full of
            // verifications (red team rt60: a reload waited 9 s behind
            // slow Rego evaluations), and a change must apply within 5 s.
            let (s, p) = (state.clone(), path.clone());
            let (tx, rx) = tokio::sync::oneshot::channel();
            let spawned = std::thread::Builder::new()
                .name("tollgate-policy-reload".into())
                .spawn(move || {
                    let _ = tx.send(s.reload_from(&p));
                });
            let result = match spawned {
                Ok(_) => rx.await.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            match result {
                Ok(Ok(true)) => {
                    let loaded = state.policies();
                    eprintln!(
                        "tollgate admission: policy reloaded from {} (generation {}: {})",
                        path.display(),
                        loaded.generation,
                        loaded.set.names().join(", ")
                    );
                }
                Ok(Ok(false)) => {}
                Ok(Err(e)) => eprintln!(
                    "tollgate admission: policy change rejected, keeping generation {}: {e}",
                    state.policies().generation
                ),
                Err(e) => eprintln!("tollgate admission: policy reload failed: {e}"),
            }
        }
    });
}

/// Where the pod spec of a Pod or of a workload's template is (a JSON
/// pointer). The legacy `EphemeralContainers` object (Kubernetes 1.21 and
/// older) carries `ephemeralContainers` at its top level.
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
        "EphemeralContainers" => Some(""),
        _ => None,
    }
}

/// The pod spec of a Pod or of a workload's template.
fn pod_spec<'a>(kind: &str, object: &'a Value) -> Option<&'a Value> {
    at(object, pod_spec_pointer(kind)?)
}

/// `Value::pointer` for a pointer of object keys without escapes (ours
/// are constants), with no allocation per segment.
fn at<'a>(value: &'a Value, pointer: &str) -> Option<&'a Value> {
    pointer
        .split('/')
        .skip(1)
        .try_fold(value, |v, key| v.as_object()?.get(key))
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
    for (i, v) in spec["volumes"].as_array().into_iter().flatten().enumerate() {
        let Some(image) = v["image"]["reference"].as_str() else {
            continue;
        };
        if let Some(digest) = digests.get(image).filter(|_| !image.contains('@')) {
            ops.push(json!({
                "op": "replace",
                "path": format!("{prefix}/volumes/{i}/image/reference"),
                "value": format!("{image}@{digest}"),
            }));
        }
    }
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

/// What is wrong with the shape of a pod spec, if anything: every
/// container list is an array of objects, and a pod has at least one
/// container (the legacy `EphemeralContainers` object, only ephemeral
/// ones). A list in another shape would otherwise hide its images.
fn spec_shape_problem(kind: &str, spec: &Value) -> Option<String> {
    for key in [
        "initContainers",
        "containers",
        "ephemeralContainers",
        "volumes",
    ] {
        match &spec[key] {
            Value::Null => {}
            Value::Array(list) => {
                if !list.iter().all(Value::is_object) {
                    return Some(format!("has a `{key}` entry that is not an object"));
                }
            }
            _ => return Some(format!("has `{key}` that is not a list")),
        }
    }
    let volumes = spec["volumes"].as_array().into_iter().flatten();
    if volumes
        .map(|v| &v["image"])
        .any(|i| !i.is_null() && !i.is_object())
    {
        return Some("has an image volume that is not an object".into());
    }
    let required = if kind == "EphemeralContainers" {
        "ephemeralContainers"
    } else {
        "containers"
    };
    match spec[required].as_array() {
        Some(list) if !list.is_empty() => None,
        _ => Some(format!("has no `{required}`")),
    }
}

/// Every image of a pod spec: containers, init and ephemeral containers,
/// and image volumes (`volumes[].image.reference`, Kubernetes'
/// ImageVolume: an image's files mounted into a container). A container or
/// image volume without a string reference is reported as `""` (denied).
pub fn images(spec: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let containers = ["initContainers", "containers", "ephemeralContainers"]
        .into_iter()
        .flat_map(|key| spec[key].as_array().into_iter().flatten())
        .map(|c| &c["image"]);
    let volumes = spec["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| !v["image"].is_null())
        .map(|v| &v["image"]["reference"]);
    let mut seen = std::collections::HashSet::new();
    for image in containers.chain(volumes) {
        let image = image.as_str().unwrap_or("");
        if seen.insert(image) {
            out.push(image.to_string());
        }
    }
    out
}

/// Most distinct images one review checks; a pod spec naming more is
/// denied at once (red team rt60: 20,000 images took 2.1 s, past a 2 s
/// apiserver timeout, and 875 MB). Kubernetes has no such limit, but
/// a pod of a thousand containers is not one to admit unread.
pub const MAX_IMAGES_PER_REVIEW: usize = 1000;

/// Most distinct registries one review reaches; more is denied at once
/// (red team rt62: every registry costs a client, request slots and a
/// credential read, and 1,000 hosts in one pod held 110 MB).
pub const MAX_REGISTRIES_PER_REVIEW: usize = 32;

/// The `timeout` parameter of a query string, decoded as a form is (the
/// last one wins, as it did with axum's `Query`; the apiserver sends one,
/// `timeout=10s`).
fn timeout_param(query: Option<&str>) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .filter(|(k, _)| k == "timeout")
        .last()
        .map(|(_, v)| v.into_owned())
}

/// A namespace as Kubernetes names one (an RFC 1123 label: at most 63
/// lowercase letters, digits and `-`, starting and ending with an
/// alphanumeric), or none (cluster-scoped).
fn valid_namespace(ns: &str) -> bool {
    let b = ns.as_bytes();
    b.is_empty()
        || (b.len() <= 63
            && b.iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
            && b[0] != b'-'
            && b[b.len() - 1] != b'-')
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

/// What one image came to.
#[derive(Debug, Default, Clone)]
struct ImageOutcome {
    image: String,
    digest: Option<String>,
    /// Reasons to deny (enforce-mode failures, errors).
    denials: Vec<String>,
    warnings: Vec<String>,
    /// Some policy applied to it in enforce mode (or no-match deny).
    enforced: bool,
    /// Checked at all (false: no policy covers the namespace).
    checked: bool,
    /// For the decision log: a JSON object.
    record: String,
}

fn failed_checks(d: &Decision) -> String {
    let failed: Vec<String> = d
        .checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| format!("{}: {}", c.requirement, c.reason))
        .collect();
    failed.join("; ")
}

/// Fresh cached decisions for every policy, if all are cached.
fn cached_all(
    state: &State,
    generation: u64,
    indices: &[usize],
    subject: &str,
) -> Option<(Vec<Decided>, Instant)> {
    let cache = state.cache.lock().ok()?;
    let mut out = Vec::with_capacity(1);
    let mut oldest = Instant::now();
    let mut key = (generation, 0, subject.to_string());
    for &i in indices {
        key.1 = i;
        let (decision, at) = cache.get(&key)?;
        if at.elapsed() >= state.cache_ttl {
            return None;
        }
        oldest = oldest.min(*at);
        out.push(decision.clone());
    }
    Some((out, oldest))
}

fn negative_hit(state: &State, generation: u64, image: &str) -> Option<String> {
    if state.negative_ttl.is_zero() {
        return None;
    }
    let cache = state.negative.lock().ok()?;
    let (reason, at) = cache.get(&(generation, image.to_string()))?;
    (at.elapsed() < state.negative_ttl).then(|| reason.clone())
}

fn remember_failure(state: &State, generation: u64, image: &str, reason: &str) {
    state
        .metrics
        .registry_errors
        .fetch_add(1, Ordering::Relaxed);
    if state.negative_ttl.is_zero() {
        return;
    }
    if let Ok(mut cache) = state.negative.lock() {
        if cache.len() > 10_000 {
            let ttl = state.negative_ttl;
            cache.retain(|_, (_, at)| at.elapsed() < ttl);
        }
        cache.insert(
            (generation, image.to_string()),
            (reason.to_string(), Instant::now()),
        );
    }
}

/// Fetch the bundles of a digest and decide under each policy (named by
/// index into the set): the work a single flight does.
async fn verify_digest(
    state: Arc<State>,
    loaded: Arc<Loaded>,
    indices: Vec<usize>,
    registry: Arc<tollgate_attest::oci::Registry>,
    name: String,
    digest: String,
) -> FlightResult {
    // `held` counts the bundles' bytes against the process's budget until
    // the decisions are made (red team rt38: many referrers of large blobs
    // took the webhook past its memory limit).
    let (bundles, held) = tollgate_attest::oci::attached_bundles_held_async(&registry, &digest)
        .await
        .map_err(|e| format!("registry unreachable or failing, not verified: {e}"))?;
    let subject = subject_key(&name, &digest);
    // Work queued on the blocking pool that no review waits for any more
    // (all cancelled at their deadlines) is skipped when its turn comes
    // (red team rt60: abandoned evaluations kept the pool busy).
    let waited = Arc::new(());
    let waiting = Arc::downgrade(&waited);
    let decisions = tokio::task::spawn_blocking(move || {
        // Given back when the bundles below are dropped (declared first,
        // dropped last).
        let _held = held;
        waiting.upgrade()?;
        let inputs: Vec<gate::BundleInput> = bundles
            .into_iter()
            .map(|b| {
                let input =
                    gate::BundleInput::new(format!("{name} referrer {}", b.referrer), b.bytes);
                match b.signed_payload {
                    Some(p) => input.with_signed_payload(p),
                    None => input,
                }
            })
            .collect();
        let sha = digest.trim_start_matches("sha256:").to_string();
        let now = now_secs();
        let decisions: Vec<Decided> = indices
            .iter()
            .map(|&i| {
                Cached::new(gate::decide(
                    &loaded.set.entries[i].policy,
                    &Target::Digest {
                        name: &name,
                        sha256: &sha,
                    },
                    &inputs,
                    now,
                ))
            })
            .collect();
        Some((decisions, loaded, indices, digest))
    })
    .await
    .ok()
    .flatten()
    .ok_or_else(|| "verification failed internally".to_string())?;
    drop(waited);
    let (decisions, loaded, indices, _digest) = decisions;
    // Definitive decisions are cached (per policy, reference and digest).
    if let Ok(mut cache) = state.cache.lock() {
        for (d, &i) in decisions.iter().zip(&indices) {
            cache.insert(
                (loaded.generation, i, subject.clone()),
                (d.clone(), Instant::now()),
            );
        }
    }
    Ok(decisions)
}

/// An image pinned by digest whose decisions are all cached: no registry,
/// no credentials, no blocking work, no await.
fn pinned_and_cached(
    state: &State,
    loaded: &Loaded,
    indices: &[usize],
    reference: &ImageRef,
) -> Option<((String, Vec<Decided>), Instant)> {
    let digest = reference
        .digest
        .as_deref()
        .filter(|d| d.starts_with("sha256:"))?;
    let (ds, oldest) = cached_all(
        state,
        loaded.generation,
        indices,
        &subject_key(&reference.subject(), digest),
    )?;
    Some(((digest.to_string(), ds), oldest))
}

/// Decisions for an image under the selected policies: cache, negative
/// cache, resolution, then one verification per digest at a time.
async fn decisions_for(
    state: &Arc<State>,
    loaded: &Arc<Loaded>,
    indices: &[usize],
    reference: &ImageRef,
) -> Result<(String, Vec<Decided>), Unverified> {
    let generation = loaded.generation;
    if let Some((hit, _)) = pinned_and_cached(state, loaded, indices, reference) {
        state.metrics.cache_hits.fetch_add(1, Ordering::Relaxed);
        return Ok(hit);
    }
    let canonical = reference.to_string();
    if let Some(reason) = negative_hit(state, generation, &canonical) {
        return Err(format!(
            "{reason} (remembered for {} ms)",
            state.negative_ttl.as_millis()
        )
        .into());
    }
    let registry = tollgate_attest::oci::Registry::connect_async(&canonical, &state.registry)
        .await
        .map_err(|e| Unverified(format!("cannot reach the registry: {e}")))?;
    let digest = match registry.resolve_async().await {
        Ok(d) => d,
        Err(e @ tollgate_attest::Error::Verification(_)) => return Err(e.to_string().into()),
        Err(e) => {
            let reason = format!("registry unreachable or failing, not verified: {e}");
            remember_failure(state, generation, &canonical, &reason);
            return Err(reason.into());
        }
    };
    let spelled = reference.subject();
    let subject = subject_key(&spelled, &digest);
    if let Some((ds, _)) = cached_all(state, generation, indices, &subject) {
        state.metrics.cache_hits.fetch_add(1, Ordering::Relaxed);
        return Ok((digest, ds));
    }
    let key: FlightKey = (generation, subject, indices.to_vec());
    // The guard leaves the map when the last waiter leaves, however it
    // leaves: answered, or cancelled at its review's deadline.
    let flight = Flight::join(state, key);
    let registry = Arc::new(registry);
    let result = match &flight.cell {
        Some(cell) => cell
            .get_or_init(|| {
                verify_digest(
                    state.clone(),
                    loaded.clone(),
                    indices.to_vec(),
                    registry,
                    spelled.clone(),
                    digest.clone(),
                )
            })
            .await
            .clone(),
        None => Err("verification failed internally".into()),
    };
    drop(flight);
    match result {
        Ok(ds) => Ok((digest, ds)),
        Err(reason) => {
            remember_failure(state, generation, &canonical, &reason.0);
            Err(reason)
        }
    }
}

type FlightCell = Arc<tokio::sync::OnceCell<FlightResult>>;

/// One waiter's share of a single flight. The map entry is removed by the
/// last waiter to drop its share (every count change happens under the
/// map's lock), so a review cancelled at its deadline leaks nothing.
struct Flight<'a> {
    state: &'a State,
    key: FlightKey,
    cell: Option<FlightCell>,
}

impl<'a> Flight<'a> {
    fn join(state: &'a State, key: FlightKey) -> Flight<'a> {
        let cell = match state.flights.lock() {
            Ok(mut f) => f.entry(key.clone()).or_default().clone(),
            // A poisoned map: fly alone.
            Err(_) => Arc::new(tokio::sync::OnceCell::new()),
        };
        Flight {
            state,
            key,
            cell: Some(cell),
        }
    }
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        let Some(cell) = self.cell.take() else {
            return;
        };
        let Ok(mut map) = self.state.flights.lock() else {
            return;
        };
        drop(cell);
        if map
            .get(&self.key)
            .is_some_and(|c| Arc::strong_count(c) == 1)
        {
            map.remove(&self.key);
        }
    }
}

impl State {
    /// Verifications in flight (single-flight map entries).
    pub fn flights_in_progress(&self) -> usize {
        self.flights.lock().map(|f| f.len()).unwrap_or(0)
    }

    /// `/metrics`: the counters and the verifications in flight.
    pub fn render_metrics(&self) -> String {
        let mut out = self.metrics.render();
        out.push_str(&format!(
            "# HELP tollgate_admission_verifications_in_flight Digests being verified (single-flight entries).\n# TYPE tollgate_admission_verifications_in_flight gauge\ntollgate_admission_verifications_in_flight {}\n",
            self.flights_in_progress()
        ));
        if let Some(w) = self
            .decision_log
            .as_deref()
            .and_then(crate::log::shared::installed)
        {
            let s = w.stats();
            out.push_str(&format!(
                "# HELP tollgate_decision_log_syncs_total Group commits (one write and fdatasync each).\n# TYPE tollgate_decision_log_syncs_total counter\ntollgate_decision_log_syncs_total {}\n# HELP tollgate_decision_log_records_total Records made durable.\n# TYPE tollgate_decision_log_records_total counter\ntollgate_decision_log_records_total {}\n# HELP tollgate_decision_log_sync_seconds_total Time in write and fdatasync.\n# TYPE tollgate_decision_log_sync_seconds_total counter\ntollgate_decision_log_sync_seconds_total {}\n# HELP tollgate_decision_log_max_batch Most records made durable by one fdatasync.\n# TYPE tollgate_decision_log_max_batch gauge\ntollgate_decision_log_max_batch {}\n# HELP tollgate_decision_log_checkpoint_failures_total Scheduled checkpoints that could not be written (retried).\n# TYPE tollgate_decision_log_checkpoint_failures_total counter\ntollgate_decision_log_checkpoint_failures_total {}\n",
                s.batches,
                s.records,
                s.sync_micros as f64 / 1e6,
                s.max_batch,
                s.checkpoint_failures
            ));
        }
        out
    }
}

/// How many whole outcomes are kept (the map is emptied when full).
const OUTCOMES: usize = 10_000;
/// The longest `namespace\nimage` key kept (a namespace is at most 63
/// bytes, an image reference a few hundred).
const OUTCOME_KEY_MAX: usize = 1024;

/// An image of a review after the synchronous part of its check: either
/// its outcome, or the policies whose decisions it still needs.
enum Prepared {
    Done(ImageOutcome),
    Decide {
        out: ImageOutcome,
        reference: ImageRef,
        indices: Vec<usize>,
    },
}

/// Parse the image and select the policies that apply to it.
fn prepare_image(loaded: &Loaded, namespace: &str, image: &str) -> Prepared {
    let mut out = ImageOutcome {
        image: image.to_string(),
        ..Default::default()
    };
    let reference = match ImageRef::parse(image) {
        Ok(r) => r,
        Err(e) => {
            out.checked = true;
            out.enforced = true;
            out.denials.push(e.to_string());
            out.record = json!({ "image": image, "error": e.to_string() }).to_string();
            return Prepared::Done(out);
        }
    };
    let indices: Vec<usize> = match loaded.set.select(Some(namespace), &reference) {
        Selection::NotCovered => return Prepared::Done(out),
        Selection::NoMatch { outcome, covering } => {
            out.checked = true;
            let reason = format!(
                "image {image} ({reference}) matches no policy's image scope in namespace `{namespace}` (covered by {})",
                covering.join(", ")
            );
            out.record = json!({ "image": image, "normalized": reference.to_string(), "noMatch": outcome, "covering": covering }).to_string();
            match outcome {
                NoMatch::Deny => {
                    out.enforced = true;
                    out.denials.push(format!("{reason}; noMatch: deny"));
                }
                NoMatch::Warn => out.warnings.push(format!("{reason}; noMatch: warn")),
                NoMatch::Allow => {}
            }
            return Prepared::Done(out);
        }
        Selection::Policies(entries) => entries
            .iter()
            .filter_map(|e| loaded.set.entries.iter().position(|x| std::ptr::eq(x, *e)))
            .collect(),
    };
    out.checked = true;
    out.enforced = indices
        .iter()
        .any(|&i| loaded.set.entries[i].policy.mode == Mode::Enforce);
    Prepared::Decide {
        out,
        reference,
        indices,
    }
}

/// The outcome of an image from its decisions (or from why there are none).
fn finish_image(
    mut out: ImageOutcome,
    reference: &ImageRef,
    decided: Result<(String, Vec<Decided>), Unverified>,
) -> ImageOutcome {
    let image = out.image.clone();
    match decided {
        Ok((digest, decisions)) => {
            for d in decisions.iter().map(|c| &c.decision) {
                if d.violations == 0 {
                    continue;
                }
                let message = format!("image {image}: policy `{}`: {}", d.policy, failed_checks(d));
                if d.mode == Mode::Warn {
                    out.warnings.push(message);
                } else {
                    out.denials.push(message);
                }
            }
            // Keys in the order serde_json gives an object (sorted); each
            // decision's JSON was serialised when it was made.
            let normalized = reference.to_string();
            let mut record = String::with_capacity(
                decisions.iter().map(|c| c.json.len() + 1).sum::<usize>()
                    + 2 * image.len()
                    + normalized.len()
                    + digest.len()
                    + 64,
            );
            record.push_str("{\"decisions\":[");
            for (i, c) in decisions.iter().enumerate() {
                if i > 0 {
                    record.push(',');
                }
                record.push_str(&c.json);
            }
            record.push_str("],\"digest\":");
            push_jstr(&mut record, &digest);
            record.push_str(",\"image\":");
            push_jstr(&mut record, &image);
            record.push_str(",\"normalized\":");
            push_jstr(&mut record, &normalized);
            record.push('}');
            out.record = record;
            out.digest = Some(digest);
        }
        // Fail closed, whatever the mode: an unverifiable image is not admitted.
        Err(e) => {
            out.enforced = true;
            out.denials.push(format!("image {image}: {e}"));
            out.record = json!({ "image": image, "normalized": reference.to_string(), "error": e })
                .to_string();
        }
    }
    out
}

/// Check one image of a review under the policy set.
async fn check_image(
    state: Arc<State>,
    loaded: Arc<Loaded>,
    namespace: String,
    image: String,
) -> ImageOutcome {
    match prepare_image(&loaded, &namespace, &image) {
        Prepared::Done(out) => out,
        Prepared::Decide {
            out,
            reference,
            indices,
        } => {
            let decided = decisions_for(&state, &loaded, &indices, &reference).await;
            finish_image(out, &reference, decided)
        }
    }
}

/// Every image's outcome, if none needs the registry or a verification
/// (each is pinned and cached, or needs no decision): the common case of a
/// busy cluster, answered without a task, a timer or an await.
fn outcomes_without_io(
    state: &State,
    loaded: &Loaded,
    namespace: &str,
    images: &[String],
) -> Option<Vec<ImageOutcome>> {
    let mut outcomes = Vec::with_capacity(images.len());
    let mut hits = 0;
    for image in images {
        let mut key = String::with_capacity(namespace.len() + image.len() + 1);
        key.push_str(namespace);
        key.push('\n');
        key.push_str(image);
        let key = (loaded.generation, key);
        let known = state.outcomes.lock().ok().and_then(|map| {
            map.get(&key)
                .filter(|(_, at)| at.elapsed() < state.cache_ttl)
                .map(|(o, _)| o.clone())
        });
        if let Some(out) = known {
            hits += 1;
            outcomes.push(out);
            continue;
        }
        match prepare_image(loaded, namespace, image) {
            Prepared::Done(out) => outcomes.push(out),
            Prepared::Decide {
                out,
                reference,
                indices,
            } => {
                let (hit, oldest) = pinned_and_cached(state, loaded, &indices, &reference)?;
                hits += 1;
                let out = finish_image(out, &reference, Ok(hit));
                // Bounded: at most OUTCOMES entries of at most
                // OUTCOME_KEY_MAX key bytes each.
                if key.1.len() <= OUTCOME_KEY_MAX {
                    if let Ok(mut map) = state.outcomes.lock() {
                        if map.len() >= OUTCOMES {
                            map.clear();
                        }
                        map.insert(key, (out.clone(), oldest));
                    }
                }
                outcomes.push(out);
            }
        }
    }
    state.metrics.cache_hits.fetch_add(hits, Ordering::Relaxed);
    Some(outcomes)
}

/// Check every image of a review concurrently under one deadline;
/// whatever is not done by then is cancelled and denied.
async fn check_images(
    state: &Arc<State>,
    loaded: &Arc<Loaded>,
    namespace: &str,
    images: Vec<String>,
    budget: Duration,
) -> Vec<ImageOutcome> {
    let until = TokioInstant::now() + budget;
    let late = |image: &str| {
        state
            .metrics
            .registry_errors
            .fetch_add(1, Ordering::Relaxed);
        ImageOutcome {
        image: image.to_string(),
        denials: vec![format!(
            "image {image}: verification did not finish within {} ms (registry slow or unreachable)",
            budget.as_millis()
        )],
        enforced: true,
        checked: true,
        record: json!({ "image": image, "error": "deadline" }).to_string(),
        ..Default::default()
    }
    };
    if images.len() == 1 {
        let image = images[0].clone();
        let work = check_image(
            state.clone(),
            loaded.clone(),
            namespace.to_string(),
            image.clone(),
        );
        return vec![match tokio::time::timeout_at(until, work).await {
            Ok(o) => o,
            Err(_) => late(&image),
        }];
    }
    let mut set = tokio::task::JoinSet::new();
    for (i, image) in images.iter().enumerate() {
        let work = check_image(
            state.clone(),
            loaded.clone(),
            namespace.to_string(),
            image.clone(),
        );
        set.spawn(async move { (i, tokio::time::timeout_at(until, work).await) });
    }
    let mut results: Vec<Option<ImageOutcome>> = images.iter().map(|_| None).collect();
    // Dropping the set at the deadline aborts whatever is left.
    let _ = tokio::time::timeout_at(until + Duration::from_millis(5), async {
        while let Some(joined) = set.join_next().await {
            if let Ok((i, Ok(o))) = joined {
                results[i] = Some(o);
            }
        }
    })
    .await;
    set.abort_all();
    images
        .iter()
        .zip(results)
        .map(|(image, r)| r.unwrap_or_else(|| late(image)))
        .collect()
}

/// Write the review's record; `Err` when the log cannot take it.
async fn log_review(
    state: &State,
    record: String,
    until: TokioInstant,
) -> Result<Option<crate::log::Receipt>, Unverified> {
    let Some(path) = &state.decision_log else {
        return Ok(None);
    };
    let writer = crate::log::shared::writer(path).map_err(|e| Unverified(e.to_string()))?;
    match tokio::time::timeout_at(until, writer.append_json_async(record)).await {
        Ok(Ok(receipt)) => Ok(Some(receipt)),
        Ok(Err(e)) => Err(e.to_string().into()),
        Err(_) => Err("the write did not finish in time".into()),
    }
}

/// The AdmissionReview response, written directly (keys sorted, as
/// serde_json writes an object): no intermediate `Value` per review.
struct Response<'a> {
    api_version: &'a str,
    uid: &'a str,
    allowed: bool,
    message: Option<String>,
    warnings: Vec<String>,
    /// Base64 of a JSONPatch (an admitted `/mutate` review).
    patch: Option<String>,
    /// Points the apiserver's audit log into the decision log: the
    /// review's record index and leaf hash as `auditAnnotations`.
    receipt: Option<crate::log::Receipt>,
}

impl Response<'_> {
    fn render(&self) -> String {
        let mut out = String::with_capacity(256 + self.message.as_ref().map_or(0, String::len));
        out.push_str("{\"apiVersion\":");
        push_jstr(&mut out, self.api_version);
        out.push_str(",\"kind\":\"AdmissionReview\",\"response\":{\"allowed\":");
        out.push_str(if self.allowed { "true" } else { "false" });
        if let Some(r) = &self.receipt {
            out.push_str(",\"auditAnnotations\":{\"decision-log-index\":\"");
            out.push_str(&r.index.to_string());
            out.push_str("\",\"decision-log-leaf-hash\":\"");
            out.push_str(&r.leaf_hex());
            out.push_str("\"}");
        }
        if let Some(patch) = &self.patch {
            out.push_str(",\"patch\":");
            push_jstr(&mut out, patch);
            out.push_str(",\"patchType\":\"JSONPatch\"");
        }
        if let Some(m) = &self.message {
            out.push_str(",\"status\":{\"code\":403,\"message\":");
            push_jstr(&mut out, m);
            out.push('}');
        }
        out.push_str(",\"uid\":");
        push_jstr(&mut out, self.uid);
        if !self.warnings.is_empty() {
            out.push_str(",\"warnings\":[");
            for (i, w) in self.warnings.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_jstr(&mut out, w);
            }
            out.push(']');
        }
        out.push_str("}}");
        out
    }
}

/// Review one AdmissionReview body; returns an HTTP status and the JSON body.
///
/// With `mutate`, an admitted review also carries a JSONPatch that pins
/// every verified image to its digest (the `/mutate` endpoint).
pub async fn review<B: AsRef<[u8]>>(
    state: Arc<State>,
    body: B,
    timeout_param: Option<String>,
    mutate: bool,
) -> (u16, String) {
    let started = Instant::now();
    let result = review_inner(&state, body, timeout_param, mutate).await;
    state.metrics.observe(started.elapsed());
    result
}

/// The images of the request's object that its old object did not have.
fn new_images(kind: &str, request: &Value) -> Option<Vec<String>> {
    let spec = pod_spec(kind, &request["object"])?;
    let mut imgs = images(spec);
    if let Some(old) = pod_spec(kind, &request["oldObject"]) {
        let before: std::collections::HashSet<String> = images(old).into_iter().collect();
        imgs.retain(|i| !before.contains(i));
    }
    Some(imgs)
}

async fn review_inner<B: AsRef<[u8]>>(
    state: &Arc<State>,
    body: B,
    timeout_param: Option<String>,
    mutate: bool,
) -> (u16, String) {
    let bad = |state: &State, reason: &str| {
        state.metrics.errors.fetch_add(1, Ordering::Relaxed);
        let mut out = String::from("{\"error\":");
        push_jstr(&mut out, reason);
        out.push('}');
        (400, out)
    };
    // No object may repeat a key: serde_json keeps the last of two equal
    // keys and another reader may keep the first, so a review whose
    // `containers` appears twice would be checked for one list and run with
    // the other. The apiserver never sends one.
    let parsed = serde_json::from_slice::<StrictValue>(body.as_ref());
    // Let go of the body at once: it may share the connection's read
    // buffer, which then cannot be reused for the next request while this
    // one waits (for its record to be durable).
    drop(body);
    let Ok(StrictValue(review)) = parsed else {
        return bad(
            state,
            "body is not a JSON AdmissionReview (or repeats a key in an object)",
        );
    };
    let Some(request) = review.get("request").filter(|r| r.is_object()) else {
        return bad(state, "AdmissionReview has no request");
    };
    let Some(uid) = request["uid"].as_str() else {
        return bad(state, "request has no uid");
    };
    let api_version = review["apiVersion"]
        .as_str()
        .unwrap_or("admission.k8s.io/v1");
    let Some(kind) = at(request, "/kind/kind").and_then(Value::as_str) else {
        return bad(state, "request has no kind");
    };
    let namespace = request["namespace"].as_str().unwrap_or("");
    let operation = request["operation"].as_str().unwrap_or("CREATE");
    let respond = |allowed: bool, message: Option<String>| Response {
        api_version,
        uid,
        allowed,
        message,
        warnings: Vec::new(),
        patch: None,
        receipt: None,
    };
    let allow_unchecked = |state: &State| {
        state.metrics.allowed.fetch_add(1, Ordering::Relaxed);
        (200, respond(true, None).render())
    };
    // DELETE and CONNECT run nothing new.
    if operation == "DELETE" || operation == "CONNECT" {
        return allow_unchecked(state);
    }
    let deny_early = |state: &State, message: String| {
        state.metrics.denied.fetch_add(1, Ordering::Relaxed);
        (200, respond(false, Some(message)).render())
    };
    // Every kind this webhook is registered for carries a pod spec; any
    // other kind (or another spelling of one) is not something it knows how
    // to check, and unknown means deny.
    if pod_spec_pointer(kind).is_none() {
        return deny_early(
            state,
            format!("tollgate: kind {kind:?} carries no pod spec this webhook knows how to check; register it only for pod-carrying kinds"),
        );
    }
    // The apiserver never sends another namespace; a caller that does is
    // not the apiserver, and gets a deny before any work (a long namespace
    // would otherwise be copied into every cache key of its review). Every
    // pod-carrying kind is namespaced, and the object must agree.
    let object_ns = at(request, "/object/metadata/namespace");
    if namespace.is_empty()
        || !valid_namespace(namespace)
        || object_ns.is_some_and(|n| !n.is_null() && n.as_str() != Some(namespace))
    {
        return deny_early(
            state,
            "tollgate: the request's namespace is missing, not a Kubernetes namespace name, or not the object's".into(),
        );
    }
    // A pod-carrying kind without a well-formed pod spec: nothing can be
    // checked, so nothing is admitted.
    let Some(spec) = pod_spec(kind, &request["object"]).filter(|s| s.is_object()) else {
        return deny_early(
            state,
            format!("tollgate: the {kind} has no pod spec to check"),
        );
    };
    if let Some(problem) = spec_shape_problem(kind, spec) {
        return deny_early(state, format!("tollgate: the {kind}'s pod spec {problem}"));
    }
    // An UPDATE checks only the images it brings; one that brings none
    // (finalizer removal during deletion, a label change) is admitted.
    let images = if operation == "UPDATE" {
        new_images(kind, request).unwrap_or_default()
    } else {
        images(spec)
    };
    if images.is_empty() {
        return allow_unchecked(state);
    }
    if images.len() > MAX_IMAGES_PER_REVIEW {
        return deny_early(
            state,
            format!(
                "tollgate: the {kind} names {} images, more than the {MAX_IMAGES_PER_REVIEW} this webhook checks in one review",
                images.len()
            ),
        );
    }
    if images.len() > MAX_REGISTRIES_PER_REVIEW {
        let registries: std::collections::HashSet<String> = images
            .iter()
            .filter_map(|i| ImageRef::parse(i).ok().map(|r| r.registry))
            .collect();
        if registries.len() > MAX_REGISTRIES_PER_REVIEW {
            return deny_early(
                state,
                format!(
                    "tollgate: the {kind}'s images are on {} registries, more than the {MAX_REGISTRIES_PER_REVIEW} this webhook reaches in one review",
                    registries.len()
                ),
            );
        }
    }
    let loaded = state.policies();
    let budget = deadline(timeout_param.as_deref(), state.max_deadline);
    let until = TokioInstant::now() + budget;
    let outcomes = match outcomes_without_io(state, &loaded, namespace, &images) {
        Some(outcomes) => outcomes,
        // Boxed: the registry path's future is large, and most reviews of
        // a busy cluster never take it.
        None => Box::pin(check_images(state, &loaded, namespace, images, budget)).await,
    };
    let mut denials: Vec<String> = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    let mut digests: HashMap<String, String> = HashMap::new();
    let mut enforced = false;
    let mut checked = false;
    let mut records = Vec::new();
    for o in outcomes {
        enforced |= o.enforced;
        checked |= o.checked;
        denials.extend(o.denials);
        warnings.extend(o.warnings);
        if mutate {
            if let Some(d) = o.digest {
                digests.insert(o.image.clone(), d);
            }
        }
        if o.checked {
            records.push(o.record);
        }
    }
    // A policy reloaded during the review (a revoked key: red team rt62)
    // is in force for its answer: an admission that rests on checks of a
    // policy no longer in force is denied, warn-only policies included
    // (red teams rt64 and rt65: warn reloaded as enforce, and a warn
    // policy whose narrowed scope denies through `noMatch`, were
    // admitted). The apiserver's caller retries.
    if denials.is_empty() && checked {
        let now = state.policies().generation;
        if now != loaded.generation {
            denials.push(format!(
                "tollgate: the policy changed while this review was checked (generation {} is in force, the review began under {}); not admitted under the old policy, retry",
                now, loaded.generation
            ));
        }
    }
    let mut receipt = None;
    if checked && state.decision_log.is_some() {
        // The JSON object, keys sorted (as serde_json writes a `Value`);
        // each image's part was serialised when its decision was made.
        let mut record = String::with_capacity(
            records.iter().map(|r| r.len() + 1).sum::<usize>() + uid.len() + 256,
        );
        record.push_str("{\"allowed\":");
        record.push_str(if denials.is_empty() { "true" } else { "false" });
        record.push_str(",\"images\":[");
        for (i, r) in records.iter().enumerate() {
            if i > 0 {
                record.push(',');
            }
            record.push_str(r);
        }
        record.push_str("],\"kind\":");
        push_jstr(&mut record, kind);
        record.push_str(",\"name\":");
        record.push_str(&request["name"].to_string());
        record.push_str(",\"namespace\":");
        push_jstr(&mut record, namespace);
        record.push_str(",\"operation\":");
        push_jstr(&mut record, operation);
        record.push_str(",\"policyGeneration\":");
        record.push_str(&loaded.generation.to_string());
        record.push_str(",\"uid\":");
        push_jstr(&mut record, uid);
        record.push_str(",\"userInfo\":");
        record.push_str(&request["userInfo"].to_string());
        record.push('}');
        match log_review(state, record, until + Duration::from_millis(40)).await {
            Ok(r) => receipt = r,
            Err(e) => {
                state.metrics.log_failures.fetch_add(1, Ordering::Relaxed);
                let reason = format!("decision log unavailable: {e}");
                if enforced {
                    denials.push(reason);
                } else {
                    warnings.push(reason);
                }
            }
        }
    }
    let mut response = respond(denials.is_empty(), None);
    response.warnings = warnings;
    response.receipt = receipt;
    if denials.is_empty() {
        state.metrics.allowed.fetch_add(1, Ordering::Relaxed);
        if mutate {
            let patch = digest_patch(kind, spec, &digests);
            if !patch.is_empty() {
                use base64::Engine;
                response.patch = Some(
                    base64::engine::general_purpose::STANDARD
                        .encode(serde_json::to_vec(&patch).unwrap_or_default()),
                );
            }
        }
    } else {
        state.metrics.denied.fetch_add(1, Ordering::Relaxed);
        response.message = Some(format!(
            "tollgate policy ({}) denied: {}",
            loaded.set.names().join(", "),
            denials.join(" | ")
        ));
    }
    (200, response.render())
}

/// The server's TLS configuration: its certificate chain and key and, with
/// `client_ca`, mandatory client certificates signed by that CA (the
/// apiserver's, configured in its admission kubeconfig). Built the same way
/// on every reload, so a reload can never drop client authentication.
fn tls_config(
    cert: &Path,
    key: &Path,
    client_ca: Option<&Path>,
) -> Result<Arc<rustls::ServerConfig>, ServeError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let bad = |path: &Path, message: String| ServeError::Tls {
        path: path.to_path_buf(),
        message,
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| bad(cert, e.to_string()))?;
    if chain.is_empty() {
        return Err(bad(cert, "no certificate".into()));
    }
    let private = PrivateKeyDer::from_pem_file(key).map_err(|e| bad(key, e.to_string()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            let cas: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(ca)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| bad(ca, e.to_string()))?;
            for c in cas {
                roots.add(c).map_err(|e| bad(ca, e.to_string()))?;
            }
            if roots.is_empty() {
                return Err(bad(ca, "no CA certificate".into()));
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .map_err(|e| bad(ca, e.to_string()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder
        .with_single_cert(chain, private)
        .map_err(|e| bad(cert, format!("with key {}: {e}", key.display())))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Serve HTTPS until Ctrl-C or SIGTERM; certificates (and the client CA)
/// are reloaded when their files change, and the policy set when
/// `policy_path` (a file or a directory) changes.
pub async fn serve(
    state: Arc<State>,
    listen: std::net::SocketAddr,
    cert: PathBuf,
    key: PathBuf,
    client_ca: Option<PathBuf>,
    policy_path: Option<PathBuf>,
) -> Result<(), ServeError> {
    if let Some(path) = policy_path {
        spawn_policy_watcher(state.clone(), path);
    }
    use axum::extract::{RawQuery, State as AxState};
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
                 RawQuery(q): RawQuery,
                 body: axum::body::Bytes| async move {
                    let (status, body) =
                        review(state, body, timeout_param(q.as_deref()), false).await;
                    (
                        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        body,
                    )
                },
            ),
        )
        .route(
            "/mutate",
            post(
                |AxState(state): AxState<Arc<State>>,
                 RawQuery(q): RawQuery,
                 body: axum::body::Bytes| async move {
                    let (status, body) =
                        review(state, body, timeout_param(q.as_deref()), true).await;
                    (
                        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        body,
                    )
                },
            ),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(|| async { "ok" }))
        .route(
            "/metrics",
            get(|AxState(state): AxState<Arc<State>>| async move { state.render_metrics() }),
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
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_histogram_is_cumulative_with_inf_equal_to_count() {
        let m = Metrics::default();
        for ms in [0u64, 1, 3, 3, 40, 900, 4_000, 6_000, 60_000] {
            m.observe(Duration::from_millis(ms));
        }
        let text = m.render();
        let buckets: Vec<(String, u64)> = text
            .lines()
            .filter_map(|l| l.strip_prefix("tollgate_admission_latency_seconds_bucket{le=\""))
            .map(|l| {
                let (le, n) = l.split_once("\"} ").unwrap();
                (le.to_string(), n.parse().unwrap())
            })
            .collect();
        assert_eq!(buckets.len(), BUCKETS.len() + 1);
        assert!(buckets.windows(2).all(|w| w[0].1 <= w[1].1), "{buckets:?}");
        // 0, 1 ms in le=0.001; 3, 3 ms in le=0.005; 6 s and 60 s only in +Inf.
        assert_eq!(buckets[0], ("0.001".to_string(), 2));
        assert_eq!(buckets[2], ("0.005".to_string(), 4));
        assert_eq!(buckets[BUCKETS.len() - 1], ("5".to_string(), 7));
        assert_eq!(buckets[BUCKETS.len()], ("+Inf".to_string(), 9));
        assert!(text.contains("tollgate_admission_latency_seconds_count 9\n"));
    }

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
        let spec = json!({"initContainers": [{"image": "a"}], "containers": [{"image": "b"}, {"image": "a"}], "ephemeralContainers": [{"image": "c"}],
            "volumes": [{"name": "cfg", "configMap": {"name": "x"}}, {"name": "tools", "image": {"reference": "d", "pullPolicy": "Always"}}, {"name": "bad", "image": {}}]});
        assert_eq!(images(&spec), vec!["a", "b", "c", "d", ""]);
        let digests: HashMap<String, String> = [("d".to_string(), "sha256:ab".to_string())].into();
        assert_eq!(
            digest_patch("Pod", &spec, &digests),
            vec![
                json!({"op": "replace", "path": "/spec/volumes/1/image/reference", "value": "d@sha256:ab"})
            ]
        );
        let cron = json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}}}});
        assert_eq!(images(pod_spec("CronJob", &cron).unwrap()), vec!["x"]);
    }

    #[test]
    fn string_literals_are_escaped_as_serde_json_escapes_them() {
        let mut all: String = (0u8..0x80).map(char::from).collect();
        all.push_str("é€😀\u{2028}\u{fffd}");
        for s in [all.as_str(), "", "plain", "\"\\", "a\u{0}b\u{1f}c\u{7f}"] {
            let mut out = String::new();
            push_jstr(&mut out, s);
            assert_eq!(out, serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn responses_are_the_json_serde_json_would_write() {
        let receipt = crate::log::Receipt {
            index: 7,
            leaf_hash: [0xab; 32],
        };
        let full = Response {
            api_version: "admission.k8s.io/v1\"x",
            uid: "u\n1",
            allowed: false,
            message: Some("tollgate policy (p) denied: \"q\"".into()),
            warnings: vec!["w1".into(), "w\t2".into()],
            patch: Some("W10=".into()),
            receipt: Some(receipt),
        };
        let expected = json!({
            "apiVersion": "admission.k8s.io/v1\"x",
            "kind": "AdmissionReview",
            "response": {
                "uid": "u\n1",
                "allowed": false,
                "status": {"code": 403, "message": "tollgate policy (p) denied: \"q\""},
                "warnings": ["w1", "w\t2"],
                "patchType": "JSONPatch",
                "patch": "W10=",
                "auditAnnotations": {
                    "decision-log-index": "7",
                    "decision-log-leaf-hash": "ab".repeat(32),
                },
            }
        });
        // Byte for byte: keys sorted, as serde_json writes a `Value`.
        assert_eq!(full.render(), expected.to_string());
        let bare = Response {
            api_version: "admission.k8s.io/v1",
            uid: "u",
            allowed: true,
            message: None,
            warnings: Vec::new(),
            patch: None,
            receipt: None,
        };
        assert_eq!(
            bare.render(),
            json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": {"uid": "u", "allowed": true}}).to_string()
        );
    }

    #[test]
    fn the_timeout_parameter_is_read_from_the_raw_query() {
        assert_eq!(timeout_param(Some("timeout=10s")).as_deref(), Some("10s"));
        assert_eq!(
            timeout_param(Some("a=1&timeout=2s&timeout=9s")).as_deref(),
            Some("9s")
        );
        assert_eq!(timeout_param(Some("timeout=%31s")).as_deref(), Some("1s"));
        assert_eq!(timeout_param(Some("xtimeout=1s")), None);
        assert_eq!(timeout_param(None), None);
    }

    /// Red team: reviews a real apiserver never sends, each of which was
    /// admitted unchecked. Unknown means deny (or 400 for no kind at all).
    #[test]
    fn malformed_reviews_are_denied_before_any_work() {
        let policy = crate::policy::Policy::parse(
            "apiVersion: tollgate.dev/v1\nkind: Policy\nname: p\nauthorities:\n  - name: k\n    key: |\n      -----BEGIN PUBLIC KEY-----\n      MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEKEYfF/v2yEr1bgxfivsn3T2i2oeV\n      bkse3KwEmyWEalv4PlxRFF4nmBT9D86U2t+RG9sn5xRFSuyteB8hpLV67g==\n      -----END PUBLIC KEY-----\n",
        );
        let Ok(policy) = policy else {
            panic!("{policy:?}")
        };
        let set = PolicySet::from_policies(vec![(policy, String::new())]).unwrap();
        let state = Arc::new(State::new(set, RegistryOptions::default(), None));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let ask = |request: Value| {
            let body = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request});
            let (status, text) = runtime.block_on(review(
                state.clone(),
                body.to_string().as_bytes(),
                None,
                false,
            ));
            let v: Value = serde_json::from_str(&text).unwrap();
            (status, v["response"]["allowed"].as_bool(), text)
        };
        let pod = |kind: Value, namespace: Value, spec: Value, meta_ns: Value| {
            json!({"uid": "u", "kind": kind, "namespace": namespace, "operation": "CREATE",
                   "object": {"metadata": {"namespace": meta_ns}, "spec": spec}})
        };
        let k = |kind: &str| json!({"group": "", "version": "v1", "kind": kind});
        let ok_spec = json!({"containers": [{"name": "a", "image": "127.0.0.1:1/x@sha256:0000000000000000000000000000000000000000000000000000000000000000"}]});
        // No kind, or a kind that is not an object with a string: 400.
        for kind in [Value::Null, json!("Pod")] {
            let (status, _, text) = ask(pod(kind, json!("prod"), ok_spec.clone(), Value::Null));
            assert_eq!(status, 400, "{text}");
        }
        let denied = [
            // Another spelling of a kind, or a kind it does not know.
            pod(k("pod"), json!("prod"), ok_spec.clone(), Value::Null),
            pod(k("Service"), json!("prod"), ok_spec.clone(), Value::Null),
            // Container lists in other shapes, or none.
            pod(
                k("Pod"),
                json!("prod"),
                json!({"containers": {"a": {"image": "evil"}}}),
                Value::Null,
            ),
            pod(
                k("Pod"),
                json!("prod"),
                json!({"containers": []}),
                Value::Null,
            ),
            pod(
                k("Pod"),
                json!("prod"),
                json!({"containers": [{"image": "x"}], "initContainers": "evil"}),
                Value::Null,
            ),
            pod(
                k("Pod"),
                json!("prod"),
                json!({"containers": ["evil"]}),
                Value::Null,
            ),
            pod(
                k("Deployment"),
                json!("prod"),
                json!({"template": {"spec": {}}}),
                Value::Null,
            ),
            // Image volumes in other shapes.
            pod(
                k("Pod"),
                json!("prod"),
                json!({"containers": [{"image": "x"}], "volumes": "evil"}),
                Value::Null,
            ),
            pod(
                k("Pod"),
                json!("prod"),
                json!({"containers": [{"image": "x"}], "volumes": [{"image": "evil"}]}),
                Value::Null,
            ),
            // The namespace missing, or not the object's.
            pod(k("Pod"), json!(""), ok_spec.clone(), json!("prod")),
            pod(k("Pod"), Value::Null, ok_spec.clone(), Value::Null),
            pod(k("Pod"), json!("dev"), ok_spec.clone(), json!("prod")),
        ];
        for request in denied {
            let (status, allowed, text) = ask(request.clone());
            assert_eq!((status, allowed), (200, Some(false)), "{request}: {text}");
        }
        // DELETE and an UPDATE that brings no image stay admitted.
        let mut delete = pod(k("Pod"), json!("prod"), Value::Null, Value::Null);
        delete["operation"] = json!("DELETE");
        assert_eq!(ask(delete).1, Some(true));
        let mut update = pod(k("Pod"), json!("prod"), ok_spec.clone(), json!("prod"));
        update["operation"] = json!("UPDATE");
        update["oldObject"] = json!({"spec": ok_spec});
        assert_eq!(ask(update).1, Some(true));
    }

    #[test]
    fn repeated_keys_are_refused_at_any_depth() {
        let parse = |t: &str| serde_json::from_str::<StrictValue>(t).map(|s| s.0);
        assert_eq!(
            parse(r#"{"a":[1,{"b":null,"c":"x"}],"d":-1.5}"#).unwrap(),
            json!({"a": [1, {"b": null, "c": "x"}], "d": -1.5})
        );
        for bad in [
            r#"{"a":1,"a":2}"#,
            r#"{"spec":{"containers":[],"containers":[{"image":"x"}]}}"#,
            r#"[{"x":{"y":1,"y":1}}]"#,
            r#"{"a\u0062":1,"ab":2}"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn namespaces_are_kubernetes_names() {
        for ok in ["", "default", "kube-system", "a", &"a".repeat(63), "team-1"] {
            assert!(valid_namespace(ok), "{ok:?}");
        }
        for bad in [
            &"a".repeat(64),
            "Default",
            "-a",
            "a-",
            "a\nb",
            "a.b",
            "a b",
            "ä",
        ] {
            assert!(!valid_namespace(bad), "{bad:?}");
        }
    }
}
