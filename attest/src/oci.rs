//! Signing OCI images in a registry, cosign-compatibly.
//!
//! A tag is resolved to its manifest digest first, and only the digest is
//! signed. Two signature forms are written:
//!
//! * cosign's: a simple-signing payload (`critical.image.docker-manifest-digest`)
//!   as a layer of the manifest tagged `sha256-<hex>.sig`, with the
//!   signature in the `dev.cosignproject.cosign/signature` annotation (and,
//!   keyless, the certificate, chain and Rekor bundle annotations);
//! * a Sigstore bundle v0.3 as an OCI 1.1 referrer of the image (artifactType
//!   `application/vnd.dev.sigstore.bundle.v0.3+json`), indexed by the
//!   registry's referrers API or, where the registry lacks it, by the
//!   tag-schema fallback (an index tagged `sha256-<hex>`).
//!
//! Plain HTTP is used only with `allow_insecure`, and only for loopback.

use crate::keys::{verify_signature, KeyPair};
use crate::Error;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;

/// Media type of cosign's simple-signing payload.
pub const SIMPLE_SIGNING_MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// cosign's signature annotation.
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// cosign's certificate annotation.
pub const CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
/// cosign's Rekor bundle annotation.
pub const REKOR_BUNDLE_ANNOTATION: &str = "dev.sigstore.cosign/bundle";
/// Artifact type of a Sigstore bundle v0.3 referrer.
pub const BUNDLE_ARTIFACT_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// Media type of a DSSE envelope layer.
pub const DSSE_MEDIA_TYPE: &str = "application/vnd.dsse.envelope.v1+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const EMPTY_CONFIG: &str = "application/vnd.oci.empty.v1+json";

/// How to reach a registry.
#[derive(Clone, Debug, Default)]
pub struct RegistryOptions {
    /// Allow plain HTTP, to a loopback registry only.
    pub allow_insecure: bool,
    /// Registry user name (otherwise Docker's config).
    pub username: Option<String>,
    /// Registry password.
    pub password: Option<String>,
}

/// How to sign.
pub enum ImageSigner<'a> {
    /// A long-lived key.
    Keyed(&'a KeyPair),
    /// An ephemeral key certified by Fulcio for the token's identity.
    Keyless {
        /// The OIDC identity token.
        token: &'a str,
        /// The Fulcio to certify the key.
        fulcio_url: &'a str,
        /// The Rekor to log to.
        rekor_url: &'a str,
    },
}

#[derive(Debug, Clone, serde::Serialize)]
/// What signing an image did.
pub struct SignedImage {
    /// `registry/repository@sha256:...`
    pub image: String,
    /// The manifest digest signed.
    pub digest: String,
    /// cosign's `.sig` tag the signature was pushed to.
    pub signature_tag: String,
    /// The digest of the bundle's referrer manifest.
    pub referrer_digest: String,
    /// The registry lacked the referrers API; the `sha256-<hex>` index tag was used.
    pub referrers_fallback: bool,
}

fn reg_err(reference: &str, message: impl std::fmt::Display) -> Error {
    Error::Registry {
        reference: reference.to_string(),
        message: message.to_string(),
    }
}

fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn is_loopback(registry: &str) -> bool {
    let host = registry
        .rsplit_once(':')
        .map(|(h, _)| h)
        .unwrap_or(registry)
        .trim_start_matches('[')
        .trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Credentials: explicit, else the Docker config file (`auths`, credential helpers).
fn credentials(registry: &str, options: &RegistryOptions) -> Result<RegistryAuth, Error> {
    if let (Some(user), Some(pass)) = (&options.username, &options.password) {
        return Ok(RegistryAuth::Basic(user.clone(), pass.clone()));
    }
    let dir = std::env::var_os("DOCKER_CONFIG")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".docker")));
    let Some(path) = dir.map(|d| d.join("config.json")).filter(|p| p.is_file()) else {
        return Ok(RegistryAuth::Anonymous);
    };
    let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
        path: path.clone(),
        source,
    })?;
    let config: Value = serde_json::from_str(&text)
        .map_err(|e| reg_err(registry, format!("{}: {e}", path.display())))?;
    let helper = config["credHelpers"][registry]
        .as_str()
        .or_else(|| config["credsStore"].as_str());
    if let Some(helper) = helper {
        use std::io::Write;
        // The name becomes part of a program name: no paths, no shell.
        if helper.is_empty()
            || !helper
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
            || helper.contains("..")
        {
            return Err(reg_err(
                registry,
                format!(
                    "{}: invalid credential helper name `{helper}`",
                    path.display()
                ),
            ));
        }
        let mut child = std::process::Command::new(format!("docker-credential-{helper}"))
            .arg("get")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| {
                reg_err(
                    registry,
                    format!("credential helper docker-credential-{helper}: {e}"),
                )
            })?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(registry.as_bytes())
                .map_err(|e| reg_err(registry, e))?;
        }
        let (status, stdout) = wait_helper(&mut child).ok_or_else(|| {
            reg_err(
                registry,
                format!(
                    "credential helper docker-credential-{helper} did not answer within {} s (stopped)",
                    CREDENTIAL_HELPER_TIMEOUT.as_secs()
                ),
            )
        })?;
        if status.success() {
            let creds: Value = serde_json::from_slice(&stdout)
                .map_err(|e| reg_err(registry, format!("credential helper output: {e}")))?;
            if let (Some(u), Some(s)) = (creds["Username"].as_str(), creds["Secret"].as_str()) {
                return Ok(RegistryAuth::Basic(u.into(), s.into()));
            }
        }
    }
    if let Some(auth) = config["auths"][registry]["auth"].as_str() {
        let decoded = B64.decode(auth).map_err(|e| {
            reg_err(
                registry,
                format!("{}: auths.{registry}.auth: {e}", path.display()),
            )
        })?;
        let text = String::from_utf8_lossy(&decoded);
        if let Some((u, p)) = text.split_once(':') {
            return Ok(RegistryAuth::Basic(u.into(), p.into()));
        }
    }
    Ok(RegistryAuth::Anonymous)
}

/// Longest a Docker credential helper may take (red team rt60: a helper
/// whose metadata endpoint never answered held the webhook for 30 s).
pub const CREDENTIAL_HELPER_TIMEOUT: Duration = Duration::from_secs(5);

/// The exit status and output of a credential helper, or `None` (and the
/// helper killed) when it runs past [`CREDENTIAL_HELPER_TIMEOUT`]. Its
/// output is read on another thread, so a helper that fills the pipe
/// cannot block the wait.
fn wait_helper(child: &mut std::process::Child) -> Option<(std::process::ExitStatus, Vec<u8>)> {
    use std::io::Read;
    let (tx, rx) = std::sync::mpsc::channel();
    // What the helper wrote so far: a helper that exits leaving a child
    // with its output open (red team rt62) is read up to its exit.
    let got = Arc::new(std::sync::Mutex::new(Vec::new()));
    if let Some(mut out) = child.stdout.take() {
        let got = got.clone();
        std::thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            loop {
                match out.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let Ok(mut buf) = got.lock() else { break };
                        // At most 1 MiB of credentials.
                        if buf.len() + n > 1 << 20 {
                            break;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                    }
                }
            }
            let _ = tx.send(());
        });
    }
    let until = std::time::Instant::now() + CREDENTIAL_HELPER_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if std::time::Instant::now() < until => {
                std::thread::sleep(Duration::from_millis(5));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    };
    // The helper has exited: its output ends now, or soon.
    let left = until.saturating_duration_since(std::time::Instant::now());
    let _ = rx.recv_timeout(left.min(Duration::from_millis(250)));
    let stdout = got.lock().map(|b| b.clone()).unwrap_or_default();
    Some((status, stdout))
}

/// Credentials of each registry read lately (`Registry::connect_async`):
/// a helper runs at most once per registry at a time, its answer is
/// reused for [`CREDENTIALS_TTL`] and its failure for
/// [`CREDENTIALS_FAILURE_TTL`], and at most [`HELPERS_AT_ONCE`] helpers
/// run at once in the process.
const CREDENTIALS_TTL: Duration = Duration::from_secs(60);
const CREDENTIALS_FAILURE_TTL: Duration = Duration::from_secs(10);
const HELPERS_AT_ONCE: usize = 4;

/// What a registry's last credential read gave, and when.
#[derive(Default)]
struct CredentialState {
    auth: Option<(RegistryAuth, std::time::Instant)>,
    failed: Option<(String, std::time::Instant)>,
    /// A refresh of expired credentials is under way.
    refreshing: bool,
}

/// A registry's credentials: what is known (read without waiting), and
/// the lock a helper run holds.
#[derive(Default)]
struct CredentialSlotInner {
    state: std::sync::Mutex<CredentialState>,
    run: tokio::sync::Mutex<()>,
}

type CredentialSlot = Arc<CredentialSlotInner>;

impl CredentialSlotInner {
    fn state(&self) -> std::sync::MutexGuard<'_, CredentialState> {
        match self.state.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

static CREDENTIAL_SLOTS: PerRegistry<String, CredentialSlot> = PerRegistry::new();

/// Worth keeping: credentials read most, then a read under way (red team
/// rt65: a slot dropped mid-read lost its answer), then nothing.
fn credential_worth(slot: &CredentialSlot) -> u8 {
    if slot.state().auth.is_some() {
        2
    } else if slot.run.try_lock().is_err() {
        1
    } else {
        0
    }
}

fn credential_slot(key: String) -> CredentialSlot {
    CREDENTIAL_SLOTS.get_keeping(key, Default::default, credential_worth)
}

/// Expired credentials are still used, while a fresh read runs, for up
/// to this long: a registry in use never waits for a helper after its
/// first read (red team rt63: new hosts queued helper runs ahead of a
/// busy registry's refresh). Credentials give access, not trust.
const CREDENTIALS_STALE_TTL: Duration = Duration::from_secs(3600);

/// The credentials of `host`, read as [`CREDENTIALS_TTL`] says. The read
/// runs in a task of its own that holds the registry's run lock until its
/// helper ends (red team rt62: a review cancelled at its deadline let the
/// next start another helper, 16 at once), so a caller's deadline only
/// stops its wait; a first read whose callers all gave up before its turn
/// runs no helper (red team rt63: such reads queued for minutes).
async fn credentials_async(host: String, options: RegistryOptions) -> Result<RegistryAuth, Error> {
    // Per registry and per explicit login (the answer depends on both).
    let key = format!(
        "{host}\n{}\n{}",
        options.username.as_deref().unwrap_or(""),
        options.password.as_deref().unwrap_or("")
    );
    let slot = credential_slot(key.clone());
    {
        let mut state = slot.state();
        if let Some((auth, at)) = &state.auth {
            if at.elapsed() < CREDENTIALS_TTL {
                return Ok(auth.clone());
            }
            if at.elapsed() < CREDENTIALS_STALE_TTL {
                let auth = auth.clone();
                if !state.refreshing {
                    state.refreshing = true;
                    let slot = slot.clone();
                    tokio::spawn(async move {
                        let _ = read_credentials(&slot, &key, &host, options, None).await;
                        slot.state().refreshing = false;
                    });
                }
                return Ok(auth);
            }
        }
    }
    let waiting = Arc::new(());
    let weak = Arc::downgrade(&waiting);
    let (s, h) = (slot.clone(), host.clone());
    let read =
        tokio::spawn(async move { read_credentials(&s, &key, &h, options, Some(weak)).await });
    let read = read
        .await
        .map_err(|e| reg_err(&host, format!("reading credentials: {e}")))?;
    drop(waiting);
    read
}

/// One credential read for [`credentials_async`]: a refresh (`waiting`
/// is `None`), or a first read for the callers `waiting` counts.
async fn read_credentials(
    slot: &CredentialSlot,
    key: &str,
    host: &str,
    options: RegistryOptions,
    waiting: Option<std::sync::Weak<()>>,
) -> Result<RegistryAuth, Error> {
    static HELPERS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(HELPERS_AT_ONCE);
    let _run = slot.run.lock().await;
    {
        let state = slot.state();
        if let Some((auth, at)) = &state.auth {
            if at.elapsed() < CREDENTIALS_TTL {
                return Ok(auth.clone());
            }
        }
        if let Some((reason, at)) = &state.failed {
            if at.elapsed() < CREDENTIALS_FAILURE_TTL {
                return Err(reg_err(
                    host,
                    format!(
                        "{reason} (remembered for {} s)",
                        CREDENTIALS_FAILURE_TTL.as_secs()
                    ),
                ));
            }
        }
    }
    let abandoned = || {
        waiting
            .as_ref()
            .is_some_and(|w| w.strong_count() == 0)
            .then(|| {
                reg_err(
                    host,
                    "credential read abandoned: no review waits for it any more",
                )
            })
    };
    if let Some(e) = abandoned() {
        return Err(e);
    }
    // A refresh never waits for a turn (red team rt64: refreshes nobody
    // waits for queued for minutes); it is tried again on the next use.
    let _turn = match &waiting {
        None => HELPERS
            .try_acquire()
            .map_err(|_| reg_err(host, "no helper turn free for a refresh"))?,
        Some(_) => HELPERS.acquire().await.map_err(|e| reg_err(host, e))?,
    };
    if let Some(e) = abandoned() {
        return Err(e);
    }
    let (h, o) = (host.to_string(), options);
    let read = tokio::task::spawn_blocking(move || credentials(&h, &o))
        .await
        .map_err(|e| reg_err(host, format!("reading credentials: {e}")))
        .and_then(|r| r);
    let mut state = slot.state();
    match &read {
        Ok(auth) => {
            state.auth = Some((auth.clone(), std::time::Instant::now()));
            state.failed = None;
        }
        Err(e) => state.failed = Some((e.to_string(), std::time::Instant::now())),
    }
    drop(state);
    // The slot may have left the map while its read waited (a full map,
    // red team rt67): what it read is put back where the next caller
    // looks.
    if read.is_ok() {
        CREDENTIAL_SLOTS.put(key.to_string(), slot.clone(), credential_worth);
    }
    read
}

/// Connect timeout of every registry connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Longest wait for any read from a registry (a registry that accepts and
/// then says nothing fails here, or earlier at the caller's deadline).
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest time one request may take, start to end.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// Most requests in flight to one registry at a time (across every review
/// of a webhook); the rest wait their turn, under their own deadline.
pub const MAX_REQUESTS_PER_REGISTRY: usize = 16;

/// One runtime for the blocking API's registry I/O: pooled connections
/// outlive a single call. The async API runs on the caller's runtime.
fn shared_runtime() -> Option<&'static tokio::runtime::Runtime> {
    static RUNTIME: std::sync::OnceLock<Option<tokio::runtime::Runtime>> =
        std::sync::OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("tollgate-oci")
                .enable_all()
                .build()
                .ok()
        })
        .as_ref()
}

/// One client per registry and protocol, so TLS roots are loaded and
/// connections are pooled once, not per request; with the connect and
/// read timeouts.
/// Registries whose clients, request slots and credentials are kept at
/// most: past this many, the maps start again (what is in use stays alive
/// with its user). Red team rt62: a webhook asked about 1,000 new
/// registry hosts per review kept a client for each, 110 MB a review,
/// never freed.
pub const MAX_KEPT_REGISTRIES: usize = 256;

/// A process-wide map of something per registry, bounded by
/// [`MAX_KEPT_REGISTRIES`]: when full, the half least recently used goes
/// (red team rt63: clearing it all let a burst of new hosts push out the
/// credentials of the registries in use).
type PerRegistryMap<K, V> = std::collections::HashMap<K, (V, std::time::Instant)>;
struct PerRegistry<K, V>(std::sync::OnceLock<std::sync::Mutex<PerRegistryMap<K, V>>>);

impl<K: std::hash::Hash + Eq, V: Clone> PerRegistry<K, V> {
    const fn new() -> Self {
        PerRegistry(std::sync::OnceLock::new())
    }

    fn get(&self, key: K, make: impl FnOnce() -> V) -> V {
        self.get_keeping(key, make, |_| 0)
    }

    /// [`PerRegistry::get`]; when full, the half of the entries of least
    /// `worth`, the least recently used first among equals, goes (red
    /// teams rt64 and rt65: a flood of new hosts, each with a slot and no
    /// credentials or a read waiting its turn, pushed out a registry's
    /// fresh credentials).
    fn get_keeping(&self, key: K, make: impl FnOnce() -> V, worth: impl Fn(&V) -> u8) -> V {
        let mut map = self.lock();
        let now = std::time::Instant::now();
        make_room(&mut map, &key, worth);
        let entry = map.entry(key).or_insert_with(|| (make(), now));
        entry.1 = now;
        entry.0.clone()
    }

    /// Put `value` under `key` (again), as [`PerRegistry::get_keeping`]
    /// would keep it.
    fn put(&self, key: K, value: V, worth: impl Fn(&V) -> u8) {
        let mut map = self.lock();
        make_room(&mut map, &key, worth);
        map.insert(key, (value, std::time::Instant::now()));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PerRegistryMap<K, V>> {
        match self.0.get_or_init(Default::default).lock() {
            Ok(map) => map,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

/// Make room for `key` in a full map: the half of least `worth` goes,
/// the least recently used first among equals.
fn make_room<K: std::hash::Hash + Eq, V>(
    map: &mut PerRegistryMap<K, V>,
    key: &K,
    worth: impl Fn(&V) -> u8,
) {
    if map.len() >= MAX_KEPT_REGISTRIES && !map.contains_key(key) {
        let mut ranks: Vec<(u8, std::time::Instant)> =
            map.values().map(|(v, at)| (worth(v), *at)).collect();
        ranks.sort_unstable();
        if let Some(&cut) = ranks.get(ranks.len() / 2) {
            map.retain(|_, (v, at)| (worth(v), *at) > cut);
        }
    }
}

fn shared_client(registry: &str, protocol: ClientProtocol) -> Client {
    static CLIENTS: PerRegistry<(String, bool), Client> = PerRegistry::new();
    let insecure = matches!(protocol, ClientProtocol::HttpsExcept(_));
    CLIENTS.get((registry.to_string(), insecure), || {
        Client::new(ClientConfig {
            protocol,
            connect_timeout: Some(CONNECT_TIMEOUT),
            read_timeout: Some(READ_TIMEOUT),
            ..Default::default()
        })
    })
}

/// The request slots of one registry.
fn registry_slots(registry: &str) -> Arc<tokio::sync::Semaphore> {
    static SLOTS: PerRegistry<String, Arc<tokio::sync::Semaphore>> = PerRegistry::new();
    SLOTS.get(registry.to_string(), || {
        Arc::new(tokio::sync::Semaphore::new(MAX_REQUESTS_PER_REGISTRY))
    })
}

/// A connection to one repository.
///
/// Every request holds one of the registry's slots and runs under
/// [`REQUEST_TIMEOUT`] (and the client's connect and read timeouts). The
/// `*_async` methods are cancel-safe: dropping the future (a deadline)
/// drops the request and its connection, and no thread is left behind.
pub struct Registry {
    client: Client,
    auth: RegistryAuth,
    reference: Reference,
    display: String,
    slots: Arc<tokio::sync::Semaphore>,
}

impl Registry {
    /// Open a registry client for the image reference.
    pub fn connect(image: &str, options: &RegistryOptions) -> Result<Registry, Error> {
        let mut registry = Registry::connect_with(image, options, RegistryAuth::Anonymous)?;
        registry.auth = credentials(registry.reference.resolve_registry(), options)?;
        Ok(registry)
    }

    /// A client for the image with these credentials.
    fn connect_with(
        image: &str,
        options: &RegistryOptions,
        auth: RegistryAuth,
    ) -> Result<Registry, Error> {
        let reference: Reference = image
            .parse()
            .map_err(|e| reg_err(image, format!("not an image reference: {e}")))?;
        let registry = reference.resolve_registry().to_string();
        let protocol = if options.allow_insecure {
            if !is_loopback(&registry) {
                return Err(reg_err(
                    image,
                    "--allow-insecure-registry is only for a registry on a loopback address",
                ));
            }
            ClientProtocol::HttpsExcept(vec![registry.clone()])
        } else {
            ClientProtocol::Https
        };
        let client = shared_client(&registry, protocol);
        Ok(Registry {
            client,
            auth,
            slots: registry_slots(&registry),
            reference,
            display: image.to_string(),
        })
    }

    /// [`Registry::connect`] for async callers: the credentials are read
    /// on the blocking pool (a credential helper is a process that may
    /// hang), one read per registry at a time, reused for
    /// [`CREDENTIALS_TTL`]; dropping the future (a deadline) stops the
    /// wait, and the helper is stopped after
    /// [`CREDENTIAL_HELPER_TIMEOUT`].
    pub async fn connect_async(image: &str, options: &RegistryOptions) -> Result<Registry, Error> {
        let mut registry = Registry::connect_with(image, options, RegistryAuth::Anonymous)?;
        let host = registry.reference.resolve_registry().to_string();
        registry.auth = credentials_async(host, options.clone()).await?;
        Ok(registry)
    }

    fn runtime(&self) -> Result<&'static tokio::runtime::Runtime, Error> {
        shared_runtime().ok_or_else(|| reg_err(&self.display, "cannot start the I/O runtime"))
    }

    /// Run a blocking call's future on the shared runtime.
    fn block_on<T>(
        &self,
        fut: impl std::future::Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        self.runtime()?.block_on(fut)
    }

    /// One request: a registry slot, then the request under its timeout.
    async fn request<T, E: std::fmt::Display>(
        &self,
        what: &str,
        fut: impl std::future::Future<Output = Result<T, E>>,
    ) -> Result<Result<T, E>, Error> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| reg_err(&self.display, "registry slots closed"))?;
        tokio::time::timeout(REQUEST_TIMEOUT, fut)
            .await
            .map_err(|_| {
                reg_err(
                    &self.display,
                    format!("{what}: no answer within {} s", REQUEST_TIMEOUT.as_secs()),
                )
            })
    }

    fn at(&self, tag_or_digest: &str) -> Reference {
        if tag_or_digest.starts_with("sha256:") {
            Reference::with_digest(
                self.reference.registry().to_string(),
                self.reference.repository().to_string(),
                tag_or_digest.to_string(),
            )
        } else {
            Reference::with_tag(
                self.reference.registry().to_string(),
                self.reference.repository().to_string(),
                tag_or_digest.to_string(),
            )
        }
    }

    /// The manifest digest the reference names: the SHA-256 of the manifest
    /// bytes the registry serves. A tag is resolved with HEAD *and* GET; if
    /// the digest HEAD announces is not the digest of the bytes GET serves,
    /// that is an error (a registry showing one manifest to the verifier and
    /// another to the kubelet). A digest reference is used as it is.
    pub fn resolve(&self) -> Result<String, Error> {
        self.block_on(self.resolve_async())
    }

    /// Resolve the reference to its manifest digest (GET's bytes hashed; HEAD must agree).
    pub async fn resolve_async(&self) -> Result<String, Error> {
        if let Some(d) = self.reference.digest() {
            return Ok(d.to_string());
        }
        let head = self
            .request(
                "HEAD manifest",
                self.client
                    .fetch_manifest_digest(&self.reference, &self.auth),
            )
            .await?
            .map_err(|e| reg_err(&self.display, e))?;
        let tag = self.reference.tag().unwrap_or("latest").to_string();
        let (bytes, _) = self
            .pull_manifest_async(&tag)
            .await?
            .ok_or_else(|| reg_err(&self.display, "manifest unknown (GET)"))?;
        let got = sha256_digest(&bytes);
        if got != head {
            return Err(Error::Verification(format!(
                "{}: the registry answered HEAD with {head} but GET served a manifest whose digest is {got}",
                self.display
            )));
        }
        Ok(got)
    }

    fn pull_manifest(&self, tag_or_digest: &str) -> Result<Option<(Vec<u8>, String)>, Error> {
        self.block_on(self.pull_manifest_async(tag_or_digest))
    }

    /// A manifest's bytes and their SHA-256 digest; `None` when the registry
    /// says it does not exist. A digest reference's bytes must hash to it.
    async fn pull_manifest_async(
        &self,
        tag_or_digest: &str,
    ) -> Result<Option<(Vec<u8>, String)>, Error> {
        self.pull_manifest_capped_async(tag_or_digest, oci_client::client::MAX_BUFFERED_BODY)
            .await
    }

    /// [`Registry::pull_manifest_async`] reading at most `cap` bytes.
    async fn pull_manifest_capped_async(
        &self,
        tag_or_digest: &str,
        cap: usize,
    ) -> Result<Option<(Vec<u8>, String)>, Error> {
        let reference = self.at(tag_or_digest);
        let answer = self
            .request(
                "GET manifest",
                self.client.pull_manifest_raw_capped(
                    &reference,
                    &self.auth,
                    &[
                        OCI_MANIFEST,
                        OCI_INDEX,
                        "application/vnd.docker.distribution.manifest.v2+json",
                        "application/vnd.docker.distribution.manifest.list.v2+json",
                    ],
                    cap,
                ),
            )
            .await?;
        match answer {
            Ok((bytes, _)) => {
                let digest = sha256_digest(&bytes);
                if tag_or_digest.starts_with("sha256:") && digest != tag_or_digest {
                    return Err(reg_err(
                        &self.display,
                        format!("manifest {tag_or_digest} does not match its digest"),
                    ));
                }
                Ok(Some((bytes.to_vec(), digest)))
            }
            Err(oci_client::errors::OciDistributionError::ImageManifestNotFoundError(_)) => {
                Ok(None)
            }
            Err(e) if is_not_found(&e.to_string()) => Ok(None),
            Err(e) => Err(reg_err(&self.display, e)),
        }
    }

    fn push_blob(&self, data: &[u8]) -> Result<Value, Error> {
        let digest = sha256_digest(data);
        let runtime = self.runtime()?;
        runtime.block_on(
            self.client
                .store_auth_if_needed(self.reference.resolve_registry(), &self.auth),
        );
        let exists = runtime
            .block_on(self.client.blob_exists(&self.reference, &digest))
            .unwrap_or(false);
        if !exists {
            runtime
                .block_on(
                    self.client
                        .push_blob(&self.reference, data.to_vec(), &digest),
                )
                .map_err(|e| reg_err(&self.display, e))?;
        }
        Ok(json!({ "size": data.len(), "digest": digest }))
    }

    fn push_manifest(
        &self,
        tag_or_digest: &str,
        manifest: &Value,
        media_type: &str,
    ) -> Result<String, Error> {
        let bytes = serde_json::to_vec(manifest).map_err(|e| reg_err(&self.display, e))?;
        let reference = self.at(tag_or_digest);
        let content_type = media_type
            .parse()
            .map_err(|_| reg_err(&self.display, "media type"))?;
        self.runtime()?
            .block_on(
                self.client
                    .push_manifest_raw(&reference, bytes.clone(), content_type),
            )
            .map_err(|e| reg_err(&self.display, e))?;
        Ok(sha256_digest(&bytes))
    }

    fn pull_blob(&self, digest: &str) -> Result<Vec<u8>, Error> {
        self.block_on(self.pull_blob_async(digest, MAX_BLOB))
    }

    /// A blob's bytes, checked against its digest. At most `cap` (at most
    /// `MAX_BLOB`) bytes are read: a bundle, payload or attestation is
    /// kilobytes, and a repository writer must not be able to exhaust the
    /// verifier's memory.
    async fn pull_blob_async(&self, digest: &str, cap: usize) -> Result<Vec<u8>, Error> {
        // A declared size (budgeted by the caller) is allocated once, not
        // grown by doubling (a peak of 1.5 times the blob).
        let mut out = if cap < MAX_BLOB {
            Vec::with_capacity(cap)
        } else {
            Vec::new()
        };
        let descriptor = oci_client::manifest::OciDescriptor {
            digest: digest.to_string(),
            ..Default::default()
        };
        self.request(
            "GET blob",
            self.client.pull_blob(
                &self.reference,
                &descriptor,
                Capped {
                    out: &mut out,
                    cap: cap.min(MAX_BLOB),
                },
            ),
        )
        .await?
        .map_err(|e| reg_err(&self.display, e))?;
        if sha256_digest(&out) != digest {
            return Err(reg_err(
                &self.display,
                format!("blob {digest} does not match its digest"),
            ));
        }
        Ok(out)
    }

    /// The referrers API, if the registry has it (signing: absent and
    /// broken look the same, and the fallback index is written).
    fn referrers_api(&self, digest: &str) -> Option<Vec<Descriptor>> {
        self.block_on(self.referrers_async(digest)).ok()
    }

    /// The referrers index of a digest: the referrers API, or (where the
    /// registry lacks it) the tag-schema fallback. A registry that fails or
    /// answers garbage is an error, never "no referrers".
    async fn referrers_async(&self, digest: &str) -> Result<Vec<Descriptor>, Error> {
        let reference = self.at(digest);
        let index = self
            .request(
                "GET referrers",
                self.client.pull_referrers(&reference, None),
            )
            .await?
            .map_err(|e| reg_err(&self.display, format!("referrers of {digest}: {e}")))?;
        if index.manifests.len() > MAX_INDEX_ENTRIES {
            return Err(reg_err(
                &self.display,
                format!(
                    "referrers of {digest}: {} entries (at most {MAX_INDEX_ENTRIES} are read)",
                    index.manifests.len()
                ),
            ));
        }
        if !index.manifests.is_empty() {
            return Ok(index
                .manifests
                .into_iter()
                .map(|m| Descriptor {
                    media_type: Some(m.media_type),
                    artifact_type: m.artifact_type,
                    digest: Some(m.digest),
                    size: u64::try_from(m.size).ok(),
                })
                .collect());
        }
        // The client reads a failing fallback tag as "no referrers"; look
        // at it again, so only a tag that does not exist means none. At
        // most `MAX_REFERRERS_BODY` bytes, read into the descriptor fields
        // of at most `MAX_INDEX_ENTRIES` entries (red teams rt38 and rt39:
        // a padded index took 190 to 370 MB as a `Value`).
        match self
            .pull_manifest_capped_async(
                &tag_for(digest, ""),
                oci_client::client::MAX_REFERRERS_BODY,
            )
            .await?
        {
            None => Ok(Vec::new()),
            Some((bytes, _)) => serde_json::from_slice::<Index>(&bytes)
                .map(|index| index.manifests)
                .map_err(|e| {
                    reg_err(
                        &self.display,
                        format!(
                            "referrers of {digest}: the fallback tag is not an image index ({e})"
                        ),
                    )
                }),
        }
    }

    /// The repository as `registry/repository`.
    pub fn name(&self) -> String {
        format!(
            "{}/{}",
            self.reference.resolve_registry(),
            self.reference.repository()
        )
    }
}

/// The registry's "no such manifest" answers, across implementations.
fn is_not_found(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    [
        "manifest unknown",
        "manifest_unknown",
        "not found",
        "404",
        "name unknown",
    ]
    .iter()
    .any(|p| lower.contains(p))
}

fn tag_for(digest: &str, suffix: &str) -> String {
    format!("{}{suffix}", digest.replace(':', "-"))
}

/// Append a layer to cosign's manifest at `tag` (`.sig` or `.att`),
/// replacing a layer with the same digest, with cosign's config blob.
fn push_cosign_layer(registry: &Registry, tag: &str, layer: Value) -> Result<(), Error> {
    let mut layers: Vec<Value> = match registry.pull_manifest(tag)? {
        Some((bytes, _)) => serde_json::from_slice::<Value>(&bytes)
            .ok()
            .and_then(|m| m["layers"].as_array().cloned())
            .unwrap_or_default(),
        None => Vec::new(),
    };
    layers.retain(|l| l["digest"] != layer["digest"] || l["annotations"] != layer["annotations"]);
    layers.push(layer);
    let diff_ids: Vec<Value> = layers.iter().map(|l| l["digest"].clone()).collect();
    let config = serde_json::to_vec(&json!({
        "architecture": "", "created": "0001-01-01T00:00:00Z", "history": [{"created": "0001-01-01T00:00:00Z"}],
        "os": "", "rootfs": { "type": "layers", "diff_ids": diff_ids }, "config": {},
    }))
    .unwrap_or_default();
    let config_desc = registry.push_blob(&config)?;
    let manifest = json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "size": config_desc["size"], "digest": config_desc["digest"] },
        "layers": layers,
    });
    registry.push_manifest(tag, &manifest, OCI_MANIFEST)?;
    Ok(())
}

/// Push `layers` as an OCI 1.1 artifact referring to the image `digest`,
/// and make it findable: through the referrers API where the registry
/// indexes it, else through the tag-schema fallback index. Returns the
/// referrer's digest and whether the fallback was used.
fn push_referrer(
    registry: &Registry,
    digest: &str,
    layers: Vec<Value>,
    annotations: Value,
) -> Result<(String, bool), Error> {
    let (subject_bytes, _) = registry
        .pull_manifest(digest)?
        .ok_or_else(|| reg_err(&registry.display, format!("manifest {digest} not found")))?;
    let subject_type = serde_json::from_slice::<Value>(&subject_bytes)
        .ok()
        .and_then(|m| m["mediaType"].as_str().map(str::to_string))
        .unwrap_or_else(|| OCI_MANIFEST.into());
    let empty = registry.push_blob(b"{}")?;
    let referrer = json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": BUNDLE_ARTIFACT_TYPE,
        "config": { "mediaType": EMPTY_CONFIG, "size": empty["size"], "digest": empty["digest"], "data": "e30=" },
        "layers": layers,
        "subject": { "mediaType": subject_type, "size": subject_bytes.len(), "digest": digest },
        "annotations": annotations,
    });
    let referrer_bytes =
        serde_json::to_vec(&referrer).map_err(|e| reg_err(&registry.display, e))?;
    let referrer_digest =
        registry.push_manifest(&sha256_digest(&referrer_bytes), &referrer, OCI_MANIFEST)?;
    let listed = registry.referrers_api(digest).is_some_and(|index| {
        index
            .iter()
            .any(|d| d.digest.as_deref() == Some(referrer_digest.as_str()))
    });
    if !listed {
        let fallback_tag = tag_for(digest, "");
        let mut manifests: Vec<Value> = match registry.pull_manifest(&fallback_tag)? {
            Some((bytes, _)) => serde_json::from_slice::<Value>(&bytes)
                .ok()
                .and_then(|m| m["manifests"].as_array().cloned())
                .unwrap_or_default(),
            None => Vec::new(),
        };
        manifests.retain(|m| m["digest"] != json!(referrer_digest));
        manifests.push(json!({ "mediaType": OCI_MANIFEST, "artifactType": BUNDLE_ARTIFACT_TYPE, "size": referrer_bytes.len(), "digest": referrer_digest, "annotations": referrer["annotations"] }));
        registry.push_manifest(
            &fallback_tag,
            &json!({ "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests }),
            OCI_INDEX,
        )?;
    }
    Ok((referrer_digest, !listed))
}

/// The fields of an OCI descriptor the verifier reads; anything else a
/// registry sends is skipped unread.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    artifact_type: Option<String>,
    #[serde(default)]
    digest: Option<String>,
    #[serde(default)]
    size: Option<u64>,
}

/// An image index, as far as the verifier reads it.
#[derive(serde::Deserialize)]
struct Index {
    #[serde(deserialize_with = "bounded::<_, _, MAX_INDEX_ENTRIES>")]
    manifests: Vec<Descriptor>,
}

/// The most entries read from a referrers index (the API's or the
/// fallback tag's); more is an error.
pub const MAX_INDEX_ENTRIES: usize = 1024;
/// The most layers read from a referrer's manifest (cosign's have one or
/// two); more is an error.
pub const MAX_REFERRER_LAYERS: usize = 16;

/// A referrer's manifest, as far as the verifier reads it.
#[derive(Clone, Debug, serde::Deserialize)]
struct ReferrerManifest {
    #[serde(default)]
    subject: Option<Descriptor>,
    #[serde(default, deserialize_with = "bounded::<_, _, MAX_REFERRER_LAYERS>")]
    layers: Vec<Descriptor>,
}

/// A JSON array of at most `N` elements: the element past them is an
/// error, so a padded array (`[{},{},…]`) is never held (red team rt39: a
/// 256 KiB manifest of empty layers took 7.7 MB as descriptors).
fn bounded<'de, D, T, const N: usize>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    struct Elements<T, const N: usize>(std::marker::PhantomData<T>);
    impl<'de, T: serde::Deserialize<'de>, const N: usize> serde::de::Visitor<'de> for Elements<T, N> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            write!(f, "an array of at most {N} elements")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::new();
            while let Some(element) = seq.next_element()? {
                if out.len() == N {
                    return Err(serde::de::Error::custom(format!("more than {N} elements")));
                }
                out.push(element);
            }
            Ok(out)
        }
    }
    d.deserialize_seq(Elements::<T, N>(std::marker::PhantomData))
}

impl ReferrerManifest {
    /// Its first layer of this media type.
    fn layer(&self, media_type: &str) -> Option<&Descriptor> {
        self.layers
            .iter()
            .find(|l| l.media_type.as_deref() == Some(media_type))
    }
}

/// The most bundle referrers read for one digest: more is an error, never
/// a silent choice of some (a real image has a handful: one per signature
/// and attestation).
pub const MAX_BUNDLE_REFERRERS: usize = 64;
/// The largest referrer manifest read: it lists a layer or two and a few
/// annotations (a certificate, a log entry), kilobytes.
pub const MAX_REFERRER_MANIFEST: usize = 256 << 10;

/// The bundle referrers of an image digest (from the referrers API, or
/// the tag-schema fallback index) whose manifests name that digest as
/// their subject, with their digests: each listed digest once, at most
/// [`MAX_BUNDLE_REFERRERS`], each manifest at most
/// [`MAX_REFERRER_MANIFEST`] bytes (red team rt38: one referrer listed
/// again and again, or padded manifests, grew the webhook past its limit).
fn referrer_manifests(
    registry: &Registry,
    digest: &str,
) -> Result<Vec<(String, ReferrerManifest)>, Error> {
    registry.block_on(referrer_manifests_async(registry, digest))
}

async fn referrer_manifests_async(
    registry: &Registry,
    digest: &str,
) -> Result<Vec<(String, ReferrerManifest)>, Error> {
    let index = registry.referrers_async(digest).await?;
    let mut listed: Vec<&str> = index
        .iter()
        .filter(|d| d.artifact_type.as_deref() == Some(BUNDLE_ARTIFACT_TYPE))
        .filter_map(|d| d.digest.as_deref())
        .filter(|d| d.starts_with("sha256:"))
        .collect();
    // Each once, in the order listed.
    let mut seen = std::collections::HashSet::new();
    listed.retain(|d| seen.insert(*d));
    if listed.len() > MAX_BUNDLE_REFERRERS {
        return Err(reg_err(
            &registry.display,
            format!(
                "{digest} lists {} bundle referrers (at most {MAX_BUNDLE_REFERRERS} are read)",
                listed.len()
            ),
        ));
    }
    let mut out = Vec::new();
    for d in listed {
        // Listed but gone: a registry in an inconsistent state, not "none".
        let Some((bytes, _)) = registry.pull_manifest_async(d).await? else {
            return Err(reg_err(
                &registry.display,
                format!("referrer {d} is listed but cannot be fetched"),
            ));
        };
        if bytes.len() > MAX_REFERRER_MANIFEST {
            return Err(reg_err(
                &registry.display,
                format!(
                    "referrer {d}: a manifest of {} bytes (at most {MAX_REFERRER_MANIFEST})",
                    bytes.len()
                ),
            ));
        }
        let manifest: ReferrerManifest = serde_json::from_slice(&bytes)
            .map_err(|e| reg_err(&registry.display, format!("referrer {d}: {e}")))?;
        if manifest.subject.as_ref().and_then(|s| s.digest.as_deref()) == Some(digest) {
            out.push((d.to_string(), manifest));
        }
    }
    Ok(out)
}

/// The most bytes of attached bundles and payloads held at once by the
/// whole process (every image being verified), counted by [`Held`].
pub const MAX_HELD_BYTES: usize = 64 << 20;
/// The most bytes of bundles and payloads read for one image.
pub const MAX_ATTACHED_BYTES: usize = 48 << 20;

/// A share of [`MAX_HELD_BYTES`]: the bytes of one image's attached
/// bundles, counted until this is dropped. A verification waits for its
/// share (under its deadline), so however many images are verified at
/// once, what they hold stays within the budget.
#[derive(Debug)]
pub struct Held {
    _registry: Option<tokio::sync::OwnedSemaphorePermit>,
    _share: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl Held {
    /// The registry's share first ([`MAX_ATTACHED_BYTES`] per registry:
    /// one image's worth), then the process's: a second large image of a
    /// registry waits on its registry, not at the head of the process's
    /// queue ahead of other registries' images (red team rt39).
    async fn acquire(registry: &Registry, bytes: u64) -> Result<Held, Error> {
        static BUDGET: std::sync::OnceLock<Arc<tokio::sync::Semaphore>> =
            std::sync::OnceLock::new();
        static PER_REGISTRY: PerRegistry<String, Arc<tokio::sync::Semaphore>> = PerRegistry::new();
        let kib = u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX);
        if kib == 0 {
            return Ok(Held {
                _registry: None,
                _share: None,
            });
        }
        let closed = |_| reg_err(&registry.display, "the bundle memory budget is closed");
        // The host without its port: one machine's ports are one registry
        // here (red team rt40).
        let registry_name = registry.reference.resolve_registry();
        let host = registry_name
            .split(':')
            .next()
            .unwrap_or(registry_name)
            .to_ascii_lowercase();
        let mine = PER_REGISTRY.get(host, || {
            Arc::new(tokio::sync::Semaphore::new(MAX_ATTACHED_BYTES >> 10))
        });
        let own = mine.acquire_many_owned(kib).await.map_err(closed)?;
        let budget = BUDGET
            .get_or_init(|| Arc::new(tokio::sync::Semaphore::new(MAX_HELD_BYTES >> 10)))
            .clone();
        let share = budget.acquire_many_owned(kib).await.map_err(closed)?;
        Ok(Held {
            _registry: Some(own),
            _share: Some(share),
        })
    }
}

/// The most bytes read from one blob (bundles, payloads and attestations,
/// SBOMs of large projects included, are far smaller).
pub const MAX_BLOB: usize = 32 << 20;

/// A sink that refuses to grow past `cap` bytes.
struct Capped<'a> {
    out: &'a mut Vec<u8>,
    cap: usize,
}

impl tokio::io::AsyncWrite for Capped<'_> {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        if this.out.len().saturating_add(buf.len()) > this.cap {
            return std::task::Poll::Ready(Err(std::io::Error::other(format!(
                "blob larger than {} bytes",
                this.cap
            ))));
        }
        this.out.extend_from_slice(buf);
        std::task::Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

/// The payload cosign signs for an image.
pub fn simple_signing_payload(repository: &str, digest: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "critical": {
            "identity": { "docker-reference": repository },
            "image": { "docker-manifest-digest": digest },
            "type": "cosign container image signature",
        },
        "optional": null,
    }))
    .unwrap_or_default()
}

/// cosign's annotations for a logged signature: the certificate (PEM) of
/// a keyless signer, and the Rekor bundle (SET and the entry it signs), so
/// cosign verifies the `.sig`/`.att` layer offline.
fn cosign_log_annotations(
    image: &str,
    bundle: &Value,
) -> Result<serde_json::Map<String, Value>, Error> {
    let mut a = serde_json::Map::new();
    if let Some(cert) = bundle
        .pointer("/verificationMaterial/certificate/rawBytes")
        .and_then(Value::as_str)
    {
        let der = B64.decode(cert).map_err(|e| reg_err(image, e))?;
        let pem = pem_rfc7468::encode_string("CERTIFICATE", pem_rfc7468::LineEnding::LF, &der)
            .map_err(|e| reg_err(image, e))?;
        a.insert(CERTIFICATE_ANNOTATION.into(), json!(pem));
    }
    if let Some(entry) = bundle.pointer("/verificationMaterial/tlogEntries/0") {
        let log_id = entry
            .pointer("/logId/keyId")
            .and_then(Value::as_str)
            .and_then(|k| B64.decode(k).ok())
            .map(hex::encode)
            .unwrap_or_default();
        let num = |p: &str| {
            entry
                .pointer(p)
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<i64>().ok())
                .unwrap_or(0)
        };
        let rekor_bundle = json!({
            "SignedEntryTimestamp": entry.pointer("/inclusionPromise/signedEntryTimestamp"),
            "Payload": { "body": entry["canonicalizedBody"], "integratedTime": num("/integratedTime"), "logIndex": num("/logIndex"), "logID": log_id },
        });
        a.insert(
            REKOR_BUNDLE_ANNOTATION.into(),
            json!(rekor_bundle.to_string()),
        );
    }
    Ok(a)
}

/// Sign an image's digest: cosign's `.sig` manifest and the bundle as a referrer.
pub fn sign_image(
    image: &str,
    signer: ImageSigner<'_>,
    options: &RegistryOptions,
) -> Result<SignedImage, Error> {
    let registry = Registry::connect(image, options)?;
    let digest = registry.resolve()?;
    let repository = registry.name();
    let payload = simple_signing_payload(&repository, &digest);

    // Sign the payload; keyless signing gets a certificate and a Rekor entry.
    let (bundle, mut annotations) = match signer {
        ImageSigner::Keyed(key) => {
            let bundle = crate::sign::keyed_bundle(key, &payload);
            // A hardware key that failed: nothing is pushed.
            key.signing_failure()
                .map_err(|e| reg_err(image, format!("not signed: {e}")))?;
            (bundle, serde_json::Map::new())
        }
        ImageSigner::Keyless {
            token,
            fulcio_url,
            rekor_url,
        } => {
            let bundle = crate::keyless::sign_keyless(&payload, token, fulcio_url, rekor_url)?;
            let annotations = cosign_log_annotations(image, &bundle)?;
            (bundle, annotations)
        }
    };
    let signature = bundle
        .pointer("/messageSignature/signature")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    annotations.insert(SIGNATURE_ANNOTATION.into(), json!(signature));

    // cosign: a layer of the `.sig` manifest; and the bundle (with the
    // payload it signs) as a referrer.
    let payload_desc = registry.push_blob(&payload)?;
    let signature_tag = tag_for(&digest, ".sig");
    push_cosign_layer(
        &registry,
        &signature_tag,
        json!({ "mediaType": SIMPLE_SIGNING_MEDIA_TYPE, "size": payload_desc["size"], "digest": payload_desc["digest"], "annotations": annotations }),
    )?;
    let bundle_desc = registry.push_blob(&crate::sign::to_bytes(&bundle))?;
    let (referrer_digest, fallback) = push_referrer(
        &registry,
        &digest,
        vec![
            json!({ "mediaType": BUNDLE_ARTIFACT_TYPE, "size": bundle_desc["size"], "digest": bundle_desc["digest"] }),
            json!({ "mediaType": SIMPLE_SIGNING_MEDIA_TYPE, "size": payload_desc["size"], "digest": payload_desc["digest"] }),
        ],
        json!({ "dev.sigstore.bundle.content": "message-signature" }),
    )?;
    Ok(SignedImage {
        image: format!("{repository}@{digest}"),
        digest,
        signature_tag,
        referrer_digest,
        referrers_fallback: fallback,
    })
}

/// What image verification established.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VerifiedImage {
    /// The image, `registry/repository@sha256:…`.
    pub image: String,
    /// The manifest digest verified.
    pub digest: String,
    /// Valid cosign signatures found under the `.sig` tag.
    pub signatures: usize,
    /// Valid Sigstore bundles found among the image's referrers.
    pub bundles: usize,
}

/// Verify an image's keyed signatures: the `.sig` layers and the referrer
/// bundles, each over a payload that names this exact digest.
pub fn verify_image_keyed(
    image: &str,
    public_key_pem: &str,
    options: &RegistryOptions,
) -> Result<VerifiedImage, Error> {
    let registry = Registry::connect(image, options)?;
    let digest = registry.resolve()?;
    // Read strictly: a payload with a repeated key means different things
    // to different readers, so it names nothing.
    let payload_ok = |payload: &[u8]| -> bool {
        crate::bundle::parse_strict_json_bytes(payload)
            .ok()
            .is_some_and(|p| {
                p.pointer("/critical/type") == Some(&json!("cosign container image signature"))
                    && p.pointer("/critical/image/docker-manifest-digest") == Some(&json!(digest))
            })
    };
    let mut signatures = 0;
    if let Some((bytes, _)) = registry.pull_manifest(&tag_for(&digest, ".sig"))? {
        let manifest: Value = serde_json::from_slice(&bytes).map_err(|e| reg_err(image, e))?;
        for layer in manifest["layers"].as_array().into_iter().flatten() {
            let (Some(layer_digest), Some(sig)) = (
                layer["digest"].as_str(),
                layer
                    .pointer(&format!(
                        "/annotations/{}",
                        SIGNATURE_ANNOTATION.replace('/', "~1")
                    ))
                    .and_then(Value::as_str),
            ) else {
                continue;
            };
            let payload = registry.pull_blob(layer_digest)?;
            let Ok(sig) = B64.decode(sig) else { continue };
            if payload_ok(&payload) && verify_signature(public_key_pem, &payload, &sig).is_ok() {
                signatures += 1;
            }
        }
    }
    let mut bundles = 0;
    for (_, manifest) in referrer_manifests(&registry, &digest)? {
        let find = |media: &str| manifest.layer(media).and_then(|l| l.digest.clone());
        let (Some(bundle_digest), Some(payload_digest)) =
            (find(BUNDLE_ARTIFACT_TYPE), find(SIMPLE_SIGNING_MEDIA_TYPE))
        else {
            continue;
        };
        let bundle_bytes = registry.pull_blob(&bundle_digest)?;
        let Ok(strict) = std::str::from_utf8(&bundle_bytes)
            .map_err(|e| e.to_string())
            .and_then(|t| crate::bundle::parse(t).map_err(|e| e.to_string()))
        else {
            continue;
        };
        if strict.content != crate::bundle::Content::MessageSignature {
            continue;
        }
        let payload = registry.pull_blob(&payload_digest)?;
        if payload_ok(&payload)
            && strict.message_digest.as_deref() == Some(Sha256::digest(&payload).as_slice())
            && verify_signature(public_key_pem, &payload, &strict.signature).is_ok()
        {
            bundles += 1;
        }
    }
    if signatures == 0 && bundles == 0 {
        return Err(Error::Verification(format!(
            "no valid signature for {}@{digest} with the given key",
            registry.name()
        )));
    }
    Ok(VerifiedImage {
        image: format!("{}@{digest}", registry.name()),
        digest,
        signatures,
        bundles,
    })
}

/// Resolve an image reference to `repository@sha256:...` and its digest.
pub fn resolve_image(image: &str, options: &RegistryOptions) -> Result<(String, String), Error> {
    let registry = Registry::connect(image, options)?;
    let digest = registry.resolve()?;
    Ok((registry.name(), digest))
}

#[derive(Debug, Clone, serde::Serialize)]
/// What attaching an attestation did.
pub struct AttachedAttestation {
    /// The image, `registry/repository@sha256:…`.
    pub image: String,
    /// cosign's `.att` tag it was pushed to.
    pub attestation_tag: String,
    /// The digest of the referrer manifest.
    pub referrer_digest: String,
    /// The registry lacked the referrers API; the index tag was used.
    pub referrers_fallback: bool,
}

/// Attach a signed attestation to an image: a DSSE layer of cosign's
/// `sha256-<hex>.att` manifest, and the Sigstore bundle as an OCI 1.1
/// referrer (referrers API, or the tag-schema fallback).
pub fn attach_attestation(
    image: &str,
    bundle: &Value,
    predicate_type: &str,
    options: &RegistryOptions,
) -> Result<AttachedAttestation, Error> {
    let registry = Registry::connect(image, options)?;
    let digest = registry.resolve()?;
    let envelope = bundle
        .get("dsseEnvelope")
        .ok_or_else(|| reg_err(image, "the bundle has no DSSE envelope"))?;
    let envelope_desc =
        registry.push_blob(&serde_json::to_vec(envelope).map_err(|e| reg_err(image, e))?)?;
    let attestation_tag = tag_for(&digest, ".att");
    let mut annotations = cosign_log_annotations(image, bundle)?;
    annotations.insert("predicateType".into(), json!(predicate_type));
    push_cosign_layer(
        &registry,
        &attestation_tag,
        json!({ "mediaType": DSSE_MEDIA_TYPE, "size": envelope_desc["size"], "digest": envelope_desc["digest"], "annotations": annotations }),
    )?;
    let bundle_desc = registry.push_blob(&crate::sign::to_bytes(bundle))?;
    let (referrer_digest, fallback) = push_referrer(
        &registry,
        &digest,
        vec![
            json!({ "mediaType": BUNDLE_ARTIFACT_TYPE, "size": bundle_desc["size"], "digest": bundle_desc["digest"] }),
        ],
        json!({ "dev.sigstore.bundle.content": "dsse-envelope", "dev.sigstore.bundle.predicateType": predicate_type }),
    )?;
    Ok(AttachedAttestation {
        image: format!("{}@{digest}", registry.name()),
        attestation_tag,
        referrer_digest,
        referrers_fallback: fallback,
    })
}

/// A bundle attached to an image, exactly as the registry served it, and
/// for a message-signature bundle the payload it signs (the cosign
/// simple-signing payload stored beside it in the same referrer).
#[derive(Clone, Debug)]
pub struct AttachedBundle {
    /// The referrer manifest it came from (`sha256:…`), to name it in reasons.
    pub referrer: String,
    /// The bundle layer's bytes.
    pub bytes: Vec<u8>,
    /// The simple-signing payload it signs, for a message-signature bundle.
    pub signed_payload: Option<Vec<u8>>,
}

/// The attestation bundles attached to an image (from its referrers), for
/// the verifier. Only bundles whose referrer names this digest as subject.
pub fn attached_bundles(
    image: &str,
    options: &RegistryOptions,
) -> Result<(String, Vec<AttachedBundle>), Error> {
    let registry = Registry::connect(image, options)?;
    let digest = registry.resolve()?;
    let bundles = attached_bundles_of(&registry, &digest)?;
    Ok((digest, bundles))
}

/// The attestation bundles attached to a digest in an open repository: the
/// raw bytes (never re-serialised, so what the verifier reads strictly is
/// what the registry holds).
pub fn attached_bundles_of(
    registry: &Registry,
    digest: &str,
) -> Result<Vec<AttachedBundle>, Error> {
    registry.block_on(attached_bundles_async(registry, digest))
}

/// [`attached_bundles_of`] on the caller's runtime; cancel-safe.
pub async fn attached_bundles_async(
    registry: &Registry,
    digest: &str,
) -> Result<Vec<AttachedBundle>, Error> {
    Ok(attached_bundles_held_async(registry, digest).await?.0)
}

/// [`attached_bundles_async`], with their share of the process's bundle
/// memory budget: keep it until the bundles are dropped. The sizes their
/// referrers declare are counted and the whole share taken before any
/// blob is read (no verification waits for more while holding some), and
/// no blob is read past its declared size.
pub async fn attached_bundles_held_async(
    registry: &Registry,
    digest: &str,
) -> Result<(Vec<AttachedBundle>, Held), Error> {
    let declared = |layer: &Descriptor| -> Result<(String, usize), Error> {
        let d = layer.digest.clone().unwrap_or_default();
        match layer.size.and_then(|s| usize::try_from(s).ok()) {
            Some(size) if size <= MAX_BLOB => Ok((d, size)),
            Some(_) => Err(reg_err(
                &registry.display,
                format!("layer {d} declares more than {} MiB", MAX_BLOB >> 20),
            )),
            None => Err(reg_err(
                &registry.display,
                format!("layer {d} declares no size"),
            )),
        }
    };
    let mut plan = Vec::new();
    let mut total = 0usize;
    for (referrer, manifest) in referrer_manifests_async(registry, digest).await? {
        let Some(bundle) = manifest.layer(BUNDLE_ARTIFACT_TYPE) else {
            continue;
        };
        let bundle = declared(bundle)?;
        let payload = manifest
            .layer(SIMPLE_SIGNING_MEDIA_TYPE)
            .map(declared)
            .transpose()?;
        total += bundle.1 + payload.as_ref().map_or(0, |p| p.1);
        plan.push((referrer, bundle, payload));
    }
    if total > MAX_ATTACHED_BYTES {
        return Err(reg_err(
            &registry.display,
            format!(
                "the bundles attached to {digest} declare {total} bytes (at most {} MiB are read)",
                MAX_ATTACHED_BYTES >> 20
            ),
        ));
    }
    let held = Held::acquire(registry, total as u64).await?;
    let mut bundles = Vec::new();
    for (referrer, (bd, bsize), payload) in plan {
        let bytes = registry.pull_blob_async(&bd, bsize).await?;
        let signed_payload = match payload {
            Some((pd, psize)) => Some(registry.pull_blob_async(&pd, psize).await?),
            None => None,
        };
        bundles.push(AttachedBundle {
            referrer,
            bytes,
            signed_payload,
        });
    }
    Ok((bundles, held))
}

#[cfg(test)]
mod bounded_tests {
    use super::{Index, ReferrerManifest, MAX_INDEX_ENTRIES, MAX_REFERRER_LAYERS};

    #[test]
    fn indexes_and_manifests_past_their_element_limits_are_refused() {
        let index = |n: usize| format!("{{\"manifests\":[{}]}}", vec!["{}"; n].join(","));
        assert!(serde_json::from_str::<Index>(&index(MAX_INDEX_ENTRIES)).is_ok());
        let err = serde_json::from_str::<Index>(&index(MAX_INDEX_ENTRIES + 1))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("more than 1024 elements"), "{err}");
        let manifest = |n: usize| {
            format!(
                "{{\"layers\":[{}],\"pad\":[0,0,0]}}",
                vec!["{}"; n].join(",")
            )
        };
        assert!(serde_json::from_str::<ReferrerManifest>(&manifest(MAX_REFERRER_LAYERS)).is_ok());
        assert!(
            serde_json::from_str::<ReferrerManifest>(&manifest(MAX_REFERRER_LAYERS + 1)).is_err()
        );
        // Not an array at all: an error, not an empty list.
        assert!(serde_json::from_str::<Index>("{\"manifests\":7}").is_err());
    }
}

#[cfg(test)]
mod capped_tests {
    use super::Capped;
    use tokio::io::AsyncWrite;

    #[test]
    fn a_blob_past_the_cap_is_refused() {
        let mut out = Vec::new();
        let mut sink = Capped {
            out: &mut out,
            cap: 8,
        };
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let mut pin = std::pin::Pin::new(&mut sink);
        assert!(matches!(
            pin.as_mut().poll_write(&mut cx, b"12345"),
            std::task::Poll::Ready(Ok(5))
        ));
        assert!(matches!(
            pin.as_mut().poll_write(&mut cx, b"6789"),
            std::task::Poll::Ready(Err(_))
        ));
        assert_eq!(out, b"12345");
    }
}

#[cfg(test)]
mod per_registry_tests {
    use super::{PerRegistry, MAX_KEPT_REGISTRIES};

    #[test]
    fn a_flood_of_new_hosts_does_not_push_out_what_is_worth_keeping() {
        // Red teams rt64 and rt65: entries with credentials (worth 2)
        // outlive a flood of hosts whose reads are under way (worth 1),
        // however old they are.
        let map: PerRegistry<String, u32> = PerRegistry::new();
        let worth = |v: &u32| if *v >= 1000 { 2 } else { 1 };
        assert_eq!(map.get_keeping("kept".into(), || 1000, worth), 1000);
        for i in 0..(4 * MAX_KEPT_REGISTRIES as u32) {
            map.get_keeping(format!("new{i}"), || i, worth);
        }
        assert_eq!(map.get_keeping("kept".into(), || 0, worth), 1000);
        // Bounded, and the least recently used go first among equals.
        let len = map.0.get().map_or(0, |m| m.lock().map_or(0, |m| m.len()));
        assert!(len <= MAX_KEPT_REGISTRIES, "{len}");
        assert_eq!(map.get_keeping("new0".into(), || 7, worth), 7);
        let last = 4 * MAX_KEPT_REGISTRIES as u32 - 1;
        assert_eq!(map.get_keeping(format!("new{last}"), || 7, worth), last);
        // Red team rt67: an entry that left the map while its read waited
        // is put back with what it read.
        map.put("new1".into(), 1001, worth);
        assert_eq!(map.get_keeping("new1".into(), || 0, worth), 1001);
    }
}
