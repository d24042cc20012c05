//! `tollgate admission serve`: the validating admission webhook.

use crate::keys_cmd::RegistryArgs;
use anyhow::{Context, Result};
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
    #[arg(long, value_name = "FILE")]
    pub policy: PathBuf,
    /// Append every decision to this hash-chained log.
    #[arg(long, value_name = "FILE")]
    pub decision_log: Option<PathBuf>,
    /// How long a verified image digest's decision is reused.
    #[arg(long, default_value = "300", value_name = "SECONDS")]
    pub cache_ttl: u64,
    /// The most time verification may take, whatever the apiserver's timeout.
    #[arg(long, default_value = "10000", value_name = "MS")]
    pub max_deadline_ms: u64,
    /// Require client certificates signed by this CA (PEM): the apiserver's
    /// identity, set in its admission kubeconfig. Reloaded when it changes.
    #[arg(long, value_name = "FILE")]
    pub client_ca: Option<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

pub fn run(command: AdmissionCommand) -> Result<u8> {
    let AdmissionCommand::Serve(args) = command;
    let policy = crate::verify_cmd::load_policy(&args.policy)?;
    let text = std::fs::read_to_string(&args.policy)
        .with_context(|| format!("{}: cannot read", args.policy.display()))?;
    let mut state = tollgate_verifier::admission::State::new(
        policy,
        &text,
        args.registry.options()?,
        args.decision_log.clone(),
    );
    state.cache_ttl = std::time::Duration::from_secs(args.cache_ttl);
    state.max_deadline = std::time::Duration::from_millis(args.max_deadline_ms);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    eprintln!(
        "tollgate admission: serving https://{}/validate (policy `{}`)",
        args.listen, state.policy.name
    );
    runtime
        .block_on(tollgate_verifier::admission::serve(
            Arc::new(state),
            args.listen,
            args.tls_cert,
            args.tls_key,
            args.client_ca,
        ))
        .map_err(|e| anyhow::anyhow!("admission server: {e}"))?;
    Ok(0)
}
