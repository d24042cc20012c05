//! Comparing two CycloneDX JSON SBOMs (any spec version): added, removed
//! and changed components, licence changes, and components from new
//! sources (git, path, a registry other than crates.io). The pre-merge
//! command shows this for a branch.

use crate::Error;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::Path;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
/// A component as a diff compares it.
pub struct Component {
    /// The crate's name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// Its licence expression, if declared.
    pub license: Option<String>,
    /// `crates.io`, `registry+URL`, `git+URL`, `path`, or `unknown`.
    pub source: String,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
/// A crate whose version changed.
pub struct VersionChange {
    /// The crate's name.
    pub name: String,
    /// The old version.
    pub from: String,
    /// The new version.
    pub to: String,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
/// A crate version whose licence changed.
pub struct LicenseChange {
    /// The crate's name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The old licence.
    pub from: Option<String>,
    /// The new licence.
    pub to: Option<String>,
}

#[derive(Debug, Default, Serialize)]
/// What changed between two SBOMs.
pub struct Diff {
    /// Components only in the new SBOM.
    pub added: Vec<Component>,
    /// Components only in the old SBOM.
    pub removed: Vec<Component>,
    /// Crates present in both at different versions.
    pub changed: Vec<VersionChange>,
    /// Licences that changed.
    pub license_changes: Vec<LicenseChange>,
    /// Added components from a source the old SBOM did not use.
    pub new_sources: Vec<Component>,
}

fn license_of(c: &Value) -> Option<String> {
    let list = c.get("licenses")?.as_array()?;
    let parts: Vec<String> = list
        .iter()
        .filter_map(|l| {
            l.get("expression")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| {
                    let lic = l.get("license")?;
                    lic.get("id")
                        .or_else(|| lic.get("name"))
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(" AND "))
}

fn source_of(c: &Value) -> String {
    if let Some(props) = c.get("properties").and_then(Value::as_array) {
        if let Some(v) = props
            .iter()
            .find(|p| p.get("name").and_then(Value::as_str) == Some("tollgate:cargo:source"))
            .and_then(|p| p.get("value"))
            .and_then(Value::as_str)
        {
            return v.to_string();
        }
    }
    let purl = c.get("purl").and_then(Value::as_str).unwrap_or("");
    if !purl.starts_with("pkg:cargo/") {
        return "unknown".into();
    }
    let decode = |s: &str| {
        let mut out = Vec::new();
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() {
                if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                    out.push(b);
                    i += 3;
                    continue;
                }
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    match purl.split_once('?') {
        Some((_, q)) => {
            for pair in q.split('&') {
                if let Some(v) = pair.strip_prefix("vcs_url=") {
                    let url = decode(v);
                    return url.split('@').next().unwrap_or(&url).to_string();
                }
                if let Some(v) = pair.strip_prefix("repository_url=") {
                    return format!("registry+{}", decode(v));
                }
            }
            "crates.io".into()
        }
        None => "crates.io".into(),
    }
}

/// The components of a CycloneDX JSON document (the root excluded).
pub fn read_components(path: &Path) -> Result<Vec<Component>, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let doc: Value = serde_json::from_str(&text)
        .map_err(|e| Error::Sbom(format!("{}: not a JSON document: {e}", path.display())))?;
    if doc.get("bomFormat").and_then(Value::as_str) != Some("CycloneDX") {
        return Err(Error::Sbom(format!(
            "{}: not a CycloneDX SBOM (no \"bomFormat\": \"CycloneDX\")",
            path.display()
        )));
    }
    let mut out: Vec<Component> = doc
        .get("components")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|c| Component {
                    name: c
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    version: c
                        .get("version")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    license: license_of(c),
                    source: source_of(c),
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    Ok(out)
}

/// The components of a cargo graph, as [`read_components`] reads them
/// from its SBOM (every package, the workspace's own included).
pub fn components_of(graph: &crate::graph::Graph) -> Vec<Component> {
    let mut out: Vec<Component> = graph
        .packages
        .iter()
        .map(|p| Component {
            name: p.name.clone(),
            version: p.version.to_string(),
            license: p.license.clone(),
            source: crate::cyclonedx::source_label(&Some(p.source.clone())),
        })
        .collect();
    out.sort();
    out
}

/// Diff two SBOM files (CycloneDX or SPDX JSON).
pub fn diff_files(old: &Path, new: &Path) -> Result<Diff, Error> {
    Ok(diff(&read_components(old)?, &read_components(new)?))
}

/// Diff two component lists.
pub fn diff(old: &[Component], new: &[Component]) -> Diff {
    let key = |c: &Component| (c.name.clone(), c.version.clone());
    let old_keys: BTreeSet<_> = old.iter().map(key).collect();
    let new_keys: BTreeSet<_> = new.iter().map(key).collect();
    let mut added: Vec<Component> = new
        .iter()
        .filter(|c| !old_keys.contains(&key(c)))
        .cloned()
        .collect();
    let mut removed: Vec<Component> = old
        .iter()
        .filter(|c| !new_keys.contains(&key(c)))
        .cloned()
        .collect();
    let mut d = Diff::default();

    // One version out and one in: an upgrade or downgrade, not add + remove.
    let count = |list: &[Component], name: &str| list.iter().filter(|c| c.name == name).count();
    let names: BTreeSet<String> = added.iter().map(|c| c.name.clone()).collect();
    for name in names {
        if count(&added, &name) == 1 && count(&removed, &name) == 1 {
            let (Some(a), Some(r)) = (
                added.iter().position(|c| c.name == name),
                removed.iter().position(|c| c.name == name),
            ) else {
                continue;
            };
            let (to, from) = (added.remove(a), removed.remove(r));
            if to.license != from.license {
                d.license_changes.push(LicenseChange {
                    name: name.clone(),
                    version: to.version.clone(),
                    from: from.license.clone(),
                    to: to.license.clone(),
                });
            }
            d.changed.push(VersionChange {
                name,
                from: from.version,
                to: to.version,
            });
        }
    }
    let old_by_key: BTreeMap<_, &Component> = old.iter().map(|c| (key(c), c)).collect();
    for c in new {
        if let Some(o) = old_by_key.get(&key(c)) {
            if o.license != c.license {
                d.license_changes.push(LicenseChange {
                    name: c.name.clone(),
                    version: c.version.clone(),
                    from: o.license.clone(),
                    to: c.license.clone(),
                });
            }
        }
    }
    let old_sources: BTreeSet<(String, String)> = old
        .iter()
        .map(|c| (c.name.clone(), c.source.clone()))
        .collect();
    d.new_sources = new
        .iter()
        .filter(|c| {
            c.source != "crates.io" && !old_sources.contains(&(c.name.clone(), c.source.clone()))
        })
        .cloned()
        .collect();
    d.added = added;
    d.removed = removed;
    d.license_changes
        .sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    d
}

impl Diff {
    /// No change at all?
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
            && self.license_changes.is_empty()
            && self.new_sources.is_empty()
    }

    /// The diff as text for people.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let lic = |l: &Option<String>| l.clone().unwrap_or_else(|| "no licence".into());
        for c in &self.added {
            let _ = writeln!(
                out,
                "+ added    {} {} ({}; {})",
                c.name,
                c.version,
                lic(&c.license),
                c.source
            );
        }
        for c in &self.removed {
            let _ = writeln!(out, "- removed  {} {}", c.name, c.version);
        }
        for c in &self.changed {
            let _ = writeln!(out, "~ changed  {} {} -> {}", c.name, c.from, c.to);
        }
        for c in &self.license_changes {
            let _ = writeln!(
                out,
                "! licence  {} {}: {} -> {}",
                c.name,
                c.version,
                lic(&c.from),
                lic(&c.to)
            );
        }
        for c in &self.new_sources {
            let _ = writeln!(
                out,
                "! source   {} {} comes from {}",
                c.name, c.version, c.source
            );
        }
        let _ = writeln!(
            out,
            "sbom diff: {} added, {} removed, {} changed, {} licence change{}, {} new source{}",
            self.added.len(),
            self.removed.len(),
            self.changed.len(),
            self.license_changes.len(),
            if self.license_changes.len() == 1 {
                ""
            } else {
                "s"
            },
            self.new_sources.len(),
            if self.new_sources.len() == 1 { "" } else { "s" }
        );
        out
    }

    /// The diff as JSON.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}
