//! The scan engine: walking, test-code skipping, suppressions, baseline,
//! configuration and bad input, on real files in a temporary directory.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::fs;
use std::path::{Path, PathBuf};
use tollgate_sast::{rules::id, scan, Baseline, Config, Options, Report, Severity};

fn write(root: &Path, rel: &str, content: impl AsRef<[u8]>) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
}

fn run(root: &Path, options: Options) -> Report {
    let options = Options {
        root: root.to_path_buf(),
        ..options
    };
    scan(&[root.to_path_buf()], &options).unwrap()
}

fn rules_at(report: &Report) -> Vec<(String, usize, &'static str)> {
    report
        .findings
        .iter()
        .map(|f| (f.path.clone(), f.line, f.rule))
        .collect()
}

const VULNERABLE: &str = "fn main() {\n    let t = std::env::var(\"T\").unwrap();\n    let _ = std::process::Command::new(t).status();\n}\n";

#[test]
fn walks_respecting_gitignore_target_and_test_dirs() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "src/main.rs", VULNERABLE);
    write(root, "target/debug/build/gen.rs", VULNERABLE);
    write(root, "generated/out.rs", VULNERABLE);
    write(root, ".gitignore", "generated/\n");
    write(root, "tests/it.rs", VULNERABLE);
    write(root, "benches/b.rs", VULNERABLE);
    write(root, "src/notes.txt", "not rust");

    let report = run(root, Options::default());
    assert_eq!(
        rules_at(&report),
        vec![("src/main.rs".to_string(), 3, id::COMMAND_INJECTION)]
    );
    assert_eq!(report.stats.files, 1);

    let with_tests = run(
        root,
        Options {
            include_tests: true,
            ..Options::default()
        },
    );
    let paths: Vec<_> = with_tests
        .findings
        .iter()
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(paths, vec!["benches/b.rs", "src/main.rs", "tests/it.rs"]);
}

#[test]
fn skips_test_code_inside_files_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let src = r#"
fn real() { let _ = md5::compute(b"x"); }
#[cfg(test)]
mod tests {
    #[test]
    fn t() { let _ = md5::compute(b"x"); }
}
#[test]
fn top_level_test() { let _ = md5::compute(b"x"); }
#[tokio::test]
async fn async_test() { let _ = md5::compute(b"x"); }
"#;
    write(dir.path(), "src/lib.rs", src);
    let report = run(dir.path(), Options::default());
    assert_eq!(
        report.findings.iter().map(|f| f.line).collect::<Vec<_>>(),
        vec![2]
    );
    let all = run(
        dir.path(),
        Options {
            include_tests: true,
            ..Options::default()
        },
    );
    assert_eq!(
        all.findings.iter().map(|f| f.line).collect::<Vec<_>>(),
        vec![2, 6, 9, 11]
    );
}

#[test]
fn inline_suppressions_survive_rustfmt_wrapping_and_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let src = r#"fn f(conn: &rusqlite::Connection) {
    let t = std::env::var("T").unwrap();
    // tollgate:allow(command-injection): T is set by our own launcher
    let _ = std::process::Command::new(&t)
        .status();
    let _ = std::process::Command::new(&t).status(); // tollgate:allow(command-injection): same launcher
    // tollgate:allow(sql-injection): wrapped statement, finding on a later line
    let _ = run(
        1,
        conn.execute(&t, []),
    );
    // tollgate:allow(broken-hash)
    let _ = md5::compute(b"etag");
    // tollgate:allow(ssrf): nothing here makes a request
    let x = 1;
}
"#;
    write(dir.path(), "src/lib.rs", src);
    let report = run(dir.path(), Options::default());
    let got: Vec<(usize, &str)> = report.findings.iter().map(|f| (f.line, f.rule)).collect();
    assert_eq!(
        got,
        vec![
            (12, id::INVALID_SUPPRESSION),
            (13, id::BROKEN_HASH),
            (14, id::UNUSED_SUPPRESSION)
        ],
        "{:#?}",
        report.findings
    );
    assert_eq!(report.stats.suppressed_inline, 3);
}

#[test]
fn a_suppression_inside_a_findings_region_or_at_its_use_covers_it() {
    // Red team rt78: a cookie builder is reported from its first line and a
    // key where its constant is written; a suppression written where the
    // finding used to be (the setter, the use) still applies.
    let dir = tempfile::tempdir().unwrap();
    let src = r#"use aes_gcm::{Aes256Gcm, KeyInit};

const DEMO_KEY: [u8; 32] = [9u8; 32];

fn cookie(id: String) -> cookie::Cookie<'static> {
    cookie::Cookie::build(("sid", id))
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        // tollgate:allow(insecure-cookie): served on localhost only
        .secure(false)
        .build()
}

fn cipher() -> Aes256Gcm {
    // tollgate:allow(hardcoded-crypto-key): demo data, never production
    Aes256Gcm::new_from_slice(&DEMO_KEY).unwrap()
}
"#;
    write(dir.path(), "src/lib.rs", src);
    let report = run(dir.path(), Options::default());
    let got: Vec<(usize, &str)> = report.findings.iter().map(|f| (f.line, f.rule)).collect();
    assert_eq!(got, vec![], "{:#?}", report.findings);
    assert_eq!(report.stats.suppressed_inline, 2);
}

#[test]
fn a_cookie_missing_several_flags_is_hidden_only_when_each_rule_is() {
    // Red team rt79: a cookie missing Secure, HttpOnly and SameSite is one
    // `insecure-cookie` finding; suppressing or disabling that rule must
    // leave the missing HttpOnly and SameSite reported.
    let dir = tempfile::tempdir().unwrap();
    let src = r#"fn plain(id: String) -> cookie::Cookie<'static> {
    cookie::Cookie::build(("sid", id)).path("/").build()
}

fn secure_only_suppressed(id: String) -> cookie::Cookie<'static> {
    // tollgate:allow(insecure-cookie): served on localhost only
    cookie::Cookie::build(("sid", id)).path("/").build()
}

fn all_suppressed(id: String) -> cookie::Cookie<'static> {
    // tollgate:allow(insecure-cookie, cookie-without-httponly, cookie-without-samesite): a test fixture's cookie
    cookie::Cookie::build(("sid", id)).path("/").build()
}

fn two_suppressed(id: String) -> cookie::Cookie<'static> {
    // tollgate:allow(insecure-cookie, cookie-without-httponly): read by the page's script over localhost
    cookie::Cookie::build(("sid", id)).path("/").build()
}

fn sent(jar: &mut cookie::CookieJar) {
    let c = cookie::Cookie::from(("sid", "x"));
    // tollgate:allow(insecure-cookie): served on localhost only
    jar.add(c);
}
"#;
    write(dir.path(), "src/lib.rs", src);
    let report = run(dir.path(), Options::default());
    let got: Vec<(usize, &str)> = report.findings.iter().map(|f| (f.line, f.rule)).collect();
    assert_eq!(
        got,
        vec![
            (2, id::INSECURE_COOKIE),
            (7, id::COOKIE_WITHOUT_HTTPONLY),
            (17, id::COOKIE_WITHOUT_SAMESITE),
            (23, id::COOKIE_WITHOUT_HTTPONLY),
        ],
        "{:#?}",
        report.findings
    );
    assert_eq!(report.stats.suppressed_inline, 1);

    let config: Config = toml::from_str(r#"disable = ["insecure-cookie"]"#).unwrap();
    let report = run(
        dir.path(),
        Options {
            config,
            ..Options::default()
        },
    );
    let got: Vec<(usize, &str)> = report.findings.iter().map(|f| (f.line, f.rule)).collect();
    assert!(
        got.contains(&(2, id::COOKIE_WITHOUT_HTTPONLY)),
        "{:#?}",
        report.findings
    );
}

#[test]
fn a_suppression_at_one_call_of_a_shared_helper_hides_nothing_else() {
    // Red team rt79: the helper's sink is one finding for all its callers;
    // a suppression at one call (a step of the kept flow) must not hide it.
    let dir = tempfile::tempdir().unwrap();
    let src = r#"use actix_web::{web, HttpResponse};

fn load(name: &str) -> Vec<u8> {
    std::fs::read(format!("/srv/files/{}", name)).unwrap()
}

pub async fn other(path: web::Path<String>) -> HttpResponse {
    HttpResponse::Ok().body(load(&path.into_inner()))
}

pub async fn download(path: web::Path<String>) -> HttpResponse {
    let name = path.into_inner();
    // tollgate:allow(path-traversal): names are UUIDs checked by the auth middleware
    let data = load(&name);
    HttpResponse::Ok().body(data)
}
"#;
    write(dir.path(), "src/lib.rs", src);
    let report = run(dir.path(), Options::default());
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.rule == id::PATH_TRAVERSAL && f.line == 4),
        "{:#?}",
        report.findings
    );
}

#[test]
fn a_baseline_never_absorbs_a_diagnostic_about_the_scan() {
    // Red team rt52: a hand-written entry for an `analysis-limit` note
    // would hide every later note of the same line and snippet, and so
    // the findings dropped at a cap.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/main.rs", "fn main( {\n");
    let first = run(dir.path(), Options::default());
    assert!(first.findings.iter().any(|f| f.rule == id::PARSE_ERROR));
    let entries: Vec<serde_json::Value> = first
        .findings
        .iter()
        .map(|f| serde_json::json!({"rule": f.rule, "path": f.path, "snippet": f.snippet}))
        .collect();
    let baseline: Baseline =
        serde_json::from_value(serde_json::json!({"version": 1, "findings": entries})).unwrap();
    let again = run(
        dir.path(),
        Options {
            baseline: Some(baseline),
            ..Options::default()
        },
    );
    assert!(again.findings.iter().any(|f| f.rule == id::PARSE_ERROR));
    assert_eq!(again.stats.suppressed_baseline, 0);
}

#[test]
fn baseline_matches_on_content_not_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/main.rs", VULNERABLE);
    let first = run(dir.path(), Options::default());
    let baseline = Baseline::from_findings(&first.findings);
    let json = serde_json::to_string(&baseline).unwrap();
    let baseline: Baseline = serde_json::from_str(&json).unwrap();

    // Lines inserted above: the finding moves but stays baselined.
    write(
        dir.path(),
        "src/main.rs",
        format!("// header\n// more\n{VULNERABLE}"),
    );
    let moved = run(
        dir.path(),
        Options {
            baseline: Some(baseline.clone()),
            ..Options::default()
        },
    );
    assert!(moved.findings.is_empty(), "{:?}", moved.findings);
    assert_eq!(moved.stats.suppressed_baseline, 1);

    // A second, new occurrence is reported: each entry absorbs one finding.
    write(dir.path(), "src/other.rs", VULNERABLE);
    let new = run(
        dir.path(),
        Options {
            baseline: Some(baseline),
            ..Options::default()
        },
    );
    assert_eq!(
        rules_at(&new),
        vec![("src/other.rs".to_string(), 3, id::COMMAND_INJECTION)]
    );
}

#[test]
fn config_disables_overrides_and_excludes() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "src/main.rs",
        "fn f() { let _ = md5::compute(b\"x\"); let _ = \"http://updates.acme-corp.com\"; }\n",
    );
    write(dir.path(), "vendor/dep/lib.rs", VULNERABLE);
    let config: Config = toml::from_str(
        r#"
        disable = ["cleartext-url"]
        exclude = ["vendor/**"]
        [severity]
        broken-hash = "high"
        "#,
    )
    .unwrap();
    let report = run(
        dir.path(),
        Options {
            config,
            config_dir: Some(dir.path().to_path_buf()),
            ..Options::default()
        },
    );
    assert_eq!(
        rules_at(&report),
        vec![("src/main.rs".to_string(), 1, id::BROKEN_HASH)]
    );
    assert_eq!(report.findings[0].severity, Severity::High);
}

#[test]
fn unknown_rule_in_config_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let config: Config = toml::from_str(r#"disable = ["sql-injections"]"#).unwrap();
    let err = scan(
        &[dir.path().to_path_buf()],
        &Options {
            config,
            root: dir.path().into(),
            ..Options::default()
        },
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("unknown rule `sql-injections`"),
        "{err}"
    );
}

#[test]
fn bad_files_become_parse_errors_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "src/a_invalid.rs", "fn broken( {\n");
    write(root, "src/b_latin1.rs", b"fn f() {}\n// caf\xe9\n");
    write(root, "src/c_binary.rs", b"\x7fELF\x00\x00\x01");
    write(
        root,
        "src/d_huge.rs",
        vec![b' '; (tollgate_sast::MAX_FILE_BYTES + 1) as usize],
    );
    write(root, "src/e_ok.rs", VULNERABLE);
    #[cfg(unix)]
    std::os::unix::fs::symlink(root.join("src"), root.join("src/loop")).unwrap();

    let report = run(root, Options::default());
    let got: Vec<(&str, usize, &str)> = report
        .findings
        .iter()
        .map(|f| (f.path.as_str(), f.line, f.rule))
        .collect();
    assert_eq!(
        got,
        vec![
            ("src/a_invalid.rs", 1, id::PARSE_ERROR),
            ("src/b_latin1.rs", 2, id::PARSE_ERROR),
            ("src/c_binary.rs", 1, id::PARSE_ERROR),
            ("src/d_huge.rs", 1, id::PARSE_ERROR),
            ("src/e_ok.rs", 3, id::COMMAND_INJECTION),
        ]
    );
    let messages: Vec<&str> = report.findings.iter().map(|f| f.message.as_str()).collect();
    assert!(messages[0].starts_with("not valid Rust"), "{}", messages[0]);
    assert!(messages[1].contains("not valid UTF-8"), "{}", messages[1]);
    // A NUL byte alone does not make a file binary (rustc accepts one in
    // a comment); this one is not valid Rust.
    assert!(messages[2].starts_with("not valid Rust"), "{}", messages[2]);
    assert!(messages[3].contains("limit"), "{}", messages[3]);
}

#[test]
fn missing_target_is_an_error() {
    let err = scan(&[PathBuf::from("/no/such/dir")], &Options::default()).unwrap_err();
    assert!(err.to_string().contains("/no/such/dir"), "{err}");
}

#[test]
fn output_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..20 {
        write(dir.path(), &format!("src/m{i}.rs"), VULNERABLE);
    }
    let a = tollgate_sast::report::json::render(&run(dir.path(), Options::default()));
    let b = tollgate_sast::report::json::render(&run(dir.path(), Options::default()));
    assert_eq!(a, b);
    let report: serde_json::Value = serde_json::from_str(&a).unwrap();
    assert_eq!(report["findings"].as_array().unwrap().len(), 20);
}

#[test]
fn local_sources_are_one_level_lower_and_build_scripts_trust_cargo() {
    let dir = tempfile::tempdir().unwrap();
    let handler = r#"
async fn remote(axum::extract::Query(q): axum::extract::Query<Params>) {
    let _ = std::process::Command::new(q.program).status();
}
fn local() {
    let _ = std::process::Command::new(std::env::var("TOOL").unwrap()).status();
    let _ = std::process::Command::new(std::env::var("RUSTC").unwrap()).status();
}
"#;
    write(dir.path(), "src/lib.rs", handler);
    write(dir.path(), "build.rs", "fn main() { let _ = std::process::Command::new(std::env::var(\"WRAPPER\").unwrap()).status(); }\n");
    let report = run(dir.path(), Options::default());
    let got: Vec<(&str, usize, Severity)> = report
        .findings
        .iter()
        .map(|f| (f.path.as_str(), f.line, f.severity))
        .collect();
    assert_eq!(
        got,
        vec![
            ("src/lib.rs", 3, Severity::Critical),
            ("src/lib.rs", 6, Severity::High)
        ]
    );
}

#[test]
fn test_modules_declared_inside_inline_modules_are_skipped() {
    // As rustls declares them: `mod client { #[cfg(test)] mod test; }` in
    // lib.rs is src/client/test.rs, not src/test.rs.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "src/lib.rs",
        concat!(
            "// mod fake { }\n",
            "const S: &str = \"mod fake {\";\n",
            "const R: &str = r#\"} mod raw {\"#;\n",
            "const C: char = '{';\n",
            "fn f<'a>(x: &'a str) -> &'a str { x }\n",
            "pub mod client {\n    mod hs;\n    #[cfg(test)]\n    mod test;\n    pub mod inner { #[cfg(test)] mod t2; }\n}\n",
            "#[path = \"elsewhere\"]\nmod moved { #[cfg(test)] mod t3; }\n",
            "pub mod net {\n    #[error(\"frame too long [{0} bytes]\")]\n    pub struct E;\n    pub mod frame;\n}\n",
            "#[cfg(test)]\nmod frame;\n",
            "// #[cfg(test)]\npub mod handler;\n",
            "const D: &str = \"#[cfg(test)] mod codec;\";\npub mod codec;\n",
            "mod test;\n",
        ),
    );
    write(root, "src/client/test.rs", VULNERABLE);
    write(root, "src/client/inner/t2.rs", VULNERABLE);
    // Not test modules: the production `mod test;` at the top, a file
    // under a `#[path]` module (its place is not followed: kept), and a
    // sibling.
    write(root, "src/test.rs", VULNERABLE);
    write(root, "src/moved/t3.rs", VULNERABLE);
    write(root, "src/client/hs.rs", VULNERABLE);
    // An attribute with `]` in a string does not end the module early
    // (src/net/frame.rs is production, src/frame.rs the test); a
    // commented-out attribute and a declaration inside a string declare
    // nothing (red team rt36).
    write(root, "src/net/frame.rs", VULNERABLE);
    write(root, "src/frame.rs", VULNERABLE);
    write(root, "src/handler.rs", VULNERABLE);
    write(root, "src/codec.rs", VULNERABLE);
    let report = run(root, Options::default());
    let mut paths: Vec<_> = report.findings.iter().map(|f| f.path.as_str()).collect();
    paths.sort();
    assert_eq!(
        paths,
        vec![
            "src/client/hs.rs",
            "src/codec.rs",
            "src/handler.rs",
            "src/moved/t3.rs",
            "src/net/frame.rs",
            "src/test.rs"
        ]
    );
}

#[test]
fn test_modules_declared_in_another_file_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "src/lib.rs",
        "mod log;\n#[cfg(test)]\nmod tests;\n#[cfg(test)]\n#[path = \"x.rs\"]\npub(crate) mod helpers;\n",
    );
    write(
        root,
        "src/log.rs",
        "#[cfg(test)] mod tests;\npub fn f() {}\n",
    );
    write(root, "src/tests.rs", VULNERABLE);
    write(root, "src/helpers/mod.rs", VULNERABLE);
    write(root, "src/x.rs", VULNERABLE);
    write(root, "src/log/tests.rs", VULNERABLE);
    write(root, "src/log/other.rs", VULNERABLE);
    let report = run(root, Options::default());
    let paths: Vec<_> = report.findings.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, vec!["src/log/other.rs"]);
    let with_tests = run(
        root,
        Options {
            include_tests: true,
            ..Options::default()
        },
    );
    assert_eq!(with_tests.findings.len(), 5);
}
