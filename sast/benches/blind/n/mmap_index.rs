//! Reader for `.sidx` segment index files produced by the ingest pipeline.
//!
//! Layout: 32-byte header, then `entry_count` fixed entries, then a name
//! table of `names_len` bytes, then an optional UTF-8 comment. `names_cap` is
//! the writer's growth hint for the in-memory name table.

use memmap2::Mmap;
use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 4] = b"SIDX";
const HEADER_LEN: usize = 32;
const MAX_BLOOM_WORDS: usize = 1 << 20;

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    pub key_hash: u64,
    pub offset: u64,
    pub name_off: u32,
    pub name_len: u32,
}

#[derive(Debug, Clone, Copy)]
struct Header {
    entry_count: u64,
    names_len: u32,
    bloom_words: u32,
    comment_len: u32,
    names_cap: u32,
}

fn parse_header(bytes: &[u8]) -> io::Result<Header> {
    if bytes.len() < HEADER_LEN || &bytes[..4] != MAGIC {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "not a segment index",
        ));
    }
    let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().unwrap());
    Ok(Header {
        entry_count: u64::from_le_bytes(bytes[8..16].try_into().unwrap()),
        names_len: u32_at(16),
        bloom_words: u32_at(20),
        comment_len: u32_at(24),
        names_cap: u32_at(28),
    })
}

pub struct BloomFilter {
    words: *mut u64,
    layout: Layout,
}

impl BloomFilter {
    fn zeroed(words: usize) -> io::Result<Self> {
        let layout = Layout::array::<u64>(words).map_err(|_| io::ErrorKind::InvalidData)?;
        let words = unsafe { alloc_zeroed(layout) } as *mut u64; //~ unbounded-allocation
        if words.is_null() {
            return Err(io::ErrorKind::OutOfMemory.into());
        }
        Ok(Self { words, layout })
    }
}

impl Drop for BloomFilter {
    fn drop(&mut self) {
        unsafe { dealloc(self.words as *mut u8, self.layout) };
    }
}

pub struct SegmentIndex {
    path: PathBuf,
    map: Mmap,
    header: Header,
    names: *const u8,
}

impl SegmentIndex {
    pub fn open(path: &Path) -> io::Result<Self> {
        let map = unsafe { Mmap::map(&File::open(path)?)? };
        let header = parse_header(&map)?;
        let entries_bytes = (header.entry_count as usize).checked_mul(std::mem::size_of::<Entry>());
        let names_start = entries_bytes
            .and_then(|n| n.checked_add(HEADER_LEN))
            .ok_or(io::ErrorKind::InvalidData)?;
        if names_start + header.names_len as usize > map.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "truncated name table",
            ));
        }
        let names = unsafe { map.as_ptr().add(names_start) };
        Ok(Self {
            path: path.to_path_buf(),
            map,
            header,
            names,
        })
    }

    /// Picks up a segment that was rewritten in place by compaction.
    pub fn reload(&mut self) -> io::Result<()> {
        let fresh = unsafe { Mmap::map(&File::open(&self.path)?)? };
        self.header = parse_header(&fresh)?;
        self.map = fresh;
        Ok(())
    }

    pub fn name_of(&self, entry: &Entry) -> String {
        let end = entry.name_off as u64 + entry.name_len as u64;
        if end > self.header.names_len as u64 {
            return String::new();
        }
        let start = unsafe { self.names.add(entry.name_off as usize) };
        let raw = unsafe { std::slice::from_raw_parts(start, entry.name_len as usize) }; //~ dangling-pointer
        String::from_utf8_lossy(raw).into_owned()
    }

    fn names_offset(&self) -> usize {
        let entries =
            (self.header.entry_count as usize).saturating_mul(std::mem::size_of::<Entry>());
        HEADER_LEN.saturating_add(entries)
    }

    pub fn entries(&self) -> io::Result<Vec<Entry>> {
        let count = self.header.entry_count as usize;
        let needed = count
            .checked_mul(std::mem::size_of::<Entry>())
            .ok_or(io::ErrorKind::InvalidData)?;
        if HEADER_LEN + needed > self.map.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "truncated entries",
            ));
        }
        let mut out = Vec::with_capacity(count);
        for i in 0..count {
            let at = HEADER_LEN + i * std::mem::size_of::<Entry>();
            out.push(unsafe {
                std::ptr::read_unaligned(self.map.as_ptr().add(at) as *const Entry)
            });
        }
        Ok(out)
    }

    pub fn bloom(&self) -> io::Result<BloomFilter> {
        BloomFilter::zeroed(self.header.bloom_words as usize)
    }

    pub fn bloom_capped(&self) -> io::Result<BloomFilter> {
        let words = self.header.bloom_words as usize;
        if words > MAX_BLOOM_WORDS {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "bloom filter too large",
            ));
        }
        BloomFilter::zeroed(words)
    }

    pub fn comment(&self) -> String {
        let mut text = String::with_capacity(self.header.comment_len as usize); //~ unbounded-allocation
        let tail = self
            .map
            .len()
            .saturating_sub(self.header.comment_len as usize);
        text.push_str(&String::from_utf8_lossy(&self.map[tail..]));
        text
    }

    pub fn copy_names(&self) -> io::Result<*mut u8> {
        let len = self.header.names_len as usize;
        let cap = (self.header.names_cap as usize).max(len);
        let buf = unsafe { libc::malloc(cap) } as *mut u8; //~ unbounded-allocation
        if buf.is_null() {
            return Err(io::ErrorKind::OutOfMemory.into());
        }
        let table = self.map.get(self.names_offset()..).unwrap_or(&[]);
        unsafe { std::ptr::copy_nonoverlapping(table.as_ptr(), buf, len.min(table.len())) };
        Ok(buf)
    }
}

fn first_entry_ptr(path: &Path) -> io::Result<*const Entry> {
    let map = unsafe { Mmap::map(&File::open(path)?)? };
    parse_header(&map)?;
    Ok(unsafe { map.as_ptr().add(HEADER_LEN) } as *const Entry) //~ dangling-pointer
}

pub fn peek_first_key(path: &Path) -> io::Result<u64> {
    let first = first_entry_ptr(path)?;
    Ok(unsafe { std::ptr::read_unaligned(first) }.key_hash)
}

pub fn peek_first_key_owned(path: &Path) -> io::Result<u64> {
    let index = SegmentIndex::open(path)?;
    Ok(index.entries()?.first().map(|e| e.key_hash).unwrap_or(0))
}

pub fn describe(path: &Path, compacting: bool) -> io::Result<Vec<String>> {
    let mut index = SegmentIndex::open(path)?;
    if compacting {
        index.reload()?;
    }
    let _filter = if compacting {
        index.bloom()?
    } else {
        index.bloom_capped()?
    };
    let names = index.entries()?.iter().map(|e| index.name_of(e)).collect();
    let _ = (
        index.comment(),
        peek_first_key(path)?,
        peek_first_key_owned(path)?,
    );
    if let Ok(copy) = index.copy_names() {
        unsafe { libc::free(copy as *mut libc::c_void) };
    }
    Ok(names)
}
