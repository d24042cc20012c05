//! A set of policies: one file, or every `*.yaml` / `*.yml` file of a
//! directory (a Kubernetes ConfigMap volume, whose files are symlinks
//! through `..data`; the volume's own `..` entries are skipped).
//! Any other entry of the directory that no policy reads (`strict.YAML`
//! is a policy file; a `trustedRoot: root.json` beside it is read; a
//! `strict.json` or `README` is neither) fails the load: a file that is
//! not read could be a policy not enforced.
//!
//! Semantics are sigstore policy-controller's:
//! * a policy *covers* a namespace when its `scope.namespaces` is empty or
//!   lists it (`tollgate verify` has no namespace: every policy covers);
//! * a policy *matches* an image when it covers the namespace and one of its
//!   `scope.images` globs matches the normalised reference (no globs: every
//!   image); globs are normalised too (see [`crate::reference`]);
//! * an image must satisfy **every** matching policy;
//! * an image that no policy matches, in a namespace some policy covers, is
//!   denied, unless every covering policy says `noMatch: allow` (admitted)
//!   or `warn` (admitted with a warning); the strictest answer wins;
//! * in a namespace no policy covers, nothing is checked.
//!
//! A set is loaded whole or not at all: one invalid file fails the load,
//! so a reload can keep the previous set.

use crate::policy::{NoMatch, Policy, Problem};
use crate::reference::{ImageRef, ScopeGlob, ScopeSet, Spellings};
use sha2::Digest;
use std::path::{Path, PathBuf};

/// Why a policy file or directory cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum PolicySetError {
    /// A file or directory that cannot be read.
    #[error("{path}: {message}")]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A policy file with problems.
    #[error("{path}: invalid policy:\n  {}", problems.iter().map(|p| format!("{}:{p}", path.display())).collect::<Vec<_>>().join("\n  "), path = path.display())]
    Invalid {
        /// The policy file.
        path: PathBuf,
        /// Every problem, each at its line.
        problems: Vec<Problem>,
    },
    /// An entry of a policy directory that is not a policy file.
    #[error("{path}: not a policy file (*.yaml, *.yml) and read by no policy: a policy directory holds nothing else (but Kubernetes' `..` entries), so that no policy is left unread", path = path.display())]
    NotAPolicyFile {
        /// The entry.
        path: PathBuf,
    },
    /// A directory with no policy files.
    #[error("{path}: no policy files (*.yaml, *.yml) in the directory", path = path.display())]
    Empty {
        /// The directory.
        path: PathBuf,
    },
    /// Two policies of one name.
    #[error("{first} and {second}: two policies are named `{name}`", first = first.display(), second = second.display())]
    DuplicateName {
        /// The name.
        name: String,
        /// The first file that uses it.
        first: PathBuf,
        /// The second.
        second: PathBuf,
    },
}

impl PolicySetError {
    fn io(path: &Path, e: impl std::fmt::Display) -> PolicySetError {
        PolicySetError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }
}

/// One loaded policy with its compiled scope.
#[derive(Debug)]
pub struct Entry {
    /// The policy file.
    pub path: PathBuf,
    /// The policy.
    pub policy: Policy,
    /// Its image scope, glob by glob.
    pub globs: Vec<ScopeGlob>,
    /// Its image scope, as one matcher.
    pub scope: ScopeSet,
    /// SHA-256 of this policy's file (decisions are cached per policy text).
    pub hash: String,
}

impl Entry {
    /// Does the policy cover the namespace (all, when it lists none)?
    pub fn covers(&self, namespace: Option<&str>) -> bool {
        match namespace {
            None => true,
            Some(ns) => {
                self.policy.scope.namespaces.is_empty()
                    || self.policy.scope.namespaces.iter().any(|n| n == ns)
            }
        }
    }

    /// Does the policy's image scope match (all images, when it lists
    /// none)? `spellings`: the image's ([`ImageRef::spellings`]).
    pub fn matches_image(&self, image: &ImageRef, spellings: &Spellings) -> bool {
        self.scope.matches(image, spellings)
    }
}

#[derive(Debug)]
/// Every policy of a file or directory, checked and compiled.
pub struct PolicySet {
    /// The file or directory loaded.
    pub source: PathBuf,
    /// The policies, sorted by file name.
    pub entries: Vec<Entry>,
    /// SHA-256 over every file name and text, in order.
    pub hash: String,
}

/// Which policies apply to an image.
#[derive(Debug)]
pub enum Selection<'a> {
    /// No policy covers the namespace: nothing to check.
    NotCovered,
    /// Every one of these must admit the image.
    Policies(Vec<&'a Entry>),
    /// Covered, but no image scope matches: what the covering policies say.
    NoMatch {
        /// The strictest outcome the covering policies ask for.
        outcome: NoMatch,
        /// The names of the covering policies.
        covering: Vec<String>,
    },
}

fn load_file(path: &Path) -> Result<Entry, PolicySetError> {
    let text = std::fs::read_to_string(path).map_err(|e| PolicySetError::io(path, e))?;
    let invalid = |problems| PolicySetError::Invalid {
        path: path.to_path_buf(),
        problems,
    };
    let mut policy = Policy::parse(&text).map_err(invalid)?;
    let base = path.parent().unwrap_or(Path::new("."));
    policy.anchor_files(base).map_err(invalid)?;
    let globs = policy
        .scope
        .images
        .iter()
        .map(|g| ScopeGlob::new(g))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            invalid(vec![Problem {
                line: 1,
                message: e.to_string(),
            }])
        })?;
    let scope = ScopeSet::new(&globs).map_err(|e| {
        invalid(vec![Problem {
            line: 1,
            message: e.to_string(),
        }])
    })?;
    // The hash covers the files the policy reads too: a changed trusted
    // root is a new policy (a new generation, cached decisions dropped).
    let mut hasher = sha2::Sha256::new();
    hasher.update(text.as_bytes());
    for f in policy.referenced_files() {
        let bytes = std::fs::read(&f).map_err(|e| PolicySetError::io(&f, e))?;
        hasher.update([0]);
        hasher.update(f.to_string_lossy().as_bytes());
        hasher.update([0]);
        hasher.update(sha2::Sha256::digest(&bytes));
    }
    Ok(Entry {
        path: path.to_path_buf(),
        policy,
        globs,
        scope,
        hash: hex::encode(hasher.finalize()),
    })
}

/// The policy files of a directory, sorted by name: regular files (or
/// symlinks to them) ending in `.yaml` or `.yml` (in any case); entries
/// starting with `..` skipped.
pub fn policy_files(dir: &Path) -> Result<Vec<PathBuf>, PolicySetError> {
    Ok(entries_of(dir)?.0)
}

/// Most scope globs all the policies of a set list together.
pub const MAX_SET_GLOBS: usize = 1024;

/// An entry Kubernetes' atomic writer makes in a ConfigMap or Secret
/// volume: `..data` (the symlink to the current files), `..data_tmp`
/// (while it is swapped) and the timestamped directories
/// (`..2026_11_29_05_37_34.1234567890`, Go's `os.MkdirTemp` of
/// `..2006_01_02_15_04_05.`).
fn is_volume_entry(path: &Path, name: &str) -> bool {
    // `..data` and `..data_tmp` are symlinks, the timestamped entries
    // directories (red team rt72: a regular file `..data`, or a real
    // directory of that name, was skipped).
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return false;
    };
    if name == "..data" || name == "..data_tmp" {
        return meta.file_type().is_symlink();
    }
    if !meta.is_dir() {
        return false;
    }
    let Some(rest) = name.strip_prefix("..") else {
        return false;
    };
    let Some((stamp, random)) = rest.split_once('.') else {
        return false;
    };
    let parts: Vec<&str> = stamp.split('_').collect();
    let shaped = parts.len() == 6
        && parts[0].len() == 4
        && parts[1..].iter().all(|p| p.len() == 2)
        && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()))
        && !random.is_empty()
        && random.bytes().all(|b| b.is_ascii_digit());
    if !shaped {
        return false;
    }
    let n = |i: usize| parts[i].parse::<u8>().unwrap_or(u8::MAX);
    // A time that was (red team rt73: `..2025_02_29_..` passed a
    // day-of-month check), in a directory the kubelet writes: with its
    // `..data` link beside it.
    let year = parts[0].parse::<i32>().unwrap_or(0);
    let date = time::Month::try_from(n(1))
        .ok()
        .and_then(|m| time::Date::from_calendar_date(year, m, n(2)).ok());
    let real = (1970..=9999).contains(&year)
        && date.is_some()
        && time::Time::from_hms(n(3), n(4), n(5)).is_ok();
    let linked = path
        .parent()
        .and_then(|dir| std::fs::symlink_metadata(dir.join("..data")).ok())
        .is_some_and(|m| m.file_type().is_symlink());
    real && linked
}

/// A directory's policy files, and its other entries (Kubernetes' volume
/// entries apart).
fn entries_of(dir: &Path) -> Result<(Vec<PathBuf>, Vec<PathBuf>), PolicySetError> {
    let mut files = Vec::new();
    let mut others = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| PolicySetError::io(dir, e))? {
        let entry = entry.map_err(|e| PolicySetError::io(dir, e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // Kubernetes' own entries of a ConfigMap volume (`..data`,
        // `..2026_11_29_..`); a key may start with one `.`, and is read
        // like any other entry, as is any other name starting with `..`
        // (red team rt71: `..b.yaml` was skipped in silence).
        if is_volume_entry(&entry.path(), &name) {
            continue;
        }
        let path = entry.path();
        let lower = name.to_ascii_lowercase();
        // Follows symlinks (ConfigMap volumes): a dangling link is an error.
        let meta = std::fs::metadata(&path).map_err(|e| PolicySetError::io(&path, e))?;
        if meta.is_file() && (lower.ends_with(".yaml") || lower.ends_with(".yml")) {
            files.push(path);
        } else {
            others.push(path);
        }
    }
    files.sort();
    others.sort();
    check_volume_data(dir)?;
    Ok((files, others))
}

/// A ConfigMap volume's current data (`..data`, skipped with the other
/// kubelet entries) must be what the directory's own entries show: the
/// link names a timestamped directory beside it, and each of that
/// directory's entries has an entry of its name at the top (the
/// kubelet's `name -> ..data/name` link), which is read or refused like
/// any other. Red team rt74: a policy placed in the current data with no
/// link, or a `..data` pointing elsewhere, was skipped in silence. (Older
/// timestamped directories are earlier generations, which the kubelet
/// removes after a swap.)
fn check_volume_data(dir: &Path) -> Result<(), PolicySetError> {
    let link = dir.join("..data");
    let Ok(meta) = std::fs::symlink_metadata(&link) else {
        return Ok(());
    };
    if !meta.file_type().is_symlink() {
        // Not skipped either: reported as an entry no policy reads.
        return Ok(());
    }
    let unread = || PolicySetError::NotAPolicyFile { path: link.clone() };
    let target = std::fs::read_link(&link).map_err(|e| PolicySetError::io(&link, e))?;
    let name = match target.to_str() {
        Some(n) if !n.contains('/') && n.starts_with("..") => n.to_string(),
        _ => return Err(unread()),
    };
    let data = dir.join(&name);
    if !is_volume_entry(&data, &name) {
        return Err(unread());
    }
    for entry in std::fs::read_dir(&data).map_err(|e| PolicySetError::io(&data, e))? {
        let entry = entry.map_err(|e| PolicySetError::io(&data, e))?;
        let top = dir.join(entry.file_name());
        if std::fs::symlink_metadata(&top).is_err() {
            return Err(PolicySetError::NotAPolicyFile { path: entry.path() });
        }
    }
    Ok(())
}

impl PolicySet {
    /// Load a policy file, or every policy file of a directory.
    pub fn load(path: &Path) -> Result<PolicySet, PolicySetError> {
        let meta = std::fs::metadata(path).map_err(|e| PolicySetError::io(path, e))?;
        let (files, others) = if meta.is_dir() {
            let (files, others) = entries_of(path)?;
            if files.is_empty() {
                return Err(PolicySetError::Empty {
                    path: path.to_path_buf(),
                });
            }
            (files, others)
        } else {
            (vec![path.to_path_buf()], Vec::new())
        };
        let mut entries: Vec<Entry> = Vec::new();
        let mut hasher = sha2::Sha256::new();
        let mut globs = 0usize;
        for f in files {
            let entry = load_file(&f)?;
            globs += entry.globs.len();
            if globs > MAX_SET_GLOBS {
                return Err(PolicySetError::Invalid {
                    path: f,
                    problems: vec![Problem {
                        line: 1,
                        message: format!(
                            "the policies list more than {MAX_SET_GLOBS} image scope globs together: one server holds them all in memory (red team rt73: 40 files of 256 long globs took 1.1 GB)"
                        ),
                    }],
                });
            }
            if let Some(other) = entries.iter().find(|e| e.policy.name == entry.policy.name) {
                return Err(PolicySetError::DuplicateName {
                    name: entry.policy.name.clone(),
                    first: other.path.clone(),
                    second: f,
                });
            }
            hasher.update(f.to_string_lossy().as_bytes());
            hasher.update([0]);
            hasher.update(entry.hash.as_bytes());
            entries.push(entry);
        }
        let set = PolicySet {
            source: path.to_path_buf(),
            entries,
            hash: hex::encode(hasher.finalize()),
        };
        if !others.is_empty() {
            let same = |a: &Path, b: &Path| {
                a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
            };
            let read = set.referenced_files();
            if let Some(unread) = others
                .into_iter()
                .find(|o| !read.iter().any(|r| same(o, r)))
            {
                return Err(PolicySetError::NotAPolicyFile { path: unread });
            }
        }
        Ok(set)
    }

    /// Every file the policies read besides their own texts.
    pub fn referenced_files(&self) -> Vec<PathBuf> {
        self.entries
            .iter()
            .flat_map(|e| e.policy.referenced_files())
            .collect()
    }

    /// A set of already-parsed policies (tests, embedding).
    pub fn from_policies(
        policies: Vec<(Policy, String)>,
    ) -> Result<PolicySet, crate::reference::ScopeGlobError> {
        let mut entries = Vec::new();
        let mut hasher = sha2::Sha256::new();
        for (policy, text) in policies {
            let globs = policy
                .scope
                .images
                .iter()
                .map(|g| ScopeGlob::new(g))
                .collect::<Result<Vec<_>, _>>()?;
            let scope = ScopeSet::new(&globs)?;
            let hash = hex::encode(sha2::Sha256::digest(text.as_bytes()));
            hasher.update(hash.as_bytes());
            entries.push(Entry {
                path: PathBuf::from(format!("{}.yaml", policy.name)),
                policy,
                globs,
                scope,
                hash,
            });
        }
        Ok(PolicySet {
            source: PathBuf::new(),
            entries,
            hash: hex::encode(hasher.finalize()),
        })
    }

    /// The policies' names, in order.
    pub fn names(&self) -> Vec<&str> {
        self.entries
            .iter()
            .map(|e| e.policy.name.as_str())
            .collect()
    }

    /// The policies an image must satisfy in `namespace` (`None`: any).
    pub fn select(&self, namespace: Option<&str>, image: &ImageRef) -> Selection<'_> {
        let covering: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| e.covers(namespace))
            .collect();
        if covering.is_empty() {
            return Selection::NotCovered;
        }
        // Spelt out only when some covering policy scopes images.
        let mut spellings = None;
        let matching: Vec<&Entry> = covering
            .iter()
            .copied()
            .filter(|e| {
                e.scope.is_all()
                    || e.matches_image(image, spellings.get_or_insert_with(|| image.spellings()))
            })
            .collect();
        if !matching.is_empty() {
            return Selection::Policies(matching);
        }
        // The strictest answer of the covering policies.
        let outcome = covering
            .iter()
            .map(|e| e.policy.no_match)
            .max()
            .unwrap_or_default();
        Selection::NoMatch {
            outcome,
            covering: covering.iter().map(|e| e.policy.name.clone()).collect(),
        }
    }

    /// Every policy (a file subject has no image name to scope by).
    pub fn all(&self) -> Vec<&Entry> {
        self.entries.iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "-----BEGIN PUBLIC KEY-----\n      MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEGmsWpZNuu+SUX70n3lVK4JLsaoV7\n      T+rhea2rQUu29EQiatoLB06QdsmSd+GsQGlQzfcDtsKPzb+B2zLggrWZjg==\n      -----END PUBLIC KEY-----";

    fn policy(name: &str, extra: &str) -> String {
        format!("apiVersion: tollgate.dev/v1\nkind: Policy\nname: {name}\n{extra}authorities:\n  - name: k\n    key: |\n      {KEY}\n")
    }

    fn set(policies: &[String]) -> PolicySet {
        PolicySet::from_policies(
            policies
                .iter()
                .map(|t| (Policy::parse(t).unwrap(), t.clone()))
                .collect(),
        )
        .unwrap()
    }

    fn names(s: &Selection<'_>) -> Vec<String> {
        match s {
            Selection::Policies(p) => p.iter().map(|e| e.policy.name.clone()).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn spelling_never_escapes_a_scope() {
        let s = set(&[policy(
            "eval",
            "scope:\n  images: [\"docker.io/evalorg/*\"]\n  namespaces: [prod]\n",
        )]);
        for image in [
            "evalorg/app:v1",
            "index.docker.io/evalorg/app:v1",
            "docker.io/evalorg/app:v1",
        ] {
            let r = ImageRef::parse(image).unwrap();
            assert_eq!(names(&s.select(Some("prod"), &r)), ["eval"], "{image}");
        }
        // Covered namespace, image outside every scope: deny by default.
        let other = ImageRef::parse("ghcr.io/x/y:1").unwrap();
        match s.select(Some("prod"), &other) {
            Selection::NoMatch { outcome, covering } => {
                assert_eq!(outcome, NoMatch::Deny);
                assert_eq!(covering, ["eval"]);
            }
            s => panic!("{s:?}"),
        }
        assert!(matches!(
            s.select(Some("dev"), &other),
            Selection::NotCovered
        ));
    }

    #[test]
    fn every_matching_policy_applies_and_the_strictest_no_match_wins() {
        let s = set(&[
            policy("all", "noMatch: allow\n"),
            policy(
                "team",
                "noMatch: warn\nscope:\n  images: [\"ghcr.io/team/*\"]\n",
            ),
        ]);
        let team = ImageRef::parse("ghcr.io/team/app:1").unwrap();
        assert_eq!(names(&s.select(Some("x"), &team)), ["all", "team"]);
        let s = set(&[
            policy("a", "noMatch: allow\nscope:\n  images: [\"ghcr.io/a/*\"]\n"),
            policy("b", "noMatch: warn\nscope:\n  images: [\"ghcr.io/b/*\"]\n"),
        ]);
        match s.select(None, &team) {
            Selection::NoMatch { outcome, .. } => assert_eq!(outcome, NoMatch::Warn),
            s => panic!("{s:?}"),
        }
    }

    /// Red team: editing a policy's trusted root (revoking a CA) changed
    /// nothing the reload noticed, so cached admits outlived it.
    #[test]
    fn a_changed_trusted_root_is_a_new_policy() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/sigstore/trusted_root.public-good.json");
        let text = std::fs::read_to_string(&root)
            .unwrap_or_else(|e| panic!("{}: {e} (required from ../shared)", root.display()));
        std::fs::write(d.join("root.json"), &text).unwrap();
        std::fs::write(
            d.join("p.yaml"),
            "apiVersion: tollgate.dev/v1\nkind: Policy\nname: p\nauthorities:\n  - name: ci\n    keyless:\n      issuer: https://token.actions.githubusercontent.com\n      subject: https://github.com/org/app/.github/workflows/release.yml@refs/heads/main\n      trustedRoot: root.json\n",
        )
        .unwrap();
        let before = PolicySet::load(d).unwrap();
        assert_eq!(before.referenced_files(), vec![d.join("root.json")]);
        assert_eq!(PolicySet::load(d).unwrap().hash, before.hash);
        // The same root, re-serialised: other bytes, so another policy.
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        std::fs::write(d.join("root.json"), serde_json::to_string(&v).unwrap()).unwrap();
        assert_ne!(PolicySet::load(d).unwrap().hash, before.hash);
    }

    #[test]
    fn directories_load_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        assert!(matches!(
            PolicySet::load(d),
            Err(PolicySetError::Empty { .. })
        ));
        std::fs::write(d.join("a.yaml"), policy("a", "")).unwrap();
        std::fs::write(d.join("b.yml"), policy("b", "")).unwrap();
        // Red team rt55: a policy file not read is a policy not enforced.
        std::fs::write(d.join("README.md"), "not a policy").unwrap();
        let e = PolicySet::load(d).unwrap_err().to_string();
        assert!(e.contains("README.md: not a policy file"), "{e}");
        std::fs::remove_file(d.join("README.md")).unwrap();
        std::fs::write(d.join("c.YAML"), "kind: [").unwrap();
        let e = PolicySet::load(d).unwrap_err().to_string();
        assert!(e.contains("c.YAML"), "{e}");
        std::fs::remove_file(d.join("c.YAML")).unwrap();
        // Red team rt56: a ConfigMap key may start with one `.`.
        std::fs::write(d.join(".c.yaml"), "kind: [").unwrap();
        let e = PolicySet::load(d).unwrap_err().to_string();
        assert!(e.contains(".c.yaml"), "{e}");
        std::fs::remove_file(d.join(".c.yaml")).unwrap();
        // Red team rt71: only Kubernetes' own `..` names are skipped.
        std::fs::write(d.join("..b.yaml"), policy("z", "")).unwrap();
        assert_eq!(PolicySet::load(d).unwrap().names(), ["z", "a", "b"]);
        std::fs::remove_file(d.join("..b.yaml")).unwrap();
        for name in [
            "..x",
            "..data2",
            "..2026_11_29_05_37_34.x",
            "..2024_99_99_99_99_99.1",
            // Red team rt73: a date that never was, and one with no
            // `..data` beside it.
            "..2025_02_29_06_49_30.1",
            "..2026_04_31_06_49_30.1",
            "..2026_11_29_06_49_60.1",
            "..0000_01_01_00_00_00.1",
            "..2026_11_29_05_37_34.1234567890",
            // Red team rt72: the kubelet's `..data` is a symlink.
            "..data",
        ] {
            std::fs::create_dir(d.join(name)).unwrap();
            let e = PolicySet::load(d).unwrap_err().to_string();
            assert!(e.contains(name), "{name}: {e}");
            std::fs::remove_dir(d.join(name)).unwrap();
        }
        // A timestamped entry is a directory.
        std::fs::write(d.join("..2024_05_06_07_08_09.123456789"), "kind: [").unwrap();
        let e = PolicySet::load(d).unwrap_err().to_string();
        assert!(e.contains("..2024_05_06_07_08_09.123456789"), "{e}");
        std::fs::remove_file(d.join("..2024_05_06_07_08_09.123456789")).unwrap();
        std::fs::create_dir(d.join("..2026_11_29_05_37_34.1234567890")).unwrap();
        std::fs::write(
            d.join("..2026_11_29_05_37_34.1234567890/c.yaml"),
            "garbage: [",
        )
        .unwrap();
        std::os::unix::fs::symlink("..2026_11_29_05_37_34.1234567890", d.join("..data")).unwrap();
        // Red team rt74: the current data's files all have a link at the
        // top, and `..data` names a timestamped directory beside it.
        let e = PolicySet::load(d).unwrap_err().to_string();
        assert!(e.contains("c.yaml"), "{e}");
        std::fs::remove_file(d.join("..2026_11_29_05_37_34.1234567890/c.yaml")).unwrap();
        std::fs::remove_file(d.join("..data")).unwrap();
        for target in ["/tmp", "..nowhere", "..2026_11_29_05_37_35.1"] {
            std::os::unix::fs::symlink(target, d.join("..data")).unwrap();
            let e = PolicySet::load(d).unwrap_err().to_string();
            assert!(e.contains("..data"), "{target}: {e}");
            std::fs::remove_file(d.join("..data")).unwrap();
        }
        std::os::unix::fs::symlink("..2026_11_29_05_37_34.1234567890", d.join("..data")).unwrap();
        let s = PolicySet::load(d).unwrap();
        assert_eq!(s.names(), ["a", "b"]);
        let before = s.hash.clone();
        std::fs::write(d.join("c.yaml"), "kind: [").unwrap();
        let e = PolicySet::load(d).unwrap_err().to_string();
        assert!(e.contains("c.yaml"), "{e}");
        std::fs::write(d.join("c.yaml"), policy("a", "")).unwrap();
        let e = PolicySet::load(d).unwrap_err().to_string();
        assert!(e.contains("two policies are named `a`"), "{e}");
        std::fs::remove_file(d.join("c.yaml")).unwrap();
        assert_eq!(PolicySet::load(d).unwrap().hash, before);
        // Red team rt73: the globs of all the files together are bounded.
        let many = tempfile::tempdir().unwrap();
        for i in 0..5 {
            let globs: Vec<String> = (0..256)
                .map(|g| format!("\"ghcr.io/f{i}/g{g}*\""))
                .collect();
            std::fs::write(
                many.path().join(format!("p{i}.yaml")),
                policy(
                    &format!("p{i}"),
                    &format!("scope:\n  images: [{}]\n", globs.join(", ")),
                ),
            )
            .unwrap();
        }
        let e = PolicySet::load(many.path()).unwrap_err().to_string();
        assert!(e.contains("more than 1024"), "{e}");
        std::fs::remove_file(many.path().join("p4.yaml")).unwrap();
        assert!(PolicySet::load(many.path()).is_ok());
        // One file works as before.
        assert_eq!(PolicySet::load(&d.join("a.yaml")).unwrap().names(), ["a"]);
    }
}
