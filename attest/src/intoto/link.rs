//! A step's link metadata, as `in-toto-run` records it: materials before
//! the command, the command and what it returned, products after it;
//! signed by the functionary's key and named `<step>.<keyid[..8]>.link`.

use super::artifacts::Recorder;
use super::rules::Artifacts;
use super::IntotoError;
use crate::keys::KeyPair;
use serde_json::{json, Value};
use std::process::Stdio;

/// A step to run and record as a link (`tollgate attest link`).
pub struct StepRun<'a> {
    /// The step's name.
    pub name: &'a str,
    /// Paths recorded before the command runs.
    pub materials: &'a [String],
    /// Paths recorded after it.
    pub products: &'a [String],
    /// Empty: a step with no command (`--no-command`, a sign-off).
    pub command: &'a [String],
    /// Keep the command's standard output and error in the link (they are
    /// still shown); otherwise they pass through and are recorded empty.
    pub record_streams: bool,
    /// How paths are recorded.
    pub recorder: &'a Recorder,
}

/// What running the step produced.
pub struct Ran {
    /// The signed link (`{"signed", "signatures"}`).
    pub metablock: Value,
    /// The link's file name (`<step>.<keyid prefix>.link`).
    pub file_name: String,
    /// The command's exit status (0 without a command).
    pub return_value: i32,
}

/// The unsigned link body.
pub fn link_body(
    name: &str,
    command: &[String],
    materials: &Artifacts,
    products: &Artifacts,
    byproducts: Value,
) -> Value {
    json!({
        "_type": "link",
        "name": name,
        "command": command,
        "materials": materials,
        "products": products,
        "byproducts": byproducts,
        // An empty object, never null: the reference implementation
        // rejects a null environment.
        "environment": {},
    })
}

/// Run the step and sign its link with `key`.
pub fn run(step: &StepRun<'_>, key: &KeyPair) -> Result<Ran, IntotoError> {
    if step.name.is_empty() || step.name.contains('/') {
        return Err(IntotoError::Spec(format!(
            "step name `{}`: must be non-empty, without `/` (it names the link file)",
            step.name
        )));
    }
    let materials = step.recorder.record(step.materials)?;
    let (byproducts, return_value) = match step.command.split_first() {
        None => (json!({}), 0),
        Some((program, args)) => {
            // The command runs where tollgate runs; the base path only
            // locates materials and products, as in in-toto-run.
            let mut cmd = std::process::Command::new(program);
            cmd.args(args);
            let (code, stdout, stderr) = if step.record_streams {
                let out = cmd
                    .stdin(Stdio::inherit())
                    .output()
                    .map_err(|e| IntotoError::Spec(format!("cannot run `{program}`: {e}")))?;
                // Shown as well as recorded, as in-toto-run -s does.
                use std::io::Write;
                let _ = std::io::stdout().write_all(&out.stdout);
                let _ = std::io::stderr().write_all(&out.stderr);
                (
                    out.status.code().unwrap_or(-1),
                    String::from_utf8_lossy(&out.stdout).into_owned(),
                    String::from_utf8_lossy(&out.stderr).into_owned(),
                )
            } else {
                let status = cmd
                    .status()
                    .map_err(|e| IntotoError::Spec(format!("cannot run `{program}`: {e}")))?;
                (status.code().unwrap_or(-1), String::new(), String::new())
            };
            (
                json!({"return-value": code, "stdout": stdout, "stderr": stderr}),
                code,
            )
        }
    };
    let products = step.recorder.record(step.products)?;
    let body = link_body(step.name, step.command, &materials, &products, byproducts);
    let signature =
        super::keys::signature(key, &body).map_err(|e| IntotoError::Spec(e.to_string()))?;
    let keyid = super::keys::PublicKey::from_keypair(key).keyid;
    Ok(Ran {
        metablock: json!({"signed": body, "signatures": [signature]}),
        file_name: file_name(step.name, &keyid),
        return_value,
    })
}

/// The link as a DSSE envelope (in-toto-run's `--use-dsse`): the body as
/// JSON payload, one base64 signature over its PAE, with the in-toto key id.
pub fn dsse_envelope(body: &Value, key: &KeyPair) -> Value {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let payload = serde_json::to_vec(body).unwrap_or_default();
    let signature = key.sign(&crate::dsse::pae(
        crate::dsse::INTOTO_PAYLOAD_TYPE,
        &payload,
    ));
    json!({
        "payload": b64.encode(&payload),
        "payloadType": crate::dsse::INTOTO_PAYLOAD_TYPE,
        "signatures": [{
            "keyid": super::keys::PublicKey::from_keypair(key).keyid,
            "sig": b64.encode(signature),
        }],
    })
}

/// `<step>.<first 8 hex digits of the key id>.link`.
pub fn file_name(step: &str, keyid: &str) -> String {
    format!("{step}.{}.link", keyid.get(..8).unwrap_or(keyid))
}
