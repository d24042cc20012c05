//! `tollgate-sast`: security lints for Rust source code, built on `syn`.
//!
//! This crate parses every `.rs` file under a directory (respecting
//! `.gitignore`, skipping `target/` and, by default, test code), resolves
//! `use` imports, tracks untrusted data within each function from sources
//! (command-line arguments, environment, stdin, files, HTTP requests and
//! responses) to sinks (SQL, shell, file paths, URLs, HTML, regexes, logs,
//! allocations), and checks the pattern rules listed in [`rules::RULES`]
//! (weak crypto, disabled TLS verification, secrets, `unsafe` hygiene...).
//! It reports [`Finding`]s as text, JSON or SARIF 2.1.0 ([`report`]).
//!
//! It is not a type checker: taint crosses functions through summaries
//! (within a file, then across the files of a scan, `crosscrate`), and
//! names are resolved through `use` items and a crate-wide index of
//! function names. It never touches the network and never executes the code it
//! reads.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod calls;
mod checks;
mod comments;
pub mod config;
mod context;
mod crosscrate;
mod engine;
mod imports;
pub mod limits;
mod macros;
pub mod outline;
mod patterns;
pub mod report;
pub mod rules;
pub mod suppress;
mod taint;
mod trees;

pub use config::Config;
pub use rules::Severity;
pub use suppress::Baseline;

/// The crate's hash maps: `ahash`, keyed at random per map (the default
/// SipHash cost about 6% of a registry scan; ahash's random keys keep
/// the resistance to crafted collisions that input from an attacker
/// needs).
pub(crate) type HashMap<K, V> = std::collections::HashMap<K, V, ahash::RandomState>;
/// See [`HashMap`].
pub(crate) type HashSet<K> = std::collections::HashSet<K, ahash::RandomState>;

use engine::summary::Summary;
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Files larger than this are reported as `parse-error` instead of parsed:
/// generated tables of this size are not hand-written code, and parsing
/// them costs memory proportional to their size.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// A problem that stops the scan as a whole (a single bad file does not:
/// it becomes a `parse-error` finding).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A path to scan that does not exist.
    #[error("{path}: no such file or directory")]
    NotFound {
        /// The path.
        path: PathBuf,
    },
    /// A path that cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// An `exclude` glob that does not compile.
    #[error("invalid exclude pattern `{pattern}`: {message}")]
    Exclude {
        /// The glob.
        pattern: String,
        /// Why it does not compile.
        message: String,
    },
    /// A `[sast]` setting naming an unknown rule.
    #[error("{0}")]
    Config(#[from] config::UnknownRule),
    /// A baseline file that does not parse.
    #[error("{path}: not a valid baseline: {message}")]
    Baseline {
        /// The baseline file.
        path: PathBuf,
        /// The parser's complaint.
        message: String,
    },
}

/// One reported problem.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Finding {
    /// The rule id.
    pub rule: &'static str,
    /// The severity after configuration and source locality.
    pub severity: Severity,
    /// Path relative to the scan root, `/`-separated.
    pub path: String,
    /// Start line, from 1.
    pub line: usize,
    /// Start column, from 1.
    pub column: usize,
    /// End line, from 1.
    pub end_line: usize,
    /// End column, from 1.
    pub end_column: usize,
    /// What is wrong here, in words.
    pub message: String,
    /// The source line the finding starts on, as written.
    pub snippet: String,
    /// Stable across unrelated edits: rule, path and normalised snippet,
    /// plus the occurrence number among identical ones in the file.
    pub fingerprint: String,
    #[serde(skip)]
    pub(crate) stmt_line: usize,
    /// See `engine::RawFinding::covers`.
    #[serde(skip)]
    pub(crate) covers: Option<(usize, usize)>,
    /// The source line at `covers`, as written (empty without it).
    #[serde(skip)]
    pub(crate) covered_snippet: String,
    /// See `engine::RawFinding::also`: the enabled rules, with their
    /// severities, that take this finding's place when a suppression
    /// removes its rule.
    #[serde(skip)]
    pub(crate) also: Vec<(&'static str, Severity)>,
    /// For a flow that crosses functions: each step from the source to the
    /// sink (SARIF `codeFlows`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flow: Vec<FlowStep>,
    /// The flows of the same finding (same place and rule) from other
    /// sources, which the report leaves out (one finding per place, with
    /// its most severe flow): `pre-merge` compares every source, so that
    /// a new caller of an old sink is the change's (red team rt82).
    #[serde(skip)]
    pub other_flows: Vec<Vec<FlowStep>>,
}

impl Finding {
    /// What a baseline entry matches besides rule and path: the normalised
    /// source line, and for a finding that stands for another place's
    /// (`covers`) that line too, so that a key's bytes changed where they
    /// are written make the use's finding new (red team rt45).
    pub fn baseline_text(&self) -> String {
        let line = suppress::normalise_snippet(&self.snippet);
        if self.covered_snippet.is_empty() {
            line
        } else {
            format!(
                "{line} | {}",
                suppress::normalise_snippet(&self.covered_snippet)
            )
        }
    }
}

/// One step of a [`Finding::flow`].
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct FlowStep {
    /// The step's line, from 1.
    pub line: usize,
    /// What happens at the step (source, call, sink).
    pub message: String,
    /// The file of this step when it is not the finding's (a flow across
    /// files of the crate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// Counts about one scan.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Stats {
    /// Files scanned.
    pub files: usize,
    /// Lines scanned.
    pub lines: usize,
    /// Bytes scanned.
    pub bytes: u64,
    /// Findings suppressed by `tollgate:allow` comments.
    pub suppressed_inline: usize,
    /// Findings suppressed by the baseline.
    pub suppressed_baseline: usize,
}

/// The result of a scan: findings sorted by path, line, column and rule.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// The findings not suppressed.
    pub findings: Vec<Finding>,
    /// Counts about the scan.
    pub stats: Stats,
}

impl Report {
    /// How many findings are at `severity` or above.
    pub fn count_at_least(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity >= severity)
            .count()
    }
}

/// What to scan and how.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The `[sast]` configuration.
    pub config: Config,
    /// Directory that `Config::exclude` patterns are relative to.
    pub config_dir: Option<PathBuf>,
    /// Directory finding paths are made relative to (the repository root).
    pub root: PathBuf,
    /// Also scan test code (as `Config::include_tests`).
    pub include_tests: bool,
    /// Accepted findings to leave out.
    pub baseline: Option<Baseline>,
}

/// Scan files and directories.
pub fn scan(targets: &[PathBuf], options: &Options) -> Result<Report, Error> {
    options.config.validate().map_err(Error::Config)?;
    let files = collect_files(targets, options)?;
    let include_tests = options.include_tests || options.config.include_tests;
    let rels: Vec<String> = files.iter().map(|p| relative(p, &options.root)).collect();
    // Workers with large stacks (see `limits`); if the pool cannot be
    // built, the files are analysed one by one on a large-stack thread.
    let pool = limits::pool();
    let scan_id = trees::new_scan();
    let seen = crosscrate::Seen::default();
    // The worker keeping each file's syntax tree (see `trees`).
    let mut owners: Vec<Option<usize>> = vec![None; files.len()];
    // Analyse the files at `indices`, each with the summaries it imports
    // from other files (empty on the first pass).
    // A previous analysis of a file is replayed where the new imports do
    // not change its lookups (`engine::Record`).
    let run = |indices: &[usize],
               imports: &[Vec<(String, Summary, bool)>],
               priors: Vec<Option<Prior>>,
               owners: &[Option<usize>],
               costs: &[std::time::Duration],
               keep: bool|
     -> Option<Vec<FileResult>> {
        let mut priors: Vec<std::sync::Mutex<Option<Prior>>> =
            priors.into_iter().map(std::sync::Mutex::new).collect();
        priors.resize_with(indices.len(), Default::default);
        let one = |(n, &i): (usize, &usize)| {
            let prior = priors[n].lock().ok().and_then(|mut p| p.take());
            // The first pass keeps the trees of files that call into
            // another file with summaries seen so far (the files likely
            // to be analysed again).
            let want = &|result: &FileResult| {
                keep || seen.add_and_check(i, &result.exports, &result.calls)
            };
            let started = std::time::Instant::now();
            let mut r = analyze_path(
                &files[i],
                &rels[i],
                include_tests,
                &options.config,
                imports.get(n).map(Vec::as_slice).unwrap_or(&[]),
                prior,
                pool.as_ref().map(|_| {
                    (
                        trees::Key::new(scan_id, i),
                        want as &dyn Fn(&FileResult) -> bool,
                    )
                }),
            );
            r.cost = started.elapsed();
            r
        };
        let Some(pool) = &pool else {
            return limits::on_big_stack(|| indices.iter().enumerate().map(one).collect());
        };
        if costs.is_empty() {
            // The first pass: each worker takes the next file in order.
            let taken = std::sync::atomic::AtomicUsize::new(0);
            let batches = pool.broadcast(|_| {
                let mut out = Vec::new();
                loop {
                    let n = taken.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(i) = indices.get(n) else { break };
                    out.push((n, one((n, i))));
                }
                out
            });
            let mut out: Vec<(usize, FileResult)> = batches.into_iter().flatten().collect();
            out.sort_by_key(|(n, _)| *n);
            return Some(out.into_iter().map(|(_, r)| r).collect());
        }
        // Each worker analyses the files whose tree it keeps, the longest
        // (by their last analysis) first, then the files no worker keeps;
        // one with nothing left takes the shortest file waiting for
        // the worker with the most work left (and parses it again), so
        // neither idles while the other has a queue.
        let threads = pool.current_num_threads().max(1);
        let mut queues: Vec<std::collections::VecDeque<usize>> =
            vec![Default::default(); threads + 1];
        let mut order: Vec<usize> = (0..indices.len()).collect();
        order.sort_by_key(|&n| std::cmp::Reverse(costs.get(indices[n]).copied()));
        for n in order {
            let queue = owners[indices[n]]
                .filter(|&w| w < threads)
                .unwrap_or(threads);
            queues[queue].push_back(n);
        }
        let queues = std::sync::Mutex::new(queues);
        let next = |me: usize| {
            let mut queues = queues
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(n) = queues.get_mut(me).and_then(|q| q.pop_front()) {
                return Some(n);
            }
            if let Some(n) = queues[threads].pop_front() {
                return Some(n);
            }
            let left = |q: &std::collections::VecDeque<usize>| {
                q.iter()
                    .map(|&n| costs.get(indices[n]).copied().unwrap_or_default())
                    .sum::<std::time::Duration>()
            };
            let victim = (0..threads)
                .filter(|&w| !queues[w].is_empty())
                .max_by_key(|&w| left(&queues[w]))?;
            queues[victim].pop_back()
        };
        let batches = pool.broadcast(|cx| {
            let mut out = Vec::new();
            while let Some(n) = next(cx.index()) {
                out.push((n, one((n, &indices[n]))));
            }
            out
        });
        let mut out: Vec<(usize, FileResult)> = batches.into_iter().flatten().collect();
        out.sort_by_key(|(n, _)| *n);
        Some(out.into_iter().map(|(_, r)| r).collect())
    };
    let cannot_start = || Error::Io {
        path: options.root.clone(),
        source: std::io::Error::other("cannot start an analysis thread"),
    };
    // The largest files first, so that no worker is left with a large one
    // at the end while the other idles.
    let mut all: Vec<usize> = (0..files.len()).collect();
    if let Some(pool) = &pool {
        let sizes: Vec<u64> = pool.install(|| {
            files
                .par_iter()
                .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
                .collect()
        });
        all.sort_by_key(|&i| std::cmp::Reverse(sizes[i]));
    }
    let mut per_file: Vec<FileResult> = {
        let results = run(&all, &[], Vec::new(), &owners, &[], false).ok_or_else(cannot_start)?;
        let mut by_file: Vec<Option<FileResult>> = Vec::new();
        by_file.resize_with(files.len(), || None);
        for (i, result) in all.into_iter().zip(results) {
            by_file[i] = Some(result);
        }
        by_file.into_iter().flatten().collect()
    };
    for (owner, result) in owners.iter_mut().zip(&per_file) {
        *owner = result.kept_on;
    }
    // Crate-wide summaries: re-analyse the files that call functions of
    // other files with interesting summaries, until the exports settle.
    // What the names calls use could mean, fixed from here on.
    let defs = crosscrate::Definitions::build(per_file.iter().map(|r| &r.exports));
    let mut index = crosscrate::Externals::build(
        &defs,
        per_file.iter().map(|r| (r.path.as_str(), &r.exports)),
    );
    // A file that no other file calls into only reads the others'
    // summaries, and its exports reach no other analysis: it is left out
    // of the rounds and analysed again once, after them, with the index
    // the last round used (so it ends as it would had it gone through
    // every round).
    let called =
        crosscrate::called_from_elsewhere(&defs, per_file.iter().map(|r| (&r.exports, &r.calls)));
    // Only a file calling a name that one function of the scan defines
    // can import anything.
    let may_import: Vec<bool> = per_file
        .iter()
        .map(|r| r.calls.iter().any(|call| defs.unique(call)))
        .collect();
    let mut settled = false;
    for round in 0..=crosscrate::MAX_ROUNDS {
        // The rounds analyse the files called from elsewhere; the pass
        // after them (`settled`), the others.
        let mut again = Vec::new();
        let mut imports = Vec::new();
        // The files that call into others: a later pass may analyse them
        // again, so their trees are kept.
        let mut involved = crate::HashSet::default();
        // Whether the pass after the rounds has work.
        let mut deferred = false;
        // What each file would import now, and whether its lookups would
        // all get the same answers (it would be analysed to the same
        // result: only its imports change); computed on the workers.
        let lookup = |i: usize, result: &FileResult| {
            if !may_import[i] {
                return None;
            }
            let wanted = index.for_file(&result.path, &result.calls);
            if wanted.is_empty() {
                return None;
            }
            let unchanged = wanted == result.imported;
            let same = unchanged || result.probes.same_answers(&result.imported, &wanted);
            Some((wanted, unchanged, same))
        };
        type LookedUp = Option<(Vec<(String, Summary, bool)>, bool, bool)>;
        let looked_up: Vec<LookedUp> = match &pool {
            Some(pool) => pool.install(|| {
                per_file
                    .par_iter()
                    .enumerate()
                    .map(|(i, result)| lookup(i, result))
                    .collect()
            }),
            None => per_file
                .iter()
                .enumerate()
                .map(|(i, result)| lookup(i, result))
                .collect(),
        };
        for ((i, result), looked) in per_file.iter_mut().enumerate().zip(looked_up) {
            let Some((wanted, unchanged, same)) = looked else {
                continue;
            };
            involved.insert(i);
            if unchanged {
                continue;
            }
            if called[i] == settled {
                // Left for the pass after the rounds.
                deferred |= !same;
            } else if same {
                result.imported = wanted;
            } else {
                again.push(i);
                imports.push(wanted);
            }
        }
        if again.is_empty() && (settled || !deferred) {
            break;
        }
        // Only the trees of files a pass may analyse again are needed.
        if let Some(pool) = &pool {
            let wanted: crate::HashSet<usize> = again
                .iter()
                .chain(involved.iter().filter(|_| !settled))
                .copied()
                .collect();
            // A tree is kept by the worker that analysed the file last
            // (another one's copy is stale).
            pool.broadcast(|cx| {
                trees::retain(scan_id, |i| {
                    wanted.contains(&i) && owners[i] == Some(cx.index())
                })
            });
            for (i, owner) in owners.iter_mut().enumerate() {
                if !wanted.contains(&i) {
                    *owner = None;
                }
            }
        }
        if !again.is_empty() {
            let priors = again
                .iter()
                .map(|&i| {
                    let result = &mut per_file[i];
                    let record = result.record.take()?;
                    Some((record, std::mem::take(&mut result.imported)))
                })
                .collect();
            let costs: Vec<std::time::Duration> = per_file.iter().map(|r| r.cost).collect();
            let redone =
                run(&again, &imports, priors, &owners, &costs, true).ok_or_else(cannot_start)?;
            for (i, result) in again.into_iter().zip(redone) {
                owners[i] = result.kept_on;
                per_file[i] = result;
            }
        } else if !settled {
            // Nothing left to settle.
            settled = true;
            continue;
        }
        if settled {
            break;
        }
        let next = crosscrate::Externals::build(
            &defs,
            per_file.iter().map(|r| (r.path.as_str(), &r.exports)),
        );
        // After the last round, the pass uses the index it used.
        if next == index || round + 1 == crosscrate::MAX_ROUNDS {
            settled = true;
        } else {
            index = next;
        }
    }
    if let Some(pool) = &pool {
        pool.broadcast(|_| trees::clear());
    }
    // Findings at sinks in other files go to those files.
    let mut foreign: HashMap<String, Vec<Finding>> = HashMap::default();
    for result in &mut per_file {
        for f in std::mem::take(&mut result.foreign) {
            foreign.entry(f.path.clone()).or_default().push(f);
        }
    }
    for result in &mut per_file {
        if let Some(mut extra) = foreign.remove(&result.path) {
            let source = files
                .iter()
                .zip(&rels)
                .find(|(_, rel)| **rel == result.path)
                .and_then(|(path, _)| std::fs::read_to_string(path).ok())
                .unwrap_or_default();
            let lines: Vec<&str> = source.lines().collect();
            for f in &mut extra {
                f.snippet = snippet_of(lines.get(f.line.saturating_sub(1)).copied().unwrap_or(""));
            }
            // The sink's file's own suppressions apply to findings that
            // another file's analysis reports there; one they use is no
            // longer an unused suppression.
            let mut suppressions = suppress::parse(&source, &lines);
            // Not added to the count: most are copies of findings the
            // file's own analysis already counted.
            suppress::apply(&mut extra, &mut suppressions);
            for s in &suppressions {
                for (rule, used) in s.rules.iter().zip(&s.used) {
                    if *used {
                        let message = format!("suppression of `{rule}` matches no finding");
                        result.findings.retain(|f| {
                            !(f.rule == rules::id::UNUSED_SUPPRESSION
                                && f.line == s.line
                                && f.message == message)
                        });
                    }
                }
            }
            // A source's flow into this file's sink replaces the sink's own
            // report as a public function's parameter, and a less severe
            // one (red team rt50: this file's flow from an environment
            // variable hid another file's request data at the same sink,
            // and `--fail-on critical` passed).
            let same = |g: &Finding, f: &Finding| {
                g.line == f.line && g.column == f.column && g.rule == f.rule
            };
            // Whichever of two at one place is kept keeps the other's flow.
            for f in &mut extra {
                let mut theirs = Vec::new();
                for g in result.findings.iter_mut().filter(|g| same(g, f)) {
                    g.other_flows.push(f.flow.clone());
                    theirs.push(g.flow.clone());
                }
                f.other_flows.append(&mut theirs);
            }
            result.findings.retain(|g| {
                !extra.iter().any(|f| {
                    same(g, f)
                        && (g.message.starts_with(engine::summary::PUBLIC_PARAMETER)
                            || f.severity > g.severity)
                })
            });
            extra.retain(|f| !result.findings.iter().any(|g| same(g, f)));
            extra.sort_by(|a, b| {
                (
                    a.line,
                    a.column,
                    a.rule,
                    std::cmp::Reverse(a.severity),
                    &a.message,
                )
                    .cmp(&(
                        b.line,
                        b.column,
                        b.rule,
                        std::cmp::Reverse(b.severity),
                        &b.message,
                    ))
            });
            dedup_places(&mut extra);
            result.findings.extend(extra);
            result
                .findings
                .sort_by(|a, b| (a.line, a.column, a.rule).cmp(&(b.line, b.column, b.rule)));
            assign_fingerprints(&mut result.findings);
        }
    }
    per_file.sort_by(|a, b| a.path.cmp(&b.path));

    let mut report = Report::default();
    for result in per_file {
        report.stats.files += 1;
        report.stats.lines += result.lines;
        report.stats.bytes += result.bytes;
        report.stats.suppressed_inline += result.suppressed;
        report.findings.extend(result.findings);
    }
    if let Some(baseline) = &options.baseline {
        report.stats.suppressed_baseline = baseline.apply(&mut report.findings);
    }
    Ok(report)
}

/// Analyse one in-memory source file (no suppressions, no config, every
/// rule of the `extended` suite): the findings the rules produce, for
/// tests and tools.
pub fn analyze_source(path: &str, source: &str, include_tests: bool) -> Vec<Finding> {
    let every_rule = Config {
        suite: rules::Suite::Extended,
        ..Config::default()
    };
    limits::on_big_stack(|| {
        analyze_text(
            path,
            source,
            include_tests,
            &every_rule,
            &[],
            None,
            Tree::Parse,
        )
        .0
        .findings
    })
    .unwrap_or_default()
}

/// A file that is one expression, not items: what `include!("..")` in
/// expression position reads (red team rt55 hid a command injection in
/// one). Parsed as the body of a function `included` opened on its first
/// line, so its lines keep their numbers (columns on the first line are
/// shifted by the opening). `None` when it is not one expression either.
fn included_expression(text: &str) -> Option<syn::File> {
    // rustc reads an included file with a byte-order mark (red team rt57).
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.starts_with("#!") {
        return None;
    }
    syn::parse_str::<syn::Expr>(text).ok()?;
    syn::parse_file(&format!("fn included() {{{text}\n}}")).ok()
}

pub(crate) fn relative(path: &Path, root: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let text = rel.to_string_lossy().replace('\\', "/");
    text.trim_start_matches("./").to_string()
}

/// The files a scan with these options would analyse, sorted.
pub fn collect_files(targets: &[PathBuf], options: &Options) -> Result<Vec<PathBuf>, Error> {
    let mut excludes = globset::GlobSetBuilder::new();
    for pattern in &options.config.exclude {
        let glob = globset::GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .map_err(|e| Error::Exclude {
                pattern: pattern.clone(),
                message: e.to_string(),
            })?;
        excludes.add(glob);
        // `dir/**` should also exclude `dir` itself from the walk.
        if let Some(dir) = pattern.strip_suffix("/**") {
            if let Ok(glob) = globset::Glob::new(dir) {
                excludes.add(glob);
            }
        }
    }
    let excludes = excludes.build().map_err(|e| Error::Exclude {
        pattern: String::new(),
        message: e.to_string(),
    })?;
    let exclude_base = options
        .config_dir
        .clone()
        .unwrap_or_else(|| options.root.clone());
    let is_excluded = |path: &Path| -> bool {
        let rel = path.strip_prefix(&exclude_base).unwrap_or(path);
        let rel = rel.strip_prefix("./").unwrap_or(rel);
        !rel.as_os_str().is_empty() && excludes.is_match(rel)
    };
    let include_tests = options.include_tests || options.config.include_tests;

    let mut files = Vec::new();
    for target in targets {
        let meta = std::fs::metadata(target).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::NotFound {
                path: target.clone(),
            },
            _ => Error::Io {
                path: target.clone(),
                source: e,
            },
        })?;
        if meta.is_file() {
            // An explicitly named file is scanned whatever its extension.
            files.push(target.clone());
            continue;
        }
        let walker = ignore::WalkBuilder::new(target)
            .hidden(true)
            .git_ignore(true)
            .git_global(false)
            .git_exclude(true)
            .require_git(false)
            .follow_links(false)
            .filter_entry(move |entry| {
                if entry.depth() == 0 {
                    return true;
                }
                let name = entry.file_name();
                let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                if is_dir
                    && (name == "target"
                        || (!include_tests && (name == "tests" || name == "benches")))
                {
                    return false;
                }
                true
            })
            .build();
        for entry in walker {
            let entry = entry.map_err(|e| Error::Io {
                path: target.clone(),
                source: std::io::Error::other(e.to_string()),
            })?;
            let path = entry.path();
            if is_excluded(path) {
                continue;
            }
            if entry.file_type().is_some_and(|t| t.is_file())
                && path.extension().is_some_and(|e| e == "rs")
            {
                files.push(path.to_path_buf());
            }
        }
    }
    // Files an `include!` reads: never left out as test modules. And the
    // files that compile in each file found.
    let mut included = crate::HashSet::default();
    let mut parents: Vec<(PathBuf, Vec<PathBuf>)> = Vec::new();
    for target in targets {
        if std::fs::metadata(target).is_ok_and(|m| m.is_dir()) {
            let found = compiled_in(target, &files);
            files.extend(found.files.iter().map(|(f, _)| f.clone()));
            parents.extend(found.files);
            included.extend(found.included);
        }
    }
    files.retain(|f| !is_excluded(f));
    if !include_tests {
        // Test modules, and the files found only through them.
        let mut test_modules = test_module_files(&files);
        loop {
            let before = test_modules.len();
            for (file, from) in &parents {
                if from.iter().all(|p| test_modules.contains(p)) {
                    test_modules.insert(file.clone());
                }
            }
            if test_modules.len() == before {
                break;
            }
        }
        files.retain(|f| {
            !test_modules.contains(f) || f.canonicalize().is_ok_and(|c| included.contains(&c))
        });
    }
    files.sort();
    files.dedup();
    Ok(files)
}

/// A declaration pattern, written with ` ` for optional whitespace and
/// `~` for some, as rustc's lexer reads whitespace (`\s`, and the
/// left-to-right and right-to-left marks, which are Pattern_White_Space
/// but not Unicode White_Space: red team rt58); compiled once.
fn spaced(cell: &'static Lazy, pattern: impl FnOnce() -> String) -> Option<&'static regex::Regex> {
    cell.get_or_init(|| {
        let pattern = pattern()
            .replace(' ', r"[\s\x{200E}\x{200F}]*")
            .replace('~', r"[\s\x{200E}\x{200F}]+");
        regex::Regex::new(&pattern).ok()
    })
    .as_ref()
}

/// One outer attribute, `]` inside its strings too (red team rt58:
/// `#[cfg_attr(feature = "a]", path = "real.rs")]`), for [`spaced`].
const ATTR: &str = r#"# \[(?:[^\]"]|"(?:[^"\\]|\\.)*")*\]"#;

/// What [`compiled_in`] follows, in comment-blanked text: `#[path]`,
/// the two `include!` forms and `mod x;` (capture groups 1 to 4).
fn reference_pattern() -> Option<&'static regex::Regex> {
    static REF: Lazy = std::sync::OnceLock::new();
    spaced(&REF, || {
        [
            r#"# \[ (?:cfg_attr \((?:[^\]"]|"(?:[^"\\]|\\.)*")*?, )?path = r?\#*"([^"]+)""#,
            r#"\binclude ! [(\[{] concat ! \( env ! \( "CARGO_MANIFEST_DIR" \) , r?\#*"([^"]+)""#,
            r#"\binclude ! [(\[{] r?\#*"([^"]+)""#,
            r"\bmod~(?:r\#)?([A-Za-z_][A-Za-z0-9_]*) ;",
        ]
        .join("|")
    })
}

/// Files under `target` that the scanned files compile in but the walk
/// did not collect (another extension, a hidden, ignored, `target` or
/// `tests` directory, a symbolic link): modules declared with `mod x;`,
/// or with `#[path = ".."]` (also inside `cfg_attr`), and files read by
/// `include!("..")` (also `include!(concat!(env!("CARGO_MANIFEST_DIR"),
/// ".."))`, raw strings, any delimiter). Red teams rt55 and rt57 hid a
/// command injection behind each. Followed transitively; only files
/// inside `target` (after resolving links), so a scan never reads outside
/// it; a reference in a comment is not followed (it would copy lines of a
/// hidden file into the report). What `include!` reads may be one
/// expression rather than items (spdx includes 700 licence texts as raw
/// strings): the analysis reads such a file as a function's body
/// (`included_expression`). Also returns every file an `include!` reads
/// (canonical), walked or not. Not followed: a macro that expands to
/// `include!` or a renamed `include!`, a path built otherwise, escapes in
/// the path.
fn compiled_in(target: &Path, files: &[PathBuf]) -> CompiledIn {
    use rayon::prelude::*;
    let Some(reference) = reference_pattern() else {
        return CompiledIn::default();
    };
    let walked: crate::HashSet<&Path> = files.iter().map(PathBuf::as_path).collect();
    // What a file compiles in that exists: (path, whether `include!`
    // reads it).
    let references = |file: &Path| -> Vec<(PathBuf, bool)> {
        // A file over the size limit is not analysed (a finding says so),
        // nor read for what it names (red team rt58: 4 million `mod a;`
        // took 39 s and 1 GB).
        if std::fs::metadata(file).map_or(true, |m| m.len() > MAX_FILE_BYTES) {
            return Vec::new();
        }
        let Ok(text) = std::fs::read_to_string(file) else {
            return Vec::new();
        };
        if !may_reference(&text) {
            return Vec::new();
        }
        // Comments blanked: one inside a declaration does not hide it,
        // and one that names a file names nothing.
        let text = code_only(&text);
        let captures: Vec<regex::Captures> = reference.captures_iter(&text).collect();
        if captures.is_empty() {
            return Vec::new();
        }
        let starts: Vec<usize> = captures
            .iter()
            .filter_map(|c| c.get(0).map(|m| m.start()))
            .collect();
        let places = places(&text, &starts);
        let Some(dir) = file.parent() else {
            return Vec::new();
        };
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        // Where the file's own modules live: its directory (a crate root
        // or `mod.rs`, or a file read through `#[path]`), or the
        // directory named after it.
        let bases = [dir.to_path_buf(), dir.join(stem)];
        let mut out = Vec::new();
        let mut seen: crate::HashSet<(PathBuf, bool)> = crate::HashSet::default();
        for (capture, place) in captures.iter().zip(places) {
            let enclosing = match place {
                Place::Skipped => continue,
                Place::Unknown => Vec::new(),
                Place::In(modules) => modules,
            };
            let inside = |base: &Path| {
                let mut b = base.to_path_buf();
                b.extend(&enclosing);
                b
            };
            let mut candidates = Vec::new();
            let mut reads = false;
            if let Some(rel) = capture.get(1) {
                for base in &bases {
                    candidates.push(base.join(rel.as_str()));
                    candidates.push(inside(base).join(rel.as_str()));
                }
            } else if let Some(rel) = capture.get(2) {
                reads = true;
                let manifest = dir
                    .ancestors()
                    .take(64)
                    .find(|d| d.join("Cargo.toml").is_file());
                if let Some(manifest) = manifest {
                    candidates.push(manifest.join(rel.as_str().trim_start_matches('/')));
                }
            } else if let Some(rel) = capture.get(3) {
                reads = true;
                candidates.push(dir.join(rel.as_str()));
            } else if let Some(name) = capture.get(4) {
                for base in &bases {
                    let module = inside(base).join(name.as_str());
                    candidates.push(module.with_extension("rs"));
                    candidates.push(module.join("mod.rs"));
                }
            }
            for candidate in candidates {
                if (reads || !walked.contains(candidate.as_path()))
                    && !seen.contains(&(candidate.clone(), reads))
                    && candidate.is_file()
                {
                    seen.insert((candidate.clone(), reads));
                    out.push((candidate, reads));
                }
            }
        }
        out
    };
    // Every file is read once, in parallel; most name nothing new.
    let mut queue: Vec<(PathBuf, bool, PathBuf)> = files
        .par_iter()
        .flat_map_iter(|f| {
            references(f)
                .into_iter()
                .map(move |(c, reads)| (c, reads, f.clone()))
        })
        .collect();
    if queue.is_empty() {
        return Default::default();
    }
    let Ok(root) = target.canonicalize() else {
        return Default::default();
    };
    let mut known: crate::HashSet<PathBuf> = files
        .par_iter()
        .filter_map(|f| f.canonicalize().ok())
        .collect();
    let mut out = CompiledIn::default();
    // Where each file found is in `out.files`.
    let mut at: crate::HashMap<PathBuf, usize> = crate::HashMap::default();
    // Bounded: each file inside `target` is taken once.
    while let Some((candidate, reads, parent)) = queue.pop() {
        let Ok(canon) = candidate.canonicalize() else {
            continue;
        };
        if !canon.starts_with(&root) || !canon.is_file() {
            continue;
        }
        if reads {
            out.included.insert(canon.clone());
        }
        if let Some(&i) = at.get(&canon) {
            out.files[i].1.push(parent);
            continue;
        }
        if !known.insert(canon.clone()) {
            continue;
        }
        let Ok(inside) = canon.strip_prefix(&root) else {
            continue;
        };
        let path = target.join(inside);
        queue.extend(
            references(&path)
                .into_iter()
                .map(|(c, reads)| (c, reads, path.clone())),
        );
        at.insert(canon, out.files.len());
        out.files.push((path, vec![parent]));
    }
    out
}

/// What [`compiled_in`] finds.
#[derive(Default)]
struct CompiledIn {
    /// Each file found, with the files that compile it in.
    files: Vec<(PathBuf, Vec<PathBuf>)>,
    /// Every file an `include!` reads (canonical), found or walked.
    included: crate::HashSet<PathBuf>,
}

/// A regex compiled once, on first use.
type Lazy = std::sync::OnceLock<Option<regex::Regex>>;

fn compiled(cell: &'static Lazy, pattern: &str) -> Option<&'static regex::Regex> {
    cell.get_or_init(|| regex::Regex::new(pattern).ok())
        .as_ref()
}

/// The path of a `#[path = ".."]` among a declaration's attributes (also
/// a raw string, or in `cfg_attr`; red team rt58: the first `path` in the
/// text, as in `feature = "alt_path"`, was taken for it).
fn path_attr(attrs: &str) -> Option<String> {
    static PATH: Lazy = std::sync::OnceLock::new();
    let capture = compiled(&PATH, r#"\bpath\s*=\s*r?\#*"([^"]+)""#)?.captures(attrs)?;
    capture.get(1).map(|m| m.as_str().to_string())
}

/// A module declaration (`mod x;`, raw names too) in [`code_only`] text:
/// its outer attributes (capture 1) and its name (capture 2).
fn module_declarations() -> Option<&'static regex::Regex> {
    static DECL: Lazy = std::sync::OnceLock::new();
    spaced(&DECL, || {
        format!(r"((?:{ATTR} )*)(?:\bpub (?:\([^)]*\) )?)?\bmod~(?:r#)?([A-Za-z_][A-Za-z0-9_]*) ;")
    })
}

/// Whether outer attributes make an item test code: one of them is
/// `#[cfg(test)]` or `#[cfg(all(test, ..))]` (not a string that says so:
/// red team rt58 wrote `cfg(test)` in a `#[doc]`).
fn test_only(attrs: &str) -> bool {
    static ONE: Lazy = std::sync::OnceLock::new();
    static TEST: Lazy = std::sync::OnceLock::new();
    let (Some(attr), Some(test)) = (
        spaced(&ONE, || ATTR.to_string()),
        spaced(&TEST, || {
            r"^# \[ cfg \( (?:test \)|all \( test [,)])".to_string()
        }),
    ) else {
        return false;
    };
    attr.find_iter(attrs).any(|a| test.is_match(a.as_str()))
}

/// Files that are test modules declared elsewhere: `#[cfg(test)] mod x;`
/// (or `#[cfg(all(test, ..))]`) in `dir/lib.rs` (or `main.rs`, `mod.rs`)
/// means `dir/x.rs` or `dir/x/mod.rs`; in `dir/y.rs` it means `dir/y/x.rs`
/// or `dir/y/x/mod.rs`; with `#[path = "p"]`, `dir/p` as well. Inside
/// inline modules (`mod a { mod b { #[cfg(test)] mod x; } }`) their names
/// come first: `dir/a/b/x.rs`; a declaration whose enclosing modules cannot
/// be told (an inline module with a `#[path]`, text the lexer cannot
/// follow) excludes nothing. Declarations are read from the text without
/// its comments ([`code_only`]).
fn test_module_files(files: &[PathBuf]) -> crate::HashSet<PathBuf> {
    static INNER_TEST: Lazy = std::sync::OnceLock::new();
    let (Some(any_decl), Some(inner_test_attr)) = (
        module_declarations(),
        spaced(&INNER_TEST, || r"^ # ! \[ cfg \( test \) \]".to_string()),
    ) else {
        return Default::default();
    };
    let mut out = crate::HashSet::default();
    // Files some declaration without `cfg(test)` reaches (inline modules
    // or not: more here only means more is analysed), and crate roots:
    // never left out (red team rt55: `#[cfg(test)] mod lib;` in lib.rs
    // hid lib.rs itself, and `#[cfg(test)] #[path = "real.rs"] mod t;`
    // hid a module that `mod real;` compiles).
    let mut compiled = crate::HashSet::default();
    let mut inner_test = Vec::new();
    for file in files {
        if std::fs::metadata(file).map_or(true, |m| m.len() > MAX_FILE_BYTES) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        if !text.contains("mod") && !text.contains("test") {
            continue;
        }
        let text = code_only(text.strip_prefix('\u{feff}').unwrap_or(&text));
        // A module file that is all test code (`#![cfg(test)]` first),
        // however it is declared.
        if inner_test_attr.is_match(&text) {
            inner_test.push(file.clone());
        }
        let Some(dir) = file.parent() else { continue };
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        let base = if matches!(stem, "lib" | "main" | "mod") {
            dir.to_path_buf()
        } else {
            dir.join(stem)
        };
        // Where each declaration starts and where its name is.
        let captures: Vec<regex::Captures> = any_decl.captures_iter(&text).collect();
        let starts: Vec<usize> = captures
            .iter()
            .flat_map(|c| [c.get(0), c.get(2)].map(|m| m.map_or(0, |m| m.start())))
            .collect();
        let nesting = places(&text, &starts);
        for (capture, place) in captures.iter().zip(nesting.chunks(2)) {
            let [place, name_place] = place else { continue };
            // A declaration in a string declares nothing, and attributes
            // that start in one are not the declaration's.
            if *name_place == Place::Skipped {
                continue;
            }
            let attrs = match place {
                Place::Skipped => "",
                _ => capture.get(1).map_or("", |a| a.as_str()),
            };
            let enclosing = match place {
                Place::In(modules) => Some(modules.clone()),
                Place::Unknown | Place::Skipped => None,
            };
            let path = path_attr(attrs);
            if test_only(attrs) {
                let Some(enclosing) = enclosing else { continue };
                let mut base = base.clone();
                base.extend(&enclosing);
                // `#[path = "support/x.rs"]`: relative to the declaring
                // file's directory (at the top level; inside an inline
                // module, to the module's directory).
                if let Some(path) = &path {
                    if enclosing.is_empty() {
                        out.insert(dir.join(path));
                    } else {
                        out.insert(base.join(path));
                    }
                }
                if let Some(name) = capture.get(2) {
                    out.insert(base.join(format!("{}.rs", name.as_str())));
                    out.insert(base.join(name.as_str()).join("mod.rs"));
                }
                continue;
            }
            // Every place the module could be: a file read through
            // `#[path]` or another crate root (`[lib] path`) has its
            // modules beside it, not in a directory named after it (more
            // here only means more is analysed). Inside inline modules
            // that cannot be told, every place.
            let bases: Vec<PathBuf> = match enclosing {
                Some(enclosing) => [base.clone(), dir.to_path_buf()]
                    .into_iter()
                    .map(|mut b| {
                        b.extend(&enclosing);
                        b
                    })
                    .collect(),
                None => vec![base.clone(), dir.to_path_buf()],
            };
            for b in &bases {
                if let Some(path) = &path {
                    compiled.insert(dir.join(path));
                    compiled.insert(b.join(path));
                }
                if let Some(name) = capture.get(2) {
                    compiled.insert(b.join(format!("{}.rs", name.as_str())));
                    compiled.insert(b.join(name.as_str()).join("mod.rs"));
                }
            }
        }
    }
    let root = |p: &PathBuf| {
        matches!(
            p.file_name().and_then(|n| n.to_str()),
            Some("lib.rs" | "main.rs" | "build.rs")
        ) || p
            .parent()
            .and_then(|d| d.file_name())
            .and_then(|n| n.to_str())
            == Some("bin")
    };
    out.retain(|p| !compiled.contains(p) && !root(p));
    out.extend(inner_test.into_iter().filter(|p| !root(p)));
    out
}

/// Where a position of a file's text is (see [`places`]).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Place {
    /// In code, inside these inline modules (outermost first).
    In(Vec<String>),
    /// In code, inside modules that cannot be told.
    Unknown,
    /// Inside a comment, a string or a character literal.
    Skipped,
}

/// Where each position of `at` (sorted) is: inside which inline modules
/// (`mod a { .. }`, outermost first), or in a comment or a literal. The
/// text is lexed for comments, strings and characters; an inline module
/// with an attribute naming a `path` makes everything inside it unknown.
fn places(text: &str, at: &[usize]) -> Vec<Place> {
    lex(text, at, None)
}

/// Past a literal's suffix (`"a"r`, `'a'r`, `1r`): letters, digits and
/// `_` right after it belong to it, not to the next token.
fn literal_suffix_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
        i += 1;
    }
    i
}

/// Where the comment starting at `i` ends (a line comment at its newline,
/// a block comment, nested ones included, past its `*/`), or `None` when
/// no comment starts there.
fn comment_end(b: &[u8], mut i: usize) -> Option<usize> {
    match b.get(i..)? {
        [b'/', b'/', ..] => Some(memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |n| i + n)),
        [b'/', b'*', ..] => {
            let mut depth = 0usize;
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            Some(i.min(b.len()))
        }
        _ => None,
    }
}

/// Whether, after a leading `#!`, rustc reads an inner attribute rather
/// than a shebang line: a `[` after white space (its Pattern_White_Space:
/// not U+3000) and comments.
fn attribute_follows(rest: &str) -> bool {
    let b = rest.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' => i += 1,
            b'/' if matches!(b.get(i + 1), Some(b'/' | b'*')) => {
                i = comment_end(b, i).unwrap_or(b.len())
            }
            b'[' => return true,
            _ => {
                let n = crate::limits::unicode_space_len(b, i);
                if n == 0 {
                    return false;
                }
                i += n;
            }
        }
    }
    false
}

/// Whether `text` may hold a reference that [`compiled_in`] follows: a
/// `mod` word followed by a name and `;`, a `path` followed by `=`, or an
/// `include` followed by `!`, with only whitespace and comments between
/// (comments skipped as [`code_only`] blanks them). It never says no to
/// text whose comment-blanked form the reference pattern matches, and it
/// saves that blanking (a lexer pass and a copy) on the files that declare
/// no module (most of them: `mod tests { .. }` is not a declaration).
fn may_reference(text: &str) -> bool {
    let b = text.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80;
    // Past whitespace and comments from `i`.
    let skip = |mut i: usize| -> usize {
        loop {
            match b.get(i..) {
                Some([b'/', b'/' | b'*', ..]) => i = comment_end(b, i).unwrap_or(b.len()),
                Some([c, ..]) if c.is_ascii_whitespace() || *c == 0x0b => i += 1,
                Some([c, ..]) if *c >= 0x80 => match text.get(i..).and_then(|s| s.chars().next()) {
                    Some(ch) if ch.is_whitespace() || ch == '\u{200E}' || ch == '\u{200F}' => {
                        i += ch.len_utf8()
                    }
                    _ => return i,
                },
                _ => return i,
            }
        }
    };
    let after = |word: &[u8], check: &dyn Fn(usize) -> bool| {
        memchr::memmem::find_iter(b, word).any(|at| check(skip(at + word.len())))
    };
    after(b"path", &|i| b.get(i) == Some(&b'='))
        || after(b"include", &|i| b.get(i) == Some(&b'!'))
        || after(b"mod", &|i| {
            let mut j = i;
            if b[j..].starts_with(b"r#") {
                j += 2;
            }
            let start = j;
            while j < b.len() && ident(b[j]) {
                j += 1;
            }
            j > start && b.get(skip(j)) == Some(&b';')
        })
}

/// The text with every comment (doc comments too) blanked out: each of
/// its bytes but newlines made a space, so positions and lines stay where
/// they were. Declarations are read from it (red team rt58: a comment
/// inside `pub /* */ mod real;` or a doc comment between `#[path]` and
/// `mod` hid the declaration, and with it a production module that a
/// `#[cfg(test)]` declaration of the same file then left out). Lexed as
/// [`places`] lexes.
fn code_only(text: &str) -> String {
    let mut comments = Vec::new();
    lex(text, &[text.len()], Some(&mut comments));
    if comments.is_empty() {
        return text.to_string();
    }
    let mut bytes = text.as_bytes().to_vec();
    for (from, to) in comments {
        for byte in &mut bytes[from..to.min(text.len())] {
            if *byte != b'\n' {
                *byte = b' ';
            }
        }
    }
    // Whole characters were blanked (a comment starts and ends on ASCII).
    String::from_utf8(bytes).unwrap_or_else(|_| text.to_string())
}

/// [`places`], also noting where each comment is in `comments`.
fn lex(text: &str, at: &[usize], mut comments: Option<&mut Vec<(usize, usize)>>) -> Vec<Place> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(at.len());
    let mut next = 0usize;
    // Each open brace: the module it opens (`Some(name)`), or none; and
    // whether a `#[path]` module is open around it.
    let mut stack: Vec<(Option<String>, bool)> = Vec::new();
    // The last two words of code before the current position, and whether
    // a `path` attribute came since the last item.
    let mut words: [Option<(usize, usize)>; 2] = [None, None];
    let mut path_attr = false;
    let mut i = 0usize;
    let mut lost = false;
    let snapshot = |stack: &[(Option<String>, bool)], lost: bool| -> Place {
        if lost || stack.iter().any(|(_, p)| *p) {
            return Place::Unknown;
        }
        Place::In(stack.iter().filter_map(|(m, _)| m.clone()).collect())
    };
    // Where the last comment, string or character literal started: a
    // position inside one is not a declaration (`// #[cfg(test)]` above a
    // production `mod x;`, the text of one in a string).
    let mut skipped_from = usize::MAX;
    // rustc drops a byte-order mark and a first line that starts with
    // `#!` but not `#![` (a shebang): a quote in it opens nothing (red
    // team rt36: `#!/x "` hid the `#[path] mod x;` on the next line).
    if text.starts_with('\u{feff}') {
        i = '\u{feff}'.len_utf8();
    }
    if text[i..].starts_with("#!") && !attribute_follows(&text[i + 2..]) {
        i = text[i..].find('\n').map_or(b.len(), |n| i + n);
    }
    while i < b.len() {
        while next < at.len() && at[next] <= i {
            out.push(if at[next] > skipped_from && at[next] < i {
                Place::Skipped
            } else {
                snapshot(&stack, lost)
            });
            next += 1;
        }
        skipped_from = i;
        if next == at.len() {
            break;
        }
        let c = b[i];
        match c {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let from = i;
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                if let Some(c) = comments.as_deref_mut() {
                    c.push((from, i));
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let from = i;
                let mut depth = 0usize;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                if let Some(c) = comments.as_deref_mut() {
                    c.push((from, i));
                }
                continue;
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i = literal_suffix_end(b, i + 1);
                continue;
            }
            b'\'' => {
                // A character literal ('x', '\n', '\u{..}'), or a lifetime.
                if b.get(i + 1) == Some(&b'\\') {
                    i += 3;
                    while i < b.len() && b[i] != b'\'' {
                        i += 1;
                    }
                    i = literal_suffix_end(b, i + 1);
                } else {
                    let ch = text
                        .get(i + 1..)
                        .and_then(|t| t.chars().next())
                        .map_or(1, char::len_utf8);
                    if b.get(i + 1 + ch) == Some(&b'\'') {
                        i = literal_suffix_end(b, i + 2 + ch);
                    } else {
                        // A lifetime or label: its name is part of it
                        // (`'r"` is `'r` then a string).
                        i = literal_suffix_end(b, i + 1);
                    }
                }
                continue;
            }
            b'{' => {
                let name = match words {
                    [Some(m), Some(n)] if &text[m.0..m.1] == "mod" => {
                        Some(text[n.0..n.1].to_string())
                    }
                    _ => None,
                };
                let inherited = stack.last().is_some_and(|(_, p)| *p);
                stack.push((name.clone(), inherited || (name.is_some() && path_attr)));
                words = [None, None];
                path_attr = false;
            }
            b'}' => {
                if stack.pop().is_none() {
                    lost = true;
                }
                words = [None, None];
                path_attr = false;
            }
            b';' => {
                words = [None, None];
                path_attr = false;
            }
            // A number and its suffix (`1r` is not the start of a raw
            // string: red team rt36).
            c if c.is_ascii_digit() => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                words = [None, None];
                continue;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                // The end of a longer name (`ér"`) starts no raw string.
                let in_name = start > 0 && b[start - 1] >= 0x80 && {
                    let before = text[..start].chars().next_back();
                    before.is_some_and(|ch| {
                        !(ch.is_whitespace() || ch == '\u{200E}' || ch == '\u{200F}')
                    })
                };
                // A raw string (`r"..."`, `br#"..."#`, `cr"..."`): no escapes.
                if !in_name && matches!(&text[start..i], "r" | "br" | "cr") {
                    let hashes = b[i..].iter().take_while(|&&h| h == b'#').count();
                    if b.get(i + hashes) == Some(&b'"') {
                        let mut close = vec![b'"'];
                        close.extend(std::iter::repeat_n(b'#', hashes));
                        let from = i + hashes + 1;
                        match b[from..]
                            .windows(close.len())
                            .position(|w| w == close.as_slice())
                        {
                            Some(p) => i = literal_suffix_end(b, from + p + close.len()),
                            None => {
                                lost = true;
                                i = b.len();
                            }
                        }
                        words = [None, None];
                        continue;
                    }
                }
                // A raw name (`mod r#tests { .. }`) is the name.
                if &text[start..i] == "r"
                    && b.get(i) == Some(&b'#')
                    && b.get(i + 1)
                        .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
                {
                    // The name is lexed next, as a word of its own.
                    i += 1;
                    continue;
                }
                // `#[path = ".."]` (any `path` in the item so far: an
                // inline module after it is not followed).
                if &text[start..i] == "path" {
                    path_attr = true;
                }
                words = [words[1], Some((start, i))];
                continue;
            }
            c if c.is_ascii_whitespace() => {}
            _ => {
                // rustc's other white space (U+0085, U+200E, U+200F,
                // U+2028, U+2029) separates words like a space (red team
                // rt36: `mod target\u{2028}{ mod x; }`).
                let n = crate::limits::unicode_space_len(b, i);
                if n > 0 {
                    i += n;
                    continue;
                }
                words = [None, None];
            }
        }
        i += 1;
    }
    for &p in &at[out.len()..] {
        out.push(if p > skipped_from {
            Place::Skipped
        } else {
            snapshot(&stack, lost)
        });
    }
    out
}

struct FileResult {
    path: String,
    lines: usize,
    bytes: u64,
    suppressed: usize,
    findings: Vec<Finding>,
    /// Summaries other files may call, and the names this file calls.
    exports: crosscrate::Exports,
    calls: crate::HashSet<String>,
    /// The summaries imported from other files for this analysis.
    imported: Vec<(String, Summary, bool)>,
    /// Findings at sinks in other files (reached through their functions).
    foreign: Vec<Finding>,
    /// What the analysis looked up that imports could answer.
    probes: engine::Probes,
    /// The analysis function by function, to replay (when recorded).
    record: Option<engine::Record>,
    /// The worker that keeps the file's syntax tree (`trees`).
    kept_on: Option<usize>,
    /// How long the analysis took (to schedule the next one).
    cost: std::time::Duration,
}

/// Whether to keep the syntax tree of a file just analysed (`trees`).
type WantTree<'a> = dyn Fn(&FileResult) -> bool + 'a;

/// A file's previous analysis and the imports it was made with.
type Prior = (engine::Record, Vec<(String, Summary, bool)>);

fn meta_finding(
    path: &str,
    rule: &'static str,
    line: usize,
    column: usize,
    message: String,
    snippet: &str,
) -> Finding {
    let severity = rules::find(rule)
        .map(|r| r.severity)
        .unwrap_or(Severity::Medium);
    Finding {
        rule,
        severity,
        path: path.to_string(),
        line,
        column,
        end_line: line,
        end_column: column,
        message,
        snippet: snippet_of(snippet),
        fingerprint: String::new(),
        stmt_line: line,
        covers: None,
        covered_snippet: String::new(),
        also: Vec::new(),
        flow: Vec::new(),
        other_flows: Vec::new(),
    }
}

/// Of the findings of one rule at one place (sorted, the one to keep
/// first), keep the first, with the others' flows in its `other_flows`.
fn dedup_places(findings: &mut Vec<Finding>) {
    findings.dedup_by(|later, kept| {
        let same =
            later.line == kept.line && later.column == kept.column && later.rule == kept.rule;
        if same {
            kept.other_flows.push(std::mem::take(&mut later.flow));
            kept.other_flows.append(&mut later.other_flows);
        }
        same
    });
}

/// One bug, one finding: a finding that reports again, at its use, what
/// another of this file reports where it is made (`covers`: a key's
/// literal bytes written where a `hardcoded-secret` is; a helper's
/// dangling return; a verifier accepting every certificate, installed)
/// replaces that one. Run on the findings the
/// configuration and suppressions kept, so that suppressing or disabling
/// the use's finding leaves the other (red team rt44).
fn drop_covered(findings: &mut Vec<Finding>) {
    let covered: crate::HashMap<(usize, usize), &'static str> = findings
        .iter()
        .filter_map(|f| f.covers.map(|at| (at, f.rule)))
        .collect();
    if covered.is_empty() {
        return;
    }
    findings.retain(|f| {
        let covered_by = covered.get(&(f.line, f.column)).copied();
        let secret_of_a_key = covered_by == Some(rules::id::HARDCODED_CRYPTO_KEY)
            && f.rule == rules::id::HARDCODED_SECRET;
        // A dangling helper's return, an accepting verifier's impl.
        let made_where_used = covered_by == Some(f.rule) && f.covers.is_none();
        !(secret_of_a_key || made_where_used)
    });
}

fn analyze_path(
    path: &Path,
    rel: &str,
    include_tests: bool,
    config: &Config,
    imports: &[(String, Summary, bool)],
    prior: Option<Prior>,
    keep: Option<(trees::Key, &WantTree<'_>)>,
) -> FileResult {
    // The file's key among the kept trees, and whether to keep the tree of
    // an analysis that parsed it (`trees`).
    let (keep, want_tree) = match keep {
        Some((key, want)) => (Some(key), Some(want)),
        None => (None, None),
    };
    let unreadable = |message: String, bytes: u64| FileResult {
        path: rel.to_string(),
        lines: 0,
        bytes,
        suppressed: 0,
        findings: vec![meta_finding(rel, rules::id::PARSE_ERROR, 1, 1, message, "")],
        exports: crosscrate::Exports::default(),
        calls: Default::default(),
        imported: Vec::new(),
        foreign: Vec::new(),
        probes: engine::Probes::default(),
        record: None,
        kept_on: None,
        cost: std::time::Duration::ZERO,
    };
    // A tree kept from an earlier round of this scan: analysed as is.
    if let Some(key) = keep {
        if let Some(kept) = trees::take(key) {
            let (mut result, file) = analyze_text(
                rel,
                &kept.source,
                include_tests,
                config,
                imports,
                prior,
                Tree::Kept(kept.file),
            );
            if let Some(file) = file {
                let source = kept.source;
                if trees::put(key, trees::Kept { source, file }, false) {
                    result.kept_on = rayon::current_thread_index();
                }
            }
            return result;
        }
    }
    let size = match std::fs::metadata(path) {
        Ok(meta) => meta.len(),
        Err(e) => return unreadable(format!("cannot read file: {e}"), 0),
    };
    if size > MAX_FILE_BYTES {
        return unreadable(
            format!("file is {size} bytes, over the {MAX_FILE_BYTES}-byte limit; not analysed"),
            size,
        );
    }
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => return unreadable(format!("cannot read file: {e}"), size),
    };
    // A NUL byte is valid in a comment or a string (rustc accepts it), so
    // a file with one is analysed like any other (red team rt53 hid a
    // whole file behind `// \0`): a binary file is not valid UTF-8, or
    // is not valid Rust.
    match String::from_utf8(bytes) {
        Ok(source) => {
            let tree = if keep.is_some() {
                Tree::Keep
            } else {
                Tree::Parse
            };
            let (mut result, file) =
                analyze_text(rel, &source, include_tests, config, imports, prior, tree);
            let want = want_tree.is_some_and(|want| want(&result));
            if let (Some(key), Some(file)) = (keep, file) {
                if !want {
                    drop(file);
                    trees::spans_done(source.len());
                } else if trees::put(key, trees::Kept { source, file }, true) {
                    result.kept_on = rayon::current_thread_index();
                }
            }
            result
        }
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..offset]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            let mut result = unreadable(
                format!("file is not valid UTF-8 (byte offset {offset})"),
                size,
            );
            result.findings[0].line = line;
            result.findings[0].end_line = line;
            result
        }
    }
}

/// Where `analyze_text` gets the syntax tree of a file.
enum Tree {
    /// Parse the source (and free the spans afterwards).
    Parse,
    /// Parse the source and hand the tree back when the file is parsed in
    /// one piece (to keep in `trees`).
    Keep,
    /// The tree of this source, parsed (in one piece) before.
    Kept(syn::File),
}

fn analyze_text(
    rel: &str,
    source: &str,
    include_tests: bool,
    config: &Config,
    imports: &[(String, Summary, bool)],
    prior: Option<Prior>,
    tree: Tree,
) -> (FileResult, Option<syn::File>) {
    engine::with_config(config, || {
        analyze_text_with(rel, source, include_tests, config, imports, prior, tree)
    })
}

/// [`analyze_text`], with the configuration's severities in effect.
fn analyze_text_with(
    rel: &str,
    source: &str,
    include_tests: bool,
    config: &Config,
    imports: &[(String, Summary, bool)],
    prior: Option<Prior>,
    tree: Tree,
) -> (FileResult, Option<syn::File>) {
    let lines: Vec<&str> = source.lines().collect();
    let mut result = FileResult {
        path: rel.to_string(),
        lines: lines.len(),
        bytes: source.len() as u64,
        suppressed: 0,
        findings: Vec::new(),
        exports: crosscrate::Exports::default(),
        calls: Default::default(),
        imported: imports.to_vec(),
        foreign: Vec::new(),
        probes: engine::Probes::default(),
        record: None,
        kept_on: None,
        cost: std::time::Duration::ZERO,
    };
    // Pre-scan: chunks of whole items, each with its syntax-tree depth
    // (a kept tree is of a file in one piece, within the limits).
    let (keep, kept) = match tree {
        Tree::Parse => (false, None),
        Tree::Keep => (true, None),
        Tree::Kept(file) => (true, Some(file)),
    };
    let chunks = match kept {
        Some(_) => Vec::new(),
        None => limits::prescan(source),
    };
    let mut analyzer = engine::FileAnalyzer::with_lines(rel, source, lines.clone(), include_tests);
    for (key, summary, method) in imports {
        analyzer.import_summary(key.clone(), summary.clone(), *method);
    }
    // Each parsed chunk (by index; a kept tree is chunk 0) with its tree,
    // or `None` when it is to be parsed again for the analysis.
    let mut parsed: Vec<(usize, Option<syn::File>)> = Vec::new();
    // Beside each of `parsed`: the chunk's tokens from the context pass,
    // when it is parsed again for the analysis.
    let mut lexed: Vec<Option<proc_macro2::TokenStream>> = Vec::new();
    let mut meta: Vec<Finding> = Vec::new();
    // rustc reads `'r"` as a lifetime then a string, syn's lexer as a `'`
    // then a raw string (red team rt58 hid a command injection in a file
    // that parsed: `eat!('r"\"" );` then the code, then `// " );`).
    // Only in code (this comment is not).
    static AMBIGUOUS: Lazy = std::sync::OnceLock::new();
    let ambiguous: Vec<usize> = compiled(&AMBIGUOUS, r#"'[bc]?r\#*""#)
        .map(|r| r.find_iter(source).map(|m| m.start()).collect())
        .unwrap_or_default();
    let in_code = places(source, &ambiguous)
        .into_iter()
        .zip(&ambiguous)
        .find_map(|(place, &at)| (place != Place::Skipped).then_some(at));
    if let Some(at) = in_code {
        let line = source[..at].matches('\n').count() + 1;
        meta.push(meta_finding(
            rel,
            rules::id::ANALYSIS_LIMIT,
            line,
            1,
            "rustc reads `'r\"` as a lifetime and a string, the parser as a raw string: what follows may not be analysed as compiled".to_string(),
            lines.get(line - 1).copied().unwrap_or(""),
        ));
    }
    let single = chunks.len() == 1 || kept.is_some();
    // A file of several chunks whose whole tree would take more than its
    // budget is parsed again for the analysis, a chunk at a time: holding
    // its chunks' trees from the context pass would make its memory
    // proportional to its whole syntax tree (measured with
    // `benches/sast-memory.sh` at SIZE=1000000: 75-151 MB peak for a 1 MB
    // file held, against 47-59 MB for a 5.4 MB file parsed a chunk at a
    // time), not to its largest chunk. Within the budget (a file of up to
    // about 100,000 tokens), its chunks are parsed once, whole, and held.
    let hold = single
        || limits::tree_estimate(chunks.iter().map(|c| c.tokens).sum())
            <= limits::tree_budget(source.len());
    // Source bytes parsed into the trees held.
    let mut held_bytes = 0usize;
    if let Some(file) = kept {
        analyzer.add_context(&file);
        parsed.push((0, Some(file)));
        lexed.push(None);
    }
    analyzer.recording = single;
    if let (true, Some((record, old))) = (single, prior) {
        analyzer.replay(record, &old, imports);
    }
    let snippet_at = |line: usize| lines.get(line.saturating_sub(1)).copied().unwrap_or("");
    let parse_error = |e: &syn::Error, offset: usize| {
        let start = e.span().start();
        let line = start.line.max(1) + offset;
        meta_finding(
            rel,
            rules::id::PARSE_ERROR,
            line,
            start.column + 1,
            format!("not valid Rust: {e}"),
            snippet_at(line),
        )
    };
    // The context pass over a file of several chunks builds only the
    // items that carry context (`context`), unless its calls' `true`
    // arguments are context too (read inside every body).
    let shallow = !hold && !source.contains("danger_accept_invalid");
    for (index, chunk) in chunks.iter().enumerate() {
        if chunk.depth > limits::MAX_NESTING {
            meta.push(meta_finding(
                rel,
                rules::id::ANALYSIS_LIMIT,
                chunk.deepest_line,
                1,
                format!(
                    "code nested about {} levels deep (limit {}); lines {}-{} not analysed",
                    chunk.depth,
                    limits::MAX_NESTING,
                    chunk.line,
                    chunk.line + source[chunk.range.clone()].matches('\n').count()
                ),
                snippet_at(chunk.deepest_line),
            ));
            continue;
        }
        if chunk.range.len() > limits::MAX_CHUNK_BYTES {
            meta.push(meta_finding(
                rel,
                rules::id::ANALYSIS_LIMIT,
                chunk.line,
                1,
                format!(
                    "a single item of {} bytes (limit {}); lines {}-{} not analysed",
                    chunk.range.len(),
                    limits::MAX_CHUNK_BYTES,
                    chunk.line,
                    chunk.line + source[chunk.range.clone()].matches('\n').count()
                ),
                snippet_at(chunk.line),
            ));
            continue;
        }
        let text = &source[chunk.range.clone()];
        let padded;
        let text = if chunk.column > 0 {
            // tollgate:allow(unbounded-allocation): a column of this file, bounded by MAX_FILE_BYTES
            padded = format!("{}{text}", " ".repeat(chunk.column));
            padded.as_str()
        } else {
            text
        };
        let offset = chunk.line - 1;
        let tables = limits::blank_tables(text);
        let text = tables.as_deref().unwrap_or(text);
        // A tree that would take more memory than the file's budget (a
        // dense item: one-character tokens) is not built. Blanked tables
        // have fewer tokens than the pre-scan counted: counted again.
        let budget = limits::tree_budget(source.len());
        if limits::tree_estimate(chunk.tokens) > budget {
            let tokens = match &tables {
                Some(_) => limits::tokens(text),
                None => chunk.tokens,
            };
            if limits::tree_estimate(tokens) > budget {
                meta.push(meta_finding(
                    rel,
                    rules::id::ANALYSIS_LIMIT,
                    chunk.line,
                    1,
                    format!(
                        "an item of {tokens} tokens would take about {} MB to parse, over this file's budget of {} MB ({}x its size, at least {} MB); lines {}-{} not analysed",
                        limits::tree_estimate(tokens) >> 20,
                        budget >> 20,
                        limits::MEMORY_FACTOR,
                        limits::MIN_TREE_BUDGET >> 20,
                        chunk.line,
                        chunk.line + source[chunk.range.clone()].matches('\n').count()
                    ),
                    snippet_at(chunk.line),
                ));
                continue;
            }
        }
        // A chunk analysed later is lexed once: its tokens are kept for
        // the analysis pass (a chunk starting with a byte-order mark or a
        // shebang, which `syn::parse_file` strips, goes the full way).
        let tokens = (!hold && !text.starts_with('\u{feff}') && !text.starts_with("#!"))
            .then(|| text.parse::<proc_macro2::TokenStream>().ok())
            .flatten();
        let tree = match (&tokens, shallow) {
            (Some(t), true) => context::parse_tokens(t.clone(), text),
            (Some(t), false) => {
                syn::parse2::<syn::File>(t.clone()).or_else(|_| syn::parse_file(text))
            }
            (None, true) => context::parse(text),
            (None, false) => syn::parse_file(text),
        };
        let tree = match tree {
            Err(e) if single => included_expression(text).ok_or(e),
            other => other,
        };
        match tree {
            Ok(file) => {
                // Positions the context keeps are this chunk's.
                engine::with_line_offset(offset, || analyzer.add_context(&file));
                // Very large file: keep only the imports and constants
                // now, re-parse when analysing, so one chunk's tree at a
                // time is in memory.
                parsed.push((index, hold.then_some(file)));
                lexed.push(tokens);
            }
            Err(e) => meta.push(parse_error(&e, offset)),
        }
        if hold || lexed.iter().any(Option::is_some) {
            // The spans of trees or tokens still held must stay valid:
            // freed once the file is done.
            held_bytes += text.len();
        } else {
            trees::spans_done(text.len());
        }
    }
    let mut tree = None;
    for ((index, file), tokens) in parsed.iter().zip(lexed.iter_mut()) {
        let offset = chunks.get(*index).map_or(0, |chunk| chunk.line - 1);
        match file {
            Some(file) => engine::with_line_offset(offset, || analyzer.run(file)),
            None => {
                if let Some(Ok(file)) = tokens.take().map(syn::parse2::<syn::File>) {
                    engine::with_line_offset(offset, || analyzer.run(&file));
                    continue;
                }
                let Some(chunk) = chunks.get(*index) else {
                    continue;
                };
                // tollgate:allow(unbounded-allocation): a column of this file, bounded by MAX_FILE_BYTES
                let text = format!(
                    "{}{}",
                    " ".repeat(chunk.column),
                    &source[chunk.range.clone()]
                );
                let tables = limits::blank_tables(&text);
                // The context pass may not have built the part of the
                // chunk that is not valid Rust.
                match syn::parse_file(tables.as_deref().unwrap_or(&text)) {
                    Ok(file) => engine::with_line_offset(offset, || analyzer.run(&file)),
                    Err(e) => meta.push(parse_error(&e, offset)),
                }
                if held_bytes > 0 {
                    held_bytes += text.len();
                } else {
                    trees::spans_done(text.len());
                }
            }
        }
    }
    if single && keep && parsed.len() == 1 {
        tree = parsed.pop().and_then(|(_, file)| file);
    } else if hold || held_bytes > 0 {
        drop(parsed);
        drop(lexed);
        // Findings hold no spans: free this thread's source map.
        trees::spans_done(if single { source.len() } else { held_bytes });
    }
    if let Some(line) = analyzer.limit_line() {
        meta.push(meta_finding(
            rel,
            rules::id::ANALYSIS_LIMIT,
            line,
            1,
            format!(
                "expression nested over {} levels deep; the inner part was not analysed",
                limits::MAX_EVAL_DEPTH
            ),
            snippet_at(line),
        ));
    }

    result.exports = crosscrate::Exports {
        module: crosscrate::module_of(rel),
        summaries: analyzer.exports(),
        defined: std::mem::take(&mut analyzer.defined),
    };
    result.calls = std::mem::take(&mut analyzer.calls);
    result.probes = std::mem::take(&mut analyzer.probes);
    result.record = analyzer.record.take();
    let dropped_early = analyzer.dropped_findings;
    let mut findings: Vec<Finding> = Vec::with_capacity(analyzer.findings.len());
    for raw in analyzer.findings {
        // The first enabled rule the finding stands for, and those after it.
        let mut stands_for = std::iter::once(raw.rule)
            .chain(raw.also.iter().copied())
            .filter_map(rules::find)
            .filter(|r| config.is_enabled(r.id));
        let Some(rule) = stands_for.next() else {
            continue;
        };
        let also: Vec<(&'static str, Severity)> =
            stands_for.map(|r| (r.id, config.severity_of(r))).collect();
        // Snippets are cut once the findings kept are known.
        let snippet = String::new();
        let severity = config.severity_of(rule);
        let path = raw.file.clone().unwrap_or_else(|| rel.to_string());
        let finding = Finding {
            rule: rule.id,
            severity: if raw.local_source {
                severity.one_lower()
            } else {
                severity
            },
            path: path.clone(),
            line: raw.line,
            column: raw.column,
            end_line: raw.end_line,
            end_column: raw.end_column,
            message: raw.message,
            snippet,
            fingerprint: String::new(),
            stmt_line: raw.stmt_line,
            covers: raw.covers,
            covered_snippet: String::new(),
            also,
            flow: raw
                .flow
                .into_iter()
                .map(|(line, message, file)| FlowStep {
                    line,
                    message,
                    path: file.filter(|f| *f != path),
                })
                .collect(),
            other_flows: Vec::new(),
        };
        if path == rel {
            findings.push(finding);
        } else {
            result.foreign.push(finding);
        }
    }
    // At one place, the most severe flow is kept (request data before an
    // environment variable: red team rt49 saw the message's alphabetical
    // order turn a critical injection into a high one), and a flow from a
    // source before a public function's parameter.
    let public = |f: &Finding| f.message.starts_with(engine::summary::PUBLIC_PARAMETER);
    findings.sort_by(|a, b| {
        (
            a.line,
            a.column,
            a.rule,
            std::cmp::Reverse(a.severity),
            public(a),
            &a.message,
        )
            .cmp(&(
                b.line,
                b.column,
                b.rule,
                std::cmp::Reverse(b.severity),
                public(b),
                &b.message,
            ))
    });
    dedup_places(&mut findings);
    // A password hashed with a broken hash is `weak-hash`; the line's
    // `broken-hash` finding would say less about the same call.
    let weak_lines: Vec<usize> = findings
        .iter()
        .filter(|f| f.rule == rules::id::WEAK_HASH)
        .map(|f| f.line)
        .collect();
    if !weak_lines.is_empty() {
        let weak_lines: crate::HashSet<usize> = weak_lines.into_iter().collect();
        findings.retain(|f| !(f.rule == rules::id::BROKEN_HASH && weak_lines.contains(&f.line)));
    }
    // At most `MAX_FINDINGS_PER_FILE`, the most severe first, and a note
    // saying how many more there were: a generated file of a million
    // 8-byte `unsafe{}` blocks would otherwise make output and memory
    // hundreds of times its size (red team rt45: 3.5 GB for 8 MB).
    let mut dropped = dropped_early;
    if findings.len() > limits::MAX_FINDINGS_PER_FILE {
        findings.sort_by(|a, b| {
            (b.severity, a.line, a.column, a.rule).cmp(&(a.severity, b.line, b.column, b.rule))
        });
        let rest = findings.split_off(limits::MAX_FINDINGS_PER_FILE);
        for f in &rest {
            dropped.add(Some(f.line), f.severity);
        }
        findings.sort_by(|a, b| (a.line, a.column, a.rule).cmp(&(b.line, b.column, b.rule)));
    }
    if dropped.count > 0 {
        let first = if dropped.first_line == usize::MAX {
            1
        } else {
            dropped.first_line
        };
        let mut note = meta_finding(
            rel,
            rules::id::ANALYSIS_LIMIT,
            first,
            1,
            format!(
                "{} more findings of this file's analysis are not listed (at most {} a file, the most severe kept; the most severe not listed is {}; the first not listed in this file is on line {first})",
                dropped.count,
                limits::MAX_FINDINGS_PER_FILE,
                dropped.worst.map_or("?", Severity::as_str),
            ),
            snippet_at(first),
        );
        // A gate failing on the dropped findings' severity fails here
        // (and only on theirs: this note is about what was analysed).
        note.severity = dropped.worst.unwrap_or(Severity::Note);
        meta.push(note);
    }
    for f in &mut findings {
        f.snippet = snippet_of(lines.get(f.line.saturating_sub(1)).copied().unwrap_or(""));
        if let Some((line, _)) = f.covers {
            f.covered_snippet =
                snippet_of(lines.get(line.saturating_sub(1)).copied().unwrap_or(""));
        }
    }
    findings.extend(meta);

    let mut suppressions = suppress::parse(source, &lines);
    result.suppressed = suppress::apply(&mut findings, &mut suppressions);
    drop_covered(&mut findings);
    for (line, column, rule, message) in
        suppress::diagnostics(&suppressions, |r| config.is_enabled(r))
    {
        let snippet = lines.get(line.saturating_sub(1)).copied().unwrap_or("");
        findings.push(meta_finding(rel, rule, line, column, message, snippet));
    }
    findings.sort_by(|a, b| (a.line, a.column, a.rule).cmp(&(b.line, b.column, b.rule)));
    assign_fingerprints(&mut findings);
    result.findings = findings;
    (result, tree)
}

/// Longest snippet a finding carries, in bytes: a minified or generated
/// line is cut (at a character boundary, marked with `…`), so many findings
/// on one long line do not each copy it.
const MAX_SNIPPET: usize = 400;

fn snippet_of(line: &str) -> String {
    if line.len() <= MAX_SNIPPET {
        return line.to_string();
    }
    let mut end = MAX_SNIPPET;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &line[..end])
}

fn assign_fingerprints(findings: &mut [Finding]) {
    let mut seen: HashMap<String, usize> = HashMap::default();
    for f in findings.iter_mut() {
        let mut hasher = Sha256::new();
        hasher.update(f.rule.as_bytes());
        hasher.update([0]);
        hasher.update(f.path.as_bytes());
        hasher.update([0]);
        hasher.update(f.baseline_text().as_bytes());
        let digest = hex::encode(&hasher.finalize()[..8]);
        let n = seen.entry(digest.clone()).or_default();
        *n += 1;
        f.fingerprint = format!("{digest}:{n}");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

    use super::*;

    #[test]
    fn may_reference_never_misses_what_the_pattern_finds() {
        let reference = reference_pattern().unwrap();
        let cases = [
            ("mod a;", true),
            ("mod /* c */ a /* d */ ;", true),
            ("mod // c\n a\n// d\n;", true),
            ("mod\u{200E}a\u{200F};", true),
            ("mod r#type;", true),
            ("pub(crate) mod\ta ;", true),
            ("#[path /* x */ = \"a.rs\"] mod a { }", true),
            ("#[cfg_attr(unix, path = \"u.rs\")] mod a { }", true),
            ("include /* x */ ! (\"a.rs\");", true),
            (
                "include!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/a.rs\"));",
                true,
            ),
            ("mod /* /* nested */ */ a;", true),
            // A shebang line's quote opens nothing; a number's suffix is
            // not a raw string's prefix (red team rt36).
            (
                "#!/usr/bin/env run \"\n#[path = \".hidden/x.rs\"]\nmod x;\n// \"",
                true,
            ),
            ("\u{feff}#!/x \"\nmod x;\n// \"", true),
            (
                "m!(1r\"\\\" // \"); #[path = \".hidden/x.rs\"] mod x;",
                true,
            ),
            ("#![allow(x)] /* \" */ mod x;", true),
            (
                "m!(\"a\"r\"\\\" \");\n#[path = \".h/x.rs\"] mod x; // \"",
                true,
            ),
            (
                "m!('a'r\"\\\" \");\n#[path = \".h/x.rs\"] mod x; // \"",
                true,
            ),
            ("m!('r\"\\\" \");\n#[path = \".h/x.rs\"] mod x; // \"", true),
            (
                "#!/**/[doc = \"\n\"] #[path = \".h/x.rs\"] mod x; // \"",
                true,
            ),
            (
                "#!\u{200E}[doc = \"\n\"] #[path = \".h/x.rs\"] mod x; // \"",
                true,
            ),
            ("mod a { fn f() {} }", false),
            ("use std::path::Path; fn f(p: &Path) {}", false),
            ("// mod a { }\nfn include_all() {}", false),
            ("fn f() { let model = 1; }", false),
        ];
        for (text, expected) in cases {
            let found = reference.is_match(&code_only(text));
            assert_eq!(found, expected, "pattern on {text:?}");
            assert_eq!(may_reference(text), expected, "prefilter on {text:?}");
        }
        // Never no where the pattern matches, on every source file of
        // this crate.
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut stack = vec![dir];
        let mut checked = 0;
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let p = entry.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&p).unwrap();
                    if reference.is_match(&code_only(&text)) {
                        assert!(may_reference(&text), "{}", p.display());
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 0);
    }

    const CALLER: &str = r#"
use axum::extract::Query;

async fn handler(Query(p): Query<Params>) {
    db::find_user(&conn(), &p.name);
    walk(&p.name, 3);
}

async fn other(Query(p): Query<Params>) {
    let conn = conn();
    conn.execute("SELECT 1", []).unwrap();
    log(&p.name);
}

// Recursion: summaries iterated to a fixpoint before reporting.
fn walk(name: &str, n: u32) {
    if n > 0 {
        db::find_user(&conn(), name);
        walk(name, n - 1);
    }
}

fn log(s: &str) {
    println!("{s}");
}
"#;

    fn analyze(
        rel: &str,
        source: &str,
        imports: &[engine::Import],
        prior: Option<Prior>,
    ) -> FileResult {
        limits::on_big_stack(|| {
            analyze_text(
                rel,
                source,
                true,
                &Config::default(),
                imports,
                prior,
                Tree::Parse,
            )
            .0
        })
        .unwrap()
    }

    /// Imports of `src/main.rs` from a `src/db.rs` with this source.
    fn imports_from(db: &str, caller: &FileResult) -> Vec<engine::Import> {
        let db = analyze("src/db.rs", db, &[], None);
        let defs = crosscrate::Definitions::build([&db.exports, &caller.exports].into_iter());
        let index =
            crosscrate::Externals::build(&defs, std::iter::once((db.path.as_str(), &db.exports)));
        index.for_file(&caller.path, &caller.calls)
    }

    /// A file analysed again with other imports, replaying the functions
    /// whose lookups get the same answers, gives what a fresh analysis
    /// with those imports gives.
    #[test]
    fn a_replayed_analysis_is_the_fresh_one() {
        let first = analyze("src/main.rs", CALLER, &[], None);
        let sink = r#"
pub fn find_user(conn: &rusqlite::Connection, name: &str) {
    conn.execute(&format!("SELECT * FROM u WHERE n = '{name}'"), []).unwrap();
}
"#;
        let mut previous = first;
        for db in [
            sink,
            sink,
            "pub fn find_user(_c: &rusqlite::Connection, _n: &str) {}\n",
            sink,
        ] {
            let imports = imports_from(db, &previous);
            let fresh = analyze("src/main.rs", CALLER, &imports, None);
            let prior = (
                previous.record.clone().expect("recorded"),
                previous.imported.clone(),
            );
            let replayed = analyze("src/main.rs", CALLER, &imports, Some(prior));
            assert_eq!(fresh.findings, replayed.findings);
            assert_eq!(fresh.foreign, replayed.foreign);
            assert_eq!(fresh.exports, replayed.exports);
            if db == sink {
                // Through `handler` and through the recursive `walk`.
                assert_eq!(fresh.foreign.len(), 2, "{:#?}", fresh.foreign);
            }
            previous = replayed;
        }
    }
}
