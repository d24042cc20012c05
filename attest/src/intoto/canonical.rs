//! securesystemslib's canonical JSON (`encode_canonical`), the bytes every
//! in-toto signature covers: object keys sorted, no whitespace, strings
//! escaping only `\` and `"` (everything else, newlines included, is
//! written raw as UTF-8), integers only.

use serde_json::Value;

/// Why a value has no canonical form.
#[derive(Debug, thiserror::Error)]
pub enum CanonicalError {
    /// securesystemslib's canonical JSON has integers only.
    #[error("{0}: canonical JSON has no floating-point numbers")]
    Float(serde_json::Number),
}

/// The canonical bytes of `value`, or why it has none (a float).
pub fn encode(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::new();
    write(value, &mut out)?;
    Ok(out)
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    // Copy runs of bytes verbatim; `\\` and `"` are ASCII, so they never
    // occur inside a multi-byte UTF-8 sequence.
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\\' || b == b'"' {
            out.extend_from_slice(&bytes[start..i]);
            out.push(b'\\');
            out.push(b);
            start = i + 1;
        }
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

fn write(value: &Value, out: &mut Vec<u8>) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            if n.is_f64() {
                return Err(CanonicalError::Float(n.clone()));
            }
            out.extend_from_slice(n.to_string().as_bytes());
        }
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            // Python sorts str keys by code point; UTF-8 byte order is the
            // same. The map is usually in that order already (serde_json
            // without `preserve_order`); sort only when it is not.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            if !entries.windows(2).all(|w| w[0].0 <= w[1].0) {
                entries.sort_by(|a, b| a.0.cmp(b.0));
            }
            out.push(b'{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(key, out);
                out.push(b':');
                write(item, out)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn matches_securesystemslib() {
        // Expected bytes from securesystemslib.formats.encode_canonical.
        let v = json!({"b": [1, true, null], "a": "x\"y\\z\nw", "é": {}});
        assert_eq!(
            String::from_utf8(encode(&v).unwrap()).unwrap(),
            "{\"a\":\"x\\\"y\\\\z\nw\",\"b\":[1,true,null],\"é\":{}}"
        );
        assert!(encode(&json!({"f": 1.5})).is_err());
        assert_eq!(encode(&json!(-3)).unwrap(), b"-3");
    }
}
