//! `tollgate admission serve`: the validating admission webhook.

use crate::keys_cmd::RegistryArgs;
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Subcommand, Debug)]
pub enum AdmissionCommand {
    /// Serve `POST /validate` and `POST /mutate` (AdmissionReview v1 and
    /// v1beta1; `/mutate` also pins verified images to their digests) over
    /// HTTPS, with `/healthz`, `/readyz` and Prometheus `/metrics`.
    Serve(ServeArgs),
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[arg(long, default_value = "0.0.0.0:8443", value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    /// Certificate chain (PEM); reloaded when the file changes.
    #[arg(long, value_name = "FILE")]
    pub tls_cert: PathBuf,
    /// Private key (PEM); reloaded when the file changes.
    #[arg(long, value_name = "FILE")]
    pub tls_key: PathBuf,
    /// A policy file, or a directory of them (a ConfigMap volume): an
    /// image must satisfy every policy whose scope matches it. Watched:
    /// a valid change takes effect within seconds, an invalid one is
    /// logged and the previous policies stay in force.
    #[arg(long, value_name = "FILE|DIR")]
    pub policy: PathBuf,
    /// Append every decision to this hash-chained log.
    #[arg(long, value_name = "FILE")]
    pub decision_log: Option<PathBuf>,
    /// The decision log's signing key (a file, e.g. a mounted Secret; never
    /// an environment variable). Checkpoints are signed on a schedule and at shutdown.
    #[arg(long, value_name = "FILE", requires = "decision_log")]
    pub log_key: Option<PathBuf>,
    /// The log's origin line (default: the key's name); give each replica
    /// its own, e.g. `tollgate.example/decisions/$(POD_NAME)`.
    #[arg(long, value_name = "ORIGIN", requires = "log_key")]
    pub log_origin: Option<String>,
    /// How often a checkpoint is signed while decisions arrive.
    #[arg(long, default_value = "1000", value_name = "MS")]
    pub checkpoint_interval_ms: u64,
    /// Size of the decision log's write-ahead file (`LOG.wal`, written
    /// full of zeros once): each batch of decisions is made durable by a
    /// sync of it, a fraction of the cost of an append to the log; the log
    /// file is synced before each checkpoint. 0: none.
    #[arg(long, default_value = "32", value_name = "MIB", value_parser = clap::value_parser!(u64).range(0..=256))]
    pub log_wal_mib: u64,
    /// How long a verified image digest's decision is reused.
    #[arg(long, default_value = "300", value_name = "SECONDS")]
    pub cache_ttl: u64,
    /// The most time verification may take, whatever the apiserver's timeout.
    #[arg(long, default_value = "10000", value_name = "MS")]
    pub max_deadline_ms: u64,
    /// How long a registry failure is remembered for an image (never a
    /// verdict: the reason says the registry failed); 0 turns it off.
    #[arg(long, default_value = "2000", value_name = "MS")]
    pub negative_cache_ms: u64,
    /// Require client certificates signed by this CA (PEM): the apiserver's
    /// identity, set in its admission kubeconfig. Reloaded when it changes.
    #[arg(long, value_name = "FILE")]
    pub client_ca: Option<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

pub fn run(command: AdmissionCommand) -> Result<u8> {
    let AdmissionCommand::Serve(args) = command;
    // Everything the server needs is checked before it says it is serving.
    pem_file(&args.tls_cert, "CERTIFICATE", "--tls-cert")?;
    pem_file(&args.tls_key, "PRIVATE KEY", "--tls-key")?;
    if let Some(ca) = &args.client_ca {
        pem_file(ca, "CERTIFICATE", "--client-ca")?;
    }
    let policies = tollgate_verifier::policy_set::PolicySet::load(&args.policy)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let names = policies.names().join(", ");
    for entry in &policies.entries {
        for name in entry.policy.github_identities_without_source() {
            eprintln!(
                "tollgate admission: warning: {}: authority `{name}` names a GitHub Actions identity as `subject`: the certificate's source repository is not checked; write it as `github: {{repository, workflow, ref}}`",
                entry.path.display()
            );
        }
    }
    let mut state = tollgate_verifier::admission::State::new(
        policies,
        args.registry.options()?,
        args.decision_log.clone(),
    );
    state.cache_ttl = std::time::Duration::from_secs(args.cache_ttl);
    state.max_deadline = std::time::Duration::from_millis(args.max_deadline_ms);
    state.negative_ttl = std::time::Duration::from_millis(args.negative_cache_ms);
    // Registry I/O is async and cancelled at each review's deadline; the
    // blocking pool only runs signature checks (bounded CPU work).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(16)
        .build()
        .context("cannot start the runtime")?;
    // One writer per log (group commit), installed with its key; a log
    // that cannot be opened is a start-up error, one that fails later
    // denies (see `admission`).
    if let Some(log) = &args.decision_log {
        let key = match &args.log_key {
            Some(k) => Some(tollgate_verifier::log::read_signer(k)?),
            None => None,
        };
        let options = tollgate_verifier::log::WriterOptions {
            key,
            origin: args.log_origin.clone(),
            checkpoint_interval: std::time::Duration::from_millis(args.checkpoint_interval_ms),
            wal_size: args.log_wal_mib.saturating_mul(1 << 20),
            ..Default::default()
        };
        let writer = tollgate_verifier::log::shared::install(log, options)
            .with_context(|| format!("{}: cannot open the decision log", log.display()))?;
        if let Some(n) = writer.notice() {
            eprintln!("tollgate admission: warning: {}: {n}", log.display());
        }
        if let Some(e) = writer.wal_error() {
            eprintln!(
                "tollgate admission: warning: {e}: no write-ahead file for the decision log; every batch syncs the log file"
            );
        }
    }
    crate::output::info!(
        "tollgate admission: serving https://{}/validate (policies: {names})",
        args.listen
    );
    let served = runtime.block_on(tollgate_verifier::admission::serve(
        Arc::new(state),
        args.listen,
        args.tls_cert,
        args.tls_key,
        args.client_ca,
        Some(args.policy.clone()),
    ));
    for (path, result) in tollgate_verifier::log::shared::close_all() {
        if let Err(e) = result {
            eprintln!(
                "tollgate admission: {}: closing the decision log: {e}",
                path.display()
            );
        }
    }
    served.map_err(|e| anyhow::anyhow!("admission server: {e}"))?;
    Ok(0)
}

/// A PEM file holding a block whose label ends with `label`.
fn pem_file(path: &std::path::Path, label: &str, flag: &str) -> Result<()> {
    let text =
        std::fs::read(path).with_context(|| format!("{}: cannot read {flag}", path.display()))?;
    let text = String::from_utf8_lossy(&text);
    let found = text.lines().any(|line| {
        line.strip_prefix("-----BEGIN ")
            .and_then(|rest| rest.strip_suffix("-----"))
            .is_some_and(|l| l.ends_with(label))
    });
    if !found {
        bail!(
            "{}: {flag} is not a PEM file with a {label} block",
            path.display()
        );
    }
    Ok(())
}

/// The hidden first argument that makes `tollgate` a Rego evaluation
/// process (see `tollgate_verifier::rego::isolate_in`).
pub const REGO_WORKER: &str = "__rego-eval";

/// Evaluate Rego modules in child processes of this binary, for every
/// command: `/proc/self/exe` still names this binary if its file was
/// replaced since it started (an upgrade in place).
pub fn isolate_rego() {
    let exe = std::path::PathBuf::from("/proc/self/exe");
    let program = if exe.exists() {
        exe
    } else {
        // tollgate:allow(trusted-exe-path): the fallback when /proc is not mounted; the evaluation child is this binary, and whoever starts the process already chooses it
        match std::env::current_exe() {
            Ok(p) => p,
            // Evaluation stays in this process, with the other bounds.
            Err(_) => return,
        }
    };
    tollgate_verifier::rego::isolate_in(program, vec![REGO_WORKER.into()]);
}

/// `tollgate __rego-eval`: limit this process's address space and CPU
/// time, then answer one evaluation request (standard input to standard
/// output). An allocation beyond the limit aborts this process only; the
/// parent reports it as the reason of a deny.
pub fn rego_worker() -> std::process::ExitCode {
    use rustix::process::{setrlimit, Resource, Rlimit};
    use tollgate_verifier::rego::{MEMORY_LIMIT, TIME_LIMIT};
    let memory = Rlimit {
        current: Some(MEMORY_LIMIT),
        maximum: Some(MEMORY_LIMIT),
    };
    // CPU seconds: a backstop behind the interpreter's timer and the
    // parent's kill at the deadline.
    let seconds = TIME_LIMIT.as_secs() + 3;
    let cpu = Rlimit {
        current: Some(seconds),
        maximum: Some(seconds + 1),
    };
    for (resource, limit, name) in [
        (Resource::As, memory, "memory"),
        (Resource::Cpu, cpu, "CPU"),
    ] {
        if let Err(e) = setrlimit(resource, limit) {
            eprintln!("tollgate {REGO_WORKER}: cannot limit {name}: {e}");
            return std::process::ExitCode::from(crate::EXIT_ERROR);
        }
    }
    // Under a cgroup memory limit, the kernel's OOM killer picks this
    // process before the server (raising one's own score needs no privilege).
    let _ = std::fs::write("/proc/self/oom_score_adj", "1000");
    match tollgate_verifier::rego::serve_one(std::io::stdin().lock(), std::io::stdout().lock()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tollgate {REGO_WORKER}: {e}");
            std::process::ExitCode::from(crate::EXIT_ERROR)
        }
    }
}
