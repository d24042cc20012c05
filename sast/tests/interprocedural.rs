//! Taint across functions of a file: summaries of which parameters reach
//! which sinks or the return value, applied at calls, with the path shown.
//! Lines marked `//~ rule` must be reported, every other line must not.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::collections::BTreeSet;
use tollgate_sast::analyze_source;

fn check(source: &str) -> Vec<tollgate_sast::Finding> {
    let mut want = BTreeSet::new();
    for (i, line) in source.lines().enumerate() {
        if let Some((_, rule)) = line.split_once("//~") {
            want.insert((i + 1, rule.trim().to_string()));
        }
    }
    let findings = analyze_source("src/lib.rs", source, false);
    let got: BTreeSet<(usize, String)> = findings
        .iter()
        .map(|f| (f.line, f.rule.to_string()))
        .collect();
    assert_eq!(
        got,
        want,
        "{:#?}",
        findings
            .iter()
            .map(|f| (f.line, f.rule, &f.message))
            .collect::<Vec<_>>()
    );
    findings
}

#[test]
fn argument_reaches_a_sink_in_the_callee() {
    let findings = check(
        r#"
use std::process::Command;

fn run(program: &str) {
    let _ = Command::new(program).status(); //~ command-injection
}

fn main() {
    let p = std::env::var("PROGRAM").unwrap();
    run(&p);
    run("ls");
}
"#,
    );
    let f = &findings[0];
    assert!(f.message.contains("through `run`"), "{}", f.message);
    let lines: Vec<usize> = f.flow.iter().map(|s| s.line).collect();
    assert_eq!(lines, vec![9, 10, 5], "{:?}", f.flow);
}

#[test]
fn returned_source_and_pass_through_parameters() {
    check(
        r#"
fn user_input() -> String {
    std::env::args().nth(1).unwrap_or_default()
}

fn wrap(s: &str) -> String {
    format!("SELECT * FROM t WHERE name = '{s}'")
}

fn constant(_ignored: &str) -> String {
    "SELECT 1".to_string()
}

fn main(conn: &rusqlite::Connection) {
    let name = user_input();
    conn.execute(&wrap(&name), []).unwrap(); //~ sql-injection
    conn.execute(&constant(&name), []).unwrap();
    let n: u32 = user_input().parse().unwrap_or(0);
    conn.execute(&wrap(&n.to_string()), []).unwrap();
}
"#,
    );
}

#[test]
fn methods_through_impl_blocks_self_and_two_levels() {
    check(
        r#"
struct Store { conn: rusqlite::Connection }

impl Store {
    fn raw(&self, sql: &str) {
        self.conn.execute(sql, []).unwrap(); //~ sql-injection
    }

    fn by_name(&self, name: &str) {
        let q = format!("SELECT * FROM users WHERE name = '{name}'");
        self.raw(&q);
    }

    fn open(path: &str) -> std::fs::File {
        std::fs::File::open(path).unwrap() //~ path-traversal
    }
}

async fn handler(axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>, store: Store) {
    let name = q.get("name").cloned().unwrap_or_default();
    store.by_name(&name);
    store.by_name("admin");
    let _ = Store::open(&name);
}
"#,
    );
}

#[test]
fn recursion_reaches_a_fixpoint() {
    check(
        r#"
fn remove(path: &str, depth: u32) {
    if depth == 0 {
        std::fs::remove_file(path).unwrap(); //~ path-traversal
    } else {
        remove(path, depth - 1);
    }
}

fn even(path: &str, n: u32) { if n > 0 { odd(path, n - 1) } }
fn odd(path: &str, n: u32) {
    if n == 0 {
        std::fs::remove_dir_all(path).unwrap(); //~ path-traversal
    } else {
        even(path, n - 1)
    }
}

async fn handler(axum::extract::Path(p): axum::extract::Path<String>) {
    remove(&p, 3);
    even(&p, 4);
    remove("/var/cache/app", 1);
}
"#,
    );
}

#[test]
fn a_guard_in_the_caller_cleans_the_argument() {
    check(
        r#"
fn delete(path: &str) {
    std::fs::remove_file(path).unwrap();
}

fn main() {
    let p = std::env::args().nth(1).unwrap();
    if p.contains("..") || !is_valid_name(&p) {
        return;
    }
    delete(&p);
}
"#,
    );
}

/// Scan a crate written to a temporary directory: (path, source) pairs
/// whose `//~ rule` lines must be exactly the findings.
fn check_crate(files: &[(&str, &str)]) -> Vec<tollgate_sast::Finding> {
    let dir = tempfile::tempdir().unwrap();
    let mut want = BTreeSet::new();
    for (path, source) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, source).unwrap();
        for (i, line) in source.lines().enumerate() {
            if let Some((_, rule)) = line.split_once("//~") {
                want.insert((path.to_string(), i + 1, rule.trim().to_string()));
            }
        }
    }
    let options = tollgate_sast::Options {
        root: dir.path().to_path_buf(),
        ..Default::default()
    };
    let report = tollgate_sast::scan(&[dir.path().to_path_buf()], &options).unwrap();
    let got: BTreeSet<(String, usize, String)> = report
        .findings
        .iter()
        .filter(|f| f.rule != "undocumented-unsafe")
        .map(|f| (f.path.clone(), f.line, f.rule.to_string()))
        .collect();
    assert_eq!(
        got,
        want,
        "{:#?}",
        report
            .findings
            .iter()
            .map(|f| (&f.path, f.line, f.rule, &f.message))
            .collect::<Vec<_>>()
    );
    report.findings
}

#[test]
fn a_source_in_one_file_reaches_a_sink_in_another() {
    let findings = check_crate(&[
        (
            "src/main.rs",
            r#"
mod db;
mod shell;
use axum::extract::Query;

async fn handler(Query(p): Query<Params>) {
    let conn = db::connect();
    db::find_user(&conn, &p.name);
    let runner = shell::Runner::new();
    runner.run(&p.cmd);
}

async fn safe(Query(p): Query<Params>) {
    let conn = db::connect();
    db::find_user_bound(&conn, &p.name);
}
"#,
        ),
        (
            "src/db/mod.rs",
            r#"
pub fn connect() -> rusqlite::Connection {
    rusqlite::Connection::open_in_memory().unwrap()
}

pub fn find_user(conn: &rusqlite::Connection, name: &str) {
    let sql = format!("SELECT * FROM users WHERE name = '{}'", name);
    conn.execute(&sql, []).unwrap(); //~ sql-injection
}

pub fn find_user_bound(conn: &rusqlite::Connection, name: &str) {
    conn.execute("SELECT * FROM users WHERE name = ?1", [name]).unwrap();
}
"#,
        ),
        (
            "src/shell.rs",
            r#"
pub struct Runner;
impl Runner {
    pub fn new() -> Self { Runner }
    pub fn run(&self, line: &str) {
        std::process::Command::new("sh").arg("-c").arg(line).status().unwrap(); //~ command-injection
    }
}
"#,
        ),
    ]);
    let sql = findings.iter().find(|f| f.rule == "sql-injection").unwrap();
    let steps: Vec<(Option<&str>, usize)> = sql
        .flow
        .iter()
        .map(|s| (s.path.as_deref(), s.line))
        .collect();
    assert_eq!(
        steps,
        vec![
            (Some("src/main.rs"), 6),
            (Some("src/main.rs"), 8),
            (None, 8)
        ],
        "{:#?}",
        sql.flow
    );
    assert!(
        sql.message.contains("through `db::find_user`"),
        "{}",
        sql.message
    );
}

#[test]
fn summaries_chain_through_a_third_file() {
    // main -> api::handle (file 2) -> store::save (file 3): the second
    // round of re-analysis carries the sink up to main's call.
    check_crate(&[
        (
            "src/main.rs",
            r#"
mod api;
mod store;
use axum::extract::Query;

async fn handler(Query(p): Query<Params>) {
    api::handle(&p.name);
}

fn main() {
    // Local sources are followed within a file only.
    let arg = std::env::args().nth(1).unwrap();
    api::handle(&arg);
}
"#,
        ),
        (
            "src/api.rs",
            r#"
pub fn handle(input: &str) {
    let trimmed = input.trim();
    crate::store::save(trimmed);
}
"#,
        ),
        (
            "src/store.rs",
            r#"
pub fn save(name: &str) {
    std::fs::write(name, b"data").unwrap(); //~ path-traversal
}
"#,
        ),
    ]);
}

#[test]
fn a_caller_no_file_calls_gets_the_summaries_of_every_round() {
    // main -> a::handle -> b::forward -> c::save: each round carries the
    // sink one file up (b, then a); main, which no file calls, is left
    // out of the rounds and analysed once after them, with a's summary.
    check_crate(&[
        (
            "src/main.rs",
            r#"
mod a;
mod b;
mod c;
use axum::extract::Query;

async fn handler(Query(p): Query<Params>) {
    a::handle(&p.name);
}
"#,
        ),
        (
            "src/a.rs",
            r#"
pub fn handle(input: &str) {
    crate::b::forward(input.trim());
}
"#,
        ),
        (
            "src/b.rs",
            r#"
pub fn forward(name: &str) {
    crate::c::save(name);
}
"#,
        ),
        (
            "src/c.rs",
            r#"
pub fn save(name: &str) {
    std::fs::write(name, b"data").unwrap(); //~ path-traversal
}
"#,
        ),
    ]);
}

/// A `.method` call resolves across files only when one method of that
/// name is defined in the whole scan, whatever the summaries: with a second
/// `run` (harmless, so with no summary to export) the callee is unknown.
#[test]
fn a_method_defined_twice_in_a_scan_is_not_resolved() {
    let shell = r#"
pub struct Runner;
impl Runner {
    pub fn run(&self, line: &str) {
        std::process::Command::new("sh").arg("-c").arg(line).status().unwrap();
    }
}
"#;
    let main = r#"
mod shell;
mod other;
use axum::extract::Query;

async fn handler(Query(p): Query<Params>, runner: shell::Runner) {
    runner.run(&p.cmd);
}
"#;
    check_crate(&[
        ("src/main.rs", main),
        ("src/shell.rs", shell),
        (
            "src/other.rs",
            r#"
pub struct Quiet;
impl Quiet {
    pub fn run(&self, _line: &str) {}
}
"#,
        ),
    ]);
    // Defined once: resolved.
    let sink = shell.replace(
        ".status().unwrap();",
        ".status().unwrap(); //~ command-injection",
    );
    check_crate(&[("src/main.rs", main), ("src/shell.rs", &sink)]);
}

/// A suppression at the sink holds for findings another file's analysis
/// reports there, and is then not an unused suppression.
#[test]
fn a_suppression_at_the_sink_covers_findings_from_other_files() {
    check_crate(&[
        (
            "src/main.rs",
            r#"
mod shell;
use axum::extract::Query;

async fn handler(Query(p): Query<Params>) {
    shell::run(&p.program);
}
"#,
        ),
        (
            "src/shell.rs",
            r#"
pub fn run(program: &str) {
    // tollgate:allow(command-injection): the caller's own PATH chooses the program
    let _ = std::process::Command::new(program).status();
}

pub fn run_unsuppressed(program: &str) {
    let _ = std::process::Command::new(program).status(); //~ command-injection
}
"#,
        ),
        (
            "src/other.rs",
            r#"
use axum::extract::Query;

async fn go(Query(p): Query<Params>) {
    crate::shell::run_unsuppressed(&p.program);
}
"#,
        ),
    ]);
}
