//! Gateway that polls upstream status endpoints and relays bodies (hyper 0.14).

use hyper::body::HttpBody;
use hyper::client::HttpConnector;
use hyper::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_LENGTH};
use hyper::{Body, Client, Request, Response, Uri};
use hyper_tls::HttpsConnector;
use log::{debug, info};
use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
use std::path::PathBuf;

const MAX_BODY: usize = 4 * 1024 * 1024;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub struct UpstreamOpts {
    pub ca_bundle: Option<PathBuf>,
    pub relax_hostnames: bool,
}

impl UpstreamOpts {
    pub fn lab() -> Self {
        Self {
            ca_bundle: Some(PathBuf::from("/etc/gateway/lab-ca.pem")),
            relax_hostnames: true,
        }
    }
}

fn make_connector(opts: &UpstreamOpts) -> Result<native_tls::TlsConnector, BoxError> {
    let mut builder = native_tls::TlsConnector::builder();
    if let Some(path) = &opts.ca_bundle {
        let pem = std::fs::read(path)?;
        builder.add_root_certificate(native_tls::Certificate::from_pem(&pem)?);
    }
    builder.danger_accept_invalid_hostnames(opts.relax_hostnames); //~ tls-verification-disabled
    Ok(builder.build()?)
}

pub fn lab_client() -> Result<Client<HttpsConnector<HttpConnector>>, BoxError> {
    let tls = make_connector(&UpstreamOpts::lab())?;
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    let https = HttpsConnector::from((http, tls.into()));
    Ok(Client::builder().build(https))
}

pub fn legacy_ssl() -> Result<SslConnector, BoxError> {
    let mut b = SslConnector::builder(SslMethod::tls())?;
    b.set_verify(SslVerifyMode::NONE); //~ tls-verification-disabled
    Ok(b.build())
}

pub fn pinned_ssl(ca: &str) -> Result<SslConnector, BoxError> {
    let mut b = SslConnector::builder(SslMethod::tls())?;
    b.set_ca_file(ca)?;
    b.set_verify(SslVerifyMode::PEER);
    Ok(b.build())
}

fn status_url(host: &str) -> String {
    format!("http://{}:8080/v1/status", host)
}

fn secure_status_url(host: &str) -> String {
    format!("https://{}/v1/status", host)
}

fn bearer(token: &str) -> Result<HeaderValue, BoxError> {
    Ok(HeaderValue::from_str(&format!("Bearer {token}"))?)
}

pub async fn poll_status<C>(client: &Client<C>, host: &str, token: &str) -> Result<u16, BoxError>
where
    C: hyper::client::connect::Connect + Clone + Send + Sync + 'static,
{
    let auth = bearer(token)?;
    debug!("polling {} with auth header {:?}", host, auth); //~ cleartext-logging
    let mut req = Request::new(Body::empty());
    *req.uri_mut() = status_url(host).parse::<Uri>()?;
    req.headers_mut().insert(AUTHORIZATION, auth);
    let resp = client.request(req).await?; //~ cleartext-url
    Ok(resp.status().as_u16())
}

pub async fn poll_status_tls<C>(
    client: &Client<C>,
    host: &str,
    token: &str,
) -> Result<u16, BoxError>
where
    C: hyper::client::connect::Connect + Clone + Send + Sync + 'static,
{
    debug!("polling {} over tls", host);
    let mut req = Request::new(Body::empty());
    *req.uri_mut() = secure_status_url(host).parse::<Uri>()?;
    req.headers_mut().insert(AUTHORIZATION, bearer(token)?);
    let resp = client.request(req).await?;
    info!("{} answered {}", host, resp.status());
    Ok(resp.status().as_u16())
}

fn expected_len(headers: &HeaderMap) -> usize {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

pub async fn collect_body(resp: Response<Body>) -> Result<Vec<u8>, BoxError> {
    let mut out = Vec::with_capacity(expected_len(resp.headers())); //~ unbounded-allocation
    let mut body = resp.into_body();
    while let Some(chunk) = body.data().await {
        let chunk = chunk?;
        if out.len() + chunk.len() > MAX_BODY {
            return Err("upstream body too large".into());
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

pub async fn collect_body_capped(resp: Response<Body>) -> Result<Vec<u8>, BoxError> {
    let hint = expected_len(resp.headers()).min(MAX_BODY);
    let mut out = Vec::with_capacity(hint);
    let mut body = resp.into_body();
    while let Some(chunk) = body.data().await {
        let chunk = chunk?;
        let room = MAX_BODY.saturating_sub(out.len());
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    Ok(out)
}

pub async fn relay(host: &str) -> Result<Vec<u8>, BoxError> {
    let client = lab_client()?;
    let token = std::env::var("UPSTREAM_TOKEN")?;
    let code = poll_status(&client, host, &token).await?;
    let code_tls = poll_status_tls(&client, host, &token).await?;
    info!("upstream {} status {} / {}", host, code, code_tls);
    let uri: Uri = format!("https://{host}/v1/feed").parse()?;
    let resp = client.get(uri).await?;
    if host.ends_with(".lab.internal") {
        collect_body(resp).await
    } else {
        collect_body_capped(resp).await
    }
}
