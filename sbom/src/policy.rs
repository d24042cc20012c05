//! cargo-deny's other checks over the same graph: licences, sources, bans.

use crate::config::{AuditConfig, LicensesConfig, LintLevel};
use crate::diag::{code, Diagnostic, Level};
use crate::graph::{Graph, Source};
use std::collections::BTreeMap;

fn level(lint: LintLevel) -> Option<Level> {
    match lint {
        LintLevel::Allow => None,
        LintLevel::Warn => Some(Level::Warning),
        LintLevel::Deny => Some(Level::Error),
    }
}

/// Licences: every dependency's SPDX expression must be satisfiable with
/// the allowed ids (plus the crate's exceptions). Missing or unparsable
/// expressions are findings. Without manifests (a bare lockfile) licences
/// are unknown, which is said rather than passed silently.
pub fn check_licenses(graph: &Graph, config: &LicensesConfig) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if !graph.from_metadata {
        out.push(Diagnostic::new(
            Level::Warning,
            code::LICENSE_UNKNOWN,
            "licences cannot be checked from a Cargo.lock alone; point at the project's Cargo.toml",
        ));
        return out;
    }
    for p in graph.packages.iter().filter(|p| !p.workspace_member) {
        let line = graph.lockfile_line(&p.name, &p.version);
        let Some(expression) = p.license.as_deref() else {
            let detail = match &p.license_file {
                Some(file) => format!(
                    "{} declares only a licence file ({file}), no SPDX expression",
                    p.id()
                ),
                None => format!("{} declares no licence", p.id()),
            };
            out.push(
                Diagnostic::new(Level::Error, code::LICENSE_MISSING, detail)
                    .for_package(p.id(), line),
            );
            continue;
        };
        let parsed = match spdx::Expression::parse_mode(expression, spdx::ParseMode::LAX) {
            Ok(parsed) => parsed,
            Err(e) => {
                out.push(
                    Diagnostic::new(
                        Level::Error,
                        code::LICENSE_UNPARSABLE,
                        format!(
                            "{}: licence `{expression}` is not a valid SPDX expression: {}",
                            p.id(),
                            e.reason
                        ),
                    )
                    .for_package(p.id(), line),
                );
                continue;
            }
        };
        let exceptions: Vec<&String> = config
            .exceptions
            .iter()
            .filter(|e| e.name == p.name)
            .flat_map(|e| e.allow.iter())
            .collect();
        let allowed = |req: &spdx::LicenseReq| match &req.license {
            spdx::LicenseItem::Spdx { id, .. } => config
                .allow
                .iter()
                .chain(exceptions.iter().copied())
                .any(|a| a == id.name),
            spdx::LicenseItem::Other { .. } => false,
        };
        if !parsed.evaluate(allowed) {
            out.push(
                Diagnostic::new(
                    Level::Error,
                    code::LICENSE_NOT_ALLOWED,
                    format!("{}: licence `{expression}` is not allowed", p.id()),
                )
                .for_package(p.id(), line),
            );
        }
    }
    out
}

/// Sources: crates.io and listed registries; git repositories under a
/// listed URL prefix.
pub fn check_sources(graph: &Graph, config: &AuditConfig) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let sources = &config.sources;
    for p in &graph.packages {
        let line = graph.lockfile_line(&p.name, &p.version);
        match &p.source {
            Source::Registry { url }
                if !p.source.is_crates_io()
                    && !sources
                        .allow_registry
                        .iter()
                        .any(|a| a.trim_end_matches('/') == url.trim_end_matches('/')) =>
            {
                if let Some(level) = level(sources.unknown_registry) {
                    out.push(
                        Diagnostic::new(
                            level,
                            code::SOURCE_NOT_ALLOWED,
                            format!("{} comes from registry {url}, which is not allowed", p.id()),
                        )
                        .for_package(p.id(), line),
                    );
                }
            }
            Source::Git { url, .. }
                if !sources
                    .allow_git
                    .iter()
                    .any(|prefix| url.starts_with(prefix.as_str())) =>
            {
                if let Some(level) = level(sources.unknown_git) {
                    out.push(
                        Diagnostic::new(
                            level,
                            code::SOURCE_NOT_ALLOWED,
                            format!(
                                "{} comes from git repository {url}, which is not allowed",
                                p.id()
                            ),
                        )
                        .for_package(p.id(), line),
                    );
                }
            }
            _ => {}
        }
    }
    out
}

/// Bans: denied crates (optionally by version), and several versions of one crate.
pub fn check_bans(graph: &Graph, config: &AuditConfig) -> Result<Vec<Diagnostic>, crate::Error> {
    let mut out = Vec::new();
    for ban in &config.bans.deny {
        let req = match &ban.version {
            Some(v) => Some(semver::VersionReq::parse(v).map_err(|e| {
                crate::Error::Config(format!("[audit.bans] {}: version `{v}`: {e}", ban.name))
            })?),
            None => None,
        };
        for p in graph
            .packages
            .iter()
            .filter(|p| p.name == ban.name && req.as_ref().is_none_or(|r| r.matches(&p.version)))
        {
            let line = graph.lockfile_line(&p.name, &p.version);
            out.push(
                Diagnostic::new(
                    Level::Error,
                    code::BANNED,
                    format!("{} is banned: {}", p.id(), ban.reason),
                )
                .for_package(p.id(), line),
            );
        }
    }
    if let Some(level) = level(config.bans.multiple_versions) {
        let mut versions: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for p in &graph.packages {
            versions
                .entry(&p.name)
                .or_default()
                .push(p.version.to_string());
        }
        for (name, list) in versions.into_iter().filter(|(_, l)| l.len() > 1) {
            out.push(
                Diagnostic::new(
                    level,
                    code::DUPLICATE,
                    format!(
                        "{name} appears in {} versions: {}",
                        list.len(),
                        list.join(", ")
                    ),
                )
                .for_package(name.to_string(), None),
            );
        }
    }
    Ok(out)
}
