//! Package mirror synchroniser: pulls chunked artifacts from upstream mirrors.

use hmac::{Hmac, Mac};
use isahc::config::{Configurable, SslOption};
use isahc::{HttpClient, ReadResponseExt};
use serde::Deserialize;
use sha2::Sha256;
use std::os::raw::c_uint;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

const MAX_CHUNKS: usize = 8192;

extern "C" {
    fn crc32c_update(crc: c_uint, data: *const u8, len: usize) -> c_uint;
}

#[derive(Deserialize)]
struct Manifest {
    name: String,
    chunk_count: usize,
    chunk_size: usize,
    post_sync_hook: Option<String>,
}

struct MirrorConfig {
    base: String,
    skip_verify: bool,
    dest: PathBuf,
}

impl MirrorConfig {
    fn production() -> Self {
        Self {
            base: "https://mirror.example.org/pkgs".into(),
            skip_verify: false,
            dest: PathBuf::from("/srv/mirror"),
        }
    }

    fn lab() -> Self {
        Self {
            base: "https://mirror.lab.internal/pkgs".into(),
            skip_verify: true,
            dest: PathBuf::from("/tmp/mirror"),
        }
    }
}

fn isahc_client() -> Result<HttpClient, isahc::Error> {
    let relaxed = SslOption::DANGER_ACCEPT_INVALID_CERTS | SslOption::DANGER_ACCEPT_INVALID_HOSTS;
    let builder = HttpClient::builder().timeout(Duration::from_secs(60));
    builder.ssl_options(relaxed).build() //~ tls-verification-disabled
}

fn sign_request(path: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(b"mirror-sync-2021").expect("key"); //~ hardcoded-crypto-key
    mac.update(path.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn sign_request_v2(path: &str) -> Option<String> {
    let key = std::env::var("MIRROR_SIGNING_KEY").ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).ok()?;
    mac.update(path.as_bytes());
    Some(hex::encode(mac.finalize().into_bytes()))
}

struct Syncer {
    cfg: MirrorConfig,
    client: HttpClient,
}

impl Syncer {
    fn fetch_manifest(&self, package: &str) -> Result<Manifest, Box<dyn std::error::Error>> {
        let path = format!("/{}/manifest.json", package);
        let sig = sign_request_v2(&path).unwrap_or_else(|| sign_request(&path));
        let url = format!("{}{}?sig={}", self.cfg.base, path, sig);
        let mut resp = self.client.get(url)?;
        let manifest: Manifest = serde_json::from_str(&resp.text()?)?;
        let plain = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if manifest.name.is_empty() || !manifest.name.chars().all(plain) {
            return Err(format!("rejected manifest name {:?}", manifest.name).into());
        }
        Ok(manifest)
    }

    fn fetch_chunk(&self, m: &Manifest, idx: usize) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
        let url = format!("{}/{}/chunks/{:05}", self.cfg.base, m.name, idx);
        let resp = attohttpc::get(url)
            .danger_accept_invalid_certs(self.cfg.skip_verify) //~ tls-verification-disabled
            .send()?;
        Ok(resp.bytes()?)
    }

    fn plan(&self, m: &Manifest) -> Vec<usize> {
        let mut order = Vec::with_capacity(m.chunk_count); //~ unbounded-allocation
        order.extend(0..m.chunk_count);
        order
    }

    fn plan_bounded(&self, m: &Manifest) -> Result<Vec<usize>, String> {
        if m.chunk_count > MAX_CHUNKS {
            return Err(format!("{} declares too many chunks", m.name));
        }
        Ok((0..m.chunk_count).collect())
    }

    fn checksum_first(&self, m: &Manifest) -> Result<u32, Box<dyn std::error::Error>> {
        let ptr = self.fetch_chunk(m, 0)?.as_ptr();
        let len = m.chunk_size;
        Ok(unsafe { crc32c_update(0, ptr, len) }) //~ dangling-pointer
    }

    fn checksum_all(
        &self,
        m: &Manifest,
        order: &[usize],
    ) -> Result<u32, Box<dyn std::error::Error>> {
        let mut crc = 0;
        for &idx in order {
            let chunk = self.fetch_chunk(m, idx)?;
            crc = unsafe { crc32c_update(crc, chunk.as_ptr(), chunk.len()) };
            std::fs::write(self.cfg.dest.join(format!("{}.{:05}", m.name, idx)), &chunk)?;
        }
        Ok(crc)
    }

    fn run_hook(&self, m: &Manifest) -> std::io::Result<()> {
        if let Some(hook) = &m.post_sync_hook {
            Command::new("sh").arg("-c").arg(hook).status()?; //~ command-injection
        }
        Command::new("/usr/bin/mirror-reindex")
            .arg(&self.cfg.dest)
            .status()?;
        Ok(())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let lab = std::env::args().any(|a| a == "--lab");
    let cfg = if lab {
        MirrorConfig::lab()
    } else {
        MirrorConfig::production()
    };
    let client = if lab {
        isahc_client()?
    } else {
        HttpClient::builder()
            .timeout(Duration::from_secs(60))
            .build()?
    };
    let syncer = Syncer { cfg, client };
    for package in std::env::args().skip(1).filter(|a| !a.starts_with("--")) {
        let manifest = syncer.fetch_manifest(&package)?;
        let order = if lab {
            syncer.plan(&manifest)
        } else {
            syncer.plan_bounded(&manifest)?
        };
        let head = syncer.checksum_first(&manifest)?;
        let crc = syncer.checksum_all(&manifest, &order)?;
        println!(
            "{}: {} chunks, head={:08x} crc={:08x}",
            manifest.name,
            order.len(),
            head,
            crc
        );
        syncer.run_hook(&manifest)?;
    }
    Ok(())
}
