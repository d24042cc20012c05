// Loader for the ".rimg" raster format used by the thumbnail service: a fixed
// header followed by an optional palette and one or more frames of pixel data.
use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::fs::File;
use std::io::{self, Read};

const MAX_DIM: u32 = 16_384;
const MAX_FRAMES: u32 = 64;

pub struct Header {
    pub width: u32,
    pub height: u32,
    pub bpp: u8,
    pub frames: u32,
    pub palette_len: u32,
}

pub struct PixelBuf {
    ptr: *mut u8,
    layout: Layout,
}

impl Drop for PixelBuf {
    fn drop(&mut self) {
        unsafe { dealloc(self.ptr, self.layout) }
    }
}

fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

pub fn parse_header<R: Read>(r: &mut R) -> io::Result<Header> {
    let mut raw = [0u8; 24];
    r.read_exact(&mut raw)?;
    if &raw[0..4] != b"RIMG" {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "bad magic"));
    }
    Ok(Header {
        width: le32(&raw[4..8]),
        height: le32(&raw[8..12]),
        bpp: raw[12],
        frames: le32(&raw[16..20]),
        palette_len: le32(&raw[20..24]),
    })
}

impl Header {
    fn frame_bytes(&self) -> usize {
        self.width as usize * self.height as usize * (self.bpp as usize / 8)
    }

    fn checked_frame_bytes(&self) -> Option<usize> {
        if self.width == 0 || self.width > MAX_DIM || self.height > MAX_DIM {
            return None;
        }
        (self.width as usize)
            .checked_mul(self.height as usize)?
            .checked_mul((self.bpp as usize / 8).max(1))
    }
}

pub fn alloc_canvas(hdr: &Header) -> PixelBuf {
    let size = hdr.frame_bytes();
    let layout = Layout::from_size_align(size, 16).expect("layout");
    let ptr = unsafe { alloc_zeroed(layout) }; //~ unbounded-allocation
    PixelBuf { ptr, layout }
}

pub fn alloc_canvas_checked(hdr: &Header) -> Option<PixelBuf> {
    let size = hdr.checked_frame_bytes()?;
    let layout = Layout::from_size_align(size, 16).ok()?;
    let ptr = unsafe { alloc_zeroed(layout) };
    if ptr.is_null() {
        return None;
    }
    Some(PixelBuf { ptr, layout })
}

pub fn read_first_row<R: Read>(r: &mut R, hdr: &Header) -> io::Result<Vec<u8>> {
    let stride = hdr.width as usize * 4;
    let mut row = vec![0u8; stride]; //~ unbounded-allocation
    r.read_exact(&mut row)?;
    Ok(row)
}

pub fn read_all_frames<R: Read>(r: &mut R, hdr: &Header) -> io::Result<Vec<u8>> {
    let mut pixels: Vec<u8> = Vec::new();
    pixels.reserve(hdr.frames as usize * hdr.frame_bytes()); //~ unbounded-allocation
    r.read_to_end(&mut pixels)?;
    Ok(pixels)
}

pub fn read_frames_bounded<R: Read>(r: &mut R, hdr: &Header) -> io::Result<Vec<u8>> {
    let bad = || io::Error::new(io::ErrorKind::InvalidData, "image too large");
    let frame = hdr.checked_frame_bytes().ok_or_else(bad)?;
    let frames = hdr.frames.min(MAX_FRAMES) as usize;
    let mut pixels: Vec<u8> = Vec::new();
    pixels.reserve(frame.checked_mul(frames).ok_or_else(bad)?);
    r.take((frame * frames) as u64).read_to_end(&mut pixels)?;
    Ok(pixels)
}

pub unsafe fn load_palette<R: Read>(r: &mut R, hdr: &Header) -> io::Result<*mut u32> {
    let entries = hdr.palette_len as usize;
    let pal = libc::malloc(entries * 4) as *mut u32; //~ unbounded-allocation
    if pal.is_null() {
        return Err(io::Error::new(io::ErrorKind::OutOfMemory, "palette"));
    }
    let bytes = std::slice::from_raw_parts_mut(pal as *mut u8, entries * 4);
    r.read_exact(bytes)?;
    Ok(pal)
}

pub fn thumbnail_source(path: &str) -> io::Result<Option<PixelBuf>> {
    let mut f = File::open(path)?;
    let hdr = parse_header(&mut f)?;
    if hdr.bpp == 0 {
        return Ok(alloc_canvas_checked(&hdr));
    }
    if hdr.palette_len > 0 {
        let pal = unsafe { load_palette(&mut f, &hdr)? };
        unsafe { libc::free(pal as *mut libc::c_void) };
    }
    let _row = read_first_row(&mut f, &hdr)?;
    Ok(Some(alloc_canvas(&hdr)))
}
