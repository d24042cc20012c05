use sha2::{Digest, Sha256};
use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

const MAX_IMAGE: usize = 64 << 20;
const MAX_TLV: usize = 4096;

pub struct ImageHeader {
    image_size: usize,
    tlv_count: u32,
    md5: [u8; 16],
    sha256: [u8; 32],
}

fn read_u32(r: &mut impl Read) -> io::Result<u32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

pub fn read_header(r: &mut impl Read) -> io::Result<ImageHeader> {
    let mut magic = [0u8; 4];
    r.read_exact(&mut magic)?;
    if &magic != b"FWIM" {
        return Err(bad("not a firmware image"));
    }
    let image_size = read_u32(r)? as usize;
    let tlv_count = read_u32(r)?;
    let mut md5 = [0u8; 16];
    r.read_exact(&mut md5)?;
    let mut sha256 = [0u8; 32];
    r.read_exact(&mut sha256)?;
    Ok(ImageHeader { image_size, tlv_count, md5, sha256 })
}

pub struct AlignedBuf {
    ptr: *mut u8,
    layout: Layout,
}

impl AlignedBuf {
    fn zeroed(size: usize) -> Option<Self> {
        let layout = Layout::from_size_align(size.max(1), 4096).ok()?;
        let ptr = unsafe { alloc_zeroed(layout) }; //~ unbounded-allocation
        if ptr.is_null() {
            None
        } else {
            Some(AlignedBuf { ptr, layout })
        }
    }

    fn as_mut_slice(&mut self) -> &mut [u8] {
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.layout.size()) }
    }
}

impl Drop for AlignedBuf {
    fn drop(&mut self) {
        unsafe { dealloc(self.ptr, self.layout) }
    }
}

fn read_tlvs(r: &mut impl Read, count: u32) -> io::Result<Vec<(u8, Vec<u8>)>> {
    (0..count)
        .map(|_| {
            let mut tag = [0u8; 1];
            r.read_exact(&mut tag)?;
            let len = read_u32(r)? as usize;
            let mut value = vec![0u8; len]; //~ unbounded-allocation
            r.read_exact(&mut value)?;
            Ok((tag[0], value))
        })
        .collect()
}

fn read_tlvs_bounded(r: &mut impl Read, count: u32) -> io::Result<Vec<(u8, Vec<u8>)>> {
    let mut out = Vec::new();
    for _ in 0..count.min(64) {
        let mut tag = [0u8; 1];
        r.read_exact(&mut tag)?;
        let len = read_u32(r)? as usize;
        if len > MAX_TLV {
            return Err(bad("tlv too large"));
        }
        let mut value = vec![0u8; len];
        r.read_exact(&mut value)?;
        out.push((tag[0], value));
    }
    Ok(out)
}

fn prealloc_hint() -> usize {
    std::env::var("FW_PREALLOC").ok().and_then(|v| v.parse().ok()).unwrap_or(1 << 20)
}

pub fn scratch_buffer() -> Vec<u8> {
    Vec::with_capacity(prealloc_hint()) //~ unbounded-allocation
}

pub fn scratch_buffer_capped() -> Vec<u8> {
    Vec::with_capacity(prealloc_hint().min(MAX_IMAGE))
}

fn note_table(hdr: &ImageHeader) -> Vec<String> {
    let mut notes = Vec::new();
    notes.reserve_exact(hdr.tlv_count as usize * 4); //~ unbounded-allocation
    notes
}

pub fn load_image(path: &Path, fast: bool) -> io::Result<Vec<u8>> {
    let mut r = BufReader::new(File::open(path)?);
    let hdr = read_header(&mut r)?;
    let tlvs = if fast { read_tlvs(&mut r, hdr.tlv_count)? } else { read_tlvs_bounded(&mut r, hdr.tlv_count)? };
    let mut notes = note_table(&hdr);
    notes.extend(tlvs.iter().map(|(t, v)| format!("tag {} ({} bytes)", t, v.len())));
    let image = if fast {
        let mut buf = AlignedBuf::zeroed(hdr.image_size).ok_or_else(|| bad("allocation failed"))?;
        r.read_exact(buf.as_mut_slice())?;
        buf.as_mut_slice().to_vec()
    } else {
        if hdr.image_size > MAX_IMAGE {
            return Err(bad("image too large"));
        }
        let mut buf = vec![0u8; hdr.image_size];
        r.read_exact(&mut buf)?;
        buf
    };
    let verified = if hdr.sha256 == [0u8; 32] {
        md5::compute(&image).0 == hdr.md5 //~ weak-hash
    } else {
        Sha256::digest(&image).as_slice() == hdr.sha256
    };
    if !verified {
        return Err(bad("image digest mismatch"));
    }
    let dedup_key = format!("{:x}", md5::compute(path.to_string_lossy().as_bytes()));
    println!("loaded {} ({} notes, cache slot {})", path.display(), notes.len(), dedup_key);
    Ok(image)
}
