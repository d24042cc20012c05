//! SIEM export: one JSON line per record, in CloudTrail-like fields, with
//! the record's index and leaf hash so every exported event can be proved
//! into the signed log (`tollgate log prove LOG --index N`).

use super::store;
use super::LogError;
use serde_json::{json, Value};
use std::path::Path;

/// The failed checks of a gate `Decision`, as `requirement: reason`.
fn failed_checks(decision: &Value, prefix: &str, out: &mut Vec<String>) {
    for c in decision["checks"].as_array().into_iter().flatten() {
        if c["passed"] == json!(false) {
            out.push(format!(
                "{prefix}{}: {}",
                c["requirement"].as_str().unwrap_or(""),
                c["reason"].as_str().unwrap_or("")
            ));
        }
    }
}

fn outcome(allowed: Option<bool>, error: bool) -> &'static str {
    match (error, allowed) {
        (true, _) => "error",
        (false, Some(true)) => "allow",
        (false, Some(false)) => "deny",
        (false, None) => "unknown",
    }
}

/// Map one record line to an export event. Three shapes are read: the
/// webhook's review (`uid`, `images: [{image, digest, decisions|error}]`,
/// `allowed`, `userInfo`), a single image's (`uid`, `image`,
/// `decision|error`) and the CLI gate's `Decision`.
pub fn event(index: u64, leaf: &[u8; 32], line: &[u8]) -> Value {
    let record: Value = serde_json::from_slice(line).unwrap_or(Value::Null);
    let ev = &record["event"];
    let leaf_hex = hex::encode(leaf);
    let mut reasons = Vec::new();
    let mut images = Vec::new();
    let mut digests = Vec::new();
    let result;
    if let Some(list) = ev["images"].as_array() {
        for im in list {
            let image = im["image"].as_str().unwrap_or("");
            images.push(json!(image));
            if !im["digest"].is_null() {
                digests.push(im["digest"].clone());
            }
            if let Some(e) = im["error"].as_str() {
                reasons.push(format!("image {image}: {e}"));
            }
            if let Some(n) = im.get("noMatch") {
                reasons.push(format!("image {image}: no policy covers it (noMatch: {n})"));
            }
            for d in im["decisions"].as_array().into_iter().flatten() {
                let policy = d["policy"].as_str().unwrap_or("");
                failed_checks(
                    d,
                    &format!("image {image}: policy `{policy}`: "),
                    &mut reasons,
                );
            }
        }
        // A review is admitted or denied; an image that could not be
        // verified is a denial (its reason says why).
        result = outcome(ev["allowed"].as_bool(), false);
    } else if ev.get("decision").is_some() || ev.get("error").is_some() {
        let d = &ev["decision"];
        if !ev["image"].is_null() {
            images.push(ev["image"].clone());
        }
        if !d["digest"].is_null() {
            digests.push(d["digest"].clone());
        }
        if let Some(e) = ev["error"].as_str() {
            reasons.push(e.to_string());
        }
        failed_checks(d, "", &mut reasons);
        result = outcome(d["allowed"].as_bool(), ev["error"].is_string());
    } else {
        images.push(ev["subject"].clone());
        digests.push(ev["digest"].clone());
        images.retain(|v| !v.is_null());
        digests.retain(|v| !v.is_null());
        failed_checks(ev, "", &mut reasons);
        result = outcome(ev["allowed"].as_bool(), false);
    }
    let event_id = match (ev["uid"].as_str(), ev["image"].as_str()) {
        (Some(uid), Some(image)) => format!("{uid}/{image}"),
        (Some(uid), None) => uid.to_string(),
        _ => leaf_hex.clone(),
    };
    let mut resource = json!({
        "kind": ev["kind"],
        "namespace": ev["namespace"],
        "name": ev["name"],
        "images": images,
        "digests": digests,
        "policy": ev["policy"],
    });
    if let Some(obj) = resource.as_object_mut() {
        obj.retain(|_, v| !v.is_null());
    }
    json!({
        "eventID": event_id,
        "eventTime": record["time"],
        "eventSource": "tollgate",
        "logIndex": index,
        "leafHash": leaf_hex,
        "userIdentity": ev.get("userInfo").cloned().unwrap_or(Value::Null),
        "operation": ev.get("operation").cloned().unwrap_or_else(|| json!("verify")),
        "resource": resource,
        "decision": result,
        "reasons": reasons,
    })
}

/// Every record as an export line (each ending in a newline).
pub fn export(
    log: &Path,
    mut out: impl FnMut(&str) -> Result<(), LogError>,
) -> Result<u64, LogError> {
    store::read_records(log, |r| {
        let mut line = event(r.index, &r.leaf, &r.line).to_string();
        line.push('\n');
        out(&line)
    })
}
