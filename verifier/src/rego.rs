//! Rego rules over verified attestations, evaluated with regorus (the
//! Rego interpreter in Rust), for conditions the built-in ones cannot say.
//!
//! A policy's `rego:` module must be `package tollgate` and define a set
//! `deny` of messages; the artifact is denied when it is not empty. The
//! input holds only verified facts: the subject, its digest, the
//! authorities that signed, and each verified attestation's predicate type
//! and predicate. Evaluation runs under a time limit; a module that fails
//! to evaluate is a deny (fail closed).

use serde_json::Value;
use std::num::NonZeroU32;
use std::time::Duration;

/// The package a policy's module must declare.
const PACKAGE: &str = "data.tollgate";

fn engine(source: &str) -> Result<regorus::Engine, String> {
    let mut engine = regorus::Engine::new();
    if let Some(check_interval) = NonZeroU32::new(1000) {
        engine.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
            limit: Duration::from_secs(1),
            check_interval,
        });
    }
    let package = engine
        .add_policy("policy.rego".into(), source.into())
        .map_err(|e| e.to_string())?;
    if package != PACKAGE {
        return Err(format!(
            "the module must be `package tollgate` (it is `{}`)",
            package.trim_start_matches("data.")
        ));
    }
    Ok(engine)
}

/// Parse the module; the error says what is wrong.
pub fn check(source: &str) -> Result<(), String> {
    engine(source).map(|_| ())
}

/// The `deny` messages for `input`, sorted.
pub fn deny(source: &str, input: &Value) -> Result<Vec<String>, String> {
    let mut engine = engine(source)?;
    let input = regorus::Value::from_json_str(&input.to_string()).map_err(|e| e.to_string())?;
    engine.set_input(input);
    let result = engine
        .eval_rule(format!("{PACKAGE}.deny"))
        .map_err(|e| e.to_string())?;
    if result == regorus::Value::Undefined {
        return Ok(Vec::new());
    }
    let set = result.as_set().map_err(|_| {
        "`deny` must be a set of messages (`deny contains msg if { ... }`)".to_string()
    })?;
    let mut messages: Vec<String> = set
        .iter()
        .map(|v| match v.as_string() {
            Ok(s) => s.to_string(),
            Err(_) => v.to_json_str().unwrap_or_default(),
        })
        .collect();
    messages.sort();
    Ok(messages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const MODULE: &str = r#"package tollgate

deny contains msg if {
    some a in input.attestations
    a.predicateType == "https://cyclonedx.org/bom"
    some c in a.predicate.components
    startswith(c.name, "openssl")
    msg := sprintf("crate %s is not allowed", [c.name])
}
"#;

    #[test]
    fn deny_messages_come_from_the_input() {
        let input = json!({"attestations": [{"predicateType": "https://cyclonedx.org/bom",
            "predicate": {"components": [{"name": "openssl-sys"}, {"name": "serde"}]}}]});
        assert_eq!(
            deny(MODULE, &input).unwrap(),
            ["crate openssl-sys is not allowed"]
        );
        assert!(deny(MODULE, &json!({"attestations": []}))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn bad_modules_are_errors() {
        assert!(check("package other\ndeny contains 1 if { true }\n")
            .unwrap_err()
            .contains("package tollgate"));
        assert!(check("package tollgate\ndeny contains if {").is_err());
        let not_a_set = "package tollgate\ndeny := 1\n";
        assert!(deny(not_a_set, &json!({})).unwrap_err().contains("set"));
    }
}
