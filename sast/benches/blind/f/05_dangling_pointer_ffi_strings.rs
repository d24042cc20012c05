// Thin wrapper around the POSIX calls the supervisor needs: environment access,
// opening log files by name and reporting string lengths to the C metrics shim.
use libc::{c_char, c_int, size_t};
use std::ffi::{CStr, CString};
use std::io;

extern "C" {
    fn metrics_record_label(label: *const c_char, len: size_t) -> c_int;
}

pub struct Supervisor {
    prefix: String,
}

fn c_name(name: &str) -> *const c_char {
    CString::new(name).expect("nul in name").as_ptr()
}

impl Supervisor {
    pub fn new(prefix: &str) -> Self {
        Supervisor {
            prefix: prefix.to_owned(),
        }
    }

    pub fn get_env(&self, key: &str) -> Option<String> {
        let full = format!("{}_{}", self.prefix, key);
        let ptr = CString::new(full).unwrap().as_ptr();
        let val = unsafe { libc::getenv(ptr) }; //~ dangling-pointer
        if val.is_null() {
            return None;
        }
        Some(
            unsafe { CStr::from_ptr(val) }
                .to_string_lossy()
                .into_owned(),
        )
    }

    pub fn get_env_safe(&self, key: &str) -> Option<String> {
        let full = CString::new(format!("{}_{}", self.prefix, key)).ok()?;
        let val = unsafe { libc::getenv(full.as_ptr()) };
        if val.is_null() {
            return None;
        }
        Some(
            unsafe { CStr::from_ptr(val) }
                .to_string_lossy()
                .into_owned(),
        )
    }

    pub fn set_env(&self, key: &str, value: &str) -> io::Result<()> {
        let k = c_name(key);
        let v = CString::new(value)?;
        let rc = unsafe { libc::setenv(k, v.as_ptr(), 1) }; //~ dangling-pointer
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    pub fn unset_env(&self, key: &str) -> io::Result<()> {
        // the temporary lives until the end of this statement
        let rc = unsafe { libc::unsetenv(CString::new(key)?.as_ptr()) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    pub fn open_log(&self, name: &str) -> io::Result<c_int> {
        let path = CString::new(format!("/var/log/{}/{}.log", self.prefix, name))?;
        let flags = libc::O_WRONLY | libc::O_APPEND | libc::O_CREAT;
        let fd = unsafe { libc::open(path.as_ptr(), flags, 0o640) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(fd)
    }

    pub fn record_label(&self, label: &str) -> c_int {
        let owned = CString::new(label).unwrap_or_default();
        let len = owned.as_bytes().len();
        let raw = owned.as_ptr();
        drop(owned);
        unsafe { metrics_record_label(raw, len) } //~ dangling-pointer
    }

    pub fn record_label_safe(&self, label: &str) -> c_int {
        let owned = CString::new(label).unwrap_or_default();
        let raw = owned.into_raw();
        let rc = unsafe { metrics_record_label(raw, label.len()) };
        drop(unsafe { CString::from_raw(raw) });
        rc
    }

    pub fn record_all(&self, labels: &[&str]) -> Vec<c_int> {
        let owned: Vec<CString> = labels
            .iter()
            .filter_map(|l| CString::new(*l).ok())
            .collect();
        owned
            .iter()
            .map(|c| unsafe { metrics_record_label(c.as_ptr(), c.as_bytes().len()) })
            .collect()
    }
}

pub fn bootstrap() -> io::Result<()> {
    let sup = Supervisor::new("SUPERVISOR");
    sup.set_env("STARTED", "1")?;
    if sup.get_env("DEBUG").is_some() || sup.get_env_safe("TRACE").is_some() {
        sup.record_label("debug");
    }
    sup.unset_env("LEGACY_MODE")?;
    let fd = sup.open_log("main")?;
    sup.record_label_safe("boot");
    sup.record_all(&["worker", "scheduler"]);
    unsafe { libc::close(fd) };
    Ok(())
}
