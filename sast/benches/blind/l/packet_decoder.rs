//! Frame decoder for the sensor gateway's binary TCP protocol.
//!
//! Wire format: 12-byte big-endian header (kind, flags, seq, body_len,
//! entry_count) followed by `body_len` bytes of payload.

use bytes::{Buf, BytesMut};
use std::io;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const HEADER_LEN: usize = 12;
const MAX_FRAME: usize = 1 << 20;
const MAX_ENTRIES: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct FrameHeader {
    kind: u8,
    flags: u8,
    seq: u16,
    body_len: u32,
    entry_count: u32,
}

impl FrameHeader {
    fn parse(raw: &[u8; HEADER_LEN]) -> Self {
        let mut b = &raw[..];
        Self {
            kind: b.get_u8(),
            flags: b.get_u8(),
            seq: b.get_u16(),
            body_len: b.get_u32(),
            entry_count: b.get_u32(),
        }
    }
}

struct Frame {
    header: FrameHeader,
    body: Vec<u8>,
}

#[derive(Debug)]
struct Reading {
    sensor: u32,
    value: f32,
}

struct BodyView {
    ptr: *const u8,
    len: usize,
}

impl BodyView {
    fn of(body: &[u8]) -> Self {
        Self {
            ptr: body.as_ptr(),
            len: body.len(),
        }
    }
}

fn detach_view(frame: Frame) -> BodyView {
    BodyView::of(&frame.body)
}

async fn read_header(stream: &mut TcpStream) -> io::Result<FrameHeader> {
    let mut raw = [0u8; HEADER_LEN];
    stream.read_exact(&mut raw).await?;
    Ok(FrameHeader::parse(&raw))
}

async fn read_frame(stream: &mut TcpStream) -> io::Result<Frame> {
    let header = read_header(stream).await?;
    let mut body = vec![0u8; header.body_len as usize]; //~ unbounded-allocation
    stream.read_exact(&mut body).await?;
    Ok(Frame { header, body })
}

async fn read_frame_checked(stream: &mut TcpStream) -> io::Result<Frame> {
    let header = read_header(stream).await?;
    let len = header.body_len as usize;
    if len > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "frame too large",
        ));
    }
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).await?;
    Ok(Frame { header, body })
}

fn decode_batch(frame: &Frame) -> Vec<Reading> {
    let mut out = Vec::with_capacity(frame.header.entry_count as usize); //~ unbounded-allocation
    let mut b = &frame.body[..];
    while b.remaining() >= 8 {
        let sensor = b.get_u32();
        out.push(Reading {
            sensor,
            value: b.get_f32(),
        });
    }
    out
}

fn decode_batch_bounded(frame: &Frame) -> Vec<Reading> {
    let hint = (frame.header.entry_count as usize).min(MAX_ENTRIES);
    let mut out = Vec::with_capacity(hint);
    let mut b = &frame.body[..];
    while b.remaining() >= 8 && out.len() < hint {
        let sensor = b.get_u32();
        out.push(Reading {
            sensor,
            value: b.get_f32(),
        });
    }
    out
}

struct Reassembler {
    pending: BytesMut,
    expected_total: usize,
}

impl Reassembler {
    fn start(&mut self, total: u32) {
        self.expected_total = total as usize;
        self.pending.clear();
    }

    fn accept(&mut self, frame: &Frame) -> Option<Vec<u8>> {
        if self.pending.is_empty() {
            self.pending.reserve(self.expected_total); //~ unbounded-allocation
        }
        self.pending.extend_from_slice(&frame.body);
        (self.pending.len() >= self.expected_total).then(|| self.pending.split().to_vec())
    }
}

async fn handle_conn(mut stream: TcpStream, strict: bool) -> io::Result<()> {
    let mut reasm = Reassembler {
        pending: BytesMut::new(),
        expected_total: 0,
    };
    loop {
        let frame = if strict {
            read_frame_checked(&mut stream).await?
        } else {
            read_frame(&mut stream).await?
        };
        let seq = frame.header.seq;
        match frame.header.kind {
            0x01 => {
                let readings = if strict {
                    decode_batch_bounded(&frame)
                } else {
                    decode_batch(&frame)
                };
                log::debug!("seq={} readings={}", seq, readings.len());
            }
            0x02 if frame.body.len() >= 4 => {
                let total = u32::from_be_bytes([
                    frame.body[0],
                    frame.body[1],
                    frame.body[2],
                    frame.body[3],
                ]);
                reasm.start(total);
            }
            0x03 => {
                if let Some(blob) = reasm.accept(&frame) {
                    log::info!("reassembled blob of {} bytes", blob.len());
                }
            }
            0x04 if !frame.body.is_empty() => {
                let view = BodyView::of(&frame.body);
                let tag = unsafe { *view.ptr };
                stream.write_all(&[tag, frame.header.flags]).await?;
            }
            0x05 => {
                let view = detach_view(frame);
                if view.len > 0 {
                    let tag = unsafe { *view.ptr }; //~ dangling-pointer
                    stream.write_u8(tag).await?;
                }
            }
            _ => log::warn!("unknown frame kind"),
        }
        stream.write_u16(seq).await?;
    }
}

#[tokio::main]
async fn main() -> io::Result<()> {
    env_logger::init();
    let strict = std::env::var("GATEWAY_STRICT")
        .map(|v| v == "1")
        .unwrap_or(false);
    let listener = TcpListener::bind("0.0.0.0:9400").await?;
    loop {
        let (stream, peer) = listener.accept().await?;
        tokio::spawn(async move {
            if let Err(e) = handle_conn(stream, strict).await {
                log::info!("connection {} closed: {}", peer, e);
            }
        });
    }
}
