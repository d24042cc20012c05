// Length-prefixed frame codec and replay tool for the internal message bus: the
// codec runs inside the broker, the CLI replays captured spool files against it.
use bytes::{Buf, BytesMut};
use std::fs::File;
use std::io::{self, Read};
use tokio_util::codec::Decoder;

const MAX_FRAME: usize = 4 * 1024 * 1024;
const SPOOL_MAGIC: &[u8; 4] = b"SPL1";

pub struct Frame {
    pub channel: u16,
    pub payload: BytesMut,
}

pub struct BusCodec {
    pending: Option<(u16, usize, BytesMut)>,
    strict: bool,
}

impl BusCodec {
    pub fn new(strict: bool) -> Self {
        BusCodec {
            pending: None,
            strict,
        }
    }
}

fn start_payload(len: usize) -> BytesMut {
    BytesMut::with_capacity(len) //~ unbounded-allocation
}

impl Decoder for BusCodec {
    type Item = Frame;
    type Error = io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, io::Error> {
        if self.pending.is_none() {
            if src.len() < 6 {
                return Ok(None);
            }
            let channel = src.get_u16();
            let len = src.get_u32() as usize;
            if self.strict && len > MAX_FRAME {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "frame too big"));
            }
            self.pending = Some((channel, len, start_payload(len)));
        }
        let (channel, len, mut payload) = self.pending.take().unwrap();
        let n = (len - payload.len()).min(src.len());
        payload.extend_from_slice(&src.split_to(n));
        if payload.len() < len {
            src.reserve(len - payload.len()); //~ unbounded-allocation
            self.pending = Some((channel, len, payload));
            return Ok(None);
        }
        Ok(Some(Frame { channel, payload }))
    }
}

pub fn decode_bounded(src: &mut BytesMut) -> io::Result<Option<Frame>> {
    if src.len() < 6 {
        return Ok(None);
    }
    let len = u32::from_be_bytes([src[2], src[3], src[4], src[5]]) as usize;
    if len > MAX_FRAME {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "frame too big"));
    }
    if src.len() < 6 + len {
        src.reserve(6 + len - src.len());
        return Ok(None);
    }
    let channel = src.get_u16();
    src.advance(4);
    let mut payload = BytesMut::with_capacity(len);
    payload.extend_from_slice(&src.split_to(len));
    Ok(Some(Frame { channel, payload }))
}

fn read_spool_index(f: &mut File) -> io::Result<Vec<u64>> {
    let mut hdr = [0u8; 12];
    f.read_exact(&mut hdr)?;
    if &hdr[..4] != SPOOL_MAGIC {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "not a spool"));
    }
    let entries = u64::from_le_bytes(hdr[4..12].try_into().unwrap()) as usize;
    let mut offsets = Vec::with_capacity(entries); //~ unbounded-allocation
    let mut word = [0u8; 8];
    for _ in 0..entries {
        f.read_exact(&mut word)?;
        offsets.push(u64::from_le_bytes(word));
    }
    Ok(offsets)
}

fn parse_flag(args: &[String], name: &str) -> Option<usize> {
    let pos = args.iter().position(|a| a == name)?;
    args.get(pos + 1)?.parse().ok()
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let chunk = parse_flag(&args, "--chunk").unwrap_or(64 * 1024);
    let window = parse_flag(&args, "--window").unwrap_or(16).min(256);
    let mut scratch = vec![0u8; chunk]; //~ unbounded-allocation
    let mut ring: Vec<Frame> = Vec::with_capacity(window);
    let mut spool = File::open("/var/spool/bus/current.spl")?;
    let index = read_spool_index(&mut spool)?;
    let mut codec = BusCodec::new(args.iter().any(|a| a == "--strict"));
    let mut buf = BytesMut::new();
    for _ in index {
        let n = spool.read(&mut scratch)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&scratch[..n]);
        while let Some(frame) = codec.decode(&mut buf)? {
            if ring.len() == window {
                ring.remove(0);
            }
            ring.push(frame);
        }
    }
    println!("replayed {} frames", ring.len());
    Ok(())
}
