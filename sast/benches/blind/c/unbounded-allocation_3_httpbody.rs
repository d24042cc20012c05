// Minimal HTTP/1.1 handler for an internal admin service: headers and query parameters drive buffer sizes.
use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;

const MAX_BODY: usize = 1 << 20;
const MAX_PAD: usize = 4096;

pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: HashMap<String, String>,
}

fn parse_query(path: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    if let Some((_, qs)) = path.split_once('?') {
        for pair in qs.split('&') {
            if let Some((k, v)) = pair.split_once('=') {
                out.insert(k.to_string(), v.to_string());
            }
        }
    }
    out
}

pub fn read_head<R: BufRead>(reader: &mut R) -> io::Result<Request> {
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("GET").to_string();
    let path = parts.next().unwrap_or("/").to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h)?;
        let t = h.trim_end();
        if t.is_empty() {
            break;
        }
        if let Some((k, v)) = t.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    Ok(Request { method, path, headers })
}

fn header_usize(req: &Request, name: &str) -> usize {
    req.headers.get(name).and_then(|v| v.parse().ok()).unwrap_or(0)
}

fn read_body<R: Read>(r: &mut R, len: usize) -> io::Result<Vec<u8>> {
    let mut body = vec![0u8; len]; //~ unbounded-allocation
    r.read_exact(&mut body)?;
    Ok(body)
}

pub fn handle(stream: TcpStream) -> io::Result<()> {
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let req = read_head(&mut reader)?;
    let query = parse_query(&req.path);

    if req.method == "POST" && req.path.starts_with("/upload") {
        let len = header_usize(&req, "content-length");
        if len > MAX_BODY {
            return writer.write_all(b"HTTP/1.1 413 Payload Too Large\r\n\r\n");
        }
        let mut body = vec![0u8; len];
        reader.read_exact(&mut body)?;
        return writer.write_all(b"HTTP/1.1 204 No Content\r\n\r\n");
    }

    if req.method == "POST" && req.path.starts_with("/legacy") {
        let len = header_usize(&req, "content-length");
        let body = read_body(&mut reader, len)?;
        let expected = header_usize(&req, "x-expected-text-size");
        let mut text = String::with_capacity(expected); //~ unbounded-allocation
        text.push_str(&String::from_utf8_lossy(&body));
        return writer.write_all(text.as_bytes());
    }

    if req.path.starts_with("/banner") {
        let width: usize = query.get("width").and_then(|w| w.parse().ok()).unwrap_or(40);
        let rule = "=".repeat(width); //~ unbounded-allocation
        let pad = " ".repeat(width.min(MAX_PAD));
        return write!(writer, "HTTP/1.1 200 OK\r\n\r\n{}\n{}hello\n", rule, pad);
    }

    writer.write_all(b"HTTP/1.1 404 Not Found\r\n\r\n")
}
