//! SPDX 2.3 JSON from the same [`Inventory`] the CycloneDX writer uses
//! (syft's `-o spdx-json`).
//!
//! * one package per crate, the root first and `DESCRIBES`d by the
//!   document; `DEPENDS_ON` relationships for the graph's edges;
//! * `versionInfo`, a `purl` external reference (the CycloneDX writer's),
//!   the crates.io checksum as `SHA256`, the built artifact's SHA-256 and
//!   SHA-512 on the root (`--artifact`);
//! * `licenseDeclared`: cargo's `license` field when it is a valid SPDX
//!   expression (the legacy `MIT/Apache-2.0` read as `MIT OR Apache-2.0`),
//!   else `NOASSERTION`; `licenseConcluded` and `copyrightText` are always
//!   `NOASSERTION` (nothing was concluded);
//! * `downloadLocation`: the crates.io download URL, `git+URL@COMMIT` for
//!   git sources, else `NOASSERTION`;
//! * `created`: `SOURCE_DATE_EPOCH` when given, else now; the document
//!   namespace is derived from the content without `created`, so the same
//!   project gives the same namespace.

use crate::cyclonedx::{hash_artifact, purl, Inventory, Item, Options};
use crate::graph::Source;
use crate::Error;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// Cargo's `license` as an SPDX expression, if it is one.
pub fn license_expression(raw: &str) -> Option<String> {
    let normalised = raw
        .split('/')
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" OR ");
    spdx::Expression::parse(&normalised)
        .ok()
        .map(|_| normalised)
}

/// `SPDXRef-` ids allow letters, digits, `.` and `-` only.
fn spdx_id(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn download_location(item: &Item) -> String {
    match &item.source {
        Some(s) if s.is_crates_io() => format!(
            "https://crates.io/api/v1/crates/{}/{}/download",
            item.name, item.version
        ),
        Some(Source::Git {
            url,
            commit: Some(commit),
            ..
        }) => format!("git+{url}@{commit}"),
        _ => "NOASSERTION".into(),
    }
}

fn package(
    item: &Item,
    id: &str,
    artifact: Option<&(String, String, String)>,
    root: bool,
) -> Value {
    let mut p = Map::new();
    p.insert("name".into(), json!(item.name));
    p.insert("SPDXID".into(), json!(id));
    p.insert("versionInfo".into(), json!(item.version));
    p.insert("downloadLocation".into(), json!(download_location(item)));
    p.insert("filesAnalyzed".into(), json!(false));
    let mut checksums = Vec::new();
    if let Some(sha) = &item.sha256 {
        checksums.push(json!({"algorithm": "SHA256", "checksumValue": sha}));
    }
    if let Some((_, sha256, sha512)) = artifact {
        checksums.push(json!({"algorithm": "SHA256", "checksumValue": sha256}));
        checksums.push(json!({"algorithm": "SHA512", "checksumValue": sha512}));
    }
    if !checksums.is_empty() {
        p.insert("checksums".into(), json!(checksums));
    }
    if let Some(home) = &item.homepage {
        if home.starts_with("https://") || home.starts_with("http://") {
            p.insert("homepage".into(), json!(home));
        }
    }
    p.insert("licenseConcluded".into(), json!("NOASSERTION"));
    p.insert(
        "licenseDeclared".into(),
        json!(item
            .license
            .as_deref()
            .and_then(license_expression)
            .unwrap_or_else(|| "NOASSERTION".into())),
    );
    p.insert("copyrightText".into(), json!("NOASSERTION"));
    if let Some(d) = &item.description {
        p.insert(
            "description".into(),
            json!(d.split_whitespace().collect::<Vec<_>>().join(" ")),
        );
    }
    p.insert(
        "externalRefs".into(),
        json!([{
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator": purl(item),
        }]),
    );
    if root {
        let purpose = if artifact.is_some() {
            "APPLICATION"
        } else {
            "LIBRARY"
        };
        p.insert("primaryPackagePurpose".into(), json!(purpose));
    }
    Value::Object(p)
}

/// The SPDX 2.3 JSON document, pretty-printed with a final newline.
pub fn generate(inventory: &Inventory, options: &Options, now: i64) -> Result<Vec<u8>, Error> {
    let root_item = inventory
        .items
        .get(inventory.root)
        .ok_or_else(|| Error::Sbom("the inventory has no root".into()))?;
    let artifact = match &options.artifact {
        Some(path) => Some(hash_artifact(path)?),
        None => None,
    };
    // Stable, unique ids: from the purl, numbered when two items share one.
    let mut ids = Vec::with_capacity(inventory.items.len());
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for item in &inventory.items {
        let base = spdx_id(&format!("SPDXRef-Package-{}-{}", item.name, item.version));
        let n = seen.entry(base.clone()).or_default();
        *n += 1;
        ids.push(if *n == 1 { base } else { format!("{base}-{n}") });
    }
    let mut order: Vec<usize> = (0..inventory.items.len())
        .filter(|i| *i != inventory.root)
        .collect();
    order.sort_by(|a, b| ids[*a].cmp(&ids[*b]));
    let mut packages = vec![package(
        root_item,
        &ids[inventory.root],
        artifact.as_ref(),
        true,
    )];
    packages.extend(
        order
            .iter()
            .map(|i| package(&inventory.items[*i], &ids[*i], None, false)),
    );
    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": ids[inventory.root],
    })];
    let edges: BTreeSet<(&str, &str)> = inventory
        .edges
        .iter()
        .filter(|(from, to)| from != to && *from < ids.len() && *to < ids.len())
        .map(|(from, to)| (ids[*from].as_str(), ids[*to].as_str()))
        .collect();
    relationships.extend(edges.iter().map(|(from, to)| {
        json!({
            "spdxElementId": from,
            "relationshipType": "DEPENDS_ON",
            "relatedSpdxElement": to,
        })
    }));
    let name = format!("{}-{}", root_item.name, root_item.version);
    let content = serde_json::to_vec(&json!([packages, relationships]))
        .map_err(|e| Error::Sbom(e.to_string()))?;
    let digest = hex::encode(Sha256::digest(&content));
    let created = crate::report::rfc3339(options.timestamp.unwrap_or(now));
    let doc = json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": name,
        "documentNamespace": format!(
            "https://spdx.org/spdxdocs/tollgate/{}-{}",
            spdx_id(&name),
            &digest[..32]
        ),
        "creationInfo": {
            "created": created,
            "creators": [format!("Tool: tollgate-{}", env!("CARGO_PKG_VERSION"))],
        },
        "packages": packages,
        "relationships": relationships,
    });
    let mut out = serde_json::to_vec_pretty(&doc).map_err(|e| Error::Sbom(e.to_string()))?;
    out.push(b'\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn licences_and_ids() {
        assert_eq!(
            license_expression("MIT/Apache-2.0").as_deref(),
            Some("MIT OR Apache-2.0")
        );
        assert_eq!(
            license_expression("Apache-2.0 WITH LLVM-exception").as_deref(),
            Some("Apache-2.0 WITH LLVM-exception")
        );
        assert_eq!(license_expression("see LICENSE"), None);
        assert_eq!(
            spdx_id("SPDXRef-Package-a_b-1.0.0+x"),
            "SPDXRef-Package-a-b-1.0.0-x"
        );
    }

    #[test]
    fn the_root_is_described_and_edges_depend() {
        let inventory = Inventory {
            items: vec![
                Item {
                    name: "app".into(),
                    version: "0.1.0".into(),
                    license: Some("MIT".into()),
                    ..Item::default()
                },
                Item {
                    name: "dep".into(),
                    version: "1.0.0".into(),
                    source: Some(Source::Registry {
                        url: crate::graph::CRATES_IO_INDEX.into(),
                    }),
                    sha256: Some("ab".repeat(32)),
                    license: Some("not a licence".into()),
                    ..Item::default()
                },
            ],
            root: 0,
            edges: BTreeSet::from([(0, 1)]),
        };
        let bytes = generate(&inventory, &Options::default(), 0).unwrap();
        let doc: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(doc["creationInfo"]["created"], "1970-01-01T00:00:00Z");
        assert_eq!(doc["packages"][0]["SPDXID"], "SPDXRef-Package-app-0.1.0");
        assert_eq!(doc["packages"][0]["licenseDeclared"], "MIT");
        assert_eq!(doc["packages"][1]["licenseDeclared"], "NOASSERTION");
        assert_eq!(
            doc["packages"][1]["downloadLocation"],
            "https://crates.io/api/v1/crates/dep/1.0.0/download"
        );
        assert_eq!(doc["relationships"][1]["relationshipType"], "DEPENDS_ON");
        // The namespace does not depend on the time.
        let later: Value =
            serde_json::from_slice(&generate(&inventory, &Options::default(), 99).unwrap())
                .unwrap();
        assert_eq!(doc["documentNamespace"], later["documentNamespace"]);
    }
}
