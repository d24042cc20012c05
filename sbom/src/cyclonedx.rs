//! CycloneDX SBOMs. The document is built as CycloneDX 1.5 JSON and passed
//! through `cyclonedx-bom` (parsed into its model and written by its 1.5
//! JSON and XML serialisers). `cyclonedx-bom` stops at 1.5; 1.6 is written
//! here as the small delta (1.6 accepts every 1.5 construct used here, so
//! only `specVersion` and `$schema` change).
//!
//! Output is reproducible: components and dependencies are sorted, bom-refs
//! are purls (never absolute paths), the timestamp comes only from
//! `SOURCE_DATE_EPOCH`, and the serial number is derived from the content.

use crate::audit::Finding;
use crate::graph::{DepKind, Graph, Source};
use crate::reachability::Reachability;
use crate::Error;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256, Sha512};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// The CycloneDX specification version written.
pub enum SpecVersion {
    /// CycloneDX 1.5.
    V1_5,
    /// CycloneDX 1.6.
    V1_6,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// The CycloneDX encoding written.
pub enum Encoding {
    /// JSON.
    Json,
    /// XML.
    Xml,
}

#[derive(Clone, Debug)]
/// How an SBOM is written.
pub struct Options {
    /// The specification version.
    pub spec: SpecVersion,
    /// The encoding.
    pub encoding: Encoding,
    /// Describe only this workspace member and what it depends on.
    pub package: Option<String>,
    /// Keep dev-only dependencies (with scope `excluded`, like build-only ones).
    pub dev_deps: bool,
    /// A built artifact the SBOM describes: its hashes go on the root component.
    pub artifact: Option<PathBuf>,
    /// `SOURCE_DATE_EPOCH`: the metadata timestamp (none when unset).
    pub timestamp: Option<i64>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            spec: SpecVersion::V1_5,
            encoding: Encoding::Json,
            package: None,
            dev_deps: true,
            artifact: None,
            timestamp: None,
        }
    }
}

/// One component, independent of where the data came from (a cargo graph
/// or the dependency list `cargo auditable` embeds in a binary).
#[derive(Clone, Debug, Default)]
pub struct Item {
    /// The crate's name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// Where it comes from (registry, git, path), if known.
    pub source: Option<Source>,
    /// The SHA-256 of its `.crate` file (from `Cargo.lock`), hex.
    pub sha256: Option<String>,
    /// Its declared SPDX licence expression.
    pub license: Option<String>,
    /// Its authors.
    pub authors: Vec<String>,
    /// Its description.
    pub description: Option<String>,
    /// Its repository URL.
    pub repository: Option<String>,
    /// Its homepage URL.
    pub homepage: Option<String>,
    /// Its documentation URL.
    pub documentation: Option<String>,
    /// The features enabled on it.
    pub features: Vec<String>,
    /// Needed at run time (`required`) or only to build/test (`excluded`).
    pub runtime: bool,
}

/// What an SBOM describes: a root, components, and who depends on whom
/// (indices into `items`; the root is `items[root]`).
#[derive(Clone, Debug, Default)]
pub struct Inventory {
    /// Every component, the root included.
    pub items: Vec<Item>,
    /// Index of the root in `items`.
    pub root: usize,
    /// Dependency edges as (dependent, dependency) indices into `items`.
    pub edges: BTreeSet<(usize, usize)>,
}

impl Inventory {
    /// The inventory of a cargo graph (the member `options` names, or the whole workspace).
    pub fn from_graph(graph: &Graph, options: &Options) -> Result<Inventory, Error> {
        let members = graph.roots();
        let roots: Vec<usize> = match &options.package {
            Some(name) => {
                let found = members
                    .iter()
                    .copied()
                    .find(|i| graph.packages[*i].name == *name);
                let Some(found) = found else {
                    let names: Vec<&str> = members
                        .iter()
                        .map(|i| graph.packages[*i].name.as_str())
                        .collect();
                    return Err(Error::Config(format!(
                        "-p {name}: not a workspace member (members: {})",
                        names.join(", ")
                    )));
                };
                vec![found]
            }
            None => members.clone(),
        };
        // Packages reachable from the roots; normal edges decide the scope.
        let mut keep = vec![false; graph.packages.len()];
        let mut runtime = vec![false; graph.packages.len()];
        let mut stack = roots.clone();
        for r in &roots {
            keep[*r] = true;
            runtime[*r] = true;
        }
        while let Some(at) = stack.pop() {
            for e in graph.edges.iter().filter(|e| e.from == at) {
                if !keep[e.to] {
                    keep[e.to] = true;
                    stack.push(e.to);
                }
            }
        }
        let mut stack = roots.clone();
        while let Some(at) = stack.pop() {
            for e in graph
                .edges
                .iter()
                .filter(|e| e.from == at && e.kinds.iter().any(|k| k.kind == DepKind::Normal))
            {
                if !runtime[e.to] {
                    runtime[e.to] = true;
                    stack.push(e.to);
                }
            }
        }
        // Without dev dependencies, keep what normal or build edges reach.
        let mut non_dev = vec![false; graph.packages.len()];
        for r in &roots {
            non_dev[*r] = true;
        }
        let mut stack = roots.clone();
        while let Some(at) = stack.pop() {
            for e in graph
                .edges
                .iter()
                .filter(|e| e.from == at && e.kinds.iter().any(|k| k.kind != DepKind::Dev))
            {
                if !non_dev[e.to] {
                    non_dev[e.to] = true;
                    stack.push(e.to);
                }
            }
        }
        let included: Vec<usize> = (0..graph.packages.len())
            .filter(|i| keep[*i] && (options.dev_deps || non_dev[*i]))
            .collect();
        let position: BTreeMap<usize, usize> = included
            .iter()
            .enumerate()
            .map(|(pos, i)| (*i, pos))
            .collect();
        let mut items: Vec<Item> = included
            .iter()
            .map(|i| {
                let p = &graph.packages[*i];
                Item {
                    name: p.name.clone(),
                    version: p.version.to_string(),
                    source: Some(p.source.clone()),
                    sha256: p.checksum.clone(),
                    license: p.license.clone(),
                    authors: p.authors.clone(),
                    description: p.description.clone(),
                    repository: p.repository.clone(),
                    homepage: p.homepage.clone(),
                    documentation: p.documentation.clone(),
                    features: p.features.clone(),
                    runtime: runtime[*i],
                }
            })
            .collect();
        let mut edges: BTreeSet<(usize, usize)> = graph
            .edges
            .iter()
            .filter_map(|e| Some((*position.get(&e.from)?, *position.get(&e.to)?)))
            .collect();
        let root = if roots.len() == 1 {
            position.get(&roots[0]).copied().unwrap_or(0)
        } else {
            // A workspace: a synthetic root that depends on every member.
            let name = graph
                .lockfile_path
                .parent()
                .and_then(|d| d.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "workspace".into());
            items.push(Item {
                name,
                version: "0.0.0".into(),
                source: Some(Source::Path),
                runtime: true,
                ..Item::default()
            });
            let root = items.len() - 1;
            for r in &roots {
                if let Some(pos) = position.get(r) {
                    edges.insert((root, *pos));
                }
            }
            root
        };
        Ok(Inventory { items, root, edges })
    }
}

/// `pkg:cargo/name@version` with qualifiers for git and alternate registries.
pub fn purl(item: &Item) -> String {
    let mut purl = format!("pkg:cargo/{}@{}", encode(&item.name), encode(&item.version));
    match &item.source {
        Some(Source::Git { url, commit, .. }) => {
            let vcs = match commit {
                Some(c) => format!("git+{url}@{c}"),
                None => format!("git+{url}"),
            };
            purl.push_str(&format!("?vcs_url={}", encode(&vcs)));
        }
        Some(s @ Source::Registry { url }) if !s.is_crates_io() => {
            purl.push_str(&format!("?repository_url={}", encode(url)))
        }
        _ => {}
    }
    purl
}

/// Percent-encoding for purl segments and qualifier values.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub(crate) fn source_label(source: &Option<Source>) -> String {
    match source {
        Some(s) if s.is_crates_io() => "crates.io".into(),
        Some(Source::Registry { url }) => format!("registry+{url}"),
        Some(Source::Git { url, .. }) => format!("git+{url}"),
        Some(Source::Path) => "path".into(),
        None => "unknown".into(),
    }
}

/// An SPDX expression from cargo's `license` field (which also allows the
/// legacy `MIT/Apache-2.0` form), as CycloneDX `licenses`.
fn licenses(raw: &str) -> Value {
    // Cargo allows `MIT/Apache-2.0`; SPDX spells it `MIT OR Apache-2.0`.
    let normalised = raw
        .split('/')
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" OR ");
    match spdx::Expression::parse(&normalised) {
        Ok(_) => json!([{ "expression": normalised }]),
        Err(_) => json!([{ "license": { "name": raw } }]),
    }
}

fn is_uri(text: &str) -> bool {
    text.starts_with("https://") || text.starts_with("http://")
}

fn component(
    item: &Item,
    bom_ref: &str,
    kind: &str,
    artifact: Option<&(String, String, String)>,
) -> Value {
    let mut c = Map::new();
    c.insert("type".into(), json!(kind));
    c.insert("bom-ref".into(), json!(bom_ref));
    if !item.authors.is_empty() {
        c.insert("author".into(), json!(item.authors.join(", ")));
    }
    c.insert("name".into(), json!(item.name));
    c.insert("version".into(), json!(item.version));
    if let Some(d) = &item.description {
        c.insert(
            "description".into(),
            json!(d.split_whitespace().collect::<Vec<_>>().join(" ")),
        );
    }
    c.insert(
        "scope".into(),
        json!(if item.runtime { "required" } else { "excluded" }),
    );
    let mut hashes = Vec::new();
    if let Some((_, sha256, sha512)) = artifact {
        hashes.push(json!({"alg": "SHA-256", "content": sha256}));
        hashes.push(json!({"alg": "SHA-512", "content": sha512}));
    } else if let Some(sha256) = &item.sha256 {
        hashes.push(json!({"alg": "SHA-256", "content": sha256}));
    }
    if !hashes.is_empty() {
        c.insert("hashes".into(), json!(hashes));
    }
    if let Some(license) = &item.license {
        c.insert("licenses".into(), licenses(license));
    }
    c.insert("purl".into(), json!(purl(item)));
    let mut refs = Vec::new();
    for (kind, url) in [
        ("vcs", &item.repository),
        ("documentation", &item.documentation),
        ("website", &item.homepage),
    ] {
        if let Some(url) = url.as_deref().filter(|u| is_uri(u)) {
            refs.push(json!({"type": kind, "url": url}));
        }
    }
    if !refs.is_empty() {
        c.insert("externalReferences".into(), json!(refs));
    }
    let mut props =
        vec![json!({"name": "tollgate:cargo:source", "value": source_label(&item.source)})];
    props.extend(
        item.features
            .iter()
            .map(|f| json!({"name": "tollgate:cargo:feature", "value": f})),
    );
    if let Some((name, _, _)) = artifact {
        props.push(json!({"name": "tollgate:artifact", "value": name}));
    }
    c.insert("properties".into(), json!(props));
    Value::Object(c)
}

fn rfc3339_date(date: &str) -> String {
    format!("{date}T00:00:00Z")
}

/// The `vulnerabilities` section, with VEX analysis from reachability.
fn vulnerabilities(findings: &[Finding], refs: &BTreeMap<(String, String), String>) -> Vec<Value> {
    let mut out = Vec::new();
    for f in findings.iter().filter(|f| f.id.starts_with("RUSTSEC-")) {
        let Some(target) = refs.get(&(f.package.clone(), f.version.clone())) else {
            continue;
        };
        let mut v = Map::new();
        v.insert(
            "bom-ref".into(),
            json!(format!("{}:{}@{}", f.id, f.package, f.version)),
        );
        v.insert("id".into(), json!(f.id));
        v.insert("source".into(), json!({"name": "RustSec", "url": format!("https://rustsec.org/advisories/{}.html", f.id)}));
        if !f.aliases.is_empty() {
            let references: Vec<Value> = f
                .aliases
                .iter()
                .map(|a| {
                    let source = if a.starts_with("CVE-") { json!({"name": "NVD", "url": format!("https://nvd.nist.gov/vuln/detail/{a}")}) } else { json!({"name": "GitHub", "url": format!("https://github.com/advisories/{a}")}) };
                    json!({"id": a, "source": source})
                })
                .collect();
            v.insert("references".into(), json!(references));
        }
        if let (Some(score), Some(severity), Some(vector)) = (f.score, f.severity, &f.cvss) {
            let method = if vector.starts_with("CVSS:4") {
                "CVSSv4"
            } else if vector.starts_with("CVSS:3.1") {
                "CVSSv31"
            } else {
                "CVSSv3"
            };
            v.insert("ratings".into(), json!([{"source": {"name": "RustSec"}, "score": score, "severity": severity, "method": method, "vector": vector}]));
        }
        v.insert("description".into(), json!(f.title));
        if let Some(url) = &f.url {
            v.insert("advisories".into(), json!([{"url": url}]));
        }
        if !f.date.is_empty() {
            v.insert("published".into(), json!(rfc3339_date(&f.date)));
        }
        let analysis = match &f.reachability {
            Reachability::Reachable { call_sites } => {
                let sites: Vec<String> = call_sites
                    .iter()
                    .map(|s| format!("{}:{}", s.file, s.line))
                    .collect();
                json!({"state": "exploitable", "detail": format!("affected function called at {}", sites.join(", "))})
            }
            Reachability::NotReachable => {
                json!({"state": "not_affected", "justification": "code_not_reachable", "detail": "no call to an affected function in the workspace"})
            }
            Reachability::Unknown { reason, .. } => json!({"state": "in_triage", "detail": reason}),
        };
        v.insert("analysis".into(), analysis);
        v.insert(
            "affects".into(),
            json!([{"ref": target, "versions": [{"version": f.version, "status": "affected"}]}]),
        );
        out.push(Value::Object(v));
    }
    out
}

/// Hash an artifact: (file name, SHA-256, SHA-512).
pub fn hash_artifact(path: &Path) -> Result<(String, String, String), Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok((
        name,
        hex::encode(Sha256::digest(&bytes)),
        hex::encode(Sha512::digest(&bytes)),
    ))
}

/// Build the document (1.5-shaped JSON, without serial number).
pub fn document(
    inventory: &Inventory,
    options: &Options,
    findings: Option<&[Finding]>,
) -> Result<Value, Error> {
    let artifact = match &options.artifact {
        Some(path) => Some(hash_artifact(path)?),
        None => None,
    };
    // Stable, unique bom-refs: the purl, numbered when two items share one.
    let mut refs: Vec<String> = Vec::with_capacity(inventory.items.len());
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for item in &inventory.items {
        let base = purl(item);
        let n = seen.entry(base.clone()).or_default();
        *n += 1;
        refs.push(if *n == 1 { base } else { format!("{base}#{n}") });
    }
    let root_kind = if artifact.is_some() {
        "application"
    } else {
        "library"
    };
    let root = component(
        &inventory.items[inventory.root],
        &refs[inventory.root],
        root_kind,
        artifact.as_ref(),
    );
    let mut order: Vec<usize> = (0..inventory.items.len())
        .filter(|i| *i != inventory.root)
        .collect();
    order.sort_by(|a, b| refs[*a].cmp(&refs[*b]));
    let components: Vec<Value> = order
        .iter()
        .map(|i| component(&inventory.items[*i], &refs[*i], "library", None))
        .collect();
    let mut depends: BTreeMap<&str, BTreeSet<&str>> = (0..inventory.items.len())
        .map(|i| (refs[i].as_str(), BTreeSet::new()))
        .collect();
    for (from, to) in &inventory.edges {
        if let Some(set) = depends.get_mut(refs[*from].as_str()) {
            set.insert(refs[*to].as_str());
        }
    }
    let dependencies: Vec<Value> = depends
        .iter()
        .map(|(r, deps)| json!({"ref": r, "dependsOn": deps}))
        .collect();

    let mut metadata = Map::new();
    if let Some(ts) = options.timestamp {
        metadata.insert("timestamp".into(), json!(crate::report::rfc3339(ts)));
    }
    metadata.insert(
        "tools".into(),
        json!({"components": [{"type": "application", "author": "Tollgate", "name": "tollgate", "version": env!("CARGO_PKG_VERSION"), "externalReferences": [{"type": "vcs", "url": "https://github.com/tollgate-dev/tollgate"}]}]}),
    );
    metadata.insert("component".into(), root);

    let mut doc = Map::new();
    doc.insert("bomFormat".into(), json!("CycloneDX"));
    doc.insert("specVersion".into(), json!("1.5"));
    doc.insert("version".into(), json!(1));
    doc.insert("metadata".into(), Value::Object(metadata));
    doc.insert("components".into(), json!(components));
    doc.insert("dependencies".into(), json!(dependencies));
    if let Some(findings) = findings {
        let by_pkg: BTreeMap<(String, String), String> = inventory
            .items
            .iter()
            .zip(&refs)
            .map(|(i, r)| ((i.name.clone(), i.version.clone()), r.clone()))
            .collect();
        let vulns = vulnerabilities(findings, &by_pkg);
        if !vulns.is_empty() {
            doc.insert("vulnerabilities".into(), json!(vulns));
        }
    }
    Ok(Value::Object(doc))
}

fn render(doc: &Value, options: &Options) -> Result<Vec<u8>, Error> {
    let model_err =
        |message: String| Error::Sbom(format!("cyclonedx-bom rejected the document: {message}"));
    match (options.spec, options.encoding) {
        (SpecVersion::V1_5, encoding) => {
            let bom = cyclonedx_bom::models::bom::Bom::parse_from_json_v1_5(
                serde_json::to_vec(doc)
                    .map_err(|e| model_err(e.to_string()))?
                    .as_slice(),
            )
            .map_err(|e| model_err(e.to_string()))?;
            let mut out = Vec::new();
            match encoding {
                Encoding::Json => bom
                    .output_as_json_v1_5(&mut out)
                    .map_err(|e| model_err(e.to_string()))?,
                Encoding::Xml => bom
                    .output_as_xml_v1_5(&mut out)
                    .map_err(|e| model_err(e.to_string()))?,
            }
            out.push(b'\n');
            Ok(out)
        }
        (SpecVersion::V1_6, Encoding::Json) => {
            let mut doc = doc.clone();
            if let Some(obj) = doc.as_object_mut() {
                obj.insert("specVersion".into(), json!("1.6"));
                obj.insert(
                    "$schema".into(),
                    json!("http://cyclonedx.org/schema/bom-1.6.schema.json"),
                );
            }
            let mut out =
                serde_json::to_vec_pretty(&doc).map_err(|e| Error::Sbom(e.to_string()))?;
            out.push(b'\n');
            Ok(out)
        }
        (SpecVersion::V1_6, Encoding::Xml) => Err(Error::Config(
            "CycloneDX 1.6 is written as JSON only; use --spec-version 1.5 for XML".into(),
        )),
    }
}

/// Render an SBOM: the document is rendered once without a serial number,
/// the serial is derived from those bytes, and the final document carries it.
pub fn generate(
    inventory: &Inventory,
    options: &Options,
    findings: Option<&[Finding]>,
) -> Result<Vec<u8>, Error> {
    let mut doc = document(inventory, options, findings)?;
    let unsigned = render(&doc, options)?;
    let digest = Sha256::digest(&unsigned);
    let h = hex::encode(&digest[..16]);
    // UUID layout with version 5 and the RFC 4122 variant, as the schema requires.
    let serial = format!(
        "urn:uuid:{}-{}-5{}-{:x}{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        (u8::from_str_radix(&h[16..17], 16).unwrap_or(0) & 0x3) | 0x8,
        &h[17..20],
        &h[20..32]
    );
    if let Some(obj) = doc.as_object_mut() {
        obj.insert("serialNumber".into(), json!(serial));
    }
    render(&doc, options)
}
