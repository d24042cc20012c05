//! Capture input for `flowtap`: pcap / pcapng files and TPACKET_V2 mmap rings.

use bytes::{BufMut, BytesMut};
use std::io::{self, Read, Write};
use std::os::raw::c_int;
use std::ptr;

const MAX_SNAPLEN: u32 = 262_144;
const BLOCK_SIZE: usize = 1 << 16;

extern "C" {
    fn ft_dissect(data: *const u8, len: usize, linktype: u32) -> c_int;
}

pub struct PcapHeader {
    pub snaplen: u32,
    pub linktype: u32,
}

#[derive(Clone, Copy)]
pub struct RecHeader {
    pub ts_sec: u32,
    pub ts_usec: u32,
    pub incl_len: u32,
    pub orig_len: u32,
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

fn read_u32s<R: Read, const N: usize>(r: &mut R) -> io::Result<[u32; N]> {
    let mut out = [0u32; N];
    for v in out.iter_mut() {
        let mut b = [0u8; 4];
        r.read_exact(&mut b)?;
        *v = u32::from_le_bytes(b);
    }
    Ok(out)
}

pub fn read_global<R: Read>(r: &mut R) -> io::Result<PcapHeader> {
    let [magic, _ver, _zone, _sigfigs, snaplen, linktype] = read_u32s::<R, 6>(r)?;
    if magic != 0xa1b2_c3d4 {
        return Err(invalid("not a pcap file"));
    }
    Ok(PcapHeader { snaplen, linktype })
}

pub fn read_record<R: Read>(r: &mut R) -> io::Result<RecHeader> {
    let [ts_sec, ts_usec, incl_len, orig_len] = read_u32s::<R, 4>(r)?;
    Ok(RecHeader {
        ts_sec,
        ts_usec,
        incl_len,
        orig_len,
    })
}

/// Reads one packet body in Rust; the length is capped by the file's snaplen.
pub fn read_packet<R: Read>(r: &mut R, gh: &PcapHeader, rec: &RecHeader) -> io::Result<Vec<u8>> {
    if rec.incl_len > gh.snaplen.min(MAX_SNAPLEN) {
        return Err(invalid("record exceeds snaplen"));
    }
    let mut data = vec![0u8; rec.incl_len as usize];
    r.read_exact(&mut data)?;
    Ok(data)
}

/// Hands one packet to the C dissector, which expects malloc'd memory.
pub fn dissect_next<R: Read>(r: &mut R, gh: &PcapHeader, rec: &RecHeader) -> io::Result<c_int> {
    let len = rec.incl_len as usize;
    let buf = unsafe { libc::calloc(1, len) as *mut u8 }; //~ unbounded-allocation
    if buf.is_null() {
        return Err(io::ErrorKind::OutOfMemory.into());
    }
    let slice = unsafe { std::slice::from_raw_parts_mut(buf, len) };
    let rc = r
        .read_exact(slice)
        .map(|_| unsafe { ft_dissect(buf, len, gh.linktype) });
    unsafe { libc::free(buf.cast()) };
    rc
}

/// Rewrites a record for tools that cannot cope with truncated packets by
/// padding the payload back to its original length.
pub fn write_padded<W: Write>(w: &mut W, rec: &RecHeader, data: &[u8]) -> io::Result<()> {
    let missing = rec.orig_len.saturating_sub(rec.incl_len) as usize;
    let fields = [rec.ts_sec, rec.ts_usec, rec.orig_len, rec.orig_len];
    w.write_all(&fields.map(u32::to_le_bytes).concat())?;
    w.write_all(data)?;
    w.write_all("\0".repeat(missing).as_bytes()) //~ unbounded-allocation
}

pub struct NgReader {
    scratch: BytesMut,
    block: Box<[u8]>,
    filled: usize,
}

impl NgReader {
    pub fn new() -> NgReader {
        NgReader {
            scratch: BytesMut::new(),
            block: vec![0u8; BLOCK_SIZE].into(),
            filled: 0,
        }
    }

    pub fn next_block<R: Read>(&mut self, r: &mut R) -> io::Result<(u32, BytesMut)> {
        let [block_type, total_len] = read_u32s::<R, 2>(r)?;
        let body_len = (total_len as usize).saturating_sub(12);
        self.scratch.clear();
        self.scratch.reserve(body_len); //~ unbounded-allocation
        let mut sink = (&mut self.scratch).writer();
        io::copy(&mut r.by_ref().take(body_len as u64), &mut sink)?;
        let [_trailer] = read_u32s::<R, 1>(r)?;
        Ok((block_type, self.scratch.split()))
    }

    pub fn stage(&mut self, bytes: &[u8]) -> usize {
        let n = bytes.len().min(self.block.len() - self.filled);
        self.block[self.filled..self.filled + n].copy_from_slice(&bytes[..n]);
        self.filled += n;
        n
    }

    fn recycle(&mut self) {
        self.block = vec![0u8; BLOCK_SIZE].into();
        self.filled = 0;
    }

    /// Moves the staged bytes into `dst` and starts a fresh block.
    pub fn take_block(&mut self, dst: &mut Vec<u8>) {
        let (src, filled) = (self.block.as_ptr(), self.filled);
        self.recycle();
        let staged = unsafe { std::slice::from_raw_parts(src, filled) }; //~ dangling-pointer
        dst.extend_from_slice(staged);
    }

    pub fn peek_block(&self) -> &[u8] {
        let src = self.block.as_ptr();
        unsafe { std::slice::from_raw_parts(src, self.filled) }
    }
}

/// Live capture from an AF_PACKET socket with a TPACKET_V2 ring; callers
/// release the mapping with `shutdown`.
pub struct Ring {
    map: *mut u8,
    map_len: usize,
    frame_size: usize,
    cursor: usize,
}

impl Ring {
    fn frame_ptr(&self, idx: usize) -> *mut libc::tpacket2_hdr {
        unsafe { self.map.add(idx * self.frame_size) as *mut libc::tpacket2_hdr }
    }

    fn unmap(&mut self) {
        if !self.map.is_null() {
            unsafe { libc::munmap(self.map.cast(), self.map_len) };
            self.map = ptr::null_mut();
        }
    }

    /// Unmaps the ring and reports the snap length of the frame in flight.
    pub fn shutdown(mut self) -> u32 {
        let last = self.frame_ptr(self.cursor);
        self.unmap();
        unsafe { (*last).tp_snaplen } //~ dangling-pointer
    }

    fn sll_header(&self, proto: u16) -> *const u8 {
        let mut hdr = [0u8; 16];
        hdr[14..].copy_from_slice(&proto.to_be_bytes());
        hdr.as_ptr() //~ dangling-pointer
    }

    fn sll_header_bytes(proto: u16) -> [u8; 16] {
        let mut hdr = [0u8; 16];
        hdr[14..].copy_from_slice(&proto.to_be_bytes());
        hdr
    }

    /// Writes the in-flight frame with a Linux cooked-capture header.
    pub fn export_frame<W: Write>(&self, w: &mut W, proto: u16, legacy: bool) -> io::Result<()> {
        let hdr = if legacy {
            unsafe { std::slice::from_raw_parts(self.sll_header(proto), 16) }.to_vec()
        } else {
            Ring::sll_header_bytes(proto).to_vec()
        };
        let frame = self.frame_ptr(self.cursor);
        let (mac, snap) = unsafe { ((*frame).tp_mac as usize, (*frame).tp_snaplen as usize) };
        let payload = unsafe { std::slice::from_raw_parts((frame as *const u8).add(mac), snap) };
        w.write_all(&hdr)?;
        w.write_all(payload)
    }
}
