//! Safe-ish wrapper around libpix, the C imaging library used by the upload service.

use libc::{c_char, c_int, c_void, size_t};
use std::ffi::{CStr, CString};

const MAX_DIM: u32 = 8192;

#[repr(C)]
pub struct PixImage {
    _private: [u8; 0],
}

extern "C" {
    fn pix_open(path: *const c_char) -> *mut PixImage;
    fn pix_set_title(img: *mut PixImage, title: *const c_char) -> c_int;
    fn pix_decode_rgba(data: *const u8, len: size_t, out: *mut u8, out_len: size_t) -> c_int;
    fn pix_close(img: *mut PixImage);
    fn pix_last_error() -> *const c_char;
}

fn last_error() -> String {
    unsafe {
        let msg = pix_last_error();
        if msg.is_null() {
            return "unknown libpix error".to_owned();
        }
        CStr::from_ptr(msg).to_string_lossy().into_owned()
    }
}

fn to_c_path(path: &str) -> *const c_char {
    CString::new(path).expect("nul byte in path").as_ptr()
}

pub struct Image {
    raw: *mut PixImage,
}

impl Image {
    pub fn open(path: &str) -> Result<Self, String> {
        let c_path = to_c_path(path);
        let raw = unsafe { pix_open(c_path) }; //~ dangling-pointer
        if raw.is_null() {
            return Err(last_error());
        }
        Ok(Self { raw })
    }

    pub fn open_owned(path: &str) -> Result<Self, String> {
        let c_path = CString::new(path).map_err(|e| e.to_string())?;
        let raw = unsafe { pix_open(c_path.as_ptr()) };
        if raw.is_null() {
            return Err(last_error());
        }
        Ok(Self { raw })
    }

    pub fn set_title(&mut self, title: &str) -> Result<(), String> {
        let ptr = CString::new(title).map_err(|e| e.to_string())?.as_ptr();
        let rc = unsafe { pix_set_title(self.raw, ptr) }; //~ dangling-pointer
        if rc != 0 {
            return Err(last_error());
        }
        Ok(())
    }

    pub fn set_caption(&mut self, caption: &str) -> Result<(), String> {
        let owned = CString::new(caption).map_err(|e| e.to_string())?;
        match unsafe { pix_set_title(self.raw, owned.as_ptr()) } {
            0 => Ok(()),
            _ => Err(last_error()),
        }
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        unsafe { pix_close(self.raw) }
    }
}

pub struct UploadHeader {
    pub width: u32,
    pub height: u32,
}

pub fn parse_header(bytes: &[u8]) -> Option<UploadHeader> {
    if bytes.len() < 16 || &bytes[..4] != b"PIX1" {
        return None;
    }
    let width = u32::from_be_bytes(bytes[8..12].try_into().ok()?);
    let height = u32::from_be_bytes(bytes[12..16].try_into().ok()?);
    Some(UploadHeader { width, height })
}

pub struct PixelBuffer {
    data: *mut u8,
    len: usize,
}

impl PixelBuffer {
    pub fn alloc(hdr: &UploadHeader) -> Option<Self> {
        let len = hdr.width as usize * hdr.height as usize * 4;
        let data = unsafe { libc::malloc(len) as *mut u8 }; //~ unbounded-allocation
        (!data.is_null()).then_some(Self { data, len })
    }

    pub fn alloc_preview(hdr: &UploadHeader) -> Option<Self> {
        if hdr.width > MAX_DIM || hdr.height > MAX_DIM {
            return None;
        }
        let len = hdr.width as usize * hdr.height as usize * 4;
        let data = unsafe { libc::malloc(len) as *mut u8 };
        (!data.is_null()).then_some(Self { data, len })
    }

    pub fn release(&mut self) {
        unsafe { libc::free(self.data as *mut c_void) }
    }

    pub fn as_slice(&self) -> &[u8] {
        unsafe { std::slice::from_raw_parts(self.data, self.len) }
    }
}

fn decode_into(bytes: &[u8], buf: &mut PixelBuffer) -> Result<(), String> {
    let rc = unsafe { pix_decode_rgba(bytes.as_ptr(), bytes.len(), buf.data, buf.len) };
    if rc == 0 {
        Ok(())
    } else {
        Err(last_error())
    }
}

pub fn decode_upload(bytes: &[u8]) -> Result<(u32, u8), String> {
    let hdr = parse_header(bytes).ok_or("not a PIX1 file")?;
    let mut buf = PixelBuffer::alloc(&hdr).ok_or("allocation failed")?;
    decode_into(bytes, &mut buf)?;
    let checksum = crc32fast::hash(buf.as_slice());
    buf.release();
    let first_byte = unsafe { *buf.data }; //~ dangling-pointer
    Ok((checksum, first_byte))
}

pub fn preview_upload(bytes: &[u8]) -> Result<u32, String> {
    let hdr = parse_header(bytes).ok_or("not a PIX1 file")?;
    let mut buf = PixelBuffer::alloc_preview(&hdr).ok_or("image too large")?;
    decode_into(bytes, &mut buf)?;
    let checksum = crc32fast::hash(buf.as_slice());
    buf.release();
    Ok(checksum)
}
