//! Output formats over the shipped demo project: snapshots of text and
//! SARIF, and SARIF validated against the official 2.1.0 schema.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::path::PathBuf;
use tollgate_sast::{report, scan, Config, Options, Report};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn demo_report() -> Report {
    let root = repo_root();
    let options = Options {
        root: root.clone(),
        ..Options::default()
    };
    scan(&[root.join("demo").join("src")], &options).unwrap()
}

#[test]
fn text_output_snapshot() {
    insta::assert_snapshot!("demo_text", report::text::render(&demo_report(), false));
}

#[test]
fn sarif_output_snapshot() {
    insta::assert_snapshot!(
        "demo_sarif",
        report::sarif::render(&demo_report(), &Config::default())
    );
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let schema_path = repo_root().join("../shared/schemas/sarif-schema-2.1.0.json");
    let schema_text = std::fs::read_to_string(&schema_path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (the SARIF schema from ../shared is required)",
            schema_path.display()
        )
    });
    let schema: serde_json::Value = serde_json::from_str(&schema_text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut sarif: serde_json::Value =
        serde_json::from_str(&report::sarif::render(&demo_report(), &Config::default())).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF does not validate:\n{}",
        errors.join("\n")
    );
    // Control: the validator does reject a broken log.
    sarif["runs"][0]["results"][0]["level"] = serde_json::json!("fatal");
    assert!(
        !validator.is_valid(&sarif),
        "schema validation accepted an invalid level"
    );
}

#[test]
fn sarif_has_what_github_code_scanning_needs() {
    let sarif: serde_json::Value =
        serde_json::from_str(&report::sarif::render(&demo_report(), &Config::default())).unwrap();
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.len() >= 30);
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        assert!(rule["helpUri"]
            .as_str()
            .unwrap()
            .ends_with(&format!("#{id}")));
        let score: f64 = rule["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.1..=10.0).contains(&score));
        let tags: Vec<&str> = rule["properties"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert!(tags.contains(&"security"));
        if !tollgate_sast::rules::is_meta(id) {
            assert!(
                tags.iter().any(|t| t.starts_with("external/cwe/cwe-")),
                "{id}: {tags:?}"
            );
        }
    }
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for result in results {
        let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(uri.starts_with("demo/") && !uri.starts_with('/'), "{uri}");
        assert!(result["partialFingerprints"]["primaryLocationLineHash"]
            .as_str()
            .unwrap()
            .contains(':'));
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
}
