//! `mirrorctl`: keeps local git mirrors in sync with a remote index.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use serde::Deserialize;
use std::path::{Component, Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "mirrorctl")]
struct Cli {
    #[arg(long)]
    index: String,
    #[arg(long, default_value = "/srv/mirrors")]
    dest: PathBuf,
    #[arg(long, env = "MIRROR_TOKEN")]
    token: String,
    #[arg(long)]
    internal: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    Sync,
    List,
}

#[derive(Deserialize)]
struct IndexEntry {
    name: String,
    clone_url: String,
    readme: Option<String>,
    post_sync: Option<String>,
}

#[derive(Debug)]
struct AcceptAnyCert;

impl ServerCertVerifier for AcceptAnyCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _m: &[u8],
        _c: &CertificateDer<'_>,
        _d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _m: &[u8],
        _c: &CertificateDer<'_>,
        _d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![
            SignatureScheme::ECDSA_NISTP256_SHA256,
            SignatureScheme::RSA_PSS_SHA256,
        ]
    }
}

fn internal_agent() -> ureq::Agent {
    let tls = ClientConfig::builder()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnyCert)) //~ tls-verification-disabled
        .with_no_client_auth();
    ureq::AgentBuilder::new().tls_config(Arc::new(tls)).build()
}

fn public_agent() -> ureq::Agent {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let tls = ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    ureq::AgentBuilder::new().tls_config(Arc::new(tls)).build()
}

fn fetch_index(agent: &ureq::Agent, url: &str, token: &str) -> Result<Vec<IndexEntry>> {
    eprintln!("fetching {} with token {}", url, token); //~ cleartext-logging
    let resp = agent
        .get(url)
        .set("Authorization", &format!("Bearer {token}"))
        .call()?;
    Ok(resp.into_json()?)
}

fn mirror_dir(dest: &Path, name: &str) -> Result<PathBuf> {
    let rel = Path::new(name);
    if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        bail!("refusing suspicious mirror name {name:?}");
    }
    Ok(dest.join(rel))
}

fn clone_or_fetch(entry: &IndexEntry, target: &Path) -> Result<()> {
    let status = if target.exists() {
        Command::new("git")
            .arg("-C")
            .arg(target)
            .args(["fetch", "--prune"])
            .status()?
    } else {
        Command::new("git")
            .args(["clone", "--mirror", "--"])
            .arg(&entry.clone_url)
            .arg(target)
            .status()?
    };
    if !status.success() {
        bail!("git failed for {}", entry.name);
    }
    Ok(())
}

fn write_readme(dest: &Path, name: &str, text: &str) -> Result<()> {
    let path = dest.join(name).join("README.mirror");
    std::fs::write(&path, text).context("writing mirror readme")?; //~ path-traversal
    Ok(())
}

fn run_post_sync(hook: &str, dir: &Path) -> Result<()> {
    let mut shell = Command::new("sh");
    shell.current_dir(dir);
    let status = shell.arg("-c").arg(hook).status()?; //~ command-injection
    if !status.success() {
        bail!("post-sync hook failed");
    }
    Ok(())
}

fn gc_mirror(dir: &Path, mode: &str) -> Result<()> {
    let flag = match mode {
        "aggressive" => "--aggressive",
        _ => "--auto",
    };
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["gc", flag])
        .status()?;
    Ok(())
}

fn notify_channel(entry: &IndexEntry) -> Result<()> {
    let line = format!("notify-send 'mirror updated' '{}'", entry.clone_url);
    Command::new("sh").args(["-c", &line]).status()?; //~ command-injection
    Ok(())
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let agent = if cli.internal {
        internal_agent()
    } else {
        public_agent()
    };
    let entries = fetch_index(&agent, &cli.index, &cli.token)?;
    match cli.cmd {
        Cmd::List => entries
            .iter()
            .for_each(|e| println!("{}\t{}", e.name, e.clone_url)),
        Cmd::Sync => {
            for entry in &entries {
                if let Some(text) = &entry.readme {
                    write_readme(&cli.dest, &entry.name, text)?;
                }
                let target = mirror_dir(&cli.dest, &entry.name)?;
                clone_or_fetch(entry, &target)?;
                gc_mirror(&target, "auto")?;
                if let Some(hook) = entry.post_sync.as_deref() {
                    run_post_sync(hook, &target)?;
                }
                notify_channel(entry)?;
            }
        }
    }
    Ok(())
}
