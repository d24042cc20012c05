//! Bump arena and message slabs used by the telemetry collector's decode path.

use std::alloc::{alloc, alloc_zeroed, dealloc, Layout};
use std::ptr::{self, NonNull};

const ALIGN: usize = 16;
const MAX_ARENA: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone, Copy)]
pub struct WireHeader {
    pub arena_hint: u32,
    pub body_len: u32,
    pub records: u16,
}

pub fn read_wire_header(buf: &[u8]) -> Option<WireHeader> {
    let b = buf.get(..10)?;
    Some(WireHeader {
        arena_hint: u32::from_le_bytes(b[0..4].try_into().ok()?),
        body_len: u32::from_le_bytes(b[4..8].try_into().ok()?),
        records: u16::from_le_bytes(b[8..10].try_into().ok()?),
    })
}

pub struct Arena {
    base: NonNull<u8>,
    layout: Layout,
    used: usize,
}

#[derive(Clone, Copy)]
pub struct Slot {
    ptr: *mut u8,
    len: usize,
}

impl Arena {
    pub fn with_capacity(bytes: usize) -> Option<Self> {
        let layout = Layout::from_size_align(bytes.max(1), ALIGN).ok()?;
        // SAFETY: layout has non-zero size.
        let base = NonNull::new(unsafe { alloc(layout) })?; //~ unbounded-allocation
        Some(Arena {
            base,
            layout,
            used: 0,
        })
    }

    pub fn bounded(bytes: usize) -> Option<Self> {
        let layout = Layout::from_size_align(bytes.clamp(1, MAX_ARENA), ALIGN).ok()?;
        // SAFETY: layout has non-zero size and is capped at MAX_ARENA.
        let base = NonNull::new(unsafe { alloc(layout) })?;
        Some(Arena {
            base,
            layout,
            used: 0,
        })
    }

    pub fn alloc_slot(&mut self, len: usize) -> Option<Slot> {
        let start = (self.used + ALIGN - 1) & !(ALIGN - 1);
        if start.checked_add(len)? > self.layout.size() {
            return None;
        }
        self.used = start + len;
        // SAFETY: start + len is within the arena block.
        let ptr = unsafe { self.base.as_ptr().add(start) };
        Some(Slot { ptr, len })
    }

    pub fn reset(&mut self) {
        // SAFETY: base/layout came from `alloc` with the same layout.
        unsafe { dealloc(self.base.as_ptr(), self.layout) };
        // SAFETY: layout is unchanged and non-zero.
        let fresh = unsafe { alloc(self.layout) };
        self.base = NonNull::new(fresh).expect("arena realloc");
        self.used = 0;
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        // SAFETY: base/layout came from `alloc` with the same layout.
        unsafe { dealloc(self.base.as_ptr(), self.layout) }
    }
}

pub struct Body {
    ptr: *mut u8,
    layout: Layout,
}

impl Body {
    pub fn zeroed(len: usize) -> Option<Self> {
        let layout = Layout::array::<u8>(len.max(1)).ok()?;
        // SAFETY: layout is non-zero sized.
        let ptr = unsafe { alloc_zeroed(layout) }; //~ unbounded-allocation
        (!ptr.is_null()).then_some(Body { ptr, layout })
    }

    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: ptr is valid for layout.size() bytes for the life of self.
        unsafe { std::slice::from_raw_parts(self.ptr, self.layout.size()) }
    }
}

impl Drop for Body {
    fn drop(&mut self) {
        // SAFETY: allocated with this exact layout in `zeroed`.
        unsafe { dealloc(self.ptr, self.layout) }
    }
}

fn tag_ptr(tag: String) -> *const u8 {
    tag.as_ptr()
}

fn copy_into(slot: Slot, src: &[u8]) {
    let n = slot.len.min(src.len());
    // SAFETY: slot.ptr is valid for slot.len bytes inside the arena.
    unsafe { ptr::copy_nonoverlapping(src.as_ptr(), slot.ptr, n) }
}

pub fn decode_batch(frame: &[u8]) -> Option<Vec<u8>> {
    let hdr = read_wire_header(frame)?;
    let mut arena = Arena::with_capacity(hdr.arena_hint as usize)?;
    let body = Body::zeroed(hdr.body_len as usize)?;
    let payload = &frame[10..];
    let first = arena.alloc_slot(payload.len().min(body.as_slice().len()))?;
    copy_into(first, payload);
    let mut out = Vec::with_capacity(first.len);
    // SAFETY: first was handed out by this arena and the arena is still alive.
    out.extend_from_slice(unsafe { std::slice::from_raw_parts(first.ptr, first.len) });
    if hdr.records > 1 {
        arena.reset();
        // SAFETY: the arena block is reused in place, so first.ptr still addresses it.
        let marker = unsafe { *first.ptr }; //~ dangling-pointer
        out.push(marker);
    }
    Some(out)
}

pub fn label_byte(kind: u16) -> u8 {
    let p = tag_ptr(format!("kind-{}", kind));
    // SAFETY: tag_ptr returns a pointer to the start of a non-empty label.
    unsafe { *p } //~ dangling-pointer
}

pub struct Node {
    pub value: u64,
    pub next: *mut Node,
}

pub fn push_and_sum(values: &[u64]) -> u64 {
    let mut head: *mut Node = ptr::null_mut();
    for &v in values {
        head = Box::into_raw(Box::new(Node {
            value: v,
            next: head,
        }));
    }
    let mut total = 0;
    while !head.is_null() {
        // SAFETY: head was produced by Box::into_raw above and is reclaimed exactly once.
        let node = unsafe { Box::from_raw(head) };
        total += node.value;
        head = node.next;
    }
    let last = Box::into_raw(Box::new(Node {
        value: total,
        next: ptr::null_mut(),
    }));
    // SAFETY: last is a unique pointer to a live node; it is released right after reading.
    unsafe { drop(Box::from_raw(last)) };
    // SAFETY: the node held a plain u64, reading it back does not touch freed links.
    let checksum = unsafe { (*last).value }; //~ dangling-pointer
    checksum ^ total
}
