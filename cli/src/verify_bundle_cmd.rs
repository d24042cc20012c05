//! `tollgate verify-bundle`: cosign's flags, and the sigstore-conformance
//! client protocol (`verify-bundle [--staging] --bundle F (--certificate-identity I
//! --certificate-oidc-issuer U | --key PEM) [--trusted-root R] FILE_OR_DIGEST`).
//! Keyless identities may also be patterns (`--certificate-identity-regexp`,
//! `--certificate-oidc-issuer-regexp`; anchored, see `identity_flags`).

use crate::identity_flags::SignerArgs;
use crate::{checks, output};
use anyhow::Result;
use clap::{ArgGroup, Args};
use std::path::PathBuf;
use tollgate_attest::verify::{self, Subject, Trust};

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("signer").required(true).args(["key", "certificate_identity", "certificate_identity_regexp"])))]
#[command(after_help = "Exit status: 0 verified, 1 verification failed, 2 usage or input error.")]
pub struct VerifyBundleArgs {
    /// The file that was signed, or `sha256:<hex>` to verify a digest without the file.
    pub artifact: String,
    /// The Sigstore bundle (`.sigstore.json`).
    #[arg(long, value_name = "FILE")]
    pub bundle: PathBuf,
    #[command(flatten)]
    pub signer: SignerArgs,
    /// Use the Sigstore staging instance's trusted root.
    #[arg(long, conflicts_with = "trusted_root")]
    pub staging: bool,
    /// Accept a keyed bundle without a transparency-log entry (as cosign's flag of the same name).
    #[arg(long, requires = "key")]
    pub insecure_ignore_tlog: bool,
    /// Print what was verified as JSON.
    #[arg(long)]
    pub json: bool,
    /// Never touch the network (accepted for scripts: bundle verification
    /// is offline anyway, against the built-in or given trusted root).
    #[arg(long)]
    pub offline: bool,
}

pub fn run(args: VerifyBundleArgs) -> Result<u8> {
    // Input errors first (exit 2), so none of them reads as "verification
    // failed": a malformed digest, a missing file, a key that is not a PEM
    // public key, a trusted root that is not one, a bundle that is not one.
    checks::digest_argument(&args.artifact)?;
    let subject = Subject::parse(&args.artifact);
    if let Subject::File(path) = &subject {
        checks::subject_file(path)?;
    }
    let (signer, matcher) = args.signer.signer()?;
    let trust = args.signer.trust(if args.staging {
        Trust::Staging
    } else {
        Trust::PublicGood
    })?;
    checks::bundle_shape(&args.bundle)?;
    match verify::verify_bundle(
        &args.bundle,
        &subject,
        &signer,
        &trust,
        args.insecure_ignore_tlog,
    )
    .and_then(|verified| match &matcher {
        Some(rule) => rule
            .check(&verified)
            .map(|()| verified)
            .map_err(tollgate_attest::Error::Verification),
        None => Ok(verified),
    }) {
        Ok(verified) => {
            if args.json {
                output::line(&serde_json::to_string_pretty(&verified)?)?;
            } else {
                let who = verified
                    .identity
                    .as_deref()
                    .map(|i| format!(" by {i} ({})", verified.issuer.as_deref().unwrap_or("?")))
                    .unwrap_or_default();
                output::info!("Verified OK{who}");
            }
            Ok(0)
        }
        Err(tollgate_attest::Error::Verification(message)) => {
            eprintln!(
                "error: {}: verification failed: {message}",
                args.bundle.display()
            );
            Ok(crate::EXIT_FINDINGS)
        }
        Err(other) => Err(other.into()),
    }
}
