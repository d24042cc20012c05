// Native plugin host: loads shared objects, passes them a C descriptor with the
// host name, spawns helper binaries and forwards log lines to plugin sinks.
use libc::{c_char, c_int, c_void};
use std::ffi::CString;

#[repr(C)]
pub struct HostInfo {
    pub name: *const c_char,
    pub version: u32,
    pub flags: u32,
}

pub type InitFn = unsafe extern "C" fn(info: *const HostInfo) -> c_int;

pub struct Plugin {
    pub init: InitFn,
    pub log_fd: c_int,
}

pub struct Host {
    name: String,
    version: u32,
    owned_name: Option<CString>,
}

impl Host {
    pub fn new(name: &str, version: u32) -> Self {
        Host {
            name: name.to_string(),
            version,
            owned_name: None,
        }
    }

    fn host_info(&self) -> HostInfo {
        HostInfo {
            name: CString::new(self.name.clone()).unwrap().as_ptr(),
            version: self.version,
            flags: 0,
        }
    }

    fn host_info_owned(&mut self) -> HostInfo {
        let c = self
            .owned_name
            .get_or_insert_with(|| CString::new(self.name.clone()).unwrap());
        HostInfo {
            name: c.as_ptr(),
            version: self.version,
            flags: 1,
        }
    }

    pub fn start(&mut self, plugin: &Plugin, legacy: bool) -> c_int {
        if legacy {
            let info = self.host_info();
            return unsafe { (plugin.init)(&info) }; //~ dangling-pointer
        }
        let info = self.host_info_owned();
        unsafe { (plugin.init)(&info) }
    }
}

fn c_argv(args: &[String]) -> Vec<*const c_char> {
    let mut argv: Vec<*const c_char> = args
        .iter()
        .map(|a| CString::new(a.as_str()).unwrap().as_ptr())
        .collect();
    argv.push(std::ptr::null());
    argv
}

pub fn exec_helper(args: &[String]) -> c_int {
    let argv = c_argv(args);
    unsafe { libc::execv(argv[0], argv.as_ptr()) } //~ dangling-pointer
}

pub fn exec_helper_safe(args: &[String]) -> c_int {
    let owned: Vec<CString> = args
        .iter()
        .map(|a| CString::new(a.as_str()).unwrap())
        .collect();
    let mut argv: Vec<*const c_char> = owned.iter().map(|c| c.as_ptr()).collect();
    argv.push(std::ptr::null());
    unsafe { libc::execv(argv[0], argv.as_ptr()) }
}

pub fn forward_line(plugin: &Plugin, line: String) -> isize {
    let bytes = line.into_bytes();
    let (ptr, len) = (bytes.as_ptr(), bytes.len());
    let shipped = bytes;
    drop(shipped);
    unsafe { libc::write(plugin.log_fd, ptr as *const c_void, len) } //~ dangling-pointer
}

pub fn forward_line_safe(plugin: &Plugin, line: String) -> isize {
    let bytes = line.into_bytes();
    let n = unsafe { libc::write(plugin.log_fd, bytes.as_ptr() as *const c_void, bytes.len()) };
    drop(bytes);
    n
}

fn scratch_area() -> *mut u8 {
    let mut area = [0u8; 512];
    area.as_mut_ptr()
}

fn heap_scratch_area() -> *mut u8 {
    Box::into_raw(Box::new([0u8; 512])) as *mut u8
}

pub fn drain_plugin_pipe(fd: c_int, pooled: bool) -> isize {
    if pooled {
        let buf = heap_scratch_area();
        let n = unsafe { libc::read(fd, buf as *mut c_void, 512) };
        unsafe { drop(Box::from_raw(buf as *mut [u8; 512])) };
        return n;
    }
    let buf = scratch_area();
    unsafe { libc::read(fd, buf as *mut c_void, 512) } //~ dangling-pointer
}
