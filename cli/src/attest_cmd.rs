//! `tollgate attest`: in-toto Statement v1 in a DSSE envelope, signed with a
//! key, written as a Sigstore bundle (v0.3) or an `.intoto.jsonl` line.

use crate::keys_cmd::{load_key, PasswordArgs};
use crate::output;
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use serde_json::Value;
use std::path::PathBuf;
use tollgate_attest::statement::{self, Subject};

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
#[command(
    after_help = "Subjects are files (named by SHA-256 and SHA-512) or images as `name@sha256:<hex>`.\nVerify the result with `tollgate verify-bundle --key PUB --insecure-ignore-tlog --bundle B SUBJECT`."
)]
pub struct AttestArgs {
    #[command(subcommand)]
    pub command: Option<AttestCommand>,
    /// Predicate type URI of a custom predicate.
    #[arg(long, value_name = "URI", requires = "predicate")]
    pub predicate_type: Option<String>,
    /// The predicate: a JSON file.
    #[arg(long, value_name = "FILE", requires = "predicate_type")]
    pub predicate: Option<PathBuf>,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Args, Debug, Clone)]
pub struct CommonArgs {
    /// What the statement is about.
    #[arg(value_name = "SUBJECT")]
    pub subjects: Vec<String>,
    /// Private key (cosign's encrypted PEM).
    #[arg(long, value_name = "KEY")]
    pub key: Option<PathBuf>,
    #[command(flatten)]
    pub password: PasswordArgs,
    /// Write a Sigstore bundle (v0.3) with the DSSE envelope.
    #[arg(long, value_name = "FILE", required_unless_present_any = ["output_jsonl", "attach"])]
    pub bundle: Option<PathBuf>,
    /// Append the DSSE envelope as a line of an `.intoto.jsonl` file.
    #[arg(long, value_name = "FILE")]
    pub output_jsonl: Option<PathBuf>,
    /// Attest an image: resolve it to its digest (a subject), and attach the
    /// attestation in the registry (`.att` tag and a bundle referrer).
    #[arg(long, value_name = "IMAGE")]
    pub attach: Option<String>,
    #[command(flatten)]
    pub registry: crate::keys_cmd::RegistryArgs,
}

#[derive(Subcommand, Debug)]
pub enum AttestCommand {
    /// SLSA provenance v1 with source facts from the git repository.
    Provenance {
        /// The repository the build ran in.
        #[arg(long, default_value = ".")]
        repo: PathBuf,
        /// Attest a working tree with uncommitted changes (recorded in the predicate).
        #[arg(long)]
        allow_dirty: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// A CycloneDX SBOM (`tollgate sbom` output).
    Sbom {
        #[arg(long, value_name = "FILE")]
        sbom: PathBuf,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Dependency vulnerabilities (`tollgate audit --format json` output), in-toto vulns v0.2.
    Vulns {
        #[arg(long, value_name = "FILE")]
        audit: PathBuf,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// The SAST summary (`tollgate sast --format sarif` output).
    Sast {
        #[arg(long, value_name = "FILE")]
        sarif: PathBuf,
        #[command(flatten)]
        common: CommonArgs,
    },
}

/// RFC 3339 from `SOURCE_DATE_EPOCH`, else now.
fn timestamp() -> Result<String> {
    let seconds = match crate::sbom_cmd::source_date_epoch()? {
        Some(s) => s,
        None => crate::audit_cmd::now(),
    };
    Ok(tollgate_sbom::report::rfc3339(seconds))
}

fn read_json(path: &PathBuf, what: &str) -> Result<(Vec<u8>, Value)> {
    let bytes =
        std::fs::read(path).with_context(|| format!("{}: cannot read {what}", path.display()))?;
    let value = serde_json::from_slice(&bytes)
        .with_context(|| format!("{}: not a JSON {what}", path.display()))?;
    Ok((bytes, value))
}

fn subjects(list: &[String], image: Option<&(String, String)>) -> Result<Vec<Subject>> {
    let mut out: Vec<Subject> = Vec::new();
    if let Some((name, digest)) = image {
        out.push(Subject::image(name, digest)?);
    }
    if list.is_empty() {
        if !out.is_empty() {
            return Ok(out);
        }
        bail!("give at least one SUBJECT (a file, or an image as name@sha256:<hex>)");
    }
    let listed: Result<Vec<Subject>> = list
        .iter()
        .map(|s| {
            let path = std::path::Path::new(s);
            if path.exists() {
                Ok(Subject::file(path)?)
            } else if let Some((name, digest)) = s.split_once('@') {
                Ok(Subject::image(name, digest)?)
            } else {
                bail!("{s}: no such file, and not an image reference with @sha256:<hex>")
            }
        })
        .collect();
    out.extend(listed?);
    Ok(out)
}

pub fn run(args: AttestArgs) -> Result<u8> {
    let (common, predicate_type, predicate) = match args.command {
        None => {
            let (Some(t), Some(file)) = (args.predicate_type, args.predicate) else {
                bail!("give --predicate-type and --predicate, or one of: provenance, sbom, vulns, sast");
            };
            (args.common, t, read_json(&file, "predicate")?.1)
        }
        Some(AttestCommand::Provenance {
            repo,
            allow_dirty,
            common,
        }) => {
            let facts = tollgate_attest::provenance::source_facts(&repo)?;
            if facts.dirty && !allow_dirty {
                bail!("{}: the working tree has uncommitted changes; commit them, or pass --allow-dirty (recorded in the provenance)", repo.display());
            }
            let env: tollgate_attest::provenance::Env = std::env::vars().collect();
            let now = timestamp()?;
            let external =
                serde_json::json!({ "subjects": common.subjects, "repository": facts.repository });
            (
                common,
                statement::SLSA_PROVENANCE_V1.to_string(),
                tollgate_attest::provenance::predicate(&facts, &env, &now, &now, external),
            )
        }
        Some(AttestCommand::Sbom { sbom, common }) => {
            let (_, doc) = read_json(&sbom, "SBOM")?;
            if doc["bomFormat"] != "CycloneDX" {
                bail!("{}: not a CycloneDX SBOM", sbom.display());
            }
            (common, statement::CYCLONEDX_BOM.to_string(), doc)
        }
        Some(AttestCommand::Vulns { audit, common }) => {
            let (_, doc) = read_json(&audit, "audit report")?;
            if doc.get("vulnerabilities").is_none() {
                bail!(
                    "{}: not a `tollgate audit --format json` report",
                    audit.display()
                );
            }
            let now = timestamp()?;
            (
                common,
                statement::VULNS_V02.to_string(),
                statement::vulns_predicate(&doc, &now, &now),
            )
        }
        Some(AttestCommand::Sast { sarif, common }) => {
            let (bytes, doc) = read_json(&sarif, "SARIF log")?;
            if doc["version"] != "2.1.0" {
                bail!("{}: not a SARIF 2.1.0 log", sarif.display());
            }
            (
                common,
                statement::SAST_PREDICATE_TYPE.to_string(),
                statement::sast_predicate(&bytes)?,
            )
        }
    };
    let registry_options = common.registry.options()?;
    let image = match &common.attach {
        Some(image) => Some(tollgate_attest::oci::resolve_image(
            image,
            &registry_options,
        )?),
        None => None,
    };
    let subjects = subjects(&common.subjects, image.as_ref())?;
    let Some(key_path) = &common.key else {
        bail!("attestations are signed with --key (keyless attestations are not supported yet)");
    };
    let key = load_key(key_path, &common.password)?;
    let statement = statement::statement(&subjects, &predicate_type, predicate);
    if let Some(path) = &common.bundle {
        output::write_atomic(
            path,
            &tollgate_attest::sign::to_bytes(&tollgate_attest::sign::keyed_dsse_bundle(
                &key, &statement,
            )),
        )?;
        eprintln!(
            "Wrote {predicate_type} attestation bundle to {}",
            path.display()
        );
    }
    if common.attach.is_some() {
        let bundle = tollgate_attest::sign::keyed_dsse_bundle(&key, &statement);
        let image = common.attach.as_deref().unwrap_or_default();
        let attached = tollgate_attest::oci::attach_attestation(
            image,
            &bundle,
            &predicate_type,
            &registry_options,
        )?;
        println!("{}", serde_json::to_string_pretty(&attached)?);
        eprintln!(
            "Attached {predicate_type} attestation to {} (tag {})",
            attached.image, attached.attestation_tag
        );
    }
    if let Some(path) = &common.output_jsonl {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("{}: cannot open", path.display()))?;
        file.write_all(&tollgate_attest::sign::intoto_jsonl_line(&key, &statement))
            .with_context(|| format!("{}: cannot write", path.display()))?;
        eprintln!(
            "Appended {predicate_type} attestation to {}",
            path.display()
        );
    }
    Ok(0)
}
