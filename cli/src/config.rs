//! `tollgate.toml`: found next to the scanned path or in a parent directory
//! (the nearest one wins, like `rustfmt.toml`), or named with `--config`.

use anyhow::{Context, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = "tollgate.toml";

/// The whole file. Unknown sections and keys are errors that name them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    #[serde(default)]
    pub sast: tollgate_sast::Config,
    #[serde(default)]
    pub audit: tollgate_sbom::config::AuditConfig,
    #[serde(default, rename = "pre-merge")]
    pub pre_merge: crate::premerge_cmd::PreMergeConfig,
}

/// A loaded configuration and the directory its relative paths start from.
#[derive(Debug, Default)]
pub struct Loaded {
    pub config: FileConfig,
    pub dir: Option<PathBuf>,
}

pub fn load(explicit: Option<&Path>, start: &Path) -> Result<Loaded> {
    let path = match explicit {
        Some(path) => Some(path.to_path_buf()),
        None => find(start),
    };
    let Some(path) = path else {
        return Ok(Loaded::default());
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("{}: cannot read configuration", path.display()))?;
    let config: FileConfig = toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{}: invalid configuration: {e}", path.display()))?;
    config
        .sast
        .validate()
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let dir = path.parent().map(|p| {
        if p.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            p.to_path_buf()
        }
    });
    Ok(Loaded { config, dir })
}

fn find(start: &Path) -> Option<PathBuf> {
    // Absolute first: a bare `Cargo.lock` has an empty parent.
    let absolute = std::path::absolute(start).ok()?;
    let dir = if absolute.is_file() {
        absolute.parent()?
    } else {
        &absolute
    };
    dir.ancestors()
        .map(|dir| dir.join(FILE_NAME))
        .find(|candidate| candidate.is_file())
}

/// The repository root of `start` (the nearest ancestor with `.git`), used
/// to make reported paths repository-relative as code scanning expects.
pub fn repo_root(start: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(start).ok()?;
    absolute
        .ancestors()
        .find(|dir| dir.join(".git").exists())
        .map(Path::to_path_buf)
}
