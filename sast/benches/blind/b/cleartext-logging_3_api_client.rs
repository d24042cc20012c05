// HTTP API client wrapper that authenticates with a bearer token and logs request failures.
use std::time::Duration;

pub struct ApiClient {
    http: reqwest::Client,
    base: String,
    bearer: String,
    account: String,
}

#[derive(Debug)]
pub enum ClientError {
    Http(String),
    Auth(String),
}

impl ApiClient {
    pub fn new(base: &str, account: &str, bearer: String) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("client");
        ApiClient { http, base: base.to_string(), bearer, account: account.to_string() }
    }

    fn auth_header(&self) -> String {
        format!("Bearer {}", self.bearer)
    }

    fn token_hint(&self) -> String {
        format!("****({} chars)", self.bearer.len())
    }

    pub async fn fetch(&self, path: &str) -> Result<String, ClientError> {
        let url = format!("{}/{}", self.base, path);
        let header = self.auth_header();
        eprintln!("GET {} with header {}", url, header); //~ cleartext-logging
        log::debug!("GET {} as account {} token {}", url, self.account, self.token_hint());

        let resp = self
            .http
            .get(&url)
            .header("Authorization", header)
            .send()
            .await
            .map_err(|e| ClientError::Http(e.to_string()))?;

        if resp.status() == reqwest::StatusCode::UNAUTHORIZED {
            let err = ClientError::Auth(format!("token {} rejected for {}", self.bearer, self.account));
            log::error!("{:?}", err); //~ cleartext-logging
            return Err(ClientError::Auth(format!("rejected for {}", self.account)));
        }
        resp.text().await.map_err(|e| ClientError::Http(e.to_string()))
    }

    pub fn rotate(&mut self, new_token: Option<String>) {
        new_token
            .as_ref()
            .map(|t| log::info!("rotating api token to {}", t)); //~ cleartext-logging
        if let Some(t) = new_token {
            log::info!("rotated token for account {}", self.account);
            self.bearer = t;
        }
    }
}
