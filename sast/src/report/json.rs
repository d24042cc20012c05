//! JSON output: the findings and scan counts, stable key order.

use crate::rules::RULESET_VERSION;
use crate::Report;
use serde_json::json;

/// The report as JSON: tool, versions, findings and counts.
pub fn render(report: &Report) -> String {
    let value = json!({
        "tool": "tollgate-sast",
        "version": env!("CARGO_PKG_VERSION"),
        "ruleset": RULESET_VERSION,
        "findings": report.findings,
        "stats": report.stats,
    });
    let mut out = serde_json::to_string_pretty(&value).unwrap_or_default();
    out.push('\n');
    out
}
