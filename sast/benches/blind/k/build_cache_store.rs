//! Local artifact store for the remote build cache: fetch, verify, serve.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use isahc::prelude::*;
use isahc::Request;
use md5::{Digest, Md5};
use sha1::Sha1;
use sha2::Sha256;

#[derive(Debug, Clone)]
pub struct ArtifactMeta {
    pub name: String,
    pub version: String,
    pub md5: Option<String>,
    pub sha256: Option<String>,
}

pub struct UpstreamAuth {
    pub user: String,
    pub password: String,
}

impl UpstreamAuth {
    pub fn from_env() -> Option<Self> {
        Some(UpstreamAuth {
            user: std::env::var("CACHE_UPSTREAM_USER").ok()?,
            password: std::env::var("CACHE_UPSTREAM_PASSWORD").ok()?,
        })
    }

    fn header(&self) -> String {
        let pair = format!("{}:{}", self.user, self.password);
        format!("Basic {}", B64.encode(pair))
    }
}

mod checksum {
    use super::*;

    pub fn legacy_md5(bytes: &[u8]) -> String {
        hex::encode(Md5::digest(bytes)) //~ weak-hash
    }

    pub fn sha256(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    pub fn shard_key(name: &str, version: &str) -> String {
        hex::encode(Md5::digest(format!("{name}@{version}")))
    }

    pub fn etag(bytes: &[u8]) -> String {
        format!("\"{}\"", hex::encode(&Md5::digest(bytes)[..8]))
    }
}

pub struct ArtifactStore {
    root: PathBuf,
    upstream: String,
    auth: Option<UpstreamAuth>,
    manifest_secret: Vec<u8>,
}

impl ArtifactStore {
    pub fn open(root: impl Into<PathBuf>, upstream: &str) -> io::Result<Self> {
        let root = root.into();
        fs::create_dir_all(root.join("objects"))?;
        let manifest_secret = fs::read(root.join("manifest.key"))?;
        let store = ArtifactStore {
            root,
            upstream: upstream.trim_end_matches('/').to_string(),
            auth: UpstreamAuth::from_env(),
            manifest_secret,
        };
        if let Some(auth) = &store.auth {
            store.save_upstream_login(auth)?;
        }
        Ok(store)
    }

    fn object_path(&self, meta: &ArtifactMeta) -> PathBuf {
        let key = checksum::shard_key(&meta.name, &meta.version);
        self.root.join("objects").join(&key[..2]).join(key)
    }

    fn fetch_upstream(&self, meta: &ArtifactMeta) -> Result<Vec<u8>, isahc::Error> {
        let url = format!("{}/artifacts/{}/{}", self.upstream, meta.name, meta.version);
        let mut req = Request::get(url);
        if let Some(auth) = &self.auth {
            req = req.header("authorization", auth.header());
        }
        let mut resp = req.body(())?.send()?;
        let mut body = Vec::new();
        resp.body_mut().read_to_end(&mut body)?;
        Ok(body)
    }

    fn verify(&self, meta: &ArtifactMeta, bytes: &[u8]) -> bool {
        if let Some(expected) = &meta.sha256 {
            return checksum::sha256(bytes).eq_ignore_ascii_case(expected);
        }
        match &meta.md5 {
            Some(expected) => checksum::legacy_md5(bytes).eq_ignore_ascii_case(expected),
            None => false,
        }
    }

    pub fn ensure(&self, meta: &ArtifactMeta) -> io::Result<PathBuf> {
        let path = self.object_path(meta);
        if path.exists() {
            return Ok(path);
        }
        let bytes = self.fetch_upstream(meta).map_err(io::Error::other)?;
        if !self.verify(meta, &bytes) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "checksum mismatch",
            ));
        }
        fs::create_dir_all(path.parent().unwrap_or(&self.root))?;
        File::create(&path)?.write_all(&bytes)?;
        Ok(path)
    }

    pub fn open_by_label(&self, label: &str) -> io::Result<File> {
        let p = self.root.join("labels").join(label);
        File::open(p) //~ path-traversal
    }

    pub fn sign_manifest(&self, manifest: &[u8]) -> String {
        let mut material = self.manifest_secret.clone();
        material.extend_from_slice(manifest);
        hex::encode(Sha1::digest(&material)) //~ weak-hash
    }

    pub fn save_upstream_login(&self, auth: &UpstreamAuth) -> io::Result<()> {
        let mut f = File::create(self.root.join("upstream.auth"))?;
        writeln!(f, "{}:{}", auth.user, auth.password) //~ cleartext-storage
    }

    pub fn register_uploader(&self, uploader: &str, token: &str) -> io::Result<()> {
        let fingerprint = hex::encode(Sha1::digest(token.as_bytes())); //~ weak-hash
        let line = format!("{} {}\n", uploader, fingerprint);
        fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.root.join("uploaders"))?
            .write_all(line.as_bytes())
    }

    pub fn serve(&self, meta: &ArtifactMeta) -> io::Result<(String, Vec<u8>)> {
        let path = self.ensure(meta)?;
        let bytes = fs::read(&path)?;
        Ok((checksum::etag(&bytes), bytes))
    }
}

pub fn label_exists(root: &Path, label: &str) -> bool {
    !label.contains("..") && !label.contains('/') && root.join("labels").join(label).is_file()
}
