//! `tollgate trusted-root`: Sigstore's trusted root through TUF, written
//! to a file the verification commands take as `--trusted-root`.

use crate::output;
use anyhow::{Context, Result};
use clap::Args;
use std::path::PathBuf;
use tollgate_attest::tuf::{Origin, TufSource};

#[derive(Args, Debug)]
pub struct TrustedRootArgs {
    /// A TUF repository other than Sigstore's public-good one (needs
    /// --tuf-root: the TUF root.json trust in it starts from).
    #[arg(long, value_name = "URL", requires = "tuf_root")]
    pub tuf_url: Option<String>,
    /// The TUF root.json for --tuf-url.
    #[arg(long, value_name = "FILE", requires = "tuf_url")]
    pub tuf_root: Option<PathBuf>,
    /// Cache directory (default: $XDG_CACHE_HOME/sigstore-rust/tuf, where
    /// the Sigstore Rust clients keep it).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Make no network request: the verified cache, else (public-good
    /// only) the trusted root compiled into tollgate.
    #[arg(long)]
    pub offline: bool,
    /// Write the trusted root here (default: standard output).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: TrustedRootArgs) -> Result<u8> {
    let cache = match &args.cache_dir {
        Some(dir) => dir.clone(),
        None => tollgate_attest::tuf::default_cache_base()
            .context("no cache directory: set XDG_CACHE_HOME or HOME, or give --cache-dir")?,
    };
    let source = match (&args.tuf_url, &args.tuf_root) {
        (Some(url), Some(root)) => {
            let bytes = std::fs::read(root)
                .with_context(|| format!("{}: cannot read the TUF root", root.display()))?;
            TufSource::custom(url, bytes, &cache)
        }
        _ => TufSource::public_good(&cache),
    };
    let (bytes, origin) = tollgate_attest::tuf::trusted_root(&source, args.offline)?;
    match &args.output {
        Some(path) => output::write_atomic(path, &bytes)?,
        None => output::write_bytes(None, &bytes)?,
    }
    output::info!(
        "Trusted root from {} ({})",
        source.url,
        match origin {
            Origin::Repository => "refreshed through TUF",
            Origin::Cache => "offline, from the verified TUF cache",
            Origin::Embedded => "offline, compiled into tollgate",
        }
    );
    Ok(0)
}
