//! The Kubernetes manifests under `deploy/` stay consistent with the
//! webhook: it fails closed, runs two replicas, is started the way
//! `tollgate admission serve` expects, and the example policy validates.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use serde_json::Value;
use std::path::PathBuf;

fn deploy(file: &str) -> String {
    std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../deploy")
            .join(file),
    )
    .unwrap()
}

#[test]
fn webhook_manifests_fail_closed_and_scale() {
    let docs: Vec<Value> = deploy("webhook.yaml")
        .split("\n---\n")
        .map(|d| serde_saphyr::from_str(d).unwrap())
        .collect();
    let kind = |k: &str| {
        docs.iter()
            .find(|d| d["kind"] == k)
            .unwrap_or_else(|| panic!("no {k}"))
    };
    let hook = &kind("ValidatingWebhookConfiguration")["webhooks"][0];
    assert_eq!(hook["failurePolicy"], "Fail");
    assert_eq!(hook["clientConfig"]["service"]["path"], "/validate");
    let pin = &kind("MutatingWebhookConfiguration")["webhooks"][0];
    assert_eq!(pin["failurePolicy"], "Fail");
    assert_eq!(pin["clientConfig"]["service"]["path"], "/mutate");
    let resources: Vec<&str> = hook["rules"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["resources"].as_array().unwrap())
        .map(|r| r.as_str().unwrap())
        .collect();
    for r in [
        "pods",
        "deployments",
        "replicasets",
        "statefulsets",
        "daemonsets",
        "jobs",
        "cronjobs",
        "replicationcontrollers",
    ] {
        assert!(resources.contains(&r), "{r} not covered");
    }
    let deployment = kind("Deployment");
    assert_eq!(deployment["spec"]["replicas"], 2);
    let args: Vec<&str> = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(&args[..2], ["admission", "serve"]);
    for flag in [
        "--tls-cert=",
        "--decision-log=",
        "--log-key=",
        "--log-origin=",
    ] {
        assert!(args.iter().any(|a| a.starts_with(flag)), "no {flag}");
    }
    // Each replica signs its own log: the origin names the pod.
    let origin = args
        .iter()
        .find(|a| a.starts_with("--log-origin="))
        .unwrap();
    assert!(origin.ends_with("$(POD_NAME)"), "{origin}");
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    assert!(container["env"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["name"] == "POD_NAME"
            && e["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"));
    // Every file a flag names is on a mounted volume.
    let mounts: Vec<&str> = container["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["mountPath"].as_str().unwrap())
        .collect();
    for a in &args {
        if let Some((_, path)) = a.split_once("=/") {
            let path = format!("/{path}");
            assert!(
                mounts.iter().any(|m| path.starts_with(m)),
                "{a}: no volume is mounted there"
            );
        }
    }
    // The key Secret is readable by the non-root user (group read via fsGroup).
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(
        pod["securityContext"]["fsGroup"],
        pod["securityContext"]["runAsUser"]
    );
}

#[test]
fn example_policy_validates() {
    tollgate_verifier::policy::Policy::parse(&deploy("policy.yaml")).unwrap();
}
