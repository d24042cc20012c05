// Length-prefixed frame codec for a binary RPC protocol; header fields come straight off the socket.
use bytes::{Buf, BytesMut};
use std::collections::TryReserveError;
use std::io::{self, Read};
use std::net::TcpStream;

const HEADER_LEN: usize = 8;
const MAX_FRAME: usize = 16 * 1024 * 1024;
const MAX_ATTRS: usize = 256;

#[derive(Debug)]
pub struct FrameHeader {
    pub opcode: u16,
    pub flags: u16,
    pub body_len: u32,
}

pub fn parse_header(raw: &[u8; HEADER_LEN]) -> FrameHeader {
    let opcode = u16::from_le_bytes([raw[0], raw[1]]);
    let flags = u16::from_le_bytes([raw[2], raw[3]]);
    let body_len = u32::from_le_bytes([raw[4], raw[5], raw[6], raw[7]]);
    FrameHeader { opcode, flags, body_len }
}

fn fill_body(sock: &mut TcpStream, body: &mut BytesMut, len: usize) -> io::Result<()> {
    let mut chunk = [0u8; 4096];
    let mut remaining = len;
    while remaining > 0 {
        let want = remaining.min(chunk.len());
        sock.read_exact(&mut chunk[..want])?;
        body.extend_from_slice(&chunk[..want]);
        remaining -= want;
    }
    Ok(())
}

pub fn read_frame(sock: &mut TcpStream) -> io::Result<(FrameHeader, BytesMut)> {
    let mut raw = [0u8; HEADER_LEN];
    sock.read_exact(&mut raw)?;
    let hdr = parse_header(&raw);
    let len = hdr.body_len as usize;
    let mut body = BytesMut::with_capacity(len); //~ unbounded-allocation
    fill_body(sock, &mut body, len)?;
    Ok((hdr, body))
}

pub fn read_frame_bounded(sock: &mut TcpStream) -> io::Result<(FrameHeader, BytesMut)> {
    let mut raw = [0u8; HEADER_LEN];
    sock.read_exact(&mut raw)?;
    let hdr = parse_header(&raw);
    let len = hdr.body_len as usize;
    if len > MAX_FRAME {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "frame too large"));
    }
    let mut body = BytesMut::with_capacity(len);
    fill_body(sock, &mut body, len)?;
    Ok((hdr, body))
}

/// Attribute list: u32 count, then (u16 tag, u16 len, bytes) records.
pub fn decode_attrs(src: &mut BytesMut) -> Option<Vec<(u16, Vec<u8>)>> {
    if src.len() < 4 {
        return None;
    }
    let count = src.get_u32_le() as usize;
    let mut attrs = Vec::with_capacity(count); //~ unbounded-allocation
    for _ in 0..count {
        if src.len() < 4 {
            return None;
        }
        let tag = src.get_u16_le();
        let n = src.get_u16_le() as usize;
        if src.len() < n {
            return None;
        }
        attrs.push((tag, src.split_to(n).to_vec()));
    }
    Some(attrs)
}

pub fn decode_attrs_clamped(src: &mut BytesMut) -> Option<Vec<u16>> {
    if src.len() < 4 {
        return None;
    }
    let count = src.get_u32_le() as usize;
    let mut tags = Vec::with_capacity(count.min(MAX_ATTRS));
    while src.len() >= 2 && tags.len() < count {
        tags.push(src.get_u16_le());
    }
    Some(tags)
}

/// Streaming payload continuation: the peer announces how much more is coming.
pub fn prepare_continuation(src: &mut BytesMut, out: &mut Vec<u8>) {
    let announced = src.get_u32_le() as usize;
    out.reserve(announced); //~ unbounded-allocation
}

pub fn prepare_continuation_fallible(
    src: &mut BytesMut,
    out: &mut Vec<u8>,
) -> Result<(), TryReserveError> {
    let announced = src.get_u32_le() as usize;
    out.try_reserve(announced)?;
    Ok(())
}
