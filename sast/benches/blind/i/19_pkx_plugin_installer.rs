//! Installer for `.pkx` plugin bundles downloaded from the plugin catalogue.
//!
//! Layout (little endian): "PKX1", version u8, entry_count u32, manifest_len
//! u32, manifest (TOML), then per entry: name_len u16, kind u8, size u64,
//! payload bytes. Signatures are appended as sig_len u16 + bytes.

use std::alloc::{alloc, dealloc, Layout};
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::process::Command;

const MAX_SIG: usize = 512;
const SANDBOX_RUNNER: &str = "/usr/libexec/pkx-sandbox";

#[derive(Debug)]
pub struct BundleHeader {
    pub version: u8,
    pub entry_count: u32,
    pub manifest_len: u32,
}

#[derive(Clone, Default)]
struct IndexSlot {
    name: String,
    kind: u8,
    size: u64,
}

#[derive(serde::Deserialize)]
struct Manifest {
    id: String,
    post_install: Option<String>,
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

fn read_u32<R: Read>(r: &mut R) -> io::Result<u32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

pub fn read_header<R: Read>(r: &mut R) -> io::Result<BundleHeader> {
    let mut magic = [0u8; 5];
    r.read_exact(&mut magic)?;
    if &magic[..4] != b"PKX1" {
        return Err(invalid("not a pkx bundle"));
    }
    let entry_count = read_u32(r)?;
    let manifest_len = read_u32(r)?;
    Ok(BundleHeader {
        version: magic[4],
        entry_count,
        manifest_len,
    })
}

fn read_manifest<R: Read>(r: &mut R, hdr: &BundleHeader) -> io::Result<Manifest> {
    let mut text = String::with_capacity(hdr.manifest_len as usize); //~ unbounded-allocation
    r.take(hdr.manifest_len as u64).read_to_string(&mut text)?;
    toml::from_str(&text).map_err(|_| invalid("bad manifest"))
}

fn read_slot<R: Read>(r: &mut R) -> io::Result<IndexSlot> {
    let mut len = [0u8; 2];
    r.read_exact(&mut len)?;
    let mut name = vec![0u8; u16::from_le_bytes(len) as usize];
    r.read_exact(&mut name)?;
    let mut meta = [0u8; 9];
    r.read_exact(&mut meta)?;
    let size = u64::from_le_bytes(meta[1..].try_into().unwrap());
    let name = String::from_utf8(name).map_err(|_| invalid("entry name"))?;
    Ok(IndexSlot {
        name,
        kind: meta[0],
        size,
    })
}

/// Copies one payload through a raw staging buffer that is handed to the
/// platform's decompressor on some targets.
fn copy_payload<R: Read, W: Write>(r: &mut R, w: &mut W, size: u64) -> io::Result<()> {
    let layout = Layout::array::<u8>(size as usize).map_err(|_| invalid("size"))?;
    let buf = unsafe { alloc(layout) }; //~ unbounded-allocation
    if buf.is_null() {
        return Err(io::ErrorKind::OutOfMemory.into());
    }
    let slice = unsafe { std::slice::from_raw_parts_mut(buf, size as usize) };
    let res = r.read_exact(slice).and_then(|_| w.write_all(slice));
    unsafe { dealloc(buf, layout) };
    res
}

fn read_signature<R: Read>(r: &mut R) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 2];
    r.read_exact(&mut len)?;
    let n = u16::from_le_bytes(len) as usize;
    if n > MAX_SIG {
        return Err(invalid("signature too long"));
    }
    let mut sig = vec![0u8; n];
    r.read_exact(&mut sig)?;
    Ok(sig)
}

fn icon_path(dir: &Path, name: &str) -> io::Result<PathBuf> {
    let rel = Path::new(name);
    if rel.is_absolute() || rel.components().any(|c| matches!(c, Component::ParentDir)) {
        return Err(invalid("icon path escapes bundle"));
    }
    Ok(dir.join("icons").join(rel))
}

pub struct Installer {
    plugins_dir: PathBuf,
}

impl Installer {
    fn extract_entry<R: Read>(&self, r: &mut R, dest: &Path, slot: &IndexSlot) -> io::Result<()> {
        if slot.kind == 1 {
            let icon = icon_path(dest, &slot.name)?;
            fs::create_dir_all(dest.join("icons"))?;
            let mut out = fs::File::create(&icon)?;
            return copy_payload(r, &mut out, slot.size);
        }
        let out_path = dest.join(&slot.name);
        let mut out = fs::File::create(&out_path)?; //~ path-traversal
        copy_payload(r, &mut out, slot.size)
    }

    fn run_post_install(&self, manifest: &Manifest, dest: &Path) -> io::Result<bool> {
        let Some(hook) = manifest.post_install.as_deref() else {
            return Ok(true);
        };
        let mut parts = hook.split_whitespace();
        let program = parts.next().ok_or_else(|| invalid("empty hook"))?;
        let mut cmd = Command::new(program); //~ command-injection
        cmd.args(parts).current_dir(dest);
        Ok(cmd.status()?.success())
    }

    fn sandbox_check(&self, manifest: &Manifest, dest: &Path) -> io::Result<bool> {
        if !manifest
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        {
            return Err(invalid("bad plugin id"));
        }
        let mut cmd = Command::new(SANDBOX_RUNNER);
        cmd.arg("--plugin").arg(&manifest.id).arg(dest);
        Ok(cmd.status()?.success())
    }

    pub fn install<R: Read>(&self, mut r: R) -> io::Result<String> {
        let hdr = read_header(&mut r)?;
        let manifest = read_manifest(&mut r, &hdr)?;
        let dest = self
            .plugins_dir
            .join(format!("{}.staging", manifest.id.replace('/', "_")));
        fs::create_dir_all(&dest)?;
        let mut index = vec![IndexSlot::default(); hdr.entry_count as usize]; //~ unbounded-allocation
        for slot in index.iter_mut() {
            *slot = read_slot(&mut r)?;
            self.extract_entry(&mut r, &dest, slot)?;
        }
        let _sig = read_signature(&mut r)?;
        if !self.sandbox_check(&manifest, &dest)? || !self.run_post_install(&manifest, &dest)? {
            return Err(invalid("post-install step failed"));
        }
        Ok(manifest.id)
    }
}
