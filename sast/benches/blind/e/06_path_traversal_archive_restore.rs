// Scenario: a restore worker for a self-hosted wiki. It downloads a backup
// bundle (tar.gz plus a JSON manifest) from object storage and unpacks it.
use flate2::read::GzDecoder;
use serde::Deserialize;
use std::fs;
use std::io::Cursor;
use std::path::{Component, Path, PathBuf};

#[derive(Deserialize)]
struct Manifest {
    attachments: Vec<Attachment>,
}

#[derive(Deserialize)]
struct Attachment {
    page: String,
    file_name: String,
    data_b64: String,
}

struct Restorer {
    target: PathBuf,
    http: reqwest::Client,
}

fn is_relative_clean(p: &Path) -> bool {
    p.components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

impl Restorer {
    async fn fetch(&self, url: &str) -> reqwest::Result<Vec<u8>> {
        Ok(self
            .http
            .get(url)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?
            .to_vec())
    }

    fn unpack_pages(&self, gz: &[u8]) -> std::io::Result<usize> {
        let mut archive = tar::Archive::new(GzDecoder::new(Cursor::new(gz)));
        let mut n = 0;
        for entry in archive.entries()? {
            let mut entry = entry?;
            let rel = entry.path()?.into_owned();
            if rel.starts_with("media") {
                entry.unpack_in(&self.target)?;
            } else {
                let dest = self.target.join("pages").join(&rel);
                fs::create_dir_all(dest.parent().unwrap_or(&self.target))?;
                entry.unpack(&dest)?; //~ path-traversal
            }
            n += 1;
        }
        Ok(n)
    }

    fn attachment_dest(&self, a: &Attachment) -> PathBuf {
        self.target
            .join("attachments")
            .join(&a.page)
            .join(&a.file_name)
    }

    fn restore_attachments(&self, manifest: &Manifest) -> std::io::Result<usize> {
        use base64::Engine;
        let decoded = manifest.attachments.iter().filter_map(|a| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(&a.data_b64)
                .ok()?;
            Some((self.attachment_dest(a), bytes))
        });
        let mut written = 0;
        for (path, bytes) in decoded {
            fs::write(&path, bytes)?; //~ path-traversal
            written += 1;
        }
        Ok(written)
    }

    fn restore_thumbnails(&self, manifest: &Manifest) -> std::io::Result<()> {
        for a in &manifest.attachments {
            let rel = Path::new(&a.page).join(&a.file_name);
            if !is_relative_clean(&rel) {
                continue;
            }
            let thumb = self.target.join("thumbs").join(rel).with_extension("png");
            fs::write(thumb, b"")?;
        }
        Ok(())
    }
}

pub async fn run(bundle_url: &str, manifest_url: &str) -> Result<(), Box<dyn std::error::Error>> {
    let target =
        PathBuf::from(std::env::var("WIKI_DATA").unwrap_or_else(|_| "/var/lib/wiki".into()));
    let r = Restorer {
        target,
        http: reqwest::Client::new(),
    };
    let bundle = r.fetch(bundle_url).await?;
    let manifest: Manifest = serde_json::from_slice(&r.fetch(manifest_url).await?)?;
    let pages = tokio::task::block_in_place(|| r.unpack_pages(&bundle))?;
    let files = r.restore_attachments(&manifest)?;
    r.restore_thumbnails(&manifest)?;
    println!("restored {} pages and {} attachments", pages, files);
    Ok(())
}
