//! Chunk store gRPC service plus the legacy HTTP PUT endpoint kept for old agents.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request as HttpRequest, Response as HttpResponse, StatusCode};
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;
use tonic::{Request, Response, Status, Streaming};

pub mod pb {
    tonic::include_proto!("chunkstore.v1");
}

use pb::chunk_store_server::ChunkStore;
use pb::{ChunkPart, GetChunkReply, GetChunkRequest, PutChunkReply, PutChunkRequest, UploadReply};

const MAX_CHUNK: usize = 8 * 1024 * 1024;

#[derive(Default, Clone)]
pub struct ChunkStoreService {
    chunks: Arc<Mutex<HashMap<String, Bytes>>>,
}

struct ChunkRef {
    ptr: *const u8,
    len: usize,
}

impl ChunkRef {
    fn of(data: &[u8]) -> Self {
        ChunkRef {
            ptr: data.as_ptr(),
            len: data.len(),
        }
    }
}

fn digest_of(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn declared_size(req: &PutChunkRequest) -> usize {
    req.declared_size as usize
}

fn header_len(req: &HttpRequest<Incoming>) -> usize {
    req.headers()
        .get("x-blob-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

impl ChunkStoreService {
    async fn insert(&self, data: Bytes) -> String {
        let id = digest_of(&data);
        self.chunks.lock().await.insert(id.clone(), data);
        id
    }
}

#[tonic::async_trait]
impl ChunkStore for ChunkStoreService {
    async fn put_chunk(
        &self,
        request: Request<PutChunkRequest>,
    ) -> Result<Response<PutChunkReply>, Status> {
        let req = request.into_inner();
        let mut buf = BytesMut::with_capacity(declared_size(&req)); //~ unbounded-allocation
        buf.extend_from_slice(&req.data);
        let id = self.insert(buf.freeze()).await;
        Ok(Response::new(PutChunkReply { id }))
    }

    async fn upload(
        &self,
        request: Request<Streaming<ChunkPart>>,
    ) -> Result<Response<UploadReply>, Status> {
        let mut stream = request.into_inner();
        let mut assembled = Vec::new();
        let mut part_digests = Vec::new();
        let mut last: Option<ChunkRef> = None;
        while let Some(part) = stream.message().await? {
            if assembled.is_empty() {
                assembled.reserve(part.total_len as usize); //~ unbounded-allocation
            }
            if part.data.len() > MAX_CHUNK {
                return Err(Status::invalid_argument("part too large"));
            }
            part_digests.push(digest_of(&part.data));
            assembled.extend_from_slice(&part.data);
            last = Some(ChunkRef::of(&part.data));
        }
        let trailer = match last {
            // SAFETY: ChunkRef is only built from buffers owned by the request being handled.
            Some(r) => digest_of(unsafe { std::slice::from_raw_parts(r.ptr, r.len) }), //~ dangling-pointer
            None => String::new(),
        };
        let id = self.insert(Bytes::from(assembled)).await;
        Ok(Response::new(UploadReply {
            id,
            parts: part_digests.len() as u32,
            last_part_digest: trailer,
        }))
    }

    async fn get_chunk(
        &self,
        request: Request<GetChunkRequest>,
    ) -> Result<Response<GetChunkReply>, Status> {
        let req = request.into_inner();
        let map = self.chunks.lock().await;
        let data = map
            .get(&req.id)
            .ok_or_else(|| Status::not_found("no such chunk"))?;
        let window = (req.max_bytes as usize).min(MAX_CHUNK).min(data.len());
        let mut out = Vec::with_capacity(window);
        out.extend_from_slice(&data[..window]);
        Ok(Response::new(GetChunkReply { data: out }))
    }
}

fn reply(status: StatusCode, body: impl Into<Bytes>) -> HttpResponse<Full<Bytes>> {
    let mut resp = HttpResponse::new(Full::new(body.into()));
    *resp.status_mut() = status;
    resp
}

pub async fn legacy_put(
    svc: ChunkStoreService,
    req: HttpRequest<Incoming>,
) -> Result<HttpResponse<Full<Bytes>>, hyper::Error> {
    let declared = header_len(&req);
    let mut staging = BytesMut::with_capacity(declared); //~ unbounded-allocation
    let body = req.into_body().collect().await?.to_bytes();
    staging.extend_from_slice(&body);
    let id = svc.insert(staging.freeze()).await;
    Ok(reply(StatusCode::CREATED, id))
}

pub async fn legacy_put_checked(
    svc: ChunkStoreService,
    req: HttpRequest<Incoming>,
) -> Result<HttpResponse<Full<Bytes>>, hyper::Error> {
    let declared = header_len(&req);
    if declared > MAX_CHUNK {
        return Ok(reply(StatusCode::PAYLOAD_TOO_LARGE, "chunk too large"));
    }
    let mut staging = BytesMut::with_capacity(declared);
    let body = req.into_body().collect().await?.to_bytes();
    staging.extend_from_slice(&body);
    let id = svc.insert(staging.freeze()).await;
    Ok(reply(StatusCode::CREATED, id))
}
