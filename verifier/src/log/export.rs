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

/// How `follow` polls and when it stops.
pub struct Follow<'a> {
    /// How often the file is looked at for new records.
    pub poll: std::time::Duration,
    /// Asked between polls: stop once it says so (after a final read).
    pub stop: &'a dyn Fn() -> bool,
}

/// Export every record, then keep reading records as they are appended
/// (`tail -f` for a SIEM shipper): `out` gets whole lines, one call per
/// read, only for complete records (a record whose newline has not been
/// written yet waits for it). Each record's index and `prev` chain are
/// checked as it is read, so a log truncated or rewritten under the
/// follower is an error naming the record, not a silently forked stream.
/// Returns the number of records exported.
pub fn follow(
    log: &Path,
    options: &Follow<'_>,
    mut out: impl FnMut(&str) -> Result<(), LogError>,
) -> Result<u64, LogError> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(log).map_err(store::io(log))?;
    let mut pending: Vec<u8> = Vec::new();
    let mut offset = 0u64; // file offset just past `pending`
    let mut line_no = 0u64;
    let mut next = 0u64;
    let mut prev = store::ZERO;
    let mut chunk = vec![0u8; 1 << 20];
    loop {
        let stopping = (options.stop)();
        let len = std::fs::metadata(log).map_err(store::io(log))?.len();
        if len < offset {
            return Err(LogError::Broken {
                path: log.to_path_buf(),
                line: line_no + 1,
                record: next,
                message: format!(
                    "the log shrank from {offset} to {len} bytes while it was followed (truncated or replaced)"
                ),
            });
        }
        let mut text = String::new();
        loop {
            file.seek(SeekFrom::Start(offset)).map_err(store::io(log))?;
            let n = file.read(&mut chunk).map_err(store::io(log))?;
            if n == 0 {
                break;
            }
            offset += n as u64;
            pending.extend_from_slice(&chunk[..n]);
            let mut start = 0usize;
            while let Some(pos) = memchr::memchr(b'\n', &pending[start..]) {
                let line = &pending[start..start + pos];
                line_no += 1;
                let header = store::record_header(line);
                if header != Some((next, prev)) {
                    return Err(LogError::Broken {
                        path: log.to_path_buf(),
                        line: line_no,
                        record: next,
                        message:
                            "the record's index or chain is broken (run `tollgate log verify`)"
                                .into(),
                    });
                }
                let leaf = super::merkle::leaf_hash(line);
                text.push_str(&event(next, &leaf, line).to_string());
                text.push('\n');
                prev = leaf;
                next += 1;
                start += pos + 1;
            }
            pending.drain(..start);
        }
        if !text.is_empty() {
            out(&text)?;
        }
        if stopping {
            return Ok(next);
        }
        std::thread::sleep(options.poll);
    }
}
