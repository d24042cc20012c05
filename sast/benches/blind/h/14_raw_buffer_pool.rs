use std::ptr::{self, NonNull};

pub struct Slot {
    pub len: usize,
    pub data: [u8; 64],
}

pub struct Pool {
    free: Vec<*mut Slot>,
    bytes: Vec<u8>,
    cursor: *mut u8,
}

impl Pool {
    pub fn new() -> Self {
        let mut bytes = Vec::with_capacity(16);
        let cursor = bytes.as_mut_ptr();
        Pool { free: Vec::new(), bytes, cursor }
    }

    pub fn acquire(&mut self) -> *mut Slot {
        self.free.pop().unwrap_or_else(|| Box::into_raw(Box::new(Slot { len: 0, data: [0; 64] })))
    }

    pub fn recycle(&mut self, s: *mut Slot) {
        self.free.push(s);
    }

    pub fn destroy(&mut self, s: *mut Slot) {
        unsafe { drop(Box::from_raw(s)) };
    }

    fn grow(&mut self, extra: usize) {
        self.bytes.reserve(extra);
    }

    pub fn append(&mut self, chunk: &[u8]) {
        self.grow(chunk.len());
        unsafe {
            ptr::copy_nonoverlapping(chunk.as_ptr(), self.cursor.add(self.bytes.len()), chunk.len()); //~ dangling-pointer
            self.bytes.set_len(self.bytes.len() + chunk.len());
        }
    }

    pub fn append_fresh(&mut self, chunk: &[u8]) {
        self.grow(chunk.len());
        unsafe {
            let dst = self.bytes.as_mut_ptr().add(self.bytes.len());
            ptr::copy_nonoverlapping(chunk.as_ptr(), dst, chunk.len());
            self.bytes.set_len(self.bytes.len() + chunk.len());
        }
    }
}

pub fn slot_roundtrip(pool: &mut Pool, payload: &[u8]) -> usize {
    let s = pool.acquire();
    unsafe {
        let n = payload.len().min(64);
        (*s).data[..n].copy_from_slice(&payload[..n]);
        (*s).len = n;
    }
    pool.destroy(s);
    unsafe { (*s).len } //~ dangling-pointer
}

pub fn slot_roundtrip_ok(pool: &mut Pool, payload: &[u8]) -> usize {
    let s = pool.acquire();
    let n = unsafe {
        let n = payload.len().min(64);
        (*s).data[..n].copy_from_slice(&payload[..n]);
        (*s).len = n;
        (*s).len
    };
    pool.recycle(s);
    n
}

fn extend_with(v: &mut Vec<u32>, n: usize) {
    v.resize(v.len() + n, 0);
}

pub fn first_after_extend(mut v: Vec<u32>) -> u32 {
    let head = v.as_ptr();
    let before = unsafe { *head };
    extend_with(&mut v, 1024);
    let after = unsafe { *head }; //~ dangling-pointer
    before + after
}

pub fn first_after_push(mut v: Vec<u32>) -> u32 {
    v.push(7);
    let head = v.as_ptr();
    unsafe { *head }
}

pub fn last_byte_after_push(mut buf: Vec<u8>, b: u8) -> u8 {
    let p = buf.as_ptr();
    buf.push(b);
    unsafe { *p.add(buf.len() - 1) } //~ dangling-pointer
}

fn consume(s: String) -> usize {
    s.len()
}

pub fn header_byte(line: String) -> u8 {
    let p = line.as_ptr();
    let n = consume(line);
    if n == 0 {
        return 0;
    }
    unsafe { *p } //~ dangling-pointer
}

pub fn header_byte_ok(line: String) -> u8 {
    let p = NonNull::new(line.as_ptr() as *mut u8);
    let b = match (p, line.is_empty()) {
        (Some(p), false) => unsafe { *p.as_ptr() },
        _ => 0,
    };
    let _ = consume(line);
    b
}
