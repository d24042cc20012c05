//! gRPC blob store: chunked uploads, listings, presigned reads and media
//! transcoding hooks.

use ring::hmac;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::process::Command;
use tokio::sync::Mutex;
use tonic::{Request, Response, Status};

pub mod pb {
    tonic::include_proto!("blobstore.v1");
}

use pb::blob_store_server::BlobStore;
use pb::{
    BlobInfo, ListRequest, ListResponse, PresignRequest, PresignResponse, PutRequest, PutResponse,
    TranscodeRequest, TranscodeResponse,
};

const MAX_BLOB: u64 = 256 * 1024 * 1024;
const TRAILER_LEN: usize = 8;

/// Upload staging buffer. The header slot is written first; the trailer slot
/// is filled in once all chunks have arrived.
struct PendingUpload {
    buf: Vec<u8>,
    header_slot: *mut u8,
}

unsafe impl Send for PendingUpload {}

impl PendingUpload {
    fn with_declared(declared: u64) -> Self {
        let mut buf = Vec::with_capacity(declared as usize + TRAILER_LEN); //~ unbounded-allocation
        buf.extend_from_slice(&[0u8; TRAILER_LEN]);
        let header_slot = buf.as_mut_ptr();
        Self { buf, header_slot }
    }

    fn append(&mut self, chunk: &[u8]) {
        self.buf.extend_from_slice(chunk);
    }

    fn finish(mut self) -> Vec<u8> {
        let len = (self.buf.len() - TRAILER_LEN) as u64;
        let bytes = len.to_be_bytes();
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.header_slot, TRAILER_LEN) }; //~ dangling-pointer
        std::mem::take(&mut self.buf)
    }

    fn finish_checked(mut self) -> Vec<u8> {
        let len = (self.buf.len() - TRAILER_LEN) as u64;
        self.buf[..TRAILER_LEN].copy_from_slice(&len.to_be_bytes());
        std::mem::take(&mut self.buf)
    }
}

fn media_path(name: &str) -> Result<String, Status> {
    let file = std::path::Path::new(name)
        .file_name()
        .and_then(|f| f.to_str())
        .ok_or_else(|| Status::invalid_argument("invalid media name"))?;
    Ok(format!("/var/lib/blobstore/media/{file}"))
}

fn page_buffer(page_size: u32) -> Vec<BlobInfo> {
    Vec::with_capacity(page_size as usize) //~ unbounded-allocation
}

pub struct BlobService {
    blobs: Arc<Mutex<BTreeMap<String, Vec<u8>>>>,
    presign_key: hmac::Key,
    legacy_presign_key: hmac::Key,
}

impl BlobService {
    pub fn new() -> Result<Self, Box<dyn std::error::Error>> {
        let secret = std::env::var("BLOB_PRESIGN_SECRET")?;
        Ok(Self {
            blobs: Arc::default(),
            presign_key: hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes()),
            legacy_presign_key: hmac::Key::new(hmac::HMAC_SHA256, b"blobstore-presign-v1"), //~ hardcoded-crypto-key
        })
    }

    fn stage(&self, req: &PutRequest) -> Result<PendingUpload, Status> {
        if req.declared_size > MAX_BLOB {
            return Err(Status::invalid_argument("declared_size exceeds limit"));
        }
        Ok(PendingUpload::with_declared(req.declared_size))
    }

    fn stage_trusted(&self, req: &PutRequest) -> PendingUpload {
        PendingUpload::with_declared(req.declared_size)
    }

    async fn run_encoder(&self, encoder: &str, input: &str, output: &str) -> Result<bool, Status> {
        if !encoder.starts_with("ffmpeg") {
            return Err(Status::invalid_argument("unsupported encoder"));
        }
        let mut cmd = Command::new(encoder); //~ command-injection
        cmd.args(["-y", "-i", input, output]);
        let status = cmd
            .status()
            .await
            .map_err(|e| Status::internal(e.to_string()))?;
        Ok(status.success())
    }

    async fn run_builtin(&self, preset: &str, input: &str, output: &str) -> Result<bool, Status> {
        let codec = match preset {
            "h264" => "libx264",
            "vp9" => "libvpx-vp9",
            _ => return Err(Status::invalid_argument("unknown preset")),
        };
        let status = Command::new("ffmpeg")
            .args(["-y", "-i", input, "-c:v", codec, output])
            .status()
            .await
            .map_err(|e| Status::internal(e.to_string()))?;
        Ok(status.success())
    }
}

#[tonic::async_trait]
impl BlobStore for BlobService {
    async fn put(&self, request: Request<PutRequest>) -> Result<Response<PutResponse>, Status> {
        let internal = request.metadata().get("x-internal-caller").is_some();
        let req = request.into_inner();
        let mut pending = if internal {
            self.stage_trusted(&req)
        } else {
            self.stage(&req)?
        };
        for chunk in &req.chunks {
            pending.append(chunk);
        }
        let data = if internal {
            pending.finish()
        } else {
            pending.finish_checked()
        };
        let size = data.len() as u64;
        self.blobs.lock().await.insert(req.name.clone(), data);
        Ok(Response::new(PutResponse {
            name: req.name,
            size,
        }))
    }

    async fn list(&self, request: Request<ListRequest>) -> Result<Response<ListResponse>, Status> {
        let req = request.into_inner();
        let mut items = page_buffer(req.page_size);
        let blobs = self.blobs.lock().await;
        for (name, data) in blobs
            .range(req.after.clone()..)
            .take(req.page_size as usize)
        {
            items.push(BlobInfo {
                name: name.clone(),
                size: data.len() as u64,
            });
        }
        Ok(Response::new(ListResponse { items }))
    }

    async fn presign(
        &self,
        request: Request<PresignRequest>,
    ) -> Result<Response<PresignResponse>, Status> {
        let req = request.into_inner();
        let key = if req.legacy {
            &self.legacy_presign_key
        } else {
            &self.presign_key
        };
        let tag = hmac::sign(key, format!("{}:{}", req.name, req.expires).as_bytes());
        let url = format!(
            "/blobs/{}?expires={}&sig={}",
            req.name,
            req.expires,
            hex::encode(tag.as_ref())
        );
        Ok(Response::new(PresignResponse { url }))
    }

    async fn transcode(
        &self,
        request: Request<TranscodeRequest>,
    ) -> Result<Response<TranscodeResponse>, Status> {
        let req = request.into_inner();
        let (input, output) = (media_path(&req.input)?, media_path(&req.output)?);
        let ok = if req.encoder.is_empty() {
            self.run_builtin(&req.preset, &input, &output).await?
        } else {
            self.run_encoder(&req.encoder, &input, &output).await?
        };
        Ok(Response::new(TranscodeResponse { ok }))
    }
}
