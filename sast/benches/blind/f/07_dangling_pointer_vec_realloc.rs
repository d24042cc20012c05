// Zero-copy packet writer for the UDP telemetry exporter: records are encoded
// into a reusable buffer and handed to sendto(2) without intermediate copies.
use libc::{c_void, sockaddr, socklen_t};
use std::ptr;

pub struct Packet {
    buf: Vec<u8>,
    seq: u32,
}

pub struct Record<'a> {
    pub name: &'a str,
    pub value: f64,
}

impl Packet {
    pub fn new() -> Self {
        Packet {
            buf: Vec::with_capacity(64),
            seq: 0,
        }
    }

    fn encode_header(&self) -> Vec<u8> {
        let mut hdr = Vec::with_capacity(8);
        hdr.extend_from_slice(b"TLM1");
        hdr.extend_from_slice(&self.seq.to_be_bytes());
        hdr
    }

    fn header_ptr(&self) -> *const u8 {
        let hdr = self.encode_header();
        hdr.as_ptr()
    }

    pub fn push_record(&mut self, rec: &Record) {
        self.buf.push(rec.name.len() as u8);
        self.buf.extend_from_slice(rec.name.as_bytes());
        self.buf.extend_from_slice(&rec.value.to_be_bytes());
    }

    pub fn finish(&mut self, records: &[Record]) -> &[u8] {
        self.buf.clear();
        let count_slot = self.buf.as_mut_ptr();
        self.buf.push(0);
        for rec in records {
            self.push_record(rec);
        }
        unsafe { *count_slot = records.len() as u8 }; //~ dangling-pointer
        &self.buf
    }

    pub fn finish_safe(&mut self, records: &[Record]) -> &[u8] {
        self.buf.clear();
        self.buf.push(0);
        for rec in records {
            self.push_record(rec);
        }
        let count_slot = self.buf.as_mut_ptr();
        unsafe { *count_slot = records.len() as u8 };
        &self.buf
    }

    pub unsafe fn send_to(&mut self, fd: i32, addr: &sockaddr, alen: socklen_t) -> isize {
        let hdr = self.header_ptr();
        let mut wire = [0u8; 8];
        ptr::copy_nonoverlapping(hdr, wire.as_mut_ptr(), 8); //~ dangling-pointer
        self.seq = self.seq.wrapping_add(1);
        let mut out = wire.to_vec();
        out.extend_from_slice(&self.buf);
        libc::sendto(fd, out.as_ptr() as *const c_void, out.len(), 0, addr, alen)
    }

    pub unsafe fn send_to_safe(&mut self, fd: i32, addr: &sockaddr, alen: socklen_t) -> isize {
        let hdr = self.encode_header();
        let mut out = Vec::with_capacity(hdr.len() + self.buf.len());
        out.extend_from_slice(&hdr);
        out.extend_from_slice(&self.buf);
        self.seq = self.seq.wrapping_add(1);
        libc::sendto(fd, out.as_ptr() as *const c_void, out.len(), 0, addr, alen)
    }
}

pub unsafe fn append_trailer(buf: &mut Vec<u8>, trailer: &[u8]) -> u32 {
    let start = buf.as_ptr();
    let len = buf.len();
    buf.extend_from_slice(trailer);
    let body = std::slice::from_raw_parts(start, len); //~ dangling-pointer
    crc32fast::hash(body)
}

pub unsafe fn append_trailer_safe(buf: &mut Vec<u8>, trailer: &[u8]) -> u32 {
    let len = buf.len();
    buf.reserve_exact(trailer.len());
    buf.extend_from_slice(trailer);
    let body = std::slice::from_raw_parts(buf.as_ptr(), len);
    crc32fast::hash(body)
}

fn scratch_name(prefix: &str, id: u32) -> (*const u8, usize) {
    let name = format!("{}-{:08x}", prefix, id).into_bytes();
    (name.as_ptr(), name.len())
}

fn leaked_name(prefix: &str, id: u32) -> (*const u8, usize) {
    let name: &'static mut [u8] = format!("{}-{:08x}", prefix, id).into_bytes().leak();
    (name.as_ptr(), name.len())
}

pub fn stream_label(prefix: &str, id: u32, stable: bool) -> String {
    if stable {
        let (p, n) = leaked_name(prefix, id);
        let bytes = unsafe { std::slice::from_raw_parts(p, n) };
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let (p, n) = scratch_name(prefix, id);
    let bytes = unsafe { std::slice::from_raw_parts(p, n) }; //~ dangling-pointer
    String::from_utf8_lossy(bytes).into_owned()
}
