use std::ffi::{c_char, c_int, CString};
use std::slice;

extern "C" {
    fn engine_submit(name: *const c_char, data: *const u8, len: usize) -> c_int;
    fn engine_log(msg: *const c_char);
}

#[repr(C)]
pub struct EngineCtx {
    id: u32,
    len: usize,
    buf: *mut u8,
}

#[repr(C)]
pub struct Limits {
    max_len: u32,
    max_depth: u32,
}

pub fn ctx_new(id: u32, cap: usize) -> *mut EngineCtx {
    let mut storage = vec![0u8; cap].into_boxed_slice();
    let buf = storage.as_mut_ptr();
    std::mem::forget(storage);
    Box::into_raw(Box::new(EngineCtx { id, len: cap, buf }))
}

pub unsafe fn ctx_free(ctx: *mut EngineCtx) {
    if ctx.is_null() {
        return;
    }
    let b = Box::from_raw(ctx);
    drop(Vec::from_raw_parts(b.buf, b.len, b.len));
}

pub fn run_job(id: u32) -> usize {
    let ctx = ctx_new(id, 256);
    let used = unsafe { (*ctx).len };
    unsafe { ctx_free(ctx) };
    let reported = unsafe { (*ctx).id }; //~ dangling-pointer
    used + reported as usize
}

pub fn run_job_ordered(id: u32) -> usize {
    let ctx = ctx_new(id, 256);
    let total = unsafe { (*ctx).len + (*ctx).id as usize };
    unsafe { ctx_free(ctx) };
    total
}

pub fn log_event(event: &str) {
    let msg = CString::new(format!("event: {}", event)).unwrap_or_default();
    unsafe { engine_log(msg.as_ptr()) };
}

pub fn log_raw(event: &str) {
    let p = CString::new(event).unwrap_or_default().as_ptr();
    unsafe { engine_log(p) }; //~ dangling-pointer
}

pub fn submit_frames(frames: &[&[u8]]) -> c_int {
    let mut staging: Vec<u8> = Vec::with_capacity(16);
    staging.extend_from_slice(b"HDR0");
    let head = staging.as_ptr();
    for f in frames {
        staging.extend_from_slice(f);
    }
    let name = CString::new("frames").unwrap_or_default();
    unsafe { engine_submit(name.as_ptr(), head, staging.len()) } //~ dangling-pointer
}

pub fn submit_frames_ok(frames: &[&[u8]]) -> c_int {
    let mut staging: Vec<u8> = Vec::with_capacity(16);
    staging.extend_from_slice(b"HDR0");
    for f in frames {
        staging.extend_from_slice(f);
    }
    let head = staging.as_ptr();
    let name = CString::new("frames").unwrap_or_default();
    unsafe { engine_submit(name.as_ptr(), head, staging.len()) }
}

fn default_limits() -> *const Limits {
    let limits = Limits { max_len: 4096, max_depth: 32 };
    &limits as *const Limits
}

fn leaked_limits() -> *const Limits {
    Box::into_raw(Box::new(Limits { max_len: 4096, max_depth: 32 }))
}

pub fn effective_max_len() -> u32 {
    let p = default_limits();
    unsafe { (*p).max_len } //~ dangling-pointer
}

pub fn effective_max_depth() -> u32 {
    let p = leaked_limits();
    unsafe { (*p).max_depth }
}

pub fn checksum_name(name: String) -> u32 {
    let (p, n) = (name.as_ptr(), name.len());
    let early: u32 = unsafe { slice::from_raw_parts(p, n) }.iter().map(|b| *b as u32).sum();
    drop(name);
    let late: u32 = unsafe { slice::from_raw_parts(p, n) }.iter().map(|b| *b as u32).sum(); //~ dangling-pointer
    early ^ late
}

pub struct Reader {
    data: Vec<u8>,
    cursor: *const u8,
    remaining: usize,
}

impl Reader {
    pub fn new(data: Vec<u8>) -> Self {
        let cursor = data.as_ptr();
        let remaining = data.len();
        Reader { data, cursor, remaining }
    }

    pub fn next_byte(&mut self) -> Option<u8> {
        if self.remaining == 0 {
            return None;
        }
        let b = unsafe { *self.cursor };
        self.cursor = unsafe { self.cursor.add(1) };
        self.remaining -= 1;
        Some(b)
    }

    pub fn reset(&mut self, data: Vec<u8>) {
        self.data = data;
        self.cursor = self.data.as_ptr();
        self.remaining = self.data.len();
    }

    pub fn append_and_peek(&mut self, more: &[u8]) -> Option<u8> {
        let offset = self.data.len() - self.remaining;
        self.data.extend_from_slice(more);
        self.remaining += more.len();
        let peek = if self.remaining == 0 { None } else { Some(unsafe { *self.cursor }) }; //~ dangling-pointer
        self.cursor = unsafe { self.data.as_ptr().add(offset) };
        peek
    }
}
