//! Length-prefixed framing for the telemetry ingest protocol (v2).
//!
//! Each frame is `u8 kind | u32 length (BE) | payload`. A batch frame carries
//! a `u16` entry count followed by entries of `u16 name_len | name | f64 value`.

use sha1::{Digest, Sha1};
use sha2::Sha256;
use std::io;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tracing::{debug, trace, warn};

pub const MAX_FRAME: usize = 4 * 1024 * 1024;
const MAX_ENTRIES: usize = 4096;
const MAX_NAME: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FrameKind {
    Hello,
    Batch,
    Blob,
}

pub struct Frame {
    pub kind: FrameKind,
    pub payload: Vec<u8>,
}

pub struct Sample {
    pub name: String,
    pub value: f64,
}

pub struct FrameReader<R> {
    inner: R,
    frames_seen: u64,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            frames_seen: 0,
        }
    }

    async fn header(&mut self) -> io::Result<(FrameKind, usize)> {
        let kind = match self.inner.read_u8().await? {
            0 => FrameKind::Hello,
            1 => FrameKind::Batch,
            2 => FrameKind::Blob,
            other => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("kind {other}"),
                ))
            }
        };
        let len = self.inner.read_u32().await? as usize;
        Ok((kind, len))
    }

    pub async fn next_frame(&mut self) -> io::Result<Frame> {
        let (kind, len) = self.header().await?;
        self.frames_seen += 1;
        let payload = match kind {
            FrameKind::Blob => self.read_blob(len).await?,
            _ => self.read_bounded(len).await?,
        };
        Ok(Frame { kind, payload })
    }

    async fn read_bounded(&mut self, len: usize) -> io::Result<Vec<u8>> {
        if len > MAX_FRAME {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "frame too large",
            ));
        }
        let mut buf = vec![0u8; len];
        self.inner.read_exact(&mut buf).await?;
        Ok(buf)
    }

    async fn read_blob(&mut self, len: usize) -> io::Result<Vec<u8>> {
        let mut buf = vec![0u8; len]; //~ unbounded-allocation
        self.inner.read_exact(&mut buf).await?;
        Ok(buf)
    }
}

fn take<'a>(cursor: &mut &'a [u8], n: usize) -> io::Result<&'a [u8]> {
    if cursor.len() < n {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    let (head, tail) = cursor.split_at(n);
    *cursor = tail;
    Ok(head)
}

pub fn decode_batch(payload: &[u8]) -> io::Result<Vec<Sample>> {
    let mut cursor = payload;
    let count = u16::from_be_bytes(take(&mut cursor, 2)?.try_into().unwrap()) as usize;
    let mut samples = Vec::with_capacity(count.min(MAX_ENTRIES));
    for _ in 0..count {
        let name_len = u16::from_be_bytes(take(&mut cursor, 2)?.try_into().unwrap()) as usize;
        if name_len > MAX_NAME {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "name too long"));
        }
        let name = String::from_utf8_lossy(take(&mut cursor, name_len)?).into_owned();
        let value = f64::from_be_bytes(take(&mut cursor, 8)?.try_into().unwrap());
        samples.push(Sample { name, value });
    }
    Ok(samples)
}

/// Blob payloads start with a `u32` declared size for the decompressed data.
pub fn inflate_target(payload: &[u8]) -> io::Result<Vec<u8>> {
    let mut cursor = payload;
    let declared = u32::from_be_bytes(take(&mut cursor, 4)?.try_into().unwrap()) as usize;
    let mut out = Vec::new();
    out.reserve(declared); //~ unbounded-allocation
    out.extend_from_slice(cursor);
    Ok(out)
}

pub fn padded_label(payload: &[u8]) -> io::Result<Vec<u8>> {
    let mut cursor = payload;
    let width = u32::from_be_bytes(take(&mut cursor, 4)?.try_into().unwrap()) as usize;
    let mut label = cursor.to_vec();
    label.resize(width, b' '); //~ unbounded-allocation
    Ok(label)
}

struct Hello {
    agent: String,
    token: String,
    proof: Vec<u8>,
}

fn parse_hello(payload: &[u8]) -> Option<Hello> {
    let text = std::str::from_utf8(payload).ok()?;
    let mut parts = text.splitn(3, '\n');
    Some(Hello {
        agent: parts.next()?.to_owned(),
        token: parts.next()?.to_owned(),
        proof: hex::decode(parts.next()?).ok()?,
    })
}

fn log_hello(hello: &Hello) {
    debug!(agent = %hello.agent, token_len = hello.token.len(), "hello received");
    trace!("hello agent={} token={}", hello.agent, hello.token); //~ cleartext-logging
}

fn verify_proof(hello: &Hello, server_nonce: &[u8]) -> bool {
    let expected = Sha1::new() //~ weak-hash
        .chain_update(hello.token.as_bytes())
        .chain_update(server_nonce)
        .finalize();
    expected.as_slice() == hello.proof.as_slice()
}

fn session_id(agent: &str, nonce: &[u8]) -> String {
    hex::encode(
        Sha256::new()
            .chain_update(agent)
            .chain_update(nonce)
            .finalize(),
    )
}

async fn serve_conn(stream: TcpStream, nonce: [u8; 16]) -> io::Result<()> {
    let (rd, mut wr) = stream.into_split();
    let mut reader = FrameReader::new(rd);
    let first = reader.next_frame().await?;
    let hello = parse_hello(&first.payload).ok_or(io::ErrorKind::InvalidData)?;
    log_hello(&hello);
    if !verify_proof(&hello, &nonce) {
        warn!(agent = %hello.agent, "proof mismatch");
        return write_status(&mut wr, 1).await;
    }
    let _sid = session_id(&hello.agent, &nonce);
    loop {
        let frame = reader.next_frame().await?;
        match frame.kind {
            FrameKind::Batch => debug!(n = decode_batch(&frame.payload)?.len(), "batch"),
            FrameKind::Blob => debug!(n = inflate_target(&frame.payload)?.capacity(), "blob"),
            FrameKind::Hello => debug!(n = padded_label(&frame.payload)?.len(), "relabel"),
        }
    }
}

async fn write_status<W: AsyncWrite + Unpin>(wr: &mut W, code: u8) -> io::Result<()> {
    wr.write_all(&[code]).await
}

pub async fn run(addr: &str) -> io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        let nonce: [u8; 16] = rand::random();
        tokio::spawn(serve_conn(stream, nonce));
    }
}
