//! `tollgate sast`.

use crate::{config, output, EXIT_FINDINGS};
use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use tollgate_sast::{report, rules, Baseline, Severity};

pub use crate::output::ReportFormat as Format;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FailOn {
    Note,
    Low,
    Medium,
    High,
    Critical,
    Never,
}

#[derive(Args, Debug)]
#[command(
    after_help = "Suppress one finding with a comment on its line or the line before:\n    // tollgate:allow(sql-injection): table name comes from a fixed enum\n\nExit status: 0 no findings at or above --fail-on, 1 findings, 2 usage/config/input error."
)]
pub struct SastArgs {
    /// Files or directories to scan.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit with status 1 when a finding has at least this severity.
    #[arg(long, value_enum, default_value = "low")]
    pub fail_on: FailOn,
    /// Also scan test code (`#[cfg(test)]`, `#[test]`, `tests/`, `benches/`).
    #[arg(long)]
    pub include_tests: bool,
    /// Rules to run when the configuration has no `enable` list: `default`
    /// (high precision) or `extended` (also log-injection and the unsafe-code
    /// lints raw-parts-dynamic-length, get-unchecked-dynamic-index and
    /// mem-transmute). Overrides `[sast] suite`.
    #[arg(long, value_enum, value_name = "SUITE")]
    pub suite: Option<SuiteArg>,
    /// Configuration file (default: the nearest `tollgate.toml` at or above the first path).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Hide findings recorded in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record the current findings as the accepted baseline and exit 0.
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    pub write_baseline: Option<PathBuf>,
    /// List the rules and exit.
    #[arg(long)]
    pub list_rules: bool,
    /// Explain one rule and exit.
    #[arg(long, value_name = "RULE")]
    pub explain: Option<String>,
}

/// `--suite`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum SuiteArg {
    /// The high-precision rules.
    Default,
    /// Every rule.
    Extended,
}

pub fn run(args: SastArgs) -> Result<u8> {
    if args.list_rules {
        output::write(args.output.as_deref(), &list_rules(args.format))?;
        return Ok(0);
    }
    if let Some(rule_id) = &args.explain {
        let Some(rule) = rules::find(rule_id) else {
            bail!("unknown rule `{rule_id}` (see `tollgate sast --list-rules`)");
        };
        let text = format!(
            "{} ({}, CWE-{}, default severity {})\n\n{}\n\nFix: {}\n\nDocs: {}\n",
            rule.id,
            rule.title,
            rule.cwe,
            rule.severity,
            rule.explanation,
            rule.fix,
            rule.help_uri()
        );
        output::write(None, &text)?;
        return Ok(0);
    }

    let plan = plan(&args)?;
    let interactive = std::io::stderr().is_terminal() && !output::quiet();
    if interactive {
        eprint!("tollgate sast: scanning {} ...\r", plan.first.display());
    }
    let scanned = scan(&plan);
    if interactive {
        eprint!("\x1b[2K");
    }
    let report = scanned?;

    if let Some(path) = &args.write_baseline {
        let baseline = Baseline::from_findings(&report.findings);
        let mut text = serde_json::to_string_pretty(&baseline)?;
        text.push('\n');
        output::write_atomic(path, text.as_bytes())?;
        output::info!(
            "tollgate sast: wrote {} findings to baseline {}",
            baseline.findings.len(),
            path.display()
        );
        return Ok(0);
    }

    let outcome = render(&plan, report);
    output::write(plan.output.as_deref(), &outcome.rendered)?;
    if !matches!(plan.format, Format::Text) || plan.output.is_some() {
        output::info!("{}", report::text::summary(&outcome.report));
    }
    Ok(outcome.code)
}

/// A scan decided from the arguments and `tollgate.toml`, before any
/// source file is read.
#[derive(Debug)]
pub struct Plan {
    /// The first path given (names the scan in messages).
    pub first: PathBuf,
    pub targets: Vec<PathBuf>,
    pub options: tollgate_sast::Options,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub fail_on: FailOn,
}

/// What a scan found, rendered as its plan asked.
#[derive(Debug)]
pub struct Outcome {
    pub report: tollgate_sast::Report,
    /// The report in the plan's format (what `-o` receives).
    pub rendered: String,
    /// 0, or [`EXIT_FINDINGS`] for findings at or above `--fail-on`.
    pub code: u8,
}

/// Arguments and configuration to a [`Plan`]: paths, configuration and
/// baseline are checked here.
pub fn plan(args: &SastArgs) -> Result<Plan> {
    let first = args
        .paths
        .first()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."));
    if !first.exists() {
        bail!("{}: no such file or directory", first.display());
    }
    let loaded = config::load(args.config.as_deref(), &first)?;
    let root = config::repo_root(&first)
        .or_else(|| loaded.dir.clone())
        .map(Ok::<PathBuf, std::io::Error>)
        .unwrap_or_else(|| {
            // Absolute first: a bare `t.rs` has an empty parent.
            let absolute = std::path::absolute(&first)?;
            Ok(if absolute.is_file() {
                absolute
                    .parent()
                    .map_or(absolute.clone(), Path::to_path_buf)
            } else {
                absolute
            })
        })
        .with_context(|| format!("{}: cannot resolve the scan root", first.display()))?;
    let baseline = match &args.baseline {
        Some(path) => Some(read_baseline(path)?),
        None => None,
    };
    let targets: Vec<PathBuf> = args
        .paths
        .iter()
        .map(|p| {
            std::path::absolute(p).with_context(|| format!("{}: cannot resolve path", p.display()))
        })
        .collect::<Result<_>>()?;
    let mut config = loaded.config.sast.clone();
    if let Some(suite) = args.suite {
        config.suite = match suite {
            SuiteArg::Default => tollgate_sast::rules::Suite::Default,
            SuiteArg::Extended => tollgate_sast::rules::Suite::Extended,
        };
    }
    let options = tollgate_sast::Options {
        config,
        config_dir: loaded.dir.as_ref().map(std::path::absolute).transpose()?,
        root,
        include_tests: args.include_tests,
        baseline,
    };
    Ok(Plan {
        first,
        targets,
        options,
        format: args.format,
        output: args.output.clone(),
        fail_on: args.fail_on,
    })
}

/// The scan itself.
fn scan(plan: &Plan) -> Result<tollgate_sast::Report> {
    Ok(tollgate_sast::scan(&plan.targets, &plan.options)?)
}

/// The report rendered in the plan's format, and the exit code it earns.
fn render(plan: &Plan, report: tollgate_sast::Report) -> Outcome {
    let rendered = match plan.format {
        Format::Text => {
            // The global --color: a terminal on standard output, or `always`.
            let color = match plan.output.as_deref() {
                Some(path) if !output::is_stdout(path) => output::color_file(),
                _ => output::color_stdout(),
            };
            report::text::render(&report, color)
        }
        Format::Json => report::json::render(&report),
        Format::Sarif => report::sarif::render(&report, &plan.options.config),
    };
    let threshold = match plan.fail_on {
        FailOn::Never => None,
        FailOn::Note => Some(Severity::Note),
        FailOn::Low => Some(Severity::Low),
        FailOn::Medium => Some(Severity::Medium),
        FailOn::High => Some(Severity::High),
        FailOn::Critical => Some(Severity::Critical),
    };
    let code = match threshold {
        Some(t) if report.count_at_least(t) > 0 => EXIT_FINDINGS,
        _ => 0,
    };
    Outcome {
        report,
        rendered,
        code,
    }
}

/// Scan and render: everything `tollgate sast` does except writing.
pub fn execute(plan: &Plan) -> Result<Outcome> {
    Ok(render(plan, scan(plan)?))
}

fn read_baseline(path: &std::path::Path) -> Result<Baseline> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read baseline", path.display()))?;
    let baseline: Baseline =
        serde_json::from_str(&text).map_err(|e| tollgate_sast::Error::Baseline {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    if baseline.version != Baseline::VERSION {
        bail!(
            "{}: baseline version {} is not supported (expected {})",
            path.display(),
            baseline.version,
            Baseline::VERSION
        );
    }
    Ok(baseline)
}

fn list_rules(format: Format) -> String {
    match format {
        Format::Json | Format::Sarif => {
            let list: Vec<_> = rules::RULES
                .iter()
                .map(|r| serde_json::json!({"id": r.id, "title": r.title, "cwe": r.cwe, "severity": r.severity, "precision": r.precision(), "helpUri": r.help_uri()}))
                .collect();
            serde_json::to_string_pretty(&list).unwrap_or_default() + "\n"
        }
        Format::Text => {
            let mut out = String::new();
            for r in rules::RULES {
                out.push_str(&format!(
                    "{:<30} {:<9} {:<7} CWE-{:<5} {}\n",
                    r.id,
                    r.severity.as_str(),
                    r.precision().as_str(),
                    r.cwe,
                    r.title
                ));
            }
            out
        }
    }
}
