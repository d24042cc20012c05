//! The dependency list `cargo auditable` embeds in a binary (`.dep-v0`),
//! read with `auditable-info` and turned into an [`Inventory`] for an SBOM.
//! The verifier compares it with a binary's attested SBOM.

use crate::cyclonedx::{Inventory, Item};
use crate::graph::{Source, CRATES_IO_INDEX};
use crate::Error;
use std::path::Path;

pub fn inventory_from_binary(path: &Path) -> Result<Inventory, Error> {
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
