//! Safe-ish wrapper around `libqvimg`, a C decoder for the QVI image format.
//!
//! File layout: "QVI1" magic, width (u32 LE), height (u32 LE), ICC profile
//! length (u32 LE), EXIF length (u16 LE), ICC bytes, EXIF bytes, payload.

use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int, c_void};
use std::ptr;

#[repr(C)]
pub struct QvDecoder {
    _private: [u8; 0],
}

#[repr(C)]
pub struct QvOptions {
    pub threads: c_int,
    pub color_profile: *const c_char,
}

extern "C" {
    fn qv_decoder_new(opts: *const QvOptions) -> *mut QvDecoder;
    fn qv_decoder_free(dec: *mut QvDecoder);
    fn qv_set_lut(dec: *mut QvDecoder, path: *const c_char) -> c_int;
    fn qv_decode_rows(
        dec: *mut QvDecoder,
        src: *const u8,
        len: usize,
        dst: *mut u8,
        rows: u32,
    ) -> c_int;
    fn qv_last_error(dec: *const QvDecoder) -> *const c_char;
    fn qv_apply_icc(dec: *mut QvDecoder, icc: *const c_void, len: usize) -> c_int;
}

pub const MAX_DIM: u32 = 16_384;

pub struct Header {
    pub width: u32,
    pub height: u32,
    pub icc_len: u32,
    pub exif_len: u16,
}

pub fn parse_header(buf: &[u8]) -> Option<Header> {
    if buf.len() < 18 || &buf[..4] != b"QVI1" {
        return None;
    }
    let u32_at = |o: usize| u32::from_le_bytes(buf[o..o + 4].try_into().unwrap());
    Some(Header {
        width: u32_at(4),
        height: u32_at(8),
        icc_len: u32_at(12),
        exif_len: u16::from_le_bytes([buf[16], buf[17]]),
    })
}

pub struct Decoder {
    raw: *mut QvDecoder,
}

impl Decoder {
    pub fn with_profile(profile: &str, threads: i32) -> Option<Decoder> {
        let opts = QvOptions {
            threads,
            color_profile: CString::new(profile).ok()?.as_ptr(), //~ dangling-pointer
        };
        let raw = unsafe { qv_decoder_new(&opts) };
        (!raw.is_null()).then(|| Decoder { raw })
    }

    pub fn set_lut(&mut self, path: &str) -> Result<(), String> {
        let c_path = CString::new(path).map_err(|e| e.to_string())?;
        let rc = unsafe { qv_set_lut(self.raw, c_path.as_ptr()) };
        if rc == 0 {
            Ok(())
        } else {
            Err(self.error_message())
        }
    }

    fn error_ptr(&self) -> *const c_char {
        unsafe { qv_last_error(self.raw) }
    }

    fn error_message(&self) -> String {
        unsafe {
            CStr::from_ptr(self.error_ptr())
                .to_string_lossy()
                .into_owned()
        }
    }

    /// Applies the embedded ICC profile; the profile is staged in C memory
    /// because the library keeps a reference to it until the next decode.
    pub fn apply_icc(&mut self, file: &[u8], hdr: &Header) -> Result<(), String> {
        let start = 18usize;
        let len = hdr.icc_len as usize;
        let staged = unsafe { libc::malloc(len) }; //~ unbounded-allocation
        if staged.is_null() {
            return Err("out of memory".into());
        }
        let available = file.len().saturating_sub(start).min(len);
        unsafe {
            ptr::copy_nonoverlapping(file.as_ptr().add(start), staged as *mut u8, available);
            qv_apply_icc(self.raw, staged, len);
        }
        Ok(())
    }

    pub fn exif(&self, file: &[u8], hdr: &Header) -> Vec<u8> {
        let start = 18 + hdr.icc_len as usize;
        let mut out = vec![0u8; hdr.exif_len as usize];
        if let Some(src) = file.get(start..start + out.len()) {
            out.copy_from_slice(src);
        }
        out
    }
}

impl Drop for Decoder {
    fn drop(&mut self) {
        unsafe { qv_decoder_free(self.raw) }
    }
}

pub struct Canvas {
    pub width: u32,
    pub pixels: Vec<u8>,
}

impl Canvas {
    pub fn for_header(hdr: &Header) -> Canvas {
        let len = hdr.width as usize * hdr.height as usize * 4;
        let pixels = vec![0u8; len]; //~ unbounded-allocation
        Canvas {
            width: hdr.width,
            pixels,
        }
    }

    pub fn thumbnail(hdr: &Header) -> Option<Canvas> {
        if hdr.width > MAX_DIM || hdr.height > MAX_DIM {
            return None;
        }
        let (w, h) = (hdr.width.min(256), hdr.height.min(256));
        Some(Canvas {
            width: w,
            pixels: vec![0u8; w as usize * h as usize * 4],
        })
    }

    /// Decodes `rows` more scanlines and appends them to the canvas.
    pub fn append_rows(&mut self, dec: &mut Decoder, src: &[u8], rows: u32) -> c_int {
        let stride = self.width as usize * 4;
        let used = self.pixels.len();
        let base = self.pixels.as_mut_ptr();
        self.pixels.resize(used + stride * rows as usize, 0);
        let (sp, sl) = (src.as_ptr(), src.len());
        unsafe {
            qv_decode_rows(dec.raw, sp, sl, base.add(used), rows) //~ dangling-pointer
        }
    }

    pub fn decode_into(&mut self, dec: &mut Decoder, src: &[u8], rows: u32) -> c_int {
        let dst = self.pixels.as_mut_ptr();
        unsafe { qv_decode_rows(dec.raw, src.as_ptr(), src.len(), dst, rows) }
    }
}

/// Decodes a whole file; returns the library error text on failure.
pub fn decode_file(bytes: &[u8], profile: &str) -> Result<Canvas, String> {
    let hdr = parse_header(bytes).ok_or("not a QVI file")?;
    let mut canvas = Canvas::for_header(&hdr);
    let err = {
        let mut dec = Decoder::with_profile(profile, 4).ok_or("decoder init failed")?;
        dec.apply_icc(bytes, &hdr)?;
        let payload = &bytes[18 + hdr.icc_len as usize + hdr.exif_len as usize..];
        if canvas.decode_into(&mut dec, payload, hdr.height) == 0 {
            return Ok(canvas);
        }
        dec.error_ptr()
    };
    let msg = unsafe { CStr::from_ptr(err) }; //~ dangling-pointer
    Err(msg.to_string_lossy().into_owned())
}
