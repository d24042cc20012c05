use async_std::io::ReadExt;
use hmac::{Hmac, Mac};
use rusqlite::{params, Connection};
use sha1::{Digest as _, Sha1};
use sha2::Sha256;
use std::sync::{Arc, Mutex};
use tide::{Request, Response, StatusCode};

type HmacSha256 = Hmac<Sha256>;

const MAX_BODY: usize = 512 * 1024;
const DELIVERY_SECRET: &[u8] = b"whsec_9f8a7c6e5d4b3a21f0e9d8c7"; //~ hardcoded-crypto-key

#[derive(Clone)]
struct State {
    db: Arc<Mutex<Connection>>,
    inbound_key: Arc<Vec<u8>>,
}

trait SignatureScheme {
    fn verify(&self, body: &[u8], header: &str) -> bool;
}

struct InboundHmac<'a> {
    key: &'a [u8],
}

impl SignatureScheme for InboundHmac<'_> {
    fn verify(&self, body: &[u8], header: &str) -> bool {
        let Ok(expected) = hex::decode(header.trim_start_matches("sha256=")) else { return false };
        let mut mac = HmacSha256::new_from_slice(self.key).expect("hmac key");
        mac.update(body);
        mac.verify_slice(&expected).is_ok()
    }
}

struct LegacyPartner {
    shared: String,
}

impl SignatureScheme for LegacyPartner {
    fn verify(&self, body: &[u8], header: &str) -> bool {
        let digest = Sha1::digest([self.shared.as_bytes(), body].concat()); //~ weak-hash
        hex::encode(digest) == header
    }
}

fn sign_delivery(payload: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(DELIVERY_SECRET).expect("hmac key");
    mac.update(payload);
    hex::encode(mac.finalize().into_bytes())
}

fn sign_partner_ack(payload: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(b"partner-ack-2021-shared").expect("hmac key"); //~ hardcoded-crypto-key
    mac.update(payload);
    hex::encode(mac.finalize().into_bytes())
}

async fn read_body(req: &mut Request<State>) -> tide::Result<Vec<u8>> {
    let declared: usize = req.header("content-length").and_then(|v| v.as_str().parse().ok()).unwrap_or(0);
    let mut body = Vec::with_capacity(declared); //~ unbounded-allocation
    req.take_body().into_reader().take(MAX_BODY as u64).read_to_end(&mut body).await?;
    Ok(body)
}

async fn read_body_bounded(req: &mut Request<State>) -> tide::Result<Vec<u8>> {
    let declared: usize = req.header("content-length").and_then(|v| v.as_str().parse().ok()).unwrap_or(0);
    let mut body = Vec::with_capacity(declared.min(MAX_BODY));
    req.take_body().into_reader().take(MAX_BODY as u64).read_to_end(&mut body).await?;
    Ok(body)
}

async fn receive(mut req: Request<State>) -> tide::Result {
    let sig = req.header("x-signature").map(|v| v.as_str().to_owned()).unwrap_or_default();
    let body = read_body_bounded(&mut req).await?;
    let key = req.state().inbound_key.clone();
    let scheme = InboundHmac { key: &key };
    if !scheme.verify(&body, &sig) {
        return Ok(Response::new(StatusCode::Unauthorized));
    }
    Ok(Response::builder(StatusCode::Accepted).header("x-ack", sign_delivery(&body)).build())
}

async fn receive_legacy(mut req: Request<State>) -> tide::Result {
    let sig = req.header("x-partner-signature").map(|v| v.as_str().to_owned()).unwrap_or_default();
    let body = read_body(&mut req).await?;
    let scheme = LegacyPartner { shared: std::env::var("PARTNER_SHARED").unwrap_or_default() };
    if !scheme.verify(&body, &sig) {
        return Ok(Response::new(StatusCode::Unauthorized));
    }
    Ok(Response::builder(StatusCode::Accepted).header("x-ack", sign_partner_ack(&body)).build())
}

#[derive(serde::Deserialize)]
struct Registration {
    url: String,
    secret: String,
}

struct EndpointStore<'a> {
    conn: &'a Connection,
}

impl EndpointStore<'_> {
    fn add(&self, reg: &Registration) -> rusqlite::Result<usize> {
        self.conn.execute("INSERT INTO endpoints (url, secret) VALUES (?1, ?2)", params![reg.url, reg.secret]) //~ cleartext-storage
    }

    fn add_fingerprint(&self, reg: &Registration) -> rusqlite::Result<usize> {
        let fp = hex::encode(<Sha256 as sha2::Digest>::digest(reg.secret.as_bytes()));
        self.conn.execute("INSERT INTO endpoint_fingerprints (url, secret_sha256) VALUES (?1, ?2)", params![reg.url, fp])
    }
}

async fn register(mut req: Request<State>) -> tide::Result {
    let reg: Registration = req.body_json().await?;
    if !reg.url.starts_with("https://") {
        return Ok(Response::new(StatusCode::BadRequest));
    }
    let db = req.state().db.lock().unwrap();
    let store = EndpointStore { conn: &db };
    store.add_fingerprint(&reg)?;
    store.add(&reg)?;
    Ok(Response::new(StatusCode::Created))
}

pub async fn run() -> tide::Result<()> {
    let key = std::env::var("WEBHOOK_SIGNING_KEY").map(|k| k.into_bytes()).expect("WEBHOOK_SIGNING_KEY");
    let state = State { db: Arc::new(Mutex::new(Connection::open("webhooks.db")?)), inbound_key: Arc::new(key) };
    let mut app = tide::with_state(state);
    app.at("/hooks").post(receive);
    app.at("/hooks/legacy").post(receive_legacy);
    app.at("/endpoints").post(register);
    app.listen("0.0.0.0:8088").await?;
    Ok(())
}
