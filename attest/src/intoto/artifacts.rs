//! Recording materials and products as `in-toto-run` does: each path (a
//! file, or a directory walked recursively, following symlinks) relative to
//! a base directory, with slashes, normalised (no `./`), minus paths matched
//! by gitignore-style exclude patterns (default: `*.link*`, `.git`,
//! `*.pyc`, `*~`, the reference implementation's), hashed with SHA-256.
//! Optional left-stripped prefixes must keep paths unique.

use super::rules::{fnmatch, Artifacts};
use super::IntotoError;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The reference implementation's default exclude patterns.
pub const DEFAULT_EXCLUDES: [&str; 4] = ["*.link*", ".git", "*.pyc", "*~"];

/// Records artifacts (paths and SHA-256) under a base directory, as `in-toto-run` does.
pub struct Recorder {
    /// The directory paths are relative to.
    pub base: PathBuf,
    /// `fnmatch` patterns of paths to leave out.
    pub excludes: Vec<String>,
    /// Prefixes stripped from recorded paths.
    pub lstrip: Vec<String>,
}

/// `os.path.normpath` for relative POSIX paths: no `.` parts, `..` folded.
pub fn normpath(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// gitignore-style matching of a normalised relative path: a pattern with
/// no slash (other than a trailing one) matches any path component, so an
/// excluded directory excludes everything below it; a pattern with a slash
/// is anchored at the base and `*` stays within a component (`**` crosses).
pub fn excluded(patterns: &[String], path: &str) -> bool {
    patterns.iter().any(|raw| {
        let pattern = raw.trim_end_matches('/');
        if pattern.is_empty() || pattern.starts_with('#') {
            return false;
        }
        if !pattern.contains('/') {
            return path.split('/').any(|component| fnmatch(pattern, component));
        }
        let pattern = pattern.trim_start_matches('/');
        let pat: Vec<&str> = pattern.split('/').collect();
        let comps: Vec<&str> = path.split('/').collect();
        // The pattern may match the path or one of its parent directories.
        (1..=comps.len()).any(|n| components_match(&pat, &comps[..n]))
    })
}

fn components_match(pat: &[&str], comps: &[&str]) -> bool {
    match (pat.first(), comps.first()) {
        (None, None) => true,
        (Some(&"**"), _) => {
            components_match(&pat[1..], comps)
                || (!comps.is_empty() && components_match(pat, &comps[1..]))
        }
        (Some(p), Some(c)) => fnmatch(p, c) && components_match(&pat[1..], &comps[1..]),
        _ => false,
    }
}

fn hash_file(path: &Path) -> Result<BTreeMap<String, String>, IntotoError> {
    let bytes = std::fs::read(path).map_err(|source| IntotoError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(BTreeMap::from([(
        "sha256".to_string(),
        hex::encode(Sha256::digest(bytes)),
    )]))
}

impl Recorder {
    /// A recorder over `base` (default `.`); no `excludes` means the reference implementation's defaults, and overlapping `lstrip` prefixes are refused.
    pub fn new(
        base: Option<&Path>,
        excludes: &[String],
        lstrip: &[String],
    ) -> Result<Recorder, IntotoError> {
        for (i, a) in lstrip.iter().enumerate() {
            for b in lstrip.iter().skip(i + 1) {
                if a.starts_with(b.as_str()) || b.starts_with(a.as_str()) {
                    return Err(IntotoError::Spec(format!(
                        "--lstrip-paths `{a}` and `{b}`: one is a prefix of the other"
                    )));
                }
            }
        }
        Ok(Recorder {
            base: base
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from(".")),
            excludes: if excludes.is_empty() {
                DEFAULT_EXCLUDES.iter().map(|s| s.to_string()).collect()
            } else {
                excludes.to_vec()
            },
            lstrip: lstrip.to_vec(),
        })
    }

    /// Record `paths` (relative to the base). Paths that do not exist are
    /// skipped, as the reference implementation does.
    pub fn record(&self, paths: &[String]) -> Result<Artifacts, IntotoError> {
        let mut out = Artifacts::new();
        for raw in paths {
            let path = normpath(&raw.replace('\\', "/"));
            if excluded(&self.excludes, &path) {
                continue;
            }
            let full = self.base.join(&path);
            if full.is_file() {
                self.insert(&mut out, &path, &full)?;
            } else if full.is_dir() {
                self.walk(&mut out, &path, &full, 0)?;
            }
        }
        Ok(out)
    }

    fn walk(
        &self,
        out: &mut Artifacts,
        rel: &str,
        dir: &Path,
        depth: usize,
    ) -> Result<(), IntotoError> {
        // Symlinked directories are followed; a loop ends at this depth.
        if depth > 64 {
            return Err(IntotoError::Spec(format!(
                "{}: directory nesting deeper than 64 (a symlink loop?)",
                dir.display()
            )));
        }
        let mut entries: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
            .map_err(|source| IntotoError::Io {
                path: dir.to_path_buf(),
                source,
            })?
            .filter_map(Result::ok)
            .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
            .collect();
        entries.sort();
        for (name, full) in entries {
            let path = normpath(&format!("{rel}/{name}"));
            if excluded(&self.excludes, &path) {
                continue;
            }
            if full.is_dir() {
                self.walk(out, &path, &full, depth + 1)?;
            } else if full.is_file() {
                self.insert(out, &path, &full)?;
            }
            // Anything else (a broken symlink, a socket) is skipped.
        }
        Ok(())
    }

    fn insert(&self, out: &mut Artifacts, path: &str, full: &Path) -> Result<(), IntotoError> {
        let mut name = path.to_string();
        if let Some(prefix) = self.lstrip.iter().find(|p| name.starts_with(p.as_str())) {
            name = name[prefix.len()..].to_string();
            if out.contains_key(&name) {
                return Err(IntotoError::Spec(format!(
                    "--lstrip-paths `{prefix}` makes two artifacts `{name}`"
                )));
            }
        }
        out.insert(name, hash_file(full)?);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normpath_like_python() {
        assert_eq!(normpath("./src//a/../b.rs"), "src/b.rs");
        assert_eq!(normpath("."), ".");
        assert_eq!(normpath("../x"), "../x");
    }

    #[test]
    fn default_excludes() {
        let d: Vec<String> = DEFAULT_EXCLUDES.iter().map(|s| s.to_string()).collect();
        assert!(excluded(&d, "build.3458eb4b.link"));
        assert!(excluded(&d, ".git"));
        assert!(excluded(&d, ".git/HEAD"));
        assert!(excluded(&d, "a/b.pyc"));
        assert!(!excluded(&d, "src/main.rs"));
        let anchored = vec!["target/*".to_string()];
        assert!(excluded(&anchored, "target/debug"));
        assert!(excluded(&anchored, "target/debug/app"));
        assert!(!excluded(&anchored, "src/target/x"));
    }

    #[test]
    fn records_files_and_trees() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src/sub")).unwrap();
        std::fs::write(dir.path().join("src/a.rs"), "a").unwrap();
        std::fs::write(dir.path().join("src/sub/b.rs"), "b").unwrap();
        std::fs::write(dir.path().join("x.link"), "l").unwrap();
        let r = Recorder::new(Some(dir.path()), &[], &[]).unwrap();
        let all = r.record(&[".".into()]).unwrap();
        assert_eq!(all.keys().collect::<Vec<_>>(), ["src/a.rs", "src/sub/b.rs"]);
        assert_eq!(
            all["src/a.rs"]["sha256"],
            "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
        );
        let stripped = Recorder::new(Some(dir.path()), &[], &["src/".into()]).unwrap();
        assert!(stripped
            .record(&["src".into()])
            .unwrap()
            .contains_key("sub/b.rs"));
        assert!(Recorder::new(None, &[], &["a".into(), "ab".into()]).is_err());
    }
}
