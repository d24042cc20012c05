// Scenario: a hyper-based ingest endpoint for a log shipper. Agents send a
// batch header followed by the body; sizes come from headers and query.
use bytes::BytesMut;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use std::collections::HashMap;

const MAX_BODY: usize = 8 * 1024 * 1024;
const MAX_LINES: usize = 10_000;

struct BatchHeader {
    declared_len: usize,
    lines: usize,
}

fn parse_header(req: &Request<Incoming>) -> Option<BatchHeader> {
    let declared_len = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()?;
    let lines = req
        .headers()
        .get("x-batch-lines")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Some(BatchHeader { declared_len, lines })
}

fn query_map(req: &Request<Incoming>) -> HashMap<String, String> {
    req.uri()
        .query()
        .map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

pub async fn ingest(req: Request<Incoming>) -> Result<Response<String>, hyper::Error> {
    let Some(hdr) = parse_header(&req) else {
        return Ok(Response::builder().status(StatusCode::LENGTH_REQUIRED).body(String::new()).unwrap());
    };
    let q = query_map(&req);

    let mut buf = BytesMut::with_capacity(hdr.declared_len); //~ unbounded-allocation
    let mut lines: Vec<String> = Vec::with_capacity(hdr.lines.min(MAX_LINES));

    let reserve_hint: usize = q.get("reserve").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut scratch: Vec<u8> = Vec::new();
    scratch.reserve(reserve_hint); //~ unbounded-allocation

    let safe_cap = hdr.declared_len.min(MAX_BODY);
    let mut staged = Vec::<u8>::with_capacity(safe_cap);

    let body = req.into_body().collect().await?.to_bytes();
    if body.len() > MAX_BODY {
        return Ok(Response::builder().status(StatusCode::PAYLOAD_TOO_LARGE).body(String::new()).unwrap());
    }
    buf.extend_from_slice(&body);
    staged.extend_from_slice(&body);
    for l in String::from_utf8_lossy(&buf).lines().take(MAX_LINES) {
        lines.push(l.to_string());
    }
    scratch.clear();

    let repeat: usize = q.get("pad").and_then(|v| v.parse().ok()).unwrap_or(0);
    let banner = "-".repeat(repeat); //~ unbounded-allocation
    let width: usize = q.get("width").and_then(|v| v.parse().ok()).unwrap_or(80).clamp(10, 200);
    let rule = "=".repeat(width);

    Ok(Response::new(format!("{}\n{} lines\n{}", banner, lines.len(), rule)))
}
