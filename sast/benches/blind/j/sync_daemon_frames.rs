//! Wire protocol for the file sync daemon: length-prefixed frames over TCP.

use bytes::{Buf, BytesMut};
use std::io;
use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tracing::{debug, info, warn};

const MAX_FRAME: u32 = 1 << 20;
const MAX_LABEL: usize = 255;

const OP_AUTH: u8 = 1;
const OP_GET: u8 = 2;
const OP_PUT: u8 = 3;
const OP_CHUNKS: u8 = 4;

struct FrameHeader {
    op: u8,
    len: u32,
}

async fn read_header(stream: &mut TcpStream) -> io::Result<FrameHeader> {
    let mut raw = [0u8; 5];
    stream.read_exact(&mut raw).await?;
    let mut cur = &raw[..];
    Ok(FrameHeader {
        op: cur.get_u8(),
        len: cur.get_u32(),
    })
}

async fn read_payload(stream: &mut TcpStream, hdr: &FrameHeader) -> io::Result<Vec<u8>> {
    let mut payload = vec![0u8; hdr.len as usize]; //~ unbounded-allocation
    stream.read_exact(&mut payload).await?;
    Ok(payload)
}

async fn read_small_payload(stream: &mut TcpStream, hdr: &FrameHeader) -> io::Result<Vec<u8>> {
    if hdr.len > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "frame too large",
        ));
    }
    let mut payload = vec![0u8; hdr.len as usize];
    stream.read_exact(&mut payload).await?;
    Ok(payload)
}

fn field_len(buf: &mut BytesMut) -> usize {
    buf.get_u32() as usize
}

fn decode_label(buf: &mut BytesMut, n: usize) -> String {
    let mut label = String::with_capacity(n); //~ unbounded-allocation
    let take = n.min(buf.remaining());
    label.push_str(&String::from_utf8_lossy(&buf.split_to(take)));
    label
}

fn decode_name(buf: &mut BytesMut) -> io::Result<String> {
    let n = buf.get_u16() as usize;
    if n > MAX_LABEL || n > buf.remaining() {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "bad name"));
    }
    let mut name = String::with_capacity(n);
    name.push_str(&String::from_utf8_lossy(&buf.split_to(n)));
    Ok(name)
}

fn authenticate(peer: SocketAddr, token: &str) -> bool {
    debug!(%peer, token = %token, "auth frame received"); //~ cleartext-logging
    let expected = std::env::var("SYNC_TOKEN_SHA256").unwrap_or_default();
    let presented = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(token.as_bytes()));
    let ok = !expected.is_empty() && presented == expected;
    info!(%peer, ok, "authentication finished");
    ok
}

async fn serve_file(root: &Path, name: &str, stream: &mut TcpStream) -> io::Result<()> {
    let data = tokio::fs::read(root.join(name)).await?; //~ path-traversal
    stream.write_u32(data.len() as u32).await?;
    stream.write_all(&data).await
}

fn confined(root: &Path, name: &str) -> Option<PathBuf> {
    let rel = Path::new(name);
    if rel.components().all(|c| matches!(c, Component::Normal(_))) {
        Some(root.join(rel))
    } else {
        None
    }
}

async fn store_file(root: &Path, name: &str, data: &[u8]) -> io::Result<()> {
    let target = confined(root, name).ok_or(io::ErrorKind::PermissionDenied)?;
    tokio::fs::write(target, data).await
}

fn collect_chunks(mut buf: BytesMut) -> BytesMut {
    let mut out = BytesMut::new();
    while buf.remaining() >= 4 {
        let chunk_len = buf.get_u32() as usize;
        out.reserve(chunk_len); //~ unbounded-allocation
        let take = chunk_len.min(buf.remaining());
        out.extend_from_slice(&buf.split_to(take));
    }
    out
}

async fn handle(mut stream: TcpStream, peer: SocketAddr, root: PathBuf) -> io::Result<()> {
    let mut authed = false;
    loop {
        let hdr = read_header(&mut stream).await?;
        match hdr.op {
            OP_AUTH => {
                let raw = read_small_payload(&mut stream, &hdr).await?;
                let mut buf = BytesMut::from(&raw[..]);
                let n = field_len(&mut buf);
                authed = authenticate(peer, &decode_label(&mut buf, n));
            }
            OP_GET if authed => {
                let raw = read_small_payload(&mut stream, &hdr).await?;
                let mut buf = BytesMut::from(&raw[..]);
                let name = decode_name(&mut buf)?;
                serve_file(&root, &name, &mut stream).await?;
            }
            OP_PUT if authed => {
                let raw = read_payload(&mut stream, &hdr).await?;
                let mut buf = BytesMut::from(&raw[..]);
                let name = decode_name(&mut buf)?;
                store_file(&root, &name, &buf).await?;
            }
            OP_CHUNKS if authed => {
                let raw = read_small_payload(&mut stream, &hdr).await?;
                let joined = collect_chunks(BytesMut::from(&raw[..]));
                stream.write_u32(joined.len() as u32).await?;
            }
            other => {
                warn!(%peer, op = other, "rejected frame");
                return Ok(());
            }
        }
    }
}

#[tokio::main]
async fn main() -> io::Result<()> {
    tracing_subscriber::fmt::init();
    let root = PathBuf::from(std::env::var("SYNC_ROOT").unwrap_or_else(|_| "/srv/sync".into()));
    let listener = TcpListener::bind("0.0.0.0:7401").await?;
    loop {
        let (stream, peer) = listener.accept().await?;
        let root = root.clone();
        tokio::spawn(async move {
            if let Err(e) = handle(stream, peer, root).await {
                warn!(%peer, error = %e, "connection closed");
            }
        });
    }
}
