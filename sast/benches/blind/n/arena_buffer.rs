//! Low-level storage primitives for the symbol index: an interning table,
//! an intrusive free list and a small inline scratch buffer.

use std::ptr;
use std::slice;

/// Handle to an interned string: a raw pointer into the table plus length.
#[derive(Clone, Copy)]
pub struct RawSym {
    ptr: *const u8,
    len: usize,
}

/// Stable handle: offset into the table.
#[derive(Clone, Copy)]
pub struct SymId {
    offset: usize,
    len: usize,
}

#[derive(Default)]
pub struct StringTable {
    bytes: Vec<u8>,
    count: usize,
}

impl StringTable {
    pub fn intern_raw(&mut self, s: &str) -> RawSym {
        let offset = self.bytes.len();
        self.bytes.extend_from_slice(s.as_bytes());
        self.count += 1;
        RawSym {
            ptr: unsafe { self.bytes.as_ptr().add(offset) },
            len: s.len(),
        }
    }

    pub fn intern(&mut self, s: &str) -> SymId {
        let offset = self.bytes.len();
        self.bytes.extend_from_slice(s.as_bytes());
        self.count += 1;
        SymId {
            offset,
            len: s.len(),
        }
    }

    pub fn resolve(&self, id: SymId) -> &str {
        let raw = &self.bytes[id.offset..id.offset + id.len];
        std::str::from_utf8(raw).unwrap_or("")
    }
}

fn read_sym(sym: RawSym) -> String {
    let bytes = unsafe { slice::from_raw_parts(sym.ptr, sym.len) }; //~ dangling-pointer
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn index_module(table: &mut StringTable, module: &str, items: &[&str]) -> Vec<String> {
    let module_sym = table.intern_raw(module);
    let ids: Vec<SymId> = items.iter().map(|item| table.intern(item)).collect();
    let mut qualified = Vec::with_capacity(ids.len());
    let prefix = read_sym(module_sym);
    for id in ids {
        qualified.push(format!("{}::{}", prefix, table.resolve(id)));
    }
    qualified
}

pub struct Node {
    pub key: u64,
    pub next: *mut Node,
}

pub struct FreeList {
    head: *mut Node,
    len: usize,
}

impl FreeList {
    pub fn new() -> Self {
        FreeList {
            head: ptr::null_mut(),
            len: 0,
        }
    }

    pub fn push(&mut self, key: u64) {
        let node = Box::into_raw(Box::new(Node {
            key,
            next: self.head,
        }));
        self.head = node;
        self.len += 1;
    }

    unsafe fn release(node: *mut Node) {
        drop(Box::from_raw(node));
    }

    /// Drops every node for which `keep` returns false.
    pub fn retain<F: Fn(u64) -> bool>(&mut self, keep: F) {
        let mut prev: *mut Node = ptr::null_mut();
        let mut cur = self.head;
        unsafe {
            while !cur.is_null() {
                if keep((*cur).key) {
                    prev = cur;
                    cur = (*cur).next;
                    continue;
                }
                Self::release(cur);
                let next = (*cur).next; //~ dangling-pointer
                if prev.is_null() {
                    self.head = next;
                } else {
                    (*prev).next = next;
                }
                self.len -= 1;
                cur = next;
            }
        }
    }

    pub fn pop(&mut self) -> Option<u64> {
        if self.head.is_null() {
            return None;
        }
        unsafe {
            let node = Box::from_raw(self.head);
            self.head = node.next;
            self.len -= 1;
            Some(node.key)
        }
    }
}

impl Drop for FreeList {
    fn drop(&mut self) {
        while self.pop().is_some() {}
    }
}

pub struct Scratch {
    buf: [u8; 64],
    cursor: *mut u8,
    used: usize,
}

impl Scratch {
    pub fn new() -> Scratch {
        let mut scratch = Scratch {
            buf: [0; 64],
            cursor: ptr::null_mut(),
            used: 0,
        };
        scratch.cursor = scratch.buf.as_mut_ptr();
        scratch
    }

    pub fn push_byte(&mut self, b: u8) {
        if self.used < self.buf.len() {
            unsafe { self.cursor.add(self.used).write(b) }; //~ dangling-pointer
            self.used += 1;
        }
    }

    pub fn push_checked(&mut self, b: u8) {
        if self.used < self.buf.len() {
            let base = self.buf.as_mut_ptr();
            unsafe { base.add(self.used).write(b) };
            self.used += 1;
        }
    }
}

fn encode_header(version: u8, flags: u8) -> *const u8 {
    let header = vec![0x7f, b'S', b'Y', b'M', version, flags];
    header.as_ptr() //~ dangling-pointer
}

pub fn header_checksum(version: u8, flags: u8) -> u32 {
    let p = encode_header(version, flags);
    let bytes = unsafe { slice::from_raw_parts(p, 6) };
    bytes.iter().map(|&b| b as u32).sum()
}

pub fn append_path(base: &mut String, extra: &[&str]) -> usize {
    let start = base.as_ptr();
    let original = base.len();
    for part in extra {
        base.push('/');
        base.push_str(part);
    }
    let head = unsafe { slice::from_raw_parts(start, original) }; //~ dangling-pointer
    head.iter().filter(|&&b| b == b'/').count()
}

pub fn append_path_checked(base: &mut String, extra: &[&str]) -> usize {
    let original = base.len();
    for part in extra {
        base.push('/');
        base.push_str(part);
    }
    let head = unsafe { slice::from_raw_parts(base.as_ptr(), original) };
    head.iter().filter(|&&b| b == b'/').count()
}
