//! Webhook relay: receives signed events from the billing system and fans them
//! out to customer endpoints (Rocket 0.5).

use hmac::{Hmac, Mac};
use rocket::form::Form;
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::serde::json::Json;
use rocket::{get, post, routes, Build, Rocket, State};
use serde::Deserialize;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const RELAY_SIGNING_KEY: &[u8] = b"whrelay-prod-7c1f0e9a4b2d55e1";
const ALLOWED_SUFFIX: &str = ".hooks.example-billing.com";

pub struct Relay {
    client: reqwest::Client,
    lab_client: reqwest::Client,
    signing_key: Vec<u8>,
    inbound_key: Vec<u8>,
    console_password: String,
}

#[derive(Deserialize)]
struct ProbeRequest {
    url: String,
}

#[derive(rocket::FromForm)]
struct ConsoleLogin {
    password: String,
    tz: String,
}

impl Relay {
    pub fn from_env() -> anyhow::Result<Relay> {
        let ca = reqwest::Certificate::from_pem(&std::fs::read("/etc/relay/partner-ca.pem")?)?;
        let client = reqwest::Client::builder()
            .add_root_certificate(ca)
            .timeout(std::time::Duration::from_secs(10))
            .build()?;
        let lab_client = reqwest::Client::builder()
            .danger_accept_invalid_certs(true) //~ tls-verification-disabled
            .timeout(std::time::Duration::from_secs(5))
            .build()?;
        Ok(Relay {
            client,
            lab_client,
            signing_key: RELAY_SIGNING_KEY.to_vec(),
            inbound_key: hex::decode(std::env::var("RELAY_INBOUND_KEY")?)?,
            console_password: std::env::var("RELAY_CONSOLE_PASSWORD")?,
        })
    }

    fn sign(&self, body: &[u8]) -> String {
        let mut mac = HmacSha256::new_from_slice(&self.signing_key).expect("hmac key"); //~ hardcoded-crypto-key
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    fn verify_inbound(&self, body: &[u8], signature: &str) -> bool {
        let Ok(sig) = hex::decode(signature) else {
            return false;
        };
        let mut mac = HmacSha256::new_from_slice(&self.inbound_key).expect("hmac key");
        mac.update(body);
        mac.verify_slice(&sig).is_ok()
    }

    async fn send(&self, url: &str, body: Vec<u8>) -> reqwest::Result<u16> {
        let sig = self.sign(&body);
        let req = self.client.post(url).header("X-Relay-Signature", sig); //~ ssrf
        let resp = req.body(body).send();
        Ok(resp.await?.status().as_u16())
    }

    async fn send_registered(&self, url: &str, body: Vec<u8>) -> Result<u16, Status> {
        let parsed = reqwest::Url::parse(url).map_err(|_| Status::BadRequest)?;
        let host_ok = parsed
            .host_str()
            .map_or(false, |h| h.ends_with(ALLOWED_SUFFIX));
        if parsed.scheme() != "https" || !host_ok {
            return Err(Status::Forbidden);
        }
        let sig = self.sign(&body);
        let resp = self
            .client
            .post(parsed)
            .header("X-Relay-Signature", sig)
            .body(body)
            .send();
        Ok(resp
            .await
            .map_err(|_| Status::BadGateway)?
            .status()
            .as_u16())
    }

    async fn probe(&self, url: &str) -> Option<u16> {
        let resp = self.lab_client.head(url).send().await.ok()?; //~ ssrf
        Some(resp.status().as_u16())
    }
}

#[post("/events/<id>/redeliver?<host>")]
async fn redeliver(id: u64, host: Option<&str>, relay: &State<Relay>) -> Status {
    let target = host
        .map(|h| format!("https://{h}/hooks/{id}"))
        .unwrap_or_else(|| format!("https://events{ALLOWED_SUFFIX}/hooks/{id}"));
    let body = format!("{{\"event\":{id},\"redelivery\":true}}").into_bytes();
    match relay.send(&target, body).await {
        Ok(code) if code < 300 => Status::Accepted,
        _ => Status::BadGateway,
    }
}

#[post("/events", data = "<body>")]
async fn ingest(body: Vec<u8>, sig: SignatureHeader<'_>, relay: &State<Relay>) -> Status {
    if !relay.verify_inbound(&body, sig.0) {
        return Status::Unauthorized;
    }
    let target = format!("https://events{ALLOWED_SUFFIX}/hooks/ingest");
    relay
        .send_registered(&target, body)
        .await
        .map(|_| Status::Accepted)
        .unwrap_or_else(|s| s)
}

#[post("/hooks/probe", data = "<req>")]
async fn probe(req: Json<ProbeRequest>, relay: &State<Relay>) -> Status {
    relay
        .probe(&req.url)
        .await
        .and_then(|c| Status::from_code(c))
        .unwrap_or(Status::BadGateway)
}

#[post("/console/login", data = "<form>")]
fn console_login(
    form: Form<ConsoleLogin>,
    cookies: &CookieJar<'_>,
    relay: &State<Relay>,
) -> Status {
    if !constant_time_eq::constant_time_eq(
        form.password.as_bytes(),
        relay.console_password.as_bytes(),
    ) {
        return Status::Unauthorized;
    }
    let session = uuid::Uuid::new_v4().to_string();
    cookies.add_private(
        Cookie::build(("relay_console", session)) //~ insecure-cookie
            .secure(false)
            .http_only(true)
            .same_site(SameSite::Strict),
    );
    cookies.add(Cookie::build(("relay_tz", form.tz.clone())).path("/"));
    Status::NoContent
}

#[get("/healthz")]
fn healthz() -> &'static str {
    "ok"
}

pub struct SignatureHeader<'r>(&'r str);

#[rocket::async_trait]
impl<'r> rocket::request::FromRequest<'r> for SignatureHeader<'r> {
    type Error = ();
    async fn from_request(req: &'r rocket::Request<'_>) -> rocket::request::Outcome<Self, ()> {
        match req.headers().get_one("X-Billing-Signature") {
            Some(v) => rocket::request::Outcome::Success(SignatureHeader(v)),
            None => rocket::request::Outcome::Error((Status::Unauthorized, ())),
        }
    }
}

pub fn build(relay: Relay) -> Rocket<Build> {
    rocket::build().manage(relay).mount(
        "/",
        routes![redeliver, ingest, probe, console_login, healthz],
    )
}
