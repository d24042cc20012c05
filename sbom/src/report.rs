//! The result of `tollgate audit`, and its text, JSON and SARIF forms.

use crate::advisory_db::AdvisoryDb;
use crate::audit::{self, Finding, Kind, Severity};
use crate::config::AuditConfig;
use crate::diag::{Diagnostic, Level};
use crate::graph::Graph;
use crate::reachability::Reachability;
use crate::yanked::LocalIndex;
use crate::{policy, Error};
use serde::Serialize;
use serde_json::{json, Value};
use std::fmt::Write;

#[derive(Debug, Serialize)]
/// The advisory database a report used.
pub struct DatabaseSummary {
    /// Its path.
    pub path: String,
    /// How many advisories it holds.
    pub advisories: usize,
    /// Its commit, if it is a git checkout.
    pub commit: Option<String>,
    /// When it was last updated, Unix seconds.
    pub updated_at: Option<i64>,
    /// Its age in days.
    pub age_days: Option<i64>,
}

/// Unix seconds as RFC 3339 UTC (`2026-08-21T00:00:00Z`).
pub fn rfc3339(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    // Inverse of `days_from_civil` (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[derive(Debug)]
/// The result of `tollgate audit`: every check over one graph.
pub struct Report {
    /// The lockfile audited.
    pub lockfile: String,
    /// How many packages it lists.
    pub packages: usize,
    /// The database used.
    pub database: DatabaseSummary,
    /// Active findings.
    pub findings: Vec<Finding>,
    /// Findings an ignore matched.
    pub ignored: Vec<Finding>,
    /// Diagnostics of the database, ignores and policy checks.
    pub diagnostics: Vec<Diagnostic>,
    rustsec: Option<rustsec::Report>,
}

/// Run every check over one graph.
pub fn run(
    graph: &Graph,
    db: &AdvisoryDb,
    config: &AuditConfig,
    options: &audit::Options,
    index: Option<&LocalIndex>,
) -> Result<Report, Error> {
    for kind in &config.deny {
        if Kind::parse(kind).is_none() {
            return Err(Error::Config(format!("[audit] deny: unknown advisory kind `{kind}` (expected unmaintained, unsound, notice or yanked)")));
        }
    }
    let outcome = audit::check(graph, db, config, options, index)?;
    let mut diagnostics = outcome.diagnostics;
    if let Some(licenses) = &config.licenses {
        diagnostics.extend(policy::check_licenses(graph, licenses));
    }
    diagnostics.extend(policy::check_sources(graph, config));
    diagnostics.extend(policy::check_bans(graph, config)?);
    diagnostics.sort();
    Ok(Report {
        lockfile: graph.lockfile_path.display().to_string(),
        packages: graph.packages.len(),
        database: DatabaseSummary {
            path: db.path.display().to_string(),
            advisories: db.advisory_count,
            commit: db.commit.clone(),
            updated_at: db.updated_at,
            age_days: db.age_days(options.now),
        },
        findings: outcome.findings,
        ignored: outcome.ignored,
        diagnostics,
        rustsec: outcome.rustsec_report,
    })
}

/// One entry of the JSON report's `vulnerabilities.list`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedVulnerability {
    /// The advisory id (`RUSTSEC-2024-0363`).
    pub id: String,
    /// The affected crate.
    pub package: String,
    /// Its version.
    pub version: String,
    /// The advisory's title.
    pub title: String,
}

/// When the run fails.
#[derive(Clone, Debug, Default)]
pub struct FailPolicy {
    /// Fail on vulnerabilities at or above this CVSS severity; `None`: on
    /// every vulnerability. A vulnerability without a CVSS score always fails.
    pub fail_on: Option<Severity>,
    /// Informational kinds that fail too.
    pub deny: Vec<Kind>,
}

impl Report {
    /// The findings that are vulnerabilities.
    pub fn vulnerabilities(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.kind == Kind::Vulnerability)
    }

    /// Does the report fail the run under `policy`?
    pub fn failed(&self, policy: &FailPolicy) -> bool {
        let vuln_fails = self
            .vulnerabilities()
            .any(|f| match (policy.fail_on, f.severity) {
                (None, _) | (_, None) => true,
                (Some(threshold), Some(sev)) => sev >= threshold,
            });
        vuln_fails
            || self
                .findings
                .iter()
                .any(|f| f.kind != Kind::Vulnerability && policy.deny.contains(&f.kind))
            || self.diagnostics.iter().any(|d| d.level == Level::Error)
    }

    /// A one-line summary (counts by kind).
    pub fn summary(&self) -> String {
        let vulns = self.vulnerabilities().count();
        let warnings = self.findings.len() - vulns;
        let errors = self
            .diagnostics
            .iter()
            .filter(|d| d.level == Level::Error)
            .count();
        let mut s = format!(
            "tollgate audit: {vulns} vulnerabilit{} and {warnings} warning{} in {} packages; {errors} policy error{}",
            if vulns == 1 { "y" } else { "ies" },
            if warnings == 1 { "" } else { "s" },
            self.packages,
            if errors == 1 { "" } else { "s" }
        );
        if !self.ignored.is_empty() {
            let _ = write!(s, "; {} ignored", self.ignored.len());
        }
        let _ = write!(s, " (database: {} advisories", self.database.advisories);
        if let Some(age) = self.database.age_days {
            let _ = write!(s, ", {age} days old");
        }
        s.push(')');
        s
    }

    /// The report as rustc-style text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let groups = [
            ("Vulnerabilities", vec![Kind::Vulnerability]),
            (
                "Warnings",
                vec![
                    Kind::Unsound,
                    Kind::Unmaintained,
                    Kind::Notice,
                    Kind::Yanked,
                ],
            ),
        ];
        for (title, kinds) in groups {
            let items: Vec<&Finding> = self
                .findings
                .iter()
                .filter(|f| kinds.contains(&f.kind))
                .collect();
            if items.is_empty() {
                continue;
            }
            let _ = writeln!(out, "{title} ({})\n", items.len());
            for f in items {
                write_finding(&mut out, f);
            }
        }
        if !self.diagnostics.is_empty() {
            let _ = writeln!(
                out,
                "Policy and configuration ({})\n",
                self.diagnostics.len()
            );
            for d in &self.diagnostics {
                let level = if d.level == Level::Error {
                    "error"
                } else {
                    "warning"
                };
                let at = d
                    .lockfile_line
                    .map(|l| format!(" (Cargo.lock:{l})"))
                    .unwrap_or_default();
                let _ = writeln!(out, "  {level}[{}]: {}{at}", d.code, d.message);
            }
            out.push('\n');
        }
        if !self.ignored.is_empty() {
            let _ = writeln!(out, "Ignored ({})\n", self.ignored.len());
            for f in &self.ignored {
                let _ = writeln!(
                    out,
                    "  {} {} {}: {}",
                    f.id,
                    f.package,
                    f.version,
                    f.ignored.as_deref().unwrap_or("")
                );
            }
            out.push('\n');
        }
        out.push_str(&self.summary());
        out.push('\n');
        out
    }

    /// cargo-audit's JSON (`database`, `lockfile`, `settings`,
    /// `vulnerabilities`, `warnings`) so existing consumers keep working,
    /// plus Tollgate's own view under `tollgate`.
    pub fn to_json(&self) -> String {
        let mut value = self
            .rustsec
            .as_ref()
            .and_then(|r| serde_json::to_value(r).ok())
            .unwrap_or_else(|| json!({}));
        if let Some(obj) = value.as_object_mut() {
            // rustsec fills `database` only with its git feature; same keys here.
            obj.insert(
                "database".into(),
                json!({
                    "advisory-count": self.database.advisories,
                    "last-commit": self.database.commit,
                    "last-updated": self.database.updated_at.map(rfc3339),
                }),
            );
            obj.insert(
                "tollgate".into(),
                json!({
                    "lockfile": self.lockfile,
                    "packages": self.packages,
                    "database": self.database,
                    "findings": self.findings,
                    "ignored": self.ignored,
                    "diagnostics": self.diagnostics,
                }),
            );
        }
        let mut out = serde_json::to_string_pretty(&value).unwrap_or_default();
        out.push('\n');
        out
    }

    /// The vulnerabilities the JSON report lists (`vulnerabilities.list`),
    /// in its order.
    pub fn vulnerability_list(&self) -> Vec<ListedVulnerability> {
        self.rustsec
            .as_ref()
            .map(|r| {
                r.vulnerabilities
                    .list
                    .iter()
                    .map(|v| ListedVulnerability {
                        id: v.advisory.id.to_string(),
                        package: v.package.name.to_string(),
                        version: v.package.version.to_string(),
                        title: v.advisory.title.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// SARIF 2.1.0 with results at the package's line in `Cargo.lock`.
    pub fn to_sarif(&self, lockfile_uri: &str) -> String {
        let mut rules: Vec<Value> = Vec::new();
        let mut rule_ids: Vec<String> = Vec::new();
        let mut results: Vec<Value> = Vec::new();
        let mut rule_index = |id: &str, rule: Value, rules: &mut Vec<Value>| -> usize {
            match rule_ids.iter().position(|r| r == id) {
                Some(i) => i,
                None => {
                    rule_ids.push(id.to_string());
                    rules.push(rule);
                    rule_ids.len() - 1
                }
            }
        };
        for f in &self.findings {
            let score = f.score.unwrap_or(match f.kind {
                Kind::Vulnerability => 7.0,
                Kind::Unsound => 5.0,
                _ => 3.0,
            });
            let level = match f.kind {
                Kind::Vulnerability => "error",
                Kind::Unsound => "warning",
                _ => "note",
            };
            let help_uri = f
                .url
                .clone()
                .unwrap_or_else(|| format!("https://rustsec.org/advisories/{}", f.id));
            let rule = json!({
                "id": f.id,
                "shortDescription": {"text": f.title},
                "helpUri": help_uri,
                "defaultConfiguration": {"level": level},
                "properties": {"tags": ["security", "dependency", f.kind.as_str()], "security-severity": format!("{score:.1}")},
            });
            let index = rule_index(&f.id, rule, &mut rules);
            let fix = if f.patched.is_empty() {
                "no patched version".to_string()
            } else {
                format!("upgrade to {}", f.patched.join(" or "))
            };
            results.push(json!({
                "ruleId": f.id,
                "ruleIndex": index,
                "level": level,
                "message": {"text": format!("{} {}: {} ({}; reachability: {}; {fix})", f.package, f.version, f.title, f.kind.as_str(), f.reachability.label())},
                "locations": [location(lockfile_uri, f.lockfile_line)],
                "partialFingerprints": {"primaryLocationLineHash": format!("{}:{}@{}", f.id, f.package, f.version)},
            }));
        }
        for d in &self.diagnostics {
            let level = if d.level == Level::Error {
                "error"
            } else {
                "warning"
            };
            let rule = json!({
                "id": d.code,
                "shortDescription": {"text": d.code.as_str().replace('-', " ")},
                "helpUri": format!("https://github.com/tollgate-dev/tollgate/blob/main/docs/audit.md#{}", d.code),
                "properties": {"tags": ["security", "dependency", "policy"], "security-severity": if d.level == Level::Error { "5.0" } else { "2.0" }},
            });
            let index = rule_index(d.code.as_str(), rule, &mut rules);
            results.push(json!({
                "ruleId": d.code,
                "ruleIndex": index,
                "level": level,
                "message": {"text": d.message},
                "locations": [location(lockfile_uri, d.lockfile_line)],
                "partialFingerprints": {"primaryLocationLineHash": format!("{}:{}", d.code, d.package.as_deref().unwrap_or(""))},
            }));
        }
        let log = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {"name": "tollgate-audit", "semanticVersion": env!("CARGO_PKG_VERSION"), "informationUri": "https://github.com/tollgate-dev/tollgate", "rules": rules}},
                "results": results,
            }],
        });
        let mut out = serde_json::to_string_pretty(&log).unwrap_or_default();
        out.push('\n');
        out
    }
}

fn location(uri: &str, line: Option<usize>) -> Value {
    json!({"physicalLocation": {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"}, "region": {"startLine": line.unwrap_or(1)}}})
}

fn write_finding(out: &mut String, f: &Finding) {
    let severity = match (f.severity, f.score) {
        (Some(sev), Some(score)) => format!(
            "{} {score:.1}",
            serde_json::to_value(sev)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        ),
        _ => "no CVSS".to_string(),
    };
    let _ = writeln!(
        out,
        "  {} {} {} [{}, {severity}]",
        f.id,
        f.package,
        f.version,
        f.kind.as_str()
    );
    let _ = writeln!(out, "    {}", f.title);
    if f.path.len() > 1 {
        let _ = writeln!(out, "    path:      {}", f.path.join(" -> "));
    }
    match &f.reachability {
        Reachability::Reachable { call_sites } => {
            let _ = writeln!(out, "    reachable: called from {}", sites(call_sites));
        }
        Reachability::NotReachable => {
            let _ = writeln!(
                out,
                "    not reachable: no call to an affected function in the workspace"
            );
        }
        Reachability::Unknown { reason, candidates } => {
            let extra = if candidates.is_empty() {
                String::new()
            } else {
                format!(" (candidates: {})", sites(candidates))
            };
            let _ = writeln!(out, "    reachability unknown: {reason}{extra}");
        }
    }
    if !f.patched.is_empty() {
        let _ = writeln!(out, "    fix:       upgrade to {}", f.patched.join(" or "));
    } else if f.kind == Kind::Vulnerability {
        let _ = writeln!(
            out,
            "    fix:       no patched version; replace the dependency"
        );
    }
    if let Some(url) = &f.url {
        let _ = writeln!(out, "    {url}");
    }
    out.push('\n');
}

fn sites(sites: &[crate::reachability::Site]) -> String {
    sites
        .iter()
        .map(|s| {
            format!(
                "{}:{}:{} ({}, by {})",
                s.file, s.line, s.column, s.function, s.matched_by
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_rfc3339() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            super::rfc3339(1_787_270_400 + 3_723),
            "2026-08-21T01:02:03Z"
        );
    }
}
