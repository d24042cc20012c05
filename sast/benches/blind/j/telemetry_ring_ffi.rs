//! Telemetry ring buffer shared with the C collector (`libtelemetry`).

use libc::{c_char, c_int, c_void, size_t};
use std::ffi::CString;
use std::ptr;

extern "C" {
    fn tlm_log(tag: *const c_char, msg: *const c_char) -> c_int;
    fn tlm_submit(ring: *mut c_void, data: *const u8, len: size_t) -> c_int;
    fn tlm_open(capacity: size_t) -> *mut c_void;
}

pub struct Ring {
    buf: *mut u8,
    len: usize,
    cap: usize,
    pub written: u64,
    collector: *mut c_void,
    staging: Vec<u8>,
}

impl Ring {
    pub fn new(cap: usize) -> Option<Box<Ring>> {
        let buf = unsafe { libc::malloc(cap) as *mut u8 };
        if buf.is_null() {
            return None;
        }
        let collector = unsafe { tlm_open(cap) };
        Some(Box::new(Ring {
            buf,
            len: 0,
            cap,
            written: 0,
            collector,
            staging: Vec::with_capacity(64),
        }))
    }

    fn grow(&mut self, needed: usize) {
        let new_cap = (self.cap * 2).max(needed);
        let p = unsafe { libc::realloc(self.buf as *mut c_void, new_cap) as *mut u8 };
        assert!(!p.is_null(), "telemetry ring: out of memory");
        self.buf = p;
        self.cap = new_cap;
    }

    fn head_ptr(&self) -> *const u8 {
        self.buf as *const u8
    }

    pub fn write(&mut self, data: &[u8]) {
        if self.len + data.len() > self.cap {
            self.grow(self.len + data.len());
        }
        unsafe { ptr::copy_nonoverlapping(data.as_ptr(), self.buf.add(self.len), data.len()) };
        self.len += data.len();
        self.written += data.len() as u64;
    }

    pub fn append_and_peek(&mut self, data: &[u8]) -> u8 {
        let head = self.head_ptr();
        self.write(data);
        unsafe { *head } //~ dangling-pointer
    }

    pub fn peek_then_append(&mut self, data: &[u8]) -> u8 {
        let first = if self.len > 0 {
            unsafe { *self.head_ptr() }
        } else {
            0
        };
        self.write(data);
        first
    }

    pub fn submit_staged(&mut self, data: &[u8]) -> c_int {
        let start = self.staging.as_ptr();
        self.staging.extend_from_slice(data);
        unsafe { tlm_submit(self.collector, start, self.staging.len()) } //~ dangling-pointer
    }

    pub fn submit_staged_fresh(&mut self, data: &[u8]) -> c_int {
        self.staging.extend_from_slice(data);
        let rc = unsafe { tlm_submit(self.collector, self.staging.as_ptr(), self.staging.len()) };
        self.staging.clear();
        rc
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        unsafe { libc::free(self.buf as *mut c_void) };
    }
}

pub struct LogSink {
    tag: *const c_char,
}

impl LogSink {
    pub fn new(tag: &str) -> Self {
        Self {
            tag: CString::new(tag).unwrap_or_default().as_ptr(),
        }
    }

    pub fn emit(&self, msg: &str) -> c_int {
        let msg = CString::new(msg).unwrap_or_default();
        unsafe { tlm_log(self.tag, msg.as_ptr()) } //~ dangling-pointer
    }
}

pub struct OwnedSink {
    tag: CString,
}

impl OwnedSink {
    pub fn new(tag: &str) -> Self {
        Self {
            tag: CString::new(tag).unwrap_or_default(),
        }
    }

    pub fn emit(&self, msg: &str) -> c_int {
        let msg = CString::new(msg).unwrap_or_default();
        unsafe { tlm_log(self.tag.as_ptr(), msg.as_ptr()) }
    }
}

#[no_mangle]
pub extern "C" fn ring_create(cap: size_t) -> *mut Ring {
    Ring::new(cap.clamp(64, 1 << 20)).map_or(ptr::null_mut(), Box::into_raw)
}

/// # Safety
/// `h` must come from `ring_create` and is invalid afterwards.
#[no_mangle]
pub unsafe extern "C" fn ring_free(h: *mut Ring) {
    if !h.is_null() {
        drop(Box::from_raw(h));
    }
}

/// # Safety
/// `h` must come from `ring_create`; it is released by this call.
#[no_mangle]
pub unsafe extern "C" fn ring_close(h: *mut Ring) -> u64 {
    if h.is_null() {
        return 0;
    }
    ring_free(h);
    let total = (*h).written; //~ dangling-pointer
    LogSink::new("ring").emit(&format!("closed after {total} bytes"));
    total
}

/// # Safety
/// `h` must come from `ring_create`; it is released by this call.
#[no_mangle]
pub unsafe extern "C" fn ring_close_checked(h: *mut Ring) -> u64 {
    if h.is_null() {
        return 0;
    }
    let total = (*h).written;
    ring_free(h);
    OwnedSink::new("ring").emit(&format!("closed after {total} bytes"));
    total
}
