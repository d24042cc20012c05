//! SIEM export: one JSON line per record, in CloudTrail-like fields, with
//! the record's index and leaf hash so every exported event can be proved
//! into the signed log (`tollgate log prove LOG --index N`).

use super::store;
use super::LogError;
use serde_json::{json, Value};
use std::path::Path;

/// Map one record line to an export event.
pub fn event(index: u64, leaf: &[u8; 32], line: &[u8]) -> Value {
    let record: Value = serde_json::from_slice(line).unwrap_or(Value::Null);
    let ev = &record["event"];
    let leaf_hex = hex::encode(leaf);
    // The CLI gate logs a Decision; the webhook logs {uid, image, decision|error, …}.
    let decision = if ev.get("decision").is_some() {
        &ev["decision"]
    } else {
        ev
    };
    let (outcome, reasons): (&str, Vec<String>) = if let Some(e) = ev["error"].as_str() {
        ("error", vec![e.to_string()])
    } else {
        let failed = decision["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["passed"] == json!(false))
            .map(|c| {
                format!(
                    "{}: {}",
                    c["requirement"].as_str().unwrap_or(""),
                    c["reason"].as_str().unwrap_or("")
                )
            })
            .collect();
        match decision["allowed"].as_bool() {
            Some(true) => ("allow", failed),
            Some(false) => ("deny", failed),
            None => ("unknown", failed),
        }
    };
    let event_id = match (ev["uid"].as_str(), ev["image"].as_str()) {
        (Some(uid), Some(image)) => format!("{uid}/{image}"),
        (Some(uid), None) => uid.to_string(),
        _ => leaf_hex.clone(),
    };
    let resource = json!({
        "kind": ev["kind"],
        "namespace": ev["namespace"],
        "name": ev["name"],
        "image": ev.get("image").cloned().unwrap_or_else(|| decision["subject"].clone()),
        "digest": decision["digest"],
        "policy": decision["policy"],
    });
    let mut resource = resource;
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
        "decision": outcome,
        "reasons": reasons,
    })
}

/// Every record as an export line (each ending in a newline).
pub fn export(log: &Path, mut out: impl FnMut(&str) -> Result<(), LogError>) -> Result<u64, LogError> {
    store::read_records(log, |r| {
        let mut line = event(r.index, &r.leaf, &r.line).to_string();
        line.push('\n');
        out(&line)
    })
}
