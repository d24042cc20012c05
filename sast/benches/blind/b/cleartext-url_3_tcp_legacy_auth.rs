// Client for a legacy line-based license server: authenticates with credentials over TCP, optionally with TLS.
use native_tls::TlsConnector;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;

pub struct LicenseClient {
    addr: String,
    account: String,
    secret_key: String,
}

impl LicenseClient {
    pub fn new(addr: &str, account: &str, secret_key: &str) -> Self {
        Self { addr: addr.into(), account: account.into(), secret_key: secret_key.into() }
    }

    fn auth_line(&self) -> String {
        format!("AUTH {} {}\r\n", self.account, self.secret_key)
    }

    pub fn check_plain(&self, product: &str) -> std::io::Result<bool> {
        let mut stream = TcpStream::connect(&self.addr)?;
        stream.write_all(self.auth_line().as_bytes())?; //~ cleartext-url
        writeln!(stream, "CHECK {}\r", product)?;
        let mut line = String::new();
        BufReader::new(stream).read_line(&mut line)?;
        Ok(line.starts_with("OK"))
    }

    pub fn check_tls(&self, domain: &str, product: &str) -> anyhow::Result<bool> {
        let connector = TlsConnector::new()?;
        let tcp = TcpStream::connect(&self.addr)?;
        let mut stream = connector.connect(domain, tcp)?;
        stream.write_all(self.auth_line().as_bytes())?;
        writeln!(stream, "CHECK {}\r", product)?;
        let mut line = String::new();
        BufReader::new(stream).read_line(&mut line)?;
        Ok(line.starts_with("OK"))
    }

    pub fn ping(&self) -> std::io::Result<()> {
        let mut stream = TcpStream::connect(&self.addr)?;
        stream.write_all(b"PING\r\n")
    }
}

pub async fn activate(host: &str, credentials: (String, String)) -> surf::Result<String> {
    let (user, client_secret) = credentials;
    let form = [("user", user.as_str()), ("secret", client_secret.as_str())];
    let uri = format!("http://{}/activate", host); //~ cleartext-url
    let mut res = surf::post(uri).body_form(&form)?.await?;
    res.body_string().await
}

pub async fn activate_tls(host: &str, credentials: (String, String)) -> surf::Result<String> {
    let (user, client_secret) = credentials;
    let form = [("user", user.as_str()), ("secret", client_secret.as_str())];
    let mut res = surf::post(format!("https://{}/activate", host)).body_form(&form)?.await?;
    res.body_string().await
}
