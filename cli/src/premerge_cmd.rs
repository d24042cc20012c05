//! `tollgate pre-merge`: what a change brings in, before it is merged.
//!
//! Compares the working tree (staged and unstaged changes included) with
//! the merge base of `--base` (default: the current branch's upstream, else
//! `main`, else `master`), the way a pull request is reviewed:
//!
//! * SAST on the changed Rust files: a finding is the change's when a line
//!   of its region or flow changed, or when a scan of the base (its tree,
//!   with the base's settings for both scans) does not have it in the same
//!   function, from the same source;
//! * dependency changes from the two `Cargo.lock`s: added, removed and
//!   upgraded crates, advisories affecting the new versions, new sources
//!   other than crates.io;
//! * changed paths that `tollgate.toml` marks critical (`[pre-merge]
//!   critical = ["attest/**", "Cargo.lock"]`), so a reviewer knows a
//!   security-focused review is needed.
//!
//! `tollgate hook install` runs it from git's pre-push hook.
//!
//! Exit status: 0 nothing new to report, 1 findings on changed lines or new
//! vulnerable dependencies, 2 usage or input error.

use crate::{config, output, EXIT_FINDINGS};
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use tollgate_sbom::diff;
use tollgate_sbom::graph::Graph;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// The `[pre-merge]` section of `tollgate.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreMergeConfig {
    /// Globs (repository-relative) whose changes need a security review.
    #[serde(default)]
    pub critical: Vec<String>,
}

#[derive(Args, Debug)]
#[command(
    after_help = "Exit status: 0 nothing new to report, 1 SAST findings on changed lines or new vulnerable dependencies, 2 usage or input error."
)]
pub struct PreMergeArgs {
    /// The branch, tag or commit the change will merge into (default: upstream, else main, else master).
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
    /// The repository (default: the one containing the current directory).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,
    /// Advisory database (default: $CARGO_HOME/advisory-db).
    #[arg(long, value_name = "PATH")]
    pub advisory_db: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

#[derive(Subcommand, Debug)]
pub enum HookCommand {
    /// Write `.git/hooks/pre-push` to run `tollgate pre-merge`.
    Install {
        #[arg(long, value_name = "DIR", default_value = ".")]
        repo: PathBuf,
        /// Replace a pre-push hook that tollgate did not write.
        #[arg(long)]
        force: bool,
    },
    /// Remove the hook `install` wrote (and nothing else).
    Uninstall {
        #[arg(long, value_name = "DIR", default_value = ".")]
        repo: PathBuf,
    },
}

/// Marks a hook as ours, so `uninstall` never deletes someone else's.
const HOOK_MARKER: &str = "# installed by `tollgate hook install`";

pub fn run_hook(command: HookCommand) -> Result<u8> {
    let (repo_dir, force, install) = match &command {
        HookCommand::Install { repo, force } => (repo, *force, true),
        HookCommand::Uninstall { repo } => (repo, false, false),
    };
    let repo = git2::Repository::discover(repo_dir)
        .with_context(|| format!("{}: not in a git repository", repo_dir.display()))?;
    let hooks = repo.path().join("hooks");
    let hook = hooks.join("pre-push");
    let ours = std::fs::read_to_string(&hook)
        .map(|t| t.contains(HOOK_MARKER))
        .ok();
    if install {
        if ours == Some(false) && !force {
            bail!(
                "{}: a pre-push hook already exists (use --force to replace it)",
                hook.display()
            );
        }
        std::fs::create_dir_all(&hooks)
            .with_context(|| format!("{}: cannot create", hooks.display()))?;
        let script = format!(
            "#!/bin/sh\n{HOOK_MARKER}; remove with `tollgate hook uninstall`.\nexec tollgate pre-merge\n"
        );
        output::write_atomic(&hook, script.as_bytes())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))
                .with_context(|| format!("{}: cannot make executable", hook.display()))?;
        }
        output::info!("installed {}", hook.display());
    } else {
        match ours {
            Some(true) => {
                std::fs::remove_file(&hook)
                    .with_context(|| format!("{}: cannot remove", hook.display()))?;
                output::info!("removed {}", hook.display());
            }
            Some(false) => bail!(
                "{}: this pre-push hook was not installed by tollgate; left as it is",
                hook.display()
            ),
            None => output::info!("no tollgate pre-push hook in {}", hooks.display()),
        }
    }
    Ok(0)
}

/// The changed files and, per file, the changed (new-side) line numbers.
struct Change {
    files: BTreeMap<String, BTreeSet<usize>>,
    base_label: String,
    base_tree: git2::Oid,
}

/// Which tree a finding was reported in.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Side {
    Base,
    Head,
}

/// What makes a head finding the same as a base finding: rule, file and
/// source line (normalised), and the function it is in (`function`). The
/// function makes a finding the change fixes in one handler unable to
/// stand for a textually identical one it adds in another (red team
/// rt80's "fix one, add one").
type FindingKey = (String, String, String, String);

/// Where the data of each flow to a finding comes from (file, function and
/// line; empty for a finding within one function): a head finding is the
/// base's only if every one of its sources was one of the base finding's,
/// so that a new caller of an old sink is the change's (red team rt82).
type Sources = BTreeSet<String>;

/// A file's functions (`None`: not known, see `outline::functions`).
type Outline = Option<Vec<tollgate_sast::outline::FunctionSpan>>;

/// The two trees' files, read and outlined once each (only files that
/// have findings are).
struct Places<'a> {
    base: &'a Path,
    head: &'a Path,
    files: BTreeMap<(Side, String), Option<(String, Outline)>>,
}

impl<'a> Places<'a> {
    fn new(base: &'a Path, head: &'a Path) -> Places<'a> {
        Places {
            base,
            head,
            files: BTreeMap::new(),
        }
    }

    /// The file's text and outline (`None` for an outline: it does not
    /// parse or is beyond the scan's limits); `None` when unreadable.
    fn file(&mut self, side: Side, path: &str) -> Option<&(String, Outline)> {
        let dir = match side {
            Side::Base => self.base,
            Side::Head => self.head,
        };
        self.files
            .entry((side, path.to_string()))
            .or_insert_with(|| {
                let text = std::fs::read_to_string(dir.join(path)).ok()?;
                let outline = tollgate_sast::outline::functions(&text);
                Some((text, outline))
            })
            .as_ref()
    }

    /// The function holding `line` of `path` (`""` outside any); `None`
    /// when that cannot be known. A function whose path the file gives
    /// several (two `fn h` in two blocks of one function) is also named by
    /// the text of the closest function around it that has a path of its
    /// own, or else of the whole file: a copy of it elsewhere in that text
    /// is not the same place. A file without an outline that is the same
    /// in both trees has every line in one unknown place (`"?"`): what it
    /// held before, it holds now.
    fn function(&mut self, side: Side, path: &str, line: usize) -> Option<String> {
        let (text, outline) = self.file(side, path)?;
        if let Some(spans) = outline {
            let Some(at) = tollgate_sast::outline::function_at(spans, line) else {
                return Some(String::new());
            };
            let unique = |p: &str| spans.iter().filter(|s| s.path == p).count() == 1;
            if unique(&at.path) {
                return Some(at.path.clone());
            }
            let around = spans
                .iter()
                .filter(|s| s.line <= at.line && at.end_line <= s.end_line && unique(&s.path))
                .max_by_key(|s| s.line);
            let scope = match around {
                Some(s) => text
                    .lines()
                    .skip(s.line.saturating_sub(1))
                    .take(s.end_line + 1 - s.line)
                    .collect::<Vec<_>>()
                    .join("\n"),
                None => text.clone(),
            };
            let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(scope.as_bytes()));
            return Some(format!("{}#{digest}", at.path));
        }
        let other = match side {
            Side::Base => Side::Head,
            Side::Head => Side::Base,
        };
        self.file(other, path)?;
        let text = |side| {
            self.files
                .get(&(side, path.to_string()))
                .and_then(|f| f.as_ref())
                .map(|(text, _)| text)
        };
        (text(side) == text(other)).then(|| "?".to_string())
    }

    /// Where `flow` starts (see [`Sources`]); `None` when it cannot be
    /// placed.
    fn source(
        &mut self,
        side: Side,
        f: &tollgate_sast::Finding,
        flow: &[tollgate_sast::FlowStep],
    ) -> Option<String> {
        let Some(step) = flow.first() else {
            return Some(String::new());
        };
        let path = step.path.clone().unwrap_or_else(|| f.path.clone());
        let function = self.function(side, &path, step.line)?;
        let text = self
            .file(side, &path)?
            .0
            .lines()
            .nth(step.line.saturating_sub(1))
            .unwrap_or("")
            .trim()
            .to_string();
        Some(format!("{path}\n{function}\n{text}"))
    }

    /// `f`'s key and sources; `None` when it cannot be placed.
    fn key(&mut self, side: Side, f: &tollgate_sast::Finding) -> Option<(FindingKey, Sources)> {
        let function = self.function(side, &f.path, f.line)?;
        let mut sources = Sources::new();
        for flow in std::iter::once(&f.flow).chain(&f.other_flows) {
            sources.insert(self.source(side, f, flow)?);
        }
        Some((
            (
                f.rule.to_string(),
                f.path.clone(),
                f.snippet.trim().to_string(),
                function,
            ),
            sources,
        ))
    }
}

fn base_commit<'r>(
    repo: &'r git2::Repository,
    base: Option<&str>,
) -> Result<(git2::Commit<'r>, String)> {
    let candidates: Vec<String> = match base {
        Some(b) => vec![b.to_string()],
        None => {
            let mut c = Vec::new();
            if let Ok(head) = repo.head() {
                if let Ok(name) = head.shorthand() {
                    if let Ok(branch) = repo.find_branch(name, git2::BranchType::Local) {
                        if let Ok(up) = branch.upstream() {
                            if let Ok(Some(n)) = up.name() {
                                c.push(n.to_string());
                            }
                        }
                    }
                }
            }
            c.extend(["main".into(), "master".into()]);
            c
        }
    };
    for name in &candidates {
        if let Ok(object) = repo.revparse_single(name) {
            let commit = object
                .peel_to_commit()
                .with_context(|| format!("--base {name}: not a commit"))?;
            return Ok((commit, name.clone()));
        }
    }
    bail!(
        "no base to compare with (tried {}); give --base",
        candidates.join(", ")
    )
}

fn changes(repo: &git2::Repository, base: Option<&str>) -> Result<Change> {
    let (base, label) = base_commit(repo, base)?;
    // Compare with the fork point, as a pull request does, not with the
    // base branch's newest commit.
    let fork = match repo.head().ok().and_then(|h| h.target()) {
        Some(head) => repo
            .merge_base(head, base.id())
            .ok()
            .and_then(|oid| repo.find_commit(oid).ok())
            .unwrap_or(base),
        None => base,
    };
    let tree = fork.tree()?;
    let mut options = git2::DiffOptions::new();
    options
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .context_lines(0);
    let diff = repo.diff_tree_to_workdir_with_index(Some(&tree), Some(&mut options))?;
    let mut files: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    for delta in diff.deltas() {
        if let Some(p) = delta.new_file().path().or(delta.old_file().path()) {
            files
                .entry(p.to_string_lossy().replace('\\', "/"))
                .or_default();
        }
    }
    diff.foreach(
        &mut |_, _| true,
        None,
        None,
        Some(&mut |delta, _hunk, line| {
            if let (Some(p), Some(n)) = (delta.new_file().path(), line.new_lineno()) {
                if line.origin() == '+' {
                    files
                        .entry(p.to_string_lossy().replace('\\', "/"))
                        .or_default()
                        .insert(n as usize);
                }
            }
            true
        }),
    )?;
    Ok(Change {
        files,
        base_label: format!("{label} (fork point {})", &fork.id().to_string()[..12]),
        base_tree: tree.id(),
    })
}

/// Write the base tree's files (up to the scanner's size limit) under
/// `dir`, for its own scan. Names that could leave `dir` (`..`,
/// separators) are skipped; a symbolic link is written as the text of its
/// target, never followed.
fn write_base_tree(repo: &git2::Repository, tree: git2::Oid, dir: &Path) -> Result<()> {
    let tree = repo.find_tree(tree)?;
    let mut failure: Option<anyhow::Error> = None;
    let plain =
        |part: &str| !part.is_empty() && part != "." && part != ".." && !part.contains('\\');
    tree.walk(git2::TreeWalkMode::PreOrder, |prefix, entry| {
        let Ok(name) = entry.name() else {
            return git2::TreeWalkResult::Skip;
        };
        if !plain(name)
            || name.contains('/')
            || !prefix.split('/').filter(|p| !p.is_empty()).all(plain)
        {
            return git2::TreeWalkResult::Skip;
        }
        // Every file up to the scanner's size limit: a module may live in
        // a file not ending in `.rs` (`#[path = "handlers.txt"]`,
        // `include!("handlers.in")`, red team rt80).
        if entry.kind() != Some(git2::ObjectType::Blob) {
            return git2::TreeWalkResult::Ok;
        }
        let path = dir.join(prefix).join(name);
        let written = entry
            .to_object(repo)
            .and_then(|o| o.peel_to_blob())
            .map_err(anyhow::Error::from)
            .and_then(|blob| {
                if blob.content().len() as u64 > tollgate_sast::MAX_FILE_BYTES {
                    return Ok(());
                }
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(&path, blob.content())?;
                Ok(())
            });
        match written {
            Ok(()) => git2::TreeWalkResult::Ok,
            Err(e) => {
                failure = Some(e.context(format!("base tree: {prefix}{name}")));
                git2::TreeWalkResult::Abort
            }
        }
    })
    .or_else(|e| if failure.is_some() { Ok(()) } else { Err(e) })?;
    match failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn glob_matches(pattern: &str, path: &str) -> bool {
    globset::Glob::new(pattern)
        .map(|g| g.compile_matcher().is_match(path))
        .unwrap_or(false)
}

pub fn run(args: PreMergeArgs) -> Result<u8> {
    let started = std::time::Instant::now();
    let repo = git2::Repository::discover(&args.repo)
        .with_context(|| format!("{}: not in a git repository", args.repo.display()))?;
    let root = repo
        .workdir()
        .context("a bare repository has no working tree to check")?
        .to_path_buf();
    // Its `[pre-merge] critical` globs are checked as it loads.
    let loaded = config::load(None, &root)?;
    let change = changes(&repo, args.base.as_deref())?;

    // SAST over the whole tree with the repository's own rules (excludes,
    // test code skipped), keeping the findings in changed files: naming the
    // files directly would bypass those rules.
    // Any changed file may be Rust the crate compiles (`#[path]`,
    // `include!`, a symlinked module: red team rt80).
    let touches_rust = !change.files.is_empty();
    let (mut on_changed, mut elsewhere) = (Vec::new(), Vec::new());
    if touches_rust {
        // The base's tree, scanned too: a finding the base does not have is
        // the change's wherever it is reported (a guard deleted, a
        // sanitiser swapped, a route attribute added: red team rt79). Both
        // scans run with the base's SAST settings: a change cannot turn a
        // rule off or exclude a file for its own review.
        let base_dir = tempfile::tempdir().context("temporary directory for the base tree")?;
        write_base_tree(&repo, change.base_tree, base_dir.path())?;
        // The base's own `tollgate.toml` only (not one found above the
        // temporary directory, which anyone may write); with none, the
        // head's when it lies outside the repository (not part of the
        // change), else the defaults.
        let base_file = base_dir.path().join("tollgate.toml");
        let outside = loaded.dir.as_ref().is_some_and(|d| {
            let d = std::path::absolute(d).unwrap_or_else(|_| d.clone());
            !d.starts_with(&root)
        });
        let base_config = if base_file.is_file() {
            match config::load(Some(&base_file), base_dir.path()) {
                Ok(c) => c.config.sast,
                Err(e) => {
                    eprintln!(
                        "pre-merge: the base's tollgate.toml: {e:#}; scanning with the defaults"
                    );
                    Default::default()
                }
            }
        } else if outside {
            loaded.config.sast.clone()
        } else {
            Default::default()
        };
        let base_options = tollgate_sast::Options {
            config: base_config.clone(),
            config_dir: Some(base_dir.path().to_path_buf()),
            root: base_dir.path().to_path_buf(),
            include_tests: false,
            baseline: None,
        };
        let base_report = tollgate_sast::scan(&[base_dir.path().to_path_buf()], &base_options)?;
        let mut places = Places::new(base_dir.path(), &root);
        let mut in_base: BTreeMap<FindingKey, (usize, Sources)> = BTreeMap::new();
        for f in &base_report.findings {
            if let Some((key, sources)) = places.key(Side::Base, f) {
                let entry = in_base.entry(key).or_default();
                entry.0 += 1;
                entry.1.extend(sources);
            }
        }
        let options = tollgate_sast::Options {
            config: base_config,
            config_dir: loaded.dir.clone(),
            root: root.clone(),
            include_tests: false,
            baseline: None,
        };
        let report = tollgate_sast::scan(std::slice::from_ref(&root), &options)?;
        for f in report.findings {
            // A finding the base has: same rule, file and source line, in
            // the same function, from sources the base's had (a finding
            // that cannot be placed is the change's).
            let new = match places.key(Side::Head, &f) {
                Some((key, sources)) => match in_base.get_mut(&key) {
                    Some((n, known)) if *n > 0 && sources.is_subset(known) => {
                        *n -= 1;
                        false
                    }
                    _ => true,
                },
                None => true,
            };
            let path = f.path.clone();
            let in_change = change.files.contains_key(&path)
                || f.flow.iter().any(|step| {
                    step.path
                        .as_deref()
                        .is_some_and(|p| change.files.contains_key(p))
                });
            if !in_change && !new {
                continue;
            }
            // On a changed line: any line of the finding's region (a
            // cookie builder reported from its first line, changed at its
            // `.secure(false)`), or a step of its flow (a key reported where
            // its constant is written, newly used on a changed line).
            let touched = |file: &str, line: usize| {
                change
                    .files
                    .get(file)
                    .is_some_and(|lines| lines.contains(&line))
            };
            let changed = (f.line..=f.end_line.max(f.line)).any(|l| touched(&path, l))
                || f.flow
                    .iter()
                    .any(|step| touched(step.path.as_deref().unwrap_or(&path), step.line));
            let entry = json!({
                "rule": f.rule, "severity": f.severity.as_str(), "path": path,
                "line": f.line, "message": f.message, "new_since_base": new,
            });
            if changed || new {
                on_changed.push(entry);
            } else {
                elsewhere.push(entry);
            }
        }
    }

    // Dependency changes from the two lockfiles.
    let lock = root.join("Cargo.lock");
    let mut dependencies =
        json!({"added": [], "removed": [], "changed": [], "new_sources": [], "advisories": []});
    if change.files.contains_key("Cargo.lock") && lock.is_file() {
        let old_graph = base_lock_graph(&repo, change.base_tree)?;
        // Licences need the packages' manifests: `cargo metadata --offline`
        // over the working tree reads them from cargo's cache. Without it
        // (a crate never downloaded here, no Cargo.toml) they stay unknown,
        // and the report says so rather than calling them fine.
        let (new_graph, licence_note) = match Graph::load(
            &root,
            &tollgate_sbom::graph::LoadOptions {
                offline: true,
                ..Default::default()
            },
        ) {
            Ok(graph) if graph.from_metadata => (graph, None),
            Ok(_) => (
                Graph::from_lockfile(&lock)?,
                Some("licences unknown: no Cargo.toml to read them through".to_string()),
            ),
            Err(e) => (
                Graph::from_lockfile(&lock)?,
                Some(format!(
                    "licences unknown: `cargo metadata --offline` failed: {}",
                    e.to_string().lines().next().unwrap_or_default()
                )),
            ),
        };
        // What changed, by the SBOM diff: one version out and one in is a
        // change, anything else is added or removed.
        let mut old = old_graph
            .as_ref()
            .map(diff::components_of)
            .unwrap_or_default();
        let mut new = diff::components_of(&new_graph);
        let key = |c: &diff::Component| (c.name.clone(), c.version.clone());
        let old_keys: BTreeSet<(String, String)> = old.iter().map(key).collect();
        let new_keys: BTreeSet<(String, String)> = new.iter().map(key).collect();
        // A lockfile graph has no licences: for the versions that came or
        // went, cargo's source cache may have them.
        for (list, other) in [(&mut old, &new_keys), (&mut new, &old_keys)] {
            for c in list.iter_mut() {
                if c.license.is_none() && !other.contains(&key(c)) {
                    c.license = tollgate_sbom::cached_license(&c.name, &c.version);
                }
            }
        }
        let d = diff::diff(&old, &new);
        let added: Vec<Value> = d
            .added
            .iter()
            .map(|c| json!(format!("{} {}", c.name, c.version)))
            .collect();
        let removed: Vec<Value> = d
            .removed
            .iter()
            .map(|c| json!(format!("{} {}", c.name, c.version)))
            .collect();
        let changed: Vec<Value> = d
            .changed
            .iter()
            .map(|c| json!({"name": c.name, "from": [c.from], "to": [c.to]}))
            .collect();
        // Sources other than crates.io (the workspace's own path packages aside).
        let new_sources: Vec<Value> = d
            .new_sources
            .iter()
            .filter(|c| c.source != "path")
            .map(|c| json!(format!("{} {} from {}", c.name, c.version, c.source)))
            .collect();
        // The versions this change introduces, and their advisories.
        let before: BTreeSet<(&str, &str, &str)> = old
            .iter()
            .map(|c| (c.name.as_str(), c.version.as_str(), c.source.as_str()))
            .collect();
        let introduced: BTreeSet<(String, String)> = new
            .iter()
            .filter(|c| !before.contains(&(c.name.as_str(), c.version.as_str(), c.source.as_str())))
            .map(key)
            .collect();
        let db_path = args
            .advisory_db
            .clone()
            .unwrap_or_else(tollgate_sbom::advisory_db::default_path);
        let db = tollgate_sbom::advisory_db::AdvisoryDb::open(&db_path)?;
        let options = tollgate_sbom::audit::Options {
            now: crate::audit_cmd::now(),
            max_db_age: std::time::Duration::MAX,
            reachability: false,
            target: None,
        };
        let report =
            tollgate_sbom::report::run(&new_graph, &db, &loaded.config.audit, &options, None)?;
        let advisories: Vec<Value> = report
            .vulnerability_list()
            .into_iter()
            .filter(|v| introduced.contains(&(v.package.clone(), v.version.clone())))
            .map(|v| json!({"id": v.id, "package": v.package, "version": v.version, "title": v.title}))
            .collect();
        // Licences of the versions this change introduces, the licence
        // policy's verdict on them, and licences that changed with a version.
        let licences: Vec<Value> = new_graph
            .packages
            .iter()
            .filter(|p| introduced.contains(&(p.name.clone(), p.version.to_string())))
            .filter_map(|p| {
                p.license
                    .as_ref()
                    .map(|l| json!({"package": format!("{} {}", p.name, p.version), "license": l}))
            })
            .collect();
        let licence_problems: Vec<Value> = if new_graph.from_metadata {
            report
                .diagnostics
                .iter()
                .filter(|d| d.code.as_str().starts_with("license"))
                .filter(|d| {
                    d.package.as_deref().is_some_and(|p| {
                        p.split_once('@')
                            .is_some_and(|(n, v)| introduced.contains(&(n.to_string(), v.to_string())))
                    })
                })
                .map(|d| json!({"code": d.code, "level": if matches!(d.level, tollgate_sbom::diag::Level::Error) { "error" } else { "warning" }, "package": d.package, "message": d.message}))
                .collect()
        } else {
            Vec::new()
        };
        // Licences that changed with a version (both known).
        let licence_changes: Vec<Value> = d
            .license_changes
            .iter()
            .filter(|c| d.changed.iter().any(|v| v.name == c.name))
            .filter_map(|c| {
                let (Some(from), Some(to)) = (&c.from, &c.to) else {
                    return None;
                };
                Some(json!({"name": c.name, "from": [from], "to": [to]}))
            })
            .collect();
        dependencies = json!({"added": added, "removed": removed, "changed": changed,
                              "new_sources": new_sources, "advisories": advisories,
                              "licenses": licences, "license_problems": licence_problems,
                              "license_changes": licence_changes, "license_note": licence_note});
    }

    let critical: Vec<&String> = change
        .files
        .keys()
        .filter(|p| {
            loaded
                .config
                .pre_merge
                .critical
                .iter()
                .any(|g| glob_matches(g, p))
        })
        .collect();
    let failing = !on_changed.is_empty()
        || dependencies["advisories"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
        || dependencies["license_problems"]
            .as_array()
            .is_some_and(|a| a.iter().any(|p| p["level"] == "error"));
    let result = json!({
        "base": change.base_label,
        "changed_files": change.files.len(),
        "sast": {"on_changed_lines": on_changed, "elsewhere_in_changed_files": elsewhere},
        "dependencies": dependencies,
        "critical_paths": critical,
        "seconds": (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
    });
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&result)? + "\n",
        Format::Text => render(&result),
    };
    output::write(None, &text)?;
    Ok(if failing { EXIT_FINDINGS } else { 0 })
}

/// The graph of the base commit's `Cargo.lock`, read from git (`None`
/// when the base has none).
fn base_lock_graph(repo: &git2::Repository, tree: git2::Oid) -> Result<Option<Graph>> {
    let tree = repo.find_tree(tree)?;
    let Ok(entry) = tree.get_path(Path::new("Cargo.lock")) else {
        return Ok(None);
    };
    let blob = repo.find_blob(entry.id())?;
    let text = String::from_utf8(blob.content().to_vec())
        .context("the base commit's Cargo.lock is not UTF-8")?;
    let graph = Graph::from_lockfile_text(Path::new("Cargo.lock (base)"), text)
        .context("the base commit's Cargo.lock")?;
    Ok(Some(graph))
}

fn render(r: &Value) -> String {
    let mut t = format!(
        "tollgate pre-merge: {} changed files against {}\n",
        r["changed_files"],
        r["base"].as_str().unwrap_or("")
    );
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let on = list(&r["sast"]["on_changed_lines"]);
    let other = list(&r["sast"]["elsewhere_in_changed_files"]);
    t.push_str(&format!(
        "\nSAST: {} on changed lines, {} elsewhere in changed files\n",
        on.len(),
        other.len()
    ));
    for (label, set) in [("changed", &on), ("existing", &other)] {
        for f in set {
            t.push_str(&format!(
                "  [{label}] {}:{}: {}[{}]: {}\n",
                f["path"].as_str().unwrap_or(""),
                f["line"],
                f["severity"].as_str().unwrap_or(""),
                f["rule"].as_str().unwrap_or(""),
                f["message"].as_str().unwrap_or("")
            ));
        }
    }
    let deps = &r["dependencies"];
    t.push_str("\nDependencies:\n");
    for (label, key) in [
        ("added", "added"),
        ("removed", "removed"),
        ("new source", "new_sources"),
    ] {
        for d in list(&deps[key]) {
            t.push_str(&format!("  {label}: {}\n", d.as_str().unwrap_or("")));
        }
    }
    for c in list(&deps["changed"]) {
        t.push_str(&format!(
            "  changed: {} {} -> {}\n",
            c["name"].as_str().unwrap_or(""),
            list(&c["from"])
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", "),
            list(&c["to"])
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for a in list(&deps["advisories"]) {
        t.push_str(&format!(
            "  ADVISORY {} in {} {}: {}\n",
            a["id"].as_str().unwrap_or(""),
            a["package"].as_str().unwrap_or(""),
            a["version"].as_str().unwrap_or(""),
            a["title"].as_str().unwrap_or("")
        ));
    }
    for l in list(&deps["licenses"]) {
        t.push_str(&format!(
            "  licence: {} is {}\n",
            l["package"].as_str().unwrap_or(""),
            l["license"].as_str().unwrap_or("")
        ));
    }
    for c in list(&deps["license_changes"]) {
        let join = |v: &Value| {
            list(v)
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        };
        t.push_str(&format!(
            "  LICENCE CHANGED: {} {} -> {}\n",
            c["name"].as_str().unwrap_or(""),
            join(&c["from"]),
            join(&c["to"])
        ));
    }
    for p in list(&deps["license_problems"]) {
        t.push_str(&format!(
            "  LICENCE {}[{}]: {}\n",
            p["level"].as_str().unwrap_or(""),
            p["code"].as_str().unwrap_or(""),
            p["message"].as_str().unwrap_or("")
        ));
    }
    if let Some(note) = deps["license_note"].as_str() {
        t.push_str(&format!("  ({note})\n"));
    }
    let critical = list(&r["critical_paths"]);
    if !critical.is_empty() {
        t.push_str("\nCritical paths touched (needs a security review):\n");
        for c in critical {
            t.push_str(&format!("  {}\n", c.as_str().unwrap_or("")));
        }
    }
    t.push_str(&format!("\n({} s)\n", r["seconds"]));
    t
}
