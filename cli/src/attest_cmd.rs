//! `tollgate attest`: in-toto Statement v1 in a DSSE envelope, signed with a
//! key or keylessly (Fulcio certificate, Rekor `dsse` entry), written as a
//! Sigstore bundle (v0.3), pushed next to an image, or (keyed only) appended
//! as an `.intoto.jsonl` line.

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
    after_help = "Subjects are files (named by SHA-256 and SHA-512) or images as `name@sha256:<hex>`.\nWithout --key, attests keylessly (like `tollgate sign`).\nVerify the result with `tollgate verify-bundle --key PUB --insecure-ignore-tlog --bundle B SUBJECT`\n(keyless: `--certificate-identity ID --certificate-oidc-issuer URL`)."
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
    #[command(flatten)]
    pub sigstore: crate::keys_cmd::SigstoreArgs,
}

#[derive(Subcommand, Debug)]
pub enum AttestCommand {
    /// Run a supply-chain step and record a signed in-toto link (like
    /// `in-toto-run`): materials, the command, products.
    Link(crate::intoto_cmd::LinkArgs),
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
    Ok(match crate::sbom_cmd::source_date_epoch()? {
        Some(s) => crate::dates::rfc3339(s).context("SOURCE_DATE_EPOCH")?,
        None => crate::dates::rfc3339(crate::audit_cmd::now())?,
    })
}

fn read_json(path: &PathBuf, what: &str) -> Result<(Vec<u8>, Value)> {
    let bytes =
        std::fs::read(path).with_context(|| format!("{}: cannot read {what}", path.display()))?;
    let value = serde_json::from_slice(&bytes)
        .with_context(|| format!("{}: not a JSON {what}", path.display()))?;
    Ok((bytes, value))
}

/// The statement's subjects: the attached image's, then each listed one
/// (a file is hashed unless `hashed` holds it already).
fn subjects(
    list: &[String],
    image: Option<&(String, String)>,
    hashed: &[(PathBuf, Subject)],
) -> Result<Vec<Subject>> {
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
            if let Some((_, subject)) = hashed.iter().find(|(p, _)| p == path) {
                Ok(subject.clone())
            } else if path.exists() {
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
        Some(AttestCommand::Link(link)) => return crate::intoto_cmd::run_link(link),
        None => {
            let (Some(t), Some(file)) = (args.predicate_type, args.predicate) else {
                bail!("give --predicate-type and --predicate, or one of: provenance, sbom, vulns, sast");
            };
            (args.common, t, read_json(&file, "predicate")?.1)
        }
        Some(command) => predicate(command)?,
    };
    attest(&common, &predicate_type, predicate, None, &[], true)
}

/// One of the built-in predicates (provenance, sbom, vulns, sast), read
/// from the input its command names: the subjects and how to sign, the
/// predicate type and the predicate.
pub fn predicate(command: AttestCommand) -> Result<(CommonArgs, String, Value)> {
    Ok(match command {
        AttestCommand::Link(_) => bail!("an in-toto link is not a predicate"),
        AttestCommand::Provenance {
            repo,
            allow_dirty,
            common,
        } => {
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
        AttestCommand::Sbom { sbom, common } => {
            let (_, doc) = read_json(&sbom, "SBOM")?;
            if doc["bomFormat"] != "CycloneDX" {
                bail!("{}: not a CycloneDX SBOM", sbom.display());
            }
            (common, statement::CYCLONEDX_BOM.to_string(), doc)
        }
        AttestCommand::Vulns { audit, common } => {
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
        AttestCommand::Sast { sarif, common } => {
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
    })
}

/// Sign a statement of `predicate` about `common`'s subjects and write it
/// where `common` says (bundle, registry, `.intoto.jsonl`). `key`: a key
/// already loaded (`tollgate ci` decrypts its key once), else `--key`'s.
/// `hashed`: subject files already hashed (`tollgate ci` hashes each
/// artifact once for its four attestations).
/// `announce`: say what was written (on standard error) and print the
/// attached image's record (on standard output), as `tollgate attest` does.
pub fn attest(
    common: &CommonArgs,
    predicate_type: &str,
    predicate: Value,
    key: Option<&tollgate_attest::keys::KeyPair>,
    hashed: &[(PathBuf, Subject)],
    announce: bool,
) -> Result<u8> {
    let registry_options = common.registry.options()?;
    let image = match &common.attach {
        Some(image) => Some(tollgate_attest::oci::resolve_image(
            image,
            &registry_options,
        )?),
        None => None,
    };
    let subjects = subjects(&common.subjects, image.as_ref(), hashed)?;
    let statement = statement::statement(&subjects, predicate_type, predicate);
    let mut sigstore = common.sigstore.clone();
    sigstore.resolve()?;
    let loaded = match (key, &common.key) {
        (None, Some(path)) => Some(load_key(path, &common.password)?),
        _ => None,
    };
    let key = key.or(loaded.as_ref());
    if key.is_none() && common.output_jsonl.is_some() {
        bail!("--output-jsonl writes a bare DSSE envelope, which only a key verifies; keyless attestations go to --bundle or --attach (their certificate and log entry travel in the bundle)");
    }
    let token;
    let rekor = sigstore.keyless_rekor_url();
    let signer = match &key {
        Some(key) => tollgate_attest::keyless::StatementSigner::Keyed {
            key,
            rekor_url: sigstore.rekor_url.as_deref(),
        },
        None => {
            token = sigstore.identity_token()?;
            tollgate_attest::keyless::StatementSigner::Keyless {
                token: &token,
                fulcio_url: &sigstore.fulcio_url,
                rekor_url: &rekor,
            }
        }
    };
    // One signature (and one log entry) serves the file and the registry.
    let bundle = tollgate_attest::keyless::sign_statement_via(
        &signer,
        sigstore.services.as_ref(),
        &statement,
    )?;
    // A hardware key that failed to sign: nothing is written or pushed.
    if let Some(key) = key {
        key.signing_failure()?;
    }
    let bundle_bytes = tollgate_attest::sign::to_bytes(&bundle);
    if let Some(root) = &sigstore.trusted_root {
        check_fresh_bundle(&bundle_bytes, &subjects, key, &signer, root)?;
    }
    if let Some(path) = &common.bundle {
        output::write_atomic(path, &bundle_bytes)?;
        if announce {
            output::info!(
                "Wrote {predicate_type} attestation bundle to {} ({})",
                path.display(),
                describe(&signer)
            );
        }
    }
    if let Some(image) = common.attach.as_deref() {
        let attached = tollgate_attest::oci::attach_attestation(
            image,
            &bundle,
            predicate_type,
            &registry_options,
        )?;
        if announce {
            output::line(&serde_json::to_string_pretty(&attached)?)?;
            output::info!(
                "Attached {predicate_type} attestation to {} (tag {})",
                attached.image,
                attached.attestation_tag
            );
        }
    }
    if let Some(path) = &common.output_jsonl {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("{}: cannot open", path.display()))?;
        let Some(key) = &key else {
            bail!("--output-jsonl needs --key");
        };
        let line = tollgate_attest::sign::intoto_jsonl_line(key, &statement);
        key.signing_failure()?;
        file.write_all(&line)
            .with_context(|| format!("{}: cannot write", path.display()))?;
        output::info!(
            "Appended {predicate_type} attestation to {}",
            path.display()
        );
    }
    Ok(0)
}

fn describe(signer: &tollgate_attest::keyless::StatementSigner<'_>) -> String {
    use tollgate_attest::keyless::StatementSigner;
    match signer {
        StatementSigner::Keyed {
            key,
            rekor_url: None,
        } => format!("keyed, {}, not logged", key.kind().as_str()),
        StatementSigner::Keyed {
            key,
            rekor_url: Some(rekor),
        } => format!("keyed, {}, logged to {rekor}", key.kind().as_str()),
        StatementSigner::Keyless {
            fulcio_url,
            rekor_url,
            ..
        } => format!("keyless, certificate from {fulcio_url}, logged to {rekor_url}"),
    }
}

/// Verify a new bundle against `--trusted-root` before it is written or
/// pushed anywhere, so a misconfigured private instance fails now rather
/// than at the deploy gate. Checked against the first subject's SHA-256.
fn check_fresh_bundle(
    bundle: &[u8],
    subjects: &[Subject],
    key: Option<&tollgate_attest::keys::KeyPair>,
    signer: &tollgate_attest::keyless::StatementSigner<'_>,
    root: &std::path::Path,
) -> Result<()> {
    use tollgate_attest::verify::{verify_bundle_text, Signer, Subject as VerifySubject, Trust};
    let sha256 = subjects
        .first()
        .and_then(|s| s.digest.get("sha256"))
        .context("the statement has no subject with a SHA-256 digest")?;
    let text = String::from_utf8_lossy(bundle);
    let verifier = match key {
        Some(key) => Signer::KeyPem(key.public_key_pem()),
        None => Signer::AnyIdentity,
    };
    let unlogged = matches!(
        signer,
        tollgate_attest::keyless::StatementSigner::Keyed {
            rekor_url: None,
            ..
        }
    );
    verify_bundle_text(
        std::path::Path::new("<new attestation>"),
        &text,
        &VerifySubject::Sha256(sha256.clone()),
        &verifier,
        &Trust::File(root.to_path_buf()),
        unlogged,
    )
    .with_context(|| {
        format!(
            "the new attestation does not verify against {}",
            root.display()
        )
    })?;
    Ok(())
}
