//! Rust bindings for libzlog, the C journaling library used by the edge agent.

use libc::{c_char, c_int, c_void, size_t};
use std::ffi::{CStr, CString};
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

#[repr(C)]
pub struct ZLog {
    _private: [u8; 0],
}

type EventCallback = extern "C" fn(user: *mut c_void, code: c_int);

extern "C" {
    fn zlog_open(path: *const c_char, flags: c_int) -> *mut ZLog;
    fn zlog_write(log: *mut ZLog, msg: *const c_char) -> c_int;
    fn zlog_tag(log: *mut ZLog, tag: *const c_char) -> c_int;
    fn zlog_on_event(log: *mut ZLog, cb: Option<EventCallback>, user: *mut c_void);
    fn zlog_close(log: *mut ZLog);
}

struct CallbackCtx {
    events: u64,
    last_code: c_int,
}

extern "C" fn on_event(user: *mut c_void, code: c_int) {
    let ctx = unsafe { &mut *(user as *mut CallbackCtx) };
    ctx.events += 1;
    ctx.last_code = code;
}

fn c_path(path: &Path) -> *const c_char {
    CString::new(path.to_string_lossy().as_bytes())
        .expect("nul in path")
        .as_ptr()
}

pub struct Journal {
    raw: *mut ZLog,
    ctx: *mut CallbackCtx,
    tag: *mut c_char,
}

impl Journal {
    pub fn open(path: &Path) -> io::Result<Self> {
        let cpath = CString::new(path.to_string_lossy().as_bytes())?;
        let raw = unsafe { zlog_open(cpath.as_ptr(), 0) };
        if raw.is_null() {
            return Err(io::Error::last_os_error());
        }
        Ok(Self {
            raw,
            ctx: std::ptr::null_mut(),
            tag: std::ptr::null_mut(),
        })
    }

    pub fn open_fast(path: &Path) -> io::Result<Self> {
        let raw = unsafe { zlog_open(c_path(path), 1) }; //~ dangling-pointer
        if raw.is_null() {
            return Err(io::Error::last_os_error());
        }
        Ok(Self {
            raw,
            ctx: std::ptr::null_mut(),
            tag: std::ptr::null_mut(),
        })
    }

    pub fn write(&self, msg: &str) -> io::Result<()> {
        let c = CString::new(msg)?;
        match unsafe { zlog_write(self.raw, c.as_ptr()) } {
            0 => Ok(()),
            _ => Err(io::Error::new(io::ErrorKind::Other, "zlog_write failed")),
        }
    }

    pub fn set_tag(&mut self, tag: &str) -> io::Result<()> {
        self.release_tag();
        self.tag = CString::new(tag)?.into_raw();
        unsafe { zlog_tag(self.raw, self.tag) };
        Ok(())
    }

    fn release_tag(&mut self) {
        if !self.tag.is_null() {
            drop(unsafe { CString::from_raw(self.tag) });
        }
    }

    pub fn retag_len(&mut self) -> usize {
        self.release_tag();
        unsafe { libc::strlen(self.tag) } //~ dangling-pointer
    }

    pub fn register(&mut self) {
        let ctx = Box::new(CallbackCtx {
            events: 0,
            last_code: 0,
        });
        self.ctx = Box::into_raw(ctx);
        unsafe { zlog_on_event(self.raw, Some(on_event), self.ctx as *mut c_void) };
    }

    fn unregister(&mut self) {
        unsafe { zlog_on_event(self.raw, None, std::ptr::null_mut()) };
        if !self.ctx.is_null() {
            drop(unsafe { Box::from_raw(self.ctx) });
        }
    }

    pub fn event_count(&self) -> u64 {
        if self.ctx.is_null() {
            return 0;
        }
        unsafe { (*self.ctx).events }
    }

    pub fn shutdown(mut self) -> u64 {
        self.unregister();
        let seen = unsafe { (*self.ctx).events }; //~ dangling-pointer
        unsafe { zlog_close(self.raw) };
        seen
    }
}

struct Scratch {
    buf: *mut u8,
    cap: usize,
}

impl Scratch {
    fn with_len(len: usize) -> Self {
        let buf = unsafe { libc::malloc(len as size_t) } as *mut u8; //~ unbounded-allocation
        Self { buf, cap: len }
    }

    fn release(&mut self) {
        unsafe { libc::free(self.buf as *mut c_void) };
    }
}

fn record_len(file: &mut File) -> io::Result<usize> {
    let mut hdr = [0u8; 4];
    file.read_exact(&mut hdr)?;
    Ok(u32::from_le_bytes(hdr) as usize)
}

pub fn replay_record(journal: &Journal, file: &mut File) -> io::Result<()> {
    let len = record_len(file)?;
    let mut scratch = Scratch::with_len(len);
    let body = unsafe { std::slice::from_raw_parts_mut(scratch.buf, scratch.cap) };
    file.read_exact(body)?;
    let text = String::from_utf8_lossy(body).into_owned();
    journal.write(&text)?;
    let first = scratch.buf;
    scratch.release();
    let marker = unsafe { *first }; //~ dangling-pointer
    if marker == b'#' {
        journal.write("replayed comment record")?;
    }
    Ok(())
}

pub fn describe_tag(journal: &Journal) -> Option<String> {
    if journal.tag.is_null() {
        return None;
    }
    let s = unsafe { CStr::from_ptr(journal.tag) };
    Some(s.to_string_lossy().into_owned())
}
