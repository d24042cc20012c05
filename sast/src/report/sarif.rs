//! SARIF 2.1.0 for GitHub code scanning: every rule declared with
//! `helpUri`, `security-severity` and CWE tags; results with repo-relative
//! URIs and `partialFingerprints.primaryLocationLineHash`.

use crate::rules::{self, RULES};
use crate::{Config, Report};
use serde_json::{json, Value};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn pascal_case(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn rule_descriptor(rule: &rules::Rule, config: &Config) -> Value {
    let severity = config.severity_of(rule);
    let mut tags = vec!["security".to_string()];
    if rule.cwe > 0 {
        tags.push(format!("external/cwe/cwe-{}", rule.cwe));
    }
    json!({
        "id": rule.id,
        "name": pascal_case(rule.id),
        "shortDescription": { "text": rule.title },
        "fullDescription": { "text": rule.explanation },
        "help": {
            "text": format!("{}\n\nFix: {}", rule.explanation, rule.fix),
            "markdown": format!("{}\n\n**Fix:** {}", rule.explanation, rule.fix),
        },
        "helpUri": rule.help_uri(),
        "defaultConfiguration": { "level": severity.sarif_level() },
        "properties": {
            "tags": tags,
            "precision": rule.precision().as_str(),
            "security-severity": severity.security_severity(),
            "problem.severity": match severity.sarif_level() { "error" => "error", "warning" => "warning", _ => "recommendation" },
        },
    })
}

/// Render a SARIF log. `config` decides which rules are declared (all
/// enabled ones) and their severities.
pub fn render(report: &Report, config: &Config) -> String {
    let declared: Vec<&rules::Rule> = RULES.iter().filter(|r| config.is_enabled(r.id)).collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let rule_index = declared.iter().position(|r| r.id == f.rule);
            let mut result = json!({
                "ruleId": f.rule,
                "level": f.severity.sarif_level(),
                "message": { "text": f.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": f.path, "uriBaseId": "%SRCROOT%" },
                        "region": {
                            "startLine": f.line,
                            "startColumn": f.column,
                            "endLine": f.end_line.max(f.line),
                            "endColumn": if f.end_line > f.line || f.end_column > f.column { f.end_column } else { f.column + 1 },
                            "snippet": { "text": f.snippet },
                        },
                    },
                }],
                "partialFingerprints": { "primaryLocationLineHash": f.fingerprint },
                "properties": { "security-severity": f.severity.security_severity(), "severity": f.severity.as_str() },
            });
            if let (Some(index), Some(obj)) = (rule_index, result.as_object_mut()) {
                obj.insert("ruleIndex".into(), json!(index));
            }
            if !f.flow.is_empty() {
                let locations: Vec<Value> = f
                    .flow
                    .iter()
                    .map(|step| {
                        json!({
                            "location": {
                                "physicalLocation": {
                                    "artifactLocation": { "uri": step.path.as_deref().unwrap_or(&f.path), "uriBaseId": "%SRCROOT%" },
                                    "region": { "startLine": step.line },
                                },
                                "message": { "text": step.message },
                            }
                        })
                    })
                    .collect();
                if let Some(obj) = result.as_object_mut() {
                    obj.insert(
                        "codeFlows".into(),
                        json!([{ "threadFlows": [{ "locations": locations }] }]),
                    );
                }
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "tollgate",
                    "fullName": "Tollgate SAST for Rust",
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "version": rules::RULESET_VERSION,
                    "informationUri": "https://github.com/tollgate-dev/tollgate",
                    "rules": declared.iter().map(|r| rule_descriptor(r, config)).collect::<Vec<_>>(),
                },
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut out = serde_json::to_string_pretty(&log).unwrap_or_default();
    out.push('\n');
    out
}
