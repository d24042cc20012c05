//! The command lines users bring from cargo-audit, cargo-cyclonedx and
//! syft: `audit bin FILE` on a real ELF carrying cargo-auditable's
//! `.dep-v0` section (added with binutils' objcopy), `--ignore ID`,
//! `--no-fetch`; against the RustSec snapshot in `../shared/advisory-db`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use crate::support::{self, tollgate};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

/// Path crates only (cargo needs no network): `app`, its own workspace,
/// with a default feature pulling `dflt` and an optional `extra` (both
/// outside its directory, so not workspace members).
fn featured_project(dir: &Path) -> PathBuf {
    let root = dir.join("featured");
    for (name, body) in [
        ("dflt", ""),
        ("extra", ""),
        (
            "app",
            "[workspace]\n\n[dependencies]\ndflt = { path = \"../dflt\", optional = true }\nextra = { path = \"../extra\", optional = true }\n\n[features]\ndefault = [\"dflt\"]\nfancy = [\"extra\"]\n",
        ),
    ] {
        let crate_dir = root.join(name);
        std::fs::create_dir_all(crate_dir.join("src")).unwrap();
        std::fs::write(
            crate_dir.join("Cargo.toml"),
            format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\nlicense = \"MIT/Apache-2.0\"\n\n{body}"),
        )
        .unwrap();
        std::fs::write(crate_dir.join("src/lib.rs"), "").unwrap();
    }
    let lock = Command::new("cargo")
        .args(["generate-lockfile", "--offline"])
        .current_dir(root.join("app"))
        .output()
        .unwrap();
    assert!(lock.status.success(), "{}", text(&lock));
    root.join("app")
}

fn component_names(out: &Output) -> Vec<String> {
    let bom: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut names: Vec<String> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn sbom_feature_flags_are_cargos() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let app = featured_project(d);
    let app = app.to_str().unwrap();
    let sbom = |extra: &[&str]| {
        let mut args = vec!["sbom", app, "--offline"];
        args.extend(extra);
        let out = tollgate(&args, d);
        assert_eq!(out.status.code(), Some(0), "{extra:?}: {}", text(&out));
        component_names(&out)
    };
    assert_eq!(sbom(&[]), ["dflt"]);
    assert!(sbom(&["--no-default-features"]).is_empty());
    assert_eq!(sbom(&["--features", "fancy"]), ["dflt", "extra"]);
    assert_eq!(sbom(&["-F", "fancy", "--no-default-features"]), ["extra"]);
    assert_eq!(
        sbom(&["--features", "extra,dflt", "--no-default-features"]),
        ["dflt", "extra"]
    );
    assert_eq!(sbom(&["--all-features"]), ["dflt", "extra"]);

    // A feature cargo does not know is cargo's error, exit 2.
    let unknown = tollgate(&["sbom", app, "--offline", "--features", "nope"], d);
    assert_eq!(unknown.status.code(), Some(2), "{}", text(&unknown));
    // A bare lockfile cannot honour features: refused, not ignored.
    let lock = d.join("featured/app/Cargo.lock");
    let bare = tollgate(&["sbom", lock.to_str().unwrap(), "--all-features"], d);
    assert_eq!(bare.status.code(), Some(2), "{}", text(&bare));
    assert!(text(&bare).contains("need a Cargo.toml"), "{}", text(&bare));
}

fn venv_tool(name: &str) -> PathBuf {
    let tool = support::repo_root().join("target/test-venv/bin").join(name);
    assert!(
        tool.is_file(),
        "{}: missing; run scripts/test (it installs spdx-tools and check-jsonschema)",
        tool.display()
    );
    tool
}

/// The SPDX project's own validator (`pyspdxtools -i FILE`).
fn spdx_tools_accept(file: &Path) -> Output {
    Command::new(venv_tool("pyspdxtools"))
        .arg("-i")
        .arg(file)
        .output()
        .unwrap()
}

/// Every licence id a document declares, checked against the SPDX licence
/// list schema in `../shared/schemas/spdx.schema.json` with check-jsonschema.
fn licence_ids_valid(dir: &Path, doc: &serde_json::Value) -> Output {
    let mut ids = Vec::new();
    for p in doc["packages"].as_array().unwrap() {
        let declared = p["licenseDeclared"].as_str().unwrap();
        if declared == "NOASSERTION" {
            continue;
        }
        let mut after_with = false;
        for word in declared.split(|c: char| c.is_whitespace() || c == '(' || c == ')') {
            match word {
                "" | "AND" | "OR" => {}
                "WITH" => after_with = true,
                id if after_with => {
                    let _ = id;
                    after_with = false;
                }
                id => ids.push(id.to_string()),
            }
        }
    }
    assert!(!ids.is_empty(), "{doc}");
    let schema = support::repo_root().join("../shared/schemas/spdx.schema.json");
    let wrapper = dir.join("licence-ids.schema.json");
    std::fs::write(
        &wrapper,
        serde_json::json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "array",
            "items": {"$ref": format!("file://{}", std::fs::canonicalize(schema).unwrap().display())},
        })
        .to_string(),
    )
    .unwrap();
    let instance = dir.join("licence-ids.json");
    std::fs::write(&instance, serde_json::json!(ids).to_string()).unwrap();
    Command::new(venv_tool("check-jsonschema"))
        .arg("--schemafile")
        .arg(&wrapper)
        .arg(&instance)
        .output()
        .unwrap()
}

#[test]
fn spdx_json_is_accepted_by_the_spdx_tools() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = support::repo_root();
    let called = root.join("sbom/tests/fixtures/projects/called");
    let app = featured_project(d);
    for (label, project, extra) in [
        ("called", called.as_path(), &["--offline"][..]),
        (
            "featured",
            app.as_path(),
            &["--offline", "--all-features"][..],
        ),
    ] {
        let file = d.join(format!("{label}.spdx.json"));
        let mut args = vec![
            "sbom",
            project.to_str().unwrap(),
            "--format",
            "spdx-json",
            "-o",
            file.to_str().unwrap(),
        ];
        args.extend(extra);
        let out = tollgate(&args, d);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let accepted = spdx_tools_accept(&file);
        assert!(
            accepted.status.success(),
            "{label}: pyspdxtools rejected the document: {}",
            text(&accepted)
        );
        let doc: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        assert_eq!(doc["spdxVersion"], "SPDX-2.3");
        let ids = licence_ids_valid(d, &doc);
        assert!(ids.status.success(), "{label}: {}", text(&ids));
        // The root is described, and depends on what the graph says.
        let root_id = doc["packages"][0]["SPDXID"].as_str().unwrap();
        assert!(doc["relationships"].as_array().unwrap().iter().any(|r| {
            r["spdxElementId"] == "SPDXRef-DOCUMENT"
                && r["relationshipType"] == "DESCRIBES"
                && r["relatedSpdxElement"] == root_id
        }));
        if label == "called" {
            let smallvec = doc["packages"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == "smallvec")
                .expect("smallvec is listed");
            assert_eq!(smallvec["checksums"][0]["algorithm"], "SHA256");
            assert!(smallvec["externalRefs"][0]["referenceLocator"]
                .as_str()
                .unwrap()
                .starts_with("pkg:cargo/smallvec@0.6."));
            assert!(smallvec["downloadLocation"]
                .as_str()
                .unwrap()
                .starts_with("https://crates.io/api/v1/crates/smallvec/"));
        } else {
            assert_eq!(doc["packages"][0]["licenseDeclared"], "MIT OR Apache-2.0");
        }
    }

    // The validators are not yes-men: a document that breaks SPDX 2.3
    // (a package without an SPDXID), and an id that is not on the list.
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("called.spdx.json")).unwrap()).unwrap();
    doc["packages"][1].as_object_mut().unwrap().remove("SPDXID");
    let broken = d.join("broken.spdx.json");
    std::fs::write(&broken, doc.to_string()).unwrap();
    assert!(!spdx_tools_accept(&broken).status.success());
    doc["packages"][1]["licenseDeclared"] = serde_json::json!("MIT-ish");
    assert!(!licence_ids_valid(d, &doc).status.success());

    // Reproducible under SOURCE_DATE_EPOCH.
    let twice: Vec<Vec<u8>> = (0..2)
        .map(|_| {
            let out = Command::new(env!("CARGO_BIN_EXE_tollgate"))
                .args([
                    "sbom",
                    called.to_str().unwrap(),
                    "--offline",
                    "--format",
                    "spdx-json",
                ])
                .env("SOURCE_DATE_EPOCH", "1700000000")
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", text(&out));
            out.stdout
        })
        .collect();
    assert_eq!(twice[0], twice[1]);
    assert!(String::from_utf8_lossy(&twice[0]).contains("2023-11-14T22:13:20Z"));
    // SPDX has no vulnerabilities section: refused, not dropped.
    let vulns = tollgate(
        &[
            "sbom",
            called.to_str().unwrap(),
            "--format",
            "spdx-json",
            "--vulnerabilities",
            &db(),
        ],
        d,
    );
    assert_eq!(vulns.status.code(), Some(2), "{}", text(&vulns));
}

/// Progress (indicatif) is drawn on a terminal only: under a pseudo-terminal
/// (util-linux `script`) it appears on the terminal, not with `--quiet`, and
/// never in piped output.
#[test]
fn progress_only_on_a_terminal_and_never_with_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    auditable_binary(d, "old", "0.6.9");
    let bin = env!("CARGO_BIN_EXE_tollgate");
    let db = db();
    let on_tty = |quiet: &str| {
        let command = format!("{bin} {quiet} audit --advisory-db {db} bin old");
        let out = Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .current_dir(d)
            .output()
            .expect("util-linux script is required");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let shown = on_tty("");
    assert!(shown.contains("tollgate audit bin: "), "{shown}");
    assert!(shown.contains("loading the advisory database"), "{shown}");
    assert!(
        shown.contains("RUSTSEC-2019-0009"),
        "the report still follows"
    );
    let quiet = on_tty("--quiet");
    assert!(!quiet.contains("tollgate audit bin: "), "{quiet}");
    assert!(quiet.contains("RUSTSEC-2019-0009"), "{quiet}");
    let piped = tollgate(&["audit", "--advisory-db", &db, "bin", "old"], d);
    assert!(!text(&piped).contains("tollgate audit bin: "));
    assert!(!String::from_utf8_lossy(&piped.stderr).contains('\u{1b}'));
}
