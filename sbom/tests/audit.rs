//! The audit against the RustSec snapshot in `../shared/advisory-db`, on
//! fixture projects whose committed `Cargo.lock` pins real vulnerable
//! versions (smallvec 0.6.9, time 0.1.43, hyper 0.14.9).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::path::{Path, PathBuf};
use tollgate_sbom::advisory_db::AdvisoryDb;
use tollgate_sbom::audit::{self, Kind};
use tollgate_sbom::config::AuditConfig;
use tollgate_sbom::diag::{code, Code, Level};
use tollgate_sbom::graph::{Graph, LoadOptions, Source};
use tollgate_sbom::report::{self, FailPolicy, Report};
use tollgate_sbom::Error;

fn shared_db() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/advisory-db");
    assert!(
        path.join("crates").is_dir(),
        "{}: the RustSec snapshot from ../shared is required",
        path.display()
    );
    path
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/projects")
        .join(name)
}

fn options() -> audit::Options {
    audit::Options {
        now: 1_790_000_000,
        max_db_age: std::time::Duration::from_secs(7 * 86_400),
        reachability: true,
        target: None,
    }
}

fn run(path: &Path, config: &AuditConfig) -> Report {
    let graph = Graph::load(path, &LoadOptions::default()).unwrap();
    let db = AdvisoryDb::open(&shared_db()).unwrap();
    report::run(&graph, &db, config, &options(), None).unwrap()
}

fn states(report: &Report) -> Vec<(String, &'static str)> {
    report
        .findings
        .iter()
        .map(|f| (f.id.clone(), f.reachability.label()))
        .collect()
}

fn pairs(list: &[(&str, &'static str)]) -> Vec<(String, &'static str)> {
    list.iter().map(|(a, b)| (a.to_string(), *b)).collect()
}

#[test]
fn affected_functions_called_are_reachable() {
    let report = run(&fixture("called"), &AuditConfig::default());
    assert_eq!(
        states(&report),
        pairs(&[
            ("RUSTSEC-2019-0009", "reachable"),
            ("RUSTSEC-2019-0012", "reachable"),
            ("RUSTSEC-2021-0003", "not-reachable"),
            ("RUSTSEC-2020-0071", "reachable"),
            ("RUSTSEC-2018-0018", "unknown"),
        ])
    );
    let time = report
        .findings
        .iter()
        .find(|f| f.id == "RUSTSEC-2020-0071")
        .unwrap();
    let json = serde_json::to_value(&time.reachability).unwrap();
    assert_eq!(json["call_sites"][0]["file"], "src/main.rs");
    assert_eq!(json["call_sites"][0]["line"], 6);
    assert_eq!(json["call_sites"][0]["matched_by"], "path");
    assert_eq!(time.path, vec!["fixture-called@0.1.0", "time@0.1.43"]);
    assert!(report.failed(&FailPolicy::default()));
}

#[test]
fn affected_functions_not_called_are_not_reachable_but_still_listed() {
    let report = run(&fixture("not-called"), &AuditConfig::default());
    assert_eq!(
        states(&report),
        pairs(&[
            ("RUSTSEC-2019-0009", "not-reachable"),
            ("RUSTSEC-2019-0012", "not-reachable"),
            ("RUSTSEC-2021-0003", "not-reachable"),
            ("RUSTSEC-2020-0071", "not-reachable"),
            ("RUSTSEC-2018-0018", "unknown"),
        ])
    );
    assert!(
        report.failed(&FailPolicy::default()),
        "unreachable vulnerabilities still fail: reachability informs, it does not hide"
    );
}

#[test]
fn bare_lockfile_gives_the_same_advisories_with_unknown_reachability() {
    let report = run(
        &fixture("called").join("Cargo.lock"),
        &AuditConfig::default(),
    );
    let ids: Vec<&str> = report.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        ids,
        vec![
            "RUSTSEC-2019-0009",
            "RUSTSEC-2019-0012",
            "RUSTSEC-2021-0003",
            "RUSTSEC-2020-0071",
            "RUSTSEC-2018-0018"
        ]
    );
    assert!(report
        .findings
        .iter()
        .all(|f| f.reachability.label() == "unknown"));
}

#[test]
fn request_smuggling_advisories_for_old_hyper() {
    let report = run(
        &fixture("hyper-old").join("Cargo.lock"),
        &AuditConfig::default(),
    );
    let hyper: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.package == "hyper")
        .map(|f| f.id.as_str())
        .collect();
    assert!(
        hyper.contains(&"RUSTSEC-2021-0078") && hyper.contains(&"RUSTSEC-2021-0079"),
        "{hyper:?}"
    );
    let smuggling = report
        .findings
        .iter()
        .find(|f| f.id == "RUSTSEC-2021-0078")
        .unwrap();
    assert_eq!(
        smuggling.lockfile_line,
        Some(graph_line(&fixture("hyper-old/Cargo.lock"), "hyper"))
    );
}

fn graph_line(lockfile: &Path, name: &str) -> usize {
    let text = std::fs::read_to_string(lockfile).unwrap();
    text.lines()
        .position(|l| l == format!("name = \"{name}\""))
        .unwrap()
        + 1
}

#[test]
fn fail_on_threshold_uses_cvss() {
    let report = run(
        &fixture("not-called").join("Cargo.lock"),
        &AuditConfig::default(),
    );
    let critical = FailPolicy {
        fail_on: Some(audit::Severity::Critical),
        deny: vec![],
    };
    assert!(report.failed(&critical)); // smallvec advisories are 9.8
    let time_only = run_with_lock_filter("time");
    assert!(!time_only.failed(&critical)); // time's is medium 6.2
    assert!(time_only.failed(&FailPolicy {
        fail_on: Some(audit::Severity::Medium),
        deny: vec![]
    }));
}

/// The `called` lockfile with smallvec's advisories ignored.
fn run_with_lock_filter(keep: &str) -> Report {
    let mut config = AuditConfig::default();
    for id in [
        "RUSTSEC-2019-0009",
        "RUSTSEC-2019-0012",
        "RUSTSEC-2021-0003",
        "RUSTSEC-2018-0018",
    ] {
        config.ignore.push(
            toml::from_str(&format!(
                "id = \"{id}\"\nreason = \"only {keep} matters here\""
            ))
            .unwrap(),
        );
    }
    run(&fixture("called").join("Cargo.lock"), &config)
}

#[test]
fn ignores_need_reasons_expire_and_must_exist() {
    let config: AuditConfig = toml::from_str(
        r#"
        ignore = [
            { id = "RUSTSEC-2020-0071", reason = "we never call time::now", expires = 2999-01-01 },
            { id = "RUSTSEC-2021-0003", reason = "was fine last year", expires = "2020-01-01" },
            { id = "RUSTSEC-2016-0002", reason = "hyper is not in this graph" },
            { id = "RUSTSEC-2099-9999", reason = "typo" },
        ]
        "#,
    )
    .unwrap();
    let report = run(&fixture("called").join("Cargo.lock"), &config);
    let ignored: Vec<&str> = report.ignored.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ignored, vec!["RUSTSEC-2020-0071"]);
    assert!(
        report.findings.iter().any(|f| f.id == "RUSTSEC-2021-0003"),
        "an expired ignore no longer applies"
    );
    let diags: Vec<(Level, Code)> = report
        .diagnostics
        .iter()
        .filter(|d| d.code != code::DB_STALE)
        .map(|d| (d.level, d.code))
        .collect();
    assert_eq!(
        diags,
        vec![
            (Level::Warning, code::IGNORE_UNMATCHED),
            (Level::Error, code::IGNORE_EXPIRED),
            (Level::Error, code::IGNORE_UNKNOWN)
        ]
    );
    assert!(
        toml::from_str::<AuditConfig>("ignore = [{ id = \"RUSTSEC-2020-0071\" }]")
            .unwrap_err()
            .to_string()
            .contains("missing field `reason`")
    );
}

#[test]
fn json_keeps_cargo_audit_shape() {
    let report = run(
        &fixture("called").join("Cargo.lock"),
        &AuditConfig::default(),
    );
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["vulnerabilities"]["found"], true);
    assert_eq!(json["vulnerabilities"]["count"], 4);
    let ids: Vec<&str> = json["vulnerabilities"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["advisory"]["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"RUSTSEC-2020-0071"));
    assert_eq!(
        json["vulnerabilities"]["list"][0]["package"]["name"],
        "smallvec"
    );
    assert!(json["warnings"]["unsound"].is_array());
    assert_eq!(json["database"]["advisory-count"], 1225);
    assert!(json["tollgate"]["findings"].is_array());
}

#[test]
fn stale_database_is_a_warning() {
    let report = run(
        &fixture("called").join("Cargo.lock"),
        &AuditConfig::default(),
    );
    let stale = report
        .diagnostics
        .iter()
        .find(|d| d.code == code::DB_STALE)
        .unwrap();
    assert_eq!(stale.level, Level::Warning);
    assert!(
        !report.failed(&FailPolicy {
            fail_on: None,
            deny: vec![]
        }) || report.vulnerabilities().count() > 0
    );
}

#[test]
fn licences_sources_and_bans() {
    let config: AuditConfig = toml::from_str(
        r#"
        [licenses]
        allow = ["MIT"]
        [bans]
        deny = [{ crate = "smallvec", version = "<0.6.10", reason = "use smallvec 1.x" }, { crate = "openssl", reason = "use rustls" }]
        "#,
    )
    .unwrap();
    let report = run(&fixture("called"), &config);
    let codes: Vec<(Code, Option<&str>)> = report
        .diagnostics
        .iter()
        .filter(|d| d.code != code::DB_STALE)
        .map(|d| (d.code, d.package.as_deref()))
        .collect();
    assert_eq!(
        codes,
        vec![(code::BANNED, Some("smallvec@0.6.9"))],
        "{:#?}",
        report.diagnostics
    );

    let strict: AuditConfig = toml::from_str("[licenses]\nallow = [\"BSD-3-Clause\"]\nexceptions = [{ crate = \"libc\", allow = [\"MIT\"] }]").unwrap();
    let report = run(&fixture("called"), &strict);
    let denied: Vec<&str> = report
        .diagnostics
        .iter()
        .filter(|d| d.code == code::LICENSE_NOT_ALLOWED)
        .filter_map(|d| d.package.as_deref())
        .collect();
    assert!(
        denied.contains(&"smallvec@0.6.9") && denied.contains(&"time@0.1.43"),
        "{denied:?}"
    );
    assert!(
        !denied.iter().any(|p| p.starts_with("libc@")),
        "exception for libc applies"
    );
    assert!(report.failed(&FailPolicy::default()));

    let from_lock = run(&fixture("called").join("Cargo.lock"), &strict);
    assert!(
        from_lock
            .diagnostics
            .iter()
            .any(|d| d.code == code::LICENSE_UNKNOWN),
        "licences unknown from a bare lockfile are said, not passed"
    );
}

#[test]
fn git_sources_and_duplicates_from_a_lockfile() {
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("Cargo.lock");
    std::fs::write(
        &lock,
        r#"version = 3

[[package]]
name = "app"
version = "0.1.0"
dependencies = ["forked", "itoa 0.4.8", "itoa 1.0.11"]

[[package]]
name = "forked"
version = "0.2.0"
source = "git+https://github.com/someone/forked?branch=main#0123456789abcdef0123456789abcdef01234567"

[[package]]
name = "itoa"
version = "0.4.8"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "b71991ff56294aa922b450139ee08b3bfc70982c6b2c7562771375cf73542dd4"

[[package]]
name = "itoa"
version = "1.0.11"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "49f1f14873335454500d59611f1cf4a4b0f786f9ac11f4312a78e4cf2566695b"
"#,
    )
    .unwrap();
    let graph = Graph::load(&lock, &LoadOptions::default()).unwrap();
    assert!(
        matches!(&graph.packages[1].source, Source::Git { url, .. } if url == "https://github.com/someone/forked")
    );
    let db = AdvisoryDb::open(&shared_db()).unwrap();
    let warn = report::run(&graph, &db, &AuditConfig::default(), &options(), None).unwrap();
    let found: Vec<(Level, Code)> = warn
        .diagnostics
        .iter()
        .filter(|d| d.code != code::DB_STALE)
        .map(|d| (d.level, d.code))
        .collect();
    assert_eq!(
        found,
        vec![
            (Level::Warning, code::DUPLICATE),
            (Level::Warning, code::SOURCE_NOT_ALLOWED)
        ]
    );

    let deny: AuditConfig =
        toml::from_str("[sources]\nunknown-git = \"deny\"\n[bans]\nmultiple-versions = \"allow\"")
            .unwrap();
    let report = report::run(&graph, &db, &deny, &options(), None).unwrap();
    assert!(report
        .diagnostics
        .iter()
        .any(|d| d.level == Level::Error && d.code == code::SOURCE_NOT_ALLOWED));
    let allowed: AuditConfig = toml::from_str(
        "[sources]\nunknown-git = \"deny\"\nallow-git = [\"https://github.com/someone/\"]",
    )
    .unwrap();
    let report = report::run(&graph, &db, &allowed, &options(), None).unwrap();
    assert!(!report
        .diagnostics
        .iter()
        .any(|d| d.code == code::SOURCE_NOT_ALLOWED));
}

#[test]
fn target_filtering_drops_platform_specific_dependencies() {
    let linux = Graph::load(
        &fixture("called"),
        &LoadOptions {
            target: Some("x86_64-unknown-linux-gnu".into()),
            offline: false,
            ..Default::default()
        },
    )
    .unwrap();
    let windows = Graph::load(
        &fixture("called"),
        &LoadOptions {
            target: Some("x86_64-pc-windows-msvc".into()),
            offline: false,
            ..Default::default()
        },
    )
    .unwrap();
    let names = |g: &Graph| {
        g.packages
            .iter()
            .map(|p| p.name.clone())
            .collect::<Vec<_>>()
    };
    assert!(
        !names(&linux).contains(&"winapi".to_string()),
        "{:?}",
        names(&linux)
    );
    assert!(
        names(&windows).contains(&"winapi".to_string()),
        "{:?}",
        names(&windows)
    );
    let time = windows
        .packages
        .iter()
        .position(|p| p.name == "time")
        .unwrap();
    let edge = windows
        .edges
        .iter()
        .find(|e| e.from == time && windows.packages[e.to].name == "winapi")
        .unwrap();
    assert_eq!(edge.kinds[0].target.as_deref(), Some("cfg(windows)"));
}

#[test]
fn bad_input_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("Cargo.lock");
    std::fs::write(
        &lock,
        "[[package]]\nname = \"x\"\nversion = \"not-a-version\"\n",
    )
    .unwrap();
    let err = Graph::load(&lock, &LoadOptions::default()).unwrap_err();
    assert!(
        matches!(err, Error::Lockfile { .. })
            && err
                .to_string()
                .contains("Cargo.lock: not a valid Cargo.lock"),
        "{err}"
    );

    let err = Graph::load(
        dir.path().join("nothing").as_path(),
        &LoadOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("no such file"), "{err}");
    std::fs::remove_file(&lock).unwrap();
    let err = Graph::load(dir.path(), &LoadOptions::default()).unwrap_err();
    assert!(err.to_string().contains("not a cargo project"), "{err}");

    let err = AdvisoryDb::open(&dir.path().join("missing-db"))
        .err()
        .unwrap();
    assert!(err.to_string().contains("tollgate db fetch"), "{err}");
    let err = AdvisoryDb::open(dir.path()).err().unwrap();
    assert!(
        err.to_string().contains("not a RustSec advisory database"),
        "{err}"
    );

    // A corrupt advisory in an otherwise good database is named.
    let db = dir.path().join("db");
    copy_dir(&shared_db(), &db);
    let bad = db.join("crates/smallvec/RUSTSEC-2019-0009.md");
    std::fs::write(
        &bad,
        "```toml\n[advisory]\nid = \"RUSTSEC-2019-0009\"\npackage = \n```\n",
    )
    .unwrap();
    let err = AdvisoryDb::open(&db).err().unwrap();
    assert!(
        err.to_string()
            .contains("RUSTSEC-2019-0009.md: invalid advisory"),
        "{err}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn db_fetch_clones_and_updates_from_a_git_repository() {
    let dir = tempfile::tempdir().unwrap();
    let upstream = dir.path().join("upstream");
    copy_dir(&shared_db(), &upstream);
    let repo = git2::Repository::init_opts(
        &upstream,
        git2::RepositoryInitOptions::new().initial_head("main"),
    )
    .unwrap();
    let commit_all = |message: &str| {
        let mut index = repo.index().unwrap();
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::new(
            "test",
            "test@example.com",
            &git2::Time::new(1_790_000_000, 0),
        )
        .unwrap();
        let parents: Vec<git2::Commit> = repo
            .head()
            .ok()
            .and_then(|h| h.peel_to_commit().ok())
            .into_iter()
            .collect();
        let parents: Vec<&git2::Commit> = parents.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
            .unwrap()
    };
    let first = commit_all("snapshot");
    let url = format!("file://{}", upstream.display());
    let local = dir.path().join("cache/advisory-db");

    let mut progress_calls = 0;
    let fetched =
        tollgate_sbom::advisory_db::fetch(&url, &local, |_, _| progress_calls += 1).unwrap();
    assert!(fetched.cloned);
    assert_eq!(fetched.commit, first.to_string());
    assert!(progress_calls > 0);
    let db = AdvisoryDb::open(&local).unwrap();
    assert_eq!(db.advisory_count, 1225);
    assert_eq!(db.commit.as_deref(), Some(first.to_string().as_str()));
    assert_eq!(db.age_days(1_790_000_000 + 10 * 86_400), Some(10));

    std::fs::remove_file(upstream.join("crates/smallvec/RUSTSEC-2019-0009.md")).unwrap();
    let mut index = repo.index().unwrap();
    index
        .remove_path(Path::new("crates/smallvec/RUSTSEC-2019-0009.md"))
        .unwrap();
    index.write().unwrap();
    let second = commit_all("withdraw one");
    let updated = tollgate_sbom::advisory_db::fetch(&url, &local, |_, _| {}).unwrap();
    assert!(!updated.cloned);
    assert_eq!(updated.commit, second.to_string());
    assert_eq!(AdvisoryDb::open(&local).unwrap().advisory_count, 1224);

    let err = tollgate_sbom::advisory_db::fetch(
        "file:///no/such/repo",
        &dir.path().join("other"),
        |_, _| {},
    )
    .unwrap_err();
    assert!(err.to_string().contains("file:///no/such/repo"), "{err}");
    assert!(!dir.path().join("other").exists(), "nothing half-written");
}

#[test]
fn yanked_versions_come_from_the_local_index() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir
        .path()
        .join(tollgate_sbom::yanked::index_path("smallvec"));
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, b"\x03\x02\x00\x00\x00etag\x000.6.9\x00{\"name\":\"smallvec\",\"vers\":\"0.6.9\",\"yanked\":true}\x00").unwrap();
    let graph = Graph::load(
        &fixture("called").join("Cargo.lock"),
        &LoadOptions::default(),
    )
    .unwrap();
    let db = AdvisoryDb::open(&shared_db()).unwrap();
    let index = tollgate_sbom::yanked::LocalIndex::at(dir.path());
    let report = report::run(
        &graph,
        &db,
        &AuditConfig::default(),
        &options(),
        Some(&index),
    )
    .unwrap();
    let yanked: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.kind == Kind::Yanked)
        .map(|f| f.package.as_str())
        .collect();
    assert_eq!(yanked, vec!["smallvec"]);
    assert!(
        !report.failed(&FailPolicy {
            fail_on: Some(audit::Severity::Critical),
            deny: vec![]
        }) || report.vulnerabilities().count() > 0
    );
}

#[test]
fn target_filters_os_specific_advisories() {
    let graph = Graph::load(
        &fixture("called").join("Cargo.lock"),
        &LoadOptions::default(),
    )
    .unwrap();
    let db = AdvisoryDb::open(&shared_db()).unwrap();
    let ids = |target: &str| {
        let options = audit::Options {
            target: Some(target.into()),
            ..options()
        };
        let report = report::run(&graph, &db, &AuditConfig::default(), &options, None).unwrap();
        report
            .findings
            .iter()
            .map(|f| f.id.clone())
            .collect::<Vec<_>>()
    };
    // RUSTSEC-2020-0071 affects Unix-like systems only.
    assert!(ids("x86_64-unknown-linux-gnu").contains(&"RUSTSEC-2020-0071".to_string()));
    assert!(!ids("x86_64-pc-windows-msvc").contains(&"RUSTSEC-2020-0071".to_string()));
    let options = audit::Options {
        target: Some("not-a-triple".into()),
        ..options()
    };
    let err = report::run(&graph, &db, &AuditConfig::default(), &options, None).unwrap_err();
    assert!(err.to_string().contains("unknown target triple"), "{err}");
}
