//! `tollgate trusted-root`: the Sigstore trusted root through TUF, against
//! a local TUF repository built with the TUF reference implementation
//! (python-tuf, `tests/python/tuf_repo.py`) and served on 127.0.0.1.
//! Refreshes follow new versions; `--offline` works from the verified cache
//! with the server gone; a rollback, an expired timestamp, a tampered cache
//! and a foreign root are refused.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use crate::support::repo_root;

fn python() -> PathBuf {
    let python = repo_root().join("target/test-venv/bin/python");
    assert!(
        python.exists(),
        "{} is required (scripts/test installs sigstore, which brings tuf)",
        python.display()
    );
    python
}

fn repo_tool(args: &[&str], dir: &Path) {
    let out = Command::new(python())
        .arg(repo_root().join("tests/python/tuf_repo.py"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tuf_repo.py {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &Path) -> Server {
    let mut child = Command::new(python())
        .arg(repo_root().join("tests/python/tuf_repo.py"))
        .args(["serve", "repo"])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = serde_json::from_str::<serde_json::Value>(&line).unwrap()["url"]
        .as_str()
        .unwrap()
        .to_string();
    Server { child, url }
}

fn trusted_root(dir: &Path, url: &str, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args([
            "trusted-root",
            "--tuf-url",
            url,
            "--tuf-root",
            "bootstrap-root.json",
        ])
        .args(["--cache-dir", "cache", "--output", "out.json"])
        .args(extra)
        .current_dir(dir)
        .env_remove("XDG_CACHE_HOME")
        .output()
        .unwrap()
}

fn root_doc(version: u32) -> String {
    format!(
        "{{\"mediaType\": \"application/vnd.dev.sigstore.trustedroot+json;version=0.1\", \"tlogs\": [], \"certificateAuthorities\": [], \"ctlogs\": [], \"timestampAuthorities\": [], \"test-version\": {version}}}\n"
    )
}

/// A repository with trusted_root.json v1, its bootstrap root copied out.
fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("tr1.json"), root_doc(1)).unwrap();
    std::fs::write(d.join("tr2.json"), root_doc(2)).unwrap();
    repo_tool(&["init", "repo", "keys.json", "tr1.json"], d);
    std::fs::copy(d.join("repo/1.root.json"), d.join("bootstrap-root.json")).unwrap();
    dir
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn refused(out: Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "accepted: {err}");
    err
}

fn out_is(d: &Path, version: u32) {
    assert_eq!(
        std::fs::read_to_string(d.join("out.json")).unwrap(),
        root_doc(version)
    );
}

#[test]
fn refresh_follows_new_versions_and_offline_needs_no_server() {
    let dir = setup();
    let d = dir.path();
    let server = serve(d);
    let url = server.url.clone();
    assert!(ok(trusted_root(d, &url, &[])).contains("refreshed through TUF"));
    out_is(d, 1);
    repo_tool(&["publish", "repo", "keys.json", "tr2.json"], d);
    ok(trusted_root(d, &url, &[]));
    out_is(d, 2);
    drop(server);
    std::fs::remove_file(d.join("out.json")).unwrap();
    // The server is gone: online fails, offline is served from the cache.
    refused(trusted_root(d, &url, &[]));
    assert!(ok(trusted_root(d, &url, &["--offline"])).contains("verified TUF cache"));
    out_is(d, 2);
}

#[test]
fn a_rollback_to_an_older_timestamp_is_refused() {
    let dir = setup();
    let d = dir.path();
    std::fs::copy(d.join("repo/timestamp.json"), d.join("timestamp-v1.json")).unwrap();
    repo_tool(&["publish", "repo", "keys.json", "tr2.json"], d);
    let server = serve(d);
    ok(trusted_root(d, &server.url, &[]));
    out_is(d, 2);
    // The mirror now serves the validly signed, unexpired timestamp v1.
    repo_tool(&["rollback", "repo", "timestamp-v1.json"], d);
    std::fs::remove_file(d.join("out.json")).unwrap();
    let err = refused(trusted_root(d, &server.url, &[]));
    assert!(err.to_lowercase().contains("version"), "{err}");
    assert!(!d.join("out.json").exists(), "nothing written");
}

#[test]
fn an_expired_timestamp_is_refused_with_and_without_a_cache() {
    let dir = setup();
    let d = dir.path();
    let server = serve(d);
    ok(trusted_root(d, &server.url, &[]));
    // A newer timestamp, validly signed, already expired (a freeze attack).
    repo_tool(&["expire", "repo", "keys.json"], d);
    std::fs::remove_file(d.join("out.json")).unwrap();
    let err = refused(trusted_root(d, &server.url, &[]));
    assert!(err.to_lowercase().contains("expire"), "{err}");
    assert!(!d.join("out.json").exists());
    // A fresh client (no cache) is refused too.
    std::fs::remove_dir_all(d.join("cache")).unwrap();
    refused(trusted_root(d, &server.url, &[]));
}

#[test]
fn a_tampered_cache_and_a_foreign_root_are_refused() {
    let dir = setup();
    let d = dir.path();
    let server = serve(d);
    ok(trusted_root(d, &server.url, &[]));
    // Change the cached trusted root: the offline read checks it against
    // the signed targets metadata.
    let cached = walk(&d.join("cache"))
        .into_iter()
        .find(|p| p.to_string_lossy().ends_with("trusted_root.json"))
        .expect("the target is cached");
    std::fs::write(&cached, root_doc(9)).unwrap();
    std::fs::remove_file(d.join("out.json")).unwrap();
    refused(trusted_root(d, &server.url, &["--offline"]));
    assert!(!d.join("out.json").exists());

    // Another repository's root does not verify this one's metadata.
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("tr.json"), root_doc(1)).unwrap();
    repo_tool(&["init", "repo", "keys.json", "tr.json"], other.path());
    std::fs::copy(
        other.path().join("repo/1.root.json"),
        d.join("bootstrap-root.json"),
    )
    .unwrap();
    std::fs::remove_dir_all(d.join("cache")).unwrap();
    refused(trusted_root(d, &server.url, &[]));
}

#[test]
fn public_good_offline_with_nothing_cached_is_the_compiled_in_root() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["trusted-root", "--offline", "--cache-dir", "cache"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(ok(out.clone()).contains("compiled into tollgate"));
    let root: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(root["tlogs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["baseUrl"] == "https://rekor.sigstore.dev"));
    assert!(!dir.path().join("cache").exists(), "offline writes nothing");
    // A cache with metadata but its timestamp deleted is not "nothing
    // cached": falling back to the compiled-in root would roll back.
    let cache = dir
        .path()
        .join("cache/https%3A%2F%2Ftuf-repo-cdn.sigstore.dev");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(cache.join("root.json"), b"{}").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["trusted-root", "--offline", "--cache-dir", "cache"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let err = refused(out.clone());
    assert!(err.contains("no timestamp.json"), "{err}");
    assert!(out.stdout.is_empty());
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
