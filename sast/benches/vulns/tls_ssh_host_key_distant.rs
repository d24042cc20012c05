// https://github.com/chipsenkbeil/distant/pull/276 (SSH client: check_server_key accepted every server host key, `Ok(true)`; fix commit 93aacc91 verifies against known_hosts; the SSH analogue of a certificate verifier that always returns Ok, CWE-295)
use std::path::PathBuf;
use russh::client;

pub struct ClientHandler;

impl client::Handler for ClientHandler {
    type Error = russh::Error;

    fn check_server_key(
        &mut self,
        _server_public_key: &russh::keys::PublicKey,
    ) -> impl std::future::Future<Output = Result<bool, Self::Error>> + Send {
        // TODO: Implement proper host key verification using known_hosts
        async { Ok(true) } //~ tls-verification-disabled
    }
}

pub struct FixedClientHandler {
    host: String,
    port: u16,
    known_hosts_files: Vec<PathBuf>,
}

fn fixed_check_host_key(
    host: &str,
    port: u16,
    pubkey: &russh::keys::PublicKey,
    known_hosts_files: &[PathBuf],
) -> Result<bool, russh::Error> {
    use russh::keys::known_hosts::check_known_hosts_path;
    for file in known_hosts_files {
        match check_known_hosts_path(host, port, pubkey, file) {
            Ok(true) => return Ok(true),
            Ok(false) => {}
            Err(russh::keys::Error::KeyChanged { .. }) => {
                return Err(russh::Error::from(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("Host key for {host}:{port} has changed"),
                )));
            }
            Err(_) => {}
        }
    }
    // Unknown key with the strict policy: reject.
    Ok(false)
}

impl client::Handler for FixedClientHandler {
    type Error = russh::Error;

    fn check_server_key(
        &mut self,
        server_public_key: &russh::keys::PublicKey,
    ) -> impl std::future::Future<Output = Result<bool, Self::Error>> + Send {
        let host = self.host.clone();
        let port = self.port;
        let files = self.known_hosts_files.clone();
        async move { fixed_check_host_key(&host, port, server_public_key, &files) }
    }
}
