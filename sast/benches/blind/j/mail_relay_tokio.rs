//! Minimal SMTP relay: accepts mail locally, forwards through a smarthost.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ring::hmac;
use std::io;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::Command;

const MAX_MSG: usize = 25 * 1024 * 1024;
const MAX_LINE: usize = 1000;

pub struct Smarthost {
    host: String,
    user: String,
    password: String,
}

impl Smarthost {
    pub fn from_env() -> Self {
        Self {
            host: std::env::var("RELAY_HOST").unwrap_or_else(|_| "smtp.example.net".into()),
            user: std::env::var("RELAY_USER").unwrap_or_default(),
            password: std::env::var("RELAY_PASSWORD").unwrap_or_default(),
        }
    }

    fn auth_blob(&self) -> String {
        B64.encode(format!("\0{}\0{}", self.user, self.password))
    }

    pub async fn login_plain(&self) -> io::Result<TcpStream> {
        let mut stream = TcpStream::connect((self.host.as_str(), 25)).await?;
        log::debug!("relay login {}:{}", self.user, self.password); //~ cleartext-logging
        let cmd = format!("EHLO relay.local\r\nAUTH PLAIN {}\r\n", self.auth_blob());
        stream.write_all(cmd.as_bytes()).await?; //~ cleartext-url
        Ok(stream)
    }

    pub async fn login_tls(&self) -> io::Result<tokio_native_tls::TlsStream<TcpStream>> {
        let tcp = TcpStream::connect((self.host.as_str(), 465)).await?;
        let cx = native_tls::TlsConnector::new().map_err(io::Error::other)?;
        let cx = tokio_native_tls::TlsConnector::from(cx);
        let mut tls = cx
            .connect(&self.host, tcp)
            .await
            .map_err(io::Error::other)?;
        log::info!("relay login as {}", self.user);
        let cmd = format!("EHLO relay.local\r\nAUTH PLAIN {}\r\n", self.auth_blob());
        tls.write_all(cmd.as_bytes()).await?;
        Ok(tls)
    }
}

fn seal_material() -> [u8; 32] {
    *b"relay-queue-integrity-seal-key!!"
}

pub fn seal_queue_file(bytes: &[u8]) -> Vec<u8> {
    let key = hmac::Key::new(hmac::HMAC_SHA256, &seal_material()); //~ hardcoded-crypto-key
    hmac::sign(&key, bytes).as_ref().to_vec()
}

fn parse_size(mail_from: &str) -> Option<usize> {
    mail_from
        .split_whitespace()
        .find_map(|p| p.strip_prefix("SIZE="))
        .and_then(|v| v.parse().ok())
}

struct Envelope {
    rcpt: Vec<String>,
    body: Vec<u8>,
}

impl Envelope {
    fn new(declared: usize) -> Self {
        Self {
            rcpt: Vec::new(),
            body: Vec::with_capacity(declared), //~ unbounded-allocation
        }
    }
}

fn check_size(declared: usize) -> Result<usize, &'static str> {
    if declared > MAX_MSG {
        return Err("552 message size exceeds limit");
    }
    Ok(declared)
}

async fn deliver_local(rcpt: &str, msg: &[u8]) -> io::Result<()> {
    let cmdline = format!("/usr/sbin/sendmail -i {}", rcpt);
    let mut cmd = Command::new("sh");
    cmd.stdin(Stdio::piped());
    let mut child = cmd.arg("-c").arg(&cmdline).spawn()?; //~ command-injection
    child.stdin.take().expect("stdin").write_all(msg).await?;
    child.wait().await.map(|_| ())
}

async fn deliver_checked(rcpt: &str, msg: &[u8]) -> io::Result<()> {
    let mut cmd = Command::new("/usr/sbin/sendmail");
    cmd.stdin(Stdio::piped()).arg("-i").arg("--").arg(rcpt);
    let mut child = cmd.spawn()?;
    child.stdin.take().expect("stdin").write_all(msg).await?;
    child.wait().await.map(|_| ())
}

async fn session(stream: TcpStream) -> io::Result<()> {
    let (rd, mut wr) = stream.into_split();
    let mut rd = BufReader::new(rd);
    let mut env = Envelope::new(0);
    let mut line = String::with_capacity(MAX_LINE);
    wr.write_all(b"220 relay ready\r\n").await?;
    loop {
        line.clear();
        let mut limited = (&mut rd).take(MAX_LINE as u64);
        if limited.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let upper = line.trim_end().to_ascii_uppercase();
        if upper.starts_with("MAIL FROM:") {
            let declared = parse_size(&upper).unwrap_or(0);
            env = Envelope::new(declared);
        } else if let Some(addr) = upper.strip_prefix("RCPT TO:") {
            env.rcpt
                .push(addr.trim_matches(|c| c == '<' || c == '>').to_lowercase());
        } else if let Some(arg) = upper.strip_prefix("BDAT ") {
            let n: usize = arg
                .split_whitespace()
                .next()
                .unwrap_or("0")
                .parse()
                .unwrap_or(0);
            let mut chunk = vec![0u8; n]; //~ unbounded-allocation
            rd.read_exact(&mut chunk).await?;
            env.body.extend_from_slice(&chunk);
        } else if let Some(arg) = upper.strip_prefix("XSIZE ") {
            let Ok(n) = check_size(arg.trim().parse().unwrap_or(usize::MAX)) else {
                wr.write_all(b"552 too big\r\n").await?;
                continue;
            };
            env.body.reserve(n);
        } else if upper == "QUIT" {
            for rcpt in &env.rcpt {
                if rcpt.ends_with("@localhost") {
                    deliver_local(rcpt, &env.body).await?;
                } else {
                    deliver_checked(rcpt, &env.body).await?;
                }
            }
            let _ = seal_queue_file(&env.body);
            return wr.write_all(b"221 bye\r\n").await;
        }
        wr.write_all(b"250 ok\r\n").await?;
    }
}

#[tokio::main]
async fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:2525").await?;
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(session(stream));
    }
}
