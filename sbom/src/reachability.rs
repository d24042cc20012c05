//! Does the workspace's own code call a function an advisory names as
//! affected? Uses the `sast` crate's parsed code and `use` resolution.
//!
//! * `reachable`: a call or function reference resolves to the affected
//!   path (directly, or through a re-export: same crate, same `Type::fn`
//!   tail), or a method call has the affected method's distinctive name;
//! * `not-reachable`: nothing in non-test workspace code matches;
//! * `unknown`: the advisory lists no functions, only a lockfile was given,
//!   or the only matches are generic method names (`new`, `send`, ...) whose
//!   receiver type the analysis cannot see.
//!
//! Reachability informs, it never hides: every state is reported.

use crate::graph::Graph;
use crate::Error;
use serde::Serialize;
use tollgate_sast::calls::CallSite;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
/// Whether the workspace calls an advisory's affected functions.
pub enum Reachability {
    /// Called, at these sites.
    Reachable {
        /// Where the workspace calls an affected function.
        call_sites: Vec<Site>,
    },
    /// Not called anywhere in the workspace.
    NotReachable,
    /// Not decidable (no affected functions listed, or sources not scanned).
    Unknown {
        /// Why not.
        reason: String,
        #[serde(skip_serializing_if = "Vec::is_empty", default)]
        /// Calls that might be to an affected function.
        candidates: Vec<Site>,
    },
}

impl Reachability {
    /// A short label for reports.
    pub fn label(&self) -> &'static str {
        match self {
            Reachability::Reachable { .. } => "reachable",
            Reachability::NotReachable => "not-reachable",
            Reachability::Unknown { .. } => "unknown",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
/// A call site in the workspace.
pub struct Site {
    /// The file, relative to the workspace.
    pub file: String,
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
    /// The affected function this call matched.
    pub function: String,
    /// `path` (resolved call path) or `method-name` (receiver unknown).
    pub matched_by: &'static str,
}

/// Method names too common to attribute to one type.
const GENERIC_METHODS: &[&str] = &[
    "new",
    "from",
    "into",
    "clone",
    "fmt",
    "drop",
    "default",
    "eq",
    "hash",
    "next",
    "get",
    "get_mut",
    "insert",
    "remove",
    "push",
    "pop",
    "len",
    "send",
    "recv",
    "write",
    "read",
    "call",
    "poll",
    "deref",
    "as_ref",
    "to_string",
    "parse",
    "build",
    "run",
    "with",
];

/// Call sites of the workspace members' non-test code.
pub fn workspace_calls(graph: &Graph) -> Result<Vec<CallSite>, Error> {
    let dirs = graph.member_dirs();
    let root = graph
        .lockfile_path
        .parent()
        .map(|p| p.to_path_buf())
        .unwrap_or_default();
    let options = tollgate_sast::Options {
        root,
        ..Default::default()
    };
    tollgate_sast::calls::call_sites(&dirs, &options).map_err(|e| Error::Source(e.to_string()))
}

/// Assess each finding's reachability from the workspace's call sites.
pub fn assess(
    affected: Option<&rustsec::advisory::Affected>,
    version: &semver::Version,
    calls: &[CallSite],
) -> Reachability {
    let Some(affected) = affected.filter(|a| !a.functions.is_empty()) else {
        return Reachability::Unknown {
            reason: "the advisory lists no affected functions".into(),
            candidates: Vec::new(),
        };
    };
    let applicable: Vec<Vec<String>> = affected
        .functions
        .iter()
        .filter(|(_, reqs)| reqs.is_empty() || reqs.iter().any(|r| r.matches(version)))
        .map(|(path, _)| {
            path.segments()
                .iter()
                .map(|s| s.as_ref().to_string())
                .collect()
        })
        .collect();
    if applicable.is_empty() {
        return Reachability::Unknown {
            reason: format!("no listed affected function applies to version {version}"),
            candidates: Vec::new(),
        };
    }
    let mut confirmed = Vec::new();
    let mut candidates = Vec::new();
    for function in &applicable {
        let full = function.join("::");
        let crate_prefix = format!("{}::", function[0]);
        let tail = if function.len() >= 3 {
            format!("::{}", function[function.len() - 2..].join("::"))
        } else {
            format!("::{}", function[function.len() - 1])
        };
        let name = function[function.len() - 1].as_str();
        let is_method = function.len() >= 3
            && function[function.len() - 2]
                .chars()
                .next()
                .is_some_and(char::is_uppercase);
        for call in calls {
            let site = |matched_by| Site {
                file: call.file.clone(),
                line: call.line,
                column: call.column,
                function: full.clone(),
                matched_by,
            };
            if let Some(path) = &call.path {
                if *path == full || (path.starts_with(&crate_prefix) && path.ends_with(&tail)) {
                    confirmed.push(site("path"));
                }
            } else if let Some(method) = &call.method {
                if is_method && method == name {
                    if GENERIC_METHODS.contains(&name) {
                        candidates.push(site("method-name"));
                    } else {
                        confirmed.push(site("method-name"));
                    }
                }
            }
        }
    }
    if !confirmed.is_empty() {
        Reachability::Reachable {
            call_sites: confirmed,
        }
    } else if !candidates.is_empty() {
        Reachability::Unknown {
            reason: "only calls of generic method names match; their receiver types are unknown"
                .into(),
            candidates,
        }
    } else {
        Reachability::NotReachable
    }
}
