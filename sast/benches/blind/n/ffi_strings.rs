//! Thin POSIX helpers used by the `hostd` daemon: syslog, env and file setup.

use libc::{c_char, c_int};
use std::ffi::{CStr, CString};
use std::io;

pub struct SyslogHandle {
    ident: *const c_char,
    facility: c_int,
}

impl SyslogHandle {
    pub fn open(ident: &str, facility: c_int) -> io::Result<Self> {
        let owned = CString::new(ident).map_err(|_| io::ErrorKind::InvalidInput)?;
        let handle = SyslogHandle {
            ident: owned.as_ptr(),
            facility,
        };
        Ok(handle)
    }

    pub fn start(&self) {
        let options = libc::LOG_PID | libc::LOG_NDELAY;
        unsafe { libc::openlog(self.ident, options, self.facility) }; //~ dangling-pointer
    }

    pub fn emit(&self, priority: c_int, msg: &str) {
        if let Ok(text) = CString::new(msg) {
            unsafe { libc::syslog(priority, b"%s\0".as_ptr() as *const c_char, text.as_ptr()) };
        }
    }
}

/// Keeps the identifier alive for as long as syslog may reference it.
pub struct OwnedSyslog {
    ident: CString,
}

impl OwnedSyslog {
    pub fn open(ident: &str) -> io::Result<Self> {
        let ident = CString::new(ident).map_err(|_| io::ErrorKind::InvalidInput)?;
        unsafe { libc::openlog(ident.as_ptr(), libc::LOG_PID, libc::LOG_DAEMON) };
        Ok(OwnedSyslog { ident })
    }

    pub fn ident(&self) -> &CStr {
        &self.ident
    }
}

fn env_value_ptr(value: &str) -> *const c_char {
    CString::new(value).unwrap_or_default().as_ptr() //~ dangling-pointer
}

pub fn export_setting(key: &str, value: &str) -> io::Result<()> {
    let key_c = CString::new(key).map_err(|_| io::ErrorKind::InvalidInput)?;
    let value_c = CString::new(value).map_err(|_| io::ErrorKind::InvalidInput)?;
    let rc = unsafe { libc::setenv(key_c.as_ptr(), value_c.as_ptr(), 1) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

pub fn export_raw(key: &str, value: &str) -> io::Result<()> {
    let key_c = CString::new(key).map_err(|_| io::ErrorKind::InvalidInput)?;
    let value_ptr = env_value_ptr(value);
    let rc = unsafe { libc::setenv(key_c.as_ptr(), value_ptr, 1) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn open_flags(append: bool) -> c_int {
    if append {
        libc::O_WRONLY | libc::O_CREAT | libc::O_APPEND
    } else {
        libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC
    }
}

pub fn open_log_file(path: &str, append: bool) -> io::Result<c_int> {
    let c_path = CString::new(path).map_err(|_| io::ErrorKind::InvalidInput)?;
    let fd = unsafe { libc::open(c_path.as_ptr(), open_flags(append), 0o640) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(fd)
}

pub fn open_pid_file(run_dir: &str) -> io::Result<c_int> {
    let path_ptr = CString::new(format!("{run_dir}/hostd.pid"))
        .unwrap()
        .as_ptr();
    let fd = unsafe { libc::open(path_ptr, open_flags(false), 0o644) }; //~ dangling-pointer
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(fd)
}

fn hostname_buffer() -> *const c_char {
    let mut buf = [0 as c_char; 256];
    unsafe { libc::gethostname(buf.as_mut_ptr(), buf.len()) };
    buf.as_ptr() //~ dangling-pointer
}

pub fn hostname() -> String {
    let raw = hostname_buffer();
    unsafe { CStr::from_ptr(raw) }
        .to_string_lossy()
        .into_owned()
}

pub fn hostname_owned() -> io::Result<String> {
    let mut buf = vec![0u8; 256];
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr() as *mut c_char, buf.len()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    buf.truncate(end);
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

pub fn lookup_env(key: &str) -> Option<String> {
    let key_c = CString::new(key).ok()?;
    let raw = unsafe { libc::getenv(key_c.as_ptr()) };
    if raw.is_null() {
        return None;
    }
    Some(
        unsafe { CStr::from_ptr(raw) }
            .to_string_lossy()
            .into_owned(),
    )
}

/// Returns the syslog identity, which must outlive all later logging calls.
pub fn bootstrap(args: &[String]) -> io::Result<OwnedSyslog> {
    let ident = args.get(1).map(String::as_str).unwrap_or("hostd");
    let syslog = SyslogHandle::open(ident, libc::LOG_DAEMON)?;
    syslog.start();
    syslog.emit(libc::LOG_INFO, "hostd starting");
    let owned = OwnedSyslog::open(ident)?;
    if let Some(dir) = args.get(2) {
        open_pid_file(dir)?;
        open_log_file(&format!("{dir}/hostd.log"), true)?;
    }
    if let Some(region) = args.get(3) {
        export_setting("HOSTD_REGION", region)?;
        export_raw("HOSTD_REGION_RAW", region)?;
    }
    let _ = (hostname(), hostname_owned()?, lookup_env("HOME"));
    Ok(owned)
}
