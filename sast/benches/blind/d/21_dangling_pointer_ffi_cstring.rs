// Scenario: thin wrapper around a C logging/metrics library (libstatsd_c)
// exposed through hand-written FFI bindings.
use std::ffi::{c_char, c_int, CStr, CString};
use std::ptr;

#[repr(C)]
pub struct statsd_client {
    _private: [u8; 0],
}

extern "C" {
    fn statsd_open(host: *const c_char, port: c_int) -> *mut statsd_client;
    fn statsd_count(c: *mut statsd_client, name: *const c_char, value: c_int) -> c_int;
    fn statsd_set_prefix(c: *mut statsd_client, prefix: *const c_char);
    fn statsd_last_error(c: *mut statsd_client) -> *const c_char;
    fn statsd_close(c: *mut statsd_client);
}

pub struct Client {
    raw: *mut statsd_client,
}

impl Client {
    pub fn open(host: &str, port: u16) -> Option<Client> {
        let c_host = CString::new(host).ok()?;
        let raw = unsafe { statsd_open(c_host.as_ptr(), port as c_int) };
        if raw.is_null() {
            None
        } else {
            Some(Client { raw })
        }
    }

    pub fn set_prefix(&mut self, prefix: &str) {
        let p = CString::new(prefix).unwrap().as_ptr();
        unsafe { statsd_set_prefix(self.raw, p) }; //~ dangling-pointer
    }

    pub fn count(&mut self, name: &str, value: i32) -> bool {
        let c_name = CString::new(name).expect("metric name");
        let rc = unsafe { statsd_count(self.raw, c_name.as_ptr(), value as c_int) };
        rc == 0
    }

    pub fn count_many(&mut self, names: &[&str]) -> usize {
        let ptrs: Vec<*const c_char> = names
            .iter()
            .map(|n| CString::new(*n).unwrap().as_ptr())
            .collect();
        ptrs.iter()
            .filter(|p| unsafe { statsd_count(self.raw, **p, 1) } == 0) //~ dangling-pointer
            .count()
    }

    pub fn last_error(&self) -> Option<String> {
        let p = unsafe { statsd_last_error(self.raw) };
        if p.is_null() {
            return None;
        }
        Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }

    pub fn tag_ptr(tag: &str) -> *const c_char {
        let owned = CString::new(tag).unwrap_or_default();
        owned.as_ptr()
    }

    pub fn count_tagged(&mut self, tag: &str) -> bool {
        let name = Self::tag_ptr(tag);
        unsafe { statsd_count(self.raw, name, 1) == 0 } //~ dangling-pointer
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if !self.raw.is_null() {
            unsafe { statsd_close(self.raw) };
            self.raw = ptr::null_mut();
        }
    }
}
