use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use sha1::{Digest, Sha1};
use sha2::Sha256;
use std::io::{self, Read, Write};
use std::net::TcpStream;

static STREAM_KEY: [u8; 32] = *b"telemetry-stream-key-v1-00000000"; //~ hardcoded-crypto-key
const MAX_FRAME: usize = 256 * 1024;

pub struct CipherConfig {
    key: [u8; 32],
    nonce_base: [u8; 12],
}

impl CipherConfig {
    pub fn builtin() -> Self {
        Self { key: STREAM_KEY, nonce_base: *b"tlm-nonce-01" } //~ hardcoded-crypto-key
    }

    pub fn from_env() -> io::Result<Self> {
        let raw = std::env::var("TELEMETRY_KEY_HEX").map_err(|_| io::Error::new(io::ErrorKind::NotFound, "TELEMETRY_KEY_HEX"))?;
        let bytes = hex::decode(raw.trim()).map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "hex"))?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "key length"))?;
        let mut nonce_base = [0u8; 12];
        SystemRandom::new().fill(&mut nonce_base).map_err(|_| io::Error::other("rng"))?;
        Ok(Self { key, nonce_base })
    }

    fn nonce_for(&self, seq: u64) -> [u8; 12] {
        let mut n = self.nonce_base;
        for (i, b) in seq.to_be_bytes().iter().enumerate() {
            n[4 + i] ^= b;
        }
        n
    }
}

pub struct SecureChannel<S> {
    inner: S,
    cipher: ChaCha20Poly1305,
    cfg: CipherConfig,
    seq: u64,
    mac_key: hmac::Key,
}

impl<S: Read + Write> SecureChannel<S> {
    pub fn new(inner: S, cfg: CipherConfig, mac_secret: &[u8]) -> Self {
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&cfg.key));
        Self { inner, cipher, cfg, seq: 0, mac_key: hmac::Key::new(hmac::HMAC_SHA256, mac_secret) }
    }

    pub fn send(&mut self, msg: &[u8]) -> io::Result<()> {
        let nonce = self.cfg.nonce_for(self.seq);
        self.seq += 1;
        let ct = self.cipher.encrypt(Nonce::from_slice(&nonce), Payload { msg, aad: b"tlm" }).map_err(|_| io::Error::other("seal"))?;
        let tag = hmac::sign(&self.mac_key, &ct);
        self.inner.write_all(&(ct.len() as u32).to_be_bytes())?;
        self.inner.write_all(&ct)?;
        self.inner.write_all(tag.as_ref())
    }

    fn read_len(&mut self) -> io::Result<usize> {
        let mut hdr = [0u8; 4];
        self.inner.read_exact(&mut hdr)?;
        Ok(u32::from_be_bytes(hdr) as usize)
    }

    pub fn recv(&mut self) -> io::Result<Vec<u8>> {
        let len = self.read_len()?;
        if len > MAX_FRAME {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "frame too large"));
        }
        let mut ct = vec![0u8; len];
        self.inner.read_exact(&mut ct)?;
        self.open(ct)
    }

    pub fn recv_bulk(&mut self) -> io::Result<Vec<u8>> {
        let len = self.read_len()?;
        let mut ct = vec![0u8; len]; //~ unbounded-allocation
        self.inner.read_exact(&mut ct)?;
        self.open(ct)
    }

    fn open(&mut self, ct: Vec<u8>) -> io::Result<Vec<u8>> {
        let mut tag = [0u8; 32];
        self.inner.read_exact(&mut tag)?;
        hmac::verify(&self.mac_key, &ct, &tag).map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "mac"))?;
        let nonce = self.cfg.nonce_for(self.seq);
        self.seq += 1;
        self.cipher.decrypt(Nonce::from_slice(&nonce), Payload { msg: &ct, aad: b"tlm" }).map_err(|_| io::Error::other("open"))
    }
}

pub fn firmware_matches(image: &[u8], expected_hex: &str) -> bool {
    let digest = Sha1::digest(image); //~ weak-hash
    hex::encode(digest).eq_ignore_ascii_case(expected_hex)
}

pub fn firmware_matches_v2(image: &[u8], expected_hex: &str) -> bool {
    hex::encode(<Sha256 as sha2::Digest>::digest(image)).eq_ignore_ascii_case(expected_hex)
}

pub fn bucket_for(device_id: &str) -> u8 {
    Sha1::digest(device_id.as_bytes())[0] % 16
}

pub fn connect(addr: &str) -> io::Result<SecureChannel<TcpStream>> {
    let stream = TcpStream::connect(addr)?;
    let cfg = CipherConfig::from_env().unwrap_or_else(|_| CipherConfig::builtin());
    let secret = std::env::var("TELEMETRY_MAC_SECRET").map(String::into_bytes);
    match secret {
        Ok(s) => Ok(SecureChannel::new(stream, cfg, &s)),
        Err(_) => Ok(SecureChannel::new(stream, cfg, b"telemetry-integrity-fallback")), //~ hardcoded-crypto-key
    }
}

pub fn pump(addr: &str, firmware_hash: &str) -> io::Result<usize> {
    let mut ch = connect(addr)?;
    ch.send(b"HELLO")?;
    let image = ch.recv_bulk()?;
    if !firmware_matches(&image, firmware_hash) && !firmware_matches_v2(&image, firmware_hash) {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "firmware hash mismatch"));
    }
    let status = ch.recv()?;
    log::info!("firmware {} bytes, bucket {}, status {:?}", image.len(), bucket_for(addr), String::from_utf8_lossy(&status));
    Ok(image.len())
}
