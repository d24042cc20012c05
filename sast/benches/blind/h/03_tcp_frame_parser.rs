use byteorder::{BigEndian, ReadBytesExt};
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;

const MAX_FRAME: usize = 1 << 20;
const MAX_FIELDS: usize = 256;
const MAX_TEXT: usize = 64 * 1024;

#[derive(Debug)]
struct FrameHeader {
    kind: u8,
    len: u32,
    field_count: u32,
}

fn read_header<R: Read>(r: &mut R) -> io::Result<FrameHeader> {
    let kind = r.read_u8()?;
    let len = r.read_u32::<BigEndian>()?;
    let field_count = r.read_u32::<BigEndian>()?;
    Ok(FrameHeader { kind, len, field_count })
}

fn read_body<R: Read>(r: &mut R, hdr: &FrameHeader) -> io::Result<Vec<u8>> {
    let mut body = vec![0u8; hdr.len as usize]; //~ unbounded-allocation
    r.read_exact(&mut body)?;
    Ok(body)
}

fn read_body_bounded<R: Read>(r: &mut R, hdr: &FrameHeader) -> io::Result<Vec<u8>> {
    let len = hdr.len as usize;
    if len > MAX_FRAME {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "frame too large"));
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body)?;
    Ok(body)
}

fn parse_fields(body: &[u8], count: u32, capped: bool) -> Vec<(u16, Vec<u8>)> {
    let mut fields = if capped {
        Vec::with_capacity((count as usize).min(MAX_FIELDS))
    } else {
        Vec::with_capacity(count as usize) //~ unbounded-allocation
    };
    let mut pos = 0;
    while pos + 4 <= body.len() {
        let tag = u16::from_be_bytes([body[pos], body[pos + 1]]);
        let flen = u16::from_be_bytes([body[pos + 2], body[pos + 3]]) as usize;
        pos += 4;
        let mut val = Vec::with_capacity(flen);
        let end = (pos + flen).min(body.len());
        val.extend_from_slice(&body[pos..end]);
        fields.push((tag, val));
        pos = end;
    }
    fields
}

struct Session {
    stream: TcpStream,
    scratch: Vec<u8>,
}

impl Session {
    fn next_len(&mut self) -> io::Result<usize> {
        Ok(self.stream.read_u32::<BigEndian>()? as usize)
    }

    fn grow_scratch(&mut self) -> io::Result<()> {
        let want = self.next_len()?;
        self.scratch.reserve(want); //~ unbounded-allocation
        Ok(())
    }

    fn read_string(&mut self) -> io::Result<String> {
        let n = self.next_len()?;
        let mut s = String::with_capacity(n); //~ unbounded-allocation
        (&mut self.stream).take(n as u64).read_to_string(&mut s)?;
        Ok(s)
    }

    fn read_label(&mut self) -> io::Result<String> {
        let n = self.next_len()?;
        if n > MAX_TEXT {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "label too long"));
        }
        let mut s = String::with_capacity(n);
        (&mut self.stream).take(n as u64).read_to_string(&mut s)?;
        Ok(s)
    }

    fn padding(&mut self) -> io::Result<Vec<u8>> {
        let pad = self.next_len()?;
        Ok([0u8].repeat(pad)) //~ unbounded-allocation
    }

    fn short_padding(&mut self) -> io::Result<Vec<u8>> {
        let pad = self.stream.read_u16::<BigEndian>()? as usize;
        Ok([0u8].repeat(pad))
    }

    fn serve(&mut self) -> io::Result<()> {
        loop {
            let hdr = read_header(&mut self.stream)?;
            let body = match hdr.kind {
                0x01 => read_body_bounded(&mut self.stream, &hdr)?,
                0x02 => read_body(&mut self.stream, &hdr)?,
                0x03 => self.read_string()?.into_bytes(),
                0x04 => self.read_label()?.into_bytes(),
                0x05 => self.padding()?,
                0x06 => self.short_padding()?,
                0x07 => {
                    self.grow_scratch()?;
                    continue;
                }
                _ => return Ok(()),
            };
            let fields = parse_fields(&body, hdr.field_count, hdr.kind == 0x01);
            writeln!(self.stream, "ok {} fields", fields.len())?;
        }
    }
}

fn main() -> io::Result<()> {
    let listener = TcpListener::bind("0.0.0.0:7400")?;
    for conn in listener.incoming() {
        let stream = conn?;
        thread::spawn(move || {
            let mut s = Session { stream, scratch: Vec::new() };
            let _ = s.serve();
        });
    }
    Ok(())
}
