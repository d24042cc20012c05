// Scenario: intrusive linked list + small-vector cache inside a packet
// reassembly engine; uses raw pointers for speed.
use std::ptr::{self, NonNull};

struct Node {
    seq: u32,
    payload: Vec<u8>,
    next: *mut Node,
}

pub struct Reassembly {
    head: *mut Node,
    scratch: Vec<u32>,
}

impl Reassembly {
    pub fn new() -> Self {
        Reassembly { head: ptr::null_mut(), scratch: Vec::new() }
    }

    pub fn push(&mut self, seq: u32, payload: Vec<u8>) {
        let node = Box::into_raw(Box::new(Node { seq, payload, next: self.head }));
        self.head = node;
    }

    pub fn pop_front(&mut self) -> Option<Vec<u8>> {
        if self.head.is_null() {
            return None;
        }
        let boxed = unsafe { Box::from_raw(self.head) };
        self.head = boxed.next;
        Some(boxed.payload)
    }

    pub fn drop_head_and_peek(&mut self) -> Option<u32> {
        if self.head.is_null() {
            return None;
        }
        let old = self.head;
        unsafe {
            self.head = (*old).next;
            drop(Box::from_raw(old));
            Some((*old).seq) //~ dangling-pointer
        }
    }

    pub fn first_seq_after_insert(&mut self, extra: u32) -> u32 {
        self.scratch.push(0);
        let first = self.scratch.as_ptr();
        self.scratch.push(extra);
        unsafe { *first } //~ dangling-pointer
    }

    pub fn last_seq(&self) -> Option<u32> {
        let mut cur = self.head;
        let mut last = None;
        while let Some(n) = NonNull::new(cur) {
            let node = unsafe { n.as_ref() };
            last = Some(node.seq);
            cur = node.next;
        }
        last
    }

    pub fn checksum_slice(&self) -> u32 {
        let data: *const u8 = {
            let tmp = vec![1u8, 2, 3, 4];
            tmp.as_ptr()
        };
        let bytes = unsafe { std::slice::from_raw_parts(data, 4) }; //~ dangling-pointer
        bytes.iter().map(|b| *b as u32).sum()
    }

    pub fn scratch_sum(&mut self) -> u32 {
        self.scratch.reserve(16);
        let p = self.scratch.as_ptr();
        let len = self.scratch.len();
        unsafe { std::slice::from_raw_parts(p, len) }.iter().sum()
    }
}

impl Drop for Reassembly {
    fn drop(&mut self) {
        while self.pop_front().is_some() {}
    }
}
