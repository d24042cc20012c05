//! Safe-ish wrapper over libframecodec, the vendor C library used by the capture agent.

use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int, c_void};
use std::ptr;

const MAX_PAYLOAD: usize = 1 << 20;
const HEADER_LEN: usize = 12;

#[repr(C)]
pub struct fc_codec {
    _private: [u8; 0],
}

extern "C" {
    fn fc_codec_new() -> *mut fc_codec;
    fn fc_codec_free(c: *mut fc_codec);
    fn fc_codec_set_label(c: *mut fc_codec, label: *const c_char) -> c_int;
    fn fc_codec_encode(c: *mut fc_codec, src: *const u8, len: usize, dst: *mut u8) -> isize;
    fn fc_codec_last_error(c: *const fc_codec) -> *const c_char;
}

#[derive(Debug, Clone, Copy)]
pub struct FrameHeader {
    pub kind: u16,
    pub flags: u16,
    pub payload_len: u32,
    pub seq: u32,
}

pub fn parse_header(raw: &[u8]) -> Option<FrameHeader> {
    if raw.len() < HEADER_LEN {
        return None;
    }
    Some(FrameHeader {
        kind: u16::from_be_bytes([raw[0], raw[1]]),
        flags: u16::from_be_bytes([raw[2], raw[3]]),
        payload_len: u32::from_be_bytes([raw[4], raw[5], raw[6], raw[7]]),
        seq: u32::from_be_bytes([raw[8], raw[9], raw[10], raw[11]]),
    })
}

fn label_ptr(label: &str) -> *const c_char {
    CString::new(label).unwrap_or_default().as_ptr()
}

fn scratch_area() -> *mut u8 {
    let mut area = [0u8; 256];
    area.as_mut_ptr()
}

pub struct Codec {
    raw: *mut fc_codec,
    staging: Vec<u8>,
    staging_ptr: *const u8,
}

impl Codec {
    pub fn new() -> Option<Self> {
        // SAFETY: fc_codec_new has no preconditions and returns NULL on failure.
        let raw = unsafe { fc_codec_new() };
        if raw.is_null() {
            return None;
        }
        Some(Codec {
            raw,
            staging: Vec::with_capacity(64),
            staging_ptr: ptr::null(),
        })
    }

    pub fn set_label(&mut self, label: &str) -> bool {
        let p = label_ptr(label);
        // SAFETY: p points at a NUL-terminated string produced by CString.
        unsafe { fc_codec_set_label(self.raw, p) == 0 } //~ dangling-pointer
    }

    pub fn set_label_owned(&mut self, label: &str) -> bool {
        let owned = match CString::new(label) {
            Ok(s) => s,
            Err(_) => return false,
        };
        // SAFETY: `owned` outlives the call and the codec copies the label.
        unsafe { fc_codec_set_label(self.raw, owned.as_ptr()) == 0 }
    }

    pub fn begin(&mut self, first: &[u8]) {
        self.staging.clear();
        self.staging.extend_from_slice(first);
        self.staging_ptr = self.staging.as_ptr();
    }

    pub fn append(&mut self, more: &[u8]) {
        self.staging.extend_from_slice(more);
    }

    pub fn encode_staged(&mut self, out: &mut [u8]) -> isize {
        let len = self.staging.len();
        let (src, dst) = (self.staging_ptr, out.as_mut_ptr());
        // SAFETY: staging_ptr was taken from `staging`, which is still owned by self.
        unsafe { fc_codec_encode(self.raw, src, len, dst) } //~ dangling-pointer
    }

    pub fn encode_chunks(&mut self, chunks: &[&[u8]], out: &mut [u8]) -> isize {
        let Some((first, rest)) = chunks.split_first() else {
            return 0;
        };
        self.begin(first);
        for chunk in rest {
            self.append(chunk);
        }
        self.encode_staged(out)
    }

    pub fn encode(&mut self, src: &[u8], out: &mut [u8]) -> isize {
        let src_ptr = src.as_ptr();
        // SAFETY: src and out are live borrows for the duration of the call.
        unsafe { fc_codec_encode(self.raw, src_ptr, src.len(), out.as_mut_ptr()) }
    }

    pub fn encode_small(&mut self, src: &[u8]) -> Vec<u8> {
        let dst = scratch_area();
        // SAFETY: scratch_area hands back a 256-byte buffer, enough for small frames.
        let n = unsafe { fc_codec_encode(self.raw, src.as_ptr(), src.len(), dst) }; //~ dangling-pointer
        let n = n.clamp(0, 256) as usize;
        // SAFETY: the codec wrote n bytes into dst.
        unsafe { std::slice::from_raw_parts(dst, n).to_vec() }
    }

    pub fn last_error(&self) -> String {
        // SAFETY: the codec returns a pointer to a static message table entry.
        unsafe {
            let p = fc_codec_last_error(self.raw);
            if p.is_null() {
                return String::new();
            }
            CStr::from_ptr(p).to_string_lossy().into_owned()
        }
    }
}

impl Drop for Codec {
    fn drop(&mut self) {
        // SAFETY: raw came from fc_codec_new and is freed exactly once here.
        unsafe { fc_codec_free(self.raw) }
    }
}

pub fn alloc_payload(hdr: &FrameHeader) -> *mut u8 {
    // SAFETY: malloc with any size is sound; NULL is checked by the caller.
    unsafe { libc::malloc(hdr.payload_len as usize) as *mut u8 } //~ unbounded-allocation
}

pub fn alloc_payload_bounded(hdr: &FrameHeader) -> *mut u8 {
    let len = (hdr.payload_len as usize).min(MAX_PAYLOAD);
    // SAFETY: calloc zeroes the buffer; size is capped above.
    unsafe { libc::calloc(len.max(1), 1) as *mut u8 }
}

pub fn decode_frame(raw: &[u8]) -> Option<(FrameHeader, Vec<u8>)> {
    let hdr = parse_header(raw)?;
    let body = &raw[HEADER_LEN..];
    let buf = alloc_payload(&hdr);
    if buf.is_null() {
        return None;
    }
    let n = body.len().min(hdr.payload_len as usize);
    // SAFETY: buf holds payload_len bytes and n <= payload_len.
    unsafe {
        ptr::copy_nonoverlapping(body.as_ptr(), buf, n);
        libc::free(buf as *mut c_void);
    }
    // SAFETY: buf was populated above before being handed back to the allocator.
    let first = unsafe { *buf }; //~ dangling-pointer
    let mut out = Vec::with_capacity(n);
    out.push(first);
    out.extend_from_slice(&body[1.min(n)..n]);
    Some((hdr, out))
}
