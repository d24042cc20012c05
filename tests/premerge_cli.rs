//! `tollgate pre-merge` and `tollgate hook` end to end, in a real git
//! repository: a feature branch that adds a command injection next to an
//! old finding, downgrades a dependency into known advisories and touches a
//! critical path; the pre-push hook then stops the push.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use crate::support::{self, repo_root, tollgate};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn git(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@t.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@t.invalid")
        .output()
        .unwrap();
    out
}

/// `tollgate pre-merge --format json` with the shared advisory database.
fn pre_merge_json(dir: &Path) -> Output {
    tollgate(
        &[
            "pre-merge",
            "--advisory-db",
            support::advisory_db().to_str().unwrap(),
            "--format",
            "json",
        ],
        dir,
    )
}

/// `pre-merge --format json` that must block the change (exit 1): its report.
fn blocked_report(dir: &Path) -> Value {
    let o = pre_merge_json(dir);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

const OLD_MAIN: &str = "fn main() {\n    let dir = std::env::var(\"OUT\").unwrap();\n    let _ = std::process::Command::new(dir).status();\n}\n";

const NEW_MAIN: &str = "fn main() {\n    let dir = std::env::var(\"OUT\").unwrap();\n    let _ = std::process::Command::new(dir).status();\n    let tool = std::env::args().nth(1).unwrap_or_default();\n    let _ = std::process::Command::new(\"sh\").arg(\"-c\").arg(tool).status();\n}\n";

/// main: a clean lockfile and an old finding; feature: the change under review.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(git(d, &["init", "-q", "-b", "main"]).status.success());
    std::fs::create_dir_all(d.join("src")).unwrap();
    std::fs::create_dir_all(d.join("deploy")).unwrap();
    std::fs::write(
        d.join("Cargo.toml"),
        "[package]\nname = \"shop\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    std::fs::copy(
        repo_root().join("demo/fixed/Cargo.lock"),
        d.join("Cargo.lock"),
    )
    .unwrap();
    std::fs::write(d.join("src/main.rs"), OLD_MAIN).unwrap();
    std::fs::write(d.join("deploy/policy.yaml"), "old\n").unwrap();
    std::fs::write(
        d.join("tollgate.toml"),
        "[pre-merge]\ncritical = [\"deploy/**\", \"Cargo.lock\"]\n",
    )
    .unwrap();
    assert!(git(d, &["add", "-A"]).status.success());
    assert!(git(d, &["commit", "-qm", "base"]).status.success());
    assert!(git(d, &["checkout", "-qb", "feature"]).status.success());
    std::fs::write(d.join("src/main.rs"), NEW_MAIN).unwrap();
    std::fs::copy(repo_root().join("demo/Cargo.lock"), d.join("Cargo.lock")).unwrap();
    std::fs::write(d.join("deploy/policy.yaml"), "new\n").unwrap();
    assert!(git(d, &["commit", "-qam", "feature"]).status.success());
    dir
}

#[test]
fn pre_merge_reports_what_the_change_brings_in() {
    let dir = repository();
    let d = dir.path();
    let r = blocked_report(d);
    assert!(r["base"].as_str().unwrap().starts_with("main"), "{r}");

    // The new command injection is on a changed line; the old one (a
    // program named by the environment) is reported separately, as existing.
    let rules = |key: &str| -> Vec<(String, u64)> {
        r["sast"][key]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_string(),
                    f["line"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(
        rules("on_changed_lines"),
        [("command-injection".to_string(), 5)]
    );
    assert_eq!(
        rules("elsewhere_in_changed_files"),
        [("command-injection".to_string(), 3)]
    );

    // sqlx 0.8.6 -> 0.7.4 brings RUSTSEC-2024-0363; h2 0.3 and rsa come in new.
    let deps = &r["dependencies"];
    let changed: Vec<&str> = deps["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(changed.contains(&"sqlx"), "{changed:?}");
    let advisories: Vec<&str> = deps["advisories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    for id in [
        "RUSTSEC-2024-0363",
        "RUSTSEC-2023-0071",
        "RUSTSEC-2026-0258",
    ] {
        assert!(advisories.contains(&id), "{id} missing from {advisories:?}");
    }
    assert_eq!(
        r["critical_paths"],
        serde_json::json!(["Cargo.lock", "deploy/policy.yaml"])
    );

    // Against itself, nothing is new.
    let o = tollgate(
        &[
            "pre-merge",
            "--base",
            "feature",
            "--advisory-db",
            support::advisory_db().to_str().unwrap(),
        ],
        d,
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );

    // A base that does not exist is an error that names it.
    let o = tollgate(&["pre-merge", "--base", "no-such-branch"], d);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no-such-branch"));
}

#[test]
fn the_pre_push_hook_stops_the_push_and_uninstalls_cleanly() {
    let dir = repository();
    let d = dir.path();
    let remote = tempfile::tempdir().unwrap();
    assert!(git(remote.path(), &["init", "-q", "--bare"])
        .status
        .success());
    git(
        d,
        &["remote", "add", "origin", remote.path().to_str().unwrap()],
    );
    // The advisory database comes from the default location: point it at the snapshot.
    let db = support::advisory_db();

    assert!(tollgate(&["hook", "install"], d).status.success());
    let hook = d.join(".git/hooks/pre-push");
    assert!(std::fs::read_to_string(&hook)
        .unwrap()
        .contains("tollgate pre-merge"));
    // Installing again replaces our own hook.
    assert!(tollgate(&["hook", "install"], d).status.success());

    let bin = PathBuf::from(env!("CARGO_BIN_EXE_tollgate"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let cargo_home = d.join("cargo-home");
    std::fs::create_dir_all(&cargo_home).unwrap();
    std::os::unix::fs::symlink(&db, cargo_home.join("advisory-db")).unwrap();
    let push = Command::new("git")
        .args(["push", "-q", "origin", "feature"])
        .current_dir(d)
        .env("PATH", &path)
        .env("CARGO_HOME", &cargo_home)
        .output()
        .unwrap();
    assert!(!push.status.success(), "the hook let the push through");
    assert!(String::from_utf8_lossy(&push.stdout).contains("command-injection"));

    // Uninstall removes it; the push then goes through.
    assert!(tollgate(&["hook", "uninstall"], d).status.success());
    assert!(!hook.exists());
    let push = git(d, &["push", "-q", "origin", "feature"]);
    assert!(
        push.status.success(),
        "{}",
        String::from_utf8_lossy(&push.stderr)
    );

    // Someone else's hook is neither replaced nor removed.
    std::fs::write(&hook, "#!/bin/sh\nexit 0\n").unwrap();
    let o = tollgate(&["hook", "install"], d);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    assert_eq!(tollgate(&["hook", "uninstall"], d).status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(&hook).unwrap(),
        "#!/bin/sh\nexit 0\n"
    );
}

/// The version of `name` in this workspace's own Cargo.lock (so cargo has
/// it cached, and `cargo metadata --offline` can read its manifest).
fn workspace_version(name: &str) -> String {
    let lock = std::fs::read_to_string(repo_root().join("Cargo.lock")).unwrap();
    let at = lock.find(&format!("name = \"{name}\"\n")).unwrap();
    lock[at..]
        .lines()
        .nth(1)
        .unwrap()
        .trim_start_matches("version = \"")
        .trim_end_matches('"')
        .to_string()
}

fn commit_with_deps(d: &Path, deps: &str, message: &str) {
    std::fs::write(
        d.join("Cargo.toml"),
        format!("[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\nlicense = \"MIT\"\n\n[dependencies]\n{deps}"),
    )
    .unwrap();
    let lock = Command::new("cargo")
        .args(["generate-lockfile", "--offline"])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(
        lock.status.success(),
        "{}",
        String::from_utf8_lossy(&lock.stderr)
    );
    assert!(git(d, &["add", "-A"]).status.success());
    assert!(git(d, &["commit", "-qm", message]).status.success());
}

#[test]
fn pre_merge_checks_the_licences_a_change_brings_in() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(git(d, &["init", "-q", "-b", "main"]).status.success());
    std::fs::create_dir_all(d.join("src")).unwrap();
    std::fs::write(d.join("src/main.rs"), "fn main() {}\n").unwrap();
    // Only Apache-2.0 (the project itself may be MIT): hex (MIT OR
    // Apache-2.0) passes, globset (Unlicense OR MIT) does not.
    std::fs::write(
        d.join("tollgate.toml"),
        "[audit.licenses]\nallow = [\"Apache-2.0\"]\nexceptions = [{ crate = \"svc\", allow = [\"MIT\"] }]\n",
    )
    .unwrap();
    let hex = format!("hex = \"={}\"\n", workspace_version("hex"));
    commit_with_deps(d, &hex, "base");
    assert!(git(d, &["checkout", "-qb", "feature"]).status.success());
    commit_with_deps(
        d,
        &format!("{hex}globset = \"={}\"\n", workspace_version("globset")),
        "feature",
    );
    let o = pre_merge_json(d);
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    let deps = &r["dependencies"];
    assert!(deps["license_note"].is_null(), "{r}");
    let globset = format!("globset {}", workspace_version("globset"));
    assert!(
        deps["licenses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["package"] == globset.as_str() && l["license"] == "Unlicense OR MIT"),
        "{r}"
    );
    let problems = deps["license_problems"].as_array().unwrap();
    assert!(
        problems.iter().any(|p| p["code"] == "license-not-allowed"
            && p["package"].as_str().unwrap().starts_with("globset@")),
        "{r}"
    );
    // hex was there before: its licence is not this change's business.
    assert!(
        !problems
            .iter()
            .any(|p| p["package"].as_str().unwrap().starts_with("hex@")),
        "{r}"
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "a licence the policy denies fails the check"
    );
    let text = tollgate(
        &[
            "pre-merge",
            "--advisory-db",
            support::advisory_db().to_str().unwrap(),
        ],
        d,
    );
    assert!(String::from_utf8_lossy(&text.stdout).contains("LICENCE error[license-not-allowed]"));
}

#[test]
fn pre_merge_reports_a_licence_that_changed_with_a_version() {
    // Manifests come from cargo's source cache; here a private CARGO_HOME
    // holds two versions of one crate under different licences.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("repo");
    let home = dir.path().join("cargo-home");
    for (version, license) in [("1.0.0", "MIT"), ("2.0.0", "GPL-3.0-only")] {
        let src = home.join(format!(
            "registry/src/index.crates.io-0000000000000000/relicensed-{version}"
        ));
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(
            src.join("Cargo.toml"),
            format!("[package]\nname = \"relicensed\"\nversion = \"{version}\"\nlicense = \"{license}\"\n"),
        )
        .unwrap();
    }
    std::fs::create_dir_all(&d).unwrap();
    assert!(git(&d, &["init", "-q", "-b", "main"]).status.success());
    let lock = |version: &str| {
        format!("version = 3\n\n[[package]]\nname = \"relicensed\"\nversion = \"{version}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n")
    };
    std::fs::write(d.join("Cargo.lock"), lock("1.0.0")).unwrap();
    assert!(git(&d, &["add", "-A"]).status.success());
    assert!(git(&d, &["commit", "-qm", "base"]).status.success());
    assert!(git(&d, &["checkout", "-qb", "feature"]).status.success());
    std::fs::write(d.join("Cargo.lock"), lock("2.0.0")).unwrap();
    assert!(git(&d, &["commit", "-qam", "bump"]).status.success());
    let o = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args([
            "pre-merge",
            "--advisory-db",
            support::advisory_db().to_str().unwrap(),
            "--format",
            "json",
        ])
        .current_dir(&d)
        .env("CARGO_HOME", &home)
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        r["dependencies"]["license_changes"],
        serde_json::json!([{"name": "relicensed", "from": ["MIT"], "to": ["GPL-3.0-only"]}]),
        "{r}"
    );
    // Without a Cargo.toml the licence policy cannot be applied: said, not hidden.
    assert!(r["dependencies"]["license_note"]
        .as_str()
        .unwrap()
        .starts_with("licences unknown"));
}

/// A repository with a minimal package, `files` committed on `main`, and a
/// `feature` branch checked out for the change under review.
fn feature_branch(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(git(d, &["init", "-q", "-b", "main"]).status.success());
    std::fs::write(
        d.join("Cargo.toml"),
        "[package]\nname = \"shop\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    std::fs::copy(
        repo_root().join("demo/fixed/Cargo.lock"),
        d.join("Cargo.lock"),
    )
    .unwrap();
    for (path, text) in files {
        let path = d.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    assert!(git(d, &["add", "-A"]).status.success());
    assert!(git(d, &["commit", "-qm", "base"]).status.success());
    assert!(git(d, &["checkout", "-qb", "feature"]).status.success());
    dir
}

/// A repository whose `main` holds `base` at `path` and whose `feature`
/// branch commits `head` there.
fn changed_file(path: &str, base: &str, head: &str) -> tempfile::TempDir {
    let dir = feature_branch(&[(path, base)]);
    let d = dir.path();
    std::fs::write(d.join(path), head).unwrap();
    assert!(git(d, &["commit", "-qam", "feature"]).status.success());
    dir
}

/// Whether the report has a finding of `rule` on a changed line that the
/// base does not have.
fn new_on_changed_lines(r: &Value, rule: &str) -> bool {
    r["sast"]["on_changed_lines"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == rule && f["new_since_base"] == true)
}

/// A finding reported on an unchanged line whose region or flow the change
/// touches is the change's (red team rt78): a cookie builder reported from
/// its first line, flipped at `.secure(false)`; a key constant of the base,
/// used anew on a changed line.
#[test]
fn pre_merge_counts_a_change_inside_a_findings_region_or_flow() {
    const COOKIE_BASE: &str = "use cookie::{Cookie, SameSite};\n\npub fn session(id: String) -> Cookie<'static> {\n    Cookie::build((\"sid\", id))\n        .secure(true)\n        .http_only(true)\n        .same_site(SameSite::Lax)\n        .build()\n}\n";
    const KEYS_BASE: &str = "use aes_gcm::{Aes256Gcm, KeyInit};\n\nconst MASTER_KEY: [u8; 32] = [7u8; 32];\n\npub fn len() -> usize {\n    MASTER_KEY.len()\n}\n";
    let dir = feature_branch(&[("src/lib.rs", COOKIE_BASE), ("src/keys.rs", KEYS_BASE)]);
    let d = dir.path();
    std::fs::write(
        d.join("src/lib.rs"),
        COOKIE_BASE.replace(".secure(true)", ".secure(false)"),
    )
    .unwrap();
    std::fs::write(
        d.join("src/keys.rs"),
        format!("{KEYS_BASE}\npub fn cipher() -> Aes256Gcm {{\n    let key = MASTER_KEY;\n    Aes256Gcm::new_from_slice(&key).unwrap()\n}}\n"),
    )
    .unwrap();
    assert!(git(d, &["commit", "-qam", "feature"]).status.success());

    let r = blocked_report(d);
    let on: Vec<(String, String, u64)> = r["sast"]["on_changed_lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    // Both reported where CodeQL puts them: the chain's first line (4) and
    // the constant (3), neither of them changed.
    assert!(
        on.contains(&("src/lib.rs".into(), "insecure-cookie".into(), 4)),
        "{on:?}"
    );
    assert!(
        on.contains(&("src/keys.rs".into(), "hardcoded-crypto-key".into(), 3)),
        "{on:?}"
    );
}

/// A change that only deletes lines or adds configuration still brings in
/// what the base did not have (red team rt79): the guard before a path is
/// removed, and the change's `tollgate.toml` turns the rule off. Found by
/// comparing with a scan of the base, run with the base's settings.
#[test]
fn pre_merge_compares_with_the_base_and_keeps_its_settings() {
    const GUARDED: &str = "use axum::extract::Path;\n\npub async fn file(Path(name): Path<String>) -> Vec<u8> {\n    if name.contains(\"..\") || name.starts_with('/') {\n        return Vec::new();\n    }\n    std::fs::read(std::path::Path::new(\"/srv/files\").join(&name)).unwrap_or_default()\n}\n";
    let dir = feature_branch(&[("src/lib.rs", GUARDED)]);
    let d = dir.path();
    let unguarded = GUARDED.replace(
        "    if name.contains(\"..\") || name.starts_with('/') {\n        return Vec::new();\n    }\n",
        "",
    );
    std::fs::write(d.join("src/lib.rs"), unguarded).unwrap();
    std::fs::write(
        d.join("tollgate.toml"),
        "[sast]\ndisable = [\"path-traversal\"]\n",
    )
    .unwrap();
    assert!(git(d, &["add", "-A"]).status.success());
    assert!(git(d, &["commit", "-qm", "feature"]).status.success());

    let r = blocked_report(d);
    assert!(new_on_changed_lines(&r, "path-traversal"), "{r}");
}

/// A module in a file not ending in `.rs` (`#[path = "handlers.txt"]`)
/// changed alone is still scanned, and so is the base's copy (red team
/// rt80).
#[test]
fn pre_merge_scans_a_module_that_is_not_a_rs_file() {
    const MAIN: &str = "#[path = \"handlers.txt\"]\nmod handlers;\nfn main() {}\n";
    const HANDLER: &str =
        "use axum::extract::Path;\n\npub async fn ok() -> &'static str {\n    \"ok\"\n}\n";
    let dir = feature_branch(&[("src/main.rs", MAIN), ("src/handlers.txt", HANDLER)]);
    let d = dir.path();
    std::fs::write(
        d.join("src/handlers.txt"),
        format!("{HANDLER}\npub async fn file(Path(name): Path<String>) -> Vec<u8> {{\n    std::fs::read(std::path::Path::new(\"/srv\").join(&name)).unwrap_or_default()\n}}\n"),
    )
    .unwrap();
    assert!(git(d, &["commit", "-qam", "feature"]).status.success());
    let r = blocked_report(d);
    assert!(
        r["sast"]["on_changed_lines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "path-traversal" && f["path"] == "src/handlers.txt"),
        "{r}"
    );
}

/// "Fix one, add one" (red team rt80): the change fixes a handler and adds
/// another whose sink line is textually the fixed one's, which git aligns
/// as an unchanged line; or it adds a new caller of a helper's sink while
/// fixing the old caller. Either finding is the change's: a base finding
/// stands only for one in the same function, from the same source.
#[test]
fn pre_merge_does_not_let_a_fixed_finding_stand_for_an_added_one() {
    const SINK: &str =
        "    std::fs::read(std::path::Path::new(\"/srv/files\").join(&name)).unwrap_or_default()\n";
    let base = format!(
        "use axum::extract::Path;\n\npub async fn a(Path(name): Path<String>) -> Vec<u8> {{\n{SINK}}}\n"
    );
    let head = format!(
        "use axum::extract::Path;\n\npub async fn a(Path(name): Path<String>) -> Vec<u8> {{\n    let _ = name;\n    Vec::new()\n}}\n\npub async fn b(Path(name): Path<String>) -> Vec<u8> {{\n{SINK}}}\n"
    );
    let dir = changed_file("src/lib.rs", &base, &head);
    let d = dir.path();
    // Git aligns the sink lines: the one in `b` is not a changed line.
    let diff = git(d, &["diff", "main", "--", "src/lib.rs"]);
    assert!(
        !String::from_utf8_lossy(&diff.stdout).contains("+    std::fs::read"),
        "{}",
        String::from_utf8_lossy(&diff.stdout)
    );
    let r = blocked_report(d);
    assert!(
        r["sast"]["on_changed_lines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| {
                f["rule"] == "path-traversal" && f["line"] == 9 && f["new_since_base"] == true
            }),
        "{r}"
    );

    // A helper's sink, reached from the caller the change fixes in the
    // base and from the caller it adds in the head.
    const HELPER: &str = "fn load(name: &str) -> Vec<u8> {\n    std::fs::read(std::path::Path::new(\"/srv/files\").join(name)).unwrap_or_default()\n}\n";
    let base = format!(
        "use axum::extract::Path;\n\n{HELPER}\npub async fn a(Path(name): Path<String>) -> Vec<u8> {{\n    load(&name)\n}}\n"
    );
    let head = format!(
        "use axum::extract::Path;\n\n{HELPER}\npub async fn a(Path(name): Path<String>) -> Vec<u8> {{\n    let _ = name;\n    Vec::new()\n}}\n\npub async fn b(Path(name): Path<String>) -> Vec<u8> {{\n    load(&name)\n}}\n"
    );
    let dir = changed_file("src/lib.rs", &base, &head);
    let r = blocked_report(dir.path());
    assert!(new_on_changed_lines(&r, "path-traversal"), "{r}");
}

/// Red team rt82: a new caller of an old helper's sink, a handler under
/// another `#[cfg]` with the fixed one's name, and a closure handler are the
/// change's; removing one of two callers of a sink is not a new finding.
#[test]
fn pre_merge_tells_sources_configurations_and_closures_apart() {
    let run = |base: &str, head: &str| {
        let dir = changed_file("src/main.rs", base, head);
        let o = pre_merge_json(dir.path());
        let r: Value = serde_json::from_slice(&o.stdout).unwrap();
        (o.status.code(), r)
    };
    const LOAD: &str = "use axum::extract::Path;\n\npub fn load(name: &str) -> Vec<u8> {\n    std::fs::read(std::path::Path::new(\"/srv\").join(name)).unwrap()\n}\npub async fn admin_get(Path(name): Path<String>) -> Vec<u8> {\n    load(&name)\n}\n";
    let one = format!("{LOAD}pub async fn public_get(Path(name): Path<String>) -> Vec<u8> {{\n    let _ = name;\n    load(\"index.html\")\n}}\nfn main() {{}}\n");
    let two = format!("{LOAD}pub async fn public_get(Path(name): Path<String>) -> Vec<u8> {{\n    load(&name)\n}}\nfn main() {{}}\n");
    // A second caller: its flow is new, though the sink's finding names the first.
    let (code, r) = run(&one, &two);
    assert_eq!(code, Some(1), "{r}");
    assert!(new_on_changed_lines(&r, "path-traversal"), "{r}");
    // The first caller fixed, the second kept: nothing new.
    let fixed_first = two.replacen(
        "    load(&name)\n}\npub async fn public_get",
        "    let _ = name;\n    load(\"index.html\")\n}\npub async fn public_get",
        1,
    );
    let (code, r) = run(&two, &fixed_first);
    assert_eq!(code, Some(0), "{r}");

    // The same handler under another configuration.
    let debug = "use axum::extract::Path;\n\n#[cfg(debug_assertions)]\npub async fn get_file(Path(name): Path<String>) -> Vec<u8> {\n    std::fs::read(std::path::Path::new(\"/srv\").join(&name)).unwrap()\n}\nfn main() {}\n";
    let release = "use axum::extract::Path;\n\n#[cfg(debug_assertions)]\npub async fn get_file(Path(name): Path<String>) -> Vec<u8> {\n    let _ = name;\n    std::fs::read(\"/srv/index.html\").unwrap()\n}\n#[cfg(not(debug_assertions))]\npub async fn get_file(Path(name): Path<String>) -> Vec<u8> {\n    std::fs::read(std::path::Path::new(\"/srv\").join(&name)).unwrap()\n}\nfn main() {}\n";
    let (code, r) = run(debug, release);
    assert_eq!(code, Some(1), "{r}");

    // A closure handler's extractor is request data.
    let router = "use axum::{extract::Path, routing::get, Router};\n\nfn main() {\n    let _app: Router = Router::new().route(\"/f/:name\", get(|| async { \"ok\" }));\n}\n";
    let closure = "use axum::{extract::Path, routing::get, Router};\n\nfn main() {\n    let _app: Router = Router::new().route(\n        \"/f/:name\",\n        get(|Path(name): Path<String>| async move {\n            std::fs::read(std::path::Path::new(\"/srv\").join(&name)).unwrap()\n        }),\n    );\n}\n";
    let (code, r) = run(router, closure);
    assert_eq!(code, Some(1), "{r}");
}
