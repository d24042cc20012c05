// Opaque session handles handed to a C event loop through Box::into_raw / Box::from_raw and libc buffers.
use std::os::raw::{c_int, c_void};

pub struct Session {
    pub id: u64,
    pub pending: Vec<u8>,
    pub closed: bool,
}

extern "C" {
    fn evloop_register(ctx: *mut c_void, id: u64) -> c_int;
    fn evloop_unregister(ctx: *mut c_void) -> c_int;
    fn evloop_fill(buf: *mut u8, len: usize) -> c_int;
}

fn flush(s: &Session) -> usize {
    s.pending.len()
}

pub fn open_session(id: u64) -> *mut Session {
    let raw = Box::into_raw(Box::new(Session {
        id,
        pending: Vec::new(),
        closed: false,
    }));
    unsafe { evloop_register(raw as *mut c_void, id) };
    raw
}

/// Correct teardown: unregister while the box is still alive, then drop it once.
pub unsafe fn close_session(raw: *mut Session) {
    let session = Box::from_raw(raw);
    evloop_unregister(raw as *mut c_void);
    flush(&session);
    drop(session);
}

pub unsafe fn close_and_report(raw: *mut Session) -> u64 {
    drop(Box::from_raw(raw));
    (*raw).id //~ dangling-pointer
}

pub unsafe fn close_and_report_ok(raw: *mut Session) -> u64 {
    let id = (*raw).id;
    drop(Box::from_raw(raw));
    id
}

pub unsafe fn teardown(raw: *mut Session) {
    let first = Box::from_raw(raw);
    evloop_unregister(raw as *mut c_void);
    flush(&first);
    drop(first);
    let second = Box::from_raw(raw); //~ dangling-pointer
    drop(second);
}

pub unsafe fn shutdown_all(handles: &[*mut Session]) {
    for &h in handles {
        let s = Box::from_raw(h);
        if !s.closed {
            evloop_unregister(h as *mut c_void);
        }
    }
}

pub unsafe fn scratch_checksum(len: usize) -> u8 {
    let p = libc::calloc(len.max(1), 1) as *mut u8;
    if p.is_null() {
        return 0;
    }
    evloop_fill(p, len);
    libc::free(p as *mut c_void);
    *p //~ dangling-pointer
}

pub unsafe fn scratch_checksum_ok(len: usize) -> u8 {
    let p = libc::calloc(len.max(1), 1) as *mut u8;
    if p.is_null() {
        return 0;
    }
    evloop_fill(p, len);
    let first = *p;
    libc::free(p as *mut c_void);
    first
}
