//! The command lines users bring from cargo-audit, cargo-cyclonedx and
//! syft: `audit bin FILE` on a real ELF carrying cargo-auditable's
//! `.dep-v0` section (added with binutils' objcopy), `--ignore ID`,
//! `--no-fetch`; against the RustSec snapshot in `../shared/advisory-db`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "support/mod.rs"]
mod support;

fn tollgate(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A real ELF with cargo auditable's `.dep-v0` section (zlib JSON).
fn auditable_binary(dir: &Path, name: &str, smallvec: &str) -> PathBuf {
    let json = format!(
        r#"{{"packages":[{{"name":"app","version":"0.1.0","source":"local","dependencies":[1],"root":true}},{{"name":"smallvec","version":"{smallvec}","source":"crates.io"}}]}}"#
    );
    let zlib = Command::new("python3")
        .args([
            "-c",
            "import sys, zlib; sys.stdout.buffer.write(zlib.compress(sys.argv[1].encode()))",
            &json,
        ])
        .output()
        .unwrap();
    assert!(zlib.status.success());
    let section = dir.join(format!("{name}.dep-v0"));
    std::fs::write(&section, zlib.stdout).unwrap();
    let binary = dir.join(name);
    std::fs::copy("/bin/true", &binary).unwrap();
    let ok = Command::new("objcopy")
        .arg("--add-section")
        .arg(format!(".dep-v0={}", section.display()))
        .arg(&binary)
        .status()
        .expect("objcopy (binutils) is required");
    assert!(ok.success());
    binary
}

fn db() -> String {
    support::advisory_db().to_str().unwrap().to_string()
}

/// The advisory ids a JSON report lists as vulnerabilities.
fn vulnerability_ids(out: &Output) -> Vec<String> {
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut ids: Vec<String> = report["vulnerabilities"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["advisory"]["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

#[test]
fn audit_bin_reads_the_auditable_dependency_list() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    auditable_binary(d, "old", "0.6.9");
    auditable_binary(d, "new", "1.13.2");
    std::fs::copy("/bin/true", d.join("bare")).unwrap();
    let db = db();

    let old = tollgate(&["audit", "--advisory-db", &db, "bin", "old"], d);
    assert_eq!(old.status.code(), Some(1), "{}", text(&old));
    assert!(text(&old).contains("smallvec 0.6.9"), "{}", text(&old));
    assert!(text(&old).contains("RUSTSEC-2019-0009"), "{}", text(&old));

    let new = tollgate(&["audit", "bin", "new", "--advisory-db", &db], d);
    assert_eq!(new.status.code(), Some(0), "{}", text(&new));

    // Both at once: the worst exit, each binary named.
    let both = tollgate(&["audit", "--advisory-db", &db, "bin", "new", "old"], d);
    assert_eq!(both.status.code(), Some(1), "{}", text(&both));
    assert!(text(&both).contains("== new") && text(&both).contains("== old"));

    // JSON names the binary's crates with cargo-audit's shape.
    let json = tollgate(
        &[
            "audit",
            "--advisory-db",
            &db,
            "--format",
            "json",
            "bin",
            "old",
        ],
        d,
    );
    assert_eq!(json.status.code(), Some(1), "{}", text(&json));
    assert!(vulnerability_ids(&json).contains(&"RUSTSEC-2019-0009".to_string()));

    // No auditable data, not a binary, missing, nothing named: exit 2.
    let bare = tollgate(&["audit", "--advisory-db", &db, "bin", "bare"], d);
    assert_eq!(bare.status.code(), Some(2), "{}", text(&bare));
    assert!(text(&bare).contains("cargo auditable"), "{}", text(&bare));
    std::fs::write(d.join("notes.txt"), "hello").unwrap();
    let plain = tollgate(&["audit", "--advisory-db", &db, "bin", "notes.txt"], d);
    assert_eq!(plain.status.code(), Some(2), "{}", text(&plain));
    assert!(!text(&plain).contains("UTF-8"), "{}", text(&plain));
    let missing = tollgate(&["audit", "--advisory-db", &db, "bin", "nope"], d);
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing));
    let nothing = tollgate(&["audit", "--advisory-db", &db, "bin"], d);
    assert_eq!(nothing.status.code(), Some(2), "{}", text(&nothing));
    // Several binaries in one JSON document would be ambiguous.
    let several = tollgate(
        &[
            "audit",
            "--advisory-db",
            &db,
            "--format",
            "json",
            "bin",
            "old",
            "new",
        ],
        d,
    );
    assert_eq!(several.status.code(), Some(2), "{}", text(&several));
}

#[test]
fn ignore_flags_and_no_fetch_as_cargo_audit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    auditable_binary(d, "old", "0.6.9");
    let db = db();
    let base = ["audit", "--advisory-db", &db, "--format", "json"];
    let run = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend(extra);
        args.extend(["bin", "old"]);
        tollgate(&args, d)
    };
    let all = run(&[]);
    let ids = vulnerability_ids(&all);
    assert!(ids.len() >= 2, "{ids:?}");

    // Ignoring one leaves the others failing; ignoring all passes, and the
    // ignored findings stay listed.
    let one = run(&["--ignore", &ids[0]]);
    assert_eq!(one.status.code(), Some(1), "{}", text(&one));
    assert!(!vulnerability_ids(&one).contains(&ids[0]));
    let mut flags = Vec::new();
    for id in &ids {
        flags.extend(["--ignore", id.as_str()]);
    }
    let none = run(&flags);
    assert_eq!(none.status.code(), Some(0), "{}", text(&none));
    let report: serde_json::Value = serde_json::from_slice(&none.stdout).unwrap();
    let ignored: Vec<&str> = report["tollgate"]["ignored"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.iter().all(|id| ignored.contains(&id.as_str())),
        "{report}"
    );
    assert_eq!(report["tollgate"]["lockfile"], "old", "the binary is named");

    // An id the database does not have is not silently accepted.
    let unknown = run(&["--ignore", "RUSTSEC-2099-9999"]);
    assert_ne!(unknown.status.code(), Some(0), "{}", text(&unknown));
    assert!(
        text(&unknown).contains("RUSTSEC-2099-9999"),
        "{}",
        text(&unknown)
    );

    // --no-fetch changes nothing: the audit never fetches.
    let no_fetch = run(&["--no-fetch"]);
    assert_eq!(no_fetch.status.code(), Some(1));
    assert_eq!(vulnerability_ids(&no_fetch), ids);
}
