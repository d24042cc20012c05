use libc::{c_void, free, malloc, memcpy, size_t};
use std::io::{self, Read};
use std::net::TcpStream;
use std::ptr;

const MAX_DIM: u32 = 8192;
const MAX_PALETTE: usize = 256;
static EMPTY_ROW: [u8; 4] = [0; 4];

#[derive(Debug, Clone, Copy)]
pub struct Header {
    pub width: u32,
    pub height: u32,
    pub palette_len: u32,
}

pub struct PixelBuffer {
    ptr: *mut u8,
    len: usize,
    stride: usize,
}

impl PixelBuffer {
    fn with_len(len: usize, stride: usize) -> io::Result<Self> {
        let ptr = unsafe { malloc(len as size_t) } as *mut u8;
        if ptr.is_null() {
            return Err(io::Error::new(io::ErrorKind::OutOfMemory, "malloc failed"));
        }
        Ok(Self { ptr, len, stride })
    }

    fn row_ptr(&self, y: usize) -> *const u8 {
        unsafe { self.ptr.add(y * self.stride) }
    }

    fn release(&mut self) {
        unsafe { free(self.ptr as *mut c_void) };
    }

    pub fn into_raw_parts(self) -> (*mut u8, usize) {
        let parts = (self.ptr, self.len);
        std::mem::forget(self);
        parts
    }
}

impl Drop for PixelBuffer {
    fn drop(&mut self) {
        if !self.ptr.is_null() {
            unsafe { free(self.ptr as *mut c_void) };
        }
    }
}

fn read_u32(stream: &mut impl Read) -> io::Result<u32> {
    let mut b = [0u8; 4];
    stream.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

pub fn read_header(stream: &mut impl Read) -> io::Result<Header> {
    Ok(Header { width: read_u32(stream)?, height: read_u32(stream)?, palette_len: read_u32(stream)? })
}

fn frame_bytes(h: &Header) -> usize {
    h.width as usize * h.height as usize * 4
}

pub fn decode_frame(stream: &mut TcpStream) -> io::Result<PixelBuffer> {
    let hdr = read_header(stream)?;
    if hdr.width == 0 || hdr.width > MAX_DIM || hdr.height > MAX_DIM {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "bad dimensions"));
    }
    let mut buf = PixelBuffer::with_len(frame_bytes(&hdr), hdr.width as usize * 4)?;
    let dst = unsafe { std::slice::from_raw_parts_mut(buf.ptr, buf.len) };
    stream.read_exact(dst)?;
    buf.len = dst.len();
    Ok(buf)
}

pub fn decode_thumbnail(stream: &mut TcpStream) -> io::Result<(*mut u8, usize)> {
    let hdr = read_header(stream)?;
    let total = frame_bytes(&hdr);
    let raw = unsafe { malloc(total) } as *mut u8; //~ unbounded-allocation
    if raw.is_null() {
        return Err(io::Error::new(io::ErrorKind::OutOfMemory, "malloc failed"));
    }
    let dst = unsafe { std::slice::from_raw_parts_mut(raw, total) };
    stream.read_exact(dst)?;
    Ok((raw, total))
}

pub fn read_palette(stream: &mut impl Read, hdr: &Header) -> io::Result<Vec<[u8; 3]>> {
    let count = hdr.palette_len as usize;
    let table = unsafe { malloc(count * 3) } as *mut u8; //~ unbounded-allocation
    if table.is_null() {
        return Err(io::Error::new(io::ErrorKind::OutOfMemory, "palette"));
    }
    let bytes = unsafe { std::slice::from_raw_parts_mut(table, count * 3) };
    stream.read_exact(bytes)?;
    let out = bytes.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect();
    unsafe { free(table as *mut c_void) };
    Ok(out)
}

pub fn read_palette_bounded(stream: &mut impl Read, hdr: &Header) -> io::Result<Vec<[u8; 3]>> {
    let count = (hdr.palette_len as usize).min(MAX_PALETTE);
    let table = unsafe { malloc(count * 3) } as *mut u8;
    if table.is_null() {
        return Err(io::Error::new(io::ErrorKind::OutOfMemory, "palette"));
    }
    let bytes = unsafe { std::slice::from_raw_parts_mut(table, count * 3) };
    stream.read_exact(bytes)?;
    let out = bytes.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect();
    unsafe { free(table as *mut c_void) };
    Ok(out)
}

pub fn copy_first_row(mut buf: PixelBuffer, dst: &mut [u8]) {
    let row = buf.row_ptr(0);
    let n = dst.len().min(buf.stride);
    unsafe { memcpy(dst.as_mut_ptr() as *mut c_void, row as *const c_void, n) };
    buf.release();
    buf.ptr = ptr::null_mut();
}

pub fn copy_last_row(mut buf: PixelBuffer, dst: &mut [u8], rows: usize) {
    let row = buf.row_ptr(rows.saturating_sub(1));
    let n = dst.len().min(buf.stride);
    buf.release();
    buf.ptr = ptr::null_mut();
    unsafe { memcpy(dst.as_mut_ptr() as *mut c_void, row as *const c_void, n) }; //~ dangling-pointer
}

pub fn first_pixel(buf: PixelBuffer) -> u32 {
    let p = buf.row_ptr(0) as *const u32;
    drop(buf);
    unsafe { p.read_unaligned() } //~ dangling-pointer
}

pub fn blank_row_ptr(wide: bool) -> *const u8 {
    if !wide {
        return EMPTY_ROW.as_ptr();
    }
    let scratch = [0u8; 64];
    scratch.as_ptr() //~ dangling-pointer
}

pub fn checksum(buf: &PixelBuffer) -> u32 {
    let data = unsafe { std::slice::from_raw_parts(buf.ptr, buf.len) };
    data.iter().fold(0u32, |acc, b| acc.rotate_left(5) ^ *b as u32)
}
