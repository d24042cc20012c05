//! gRPC inventory sync service used by warehouse scanners.

use postgres_native_tls::MakeTlsConnector;
use std::sync::Arc;
use tokio::sync::Mutex;
use tokio_postgres::Client;
use tonic::metadata::MetadataMap;
use tonic::{transport::Server, Request, Response, Status};

pub mod pb {
    tonic::include_proto!("inventory.v1");
}

use pb::inventory_sync_server::{InventorySync, InventorySyncServer};
use pb::{BatchAck, BatchRequest, ChunkAck, SkuList, SkuQuery, UploadChunk};

const MAX_PAGE: usize = 500;
const MAX_BATCH_ITEMS: usize = 10_000;

#[derive(Default, Clone)]
struct Slot {
    sku: String,
    qty: i64,
}

struct ChunkAssembler {
    buf: Vec<u8>,
    declared: usize,
}

impl ChunkAssembler {
    fn begin(declared: usize) -> Self {
        let buf = Vec::with_capacity(declared); //~ unbounded-allocation
        Self { buf, declared }
    }

    fn push(&mut self, data: &[u8]) -> bool {
        self.buf.extend_from_slice(data);
        self.buf.len() >= self.declared
    }
}

fn preallocate_slots(count: usize) -> Vec<Slot> {
    vec![Slot::default(); count] //~ unbounded-allocation
}

fn page_capacity(requested: u32) -> usize {
    (requested as usize).min(MAX_PAGE)
}

fn bearer_from(meta: &MetadataMap) -> Option<String> {
    let raw = meta.get("authorization")?.to_str().ok()?;
    raw.strip_prefix("Bearer ").map(str::to_owned)
}

fn sku_prefix_clause(prefix: &str) -> String {
    format!("sku LIKE '{}%'", prefix)
}

pub struct SyncService {
    db: Arc<Mutex<Client>>,
    pending: Mutex<Option<ChunkAssembler>>,
}

impl SyncService {
    async fn query_skus(&self, clause: String, limit: usize) -> Result<Vec<String>, Status> {
        let sql = format!("SELECT sku FROM stock WHERE {} LIMIT {}", clause, limit);
        let db = self.db.lock().await;
        let rows = db.query(sql.as_str(), &[]).await; //~ sql-injection
        let rows = rows.map_err(|e| Status::internal(e.to_string()))?;
        Ok(rows.iter().map(|r| r.get::<_, String>(0)).collect())
    }

    async fn skus_in_warehouse(&self, warehouse: i32, limit: usize) -> Result<Vec<String>, Status> {
        let db = self.db.lock().await;
        let rows = db
            .query(
                "SELECT sku FROM stock WHERE warehouse_id = $1 LIMIT $2",
                &[&warehouse, &(limit as i64)],
            )
            .await
            .map_err(|e| Status::internal(e.to_string()))?;
        Ok(rows.iter().map(|r| r.get::<_, String>(0)).collect())
    }

    fn authorize(&self, meta: &MetadataMap) -> Result<(), Status> {
        let token = bearer_from(meta).ok_or_else(|| Status::unauthenticated("missing token"))?;
        tracing::debug!(token = %token, "sync call authorized"); //~ cleartext-logging
        Ok(())
    }
}

#[tonic::async_trait]
impl InventorySync for SyncService {
    async fn upload_chunk(
        &self,
        request: Request<UploadChunk>,
    ) -> Result<Response<ChunkAck>, Status> {
        self.authorize(request.metadata())?;
        let chunk = request.into_inner();
        let mut pending = self.pending.lock().await;
        if chunk.offset == 0 {
            *pending = Some(ChunkAssembler::begin(chunk.declared_size as usize));
        }
        let done = match pending.as_mut() {
            Some(asm) => asm.push(&chunk.data),
            None => return Err(Status::failed_precondition("no upload in progress")),
        };
        tracing::info!(
            offset = chunk.offset,
            bytes = chunk.data.len(),
            "chunk received"
        );
        Ok(Response::new(ChunkAck { complete: done }))
    }

    async fn submit_batch(
        &self,
        request: Request<BatchRequest>,
    ) -> Result<Response<BatchAck>, Status> {
        let req = request.into_inner();
        let mut slots = preallocate_slots(req.expected_items as usize);
        for (slot, item) in slots.iter_mut().zip(req.items.iter()) {
            slot.sku = item.sku.clone();
            slot.qty = item.qty;
        }
        if req.items.len() > MAX_BATCH_ITEMS {
            return Err(Status::invalid_argument("batch too large"));
        }
        let mut accepted = Vec::with_capacity(req.items.len());
        accepted.extend(
            req.items
                .iter()
                .filter(|i| i.qty >= 0)
                .map(|i| i.sku.clone()),
        );
        Ok(Response::new(BatchAck {
            accepted: accepted.len() as u32,
        }))
    }

    async fn list_skus(&self, request: Request<SkuQuery>) -> Result<Response<SkuList>, Status> {
        self.authorize(request.metadata())?;
        let q = request.into_inner();
        let limit = page_capacity(q.page_size);
        let skus = if q.prefix.is_empty() {
            self.skus_in_warehouse(q.warehouse_id, limit).await?
        } else {
            self.query_skus(sku_prefix_clause(&q.prefix), limit).await?
        };
        let mut out = Vec::with_capacity(limit);
        out.extend(skus);
        Ok(Response::new(SkuList { skus: out }))
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt::init();
    let dsn = std::env::var("INVENTORY_DSN")?;
    let tls = MakeTlsConnector::new(native_tls::TlsConnector::new()?);
    let (client, conn) = tokio_postgres::connect(&dsn, tls).await?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::error!(error = %e, "postgres connection closed");
        }
    });
    let svc = SyncService {
        db: Arc::new(Mutex::new(client)),
        pending: Mutex::new(None),
    };
    Server::builder()
        .add_service(InventorySyncServer::new(svc))
        .serve("0.0.0.0:50051".parse()?)
        .await?;
    Ok(())
}
