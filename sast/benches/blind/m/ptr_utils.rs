use std::fs::File;
use std::io::{self, Read};
use std::os::raw::c_void;
use std::ptr::{self, NonNull};

const MAX_RING: usize = 1 << 22;

#[repr(C)]
pub struct RawBuffer {
    pub data: *mut u8,
    pub len: usize,
}

extern "C" {
    fn rb_alloc(len: usize) -> *mut RawBuffer;
    fn rb_free(buf: *mut RawBuffer);
    fn rb_submit(data: *const c_void, len: usize) -> i32;
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct RingHeader {
    pub capacity: u32,
    pub head: u32,
    pub tail: u32,
}

pub struct Ring {
    header: RingHeader,
    slots: Vec<u8>,
    label: Vec<u8>,
}

pub struct Handle {
    raw: *mut RawBuffer,
}

impl Handle {
    pub fn open(len: usize) -> Option<Self> {
        let raw = unsafe { rb_alloc(len.min(MAX_RING)) };
        (!raw.is_null()).then_some(Self { raw })
    }

    pub fn len(&self) -> usize {
        if self.raw.is_null() {
            return 0;
        }
        unsafe { (*self.raw).len }
    }

    pub fn close(&mut self) {
        if !self.raw.is_null() {
            unsafe { rb_free(self.raw) };
            self.raw = ptr::null_mut();
        }
    }
}

pub fn read_header(path: &str) -> io::Result<RingHeader> {
    let mut f = File::open(path)?;
    let mut b = [0u8; 12];
    f.read_exact(&mut b)?;
    let word = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    Ok(RingHeader { capacity: word(0), head: word(4), tail: word(8) })
}

impl Ring {
    pub fn restore(path: &str) -> io::Result<Self> {
        let header = read_header(path)?;
        let slots = Vec::with_capacity(header.capacity as usize); //~ unbounded-allocation
        Ok(Self { header, slots, label: path.as_bytes().to_vec() })
    }

    pub fn restore_bounded(path: &str) -> io::Result<Self> {
        let header = read_header(path)?;
        if header.capacity as usize > MAX_RING {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "ring too large"));
        }
        Ok(Self { header, slots: vec![0; header.capacity as usize], label: path.as_bytes().to_vec() })
    }

    pub fn label_ptr(&self) -> *const u8 {
        self.label.as_ptr()
    }

    pub fn label_copy_ptr(&self) -> *const u8 {
        let local = self.label.clone();
        local.as_ptr() //~ dangling-pointer
    }

    pub fn submit_slots(&self) -> i32 {
        unsafe { rb_submit(self.slots.as_ptr() as *const c_void, self.slots.len()) }
    }

    pub fn submit_snapshot(&self) -> i32 {
        let snapshot: Vec<u8> = self.slots.iter().copied().collect();
        let p = snapshot.as_ptr();
        let n = snapshot.len();
        drop(snapshot);
        unsafe { rb_submit(p as *const c_void, n) } //~ dangling-pointer
    }

    pub fn used(&self) -> u32 {
        self.header.tail.wrapping_sub(self.header.head)
    }
}

pub fn boxed_len(values: Vec<u32>) -> usize {
    let b = Box::new(values);
    let p = Box::into_raw(b);
    let n = unsafe { (*p).len() };
    unsafe { drop(Box::from_raw(p)) };
    n
}

pub fn boxed_first(values: Vec<u32>) -> Option<u32> {
    let p = Box::into_raw(Box::new(values));
    unsafe { drop(Box::from_raw(p)) };
    unsafe { (*p).first().copied() } //~ dangling-pointer
}

pub fn handle_len_after_close(mut h: Handle) -> usize {
    let n = h.len();
    h.close();
    n + h.len()
}

pub fn handle_peek(mut h: Handle) -> u8 {
    let raw = h.raw;
    h.close();
    unsafe { *(*raw).data } //~ dangling-pointer
}

pub fn non_null_label(ring: &Ring) -> Option<NonNull<u8>> {
    NonNull::new(ring.label_ptr() as *mut u8)
}
