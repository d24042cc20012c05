use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use tokio::fs;
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;
use tonic::{Request, Response, Status};

pub mod pb {
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct BeginUpload {
        #[prost(string, tag = "1")]
        pub bucket: String,
        #[prost(string, tag = "2")]
        pub key: String,
        #[prost(uint64, tag = "3")]
        pub total_size: u64,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Chunk {
        #[prost(string, tag = "1")]
        pub upload_id: String,
        #[prost(bytes = "vec", tag = "2")]
        pub data: Vec<u8>,
        #[prost(bool, tag = "3")]
        pub last: bool,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct BlobRef {
        #[prost(string, tag = "1")]
        pub bucket: String,
        #[prost(string, tag = "2")]
        pub key: String,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ListRequest {
        #[prost(string, tag = "1")]
        pub bucket: String,
        #[prost(uint32, tag = "2")]
        pub page_size: u32,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Listing {
        #[prost(string, repeated, tag = "1")]
        pub keys: Vec<String>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Blob {
        #[prost(bytes = "vec", tag = "1")]
        pub data: Vec<u8>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct UploadHandle {
        #[prost(string, tag = "1")]
        pub upload_id: String,
    }
}

const MAX_BLOB: usize = 64 * 1024 * 1024;
const MAX_PAGE: usize = 1000;

struct PendingUpload {
    target: PathBuf,
    buf: Vec<u8>,
}

pub struct DiskStore {
    root: PathBuf,
}

impl DiskStore {
    fn blob_path(&self, bucket: &str, key: &str) -> PathBuf {
        self.root.join(bucket).join(key)
    }

    fn checked_path(&self, bucket: &str, key: &str) -> Result<PathBuf, Status> {
        let ok = |s: &str| !s.is_empty() && Path::new(s).components().all(|c| matches!(c, Component::Normal(_)));
        if !ok(bucket) || !ok(key) {
            return Err(Status::invalid_argument("invalid object name"));
        }
        Ok(self.root.join(bucket).join(key))
    }

    async fn read(&self, bucket: &str, key: &str) -> std::io::Result<Vec<u8>> {
        fs::read(self.blob_path(bucket, key)).await //~ path-traversal
    }

    async fn remove(&self, bucket: &str, key: &str) -> Result<(), Status> {
        let p = self.checked_path(bucket, key)?;
        fs::remove_file(p).await.map_err(|e| Status::internal(e.to_string()))
    }
}

pub struct BlobService {
    store: Arc<DiskStore>,
    uploads: Mutex<HashMap<String, PendingUpload>>,
}

#[tonic::async_trait]
pub trait BlobStore: Send + Sync + 'static {
    async fn begin(&self, req: Request<pb::BeginUpload>) -> Result<Response<pb::UploadHandle>, Status>;
    async fn put(&self, req: Request<pb::Chunk>) -> Result<Response<()>, Status>;
    async fn get(&self, req: Request<pb::BlobRef>) -> Result<Response<pb::Blob>, Status>;
    async fn delete(&self, req: Request<pb::BlobRef>) -> Result<Response<()>, Status>;
    async fn list(&self, req: Request<pb::ListRequest>) -> Result<Response<pb::Listing>, Status>;
}

impl BlobService {
    fn new_pending(&self, target: PathBuf, size_hint: usize) -> PendingUpload {
        PendingUpload { target, buf: Vec::with_capacity(size_hint) } //~ unbounded-allocation
    }

    async fn collect_keys(&self, dir: PathBuf, page_size: usize) -> std::io::Result<Vec<String>> {
        let mut keys = Vec::with_capacity(page_size); //~ unbounded-allocation
        let mut rd = fs::read_dir(dir).await?;
        while let Some(entry) = rd.next_entry().await? {
            if keys.len() >= page_size {
                break;
            }
            keys.push(entry.file_name().to_string_lossy().into_owned());
        }
        Ok(keys)
    }
}

#[tonic::async_trait]
impl BlobStore for BlobService {
    async fn begin(&self, req: Request<pb::BeginUpload>) -> Result<Response<pb::UploadHandle>, Status> {
        let msg = req.into_inner();
        let target = self.store.checked_path(&msg.bucket, &msg.key)?;
        let pending = self.new_pending(target, msg.total_size as usize);
        let id = uuid::Uuid::new_v4().to_string();
        self.uploads.lock().await.insert(id.clone(), pending);
        Ok(Response::new(pb::UploadHandle { upload_id: id }))
    }

    async fn put(&self, req: Request<pb::Chunk>) -> Result<Response<()>, Status> {
        let chunk = req.into_inner();
        let mut uploads = self.uploads.lock().await;
        let pending = uploads.get_mut(&chunk.upload_id).ok_or_else(|| Status::not_found("upload"))?;
        if pending.buf.len() + chunk.data.len() > MAX_BLOB {
            return Err(Status::resource_exhausted("blob too large"));
        }
        pending.buf.reserve(chunk.data.len().min(MAX_BLOB));
        pending.buf.extend_from_slice(&chunk.data);
        if chunk.last {
            let done = uploads.remove(&chunk.upload_id).unwrap();
            let mut f = fs::File::create(&done.target).await.map_err(|e| Status::internal(e.to_string()))?;
            f.write_all(&done.buf).await.map_err(|e| Status::internal(e.to_string()))?;
        }
        Ok(Response::new(()))
    }

    async fn get(&self, req: Request<pb::BlobRef>) -> Result<Response<pb::Blob>, Status> {
        let r = req.into_inner();
        let data = self.store.read(&r.bucket, &r.key).await.map_err(|_| Status::not_found("blob"))?;
        Ok(Response::new(pb::Blob { data }))
    }

    async fn delete(&self, req: Request<pb::BlobRef>) -> Result<Response<()>, Status> {
        let r = req.into_inner();
        self.store.remove(&r.bucket, &r.key).await?;
        Ok(Response::new(()))
    }

    async fn list(&self, req: Request<pb::ListRequest>) -> Result<Response<pb::Listing>, Status> {
        let r = req.into_inner();
        let dir = self.store.checked_path(&r.bucket, ".keep").map(|p| p.with_file_name(""))?;
        let keys = self.collect_keys(dir.clone(), r.page_size as usize).await.map_err(|e| Status::internal(e.to_string()))?;
        let preview = self.collect_keys(dir, (r.page_size as usize).min(MAX_PAGE)).await.unwrap_or_default();
        log::debug!("listing {} keys (preview {})", keys.len(), preview.len());
        Ok(Response::new(pb::Listing { keys }))
    }
}

impl BlobService {
    pub async fn export(&self, req: Request<pb::BlobRef>, dest_dir: &Path) -> Result<Response<()>, Status> {
        let label = req.metadata().get("x-export-name").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let r = req.into_inner();
        let name = label.unwrap_or_else(|| r.key.clone());
        export_snapshot(&self.store, &r.bucket, &r.key, dest_dir, &name).await.map_err(|e| Status::internal(e.to_string()))?;
        Ok(Response::new(()))
    }
}

async fn export_snapshot(store: &DiskStore, bucket: &str, key: &str, dest_dir: &Path, name: &str) -> std::io::Result<u64> {
    let src = store.checked_path(bucket, key).map_err(|s| std::io::Error::new(std::io::ErrorKind::InvalidInput, s.message().to_string()))?;
    fs::copy(&src, dest_dir.join(name)).await //~ path-traversal
}
