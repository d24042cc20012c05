//! `tollgate`: the command-line front end. Each subcommand is a thin layer
//! over a library crate; this binary parses arguments, loads
//! `tollgate.toml`, writes output files atomically and maps results to exit
//! codes.
//!
//! Exit codes: 0 clean, 1 findings at or above `--fail-on` (or a policy
//! denial, a failed verification), 2 usage, configuration or input error.
//! A closed standard output (`tollgate sast . | head -1`) exits 0 quietly.
//! Interrupted by SIGINT or SIGTERM: 130 or 143.

#![forbid(unsafe_code)]

/// mimalloc instead of the system allocator: syn's token trees and the
/// webhook's per-request values are many small short-lived allocations,
/// and glibc malloc took a third of a SAST scan's time (ARCHITECTURE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod admission_cmd;
mod attest_cmd;
mod audit_cmd;
mod build_cmd;
mod checks;
mod ci_cmd;
mod config;
mod conventions;
mod dates;
mod demo;
mod identity_flags;
mod intoto_cmd;
mod keys_cmd;
mod log_cmd;
mod output;
mod premerge_cmd;
mod progress;
mod sast_cmd;
mod sbom_cmd;
mod trust_cmd;
mod verify_attestation_cmd;
mod verify_bundle_cmd;
mod verify_cmd;
mod verify_image_cmd;
mod verify_set_cmd;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Secure a Rust software supply chain from commit to deploy.
#[derive(Parser, Debug)]
#[command(name = "tollgate", version, about, long_about = None, propagate_version = true)]
struct Cli {
    /// Print only results and errors: no progress, summaries or notes on standard error.
    #[arg(long, short = 'q', global = true)]
    quiet: bool,
    /// Colour in terminal output (auto: when the stream is a terminal and NO_COLOR is unset).
    #[arg(
        long,
        value_enum,
        global = true,
        default_value = "auto",
        value_name = "WHEN"
    )]
    color: output::ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// The whole pipeline on a cargo project: SAST, audit, SBOM, sign and
    /// attest each artifact, then verify it against the policy.
    Ci(Box<ci_cmd::CiArgs>),
    /// What a change brings in, before it is merged: SAST on changed lines,
    /// dependency changes and their advisories, critical paths touched.
    PreMerge(premerge_cmd::PreMergeArgs),
    /// Install or remove the git pre-push hook that runs `tollgate pre-merge`.
    Hook {
        #[command(subcommand)]
        command: premerge_cmd::HookCommand,
    },
    /// Build a cargo project offline in a network sandbox, with a controlled
    /// environment, and write (signed) SLSA provenance that says so.
    Build(Box<build_cmd::BuildArgs>),
    /// Run security lints over Rust source (SQL/command injection, path
    /// traversal, SSRF, weak crypto, disabled TLS checks, secrets, unsafe hygiene).
    Sast(sast_cmd::SastArgs),
    /// Audit Cargo.lock against the RustSec advisory database (with
    /// reachability of affected functions) and the licence, source and ban policy.
    Audit(audit_cmd::AuditArgs),
    /// Generate a CycloneDX SBOM from the cargo graph; compare two SBOMs;
    /// read the dependency list `cargo auditable` embeds in a binary.
    Sbom(sbom_cmd::SbomArgs),
    /// Generate signing keys (cosign's encrypted format).
    Key {
        #[command(subcommand)]
        command: keys_cmd::KeyCommand,
    },
    /// Sign a file into a Sigstore bundle, or an OCI image in its registry
    /// (cosign-compatible signature plus a bundle referrer).
    Sign(keys_cmd::SignArgs),
    /// Create a signed in-toto attestation: SLSA provenance, SBOM,
    /// vulnerabilities, SAST, or any predicate.
    Attest(Box<attest_cmd::AttestArgs>),
    /// Build or sign a classic in-toto supply-chain layout.
    Layout {
        #[command(subcommand)]
        command: intoto_cmd::LayoutCommand,
    },
    /// Verify a supply chain against a signed in-toto layout and its links
    /// (like `in-toto-verify`).
    VerifyLayout(intoto_cmd::VerifyLayoutArgs),
    /// The deploy gate: admit or deny a file or image against a policy,
    /// from its verified attestations.
    Verify(Box<verify_cmd::VerifyArgs>),
    /// Write or check an admission policy.
    Policy {
        #[command(subcommand)]
        command: verify_cmd::PolicyCommand,
    },
    /// The Kubernetes validating admission webhook.
    Admission {
        #[command(subcommand)]
        command: admission_cmd::AdmissionCommand,
    },
    /// The decision log (a transparency log): keys, verify, inclusion and
    /// consistency proofs, the witness, SIEM export.
    Log {
        #[command(subcommand)]
        command: log_cmd::LogCommand,
    },
    /// Verify an OCI image's signatures (cosign's `verify`): with a public
    /// key, or keyless with --certificate-identity[-regexp] and
    /// --certificate-oidc-issuer[-regexp].
    VerifyImage(verify_image_cmd::VerifyImageArgs),
    /// Verify in-toto attestations of a given --type for a file, a digest
    /// or an image (cosign's `verify-attestation`).
    VerifyAttestation(Box<verify_attestation_cmd::VerifyAttestationArgs>),
    /// Verify a Sigstore bundle for a file or a `sha256:<hex>` digest (keyed
    /// with --key, or keyless with --certificate-identity and
    /// --certificate-oidc-issuer). Speaks the sigstore-conformance protocol.
    VerifyBundle(verify_bundle_cmd::VerifyBundleArgs),
    /// Fetch Sigstore's trusted root through TUF (public-good by default,
    /// or --tuf-url/--tuf-root); --offline uses the verified cache only.
    TrustedRoot(trust_cmd::TrustedRootArgs),
    /// Manage the local advisory database.
    Db {
        #[command(subcommand)]
        command: audit_cmd::DbCommand,
    },
    /// Print the version (`--json` for a machine-readable record).
    Version(conventions::VersionArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(conventions::CompletionsArgs),
    /// Print the man page, or write one page per command into a directory.
    Man(conventions::ManArgs),
}

/// Exit code for findings at or above the failure threshold.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code for usage, configuration and input errors.
pub const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    // A Rego evaluation process (started by this binary, never by a user).
    if std::env::args_os().nth(1).as_deref()
        == Some(std::ffi::OsStr::new(admission_cmd::REGO_WORKER))
    {
        return admission_cmd::rego_worker();
    }
    admission_cmd::isolate_rego();
    let cli = Cli::parse();
    output::configure(cli.quiet, cli.color);
    let result = match cli.command {
        Command::Ci(args) => ci_cmd::run(*args),
        Command::PreMerge(args) => premerge_cmd::run(args),
        Command::Hook { command } => premerge_cmd::run_hook(command),
        Command::Build(args) => build_cmd::run(*args),
        Command::Sast(args) => sast_cmd::run(args),
        Command::Audit(args) => audit_cmd::run(args),
        Command::Sbom(args) => sbom_cmd::run(args),
        Command::VerifyBundle(args) => verify_bundle_cmd::run(args),
        Command::TrustedRoot(args) => trust_cmd::run(args),
        Command::Key { command } => keys_cmd::run_key(command),
        Command::Sign(args) => keys_cmd::run_sign(args),
        Command::Attest(args) => attest_cmd::run(*args),
        Command::Layout { command } => intoto_cmd::run_layout(command),
        Command::VerifyLayout(args) => intoto_cmd::run_verify_layout(args),
        Command::Verify(args) => verify_cmd::run(*args),
        Command::Policy { command } => verify_cmd::run_policy(command),
        Command::Log { command } => log_cmd::run(command),
        Command::Admission { command } => admission_cmd::run(command),
        Command::VerifyImage(args) => verify_image_cmd::run(args),
        Command::VerifyAttestation(args) => verify_attestation_cmd::run(*args),
        Command::Db { command } => audit_cmd::run_db(command),
        Command::Version(args) => conventions::version(args),
        Command::Completions(args) => conventions::completions::<Cli>(args),
        Command::Man(args) => conventions::man::<Cli>(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        // The reader went away (`| head`): nothing more to say, as ripgrep.
        Err(err) if err.chain().any(|e| e.is::<output::StdoutClosed>()) => ExitCode::SUCCESS,
        Err(err) => {
            let prefix = if output::color_stderr() {
                "\x1b[1;31merror:\x1b[0m"
            } else {
                "error:"
            };
            eprintln!("{prefix} {}", conventions::render_error(&err));
            ExitCode::from(EXIT_ERROR)
        }
    }
}
