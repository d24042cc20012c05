//! The dependency graph, built once per run and shared by every check (the
//! advisory audit, the policy checks, the SBOM, the pre-merge diff).
//!
//! From a manifest it runs `cargo metadata --locked` (licences, features,
//! dependency kinds, target-specific edges, workspace members) and reads
//! checksums from `Cargo.lock`; from a bare `Cargo.lock` (a lockfile checked
//! out from history, say) it uses the lockfile alone, where every edge is
//! taken as a normal dependency.

use crate::Error;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};

/// Where a package comes from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Source {
    /// A registry index (`registry+URL` or `sparse+URL`).
    Registry {
        /// The index URL.
        url: String,
    },
    /// A git repository, with the branch/tag/rev asked for and the commit locked.
    Git {
        /// The repository URL.
        url: String,
        /// The branch, tag or rev asked for, if any.
        reference: Option<String>,
        /// The commit `Cargo.lock` pins.
        commit: Option<String>,
    },
    /// A local path (workspace members and path dependencies).
    Path,
}

/// The crates.io git index URL.
pub const CRATES_IO_INDEX: &str = "https://github.com/rust-lang/crates.io-index";
/// The crates.io sparse index URL.
pub const CRATES_IO_SPARSE: &str = "https://index.crates.io/";

impl Source {
    /// Parse cargo's source id representation (`registry+https://...`,
    /// `sparse+https://...`, `git+https://host/repo?branch=x#commit`, `path+file://...`).
    pub fn parse(repr: &str) -> Source {
        if let Some(url) = repr
            .strip_prefix("registry+")
            .or_else(|| repr.strip_prefix("sparse+"))
        {
            return Source::Registry {
                url: url.to_string(),
            };
        }
        if let Some(rest) = repr.strip_prefix("git+") {
            let (rest, commit) = match rest.split_once('#') {
                Some((r, c)) => (r, Some(c.to_string())),
                None => (rest, None),
            };
            let (url, reference) = match rest.split_once('?') {
                Some((u, q)) => (u, Some(q.to_string())),
                None => (rest, None),
            };
            return Source::Git {
                url: url.to_string(),
                reference,
                commit,
            };
        }
        Source::Path
    }

    /// Is this crates.io (either index protocol)?
    pub fn is_crates_io(&self) -> bool {
        matches!(self, Source::Registry { url } if url == CRATES_IO_INDEX || url == CRATES_IO_SPARSE)
    }

    /// The index or repository URL, if any.
    pub fn url(&self) -> Option<&str> {
        match self {
            Source::Registry { url } | Source::Git { url, .. } => Some(url),
            Source::Path => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
/// The kind of a dependency.
pub enum DepKind {
    /// A normal dependency.
    Normal,
    /// A dev-dependency.
    Dev,
    /// A build-dependency.
    Build,
}

/// One edge kind: the dependency kind and, for target-specific
/// dependencies, the `cfg(..)` or triple it applies to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct EdgeKind {
    /// Normal, dev or build.
    pub kind: DepKind,
    /// The `cfg(..)` or target triple, for target-specific dependencies.
    pub target: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
/// One package of the graph.
pub struct Package {
    /// The crate's name.
    pub name: String,
    /// Its version.
    pub version: semver::Version,
    /// Where it comes from.
    pub source: Source,
    /// SHA-256 of the `.crate` file, from `Cargo.lock`.
    pub checksum: Option<String>,
    /// SPDX expression from the manifest (not available from a bare lockfile).
    pub license: Option<String>,
    /// Its licence file, when it names one instead of an expression.
    pub license_file: Option<String>,
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
    /// Features enabled in this resolve.
    pub features: Vec<String>,
    /// Is it a member of the workspace?
    pub workspace_member: bool,
    /// Directory of the package's manifest (workspace members only).
    #[serde(skip)]
    pub manifest_dir: Option<PathBuf>,
}

impl Package {
    /// `name@version`.
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

#[derive(Clone, Debug, Serialize)]
/// A dependency edge.
pub struct Edge {
    /// Index of the dependent package.
    pub from: usize,
    /// Index of the dependency.
    pub to: usize,
    /// Every kind the dependency is declared with.
    pub kinds: Vec<EdgeKind>,
}

/// How to build the graph.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Keep only dependencies that apply to this target triple.
    pub target: Option<String>,
    /// Pass `--offline` to cargo.
    pub offline: bool,
    /// Features to activate (`cargo metadata --features`), as cargo reads them.
    pub features: Vec<String>,
    /// `--all-features`.
    pub all_features: bool,
    /// `--no-default-features`.
    pub no_default_features: bool,
}

impl LoadOptions {
    /// Were features asked for? They need a `Cargo.toml` to apply to.
    pub fn selects_features(&self) -> bool {
        !self.features.is_empty() || self.all_features || self.no_default_features
    }
}

#[derive(Debug)]
/// The dependency graph, built once per run and shared by every check.
pub struct Graph {
    /// Sorted by name, version, source.
    pub packages: Vec<Package>,
    /// Dependency edges (indices into `packages`).
    pub edges: Vec<Edge>,
    /// The parsed `Cargo.lock`.
    pub lockfile: rustsec::Lockfile,
    /// Where the lockfile is.
    pub lockfile_path: PathBuf,
    lockfile_text: String,
    /// The graph came from `cargo metadata` (licences, kinds and features known).
    pub from_metadata: bool,
}

impl Graph {
    /// Load from a directory (with `Cargo.toml`, or only `Cargo.lock`), a
    /// `Cargo.toml`, or a `Cargo.lock`.
    pub fn load(input: &Path, options: &LoadOptions) -> Result<Graph, Error> {
        // A bare lockfile lists every package whatever the features; asked
        // for features, it would silently describe another build.
        let lockfile_only = |path: &Path| {
            if options.selects_features() {
                return Err(Error::Config(format!(
                    "{}: --features, --all-features and --no-default-features need a Cargo.toml (a bare Cargo.lock does not say which features use what)",
                    path.display()
                )));
            }
            Self::from_lockfile(path)
        };
        if input.is_file() {
            return match input.file_name().and_then(|n| n.to_str()) {
                Some("Cargo.toml") => Self::from_manifest(input, options),
                _ => lockfile_only(input),
            };
        }
        if !input.exists() {
            return Err(Error::NotFound {
                path: input.to_path_buf(),
            });
        }
        let manifest = input.join("Cargo.toml");
        let lockfile = input.join("Cargo.lock");
        if manifest.is_file() {
            Self::from_manifest(&manifest, options)
        } else if lockfile.is_file() {
            lockfile_only(&lockfile)
        } else {
            Err(Error::NotCargoProject {
                path: input.to_path_buf(),
            })
        }
    }

    fn read_lockfile(path: &Path) -> Result<(rustsec::Lockfile, String), Error> {
        let text = Self::read_text(path)?;
        Ok((Self::parse_lockfile(path, &text)?, text))
    }

    fn read_text(path: &Path) -> Result<String, Error> {
        std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    fn parse_lockfile(path: &Path, text: &str) -> Result<rustsec::Lockfile, Error> {
        text.parse()
            .map_err(|e: rustsec::cargo_lock::Error| Error::Lockfile {
                path: path.to_path_buf(),
                message: e.to_string(),
            })
    }

    /// A bare lockfile: packages, sources, checksums and edges (all normal).
    pub fn from_lockfile(path: &Path) -> Result<Graph, Error> {
        Self::from_lockfile_text(path, Self::read_text(path)?)
    }

    /// A bare lockfile from its text (a git blob, a binary's embedded
    /// list), with no file on disk; `path` names it in messages and reports.
    pub fn from_lockfile_text(path: &Path, text: String) -> Result<Graph, Error> {
        let lockfile = Self::parse_lockfile(path, &text)?;
        let mut packages: Vec<Package> = lockfile
            .packages
            .iter()
            .map(|p| {
                let source = p
                    .source
                    .as_ref()
                    .map(|s| Source::parse(&s.to_string()))
                    .unwrap_or(Source::Path);
                Package {
                    name: p.name.as_str().to_string(),
                    version: p.version.clone(),
                    workspace_member: source == Source::Path,
                    source,
                    checksum: p.checksum.as_ref().map(|c| c.to_string()),
                    license: None,
                    license_file: None,
                    authors: Vec::new(),
                    description: None,
                    repository: None,
                    homepage: None,
                    documentation: None,
                    features: Vec::new(),
                    manifest_dir: None,
                }
            })
            .collect();
        sort_packages(&mut packages);
        let index = Index::new(&packages);
        let mut edges = Vec::new();
        for p in &lockfile.packages {
            let Some(from) = index.find(p.name.as_str(), Some(&p.version), None) else {
                continue;
            };
            for dep in &p.dependencies {
                if let Some(to) = index.find(dep.name.as_str(), Some(&dep.version), None) {
                    edges.push(Edge {
                        from,
                        to,
                        kinds: vec![EdgeKind {
                            kind: DepKind::Normal,
                            target: None,
                        }],
                    });
                }
            }
        }
        edges.sort_by_key(|e| (e.from, e.to));
        Ok(Graph {
            packages,
            edges,
            lockfile,
            lockfile_path: path.to_path_buf(),
            lockfile_text: text,
            from_metadata: false,
        })
    }

    /// A cargo project: `cargo metadata --locked` plus checksums from `Cargo.lock`.
    pub fn from_manifest(manifest: &Path, options: &LoadOptions) -> Result<Graph, Error> {
        let mut command = cargo_metadata::MetadataCommand::new();
        command.manifest_path(manifest);
        let mut extra = vec!["--locked".to_string()];
        if options.offline {
            extra.push("--offline".into());
        }
        if !options.features.is_empty() {
            extra.push("--features".into());
            extra.push(options.features.join(","));
        }
        if options.all_features {
            extra.push("--all-features".into());
        }
        if options.no_default_features {
            extra.push("--no-default-features".into());
        }
        if let Some(target) = &options.target {
            extra.push("--filter-platform".into());
            extra.push(target.clone());
        }
        command.other_options(extra);
        let metadata = command.exec().map_err(|e| Error::Metadata {
            path: manifest.to_path_buf(),
            message: metadata_error(e),
        })?;
        let lockfile_path = metadata.workspace_root.as_std_path().join("Cargo.lock");
        let (lockfile, text) = Self::read_lockfile(&lockfile_path)?;
        let checksums: HashMap<(String, String), String> = lockfile
            .packages
            .iter()
            .filter_map(|p| {
                p.checksum.as_ref().map(|c| {
                    (
                        (p.name.as_str().to_string(), p.version.to_string()),
                        c.to_string(),
                    )
                })
            })
            .collect();
        let resolve = metadata.resolve.as_ref().ok_or_else(|| Error::Metadata {
            path: manifest.to_path_buf(),
            message: "cargo metadata returned no resolve graph".into(),
        })?;
        let nodes: HashMap<&cargo_metadata::PackageId, &cargo_metadata::Node> =
            resolve.nodes.iter().map(|n| (&n.id, n)).collect();
        let members: std::collections::HashSet<&cargo_metadata::PackageId> =
            metadata.workspace_members.iter().collect();

        // Keep the packages the (possibly target-filtered) resolve reaches.
        let mut reachable: Vec<&cargo_metadata::PackageId> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut queue: VecDeque<&cargo_metadata::PackageId> =
            metadata.workspace_members.iter().collect();
        while let Some(id) = queue.pop_front() {
            if !seen.insert(id) {
                continue;
            }
            reachable.push(id);
            if let Some(node) = nodes.get(id) {
                queue.extend(node.deps.iter().map(|d| &d.pkg));
            }
        }
        let by_id: HashMap<&cargo_metadata::PackageId, &cargo_metadata::Package> =
            metadata.packages.iter().map(|p| (&p.id, p)).collect();
        let mut packages: Vec<(Package, &cargo_metadata::PackageId)> = reachable
            .iter()
            .filter_map(|id| by_id.get(id).map(|p| (*id, *p)))
            .map(|(id, p)| {
                let source = p
                    .source
                    .as_ref()
                    .map(|s| Source::parse(&s.repr))
                    .unwrap_or(Source::Path);
                let checksum = checksums
                    .get(&(p.name.to_string(), p.version.to_string()))
                    .cloned();
                let mut features: Vec<String> = nodes
                    .get(id)
                    .map(|n| n.features.iter().map(|f| f.to_string()).collect())
                    .unwrap_or_default();
                features.sort();
                let package = Package {
                    name: p.name.to_string(),
                    version: p.version.clone(),
                    source,
                    checksum,
                    license: p.license.clone(),
                    license_file: p.license_file.as_ref().map(|f| f.to_string()),
                    authors: p.authors.clone(),
                    description: p.description.clone(),
                    repository: p.repository.clone(),
                    homepage: p.homepage.clone(),
                    documentation: p.documentation.clone(),
                    features,
                    workspace_member: members.contains(id),
                    manifest_dir: p
                        .manifest_path
                        .parent()
                        .map(|d| d.as_std_path().to_path_buf()),
                };
                (package, id)
            })
            .collect();
        packages.sort_by_key(|(p, _)| package_key(p));
        let position: HashMap<&cargo_metadata::PackageId, usize> = packages
            .iter()
            .enumerate()
            .map(|(i, (_, id))| (*id, i))
            .collect();
        let mut edges = Vec::new();
        for (from_id, from) in &position {
            let Some(node) = nodes.get(from_id) else {
                continue;
            };
            for dep in &node.deps {
                let Some(to) = position.get(&dep.pkg) else {
                    continue;
                };
                let mut kinds: Vec<EdgeKind> = dep
                    .dep_kinds
                    .iter()
                    .map(|k| EdgeKind {
                        kind: match k.kind {
                            cargo_metadata::DependencyKind::Development => DepKind::Dev,
                            cargo_metadata::DependencyKind::Build => DepKind::Build,
                            _ => DepKind::Normal,
                        },
                        target: k.target.as_ref().map(|t| t.to_string()),
                    })
                    .collect();
                if kinds.is_empty() {
                    kinds.push(EdgeKind {
                        kind: DepKind::Normal,
                        target: None,
                    });
                }
                kinds.sort();
                kinds.dedup();
                edges.push(Edge {
                    from: *from,
                    to: *to,
                    kinds,
                });
            }
        }
        edges.sort_by_key(|e| (e.from, e.to));
        Ok(Graph {
            packages: packages.into_iter().map(|(p, _)| p).collect(),
            edges,
            lockfile,
            lockfile_path,
            lockfile_text: text,
            from_metadata: true,
        })
    }

    /// Indices of workspace members.
    pub fn roots(&self) -> Vec<usize> {
        (0..self.packages.len())
            .filter(|i| self.packages[*i].workspace_member)
            .collect()
    }

    /// The index of a package by name and version.
    pub fn find(&self, name: &str, version: &semver::Version) -> Option<usize> {
        self.packages
            .iter()
            .position(|p| p.name == name && &p.version == version)
    }

    /// The shortest dependency path from a workspace member to `target`,
    /// preferring normal edges: `[member, .., target]` as indices.
    pub fn path_to(&self, target: usize) -> Option<Vec<usize>> {
        let mut parent: BTreeMap<usize, usize> = BTreeMap::new();
        let mut queue: VecDeque<usize> = self.roots().into_iter().collect();
        let mut seen: std::collections::HashSet<usize> = queue.iter().copied().collect();
        let mut outgoing: Vec<Vec<(usize, bool)>> = vec![Vec::new(); self.packages.len()];
        for e in &self.edges {
            let normal = e.kinds.iter().any(|k| k.kind == DepKind::Normal);
            outgoing[e.from].push((e.to, normal));
        }
        for list in &mut outgoing {
            list.sort_by_key(|(to, normal)| (!normal, *to));
        }
        while let Some(at) = queue.pop_front() {
            if at == target {
                let mut path = vec![at];
                let mut cur = at;
                while let Some(p) = parent.get(&cur) {
                    path.push(*p);
                    cur = *p;
                }
                path.reverse();
                return Some(path);
            }
            for (next, _) in &outgoing[at] {
                if seen.insert(*next) {
                    parent.insert(*next, at);
                    queue.push_back(*next);
                }
            }
        }
        None
    }

    /// Whether a package is needed at run time: reachable from a workspace
    /// member through normal edges only (not only as a dev/build dependency).
    pub fn is_runtime(&self, target: usize) -> bool {
        if self.packages[target].workspace_member {
            return true;
        }
        let mut queue: VecDeque<usize> = self.roots().into_iter().collect();
        let mut seen: std::collections::HashSet<usize> = queue.iter().copied().collect();
        while let Some(at) = queue.pop_front() {
            for e in self
                .edges
                .iter()
                .filter(|e| e.from == at && e.kinds.iter().any(|k| k.kind == DepKind::Normal))
            {
                if e.to == target {
                    return true;
                }
                if seen.insert(e.to) {
                    queue.push_back(e.to);
                }
            }
        }
        false
    }

    /// The 1-based line of `name = "<name>"` for this package's entry in
    /// `Cargo.lock` (where SARIF results point).
    pub fn lockfile_line(&self, name: &str, version: &semver::Version) -> Option<usize> {
        let name_line = format!("name = \"{name}\"");
        let version_line = format!("version = \"{version}\"");
        let lines: Vec<&str> = self.lockfile_text.lines().collect();
        lines
            .windows(2)
            .position(|w| w[0].trim() == name_line && w[1].trim() == version_line)
            .map(|i| i + 1)
    }

    /// Directories of workspace members (for reachability analysis).
    pub fn member_dirs(&self) -> Vec<PathBuf> {
        self.packages
            .iter()
            .filter(|p| p.workspace_member)
            .filter_map(|p| p.manifest_dir.clone())
            .collect()
    }
}

fn metadata_error(e: cargo_metadata::Error) -> String {
    match e {
        cargo_metadata::Error::CargoMetadata { stderr } => stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string(),
    }
}

fn package_key(p: &Package) -> (String, semver::Version, Source) {
    (p.name.clone(), p.version.clone(), p.source.clone())
}

fn sort_packages(packages: &mut [Package]) {
    packages.sort_by_key(package_key);
}

struct Index<'a> {
    by_name: HashMap<&'a str, Vec<(usize, &'a semver::Version)>>,
}

impl<'a> Index<'a> {
    fn new(packages: &'a [Package]) -> Self {
        let mut by_name: HashMap<&str, Vec<(usize, &semver::Version)>> = HashMap::new();
        for (i, p) in packages.iter().enumerate() {
            by_name
                .entry(p.name.as_str())
                .or_default()
                .push((i, &p.version));
        }
        Index { by_name }
    }

    fn find(
        &self,
        name: &str,
        version: Option<&semver::Version>,
        _source: Option<&Source>,
    ) -> Option<usize> {
        let candidates = self.by_name.get(name)?;
        match version {
            Some(v) => candidates.iter().find(|(_, cv)| *cv == v).map(|(i, _)| *i),
            None => candidates.first().map(|(i, _)| *i),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_source_ids() {
        assert!(
            Source::parse("registry+https://github.com/rust-lang/crates.io-index").is_crates_io()
        );
        assert!(Source::parse("sparse+https://index.crates.io/").is_crates_io());
        assert_eq!(
            Source::parse("git+https://github.com/o/r?branch=main#0123abc"),
            Source::Git {
                url: "https://github.com/o/r".into(),
                reference: Some("branch=main".into()),
                commit: Some("0123abc".into())
            }
        );
        assert_eq!(Source::parse("path+file:///x"), Source::Path);
    }
}
