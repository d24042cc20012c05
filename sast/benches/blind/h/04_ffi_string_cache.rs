use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int};
use std::ptr;

extern "C" {
    fn dev_set_name(name: *const c_char) -> c_int;
    fn dev_log(msg: *const c_char);
    fn dev_register(cb_data: *mut Node) -> c_int;
}

#[repr(C)]
pub struct Node {
    pub id: u32,
    pub label: *const c_char,
    pub next: *mut Node,
}

pub fn set_device_name(name: &str) -> c_int {
    let raw = CString::new(name).unwrap().as_ptr();
    unsafe { dev_set_name(raw) } //~ dangling-pointer
}

pub fn set_device_name_owned(name: &str) -> c_int {
    let owned = CString::new(name).unwrap();
    unsafe { dev_set_name(owned.as_ptr()) }
}

pub fn log_line(msg: &str) {
    let c = CString::new(msg.replace('\0', " ")).unwrap();
    unsafe { dev_log(c.as_ptr()) };
}

fn new_node(id: u32) -> *mut Node {
    Box::into_raw(Box::new(Node { id, label: ptr::null(), next: ptr::null_mut() }))
}

fn free_node(n: *mut Node) {
    if !n.is_null() {
        unsafe { drop(Box::from_raw(n)) };
    }
}

pub fn register_and_release(id: u32) -> u32 {
    let node = new_node(id);
    let rc = unsafe { dev_register(node) };
    free_node(node);
    if rc != 0 {
        return unsafe { (*node).id }; //~ dangling-pointer
    }
    id
}

pub fn register_and_keep(id: u32) -> u32 {
    let node = new_node(id);
    let rc = unsafe { dev_register(node) };
    let seen = unsafe { (*node).id };
    free_node(node);
    if rc != 0 { seen } else { id }
}

pub fn scratch_label() -> *const c_char {
    let buf = [b'd', b'e', b'v', 0u8];
    buf.as_ptr() as *const c_char
}

pub fn label_len() -> usize {
    let p = scratch_label();
    unsafe { CStr::from_ptr(p).to_bytes().len() } //~ dangling-pointer
}

pub struct NameCache {
    names: Vec<CString>,
    last: *const c_char,
}

impl NameCache {
    pub fn new() -> Self {
        NameCache { names: Vec::new(), last: ptr::null() }
    }

    pub fn remember(&mut self, name: &str) {
        let c = CString::new(name).unwrap();
        self.last = c.as_ptr();
    }

    pub fn remember_owned(&mut self, name: &str) {
        let c = CString::new(name).unwrap();
        self.names.push(c);
        self.last = self.names.last().map(|c| c.as_ptr()).unwrap_or(ptr::null());
    }

    pub fn last_name(&self) -> Option<String> {
        if self.last.is_null() {
            return None;
        }
        let s = unsafe { CStr::from_ptr(self.last) }; //~ dangling-pointer
        Some(s.to_string_lossy().into_owned())
    }
}

pub fn chain_demo() -> u32 {
    let head = Box::into_raw(Box::new(Node { id: 1, label: ptr::null(), next: ptr::null_mut() }));
    let tail = Box::into_raw(Box::new(Node { id: 2, label: ptr::null(), next: ptr::null_mut() }));
    unsafe {
        (*head).next = tail;
        let total = (*head).id + (*(*head).next).id;
        drop(Box::from_raw(tail));
        let again = (*(*head).next).id; //~ dangling-pointer
        drop(Box::from_raw(head));
        total + again
    }
}
