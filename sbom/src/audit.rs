//! The advisory check: vulnerabilities and informational advisories
//! (unmaintained, unsound, notice, yanked) for the packages in the graph,
//! with ignores, database age and reachability.

use crate::advisory_db::{days_from_civil, AdvisoryDb};
use crate::config::AuditConfig;
use crate::diag::{code, Diagnostic, Level};
use crate::graph::Graph;
use crate::reachability::{self, Reachability};
use crate::yanked::LocalIndex;
use crate::Error;
use serde::Serialize;

/// What the advisory is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A security vulnerability.
    Vulnerability,
    /// Informational: the crate is unsound.
    Unsound,
    /// Informational: the crate is unmaintained.
    Unmaintained,
    /// Informational: a notice.
    Notice,
    /// The version is yanked from its registry.
    Yanked,
}

impl Kind {
    /// The kind as `[audit] deny` and reports spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Vulnerability => "vulnerability",
            Kind::Unsound => "unsound",
            Kind::Unmaintained => "unmaintained",
            Kind::Notice => "notice",
            Kind::Yanked => "yanked",
        }
    }

    /// Parse a kind as `[audit] deny` spells it.
    pub fn parse(s: &str) -> Option<Kind> {
        [
            Kind::Vulnerability,
            Kind::Unsound,
            Kind::Unmaintained,
            Kind::Notice,
            Kind::Yanked,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// CVSS qualitative severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// No CVSS score, or a score of 0.
    None,
    /// CVSS 0.1–3.9.
    Low,
    /// CVSS 4.0–6.9.
    Medium,
    /// CVSS 7.0–8.9.
    High,
    /// CVSS 9.0–10.0.
    Critical,
}

impl Severity {
    /// Parse a severity name (any case).
    pub fn parse(s: &str) -> Option<Severity> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Some(Severity::None),
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

/// One advisory affecting one package.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// The advisory id (`RUSTSEC-…`).
    pub id: String,
    /// What kind of advisory it is.
    pub kind: Kind,
    /// The affected crate's name.
    pub package: String,
    /// The affected version in the graph.
    pub version: String,
    /// The advisory's title.
    pub title: String,
    /// The advisory's date (`YYYY-MM-DD`).
    pub date: String,
    /// CVSS severity, when the advisory has a CVSS vector.
    pub severity: Option<Severity>,
    /// The CVSS vector, if the advisory has one.
    pub cvss: Option<String>,
    /// The CVSS base score, if any.
    pub score: Option<f64>,
    /// Other ids of the same issue (CVE, GHSA).
    pub aliases: Vec<String>,
    /// Where to read more.
    pub url: Option<String>,
    /// Version requirements that fix it.
    pub patched: Vec<String>,
    /// Dependency path from a workspace member: `["app@0.1.0", "hyper@0.14.9"]`.
    pub path: Vec<String>,
    /// Whether the workspace calls the affected functions.
    pub reachability: Reachability,
    /// Line of the package's entry in `Cargo.lock`.
    pub lockfile_line: Option<usize>,
    /// The reason from `tollgate.toml` when the advisory is ignored.
    pub ignored: Option<String>,
}

#[derive(Clone, Debug)]
/// How an audit runs: the time, the database age limit and the `[audit]` settings.
pub struct Options {
    /// Current time, Unix seconds (injectable for tests).
    pub now: i64,
    /// Warn when the database is older than this.
    pub max_db_age: std::time::Duration,
    /// Analyse workspace code for calls to affected functions.
    pub reachability: bool,
    /// Only advisories that apply to this target triple (OS/arch-specific
    /// advisories for other platforms are left out).
    pub target: Option<String>,
}

#[derive(Debug, Default)]
/// What an audit found: findings, ignored findings and diagnostics.
pub struct Outcome {
    /// Active findings, sorted by kind, package, id.
    pub findings: Vec<Finding>,
    /// Findings matched by an ignore (still listed, never hidden silently).
    pub ignored: Vec<Finding>,
    /// Warnings and errors about the database and the ignores.
    pub diagnostics: Vec<Diagnostic>,
    /// The report in cargo-audit's JSON shape (ignores applied).
    pub rustsec_report: Option<rustsec::Report>,
}

/// One advisory match as rustsec reports it, before it becomes a [`Finding`].
type RawAdvisory<'a> = (
    Kind,
    &'a rustsec::advisory::Metadata,
    &'a rustsec::package::Package,
    Option<&'a rustsec::advisory::Affected>,
    Option<&'a rustsec::advisory::Versions>,
);

fn settings(
    ignore: Vec<rustsec::advisory::Id>,
    target: Option<&rustsec::platforms::Platform>,
) -> rustsec::report::Settings {
    rustsec::report::Settings {
        ignore,
        target_arch: target.map(|p| vec![p.target_arch]).unwrap_or_default(),
        target_os: target.map(|p| vec![p.target_os]).unwrap_or_default(),
        informational_warnings: vec![
            rustsec::advisory::Informational::Unmaintained,
            rustsec::advisory::Informational::Unsound,
            rustsec::advisory::Informational::Notice,
        ],
        ..Default::default()
    }
}

/// Match the graph against the advisory database, applying ignores and reachability.
pub fn check(
    graph: &Graph,
    db: &AdvisoryDb,
    config: &AuditConfig,
    options: &Options,
    index: Option<&LocalIndex>,
) -> Result<Outcome, Error> {
    let mut outcome = Outcome::default();
    let today = options.now.div_euclid(86_400);
    let platform =
        match &options.target {
            Some(triple) => Some(rustsec::platforms::Platform::find(triple).ok_or_else(|| {
                Error::Config(format!("--target {triple}: unknown target triple"))
            })?),
            None => None,
        };

    if let (Some(updated), Some(age)) = (db.updated_at, db.age_days(options.now)) {
        let seconds = u64::try_from((options.now - updated).max(0)).unwrap_or(0);
        if seconds > options.max_db_age.as_secs() {
            let max = options.max_db_age.as_secs();
            let max = if max % 86_400 == 0 {
                format!("{} days", max / 86_400)
            } else {
                format!("{} hours", max / 3_600)
            };
            outcome.diagnostics.push(Diagnostic::new(
                Level::Warning,
                code::DB_STALE,
                format!("advisory database at {} is {age} days old (more than {max}); run `tollgate db fetch`", db.path.display()),
            ));
        }
    }

    // Ignores: unknown ids and expired entries are errors; an expired
    // ignore no longer applies.
    let mut active_ignores: Vec<(rustsec::advisory::Id, &str)> = Vec::new();
    for entry in &config.ignore {
        let parsed: Result<rustsec::advisory::Id, _> = entry.id.parse();
        let known = parsed.as_ref().ok().and_then(|id| db.db.get(id));
        let Some(advisory) = known else {
            outcome.diagnostics.push(Diagnostic::new(
                Level::Error,
                code::IGNORE_UNKNOWN,
                format!(
                    "ignored advisory `{}` is not in the advisory database",
                    entry.id
                ),
            ));
            continue;
        };
        if let Some(expires) = &entry.expires {
            let (y, m, d) = expires.ymd().map_err(|message| {
                Error::Config(format!("[audit] ignore {}: expires {message}", entry.id))
            })?;
            if days_from_civil(y, m, d) < today {
                outcome.diagnostics.push(Diagnostic::new(
                    Level::Error,
                    code::IGNORE_EXPIRED,
                    format!(
                        "ignore of {} expired on {y:04}-{m:02}-{d:02}: {}",
                        entry.id, entry.reason
                    ),
                ));
                continue;
            }
        }
        active_ignores.push((advisory.id().clone(), entry.reason.as_str()));
    }

    let full = rustsec::Report::generate(&db.db, &graph.lockfile, &settings(Vec::new(), platform));
    let compat = rustsec::Report::generate(
        &db.db,
        &graph.lockfile,
        &settings(
            active_ignores.iter().map(|(id, _)| id.clone()).collect(),
            platform,
        ),
    );

    let mut raw: Vec<RawAdvisory> = Vec::new();
    for v in &full.vulnerabilities.list {
        let kind = match v.advisory.informational {
            Some(rustsec::advisory::Informational::Unsound) => Kind::Unsound,
            _ => Kind::Vulnerability,
        };
        raw.push((
            kind,
            &v.advisory,
            &v.package,
            v.affected.as_ref(),
            Some(&v.versions),
        ));
    }
    for warnings in full.warnings.values() {
        for w in warnings {
            let Some(meta) = &w.advisory else { continue };
            let kind = match w.kind {
                rustsec::WarningKind::Unmaintained => Kind::Unmaintained,
                rustsec::WarningKind::Unsound => Kind::Unsound,
                rustsec::WarningKind::Yanked => Kind::Yanked,
                _ => Kind::Notice,
            };
            raw.push((
                kind,
                meta,
                &w.package,
                w.affected.as_ref(),
                w.versions.as_ref(),
            ));
        }
    }

    let calls = if options.reachability && graph.from_metadata {
        Some(reachability::workspace_calls(graph)?)
    } else {
        None
    };
    let mut matched_ignores = vec![false; active_ignores.len()];
    let mut seen = std::collections::BTreeSet::new();
    for (kind, meta, package, affected, versions) in raw {
        if !seen.insert((
            meta.id.to_string(),
            package.name.as_str().to_string(),
            package.version.to_string(),
        )) {
            continue;
        }
        let version = &package.version;
        let index_in_graph = graph.find(package.name.as_str(), version);
        let path = index_in_graph
            .and_then(|i| graph.path_to(i))
            .unwrap_or_default()
            .iter()
            .map(|i| graph.packages[*i].id())
            .collect();
        let reachability = match &calls {
            Some(calls) => reachability::assess(affected, version, calls),
            None if options.reachability => Reachability::Unknown {
                reason: "no source code: only a Cargo.lock was given".into(),
                candidates: Vec::new(),
            },
            None => Reachability::Unknown {
                reason: "reachability analysis turned off".into(),
                candidates: Vec::new(),
            },
        };
        let ignore = active_ignores.iter().position(|(id, _)| *id == meta.id);
        if let Some(i) = ignore {
            matched_ignores[i] = true;
        }
        let finding = Finding {
            id: meta.id.to_string(),
            kind,
            package: package.name.as_str().to_string(),
            version: version.to_string(),
            title: meta.title.clone(),
            date: meta.date.as_str().to_string(),
            severity: meta
                .cvss
                .as_ref()
                .and_then(|c| Severity::parse(c.severity().as_str())),
            cvss: meta.cvss.as_ref().map(|c| c.to_string()),
            score: meta
                .cvss
                .as_ref()
                .map(|c| (c.score() * 10.0).round() / 10.0),
            aliases: meta.aliases.iter().map(|a| a.to_string()).collect(),
            url: meta.url.as_ref().map(|u| u.to_string()),
            patched: versions
                .map(|v| v.patched().iter().map(|r| r.to_string()).collect())
                .unwrap_or_default(),
            path,
            reachability,
            lockfile_line: graph.lockfile_line(package.name.as_str(), version),
            ignored: ignore.map(|i| active_ignores[i].1.to_string()),
        };
        if finding.ignored.is_some() {
            outcome.ignored.push(finding);
        } else {
            outcome.findings.push(finding);
        }
    }

    // Yanked versions, from the local index cache when there is one.
    if let Some(index) = index {
        for p in graph.packages.iter().filter(|p| p.source.is_crates_io()) {
            if index.is_yanked(&p.name, &p.version.to_string()) == Some(true) {
                outcome.findings.push(Finding {
                    id: format!("yanked:{}", p.id()),
                    kind: Kind::Yanked,
                    package: p.name.clone(),
                    version: p.version.to_string(),
                    title: format!("{} {} is yanked from crates.io", p.name, p.version),
                    date: String::new(),
                    severity: None,
                    cvss: None,
                    score: None,
                    aliases: Vec::new(),
                    url: None,
                    patched: Vec::new(),
                    path: graph
                        .find(&p.name, &p.version)
                        .and_then(|i| graph.path_to(i))
                        .unwrap_or_default()
                        .iter()
                        .map(|i| graph.packages[*i].id())
                        .collect(),
                    reachability: Reachability::Unknown {
                        reason: "not applicable".into(),
                        candidates: Vec::new(),
                    },
                    lockfile_line: graph.lockfile_line(&p.name, &p.version),
                    ignored: None,
                });
            }
        }
    }

    for (i, (id, _)) in active_ignores.iter().enumerate() {
        if !matched_ignores[i] {
            outcome.diagnostics.push(Diagnostic::new(
                Level::Warning,
                code::IGNORE_UNMATCHED,
                format!("ignore of {id} matched no package in the lockfile"),
            ));
        }
    }
    outcome.findings.sort_by(|a, b| {
        (a.kind, &a.package, &a.version, &a.id).cmp(&(b.kind, &b.package, &b.version, &b.id))
    });
    outcome
        .ignored
        .sort_by(|a, b| (&a.id, &a.package).cmp(&(&b.id, &b.package)));
    outcome.rustsec_report = Some(compat);
    Ok(outcome)
}
