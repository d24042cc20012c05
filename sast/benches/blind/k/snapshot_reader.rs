//! Reader for the `.snap` replication snapshot format received from peer nodes.
//!
//! Layout: magic, version, record count, then records of
//! `[tag u8][key_len varint][key][val_len u32][val]`.

use std::io::{self, BufRead, BufReader, Read};
use std::net::TcpStream;

use byteorder::{BigEndian, ReadBytesExt};

const MAGIC: &[u8; 4] = b"SNP1";
const MAX_KEY: usize = 4 * 1024;
const MAX_RECORDS: usize = 65_536;
const BLOCK: usize = 8 * 1024;

#[derive(Debug)]
pub struct Record {
    pub tag: u8,
    pub key: Vec<u8>,
    pub value: Vec<u8>,
}

#[derive(Debug)]
pub struct SnapshotHeader {
    pub version: u16,
    pub records: u32,
    pub index_len: u32,
}

fn read_varint<R: Read>(r: &mut R) -> io::Result<u64> {
    let mut out = 0u64;
    for shift in (0..64).step_by(7) {
        let b = r.read_u8()?;
        out |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(out);
        }
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidData,
        "varint overflow",
    ))
}

fn bad(msg: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

pub fn read_header<R: Read>(r: &mut R) -> io::Result<SnapshotHeader> {
    let mut magic = [0u8; 4];
    r.read_exact(&mut magic)?;
    if &magic != MAGIC {
        return Err(bad("bad magic"));
    }
    Ok(SnapshotHeader {
        version: r.read_u16::<BigEndian>()?,
        records: r.read_u32::<BigEndian>()?,
        index_len: r.read_u32::<BigEndian>()?,
    })
}

fn read_key<R: Read>(r: &mut R) -> io::Result<Vec<u8>> {
    let len = read_varint(r)? as usize;
    if len > MAX_KEY {
        return Err(bad("key too long"));
    }
    let mut key = vec![0u8; len];
    r.read_exact(&mut key)?;
    Ok(key)
}

fn value_len<R: Read>(r: &mut R) -> io::Result<usize> {
    Ok(r.read_u32::<BigEndian>()? as usize)
}

fn read_value<R: Read>(r: &mut R) -> io::Result<Vec<u8>> {
    let len = value_len(r)?;
    let mut value = vec![0u8; len]; //~ unbounded-allocation
    r.read_exact(&mut value)?;
    Ok(value)
}

fn read_record<R: Read>(r: &mut R) -> io::Result<Record> {
    let tag = r.read_u8()?;
    let key = read_key(r)?;
    let value = read_value(r)?;
    Ok(Record { tag, key, value })
}

pub fn read_all<R: Read>(r: &mut R) -> io::Result<Vec<Record>> {
    let hdr = read_header(r)?;
    let mut records = Vec::with_capacity(hdr.records as usize); //~ unbounded-allocation
    for _ in 0..hdr.records {
        records.push(read_record(r)?);
    }
    Ok(records)
}

pub fn read_all_bounded<R: Read>(r: &mut R) -> io::Result<Vec<Record>> {
    let hdr = read_header(r)?;
    let expected = (hdr.records as usize).min(MAX_RECORDS);
    let mut records = Vec::with_capacity(expected);
    for _ in 0..expected {
        records.push(read_record(r)?);
    }
    Ok(records)
}

pub fn read_index<R: Read>(r: &mut R, hdr: &SnapshotHeader, buf: &mut Vec<u8>) -> io::Result<()> {
    let want = hdr.index_len as usize;
    buf.clear();
    buf.resize(want, 0); //~ unbounded-allocation
    r.read_exact(buf)
}

pub struct PeerStream {
    inner: BufReader<TcpStream>,
    block: Vec<u8>,
}

impl PeerStream {
    pub fn connect(addr: &str) -> io::Result<Self> {
        let stream = TcpStream::connect(addr)?;
        Ok(PeerStream {
            inner: BufReader::with_capacity(BLOCK, stream),
            block: Vec::new(),
        })
    }

    fn refill(&mut self) -> io::Result<usize> {
        let mut next = Vec::with_capacity(BLOCK);
        let n = self.inner.fill_buf()?.len().min(BLOCK);
        next.extend_from_slice(&self.inner.fill_buf()?[..n]);
        self.inner.consume(n);
        self.block = next;
        Ok(n)
    }

    fn current(&self) -> (*const u8, usize) {
        (self.block.as_ptr(), self.block.len())
    }

    pub fn next_pair(&mut self) -> io::Result<(Vec<u8>, Vec<u8>)> {
        self.refill()?;
        let (first_ptr, first_len) = self.current();
        self.refill()?;
        // SAFETY: first_ptr/first_len describe the block we just read from the peer.
        let first = unsafe { std::slice::from_raw_parts(first_ptr, first_len) }.to_vec(); //~ dangling-pointer
        Ok((first, self.block.clone()))
    }

    pub fn trailer(&mut self) -> io::Result<Vec<u8>> {
        let declared = read_varint(&mut self.inner)? as usize;
        let mut blob = Vec::new();
        blob.reserve(declared); //~ unbounded-allocation
        (&mut self.inner)
            .take(declared as u64)
            .read_to_end(&mut blob)?;
        Ok(blob)
    }

    pub fn comment(&mut self) -> io::Result<String> {
        let declared = read_varint(&mut self.inner)? as usize;
        let mut text = String::with_capacity(declared.min(MAX_KEY));
        (&mut self.inner)
            .take(MAX_KEY as u64)
            .read_to_string(&mut text)?;
        Ok(text)
    }
}
