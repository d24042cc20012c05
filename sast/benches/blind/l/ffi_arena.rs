//! Bump arena, intrusive free list and snapshot loader for the label interner.

use std::alloc::{alloc, alloc_zeroed, dealloc, Layout};
use std::io::{self, Read};
use std::ptr::{self, NonNull};

const MAGIC: u32 = 0x4C42_4C31;
const MAX_SNAPSHOT_BYTES: usize = 64 << 20;
const MAX_RECORDS: usize = 100_000;
const DEFAULT_HEADER: [u8; 16] = [0x31, 0x4C, 0x42, 0x4C, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

struct Chunk {
    base: NonNull<u8>,
    layout: Layout,
    used: usize,
}

pub struct Arena {
    chunks: Vec<Chunk>,
    chunk_size: usize,
}

#[derive(Clone, Copy)]
pub struct RawStr {
    ptr: *const u8,
    len: usize,
}

impl Arena {
    pub fn with_chunk_size(chunk_size: usize) -> Self {
        let chunks = Vec::new();
        Self { chunks, chunk_size }
    }

    fn new_chunk(&mut self, min: usize) {
        let size = self.chunk_size.max(min).max(1);
        let layout = Layout::from_size_align(size, 16).expect("layout");
        let base = NonNull::new(unsafe { alloc(layout) }).expect("out of memory");
        let used = 0;
        self.chunks.push(Chunk { base, layout, used });
    }

    pub fn alloc_bytes(&mut self, bytes: &[u8]) -> RawStr {
        let n = bytes.len();
        let room = self.chunks.last().map_or(0, |c| c.layout.size() - c.used);
        if room < n {
            self.new_chunk(n);
        }
        let chunk = self.chunks.last_mut().unwrap();
        unsafe {
            let dst = chunk.base.as_ptr().add(chunk.used);
            ptr::copy_nonoverlapping(bytes.as_ptr(), dst, n);
            chunk.used += n;
            RawStr { ptr: dst, len: n }
        }
    }

    pub fn reset(&mut self) {
        for c in self.chunks.drain(..) {
            unsafe { dealloc(c.base.as_ptr(), c.layout) };
        }
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        self.reset();
    }
}

impl RawStr {
    pub unsafe fn as_str<'a>(&self) -> &'a str {
        std::str::from_utf8_unchecked(std::slice::from_raw_parts(self.ptr, self.len))
    }
}

fn intern_all(arena: &mut Arena, names: &[&str]) -> Vec<RawStr> {
    names
        .iter()
        .map(|n| arena.alloc_bytes(n.as_bytes()))
        .collect()
}

pub fn label_bytes(names: &[&str]) -> usize {
    let mut arena = Arena::with_chunk_size(4096);
    let handles = intern_all(&mut arena, names);
    handles.iter().map(|h| unsafe { h.as_str() }.len()).sum()
}

pub fn first_label_initial(names: &[&str]) -> Option<u8> {
    let handles = intern_all(&mut Arena::with_chunk_size(1024), names);
    let first = handles.first()?;
    Some(unsafe { *first.ptr }) //~ dangling-pointer
}

pub fn relabel(arena: &mut Arena, names: &[&str]) -> String {
    let handles = intern_all(arena, names);
    arena.reset();
    let mut out = String::new();
    for h in &handles {
        let bytes = unsafe { std::slice::from_raw_parts(h.ptr, h.len) }; //~ dangling-pointer
        out.push_str(&String::from_utf8_lossy(bytes));
    }
    out
}

struct Node {
    value: u64,
    next: *mut Node,
}

pub struct FreeList {
    head: *mut Node,
}

impl FreeList {
    pub fn push(&mut self, value: u64) {
        let next = self.head;
        self.head = Box::into_raw(Box::new(Node { value, next }));
    }

    pub fn pop(&mut self) -> Option<u64> {
        if self.head.is_null() {
            return None;
        }
        let node = unsafe { Box::from_raw(self.head) };
        self.head = node.next;
        Some(node.value)
    }

    fn release_head(&mut self) -> *mut Node {
        let old = self.head;
        if !old.is_null() {
            unsafe {
                self.head = (*old).next;
                drop(Box::from_raw(old));
            }
        }
        old
    }

    pub fn discard_and_report(&mut self) -> Option<u64> {
        let released = self.release_head();
        if released.is_null() {
            return None;
        }
        Some(unsafe { (*released).value }) //~ dangling-pointer
    }
}

#[repr(C)]
struct SnapshotHeader {
    magic: u32,
    version: u32,
    payload_len: u32,
    record_count: u32,
}

impl SnapshotHeader {
    fn read_from<R: Read>(r: &mut R) -> io::Result<Self> {
        let mut raw = [0u8; 16];
        r.read_exact(&mut raw)?;
        let u32_at = |i: usize| u32::from_le_bytes([raw[i], raw[i + 1], raw[i + 2], raw[i + 3]]);
        Ok(Self {
            magic: u32_at(0),
            version: u32_at(4),
            payload_len: u32_at(8),
            record_count: u32_at(12),
        })
    }
}

fn default_header() -> *const SnapshotHeader {
    let header = SnapshotHeader::read_from(&mut &DEFAULT_HEADER[..]).expect("static header");
    &header as *const SnapshotHeader
}

pub fn default_version() -> u32 {
    let h = default_header();
    unsafe { (*h).version } //~ dangling-pointer
}

pub struct Snapshot {
    data: NonNull<u8>,
    layout: Layout,
    recs: Vec<[u8; 16]>,
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        unsafe { dealloc(self.data.as_ptr(), self.layout) };
    }
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

pub fn load_snapshot<R: Read>(r: &mut R) -> io::Result<Snapshot> {
    let header = SnapshotHeader::read_from(r)?;
    if header.magic != MAGIC {
        return Err(bad("bad magic"));
    }
    let layout = Layout::array::<u8>(header.payload_len as usize).map_err(|_| bad("layout"))?;
    let data = unsafe { alloc_zeroed(layout) }; //~ unbounded-allocation
    let data = NonNull::new(data).ok_or_else(|| bad("oom"))?;
    let mut recs = vec![[0u8; 16]; header.record_count as usize]; //~ unbounded-allocation
    for rec in recs.iter_mut() {
        r.read_exact(rec)?;
    }
    Ok(Snapshot { data, layout, recs })
}

pub fn load_snapshot_checked<R: Read>(r: &mut R) -> io::Result<Snapshot> {
    let header = SnapshotHeader::read_from(r)?;
    let len = header.payload_len as usize;
    if header.magic != MAGIC || len == 0 || len > MAX_SNAPSHOT_BYTES {
        return Err(bad("rejected header"));
    }
    let layout = Layout::array::<u8>(len).map_err(|_| bad("layout"))?;
    let data = NonNull::new(unsafe { alloc_zeroed(layout) }).ok_or_else(|| bad("oom"))?;
    let count = (header.record_count as usize).min(MAX_RECORDS);
    let mut recs = vec![[0u8; 16]; count];
    for rec in recs.iter_mut() {
        r.read_exact(rec)?;
    }
    Ok(Snapshot { data, layout, recs })
}
