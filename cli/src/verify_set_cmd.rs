//! `tollgate verify --policy DIR`: a directory of policies, with the
//! admission webhook's semantics (`tollgate_verifier::policy_set`): the
//! subject must satisfy every policy whose image scope matches it (a file
//! subject: every policy); an image no policy's scope matches is denied
//! unless the policies say `noMatch: allow` or `warn`.
//!
//! Exit status: 0 admit, 1 deny, 2 usage or input error.

use crate::verify_cmd::{Format, VerifyArgs};
use crate::{output, EXIT_FINDINGS};
use anyhow::{bail, Result};
use serde_json::{json, Value};
use tollgate_verifier::gate::{self, Decision, Target};
use tollgate_verifier::policy::NoMatch;
use tollgate_verifier::policy_set::{PolicySet, Selection};
use tollgate_verifier::reference::ImageRef;

pub fn run(args: VerifyArgs) -> Result<u8> {
    let set = PolicySet::load(&args.policy).map_err(|e| anyhow::anyhow!("{e}"))?;
    let now = crate::audit_cmd::now();
    let path = std::path::Path::new(&args.target);
    let (inputs, subject, sha256, entries) = if path.is_file() {
        let inputs = crate::verify_cmd::read_bundle_files(&args.bundles)?;
        (inputs, None, None, set.all())
    } else {
        if !args.bundles.is_empty() {
            bail!(
                "{}: no such file (to verify an image, give no --bundle: its attestations come from its registry)",
                args.target
            );
        }
        if !crate::checks::is_image_reference(&args.target) {
            return Err(crate::checks::missing_file_or_image(&args.target, "verify"));
        }
        let reference = ImageRef::parse(&args.target)?;
        let entries = match set.select(None, &reference) {
            Selection::Policies(entries) => entries,
            Selection::NotCovered => Vec::new(),
            Selection::NoMatch { outcome, covering } => {
                let reason = format!(
                    "{} ({reference}) matches no policy's image scope (policies: {})",
                    args.target,
                    covering.join(", ")
                );
                return Ok(match outcome {
                    NoMatch::Deny => {
                        output::write(None, &format!("DENY: {reason}; noMatch: deny\n"))?;
                        EXIT_FINDINGS
                    }
                    NoMatch::Warn => {
                        output::write(
                            None,
                            &format!("ADMIT with a warning: {reason}; noMatch: warn\n"),
                        )?;
                        0
                    }
                    NoMatch::Allow => {
                        output::write(None, &format!("ADMIT: {reason}; noMatch: allow\n"))?;
                        0
                    }
                });
            }
        };
        // Reached by its canonical spelling, as the webhook does.
        let (digest, bundles) = tollgate_attest::oci::attached_bundles(
            &reference.to_string(),
            &args.registry.options()?,
        )?;
        let inputs = bundles
            .into_iter()
            .map(|b| {
                let input = gate::BundleInput::new(
                    format!("{} referrer {}", args.target, b.referrer),
                    b.bytes,
                );
                match b.signed_payload {
                    Some(p) => input.with_signed_payload(p),
                    None => input,
                }
            })
            .collect();
        let sha256 = digest.trim_start_matches("sha256:").to_string();
        let subject = tollgate_verifier::reference::ImageRef::parse(&args.target)
            .map(|r| r.subject())
            .unwrap_or_else(|_| args.target.clone());
        (inputs, Some(subject), Some(sha256), entries)
    };
    let decisions: Vec<Decision> = entries
        .iter()
        .map(|e| match (&subject, &sha256) {
            (Some(name), Some(sha)) => gate::decide(
                &e.policy,
                &Target::Digest { name, sha256: sha },
                &inputs,
                now,
            ),
            _ => gate::decide(&e.policy, &Target::File(path), &inputs, now),
        })
        .collect();
    let allowed = decisions.iter().all(|d| d.allowed);
    let mut receipts = Vec::new();
    for d in &decisions {
        receipts.extend(crate::verify_cmd::log_decision(&args, d, now)?);
    }
    match args.format {
        Format::Json => {
            let mut value = json!({ "allowed": allowed, "decisions": decisions });
            if !receipts.is_empty() {
                value["decisionLog"] = Value::Array(receipts);
            }
            crate::verify_cmd::print_json(&value)?
        }
        Format::Text => {
            let mut text = String::new();
            for d in &decisions {
                text.push_str(&format!("policy `{}`:\n", d.policy));
                text.push_str(&crate::verify_cmd::check_lines(&d.checks));
            }
            let failed: Vec<&str> = decisions
                .iter()
                .filter(|d| !d.allowed)
                .map(|d| d.policy.as_str())
                .collect();
            let (subject, digest) = decisions
                .first()
                .map(|d| (d.subject.as_str(), d.digest.as_str()))
                .unwrap_or((args.target.as_str(), ""));
            let names: Vec<&str> = decisions.iter().map(|d| d.policy.as_str()).collect();
            text.push_str(&if allowed {
                format!(
                    "ADMIT: {subject} {digest} under {} policies ({})\n",
                    names.len(),
                    names.join(", ")
                )
            } else {
                format!(
                    "DENY: {subject} {digest}: policy {} failed\n",
                    failed.join(", ")
                )
            });
            output::write(None, &text)?;
        }
    }
    Ok(if allowed { 0 } else { EXIT_FINDINGS })
}
