//! Verifying a supply chain against its layout, in the reference
//! implementation's order: the layout's signatures (every given owner key
//! must have signed), its expiry, each step's links (signed by an
//! authorised functionary, at least `threshold` distinct ones, all
//! reporting the same artifacts), the steps' artifact rules, then the
//! inspections (run here, in the working directory) and their rules.
//! Every failure names the step, link or rule.

use super::artifacts::Recorder;
use super::keys::PublicKey;
use super::layout::{self, Layout};
use super::rules::{self, Artifacts, Recorded, Side};
use super::IntotoError;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What `verify` checks and where.
pub struct Options<'a> {
    /// The layout file.
    pub layout: &'a Path,
    /// The project owner's keys: each must have signed the layout.
    pub layout_keys: &'a [PublicKey],
    /// Where the links are.
    pub link_dir: &'a Path,
    /// Unix seconds, for the expiry check.
    pub now: i64,
    /// Where inspections run and are recorded.
    pub inspection_dir: &'a Path,
}

/// What passed.
#[derive(Debug, serde::Serialize)]
pub struct Report {
    /// The layout file.
    pub layout: String,
    /// When it expires.
    pub expires: String,
    /// Each step and whose links were accepted.
    pub steps: Vec<StepReport>,
    /// The inspections run.
    pub inspections: Vec<String>,
    /// Not failures: commands that differ from the expected ones, links
    /// skipped for a bad signature while the threshold was still met.
    pub warnings: Vec<String>,
}

#[derive(Debug, serde::Serialize)]
/// One verified step.
pub struct StepReport {
    /// The step's name.
    pub name: String,
    /// Key ids of the functionaries whose links were accepted.
    pub functionaries: Vec<String>,
}

fn fail(message: impl std::fmt::Display) -> IntotoError {
    IntotoError::Verification(message.to_string())
}

/// Read a classic metablock (`signed` and `signatures`), the form
/// `layout sign` edits; `Err` for unreadable, malformed or DSSE files.
pub fn read_metablock(path: &Path) -> Result<Value, IntotoError> {
    match read_metadata(path)? {
        Metadata::Metablock(value) => Ok(value),
        Metadata::Dsse { .. } => Err(IntotoError::metadata(
            path,
            "a DSSE-wrapped file cannot be re-signed in place; create it again",
        )),
    }
}

/// Signed in-toto metadata in either form the reference implementation
/// reads: the classic metablock (signatures over canonical JSON, hex), or
/// a DSSE envelope (in-toto 2.x+ `--use-dsse`: signatures over the PAE of
/// the payload, base64).
pub enum Metadata {
    /// `{"signed", "signatures"}`.
    Metablock(Value),
    /// A DSSE envelope over the body.
    Dsse {
        /// The envelope as read.
        envelope: Value,
        /// The decoded payload.
        payload: Vec<u8>,
        /// The payload as JSON.
        body: Value,
    },
}

impl Metadata {
    /// The signed body (`_type` link or layout).
    pub fn body(&self) -> &Value {
        match self {
            Metadata::Metablock(value) => &value["signed"],
            Metadata::Dsse { body, .. } => body,
        }
    }

    /// Does it carry a valid signature by `key`?
    pub fn signed_by(&self, key: &PublicKey) -> Result<(), SignatureError> {
        match self {
            Metadata::Metablock(value) => signed_by(value, key),
            Metadata::Dsse {
                envelope, payload, ..
            } => {
                use base64::Engine;
                let data = crate::dsse::pae(crate::dsse::INTOTO_PAYLOAD_TYPE, payload);
                let mut found = false;
                for s in envelope["signatures"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|s| s["keyid"] == key.keyid.as_str())
                {
                    found = true;
                    let Some(sig) = s["sig"]
                        .as_str()
                        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                    else {
                        continue;
                    };
                    if key.verify_bytes(&data, &sig).is_ok() {
                        return Ok(());
                    }
                }
                Err(if found {
                    SignatureError::DoesNotVerify(key.keyid.clone())
                } else {
                    SignatureError::Missing(key.keyid.clone())
                })
            }
        }
    }
}

/// Why metadata does not carry a valid signature by a key.
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    /// The key signed, but the signature does not verify.
    #[error("the signature by key {0} does not verify")]
    DoesNotVerify(String),
    /// No signature names the key.
    #[error("no signature by key {0}")]
    Missing(String),
    /// The signed body has no canonical form.
    #[error(transparent)]
    Canonical(#[from] super::canonical::CanonicalError),
}

/// Read in-toto metadata in either form; `Err` for unreadable or malformed files.
pub fn read_metadata(path: &Path) -> Result<Metadata, IntotoError> {
    let bytes = std::fs::read(path).map_err(|source| IntotoError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let value: Value = serde_json::from_slice(&bytes)
        .map_err(|e| IntotoError::metadata(path, format!("not JSON: {e}")))?;
    if let Some(payload_type) = value.get("payloadType") {
        use base64::Engine;
        if payload_type != crate::dsse::INTOTO_PAYLOAD_TYPE {
            return Err(IntotoError::metadata(
                path,
                format!(
                    "DSSE payload type {payload_type}, expected `{}`",
                    crate::dsse::INTOTO_PAYLOAD_TYPE
                ),
            ));
        }
        let payload = value["payload"]
            .as_str()
            .and_then(|p| base64::engine::general_purpose::STANDARD.decode(p).ok())
            .ok_or_else(|| IntotoError::metadata(path, "DSSE payload is not base64"))?;
        let body: Value = serde_json::from_slice(&payload)
            .map_err(|e| IntotoError::metadata(path, format!("DSSE payload is not JSON: {e}")))?;
        if !body.is_object() || !value["signatures"].is_array() {
            return Err(IntotoError::metadata(path, "not in-toto metadata"));
        }
        return Ok(Metadata::Dsse {
            envelope: value,
            payload,
            body,
        });
    }
    if !value["signed"].is_object() || !value["signatures"].is_array() {
        return Err(IntotoError::metadata(
            path,
            "not in-toto metadata (expected `signed` and `signatures`, or a DSSE envelope)",
        ));
    }
    Ok(Metadata::Metablock(value))
}

/// Does `metablock` carry a valid signature by `key`?
pub fn signed_by(metablock: &Value, key: &PublicKey) -> Result<(), SignatureError> {
    let data = super::canonical::encode(&metablock["signed"])?;
    let signatures = metablock["signatures"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut found = false;
    for s in signatures
        .iter()
        .filter(|s| s["keyid"] == key.keyid.as_str())
    {
        found = true;
        if let Some(sig) = s["sig"].as_str() {
            if key.verify(&data, sig).is_ok() {
                return Ok(());
            }
        }
    }
    Err(if found {
        SignatureError::DoesNotVerify(key.keyid.clone())
    } else {
        SignatureError::Missing(key.keyid.clone())
    })
}

fn artifacts_of(body: &Value, side: &str, path: &Path) -> Result<Artifacts, IntotoError> {
    use serde::Deserialize;
    Artifacts::deserialize(&body[side])
        .map_err(|e| IntotoError::metadata(path, format!("{side}: {e}")))
}

struct StepLinks {
    materials: Artifacts,
    products: Artifacts,
}

/// Borrowed views of every item's artifacts, for the rule checks.
fn view(reduced: &BTreeMap<String, StepLinks>) -> BTreeMap<String, Recorded<'_>> {
    reduced
        .iter()
        .map(|(name, l)| {
            (
                name.clone(),
                Recorded {
                    materials: &l.materials,
                    products: &l.products,
                },
            )
        })
        .collect()
}

/// Verify a layout and its links: signatures, expiry, thresholds, rules, inspections.
pub fn verify(options: &Options<'_>) -> Result<Report, IntotoError> {
    let metadata = read_metadata(options.layout)?;
    if options.layout_keys.is_empty() {
        return Err(IntotoError::Spec(
            "give at least one layout key (the project owner's public key)".into(),
        ));
    }
    for key in options.layout_keys {
        metadata
            .signed_by(key)
            .map_err(|e| fail(format!("layout {}: {e}", options.layout.display())))?;
    }
    let layout: Layout =
        layout::parse(metadata.body()).map_err(|e| IntotoError::metadata(options.layout, e))?;
    let expires = super::format_time(layout.expires);
    if layout.expires <= options.now {
        return Err(fail(format!("the layout expired at {expires}")));
    }

    let mut warnings = Vec::new();
    let mut step_reports = Vec::new();
    let mut reduced: BTreeMap<String, StepLinks> = BTreeMap::new();
    for step in &layout.steps {
        let mut accepted: Vec<(String, PathBuf, StepLinks, Vec<String>)> = Vec::new();
        for keyid in &step.pubkeys {
            let Some(key) = layout.keys.get(keyid) else {
                continue;
            };
            let path = options
                .link_dir
                .join(super::link::file_name(&step.name, keyid));
            if !path.exists() {
                continue;
            }
            let link = read_metadata(&path)?;
            let body = link.body();
            if body["_type"] == "layout" {
                return Err(IntotoError::metadata(&path, "sublayouts are not supported"));
            }
            if let Err(e) = link.signed_by(key) {
                warnings.push(format!("{}: skipped: {e}", path.display()));
                continue;
            }
            if body["_type"] != "link" || body["name"] != step.name.as_str() {
                warnings.push(format!(
                    "{}: skipped: not a link for step `{}`",
                    path.display(),
                    step.name
                ));
                continue;
            }
            let command: Vec<String> =
                serde_json::from_value(body["command"].clone()).unwrap_or_default();
            accepted.push((
                keyid.clone(),
                path.clone(),
                StepLinks {
                    materials: artifacts_of(body, "materials", &path)?,
                    products: artifacts_of(body, "products", &path)?,
                },
                command,
            ));
        }
        if accepted.len() < step.threshold {
            return Err(fail(format!(
                "step `{}` needs {} link(s) signed by different authorised functionaries, found {}{}",
                step.name,
                step.threshold,
                accepted.len(),
                if warnings.is_empty() { String::new() } else { format!(" ({})", warnings.join("; ")) }
            )));
        }
        for (_, path, _, command) in &accepted {
            if !step.expected_command.is_empty() && command != &step.expected_command {
                warnings.push(format!(
                    "{}: ran `{}`, the layout expects `{}`",
                    path.display(),
                    command.join(" "),
                    step.expected_command.join(" ")
                ));
            }
        }
        if step.threshold > 1 {
            let (_, first_path, first, _) = &accepted[0];
            for (_, path, links, _) in &accepted[1..] {
                if links.materials != first.materials || links.products != first.products {
                    return Err(fail(format!(
                        "step `{}`: links {} and {} report different artifacts",
                        step.name,
                        first_path.display(),
                        path.display()
                    )));
                }
            }
        }
        step_reports.push(StepReport {
            name: step.name.clone(),
            functionaries: accepted.iter().map(|a| a.0.clone()).collect(),
        });
        let (_, _, links, _) = accepted.swap_remove(0);
        reduced.insert(step.name.clone(), links);
    }

    {
        let links = view(&reduced);
        for step in &layout.steps {
            rules::verify_item(&step.name, Side::Materials, &step.materials, &links)
                .map_err(fail)?;
            rules::verify_item(&step.name, Side::Products, &step.products, &links).map_err(fail)?;
        }
    }

    // Inspections: commands from the layout, which is verified by now.
    let recorder = Recorder::new(Some(options.inspection_dir), &[], &[])?;
    for inspection in &layout.inspections {
        let materials = recorder.record(&[".".into()])?;
        let (program, args) = inspection
            .run
            .split_first()
            .ok_or_else(|| fail(format!("inspection `{}` has no command", inspection.name)))?;
        let status = std::process::Command::new(program)
            .args(args)
            .current_dir(options.inspection_dir)
            .status()
            .map_err(|e| {
                fail(format!(
                    "inspection `{}`: cannot run `{program}`: {e}",
                    inspection.name
                ))
            })?;
        if !status.success() {
            return Err(fail(format!(
                "inspection `{}`: `{}` exited with {}",
                inspection.name,
                inspection.run.join(" "),
                status.code().map_or("a signal".into(), |c| c.to_string())
            )));
        }
        let products = recorder.record(&[".".into()])?;
        reduced.insert(
            inspection.name.clone(),
            StepLinks {
                materials,
                products,
            },
        );
    }
    {
        let links = view(&reduced);
        for inspection in &layout.inspections {
            rules::verify_item(
                &inspection.name,
                Side::Materials,
                &inspection.materials,
                &links,
            )
            .map_err(fail)?;
            rules::verify_item(
                &inspection.name,
                Side::Products,
                &inspection.products,
                &links,
            )
            .map_err(fail)?;
        }
    }
    Ok(Report {
        layout: options.layout.display().to_string(),
        expires,
        steps: step_reports,
        inspections: layout.inspections.iter().map(|i| i.name.clone()).collect(),
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intoto::{artifacts::Recorder, layout, link};
    use crate::keys::{KeyKind, KeyPair};

    /// A layout with one `build` step that needs two of three functionaries.
    fn setup(dir: &Path) -> (KeyPair, Vec<KeyPair>) {
        let owner = KeyPair::generate(KeyKind::Ed25519);
        let functionaries: Vec<KeyPair> =
            [KeyKind::EcdsaP256, KeyKind::Ed25519, KeyKind::EcdsaP256]
                .into_iter()
                .map(KeyPair::generate)
                .collect();
        for (i, k) in functionaries.iter().enumerate() {
            std::fs::write(dir.join(format!("f{i}.pub")), k.public_key_pem()).unwrap();
        }
        let spec: layout::LayoutSpec = serde_json::from_value(serde_json::json!({
            "expires": "2030-01-01T00:00:00Z",
            "functionaries": {"a": "f0.pub", "b": "f1.pub", "c": "f2.pub"},
            "steps": [{"name": "build", "functionaries": ["a", "b", "c"], "threshold": 2,
                       "products": ["CREATE out", "DISALLOW *"]}],
        }))
        .unwrap();
        let body = layout::build(&spec, dir, 0).unwrap();
        let mut metablock = serde_json::json!({"signed": body, "signatures": []});
        layout::add_signature(&mut metablock, &owner).unwrap();
        std::fs::write(
            dir.join("root.layout"),
            crate::intoto::to_file_bytes(&metablock),
        )
        .unwrap();
        (owner, functionaries)
    }

    fn record(dir: &Path, key: &KeyPair, content: &str) {
        let work = dir.join("work");
        std::fs::create_dir_all(&work).unwrap();
        let _ = std::fs::remove_file(work.join("out"));
        let recorder = Recorder::new(Some(&work), &[], &[]).unwrap();
        let command = [
            "sh".to_string(),
            "-c".into(),
            format!("printf {content} > '{}'", work.join("out").display()),
        ];
        let ran = link::run(
            &link::StepRun {
                name: "build",
                materials: &[],
                products: &["out".into()],
                command: &command,
                record_streams: false,
                recorder: &recorder,
            },
            key,
        )
        .unwrap();
        std::fs::write(
            dir.join(&ran.file_name),
            crate::intoto::to_file_bytes(&ran.metablock),
        )
        .unwrap();
    }

    fn check(dir: &Path, owner: &KeyPair) -> Result<Report, IntotoError> {
        verify(&Options {
            layout: &dir.join("root.layout"),
            layout_keys: &[PublicKey::from_keypair(owner)],
            link_dir: dir,
            now: 1_795_392_000,
            inspection_dir: dir,
        })
    }

    #[test]
    fn thresholds_need_distinct_functionaries_reporting_the_same_artifacts() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let (owner, f) = setup(d);
        record(d, &f[0], "same");
        let err = check(d, &owner).unwrap_err().to_string();
        assert!(
            err.contains("needs 2 link(s)") && err.contains("found 1"),
            "{err}"
        );

        record(d, &f[1], "same");
        let report = check(d, &owner).unwrap();
        assert_eq!(report.steps[0].functionaries.len(), 2);

        // A third functionary who built something else breaks agreement.
        record(d, &f[2], "different");
        let err = check(d, &owner).unwrap_err().to_string();
        assert!(err.contains("report different artifacts"), "{err}");

        // A link signed by a key the step does not authorise is not counted.
        let stranger = KeyPair::generate(KeyKind::Ed25519);
        std::fs::remove_file(d.join(link::file_name(
            "build",
            &PublicKey::from_keypair(&f[2]).keyid,
        )))
        .unwrap();
        std::fs::remove_file(d.join(link::file_name(
            "build",
            &PublicKey::from_keypair(&f[1]).keyid,
        )))
        .unwrap();
        let recorder = Recorder::new(Some(&d.join("work")), &[], &[]).unwrap();
        let forged = link::run(
            &link::StepRun {
                name: "build",
                materials: &[],
                products: &["out".into()],
                command: &[],
                record_streams: false,
                recorder: &recorder,
            },
            &stranger,
        )
        .unwrap();
        // Named as if f1 had signed it.
        std::fs::write(
            d.join(link::file_name(
                "build",
                &PublicKey::from_keypair(&f[1]).keyid,
            )),
            crate::intoto::to_file_bytes(&forged.metablock),
        )
        .unwrap();
        let err = check(d, &owner).unwrap_err().to_string();
        assert!(
            err.contains("found 1") && err.contains("no signature by key"),
            "{err}"
        );

        // A functionary listed twice in the layout still counts once.
        let mut doubled: serde_json::Value =
            serde_json::from_slice(&std::fs::read(d.join("root.layout")).unwrap()).unwrap();
        let first = doubled["signed"]["steps"][0]["pubkeys"][0].clone();
        doubled["signed"]["steps"][0]["pubkeys"] = serde_json::json!([first, first]);
        doubled["signatures"] = serde_json::json!([]);
        layout::add_signature(&mut doubled, &owner).unwrap();
        std::fs::write(
            d.join("doubled.layout"),
            crate::intoto::to_file_bytes(&doubled),
        )
        .unwrap();
        for k in &f {
            let _ = std::fs::remove_file(
                d.join(link::file_name("build", &PublicKey::from_keypair(k).keyid)),
            );
        }
        let keyid = first.as_str().unwrap();
        let signer = f
            .iter()
            .find(|k| PublicKey::from_keypair(k).keyid == keyid)
            .unwrap();
        record(d, signer, "same");
        let err = verify(&Options {
            layout: &d.join("doubled.layout"),
            layout_keys: &[PublicKey::from_keypair(&owner)],
            link_dir: d,
            now: 1_795_392_000,
            inspection_dir: d,
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("found 1"), "{err}");

        // Expired.
        let err = verify(&Options {
            layout: &d.join("root.layout"),
            layout_keys: &[PublicKey::from_keypair(&owner)],
            link_dir: d,
            now: 1_893_456_000,
            inspection_dir: d,
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("expired at 2030-01-01T00:00:00Z"), "{err}");
    }
}
