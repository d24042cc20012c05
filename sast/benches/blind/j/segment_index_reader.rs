//! Reader for replicated index segments. Segments arrive from peer nodes and are
//! memory-mapped after download.

use byteorder::{LittleEndian, ReadBytesExt};
use memmap::Mmap;
use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::fs::File;
use std::io::{self, Cursor, Read};
use std::net::TcpStream;

const MAGIC: u32 = 0x5345_4731;
const MAX_ENTRIES: usize = 1 << 20;
const MAX_BLOOM_WORDS: usize = 1 << 16;
const MAX_SEGMENT: u64 = 256 * 1024 * 1024;

pub struct SegmentHeader {
    pub magic: u32,
    pub entry_count: u32,
    pub bloom_words: u32,
}

pub struct Entry {
    pub key: Vec<u8>,
    pub offset: u64,
}

pub fn read_header<R: Read>(r: &mut R) -> io::Result<SegmentHeader> {
    let magic = r.read_u32::<LittleEndian>()?;
    if magic != MAGIC {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "bad magic"));
    }
    Ok(SegmentHeader {
        magic,
        entry_count: r.read_u32::<LittleEndian>()?,
        bloom_words: r.read_u32::<LittleEndian>()?,
    })
}

fn read_entry<R: Read>(r: &mut R) -> io::Result<Entry> {
    let key_len = r.read_u32::<LittleEndian>()? as usize;
    let mut key = vec![0u8; key_len]; //~ unbounded-allocation
    r.read_exact(&mut key)?;
    let offset = r.read_u64::<LittleEndian>()?;
    Ok(Entry { key, offset })
}

fn read_entry_bounded<R: Read>(r: &mut R, limit: usize) -> io::Result<Entry> {
    let key_len = r.read_u32::<LittleEndian>()? as usize;
    if key_len > limit {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "key too long"));
    }
    let mut key = vec![0u8; key_len];
    r.read_exact(&mut key)?;
    Ok(Entry {
        key,
        offset: r.read_u64::<LittleEndian>()?,
    })
}

pub fn load_entries<R: Read>(r: &mut R, count: usize) -> io::Result<Vec<Entry>> {
    let mut out = Vec::with_capacity(count); //~ unbounded-allocation
    for _ in 0..count {
        out.push(read_entry(r)?);
    }
    Ok(out)
}

pub fn load_entries_checked<R: Read>(r: &mut R, count: usize) -> io::Result<Vec<Entry>> {
    let mut out = Vec::with_capacity(count.min(MAX_ENTRIES));
    for _ in 0..count.min(MAX_ENTRIES) {
        out.push(read_entry_bounded(r, 4096)?);
    }
    Ok(out)
}

pub struct Bloom {
    words: *mut u64,
    layout: Layout,
}

impl Bloom {
    pub fn with_words(n: usize) -> Option<Self> {
        let layout = Layout::array::<u64>(n).ok()?;
        let words = unsafe { alloc_zeroed(layout) as *mut u64 }; //~ unbounded-allocation
        (!words.is_null()).then_some(Self { words, layout })
    }

    pub fn with_words_capped(n: usize) -> Option<Self> {
        Self::with_words(n.clamp(1, MAX_BLOOM_WORDS))
    }

    pub fn set(&mut self, bit: usize) {
        let n = self.layout.size() / 8;
        unsafe { *self.words.add((bit / 64) % n) |= 1 << (bit % 64) };
    }
}

impl Drop for Bloom {
    fn drop(&mut self) {
        unsafe { dealloc(self.words as *mut u8, self.layout) }
    }
}

pub fn fetch_segment(peer: &str, dest: &str) -> io::Result<File> {
    let stream = TcpStream::connect(peer)?;
    let mut body = Vec::new();
    stream.take(MAX_SEGMENT).read_to_end(&mut body)?;
    std::fs::write(dest, &body)?;
    File::open(dest)
}

fn header_ptr(file: &File) -> io::Result<*const u8> {
    let map = unsafe { Mmap::map(file)? };
    Ok(map.as_ptr())
}

pub fn quick_magic(file: &File) -> io::Result<u32> {
    let p = header_ptr(file)?;
    let magic = unsafe { std::ptr::read_unaligned(p as *const u32) }; //~ dangling-pointer
    Ok(u32::from_le(magic))
}

pub struct SegmentView {
    map: Mmap,
}

impl SegmentView {
    pub fn open(file: &File) -> io::Result<Self> {
        Ok(Self {
            map: unsafe { Mmap::map(file)? },
        })
    }

    pub fn magic(&self) -> u32 {
        let p = self.map.as_ptr();
        u32::from_le(unsafe { std::ptr::read_unaligned(p as *const u32) })
    }

    pub fn entries(&self, legacy_format: bool) -> io::Result<(Vec<Entry>, Bloom)> {
        let mut cur = Cursor::new(&self.map[..]);
        let hdr = read_header(&mut cur)?;
        let (entries, bloom) = if legacy_format {
            let e = load_entries(&mut cur, hdr.entry_count as usize)?;
            (e, Bloom::with_words(hdr.bloom_words as usize))
        } else {
            let e = load_entries_checked(&mut cur, hdr.entry_count as usize)?;
            (e, Bloom::with_words_capped(hdr.bloom_words as usize))
        };
        let mut bloom = bloom.ok_or(io::ErrorKind::OutOfMemory)?;
        entries.iter().for_each(|e| bloom.set(e.offset as usize));
        Ok((entries, bloom))
    }
}
