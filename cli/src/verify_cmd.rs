//! `tollgate verify` (the deploy gate), `tollgate policy`, `tollgate log`.
//!
//! Exit status of `verify`: 0 admit, 1 deny, 2 error. In warn mode a
//! violation is reported but admitted.

use crate::keys_cmd::RegistryArgs;
use crate::{output, EXIT_FINDINGS};
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;
use tollgate_verifier::gate::{self, Target};
use tollgate_verifier::policy::Policy;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Args, Debug)]
#[command(after_help = "Exit status: 0 admit, 1 deny, 2 usage or input error.")]
pub struct VerifyArgs {
    /// A file, or an image reference (its attestations are fetched from the registry).
    pub target: String,
    /// The policy (YAML; `tollgate policy init` writes an example).
    #[arg(long, value_name = "FILE")]
    pub policy: PathBuf,
    /// Attestation or signature bundles for a file (repeatable).
    #[arg(long = "bundle", value_name = "FILE")]
    pub bundles: Vec<PathBuf>,
    /// Append the decision to this hash-chained log.
    #[arg(long, value_name = "FILE")]
    pub decision_log: Option<PathBuf>,
    /// The decision log's signing key (file or mounted Secret): each
    /// decision is followed by a signed checkpoint.
    #[arg(long, value_name = "FILE", requires = "decision_log")]
    pub log_key: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// Write a commented example policy.
    Init {
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Check a policy; errors name their line.
    Validate { policy: PathBuf },
}

/// The `--bundle` files, each read whole. A missing, unreadable or
/// directory path is an input error (exit 2), never silently skipped.
pub fn read_bundle_files(paths: &[PathBuf]) -> Result<Vec<gate::BundleInput>> {
    let mut inputs = Vec::new();
    for b in paths {
        if b.is_dir() {
            bail!("{}: is a directory, not a bundle", b.display());
        }
        let bytes =
            std::fs::read(b).with_context(|| format!("{}: cannot read bundle", b.display()))?;
        inputs.push(gate::BundleInput::new(b.display().to_string(), bytes));
    }
    Ok(inputs)
}

pub fn load_policy(path: &std::path::Path) -> Result<Policy> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read policy", path.display()))?;
    let invalid = |problems: Vec<tollgate_verifier::policy::Problem>| {
        let list: Vec<String> = problems
            .iter()
            .map(|p| format!("{}:{}", path.display(), p))
            .collect();
        anyhow::anyhow!("invalid policy:\n  {}", list.join("\n  "))
    };
    let mut policy = Policy::parse(&text).map_err(invalid)?;
    let base = path.parent().unwrap_or(std::path::Path::new("."));
    policy.anchor_files(base).map_err(invalid)?;
    // Rotation notice (stderr only; the exit status does not change).
    for (name, until) in policy.expiring_authorities(crate::audit_cmd::now()) {
        eprintln!(
            "warning: {}: authority `{name}` is valid until {until}: rotate its key (`tollgate key rotate`)",
            path.display()
        );
    }
    for name in policy.github_identities_without_source() {
        eprintln!(
            "warning: {}: authority `{name}` names a GitHub Actions identity as `subject`: the certificate's source repository is not checked, so the workflow called as a reusable workflow from another repository matches it; write it as `github: {{repository, workflow, ref}}`",
            path.display()
        );
    }
    Ok(policy)
}

pub fn run(args: VerifyArgs) -> Result<u8> {
    if args.policy.is_dir() {
        return crate::verify_set_cmd::run(args);
    }
    let policy = load_policy(&args.policy)?;
    // An image under a policy that scopes images is judged as the webhook
    // judges it, scope and `noMatch` included (red team rt71: one file
    // admitted an image outside its scope that `noMatch: deny` refuses).
    if !policy.scope.images.is_empty() && !std::path::Path::new(&args.target).is_file() {
        return crate::verify_set_cmd::run(args);
    }
    let (decision, logged) = evaluate(&args, &policy)?;
    render(&args, &decision, logged)?;
    Ok(if decision.allowed { 0 } else { EXIT_FINDINGS })
}

/// The gate's decision on `args.target` under an already loaded policy,
/// appended to `--decision-log` when given (its receipt returned).
pub fn evaluate(
    args: &VerifyArgs,
    policy: &Policy,
) -> Result<(gate::Decision, Option<serde_json::Value>)> {
    let now = crate::audit_cmd::now();
    let path = std::path::Path::new(&args.target);
    let decision = if path.is_file() {
        let inputs = read_bundle_files(&args.bundles)?;
        gate::decide(policy, &Target::File(path), &inputs, now)
    } else {
        if !args.bundles.is_empty() {
            if path.exists() {
                bail!("{}: not a regular file", path.display());
            }
            bail!(
                "{}: no such file (to verify an image, give no --bundle: its attestations come from its registry)",
                args.target
            );
        }
        // Not a file: an image only when written in full (see `checks`),
        // so a mistyped file name is never looked up on Docker Hub.
        if !crate::checks::is_image_reference(&args.target) {
            return Err(crate::checks::missing_file_or_image(&args.target, "verify"));
        }
        // A reference the normaliser refuses is an input error (exit 2),
        // before any connection, and never read as written: its spelling
        // could dodge a scope or a Rego rule.
        let reference = tollgate_verifier::reference::ImageRef::parse(&args.target)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let subject = reference.subject();
        // The registry is reached by the canonical spelling too, as the
        // webhook does (`LOCALHOST:5000/app` is `localhost:5000/app`): the
        // two gates never disagree on one image.
        let (digest, bundles) = tollgate_attest::oci::attached_bundles(
            &reference.to_string(),
            &args.registry.options()?,
        )?;
        let inputs: Vec<gate::BundleInput> = bundles
            .into_iter()
            .enumerate()
            .map(|(i, b)| {
                let input =
                    gate::BundleInput::new(format!("{} referrer {i}", args.target), b.bytes);
                match b.signed_payload {
                    Some(p) => input.with_signed_payload(p),
                    None => input,
                }
            })
            .collect();
        let sha256 = digest.trim_start_matches("sha256:").to_string();
        // The subject a policy reads is the canonical spelling, as the
        // webhook gives it (`app` is `docker.io/library/app:latest`).
        gate::decide(
            policy,
            &Target::Digest {
                name: &subject,
                sha256: &sha256,
            },
            &inputs,
            now,
        )
    };
    let logged = log_decision(args, &decision, now)?;
    Ok((decision, logged))
}

/// `decision` appended to `--decision-log`, when given, as made at `now`:
/// the log's receipt.
pub fn log_decision(
    args: &VerifyArgs,
    decision: &gate::Decision,
    now: i64,
) -> Result<Option<serde_json::Value>> {
    let Some(log) = &args.decision_log else {
        return Ok(None);
    };
    Ok(Some(crate::log_cmd::append_decision(
        log,
        args.log_key.as_deref(),
        &serde_json::to_value(decision)?,
        &crate::dates::rfc3339(now)?,
    )?))
}

/// A JSON document on standard output (`--format json`).
pub fn print_json(value: &serde_json::Value) -> Result<()> {
    output::write(None, &(serde_json::to_string_pretty(value)? + "\n"))
}

/// Each check as a `pass` or `FAIL` line.
pub fn check_lines(checks: &[gate::Check]) -> String {
    checks
        .iter()
        .map(|c| {
            format!(
                "  {} {}: {}\n",
                if c.passed { "pass" } else { "FAIL" },
                c.requirement,
                c.reason
            )
        })
        .collect()
}

/// The decision as `--format` asks, on standard output (JSON: with the
/// decision log's receipt).
pub fn render(
    args: &VerifyArgs,
    decision: &gate::Decision,
    logged: Option<serde_json::Value>,
) -> Result<()> {
    match args.format {
        Format::Json => {
            let mut value = serde_json::to_value(decision)?;
            if let (Some(obj), Some(receipt)) = (value.as_object_mut(), logged) {
                obj.insert("decisionLog".into(), receipt);
            }
            print_json(&value)?
        }
        Format::Text => {
            let mut text = check_lines(&decision.checks);
            // Every bundle that did not count, with why (when some did; when
            // none did, the signature check's reason already lists them).
            if !decision.authorities.is_empty() {
                for r in &decision.rejected {
                    text.push_str(&format!("  note {} not counted: {}\n", r.bundle, r.reason));
                }
            }
            let verdict = match (decision.violations, decision.allowed) {
                (0, _) => "ADMIT".to_string(),
                (n, true) => format!("ADMIT with {n} warning(s) (warn mode)"),
                (n, false) => format!("DENY ({n} requirement(s) failed)"),
            };
            text.push_str(&format!(
                "{verdict}: {} {} under policy `{}`\n",
                decision.subject, decision.digest, decision.policy
            ));
            output::write(None, &text)?;
        }
    }
    Ok(())
}

pub fn run_policy(command: PolicyCommand) -> Result<u8> {
    match command {
        PolicyCommand::Init { output: out } => {
            match out {
                Some(path) => {
                    output::write_atomic(&path, tollgate_verifier::policy::EXAMPLE.as_bytes())?
                }
                None => output::write(None, tollgate_verifier::policy::EXAMPLE)?,
            }
            Ok(0)
        }
        PolicyCommand::Validate { policy } => {
            let p = load_policy(&policy)?;
            eprintln!(
                "{}: policy `{}` is valid ({} authorities, {} required attestations)",
                policy.display(),
                p.name,
                p.authorities.len(),
                p.attestations.len()
            );
            Ok(0)
        }
    }
}
