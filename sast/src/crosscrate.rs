//! Interprocedural taint across the files of a scan.
//!
//! Every file is first analysed on its own; it exports the summaries of its
//! functions that matter to a caller (a parameter reaching a sink, or a
//! source returned) and the names its functions call. The exported
//! summaries are indexed by `Type::method`, `module::function` (the
//! module is the file's name, or its directory's for `mod.rs`), the bare
//! function name when only one file defines it, and `.method` when only one
//! type has that method. A file that calls one of them defined in another
//! file is analysed again with those summaries imported, so an argument it
//! passes reaches the sink in the other file and is reported there, with
//! the whole path (source and call in the caller's file, sink in the
//! callee's) as the finding's flow. Its own exports may change; the
//! re-analysis repeats (at most [`MAX_ROUNDS`] times) until no exported
//! summary changes: a bounded fixpoint that also covers recursion across
//! files.

use crate::engine::summary::Summary;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Re-analysis rounds after the first pass.
pub(crate) const MAX_ROUNDS: usize = 3;

/// One file's exports: its module name and interesting summaries by key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Exports {
    pub module: Option<String>,
    pub summaries: Vec<(String, Summary)>,
}

/// The crate-wide index.
#[derive(Default, PartialEq, Eq)]
pub(crate) struct Externals {
    /// Call name -> (defining file, summary key in that file, summary).
    by_name: BTreeMap<String, (String, String, Summary)>,
    /// `.method` -> (defining file, key, summary), when unique.
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
    /// Build the index from every file's exports (path, exports).
    pub(crate) fn build<'a>(files: impl Iterator<Item = (&'a str, &'a Exports)>) -> Self {
        let mut names: HashMap<String, Vec<(String, String, Summary)>> = HashMap::new();
        let mut methods: HashMap<String, Vec<(String, String, Summary)>> = HashMap::new();
        for (path, exports) in files {
            for (key, summary) in &exports.summaries {
                let entry = (path.to_string(), key.clone(), summary.clone());
                if let Some((_, name)) = key.split_once("::") {
                    // `Type::name`
                    names.entry(key.clone()).or_default().push(entry.clone());
                    if summary.has_self {
                        methods.entry(format!(".{name}")).or_default().push(entry);
                    }
                } else {
                    if let Some(module) = &exports.module {
                        names
                            .entry(format!("{module}::{key}"))
                            .or_default()
                            .push(entry.clone());
                    }
                    names.entry(key.clone()).or_default().push(entry);
                }
            }
        }
        let unique = |m: HashMap<String, Vec<(String, String, Summary)>>| {
            m.into_iter()
                .filter_map(|(k, mut v)| (v.len() == 1).then(|| (k, v.remove(0))))
                .collect::<BTreeMap<_, _>>()
        };
        Externals {
            by_name: unique(names),
            methods: unique(methods),
        }
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
