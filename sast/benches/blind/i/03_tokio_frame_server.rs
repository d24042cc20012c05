//! Telemetry ingest server speaking a small length-prefixed binary protocol.
//!
//! Every frame starts with an 8 byte header: magic (u16 BE), kind (u8),
//! flags (u8) and body length (u32 BE).

use bytes::Buf;
use std::io;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tracing::{debug, info, warn};

const MAGIC: u16 = 0x7E1E;
const MAX_BODY: usize = 1 << 20;
const FLAG_COMPRESSED: u8 = 0x01;

const KIND_HELLO: u8 = 1;
const KIND_BATCH: u8 = 2;
const KIND_BLOB: u8 = 3;

#[derive(Debug)]
struct FrameHeader {
    kind: u8,
    flags: u8,
    body_len: u32,
}

struct Hello {
    client_id: String,
    token: String,
}

struct Metric {
    name: String,
    value: f64,
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

async fn read_header<R: AsyncRead + Unpin>(r: &mut R) -> io::Result<FrameHeader> {
    let mut raw = [0u8; 8];
    r.read_exact(&mut raw).await?;
    let mut b = &raw[..];
    if b.get_u16() != MAGIC {
        return Err(bad("bad magic"));
    }
    Ok(FrameHeader {
        kind: b.get_u8(),
        flags: b.get_u8(),
        body_len: b.get_u32(),
    })
}

async fn read_body<R: AsyncRead + Unpin>(r: &mut R, hdr: &FrameHeader) -> io::Result<Vec<u8>> {
    let len = hdr.body_len as usize;
    if len > MAX_BODY {
        return Err(bad("frame too large"));
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).await?;
    Ok(body)
}

fn take_string(b: &mut &[u8], len: usize) -> io::Result<String> {
    if b.remaining() < len {
        return Err(bad("truncated string"));
    }
    let s = String::from_utf8_lossy(&b[..len]).into_owned();
    b.advance(len);
    Ok(s)
}

fn parse_hello(mut b: &[u8]) -> io::Result<Hello> {
    let id_len = b.get_u8() as usize;
    let client_id = take_string(&mut b, id_len)?;
    let token_len = b.get_u16() as usize;
    let token = take_string(&mut b, token_len)?;
    Ok(Hello { client_id, token })
}

fn parse_batch(mut b: &[u8], out: &mut Vec<Metric>) -> io::Result<()> {
    let count = b.get_u32() as usize;
    out.reserve(count); //~ unbounded-allocation
    for _ in 0..count {
        let name_len = b.get_u16() as usize;
        let mut name = String::with_capacity(name_len);
        name.push_str(&take_string(&mut b, name_len)?);
        out.push(Metric {
            name,
            value: b.get_f64(),
        });
    }
    Ok(())
}

fn inflate(body: &[u8], expected: usize) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    out.resize(expected, 0); //~ unbounded-allocation
    let n = lz4_flex::block::decompress_into(body, &mut out).map_err(|_| bad("lz4"))?;
    out.truncate(n);
    Ok(out)
}

async fn read_blob<R: AsyncRead + Unpin>(r: &mut R, declared: u64) -> io::Result<Vec<u8>> {
    let mut data = Vec::with_capacity(declared as usize); //~ unbounded-allocation
    r.take(declared).read_to_end(&mut data).await?;
    Ok(data)
}

struct Session {
    peer: String,
    client_id: Option<String>,
    metrics: Vec<Metric>,
}

impl Session {
    fn on_hello(&mut self, hello: Hello) {
        info!(peer = %self.peer, client = %hello.client_id, "client connected");
        debug!(client = %hello.client_id, token = %hello.token, "hello accepted"); //~ cleartext-logging
        self.client_id = Some(hello.client_id);
    }

    async fn handle(&mut self, stream: &mut TcpStream) -> io::Result<()> {
        loop {
            let hdr = read_header(stream).await?;
            match hdr.kind {
                KIND_HELLO => {
                    let body = read_body(stream, &hdr).await?;
                    self.on_hello(parse_hello(&body)?);
                }
                KIND_BATCH => {
                    let mut body = read_body(stream, &hdr).await?;
                    if hdr.flags & FLAG_COMPRESSED != 0 {
                        let mut b = &body[..];
                        let raw_len = b.get_u32() as usize;
                        body = inflate(b, raw_len)?;
                    }
                    parse_batch(&body, &mut self.metrics)?;
                }
                KIND_BLOB => {
                    let declared = stream.read_u64().await?;
                    let blob = read_blob(stream, declared).await?;
                    debug!(bytes = blob.len(), "blob stored");
                }
                other => {
                    warn!(kind = other, "unknown frame kind");
                    return Err(bad("unknown frame"));
                }
            }
            stream.write_u8(0).await?;
        }
    }
}

pub async fn serve(addr: &str) -> io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    loop {
        let (mut stream, peer) = listener.accept().await?;
        tokio::spawn(async move {
            let mut s = Session {
                peer: peer.to_string(),
                client_id: None,
                metrics: Vec::new(),
            };
            if let Err(e) = s.handle(&mut stream).await {
                warn!(%peer, error = %e, "connection closed");
            }
        });
    }
}
