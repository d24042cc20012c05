//! rustc-style text: `severity[rule]: message`, location, code frame, help.

use crate::rules::{self, Severity};
use crate::{Finding, Report};
use std::fmt::Write;

struct Palette {
    error: &'static str,
    warning: &'static str,
    note: &'static str,
    blue: &'static str,
    bold: &'static str,
    reset: &'static str,
}

const COLOR: Palette = Palette {
    error: "\x1b[1;31m",
    warning: "\x1b[1;33m",
    note: "\x1b[1;36m",
    blue: "\x1b[1;34m",
    bold: "\x1b[1m",
    reset: "\x1b[0m",
};
const PLAIN: Palette = Palette {
    error: "",
    warning: "",
    note: "",
    blue: "",
    bold: "",
    reset: "",
};

/// Render every finding, then a summary line.
pub fn render(report: &Report, color: bool) -> String {
    let palette = if color { &COLOR } else { &PLAIN };
    let mut out = String::new();
    for finding in &report.findings {
        render_finding(&mut out, finding, palette);
    }
    out.push_str(&summary(report));
    out.push('\n');
    out
}

fn render_finding(out: &mut String, f: &Finding, p: &Palette) {
    let label = f.severity.text_label();
    let color = match f.severity {
        Severity::Critical | Severity::High => p.error,
        Severity::Medium => p.warning,
        _ => p.note,
    };
    let _ = writeln!(
        out,
        "{color}{label}[{}]{}{}: {}{}",
        f.rule, p.reset, p.bold, f.message, p.reset
    );
    let gutter = f.line.to_string().len();
    let pad = " ".repeat(gutter);
    let _ = writeln!(
        out,
        "{pad}{}-->{} {}:{}:{}",
        p.blue, p.reset, f.path, f.line, f.column
    );
    if !f.snippet.is_empty() {
        let _ = writeln!(out, "{pad} {}|{}", p.blue, p.reset);
        let shown = f.snippet.replace('\t', "    ");
        let _ = writeln!(out, "{}{} |{} {}", p.blue, f.line, p.reset, shown);
        // Columns count characters; tabs were widened to four spaces.
        let prefix: String = f.snippet.chars().take(f.column.saturating_sub(1)).collect();
        let indent = prefix.replace('\t', "    ").chars().count();
        let line_chars = shown.chars().count();
        let end = if f.end_line == f.line && f.end_column > f.column {
            let width: String = f
                .snippet
                .chars()
                .skip(f.column - 1)
                .take(f.end_column - f.column)
                .collect();
            indent + width.replace('\t', "    ").chars().count()
        } else {
            line_chars.max(indent + 1)
        };
        let carets = "^".repeat(end.saturating_sub(indent).max(1));
        let _ = writeln!(
            out,
            "{pad} {}|{} {}{color}{carets}{}",
            p.blue,
            p.reset,
            " ".repeat(indent),
            p.reset
        );
        let _ = writeln!(out, "{pad} {}|{}", p.blue, p.reset);
    }
    for (i, step) in f.flow.iter().enumerate() {
        let place = match &step.path {
            Some(file) => format!("{file}:{}", step.line),
            None => format!("line {}", step.line),
        };
        let _ = writeln!(
            out,
            "{pad} {}={} {}path{} {}: {place}: {}",
            p.blue,
            p.reset,
            p.bold,
            p.reset,
            i + 1,
            step.message
        );
    }
    if let Some(rule) = rules::find(f.rule) {
        let _ = writeln!(
            out,
            "{pad} {}={} {}help{}: {}",
            p.blue, p.reset, p.bold, p.reset, rule.fix
        );
        if rule.cwe > 0 {
            let _ = writeln!(
                out,
                "{pad} {}={} {}note{}: CWE-{}, severity {}, see {}",
                p.blue,
                p.reset,
                p.bold,
                p.reset,
                rule.cwe,
                f.severity,
                rule.help_uri()
            );
        }
    }
    out.push('\n');
}

/// `tollgate sast: 3 findings (1 high, 2 medium) in 12 files, 1,024 lines; 1 suppressed inline`
pub fn summary(report: &Report) -> String {
    let mut counts = Vec::new();
    for sev in Severity::ALL.iter().rev() {
        let n = report
            .findings
            .iter()
            .filter(|f| f.severity == *sev)
            .count();
        if n > 0 {
            counts.push(format!("{n} {sev}"));
        }
    }
    let n = report.findings.len();
    let mut line = format!(
        "tollgate sast: {n} finding{}{} in {} file{}, {} lines",
        if n == 1 { "" } else { "s" },
        if counts.is_empty() {
            String::new()
        } else {
            format!(" ({})", counts.join(", "))
        },
        report.stats.files,
        if report.stats.files == 1 { "" } else { "s" },
        report.stats.lines
    );
    if report.stats.suppressed_inline > 0 {
        let _ = write!(
            line,
            "; {} suppressed inline",
            report.stats.suppressed_inline
        );
    }
    if report.stats.suppressed_baseline > 0 {
        let _ = write!(
            line,
            "; {} suppressed by baseline",
            report.stats.suppressed_baseline
        );
    }
    line
}
