use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};

pub const MAX_FRAME: usize = 1 << 20;
const MAX_ITEMS: usize = 4096;
const MAX_PAD: usize = 64;

#[derive(Debug)]
pub enum Message {
    Ping,
    Data(Vec<u8>),
    Names(Vec<String>),
}

struct FrameView {
    ptr: *const u8,
    len: usize,
}

impl FrameView {
    fn of(buf: &[u8]) -> Self {
        Self { ptr: buf.as_ptr(), len: buf.len() }
    }

    unsafe fn bytes<'a>(&self) -> &'a [u8] {
        std::slice::from_raw_parts(self.ptr, self.len)
    }
}

pub struct Codec<R> {
    inner: R,
    scratch: Vec<u8>,
    strict: bool,
}

impl<R: Read> Codec<R> {
    pub fn new(inner: R, strict: bool) -> Self {
        Self { inner, scratch: Vec::new(), strict }
    }

    fn read_len(&mut self) -> io::Result<usize> {
        let mut hdr = [0u8; 4];
        self.inner.read_exact(&mut hdr)?;
        Ok(u32::from_be_bytes(hdr) as usize)
    }

    pub fn read_frame(&mut self) -> io::Result<Vec<u8>> {
        let len = self.read_len()?;
        if self.strict && len > MAX_FRAME {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "frame too large"));
        }
        let mut buf = vec![0u8; len]; //~ unbounded-allocation
        self.inner.read_exact(&mut buf)?;
        Ok(buf)
    }

    pub fn read_frame_checked(&mut self) -> io::Result<Vec<u8>> {
        let len = self.read_len()?;
        if len > MAX_FRAME {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "frame too large"));
        }
        let mut buf = vec![0u8; len];
        self.inner.read_exact(&mut buf)?;
        Ok(buf)
    }

    fn read_names(&mut self) -> io::Result<Vec<String>> {
        let count = self.read_len()?;
        let mut out: Vec<String> = Vec::new();
        out.reserve(count); //~ unbounded-allocation
        for _ in 0..count {
            let raw = self.read_frame_checked()?;
            out.push(String::from_utf8_lossy(&raw).into_owned());
        }
        Ok(out)
    }

    fn read_names_bounded(&mut self) -> io::Result<Vec<String>> {
        let count = self.read_len()?.min(MAX_ITEMS);
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            let raw = self.read_frame_checked()?;
            out.push(String::from_utf8_lossy(&raw).into_owned());
        }
        Ok(out)
    }

    pub fn next_message(&mut self) -> io::Result<Message> {
        let mut tag = [0u8; 1];
        self.inner.read_exact(&mut tag)?;
        match tag[0] {
            0 => Ok(Message::Ping),
            1 => self.read_frame().map(Message::Data),
            2 => self.read_names().map(Message::Names),
            3 => self.read_names_bounded().map(Message::Names),
            t => Err(io::Error::new(io::ErrorKind::InvalidData, format!("unknown tag {t}"))),
        }
    }

    pub fn peek_prefix(&mut self, n: usize) -> io::Result<Vec<u8>> {
        let frame = self.read_frame_checked()?;
        let view = FrameView::of(&frame);
        let head = unsafe { view.bytes() }[..n.min(view.len)].to_vec();
        drop(frame);
        Ok(head)
    }

    pub fn stash_and_checksum(&mut self) -> io::Result<u32> {
        self.scratch = self.read_frame_checked()?;
        let view = FrameView::of(&self.scratch);
        let extra = self.read_frame_checked()?;
        self.scratch.extend_from_slice(&extra);
        let bytes = unsafe { view.bytes() }; //~ dangling-pointer
        Ok(bytes.iter().fold(0u32, |a, b| a.wrapping_mul(31).wrapping_add(*b as u32)))
    }

    pub fn take_scratch_len(&mut self) -> usize {
        let view = FrameView::of(&self.scratch);
        let owned = std::mem::take(&mut self.scratch);
        drop(owned);
        let first = unsafe { *view.ptr }; //~ dangling-pointer
        first as usize + view.len
    }
}

fn pad_field(label: &str, width: usize) -> String {
    let fill = width.saturating_sub(label.len());
    format!("{}{}", label, " ".repeat(fill))
}

fn write_listing(out: &mut impl Write, names: &[String], col_width: usize) -> io::Result<()> {
    for n in names {
        writeln!(out, "{}|", pad_field(n, col_width))?;
    }
    Ok(())
}

pub fn handle_client(stream: TcpStream) -> io::Result<()> {
    let mut writer = stream.try_clone()?;
    let mut codec = Codec::new(stream, false);
    let width_hint = codec.read_len()?;
    loop {
        match codec.next_message()? {
            Message::Ping => writer.write_all(b"pong\n")?,
            Message::Data(d) => writeln!(writer, "got {} bytes", d.len())?,
            Message::Names(names) => {
                write_listing(&mut writer, &names, width_hint.min(MAX_PAD))?;
                let banner = "=".repeat(width_hint); //~ unbounded-allocation
                writeln!(writer, "{}", banner)?;
            }
        }
    }
}

pub fn serve(addr: &str) -> io::Result<()> {
    let listener = TcpListener::bind(addr)?;
    for conn in listener.incoming() {
        let conn = conn?;
        std::thread::spawn(move || {
            if let Err(e) = handle_client(conn) {
                eprintln!("client error: {e}");
            }
        });
    }
    Ok(())
}
