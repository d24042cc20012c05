//! Suppressions: `// tollgate:allow(<rule-id>): <reason>` comments and the
//! baseline file.
//!
//! A comment applies to findings on its own line (trailing comment) and to
//! the statement that starts on the next code line, matched through the
//! finding's statement line, so it keeps working after rustfmt re-wraps the
//! statement; and to a finding whose region, or the last step of whose
//! flow (in the same file), holds that line. A baseline matches on rule + path + normalised source line,
//! never on line numbers, so unrelated edits above a finding do not revive it.

use crate::rules::{self, id};
use crate::Finding;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub(crate) const MARKER: &str = "tollgate:allow(";

/// One `tollgate:allow` comment.
#[derive(Debug)]
pub(crate) struct Suppression {
    /// Line of the comment (1-based).
    pub line: usize,
    pub column: usize,
    /// First code line it covers (same as `line` for a trailing comment).
    pub target_line: usize,
    pub rules: Vec<String>,
    pub used: Vec<bool>,
    /// A problem that makes the suppression invalid.
    pub problem: Option<String>,
}

fn is_code_line(text: &str) -> bool {
    let t = text.trim();
    !(t.is_empty()
        || t.starts_with("//")
        || t.starts_with("/*")
        || t.starts_with('*')
        || t.starts_with("#["))
}

/// Find the suppression comments of a file.
pub(crate) fn parse(source: &str, lines: &[&str]) -> Vec<Suppression> {
    if !source.contains(MARKER) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for comment in crate::comments::comments(source) {
        // Doc comments document the marker; they do not suppress.
        let is_doc = ["///", "//!", "/**", "/*!"]
            .iter()
            .any(|p| comment.text.starts_with(p));
        let Some(at) = comment.text.find(MARKER).filter(|_| !is_doc) else {
            continue;
        };
        let line = comment.line;
        let target_line = if comment.trailing {
            line
        } else {
            (line..lines.len())
                .find(|i| is_code_line(lines[*i]))
                .map(|i| i + 1)
                .unwrap_or(line + 1)
        };
        let rest = &comment.text[at + MARKER.len()..];
        let rest = rest.lines().next().unwrap_or("");
        let (inside, after) = match rest.find(')') {
            Some(close) => (&rest[..close], &rest[close + 1..]),
            None => (rest, ""),
        };
        let rule_ids: Vec<String> = inside
            .split(',')
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
            .collect();
        let reason = after
            .trim_start()
            .strip_prefix(':')
            .map(|r| r.trim().trim_end_matches("*/").trim())
            .unwrap_or("");
        let problem = if rule_ids.is_empty() {
            Some("names no rule".to_string())
        } else if let Some(unknown) = rule_ids.iter().find(|r| rules::find(r).is_none()) {
            Some(format!("names unknown rule `{unknown}`"))
        } else if reason.is_empty() {
            Some("has no reason: write `tollgate:allow(rule): why this is safe`".to_string())
        } else {
            None
        };
        let used = vec![false; rule_ids.len()];
        out.push(Suppression {
            line,
            column: comment.column + at,
            target_line,
            rules: rule_ids,
            used,
            problem,
        });
    }
    out
}

/// Remove findings covered by suppressions; returns how many were removed.
/// A finding that stands for other rules too (`Finding::also`) is removed
/// only when each of them is suppressed there; until then it is reported
/// under the first one that is not.
pub(crate) fn apply(findings: &mut Vec<Finding>, suppressions: &mut [Suppression]) -> usize {
    let before = findings.len();
    findings.retain_mut(|f| loop {
        if !suppressed(f, suppressions) {
            return true;
        }
        if f.also.is_empty() {
            return false;
        }
        let (rule, severity) = f.also.remove(0);
        f.message = format!("{} (`{}` suppressed here)", f.message, f.rule);
        f.rule = rule;
        f.severity = severity;
    });
    before - findings.len()
}

/// Whether a suppression covers `f` (and marks it used).
fn suppressed(f: &Finding, suppressions: &mut [Suppression]) -> bool {
    if rules::is_meta(f.rule) {
        return false;
    }
    {
        for s in suppressions.iter_mut().filter(|s| s.problem.is_none()) {
            // Also a line inside the finding's region (the `.secure(false)`
            // of a cookie builder reported from its first line) or the last
            // step of its flow in this file (the use of a key reported where
            // its constant is written). Not an earlier step: a call of a
            // shared helper is one of many ways to its sink (red team rt79).
            let covers = f.line == s.line
                || f.line == s.target_line
                || f.stmt_line == s.target_line
                || (f.line..=f.end_line).contains(&s.target_line)
                || f.flow
                    .last()
                    .is_some_and(|step| step.path.is_none() && step.line == s.target_line);
            if !covers {
                continue;
            }
            if let Some(i) = s.rules.iter().position(|r| r == f.rule) {
                s.used[i] = true;
                return true;
            }
        }
        false
    }
}

/// The meta findings about suppressions: invalid ones, and valid ones that
/// matched nothing (for rules that are enabled).
pub(crate) fn diagnostics(
    suppressions: &[Suppression],
    enabled: impl Fn(&str) -> bool,
) -> Vec<(usize, usize, &'static str, String)> {
    let mut out = Vec::new();
    for s in suppressions {
        if let Some(problem) = &s.problem {
            out.push((
                s.line,
                s.column,
                id::INVALID_SUPPRESSION,
                format!("suppression {problem}"),
            ));
            continue;
        }
        for (rule, used) in s.rules.iter().zip(&s.used) {
            if !used && enabled(rule) {
                out.push((
                    s.line,
                    s.column,
                    id::UNUSED_SUPPRESSION,
                    format!("suppression of `{rule}` matches no finding"),
                ));
            }
        }
    }
    out
}

/// Collapse whitespace so re-indentation does not change a baseline key.
pub fn normalise_snippet(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A recorded set of accepted findings.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// The format version ([`Baseline::VERSION`]).
    pub version: u32,
    /// The accepted findings.
    pub findings: Vec<BaselineEntry>,
}

/// One accepted finding, matched by rule, path and source line.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    /// The rule id.
    pub rule: String,
    /// The file, relative to the scan root.
    pub path: String,
    /// The source line, normalised.
    pub snippet: String,
}

impl Baseline {
    /// The baseline format version written and read.
    pub const VERSION: u32 = 1;

    /// A baseline accepting `findings`.
    pub fn from_findings(findings: &[Finding]) -> Baseline {
        let mut entries: Vec<BaselineEntry> = findings
            .iter()
            .filter(|f| !rules::is_meta(f.rule))
            .map(|f| BaselineEntry {
                rule: f.rule.to_string(),
                path: f.path.clone(),
                snippet: f.baseline_text(),
            })
            .collect();
        entries.sort();
        Baseline {
            version: Self::VERSION,
            findings: entries,
        }
    }

    /// Remove findings recorded in the baseline (each entry absorbs one
    /// finding); returns how many were removed. A diagnostic about the
    /// scan itself (`analysis-limit`, `parse-error`) is never absorbed,
    /// even by a hand-written entry: an `analysis-limit` note accepted
    /// once would hide the next finding dropped at a cap.
    pub fn apply(&self, findings: &mut Vec<Finding>) -> usize {
        let mut budget: BTreeMap<(String, String, String), usize> = BTreeMap::new();
        for e in &self.findings {
            *budget
                .entry((e.rule.clone(), e.path.clone(), e.snippet.clone()))
                .or_default() += 1;
        }
        let before = findings.len();
        findings.retain(|f| {
            if rules::is_meta(f.rule) {
                return true;
            }
            let snippet = f.baseline_text();
            match budget.get_mut(&(f.rule.to_string(), f.path.clone(), snippet)) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    false
                }
                _ => true,
            }
        });
        before - findings.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_trailing_and_leading_comments() {
        let source = [
            "fn f() {",
            "    // tollgate:allow(weak-hash): ETag only, not security",
            "    // another comment",
            "    let d = md5::compute(x);",
            "    run(x); // tollgate:allow(sql-injection, ssrf): fixed input",
            "    // tollgate:allow(weak-hash)",
            "    // tollgate:allow(no-such-rule): because",
            "}",
        ]
        .join("\n");
        let lines: Vec<&str> = source.lines().collect();
        let found = parse(&source, &lines);
        assert_eq!(found.len(), 4);
        assert_eq!((found[0].line, found[0].target_line), (2, 4));
        assert!(found[0].problem.is_none());
        assert_eq!((found[1].line, found[1].target_line), (5, 5));
        assert_eq!(found[1].rules, vec!["sql-injection", "ssrf"]);
        assert!(found[2].problem.as_deref().unwrap().contains("no reason"));
        assert!(found[3]
            .problem
            .as_deref()
            .unwrap()
            .contains("no-such-rule"));
    }

    #[test]
    fn ignores_marker_in_string_literals() {
        let source = r#"let s = "// tollgate:allow(weak-hash): x";"#;
        assert!(parse(source, &[source]).is_empty());
    }
}
