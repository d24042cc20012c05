//! The dependency list `cargo auditable` embeds in a binary (`.dep-v0`),
//! read with `auditable-info` and turned into an [`Inventory`] for an SBOM.
//! The verifier compares it with a binary's attested SBOM.

use crate::cyclonedx::{Inventory, Item};
use crate::graph::{Source, CRATES_IO_INDEX};
use crate::Error;
use std::path::Path;

/// The inventory `cargo auditable` embedded in the binary at `path`.
pub fn inventory_from_binary(path: &Path) -> Result<Inventory, Error> {
    let info = read(path)?;
    inventory(&info)
}

/// The embedded dependency list as the text of a `Cargo.lock` (version 3),
/// for `tollgate audit bin`: each package with its version, crates.io as
/// its source when recorded so (other sources are not recorded precisely
/// enough to name, and stay sourceless), and its dependencies.
pub fn lockfile_from_binary(path: &Path) -> Result<String, Error> {
    let info = read(path)?;
    let mut out = String::from("version = 3\n");
    let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
    for p in &info.packages {
        out.push_str("\n[[package]]\n");
        out.push_str(&format!("name = {}\n", quote(&p.name)));
        out.push_str(&format!("version = {}\n", quote(&p.version.to_string())));
        if matches!(p.source, auditable_serde::Source::CratesIo) {
            out.push_str(&format!(
                "source = {}\n",
                quote(&format!("registry+{CRATES_IO_INDEX}"))
            ));
        }
        let mut deps: Vec<String> = p
            .dependencies
            .iter()
            .filter_map(|i| info.packages.get(*i))
            .map(|d| quote(&format!("{} {}", d.name, d.version)))
            .collect();
        deps.sort();
        deps.dedup();
        if !deps.is_empty() {
            out.push_str(&format!("dependencies = [{}]\n", deps.join(", ")));
        }
    }
    Ok(out)
}

fn read(path: &Path) -> Result<auditable_serde::VersionInfo, Error> {
    if !path.is_file() {
        return Err(Error::NotFound {
            path: path.to_path_buf(),
        });
    }
    let info = auditable_info::audit_info_from_file(path, Default::default()).map_err(|e| {
        let message = match e {
            auditable_info::Error::NoAuditData => {
                "no dependency data: the binary was not built with `cargo auditable`".to_string()
            }
            other => other.to_string(),
        };
        Error::Auditable {
            path: path.to_path_buf(),
            message,
        }
    })?;
    Ok(info)
}

fn inventory(info: &auditable_serde::VersionInfo) -> Result<Inventory, Error> {
    let items: Vec<Item> = info
        .packages
        .iter()
        .map(|p| Item {
            name: p.name.clone(),
            version: p.version.to_string(),
            source: Some(match &p.source {
                auditable_serde::Source::CratesIo => Source::Registry {
                    url: CRATES_IO_INDEX.into(),
                },
                auditable_serde::Source::Git => Source::Git {
                    url: "unknown".into(),
                    reference: None,
                    commit: None,
                },
                auditable_serde::Source::Local => Source::Path,
                auditable_serde::Source::Registry => Source::Registry {
                    url: "unknown".into(),
                },
                auditable_serde::Source::Other(s) => Source::Registry { url: s.clone() },
                _ => Source::Path,
            }),
            runtime: matches!(p.kind, auditable_serde::DependencyKind::Runtime),
            ..Item::default()
        })
        .collect();
    let root = info.packages.iter().position(|p| p.root).unwrap_or(0);
    let edges = info
        .packages
        .iter()
        .enumerate()
        .flat_map(|(from, p)| p.dependencies.iter().map(move |to| (from, *to)))
        .filter(|(_, to)| *to < items.len())
        .collect();
    Ok(Inventory { items, root, edges })
}
