use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::net::{SocketAddr, UdpSocket};

const MAX_POINTS: usize = 512;
const MAX_TAGS: usize = 32;

#[derive(Clone, Default, Debug)]
struct Sample {
    ts: u64,
    value: f64,
}

struct PacketHeader {
    version: u8,
    points: u32,
    tag_count: u16,
    history: u32,
    api_key: String,
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4).map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

fn parse_header(buf: &[u8]) -> Option<(PacketHeader, usize)> {
    let version = *buf.first()?;
    let points = be_u32(buf, 1)?;
    let tag_count = u16::from_be_bytes([*buf.get(5)?, *buf.get(6)?]);
    let history = be_u32(buf, 7)?;
    let key_len = *buf.get(11)? as usize;
    let api_key = String::from_utf8_lossy(buf.get(12..12 + key_len)?).into_owned();
    Some((PacketHeader { version, points, tag_count, history, api_key }, 12 + key_len))
}

fn decode_samples(hdr: &PacketHeader, body: &[u8]) -> Vec<Sample> {
    let mut out = vec![Sample::default(); hdr.points as usize]; //~ unbounded-allocation
    for (i, chunk) in body.chunks_exact(16).enumerate().take(out.len()) {
        out[i].ts = u64::from_be_bytes(chunk[..8].try_into().unwrap());
        out[i].value = f64::from_be_bytes(chunk[8..].try_into().unwrap());
    }
    out
}

fn decode_samples_capped(hdr: &PacketHeader, body: &[u8]) -> Vec<Sample> {
    let n = (hdr.points as usize).min(MAX_POINTS).min(body.len() / 16);
    let mut out = Vec::with_capacity(n);
    for chunk in body.chunks_exact(16).take(n) {
        out.push(Sample { ts: u64::from_be_bytes(chunk[..8].try_into().unwrap()), value: f64::from_be_bytes(chunk[8..].try_into().unwrap()) });
    }
    out
}

fn decode_tags(hdr: &PacketHeader) -> Vec<String> {
    let mut tags = Vec::with_capacity(hdr.tag_count as usize);
    tags.resize(usize::from(hdr.tag_count).min(MAX_TAGS), String::new());
    tags
}

struct History {
    slots: Vec<f64>,
}

impl History {
    fn ensure(&mut self, hdr: &PacketHeader) {
        let wanted = hdr.history as usize;
        if wanted > self.slots.len() {
            self.slots.resize(wanted, 0.0); //~ unbounded-allocation
        }
    }

    fn scratch_sum(&self, hdr: &PacketHeader) -> f64 {
        let layout = Layout::array::<f64>(hdr.points as usize).expect("layout");
        if layout.size() == 0 {
            return 0.0;
        }
        unsafe {
            let p = alloc_zeroed(layout) as *mut f64; //~ unbounded-allocation
            let s = (0..hdr.points as usize).map(|i| *p.add(i)).sum();
            dealloc(p as *mut u8, layout);
            s
        }
    }
}

fn authorize(hdr: &PacketHeader, from: SocketAddr) -> bool {
    let expected = std::env::var("TELEMETRY_KEY").unwrap_or_default();
    let ok = !expected.is_empty() && hdr.api_key == expected;
    if !ok {
        println!("rejected packet from {} with key {}", from, hdr.api_key); //~ cleartext-logging
    } else {
        println!("accepted packet from {} (key ...{})", from, &hdr.api_key[hdr.api_key.len().saturating_sub(2)..]);
    }
    ok
}

fn label_buffer(body: &[u8]) -> String {
    let want = u32::from_be_bytes(body.get(..4).and_then(|s| s.try_into().ok()).unwrap_or([0; 4]));
    String::with_capacity(want as usize) //~ unbounded-allocation
}

fn main() -> std::io::Result<()> {
    let sock = UdpSocket::bind("0.0.0.0:8125")?;
    let mut buf = [0u8; 1500];
    let mut history = History { slots: Vec::new() };
    loop {
        let (n, from) = sock.recv_from(&mut buf)?;
        let Some((hdr, off)) = parse_header(&buf[..n]) else { continue };
        if !authorize(&hdr, from) {
            continue;
        }
        let samples = if hdr.version >= 2 { decode_samples_capped(&hdr, &buf[off..n]) } else { decode_samples(&hdr, &buf[off..n]) };
        let tags = decode_tags(&hdr);
        history.ensure(&hdr);
        let label = label_buffer(&buf[off..n]);
        let total = history.scratch_sum(&hdr);
        println!("{} samples, {} tags, label cap {}, sum {}", samples.len(), tags.len(), label.capacity(), total);
    }
}
