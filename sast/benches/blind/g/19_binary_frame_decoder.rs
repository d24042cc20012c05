use byteorder::{BigEndian, ReadBytesExt};
use std::io::{self, Read};
use std::net::{TcpListener, TcpStream};

const MAGIC: u16 = 0xB17E;
const MAX_RECORDS: usize = 10_000;
const MAX_PAYLOAD: usize = 1 << 20;
const MAX_NAME: u32 = 256;

#[derive(Debug)]
pub struct Header {
    magic: u16,
    version: u8,
    record_count: u32,
    payload_len: u32,
    name_len: u32,
    trailer_len: u64,
}

pub struct Record {
    id: u32,
    tags: Vec<u8>,
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

impl Header {
    pub fn read_from<R: Read>(r: &mut R) -> io::Result<Self> {
        let hdr = Header {
            magic: r.read_u16::<BigEndian>()?,
            version: r.read_u8()?,
            record_count: r.read_u32::<BigEndian>()?,
            payload_len: r.read_u32::<BigEndian>()?,
            name_len: r.read_u32::<BigEndian>()?,
            trailer_len: r.read_u64::<BigEndian>()?,
        };
        if hdr.magic != MAGIC {
            return Err(invalid("bad magic"));
        }
        Ok(hdr)
    }
}

pub struct Decoder<R: Read> {
    inner: R,
    scratch: Vec<u8>,
}

impl<R: Read> Decoder<R> {
    pub fn new(inner: R) -> Self {
        Decoder { inner, scratch: Vec::new() }
    }

    fn record(&mut self) -> io::Result<Record> {
        let id = self.inner.read_u32::<BigEndian>()?;
        let ntags = self.inner.read_u8()? as usize;
        let mut tags = vec![0u8; ntags];
        self.inner.read_exact(&mut tags)?;
        Ok(Record { id, tags })
    }

    pub fn records(&mut self, hdr: &Header) -> io::Result<Vec<Record>> {
        let mut out = Vec::with_capacity(hdr.record_count as usize); //~ unbounded-allocation
        for _ in 0..hdr.record_count {
            out.push(self.record()?);
        }
        Ok(out)
    }

    pub fn records_v2(&mut self, hdr: &Header) -> io::Result<Vec<Record>> {
        let n = (hdr.record_count as usize).min(MAX_RECORDS);
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.record()?);
        }
        Ok(out)
    }

    pub fn payload(&mut self, hdr: &Header) -> io::Result<Vec<u8>> {
        let mut buf = vec![0u8; hdr.payload_len as usize]; //~ unbounded-allocation
        self.inner.read_exact(&mut buf)?;
        Ok(buf)
    }

    pub fn payload_v2(&mut self, hdr: &Header) -> io::Result<Vec<u8>> {
        let len = hdr.payload_len as usize;
        if len > MAX_PAYLOAD {
            return Err(invalid("payload too large"));
        }
        let mut buf = vec![0u8; len];
        self.inner.read_exact(&mut buf)?;
        Ok(buf)
    }

    pub fn name(&mut self, hdr: &Header) -> io::Result<String> {
        let mut s = String::with_capacity(hdr.name_len as usize); //~ unbounded-allocation
        (&mut self.inner).take(hdr.name_len as u64).read_to_string(&mut s)?;
        Ok(s)
    }

    pub fn name_v2(&mut self, hdr: &Header) -> io::Result<String> {
        let len = hdr.name_len.min(MAX_NAME);
        let mut s = String::with_capacity(len as usize);
        (&mut self.inner).take(len as u64).read_to_string(&mut s)?;
        Ok(s)
    }

    pub fn trailer(&mut self, hdr: &Header) -> io::Result<&[u8]> {
        self.scratch.clear();
        self.scratch.reserve(hdr.trailer_len as usize); //~ unbounded-allocation
        (&mut self.inner).take(hdr.trailer_len).read_to_end(&mut self.scratch)?;
        Ok(&self.scratch)
    }

    pub fn padding(&mut self) -> io::Result<Vec<u8>> {
        let pad = self.inner.read_u32::<BigEndian>()? as usize;
        Ok(b"\0".repeat(pad)) //~ unbounded-allocation
    }
}

fn serve_client(stream: TcpStream) -> io::Result<()> {
    let mut dec = Decoder::new(stream);
    let hdr = Header::read_from(&mut dec.inner)?;
    if hdr.version >= 2 {
        let recs = dec.records_v2(&hdr)?;
        let body = dec.payload_v2(&hdr)?;
        let name = dec.name_v2(&hdr)?;
        println!("{} v2: {} records, {} bytes", name, recs.len(), body.len());
    } else {
        let recs = dec.records(&hdr)?;
        let body = dec.payload(&hdr)?;
        let name = dec.name(&hdr)?;
        let trailer_len = dec.trailer(&hdr)?.len();
        let pad = dec.padding()?;
        println!("{} v1: {} records, {} bytes, trailer {}, pad {}", name, recs.len(), body.len(), trailer_len, pad.len());
    }
    Ok(())
}

pub fn run(addr: &str) -> io::Result<()> {
    for stream in TcpListener::bind(addr)?.incoming() {
        if let Err(e) = serve_client(stream?) {
            eprintln!("client error: {}", e);
        }
    }
    Ok(())
}
