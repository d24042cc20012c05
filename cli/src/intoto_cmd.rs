//! Classic in-toto: `tollgate attest link` (like `in-toto-run`),
//! `tollgate layout create|sign` and `tollgate verify-layout` (like
//! `in-toto-verify`). Interoperable with the Python reference tools.

use crate::keys_cmd::{load_key, PasswordArgs};
use crate::output;
use crate::verify_cmd::Format;
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use tollgate_attest::intoto::{self, IntotoError};
use tollgate_attest::keys::KeyPair;

#[derive(Args, Debug)]
#[command(
    after_help = "Writes <STEP>.<keyid prefix>.link, signed with --key (a PKCS#8 PEM private key as in-toto-run takes, or a cosign key).\nExit status: 0 the command succeeded, 1 it failed (the link still records it), 2 error."
)]
pub struct LinkArgs {
    /// The step's name in the layout.
    #[arg(long, short = 'n', value_name = "NAME")]
    pub step: String,
    /// Files or directories recorded before the command.
    #[arg(long, short = 'm', value_name = "PATH", num_args = 1..)]
    pub materials: Vec<String>,
    /// Files or directories recorded after the command.
    #[arg(long, short = 'p', value_name = "PATH", num_args = 1..)]
    pub products: Vec<String>,
    /// The functionary's private key.
    #[arg(long, value_name = "KEY")]
    pub key: PathBuf,
    #[command(flatten)]
    pub password: PasswordArgs,
    /// Keep the command's standard output and error in the link.
    #[arg(long, short = 's')]
    pub record_streams: bool,
    /// Record a step without a command (a sign-off).
    #[arg(long, short = 'x', conflicts_with = "command")]
    pub no_command: bool,
    /// Where materials and products are looked up (the command runs in the current directory).
    #[arg(long, value_name = "DIR")]
    pub base_path: Option<PathBuf>,
    /// Left-strip these prefixes from recorded paths.
    #[arg(long, value_name = "PREFIX", num_args = 1..)]
    pub lstrip_paths: Vec<String>,
    /// gitignore-style patterns not to record (default: *.link*, .git, *.pyc, *~).
    #[arg(long, value_name = "PATTERN", num_args = 1..)]
    pub exclude: Vec<String>,
    /// Write the link as a DSSE envelope (in-toto-run's --use-dsse).
    #[arg(long)]
    pub use_dsse: bool,
    /// Directory to write the link to.
    #[arg(long, short = 'd', value_name = "DIR", default_value = ".")]
    pub metadata_directory: PathBuf,
    /// The command, after `--`.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

#[derive(Subcommand, Debug)]
pub enum LayoutCommand {
    /// Build a layout from a YAML or JSON spec (steps, functionaries'
    /// public keys, artifact rules, inspections, expiry); signed when --key is given.
    Create {
        /// The spec (see docs/in-toto.md).
        spec: PathBuf,
        /// Where to write the layout.
        #[arg(long, short = 'o', value_name = "FILE", default_value = "root.layout")]
        output: PathBuf,
        /// The project owner's private key(s).
        #[arg(long, value_name = "KEY")]
        key: Vec<PathBuf>,
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// Add (or replace) signatures on a layout or link.
    Sign {
        file: PathBuf,
        #[arg(long, value_name = "KEY", required = true)]
        key: Vec<PathBuf>,
        /// Write here instead of in place.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        password: PasswordArgs,
    },
}

#[derive(Args, Debug)]
#[command(
    after_help = "Runs the layout's inspections in the current directory, as in-toto-verify does.\nExit status: 0 verified, 1 verification failed, 2 error."
)]
pub struct VerifyLayoutArgs {
    /// The root layout.
    #[arg(long, short = 'l', value_name = "FILE")]
    pub layout: PathBuf,
    /// The project owner's public key(s) (SPKI PEM); each must have signed the layout.
    #[arg(long = "layout-key", value_name = "PUB", required = true)]
    pub layout_keys: Vec<PathBuf>,
    /// Where the links are.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub link_dir: PathBuf,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

/// A private key: PKCS#8 PEM (what in-toto-run takes) or cosign's format.
fn load_signing_key(path: &Path, password: &PasswordArgs) -> Result<KeyPair> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read key", path.display()))?;
    if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        bail!("{}: encrypted PKCS#8 keys are not supported; use a cosign key (`tollgate key generate`) or decrypt it (`openssl pkcs8 -in KEY -out PLAIN`)", path.display());
    }
    if text.contains("-----BEGIN PRIVATE KEY-----") {
        return KeyPair::from_pkcs8_pem(&text).with_context(|| format!("{}", path.display()));
    }
    load_key(path, password)
}

fn intoto_err(e: IntotoError) -> anyhow::Error {
    anyhow::Error::new(e)
}

pub fn run_link(args: LinkArgs) -> Result<u8> {
    if args.command.is_empty() && !args.no_command {
        bail!("give the step's command after `--`, or --no-command for a step without one");
    }
    let key = load_signing_key(&args.key, &args.password)?;
    let recorder = intoto::artifacts::Recorder::new(
        args.base_path.as_deref(),
        &args.exclude,
        &args.lstrip_paths,
    )
    .map_err(intoto_err)?;
    let ran = intoto::link::run(
        &intoto::link::StepRun {
            name: &args.step,
            materials: &args.materials,
            products: &args.products,
            command: &args.command,
            record_streams: args.record_streams,
            recorder: &recorder,
        },
        &key,
    )
    .map_err(intoto_err)?;
    let path = args.metadata_directory.join(&ran.file_name);
    let document = if args.use_dsse {
        intoto::link::dsse_envelope(&ran.metablock["signed"], &key)
    } else {
        ran.metablock
    };
    output::write_atomic(&path, &intoto::to_file_bytes(&document))?;
    output::info!("Wrote link {}", path.display());
    if ran.return_value != 0 {
        eprintln!(
            "tollgate: `{}` exited with {} (recorded in the link)",
            args.command.join(" "),
            ran.return_value
        );
        return Ok(crate::EXIT_FINDINGS);
    }
    Ok(0)
}

pub fn run_layout(command: LayoutCommand) -> Result<u8> {
    match command {
        LayoutCommand::Create {
            spec,
            output: out,
            key,
            password,
        } => {
            let text = std::fs::read_to_string(&spec)
                .with_context(|| format!("{}: cannot read layout spec", spec.display()))?;
            let parsed: intoto::layout::LayoutSpec = serde_saphyr::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{}: invalid layout spec: {e}", spec.display()))?;
            let now = match crate::sbom_cmd::source_date_epoch()? {
                Some(s) => s,
                None => crate::audit_cmd::now(),
            };
            let base = spec.parent().unwrap_or(Path::new("."));
            let body = intoto::layout::build(&parsed, base, now)
                .map_err(|e| anyhow::anyhow!("{}: {e}", spec.display()))?;
            let mut metablock = serde_json::json!({"signed": body, "signatures": []});
            for k in &key {
                let pair = load_signing_key(k, &password)?;
                intoto::layout::add_signature(&mut metablock, &pair).map_err(anyhow::Error::msg)?;
            }
            output::write_atomic(&out, &intoto::to_file_bytes(&metablock))?;
            output::info!(
                "Wrote layout {} ({} step(s), {} inspection(s), {} signature(s), expires {})",
                out.display(),
                metablock["signed"]["steps"].as_array().map_or(0, Vec::len),
                metablock["signed"]["inspect"]
                    .as_array()
                    .map_or(0, Vec::len),
                key.len(),
                metablock["signed"]["expires"].as_str().unwrap_or_default()
            );
            Ok(0)
        }
        LayoutCommand::Sign {
            file,
            key,
            output: out,
            password,
        } => {
            let mut metablock = intoto::verify::read_metablock(&file).map_err(intoto_err)?;
            for k in &key {
                let pair = load_signing_key(k, &password)?;
                intoto::layout::add_signature(&mut metablock, &pair)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            }
            let target = out.unwrap_or(file);
            output::write_atomic(&target, &intoto::to_file_bytes(&metablock))?;
            output::info!("Signed {} with {} key(s)", target.display(), key.len());
            Ok(0)
        }
    }
}

pub fn run_verify_layout(args: VerifyLayoutArgs) -> Result<u8> {
    let mut keys = Vec::new();
    for path in &args.layout_keys {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read public key", path.display()))?;
        keys.push(
            intoto::keys::PublicKey::from_spki_pem(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
        );
    }
    let cwd = std::env::current_dir().context("no current directory")?;
    let result = intoto::verify::verify(&intoto::verify::Options {
        layout: &args.layout,
        layout_keys: &keys,
        link_dir: &args.link_dir,
        now: crate::audit_cmd::now(),
        inspection_dir: &cwd,
    });
    match result {
        Ok(report) => {
            if matches!(args.format, Format::Json) {
                output::line(&serde_json::to_string_pretty(
                    &serde_json::json!({"verified": true, "report": report}),
                )?)?;
            } else {
                for w in &report.warnings {
                    eprintln!("warning: {w}");
                }
                output::line(&format!(
                    "PASS {}: {} step(s), {} inspection(s), layout expires {}",
                    report.layout,
                    report.steps.len(),
                    report.inspections.len(),
                    report.expires
                ))?;
            }
            Ok(0)
        }
        Err(IntotoError::Verification(reason)) => {
            if matches!(args.format, Format::Json) {
                output::line(&serde_json::to_string_pretty(
                    &serde_json::json!({"verified": false, "reason": reason}),
                )?)?;
            } else {
                output::line(&format!("FAIL {}: {reason}", args.layout.display()))?;
            }
            Ok(crate::EXIT_FINDINGS)
        }
        Err(e) => Err(intoto_err(e)),
    }
}
