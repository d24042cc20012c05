// Scenario: `qimg`, a clap CLI that inspects and converts a small raster
// container format. Pixel buffers are handed to a C resampler, so they come
// from std::alloc with a fixed alignment.
use clap::Parser;
use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::io::{Cursor, Read};

const MAX_PIXELS: usize = 64 * 1024 * 1024;
const MAX_COLS: usize = 240;

#[derive(Parser)]
struct Args {
    /// Image file or http(s) URL
    input: String,
    /// Width of the ASCII preview
    #[arg(long, default_value_t = 80)]
    cols: usize,
    /// Indentation of the metadata dump
    #[arg(long, default_value_t = 2)]
    indent: usize,
}

struct Header {
    width: u32,
    height: u32,
    channels: u8,
    palette_len: u32,
}

struct PixelBuf {
    ptr: *mut u8,
    layout: Layout,
}

impl Drop for PixelBuf {
    fn drop(&mut self) {
        unsafe { dealloc(self.ptr, self.layout) }
    }
}

fn read_u32(c: &mut Cursor<&[u8]>) -> std::io::Result<u32> {
    let mut b = [0u8; 4];
    c.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

fn parse_header(bytes: &[u8]) -> std::io::Result<Header> {
    let mut c = Cursor::new(bytes);
    let width = read_u32(&mut c)?;
    let height = read_u32(&mut c)?;
    let mut ch = [0u8; 1];
    c.read_exact(&mut ch)?;
    Ok(Header {
        width,
        height,
        channels: ch[0],
        palette_len: read_u32(&mut c)?,
    })
}

fn pixel_count(h: &Header) -> usize {
    h.width as usize * h.height as usize * h.channels.max(1) as usize
}

fn alloc_pixels(size: usize) -> Option<PixelBuf> {
    let layout = Layout::from_size_align(size.max(1), 64).ok()?;
    let ptr = unsafe { alloc_zeroed(layout) }; //~ unbounded-allocation
    (!ptr.is_null()).then_some(PixelBuf { ptr, layout })
}

fn load(input: &str) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    if input.starts_with("http://") || input.starts_with("https://") {
        let mut out = Vec::new();
        ureq::get(input)
            .call()?
            .into_reader()
            .take(256 << 20)
            .read_to_end(&mut out)?;
        return Ok(out);
    }
    Ok(std::fs::read(input)?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let bytes = load(&args.input)?;
    let hdr = parse_header(&bytes)?;

    let pixels = alloc_pixels(pixel_count(&hdr)).ok_or("allocation failed")?;
    let thumb_len = pixel_count(&hdr).min(MAX_PIXELS) / 16;
    let _thumb = alloc_pixels(thumb_len);

    let palette: Vec<[u8; 4]> = Vec::with_capacity(hdr.palette_len as usize); //~ unbounded-allocation
    let rows: Vec<u32> = Vec::with_capacity((hdr.height as usize).min(16_384));

    let pad = " ".repeat(args.indent); //~ unbounded-allocation
    println!("{}size: {}x{}x{}", pad, hdr.width, hdr.height, hdr.channels);
    println!(
        "{}palette: {} (cap {})",
        pad,
        hdr.palette_len,
        palette.capacity()
    );
    println!("{}rows: {}", pad, rows.capacity());
    let cols = args.cols.min(MAX_COLS);
    println!("{}", "-".repeat(cols));
    println!("buffer at {:p}", pixels.ptr);
    Ok(())
}
