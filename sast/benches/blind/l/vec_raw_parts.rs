//! Buffer pool and block writer for the columnar export pipeline.

use http::HeaderMap;
use std::alloc::{self, Layout};
use std::io::{self, Read};
use std::mem::ManuallyDrop;
use std::ptr;

const RECORD_SIZE: usize = 64;
const MAX_RECORDS_HINT: usize = 1 << 16;
const MAX_COLUMNS: usize = 1024;

#[derive(Clone, Copy)]
pub struct RawBuf {
    ptr: *mut u8,
    len: usize,
    cap: usize,
}

impl RawBuf {
    fn from_vec(v: Vec<u8>) -> Self {
        let mut v = ManuallyDrop::new(v);
        Self {
            ptr: v.as_mut_ptr(),
            len: v.len(),
            cap: v.capacity(),
        }
    }

    unsafe fn into_vec(self) -> Vec<u8> {
        Vec::from_raw_parts(self.ptr, self.len, self.cap)
    }
}

pub struct BufferPool {
    free: Vec<Vec<u8>>,
    buf_size: usize,
}

impl BufferPool {
    pub fn for_records(expected: usize) -> Self {
        let buf_size = expected * RECORD_SIZE;
        let first = Vec::with_capacity(buf_size); //~ unbounded-allocation
        Self {
            free: vec![first],
            buf_size,
        }
    }

    pub fn for_records_bounded(expected: usize) -> Self {
        let buf_size = expected.min(MAX_RECORDS_HINT) * RECORD_SIZE;
        Self {
            free: vec![Vec::with_capacity(buf_size)],
            buf_size,
        }
    }

    pub fn take(&mut self) -> RawBuf {
        let v = self
            .free
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(self.buf_size));
        RawBuf::from_vec(v)
    }

    pub fn give_back(&mut self, raw: RawBuf) {
        let mut v = unsafe { raw.into_vec() };
        v.clear();
        self.free.push(v);
    }

    pub fn discard(&mut self, raw: RawBuf) {
        drop(unsafe { raw.into_vec() });
    }
}

fn expected_records(headers: &HeaderMap) -> usize {
    headers
        .get("x-expected-records")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.parse().ok())
        .unwrap_or(1024)
}

pub fn pool_for_request(headers: &HeaderMap, bounded: bool) -> BufferPool {
    let n = expected_records(headers);
    if bounded {
        BufferPool::for_records_bounded(n)
    } else {
        BufferPool::for_records(n)
    }
}

pub fn stage_and_flush(pool: &mut BufferPool, row: &[u8]) -> u8 {
    let raw = pool.take();
    let mut v = unsafe { raw.into_vec() };
    v.extend_from_slice(row);
    let staged = RawBuf::from_vec(v);
    let first = unsafe { *staged.ptr };
    pool.give_back(staged);
    first
}

pub fn flush_oversized(pool: &mut BufferPool, raw: RawBuf) -> u8 {
    pool.discard(raw);
    unsafe { *raw.ptr } //~ dangling-pointer
}

fn reserve_header(buf: &mut Vec<u8>) -> *mut u8 {
    buf.extend_from_slice(&[0u8; 4]);
    unsafe { buf.as_mut_ptr().add(buf.len() - 4) }
}

pub fn write_block(buf: &mut Vec<u8>, rows: &[&[u8]]) {
    let hdr = reserve_header(buf);
    for r in rows {
        buf.extend_from_slice(r);
    }
    let count = (rows.len() as u32).to_le_bytes();
    unsafe { ptr::copy_nonoverlapping(count.as_ptr(), hdr, 4) }; //~ dangling-pointer
}

pub fn write_block_indexed(buf: &mut Vec<u8>, rows: &[&[u8]]) {
    let at = buf.len();
    buf.extend_from_slice(&[0u8; 4]);
    for r in rows {
        buf.extend_from_slice(r);
    }
    buf[at..at + 4].copy_from_slice(&(rows.len() as u32).to_le_bytes());
}

fn encode_row(fields: &[&str]) -> Vec<u8> {
    fields.join("\x1f").into_bytes()
}

fn as_c_slice(data: Vec<u8>) -> (*const u8, usize) {
    (data.as_ptr(), data.len())
}

pub fn row_checksum(fields: &[&str]) -> u32 {
    let (p, n) = as_c_slice(encode_row(fields));
    let bytes = unsafe { std::slice::from_raw_parts(p, n) }; //~ dangling-pointer
    bytes
        .iter()
        .fold(0u32, |acc, b| acc.rotate_left(5) ^ u32::from(*b))
}

pub fn row_checksum_owned(fields: &[&str]) -> u32 {
    let encoded = encode_row(fields);
    let (p, n) = (encoded.as_ptr(), encoded.len());
    let bytes = unsafe { std::slice::from_raw_parts(p, n) };
    bytes
        .iter()
        .fold(0u32, |acc, b| acc.rotate_left(5) ^ u32::from(*b))
}

pub struct ColumnIndex {
    offsets: *mut u64,
    layout: Layout,
}

fn read_column_count<R: Read>(r: &mut R) -> io::Result<usize> {
    let mut raw = [0u8; 4];
    r.read_exact(&mut raw)?;
    Ok(u32::from_le_bytes(raw) as usize)
}

pub fn load_index<R: Read>(r: &mut R) -> io::Result<ColumnIndex> {
    let columns = read_column_count(r)?;
    let layout = Layout::array::<u64>(columns.max(1)).map_err(|_| io::ErrorKind::InvalidData)?;
    let offsets = unsafe { alloc::alloc(layout) } as *mut u64; //~ unbounded-allocation
    Ok(ColumnIndex { offsets, layout })
}

pub fn load_index_checked<R: Read>(r: &mut R) -> io::Result<ColumnIndex> {
    let columns = read_column_count(r)?;
    if columns == 0 || columns > MAX_COLUMNS {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "column count"));
    }
    let layout = Layout::array::<u64>(columns).map_err(|_| io::ErrorKind::InvalidData)?;
    let offsets = unsafe { alloc::alloc(layout) } as *mut u64;
    Ok(ColumnIndex { offsets, layout })
}

impl Drop for ColumnIndex {
    fn drop(&mut self) {
        unsafe { alloc::dealloc(self.offsets as *mut u8, self.layout) };
    }
}

pub struct PoolNode {
    size: usize,
    next: *mut PoolNode,
}

pub fn recycle_node(p: *mut PoolNode) -> usize {
    let node = unsafe { Box::from_raw(p) };
    let size = node.size;
    drop(node);
    unsafe { (*p).size + size } //~ dangling-pointer
}
