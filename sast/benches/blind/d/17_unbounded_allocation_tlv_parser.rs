// Scenario: decoder for a length-prefixed binary record format (".pak")
// used by a game asset server; records are read from network streams.
use byteorder::{BigEndian, LittleEndian, ReadBytesExt};
use std::io::{self, Read};

const MAX_NAME: usize = 255;
const MAX_BLOB: u32 = 16 * 1024 * 1024;

#[derive(Debug)]
pub struct Record {
    pub name: String,
    pub tags: Vec<u16>,
    pub blob: Vec<u8>,
}

pub struct Decoder<R> {
    inner: R,
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

impl<R: Read> Decoder<R> {
    pub fn new(inner: R) -> Self {
        Decoder { inner }
    }

    fn read_name(&mut self) -> io::Result<String> {
        let len = self.inner.read_u8()? as usize;
        let mut buf = vec![0u8; len.min(MAX_NAME)];
        self.inner.read_exact(&mut buf)?;
        String::from_utf8(buf).map_err(|_| bad("name not utf-8"))
    }

    fn read_tags(&mut self) -> io::Result<Vec<u16>> {
        let count = self.inner.read_u32::<LittleEndian>()? as usize;
        let mut tags = Vec::with_capacity(count); //~ unbounded-allocation
        for _ in 0..count {
            tags.push(self.inner.read_u16::<LittleEndian>()?);
        }
        Ok(tags)
    }

    fn read_blob(&mut self) -> io::Result<Vec<u8>> {
        let len = self.inner.read_u32::<BigEndian>()?;
        if len > MAX_BLOB {
            return Err(bad("blob too large"));
        }
        let mut blob = vec![0u8; len as usize];
        self.inner.read_exact(&mut blob)?;
        Ok(blob)
    }

    pub fn next_record(&mut self) -> io::Result<Record> {
        Ok(Record {
            name: self.read_name()?,
            tags: self.read_tags()?,
            blob: self.read_blob()?,
        })
    }

    pub fn read_index(&mut self) -> io::Result<Vec<u64>> {
        let mut hdr = [0u8; 8];
        self.inner.read_exact(&mut hdr)?;
        let entries = u64::from_le_bytes(hdr) as usize;
        let mut index = vec![0u64; entries]; //~ unbounded-allocation
        for slot in index.iter_mut() {
            *slot = self.inner.read_u64::<LittleEndian>()?;
        }
        Ok(index)
    }

    pub fn read_comment(&mut self) -> io::Result<String> {
        let n = self.inner.read_u16::<BigEndian>()?;
        let mut s = String::with_capacity(n as usize);
        (&mut self.inner).take(n as u64).read_to_string(&mut s)?;
        Ok(s)
    }

    pub fn read_padding(&mut self) -> io::Result<()> {
        let pad = self.inner.read_u32::<LittleEndian>()?;
        let mut scratch = Vec::new();
        scratch.resize(pad as usize, 0u8); //~ unbounded-allocation
        self.inner.read_exact(&mut scratch)
    }
}
