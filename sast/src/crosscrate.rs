//! Interprocedural taint across the files of a scan.
//!
//! Every file is first analysed on its own; it exports the summaries of its
//! functions that matter to a caller (a parameter reaching a sink, or a
//! source returned) and the names its functions call. The exported
//! summaries are indexed by `Type::method`, `module::function` (the
//! module is the file's name, or its directory's for `mod.rs`), the bare
//! function name when only one file defines it, and `.method` when only one
//! method of that name is defined in the scan ([`Definitions`], counted
//! once before the rounds over every function, whatever its summary: a
//! name resolves in every round or in none, so the index only grows as
//! summaries do). A file that calls one of them defined in another
//! file is analysed again with those summaries imported, so an argument it
//! passes reaches the sink in the other file and is reported there, with
//! the whole path (source and call in the caller's file, sink in the
//! callee's) as the finding's flow. Its own exports may change; the
//! re-analysis repeats (at most [`MAX_ROUNDS`] times) until no exported
//! summary changes: a bounded fixpoint that also covers recursion across
//! files. A file that no other file calls into ([`called_from_elsewhere`])
//! cannot change another file's imports: it sits the rounds out and is
//! analysed again once after them, with the index the last round used,
//! which is where it would end had it gone through every round.

use crate::engine::summary::Summary;
use crate::{HashMap, HashSet};
use std::collections::{BTreeMap, BTreeSet};

/// Re-analysis rounds after the first pass.
pub(crate) const MAX_ROUNDS: usize = 3;

/// One file's exports: its module name, interesting summaries by key, and
/// every function it defines (`engine::FileAnalyzer::defined`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Exports {
    pub module: Option<String>,
    pub summaries: Vec<(String, Summary)>,
    pub defined: Vec<(String, bool)>,
}

/// How many functions of the scan each name a call may use could mean
/// (`Type::method`, `module::function`, a bare function name, `.method`),
/// counted once, from the first analysis of every file: a name defined
/// once resolves to that function (when its summary is interesting), a
/// name defined twice resolves to nothing, whatever the summaries. So a
/// name never resolves in one round and not in the next.
#[derive(Default)]
pub(crate) struct Definitions(HashMap<String, u32>);

impl Definitions {
    pub(crate) fn build<'a>(files: impl Iterator<Item = &'a Exports>) -> Self {
        let mut defs = Definitions::default();
        for exports in files {
            defs.add(exports);
        }
        defs
    }

    /// Count the functions one file defines.
    fn add(&mut self, exports: &Exports) {
        // A key defined twice in a file (`cfg` variants) has one
        // summary there; two types of a file with a method of the
        // same name are two definitions of `.name`.
        let mut names: BTreeSet<String> = BTreeSet::new();
        let mut methods: Vec<String> = Vec::new();
        for (key, method) in &exports.defined {
            match key.rsplit_once("::") {
                Some((_, name)) => {
                    if names.insert(key.clone()) && *method {
                        methods.push(format!(".{name}"));
                    }
                }
                None if *method => methods.push(format!(".{key}")),
                None => {
                    if names.insert(key.clone()) {
                        if let Some(module) = &exports.module {
                            names.insert(format!("{module}::{key}"));
                        }
                    }
                }
            }
        }
        for name in names.into_iter().chain(methods) {
            *self.0.entry(name).or_default() += 1;
        }
    }

    pub(crate) fn unique(&self, name: &str) -> bool {
        self.0.get(name) == Some(&1)
    }
}

/// For each file, whether another file calls a function it defines: a
/// call name of another file that `defs` says only one function of the
/// scan defines, and that is a name [`Externals`] may index one of this
/// file's summaries under. Only such a file's exports can change what
/// another file imports.
pub(crate) fn called_from_elsewhere<'a>(
    defs: &Definitions,
    files: impl Iterator<Item = (&'a Exports, &'a HashSet<String>)>,
) -> Vec<bool> {
    let files: Vec<_> = files.collect();
    // Each name called: the first file calling it, and whether another
    // one does too.
    let mut callers: HashMap<&str, (usize, bool)> = HashMap::default();
    for (n, (_, calls)) in files.iter().enumerate() {
        for call in calls.iter() {
            if defs.unique(call) {
                let entry = callers.entry(call.as_str()).or_insert((n, false));
                entry.1 |= entry.0 != n;
            }
        }
    }
    let called_by_other = |name: &str, n: usize| {
        callers
            .get(name)
            .is_some_and(|&(first, more)| first != n || more)
    };
    let mut name = String::new();
    files
        .iter()
        .enumerate()
        .map(|(n, (exports, _))| {
            exports.defined.iter().any(|(key, _)| {
                if called_by_other(key, n) {
                    return true;
                }
                name.clear();
                match key.rsplit_once("::") {
                    Some((_, method)) => {
                        name.push('.');
                        name.push_str(method);
                    }
                    None => match &exports.module {
                        Some(module) => {
                            name.push_str(module);
                            name.push_str("::");
                            name.push_str(key);
                        }
                        None => return false,
                    },
                }
                called_by_other(&name, n)
            })
        })
        .collect()
}

/// The first pass so far, to guess which files will be analysed again
/// (whose trees are worth keeping): the definitions and interesting
/// summaries of the files analysed so far. A name defined twice already
/// never resolves; one defined once may.
#[derive(Default)]
pub(crate) struct Seen(std::sync::Mutex<SeenSoFar>);

#[derive(Default)]
pub(crate) struct SeenSoFar {
    defs: Definitions,
    /// Name a call may use -> the file of the summary.
    summaries: HashMap<String, usize>,
}

impl Seen {
    /// Add file `n`; then, does it call a function with an interesting
    /// summary that only another file analysed so far defines?
    pub(crate) fn add_and_check(
        &self,
        n: usize,
        exports: &Exports,
        calls: &HashSet<String>,
    ) -> bool {
        let mut seen = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        seen.defs.add(exports);
        for (key, summary) in &exports.summaries {
            if let Some((_, name)) = key.rsplit_once("::") {
                seen.summaries.insert(key.clone(), n);
                if summary.has_self {
                    seen.summaries.insert(format!(".{name}"), n);
                }
            } else {
                if let Some(module) = &exports.module {
                    seen.summaries.insert(format!("{module}::{key}"), n);
                }
                seen.summaries.insert(key.clone(), n);
            }
        }
        calls.iter().any(|call| {
            seen.summaries
                .get(call.as_str())
                .is_some_and(|file| *file != n)
                && seen.defs.unique(call)
        })
    }
}

/// The crate-wide index.
#[derive(Default, PartialEq, Eq)]
pub(crate) struct Externals {
    /// Call name -> (defining file, summary key in that file, summary).
    by_name: BTreeMap<String, (String, String, Summary)>,
    /// `.method` -> (defining file, key, summary).
    methods: BTreeMap<String, (String, String, Summary)>,
}

/// The module a file's functions live in, as callers name it.
pub(crate) fn module_of(rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = rel.split('/').collect();
    let file = parts.pop()?;
    let stem = file.strip_suffix(".rs")?;
    match stem {
        "lib" | "main" => None,
        "mod" => parts.pop().map(str::to_string),
        other => Some(other.to_string()),
    }
}

impl Externals {
    /// Index every file's exports (path, exports) under the names that
    /// `defs` says only they define.
    pub(crate) fn build<'a>(
        defs: &Definitions,
        files: impl Iterator<Item = (&'a str, &'a Exports)>,
    ) -> Self {
        let mut index = Externals::default();
        for (path, exports) in files {
            for (key, summary) in &exports.summaries {
                let entry = || (path.to_string(), key.clone(), summary.clone());
                if let Some((_, name)) = key.rsplit_once("::") {
                    // `Type::name`
                    if defs.unique(key) {
                        index.by_name.insert(key.clone(), entry());
                    }
                    let method = format!(".{name}");
                    if summary.has_self && defs.unique(&method) {
                        index.methods.insert(method, entry());
                    }
                } else {
                    if let Some(module) = &exports.module {
                        let name = format!("{module}::{key}");
                        if defs.unique(&name) {
                            index.by_name.insert(name, entry());
                        }
                    }
                    if defs.unique(key) {
                        index.by_name.insert(key.clone(), entry());
                    }
                }
            }
        }
        index
    }

    /// Summaries defined outside `path` that `calls` name: (name the
    /// engine looks up, summary, is a method).
    pub(crate) fn for_file(
        &self,
        path: &str,
        calls: &HashSet<String>,
    ) -> Vec<(String, Summary, bool)> {
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        let mut sorted: Vec<&String> = calls.iter().collect();
        sorted.sort();
        for call in sorted {
            if let Some((file, key, summary)) = self.methods.get(call.as_str()) {
                if file != path && seen.insert(key.clone()) {
                    out.push((key.clone(), summary.clone(), true));
                }
            } else if let Some((file, _, summary)) = self.by_name.get(call.as_str()) {
                if file != path && seen.insert(call.clone()) {
                    out.push((call.clone(), summary.clone(), false));
                }
            }
        }
        out
    }
}
