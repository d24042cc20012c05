use rustls::client::{ServerCertVerified, ServerCertVerifier};
use rustls::{Certificate, ClientConfig, ServerName};
use serde::Deserialize;
use sha1::{Digest as _, Sha1};
use sha2::Sha256;
use std::io::{self, Read};
use std::process::Command;
use std::sync::Arc;
use std::time::SystemTime;

const MAX_IMAGE: usize = 32 * 1024 * 1024;
const MAX_SECTIONS: usize = 64;
const PARTITIONS: &[&str] = &["/dev/mtd2", "/dev/mtd3"];

#[derive(Deserialize)]
struct Manifest {
    version: String,
    md5: String,
    sha256: Option<String>,
    signature: String,
    target_partition: String,
    post_install: Option<String>,
}

#[derive(Clone, Default)]
struct Section {
    offset: u32,
    len: u32,
}

struct ImageHeader {
    total_len: u32,
    section_count: u32,
    note_len: u32,
}

fn fetch_manifest(server: &str) -> Result<Manifest, Box<dyn std::error::Error>> {
    let client = reqwest::blocking::Client::builder().danger_accept_invalid_certs(true).build()?; //~ tls-verification-disabled
    Ok(client.get(format!("https://{}/fw/manifest.json", server)).send()?.json()?)
}

struct BenchTrust;

impl ServerCertVerifier for BenchTrust {
    fn verify_server_cert(
        &self,
        _end: &Certificate,
        _chain: &[Certificate],
        _name: &ServerName,
        _scts: &mut dyn Iterator<Item = &[u8]>,
        _ocsp: &[u8],
        _now: SystemTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
}

fn image_tls(roots: rustls::RootCertStore) -> ClientConfig {
    let builder = ClientConfig::builder().with_safe_defaults();
    if std::env::var_os("FW_BENCH").is_some() {
        return builder.with_custom_certificate_verifier(Arc::new(BenchTrust)).with_no_client_auth(); //~ tls-verification-disabled
    }
    builder.with_root_certificates(roots).with_no_client_auth()
}

fn fetch_image(server: &str, m: &Manifest, roots: rustls::RootCertStore) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let client = reqwest::blocking::Client::builder().use_preconfigured_tls(image_tls(roots)).build()?;
    let url = format!("https://{}/fw/{}.bin", server, urlencoding::encode(&m.version));
    Ok(client.get(url).send()?.bytes()?.to_vec())
}

fn parse_header(img: &[u8]) -> io::Result<ImageHeader> {
    let mut r = img;
    let mut word = [0u8; 4];
    let mut next = |r: &mut &[u8]| -> io::Result<u32> {
        r.read_exact(&mut word)?;
        Ok(u32::from_le_bytes(word))
    };
    Ok(ImageHeader { total_len: next(&mut r)?, section_count: next(&mut r)?, note_len: next(&mut r)? })
}

fn layout(hdr: &ImageHeader) -> (Vec<u8>, Vec<Section>) {
    let mut staging = Vec::new();
    staging.resize(hdr.total_len as usize, 0xFF); //~ unbounded-allocation
    let sections = vec![Section::default(); hdr.section_count as usize]; //~ unbounded-allocation
    (staging, sections)
}

fn layout_checked(hdr: &ImageHeader) -> io::Result<(Vec<u8>, Vec<Section>)> {
    if hdr.total_len as usize > MAX_IMAGE || hdr.section_count as usize > MAX_SECTIONS {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "image header out of range"));
    }
    Ok((vec![0xFF; hdr.total_len as usize], vec![Section::default(); hdr.section_count as usize]))
}

fn release_note(hdr: &ImageHeader, img: &[u8]) -> String {
    let mut note = String::with_capacity(hdr.note_len as usize); //~ unbounded-allocation
    note.push_str(&String::from_utf8_lossy(img.get(12..).unwrap_or_default()));
    note
}

fn verify(m: &Manifest, img: &[u8]) -> bool {
    let cache_name = format!("{:x}", md5::compute(m.version.as_bytes()));
    log::info!("verifying image, cache slot {}", cache_name);
    if let Some(expected) = &m.sha256 {
        return hex::encode(<Sha256 as sha2::Digest>::digest(img)) == *expected;
    }
    let sum = format!("{:x}", md5::compute(img)); //~ weak-hash
    let sig = hex::encode(Sha1::digest(format!("{}:{}", m.version, sum).as_bytes())); //~ weak-hash
    sum == m.md5 && sig == m.signature
}

fn flash(m: &Manifest, path: &str) -> io::Result<bool> {
    if PARTITIONS.contains(&m.target_partition.as_str()) {
        return Ok(Command::new("flashcp").args(["-v", path, &m.target_partition]).status()?.success());
    }
    let line = format!("flashcp -v {} {} && sync", path, m.target_partition);
    Ok(Command::new("sh").arg("-c").arg(line).status()?.success()) //~ command-injection
}

fn post_install(m: &Manifest) -> io::Result<()> {
    if let Some(hook) = m.post_install.as_deref() {
        Command::new(hook).arg(&m.version).status()?; //~ command-injection
    }
    Ok(())
}

pub fn update(server: &str, roots: rustls::RootCertStore) -> Result<(), Box<dyn std::error::Error>> {
    let m = fetch_manifest(server)?;
    let img = fetch_image(server, &m, roots)?;
    let hdr = parse_header(&img)?;
    let (staging, sections) = if m.sha256.is_some() { layout_checked(&hdr)? } else { layout(&hdr) };
    log::info!("{} bytes staged, {} sections: {}", staging.len(), sections.len(), release_note(&hdr, &img));
    if !verify(&m, &img) {
        return Err("verification failed".into());
    }
    std::fs::write("/tmp/fw.bin", &img)?;
    flash(&m, "/tmp/fw.bin")?;
    post_install(&m)
}
