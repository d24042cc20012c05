// Async inventory-service client that logs in to a warehouse API and pushes stock updates.
use reqwest::Client;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
pub struct ClientConfig {
    pub host: String,
    pub username: String,
    pub password: String,
    pub use_tls: bool,
    pub sidecar_port: u16,
}

#[derive(Serialize)]
struct LoginBody<'a> {
    username: &'a str,
    password: &'a str,
}

#[derive(Deserialize)]
struct LoginReply {
    token: String,
}

pub struct Inventory {
    http: Client,
    cfg: ClientConfig,
}

impl Inventory {
    fn login_url(&self) -> String {
        format!("http://{}/api/v1/login", self.cfg.host) //~ cleartext-url
    }

    fn secure_url(&self, path: &str) -> String {
        format!("https://{}/api/v1/{}", self.cfg.host, path)
    }

    pub async fn login(&self) -> reqwest::Result<String> {
        let body = LoginBody { username: &self.cfg.username, password: &self.cfg.password };
        let reply: LoginReply = self.http.post(self.login_url()).json(&body).send().await?.json().await?;
        Ok(reply.token)
    }

    pub async fn login_tls(&self) -> reqwest::Result<String> {
        let body = LoginBody { username: &self.cfg.username, password: &self.cfg.password };
        let reply: LoginReply = self.http.post(self.secure_url("login")).json(&body).send().await?.json().await?;
        Ok(reply.token)
    }

    pub async fn push_stock(&self, sku: &str, qty: i64, token: &str) -> reqwest::Result<()> {
        let url = format!("http://{}/api/v1/stock/{}?qty={}", self.cfg.host, sku, qty); //~ cleartext-url
        self.http.put(url).bearer_auth(token).send().await?.error_for_status()?;
        Ok(())
    }

    pub async fn push_stock_tls(&self, sku: &str, qty: i64, token: &str) -> reqwest::Result<()> {
        let url = self.secure_url(&format!("stock/{}?qty={}", sku, qty));
        self.http.put(url).bearer_auth(token).send().await?.error_for_status()?;
        Ok(())
    }

    pub async fn sidecar_healthy(&self) -> bool {
        // Judgement call: loopback-only health probe carrying no data; not marked.
        let url = format!("http://127.0.0.1:{}/healthz", self.cfg.sidecar_port);
        self.http.get(url).send().await.map(|r| r.status().is_success()).unwrap_or(false)
    }
}
