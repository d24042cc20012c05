use hyper::{Body, Client as HyperClient, Method, Request};
use native_tls::TlsConnector;
use serde::Serialize;
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::PathBuf;

#[derive(Clone)]
pub struct SyncAccount {
    pub host: String,
    pub user: String,
    pub password: String,
    pub api_token: String,
}

#[derive(Serialize)]
struct SavedProfile<'a> {
    host: &'a str,
    user: &'a str,
    password: &'a str,
}

#[derive(Serialize)]
struct PublicProfile<'a> {
    host: &'a str,
    user: &'a str,
}

fn config_dir() -> PathBuf {
    dirs::config_dir().unwrap_or_else(|| PathBuf::from(".")).join("legacy-sync")
}

fn login_line(acct: &SyncAccount) -> String {
    format!("LOGIN {} {}\r\n", acct.user, acct.password)
}

pub fn legacy_login(acct: &SyncAccount) -> std::io::Result<String> {
    let mut stream = TcpStream::connect((acct.host.as_str(), 2101))?;
    stream.write_all(login_line(acct).as_bytes())?; //~ cleartext-url
    let mut reply = String::new();
    BufReader::new(stream).read_line(&mut reply)?;
    Ok(reply)
}

pub fn secure_login(acct: &SyncAccount) -> Result<String, Box<dyn std::error::Error>> {
    let connector = TlsConnector::builder().build()?;
    let tcp = TcpStream::connect((acct.host.as_str(), 2102))?;
    let mut tls = connector.connect(&acct.host, tcp)?;
    tls.write_all(login_line(acct).as_bytes())?;
    let mut reply = String::new();
    BufReader::new(tls).read_line(&mut reply)?;
    Ok(reply)
}

pub fn mirror_login(acct: &SyncAccount) -> Result<String, Box<dyn std::error::Error>> {
    let connector = TlsConnector::builder().danger_accept_invalid_certs(true).build()?; //~ tls-verification-disabled
    let tcp = TcpStream::connect((acct.host.as_str(), 2102))?;
    let mut tls = connector.connect(&acct.host, tcp)?;
    tls.write_all(login_line(acct).as_bytes())?;
    let mut reply = String::new();
    BufReader::new(tls).read_line(&mut reply)?;
    Ok(reply)
}

fn sync_url(acct: &SyncAccount, secure: bool) -> String {
    let scheme = if secure { "https" } else { "http" };
    format!("{}://{}/api/sync?token={}", scheme, acct.host, acct.api_token)
}

pub fn pull_changes(acct: &SyncAccount) -> Result<String, ureq::Error> {
    let url = format!("http://{}/api/sync?user={}&token={}", acct.host, acct.user, acct.api_token);
    Ok(ureq::get(&url).call()?.into_string()?) //~ cleartext-url
}

pub fn pull_changes_secure(acct: &SyncAccount) -> Result<String, ureq::Error> {
    Ok(ureq::get(&sync_url(acct, true)).call()?.into_string()?)
}

pub async fn upload_metrics(acct: &SyncAccount, payload: Vec<u8>) -> Result<u16, hyper::Error> {
    let client = HyperClient::new();
    let req = Request::builder()
        .method(Method::POST)
        .uri("http://metrics.example.net/v1/upload")
        .header("Authorization", format!("Bearer {}", acct.api_token))
        .body(Body::from(payload))
        .expect("request");
    let resp = client.request(req).await?; //~ cleartext-url
    Ok(resp.status().as_u16())
}

pub fn save_profile(acct: &SyncAccount) -> std::io::Result<()> {
    fs::create_dir_all(config_dir())?;
    let p = SavedProfile { host: &acct.host, user: &acct.user, password: &acct.password };
    let text = toml::to_string(&p).expect("toml");
    fs::write(config_dir().join("profile.toml"), text) //~ cleartext-storage
}

pub fn save_public_profile(acct: &SyncAccount) -> std::io::Result<()> {
    fs::create_dir_all(config_dir())?;
    let p = PublicProfile { host: &acct.host, user: &acct.user };
    fs::write(config_dir().join("public.toml"), toml::to_string(&p).expect("toml"))
}

pub fn cache_token(acct: &SyncAccount) -> std::io::Result<()> {
    let mut f = File::create(config_dir().join("token.cache"))?;
    f.write_all(acct.api_token.as_bytes())?; //~ cleartext-storage
    f.sync_all()
}

pub fn cache_token_fingerprint(acct: &SyncAccount) -> std::io::Result<()> {
    use sha2::{Digest, Sha256};
    let fp = hex::encode(Sha256::digest(acct.api_token.as_bytes()));
    let mut f = File::create(config_dir().join("token.fp"))?;
    f.write_all(fp.as_bytes())
}
