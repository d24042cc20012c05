//! securesystemslib's canonical JSON (`encode_canonical`), the bytes every
//! in-toto signature covers: object keys sorted, no whitespace, strings
//! escaping only `\` and `"` (everything else, newlines included, is
//! written raw as UTF-8), integers only.

use serde_json::Value;

/// The canonical bytes of `value`, or why it has none (a float).
pub fn encode(value: &Value) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    write(value, &mut out)?;
    Ok(out)
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for c in s.chars() {
        if c == '\\' || c == '"' {
            out.push(b'\\');
        }
        let mut buf = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }
    out.push(b'"');
}

fn write(value: &Value, out: &mut Vec<u8>) -> Result<(), String> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            if n.is_f64() {
                return Err(format!("{n}: canonical JSON has no floating-point numbers"));
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
            // Python sorts str keys by code point; UTF-8 byte order is the same.
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push(b'{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(key, out);
                out.push(b':');
                write(&map[key.as_str()], out)?;
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
