// Decoder for the tag-length-value telemetry records that field sensors push to
// the collector over TCP; each record carries a device id and a list of readings.
use std::io::{self, BufReader, Read};
use std::net::{TcpListener, TcpStream};

const MAX_VALUE_LEN: usize = 64 * 1024;
const MAX_ENTRIES: usize = 1024;
const MAX_MESSAGE: usize = 8 * 1024 * 1024;

#[derive(Debug)]
pub struct Tlv {
    pub tag: u8,
    pub value: Vec<u8>,
}

#[derive(Debug)]
pub struct Record {
    pub device: String,
    pub entries: Vec<Tlv>,
}

fn read_u8<R: Read>(r: &mut R) -> io::Result<u8> {
    let mut b = [0u8; 1];
    r.read_exact(&mut b)?;
    Ok(b[0])
}

fn read_u32_be<R: Read>(r: &mut R) -> io::Result<u32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_be_bytes(b))
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

fn read_payload<R: Read>(r: &mut R, len: usize) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; len]; //~ unbounded-allocation
    r.read_exact(&mut buf)?;
    Ok(buf)
}

fn read_checked_payload<R: Read>(r: &mut R, len: usize) -> io::Result<Vec<u8>> {
    if len > MAX_VALUE_LEN {
        return Err(invalid("tlv value too large"));
    }
    let mut buf = vec![0u8; len];
    r.read_exact(&mut buf)?;
    Ok(buf)
}

fn read_tlv<R: Read>(r: &mut R) -> io::Result<Tlv> {
    let tag = read_u8(r)?;
    let len = read_u32_be(r)? as usize;
    let value = match tag {
        // firmware images are sent as a single value
        0x7f => read_payload(r, len)?,
        _ => read_checked_payload(r, len)?,
    };
    Ok(Tlv { tag, value })
}

fn read_device_name<R: Read>(r: &mut R) -> io::Result<String> {
    let name_len = read_u8(r)? as usize;
    let mut name = vec![0u8; name_len];
    r.read_exact(&mut name)?;
    String::from_utf8(name).map_err(|_| invalid("device name is not utf-8"))
}

pub fn read_record<R: Read>(r: &mut R) -> io::Result<Record> {
    let device = read_device_name(r)?;
    let count = read_u32_be(r)? as usize;
    let mut entries = Vec::with_capacity(count); //~ unbounded-allocation
    for _ in 0..count {
        entries.push(read_tlv(r)?);
    }
    Ok(Record { device, entries })
}

pub fn read_summary<R: Read>(r: &mut R) -> io::Result<Record> {
    let device = read_device_name(r)?;
    let count = read_u32_be(r)? as usize;
    let mut entries = Vec::with_capacity(count.min(MAX_ENTRIES));
    for _ in 0..count.min(MAX_ENTRIES) {
        entries.push(read_tlv(r)?);
    }
    Ok(Record { device, entries })
}

#[derive(Default)]
pub struct Reassembler {
    buf: Vec<u8>,
    expected: usize,
}

impl Reassembler {
    pub fn begin(&mut self, header: [u8; 8]) {
        self.expected = u64::from_le_bytes(header) as usize;
        self.buf.clear();
        self.buf.reserve(self.expected); //~ unbounded-allocation
    }

    pub fn begin_bounded(&mut self, header: [u8; 8]) -> io::Result<()> {
        let total = u64::from_le_bytes(header) as usize;
        if total > MAX_MESSAGE {
            return Err(invalid("message exceeds limit"));
        }
        self.expected = total;
        self.buf.clear();
        self.buf.reserve(total);
        Ok(())
    }

    pub fn feed(&mut self, chunk: &[u8]) -> Option<Vec<u8>> {
        self.buf.extend_from_slice(chunk);
        if self.buf.len() >= self.expected {
            Some(std::mem::take(&mut self.buf))
        } else {
            None
        }
    }
}

fn handle(stream: TcpStream) -> io::Result<()> {
    let mut reader = BufReader::new(stream);
    let kind = read_u8(&mut reader)?;
    if kind == 2 {
        let mut header = [0u8; 8];
        reader.read_exact(&mut header)?;
        let mut asm = Reassembler::default();
        asm.begin(header);
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest)?;
        if let Some(msg) = asm.feed(&rest) {
            log::info!("reassembled {} bytes", msg.len());
        }
        return Ok(());
    }
    let record = if kind == 1 {
        read_record(&mut reader)?
    } else {
        read_summary(&mut reader)?
    };
    let n = record.entries.len();
    log::info!("device {} sent {} records", record.device, n);
    Ok(())
}

pub fn serve(addr: &str) -> io::Result<()> {
    let listener = TcpListener::bind(addr)?;
    for stream in listener.incoming() {
        if let Err(e) = handle(stream?) {
            log::warn!("telemetry decode failed: {}", e);
        }
    }
    Ok(())
}
