// PNG-style chunk reader: big-endian chunk lengths from an untrusted image stream size the chunk buffers.
use byteorder::{BigEndian, ReadBytesExt};
use std::io::{self, Read};

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
const MAX_CHUNK_LEN: u32 = 8 * 1024 * 1024;
const MAX_TEXT_LEN: usize = 64 * 1024;

pub struct Chunk {
    pub kind: [u8; 4],
    pub data: Vec<u8>,
    pub crc: u32,
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

pub fn read_signature<R: Read>(r: &mut R) -> io::Result<()> {
    let mut sig = [0u8; 8];
    r.read_exact(&mut sig)?;
    if sig != PNG_SIGNATURE {
        return Err(invalid("bad signature"));
    }
    Ok(())
}

/// Fast path used by the thumbnailer; trusts the declared chunk length.
pub fn read_chunk_fast<R: Read>(r: &mut R) -> io::Result<Chunk> {
    let len = r.read_u32::<BigEndian>()?;
    let mut kind = [0u8; 4];
    r.read_exact(&mut kind)?;
    let mut data = vec![0u8; len as usize]; //~ unbounded-allocation
    r.read_exact(&mut data)?;
    let crc = r.read_u32::<BigEndian>()?;
    Ok(Chunk { kind, data, crc })
}

/// Checked path used by the validator.
pub fn read_chunk_checked<R: Read>(r: &mut R) -> io::Result<Chunk> {
    let len = r.read_u32::<BigEndian>()?;
    if len > MAX_CHUNK_LEN {
        return Err(invalid("chunk too large"));
    }
    let mut kind = [0u8; 4];
    r.read_exact(&mut kind)?;
    let mut data = vec![0u8; len as usize];
    r.read_exact(&mut data)?;
    let crc = r.read_u32::<BigEndian>()?;
    Ok(Chunk { kind, data, crc })
}

/// sPLT-like suggested palette: entry count precedes the entries.
pub fn read_suggested_palette<R: Read>(r: &mut R) -> io::Result<Vec<[u8; 4]>> {
    let entries = r.read_u32::<BigEndian>()? as usize;
    let mut palette = Vec::with_capacity(entries); //~ unbounded-allocation
    for _ in 0..entries {
        let mut rgba = [0u8; 4];
        r.read_exact(&mut rgba)?;
        palette.push(rgba);
    }
    Ok(palette)
}

/// tEXt chunk: the keyword length is clamped before allocating.
pub fn read_text<R: Read>(r: &mut R) -> io::Result<String> {
    let declared = r.read_u32::<BigEndian>()? as usize;
    let mut text = String::with_capacity(declared.min(MAX_TEXT_LEN));
    r.take(MAX_TEXT_LEN as u64).read_to_string(&mut text)?;
    Ok(text)
}

fn zeroed_buffer(size: usize) -> Vec<u8> {
    let mut buf = Vec::new();
    buf.resize(size, 0); //~ unbounded-allocation
    buf
}

/// iCCP profile: compressed size is read here and the buffer is built in a helper.
pub fn read_icc_profile<R: Read>(r: &mut R) -> io::Result<Vec<u8>> {
    let _method = r.read_u8()?;
    let compressed_len = r.read_u32::<BigEndian>()?;
    let mut buf = zeroed_buffer(compressed_len as usize);
    r.read_exact(&mut buf)?;
    Ok(buf)
}
