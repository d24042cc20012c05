use std::alloc::{alloc, alloc_zeroed, dealloc, Layout};
use std::ffi::{CStr, CString};
use std::io::{self, Read};
use std::os::raw::c_char;
use std::ptr::NonNull;

const MAX_ARENA: usize = 16 * 1024 * 1024;

extern "C" {
    fn register_symbol(name: *const c_char, addr: *const u8) -> i32;
}

pub struct Arena {
    base: NonNull<u8>,
    layout: Layout,
    cursor: *mut u8,
    live: bool,
}

impl Arena {
    pub fn with_capacity(size: usize) -> Option<Self> {
        let size = size.clamp(64, MAX_ARENA);
        let layout = Layout::from_size_align(size, 16).ok()?;
        let base = NonNull::new(unsafe { alloc_zeroed(layout) })?;
        Some(Self { base, layout, cursor: base.as_ptr(), live: true })
    }

    pub fn from_request(size: usize) -> Option<Self> {
        let layout = Layout::from_size_align(size, 16).ok()?;
        let base = NonNull::new(unsafe { alloc(layout) })?; //~ unbounded-allocation
        Some(Self { base, layout, cursor: base.as_ptr(), live: true })
    }

    pub fn bump(&mut self, n: usize) -> Option<*mut u8> {
        let used = self.cursor as usize - self.base.as_ptr() as usize;
        if used + n > self.layout.size() {
            return None;
        }
        let p = self.cursor;
        self.cursor = unsafe { self.cursor.add(n) };
        Some(p)
    }

    pub fn release(&mut self) {
        if self.live {
            unsafe { dealloc(self.base.as_ptr(), self.layout) };
            self.live = false;
        }
    }

    pub fn peek_cursor(&self) -> u8 {
        unsafe { *self.cursor }
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        self.release();
    }
}

pub struct Node {
    pub key: u64,
    pub next: *mut Node,
}

pub fn read_request_size(input: &mut impl Read) -> io::Result<usize> {
    let mut b = [0u8; 8];
    input.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b) as usize)
}

pub fn serve_allocation(input: &mut impl Read, exact: bool) -> io::Result<u8> {
    let size = read_request_size(input)?;
    let mut arena = if exact {
        Arena::from_request(size)
    } else {
        Arena::with_capacity(size)
    }
    .ok_or_else(|| io::Error::new(io::ErrorKind::OutOfMemory, "arena"))?;
    let slot = arena.bump(8).ok_or_else(|| io::Error::new(io::ErrorKind::OutOfMemory, "slot"))?;
    unsafe { slot.write(0x7f) };
    Ok(arena.peek_cursor())
}

pub fn drain_and_report(mut arena: Arena) -> u8 {
    let before = arena.peek_cursor();
    arena.release();
    let after = unsafe { *arena.cursor }; //~ dangling-pointer
    before ^ after
}

pub fn unlink_head(head: Box<Node>) -> u64 {
    let raw: *const Node = &*head;
    let key = unsafe { (*raw).key };
    drop(head);
    key
}

pub fn unlink_and_follow(head: Box<Node>) -> *mut Node {
    let raw: *const Node = &*head;
    drop(head);
    unsafe { (*raw).next } //~ dangling-pointer
}

fn symbol_name(prefix: &str, id: u32) -> *const c_char {
    CString::new(format!("{}_{}", prefix, id)).expect("no interior nul").as_ptr() //~ dangling-pointer
}

fn symbol_name_owned(prefix: &str, id: u32) -> CString {
    CString::new(format!("{}_{}", prefix, id)).expect("no interior nul")
}

pub fn export_symbols(arena: &mut Arena, prefix: &str, count: u32) -> Vec<i32> {
    let mut codes = Vec::new();
    for id in 0..count {
        let Some(addr) = arena.bump(16) else { break };
        let owned = symbol_name_owned(prefix, id);
        codes.push(unsafe { register_symbol(owned.as_ptr(), addr) });
        let name = symbol_name(prefix, id);
        codes.push(unsafe { register_symbol(name, addr) });
    }
    codes
}

pub fn label_of(ptr: *const c_char) -> String {
    unsafe { CStr::from_ptr(ptr) }.to_string_lossy().into_owned()
}
