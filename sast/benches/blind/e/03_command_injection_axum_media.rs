// Scenario: an axum media service that transcodes stored uploads with ffmpeg
// and captions thumbnails with ImageMagick, driven by JSON job requests.
use axum::{extract::State, http::StatusCode, routing::post, Json, Router};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use tokio::process::Command;

#[derive(Deserialize)]
struct TranscodeJob {
    source: String,
    codec: String,
    filter: Option<String>,
    caption: Option<String>,
}

#[derive(Clone)]
struct Media {
    root: PathBuf,
}

const CODECS: &[&str] = &["libx264", "libvpx-vp9", "libaom-av1"];

fn caption_script(input: &Path, caption: &str) -> String {
    format!(
        "convert {} -gravity south -annotate +0+10 '{}' {}.thumb.png",
        input.display(),
        caption,
        input.display()
    )
}

impl Media {
    fn resolve(&self, name: &str) -> Option<PathBuf> {
        if name.contains("..") || name.starts_with('/') || name.contains('\\') {
            return None;
        }
        Some(self.root.join("uploads").join(name))
    }

    fn staging(&self, name: &str) -> PathBuf {
        self.root.join("staging").join(name)
    }

    async fn transcode(
        &self,
        input: &Path,
        codec: &str,
        filter: Option<&str>,
    ) -> std::io::Result<bool> {
        let codec = if CODECS.contains(&codec) {
            codec
        } else {
            "libx264"
        };
        let out = input.with_extension("out.mp4");
        if let Some(vf) = filter {
            let line = format!(
                "ffmpeg -y -i {} -vf {} -c:v {} {}",
                input.display(),
                vf,
                codec,
                out.display()
            );
            let status = Command::new("sh").arg("-c").arg(&line).status().await?; //~ command-injection
            return Ok(status.success());
        }
        let status = Command::new("ffmpeg")
            .args(["-y", "-i"])
            .arg(input)
            .args(["-c:v", codec])
            .arg(&out)
            .status()
            .await?;
        Ok(status.success())
    }

    async fn caption(&self, input: &Path, text: &str) -> std::io::Result<bool> {
        if text.len() <= 40 && text.chars().all(|c| c.is_ascii_alphanumeric()) {
            let out = Command::new("convert")
                .arg(input)
                .args(["-gravity", "south", "-annotate", "+0+10", text])
                .arg(input.with_extension("thumb.png"))
                .output()
                .await?;
            return Ok(out.status.success());
        }
        let script = caption_script(input, text);
        let mut sh = Command::new("/bin/sh");
        let out = sh.arg("-c").arg(&script).output().await?; //~ command-injection
        Ok(out.status.success())
    }
}

async fn submit(
    State(media): State<Media>,
    Json(job): Json<TranscodeJob>,
) -> Result<StatusCode, StatusCode> {
    let input = match media.resolve(&job.source) {
        Some(p) => p,
        None => {
            let staged = media.staging(&job.source);
            let dest = media.root.join("uploads").join("pending.bin");
            let moved = tokio::fs::rename(&staged, &dest).await; //~ path-traversal
            moved.map_err(|_| StatusCode::NOT_FOUND)?;
            dest
        }
    };
    let ok = media
        .transcode(&input, &job.codec, job.filter.as_deref())
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    if let Some(text) = job.caption.as_deref() {
        media
            .caption(&input, text)
            .await
            .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    }
    Ok(if ok {
        StatusCode::ACCEPTED
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    })
}

pub fn router(root: PathBuf) -> Router {
    Router::new()
        .route("/jobs/transcode", post(submit))
        .with_state(Media { root })
}
