// https://github.com/nats-io/nats.rs/commit/817a7b942c462fa9d9938dcb62124173634132fb (RUSTSEC-2023-0027, GHSA-f5v5-ccqc-6w36: the TLS server name checked against the certificate was the `host` from the server's plaintext INFO message, so a MitM chose the name it is verified against)
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;

#[derive(serde::Deserialize)]
pub struct ServerInfo {
    pub host: String,
    pub tls_required: bool,
}

async fn read_info(stream: &mut BufReader<TcpStream>) -> std::io::Result<ServerInfo> {
    let mut line = String::new();
    stream.read_line(&mut line).await?;
    let json = line.trim_start_matches("INFO ").trim();
    serde_json::from_str(json).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

pub async fn try_connect_to(
    tls_config: Arc<rustls::ClientConfig>,
    socket_addr: std::net::SocketAddr,
    tls_host: &str,
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let tcp_stream = TcpStream::connect(socket_addr).await?;
    let mut reader = BufReader::new(tcp_stream);
    let info = read_info(&mut reader).await?;
    let tls_connector = tokio_rustls::TlsConnector::from(tls_config);

    // Use the server-advertised hostname to validate if given as a hostname, not an IP address
    let domain = if let Ok(server_hostname @ rustls::ServerName::DnsName(_)) =
        rustls::ServerName::try_from(info.host.as_str())
    {
        server_hostname
    } else if let Ok(tls_hostname @ rustls::ServerName::DnsName(_)) =
        rustls::ServerName::try_from(tls_host)
    {
        tls_hostname
    } else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "cannot determine hostname for TLS connection",
        ));
    };

    tls_connector.connect(domain, reader.into_inner()).await //~ tls-verification-disabled
}

pub async fn fixed_try_connect_to(
    tls_config: Arc<rustls::ClientConfig>,
    socket_addr: std::net::SocketAddr,
    tls_host: &str,
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let tcp_stream = TcpStream::connect(socket_addr).await?;
    let mut reader = BufReader::new(tcp_stream);
    let _info = read_info(&mut reader).await?;
    let tls_connector = tokio_rustls::TlsConnector::from(tls_config);
    let domain = rustls::ServerName::try_from(tls_host)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    tls_connector.connect(domain, reader.into_inner()).await
}
