// Thin FFI wrapper over a C logging/config library (liblogcfg) that takes NUL-terminated strings.
use std::ffi::{CString, NulError};
use std::os::raw::{c_char, c_int};

extern "C" {
    fn logcfg_set_ident(ident: *const c_char) -> c_int;
    fn logcfg_open(path: *const c_char, flags: c_int) -> c_int;
    fn logcfg_write(level: c_int, msg: *const c_char) -> c_int;
    fn logcfg_set_tag(key: *const c_char, value: *const c_char) -> c_int;
    fn logcfg_set_level_name(name: *const c_char) -> c_int;
}

#[derive(Clone, Copy)]
pub enum Level {
    Debug,
    Info,
    Warn,
}

pub fn set_ident(ident: &str) -> c_int {
    let p = CString::new(ident).unwrap().as_ptr();
    unsafe { logcfg_set_ident(p) } //~ dangling-pointer
}

pub fn set_ident_checked(ident: &str) -> Result<c_int, NulError> {
    let c = CString::new(ident)?;
    Ok(unsafe { logcfg_set_ident(c.as_ptr()) })
}

pub fn open(path: &str, flags: c_int) -> Result<c_int, NulError> {
    let c_path = CString::new(path)?;
    let rc = unsafe { logcfg_open(c_path.as_ptr(), flags) };
    Ok(rc)
}

/// The temporary lives until the end of the full statement, so this is fine.
pub fn write(level: c_int, msg: &str) -> c_int {
    unsafe { logcfg_write(level, CString::new(msg).unwrap().as_ptr()) }
}

pub fn set_tags(tags: &[(&str, &str)]) -> c_int {
    let mut failures = 0;
    for (k, v) in tags {
        let key = CString::new(*k).expect("nul in key").as_ptr();
        let val = CString::new(*v).expect("nul in value");
        if unsafe { logcfg_set_tag(key, val.as_ptr()) } != 0 { //~ dangling-pointer
            failures += 1;
        }
    }
    failures
}

pub fn set_tags_owned(tags: &[(&str, &str)]) -> Result<(), NulError> {
    for (k, v) in tags {
        let key = CString::new(*k)?;
        let val = CString::new(*v)?;
        unsafe { logcfg_set_tag(key.as_ptr(), val.as_ptr()) };
    }
    Ok(())
}

pub fn set_level(level: Level) -> c_int {
    let name = match level {
        Level::Debug => CString::new("debug").unwrap().as_ptr(),
        Level::Info => CString::new("info").unwrap().as_ptr(),
        Level::Warn => CString::new("warn").unwrap().as_ptr(),
    };
    unsafe { logcfg_set_level_name(name) } //~ dangling-pointer
}

pub fn set_level_static(level: Level) -> c_int {
    let name: &'static [u8] = match level {
        Level::Debug => b"debug\0",
        Level::Info => b"info\0",
        Level::Warn => b"warn\0",
    };
    unsafe { logcfg_set_level_name(name.as_ptr() as *const c_char) }
}

/// Ownership is transferred to C and reclaimed after the call.
pub fn set_ident_round_trip(ident: &str) -> Result<c_int, NulError> {
    let raw = CString::new(ident)?.into_raw();
    let rc = unsafe { logcfg_set_ident(raw) };
    drop(unsafe { CString::from_raw(raw) });
    Ok(rc)
}
