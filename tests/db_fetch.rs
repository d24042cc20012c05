//! `tollgate db fetch` over HTTPS against a real server: `git http-backend`
//! behind TLS on 127.0.0.1 (tests/support/git_https_server.py) with a
//! private CA made here, serving a repository built from advisories copied
//! at test time from `../shared/advisory-db`. The CA comes through
//! SSL_CERT_FILE or `--ca-file`; a wrong CA, a transfer cut mid-pack (by a
//! truncating proxy, or the server dying), and a damaged local copy are
//! each met the way a user would meet them. Last, `tollgate ci --demo` with
//! an empty HOME and CARGO_HOME and no network, on the snapshot built into
//! the binary.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use crate::support::{self, repo_root, Tollgate};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A CA, written as `NAME.pem`.
fn ca(dir: &Path, name: &str, common_name: &str) -> (CertificateParams, KeyPair) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    std::fs::write(dir.join(format!("{name}.pem")), cert.pem()).unwrap();
    (params, key)
}

/// The world of one test: the CAs, the server certificate, the upstream
/// database (a working copy pushed to a bare repository the server serves).
struct Fixture {
    dir: tempfile::TempDir,
}

/// Advisories served at first, and added by `advance`.
const FIRST: &[&str] = &["h2", "rsa", "sqlx", "time", "smallvec"];
const LATER: &[&str] = &["openssl", "tokio", "hyper", "regex", "chrono"];

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let issuer = ca(d, "ca", "tollgate test CA");
        ca(d, "wrong-ca", "some other CA");
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.subject_alt_names = vec![SanType::IpAddress([127, 0, 0, 1].into())];
        params
            .distinguished_name
            .push(DnType::CommonName, "advisory server");
        let key = KeyPair::generate().unwrap();
        let cert = params
            .signed_by(&key, &Issuer::from_params(&issuer.0, &issuer.1))
            .unwrap();
        std::fs::write(d.join("server.crt"), cert.pem()).unwrap();
        std::fs::write(d.join("server.key"), key.serialize_pem()).unwrap();

        let work = d.join("upstream");
        std::fs::create_dir_all(&work).unwrap();
        git(&work, &["init", "-q", "-b", "main"]);
        let fixture = Fixture { dir };
        fixture.add(FIRST, "first advisories");
        git(
            fixture.dir.path(),
            &[
                "clone",
                "-q",
                "--bare",
                "upstream",
                "served/advisory-db.git",
            ],
        );
        fixture
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn add(&self, crates: &[&str], message: &str) {
        let work = self.path("upstream");
        for name in crates {
            copy_dir(
                &support::advisory_db().join("crates").join(name),
                &work.join("crates").join(name),
            );
        }
        git(&work, &["add", "-A"]);
        git(&work, &["commit", "-q", "-m", message]);
    }

    /// A new upstream commit, pushed to the served repository.
    fn advance(&self) -> String {
        self.add(LATER, "more advisories");
        let work = self.path("upstream");
        let served = self.path("served/advisory-db.git");
        git(&work, &["push", "-q", served.to_str().unwrap(), "main"]);
        git(&work, &["rev-parse", "HEAD"])
    }

    fn upstream_head(&self) -> String {
        git(&self.path("upstream"), &["rev-parse", "HEAD"])
    }

    fn serve(&self, extra: &[&str]) -> Server {
        let port_file = self.path(&format!("port-{}", rand_suffix()));
        let child = Command::new("python3")
            .arg(repo_root().join("tests/support/git_https_server.py"))
            .args(["--root", self.path("served").to_str().unwrap()])
            .args(["--cert", self.path("server.crt").to_str().unwrap()])
            .args(["--key", self.path("server.key").to_str().unwrap()])
            .args(["--port-file", port_file.to_str().unwrap()])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs");
        let mut server = Server {
            child,
            url: String::new(),
        };
        for _ in 0..200 {
            if let Ok(port) = std::fs::read_to_string(&port_file) {
                server.url = format!("https://127.0.0.1:{}/advisory-db.git", port.trim());
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("the HTTPS git server exited: {status}");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("the HTTPS git server did not start");
    }

    /// `tollgate db fetch --advisory-db DB --url URL ARGS` with no CA
    /// settings from the environment unless `env` gives them.
    fn fetch(&self, db: &str, url: &str, args: &[&str], env: &[(&str, &Path)]) -> Output {
        let mut cmd = Tollgate::new(self.dir.path())
            .args(["db", "fetch", "--advisory-db", db, "--url", url])
            .args(args)
            .env_remove("SSL_CERT_FILE")
            .env_remove("SSL_CERT_DIR");
        for (k, v) in env {
            cmd = cmd.env(k, v);
        }
        cmd.run()
    }

    /// HEAD of a local copy, and a digest of its advisories' contents.
    fn state(&self, db: &str) -> (String, String) {
        let dir = self.path(db);
        let head = git(&dir, &["rev-parse", "HEAD"]);
        assert_eq!(
            git(&dir, &["status", "--porcelain"]),
            "",
            "a clean checkout"
        );
        let tree = git(&dir, &["ls-files", "-s"]);
        (head, tree)
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
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

fn advisories_in(dir: &Path) -> usize {
    let mut n = 0;
    for krate in std::fs::read_dir(dir.join("crates")).unwrap() {
        n += std::fs::read_dir(krate.unwrap().path()).unwrap().count();
    }
    n
}

fn count_of(crates: &[&str]) -> usize {
    crates
        .iter()
        .map(|c| {
            std::fs::read_dir(support::advisory_db().join("crates").join(c))
                .unwrap()
                .count()
        })
        .sum()
}

/// No directory but `keep` in `dir` starts with `.NAME.` (no staging left).
fn no_leftovers(dir: &Path, name: &str) {
    let left: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!(".{name}.")))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn https_fetch_trusts_the_ca_given_in_ssl_cert_file() {
    let f = Fixture::new();
    let server = f.serve(&[]);
    let ca = f.path("ca.pem");
    let out = f.fetch("db", &server.url, &[], &[("SSL_CERT_FILE", &ca)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("cloned") && t.contains(&server.url), "{t}");
    assert_eq!(f.state("db").0, f.upstream_head());
    assert_eq!(advisories_in(&f.path("db")), count_of(FIRST));
    assert!(
        t.contains(&format!("({} advisories", count_of(FIRST))),
        "{t}"
    );

    // An update over the same connection settings.
    let head = f.advance();
    let out = f.fetch("db", &server.url, &[], &[("SSL_CERT_FILE", &ca)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("updated"), "{}", text(&out));
    assert_eq!(f.state("db").0, head);
    assert_eq!(
        advisories_in(&f.path("db")),
        count_of(FIRST) + count_of(LATER)
    );

    // The fetched database is what `audit` then reads.
    let out = Tollgate::new(&repo_root())
        .args([
            "audit",
            "demo/Cargo.lock",
            "--format",
            "json",
            "--advisory-db",
        ])
        .arg(f.path("db"))
        .run();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = report["vulnerabilities"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["advisory"]["package"].as_str())
        .collect();
    for krate in ["h2", "rsa", "sqlx"] {
        assert!(ids.contains(&krate), "{krate} not reported: {ids:?}");
    }

    // SSL_CERT_FILE naming nothing is an error, not a silent fallback.
    let out = f.fetch(
        "db2",
        &server.url,
        &[],
        &[("SSL_CERT_FILE", &f.path("no-such.pem"))],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("SSL_CERT_FILE") && text(&out).contains("no-such.pem"),
        "{}",
        text(&out)
    );
    assert!(!f.path("db2").exists());
}

#[test]
fn https_fetch_trusts_the_ca_given_with_ca_file() {
    let f = Fixture::new();
    let server = f.serve(&[]);
    let out = f.fetch("db", &server.url, &["--ca-file", "ca.pem"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(f.state("db").0, f.upstream_head());

    // --ca-file wins over SSL_CERT_FILE.
    let out = f.fetch(
        "db2",
        &server.url,
        &["--ca-file", "ca.pem"],
        &[("SSL_CERT_FILE", &f.path("wrong-ca.pem"))],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // Not a certificate: named, exit 2, nothing fetched.
    let out = f.fetch("db3", &server.url, &["--ca-file", "server.key"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("server.key") && text(&out).contains("no PEM certificate"),
        "{}",
        text(&out)
    );
    let out = f.fetch("db3", &server.url, &["--ca-file", "missing.pem"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("missing.pem"), "{}", text(&out));
    assert!(!f.path("db3").exists());
}

#[test]
fn https_fetch_with_the_wrong_ca_says_which_certificate_and_why() {
    let f = Fixture::new();
    let server = f.serve(&[]);
    for (args, env) in [
        (vec!["--ca-file", "wrong-ca.pem"], vec![]),
        (vec![], vec![("SSL_CERT_FILE", f.path("wrong-ca.pem"))]),
        // Only the system's store: the private CA is not in it.
        (vec![], vec![]),
    ] {
        let env: Vec<(&str, &Path)> = env.iter().map(|(k, v)| (*k, v.as_path())).collect();
        let out = f.fetch("db", &server.url, &args, &env);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(2), "{t}");
        assert!(t.contains(&server.url), "names the URL: {t}");
        assert!(t.contains("TLS certificate rejected"), "{t}");
        assert!(
            t.contains("CN=advisory server")
                && t.contains("\"CN=tollgate test CA\", which is not among the trusted CAs"),
            "names the certificate and the problem: {t}"
        );
        assert!(t.contains("--ca-file"), "says how to fix it: {t}");
        assert!(!f.path("db").exists(), "nothing half-written");
        no_leftovers(f.dir.path(), "db");
    }
}

#[test]
fn an_interrupted_fetch_keeps_the_old_database() {
    let f = Fixture::new();
    let ca = f.path("ca.pem");
    let env = [("SSL_CERT_FILE", ca.as_path())];
    let good = f.serve(&[]);
    let out = f.fetch("db", &good.url, &[], &env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let before = f.state("db");
    let head = f.advance();

    // A proxy that cuts the pack, then a server that dies mid-pack.
    for mode in ["--cut-upload-pack", "--die-upload-pack"] {
        let mut broken = f.serve(&[mode, "2000"]);
        let out = f.fetch("db", &broken.url, &[], &env);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(2), "{mode}: {t}");
        assert!(t.contains(&broken.url), "{mode}: {t}");
        assert_eq!(f.state("db"), before, "{mode}: the old database is intact");
        assert_eq!(advisories_in(&f.path("db")), count_of(FIRST));
        if mode == "--die-upload-pack" {
            let status = broken.child.wait().unwrap();
            assert_eq!(status.code(), Some(3), "the server died mid-transfer");
        }

        // A first clone cut the same way leaves nothing behind.
        let mut broken = f.serve(&[mode, "2000"]);
        let out = f.fetch("fresh", &broken.url, &[], &env);
        assert_eq!(out.status.code(), Some(2), "{mode}: {}", text(&out));
        assert!(!f.path("fresh").exists());
        no_leftovers(f.dir.path(), "fresh");
        let _ = broken.child.kill();
    }

    // Once the network is back the update goes through.
    let out = f.fetch("db", &good.url, &[], &env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(f.state("db").0, head);
}

#[test]
fn a_damaged_local_copy_is_detected_and_replaced_by_a_fresh_clone() {
    let f = Fixture::new();
    let ca = f.path("ca.pem");
    let env = [("SSL_CERT_FILE", ca.as_path())];
    let server = f.serve(&[]);
    let out = f.fetch("db", &server.url, &[], &env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let good = f.state("db");

    // Pack data overwritten (disk damage, an interrupted copy).
    let packs: Vec<PathBuf> = std::fs::read_dir(f.path("db/.git/objects/pack"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pack"))
        .collect();
    assert!(!packs.is_empty());
    for pack in &packs {
        let mut bytes = std::fs::read(pack).unwrap();
        let len = bytes.len();
        for b in &mut bytes[12..len - 20] {
            *b = 0xA5;
        }
        std::fs::write(pack, bytes).unwrap();
    }
    // The damage is there before the fetch: git itself cannot read it.
    assert!(!Command::new("git")
        .args([
            "-C",
            f.path("db").to_str().unwrap(),
            "fsck",
            "--no-dangling"
        ])
        .output()
        .unwrap()
        .status
        .success());

    // Unreachable server: a clear error, the damaged copy left for the user.
    let out = f.fetch("db", &server.url, &["--ca-file", "wrong-ca.pem"], &[]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("TLS certificate rejected") && t.contains("damaged and was left as it was"),
        "{t}"
    );
    assert!(f.path("db/.git").is_dir());

    let out = f.fetch("db", &server.url, &[], &env);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(
        t.contains("was damaged") && t.contains("fresh clone"),
        "{t}"
    );
    assert_eq!(f.state("db"), good);
    no_leftovers(f.dir.path(), "db");

    // A HEAD that is garbage.
    std::fs::write(f.path("db/.git/HEAD"), "garbage\n").unwrap();
    let out = f.fetch("db", &server.url, &[], &env);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("was damaged"), "{t}");
    assert_eq!(f.state("db"), good);

    // A damaged working tree is not a damaged copy: the update restores it.
    std::fs::write(f.path("db/crates/h2/extra.md"), "not an advisory").unwrap();
    let first = std::fs::read_dir(f.path("db/crates/rsa"))
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    std::fs::write(&first, "+++\nbroken").unwrap();
    let out = f.fetch("db", &server.url, &[], &env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("updated"), "{}", text(&out));
    assert_eq!(f.state("db").0, good.0);
}

/// `unshare -n` (a network namespace with nothing in it) when this machine
/// allows it, so "no network" is enforced rather than assumed.
fn without_network(program: &Path) -> Command {
    let isolated = Command::new("unshare")
        .args(["-n", "true"])
        .output()
        .is_ok_and(|o| o.status.success())
        || Command::new("unshare")
            .args(["-rn", "true"])
            .output()
            .is_ok_and(|o| o.status.success());
    if isolated {
        let flag = if Command::new("unshare")
            .args(["-n", "true"])
            .output()
            .is_ok_and(|o| o.status.success())
        {
            "-n"
        } else {
            "-rn"
        };
        let mut cmd = Command::new("unshare");
        cmd.arg(flag).arg(program);
        cmd
    } else {
        eprintln!("note: unshare -n is not permitted here; running with the network present");
        Command::new(program)
    }
}

#[test]
fn the_demo_runs_with_an_empty_home_no_advisory_db_and_no_network() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let cargo_home = dir.path().join("cargo-home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&cargo_home).unwrap();
    let source = std::fs::read_to_string(repo_root().join("sbom/snapshot/SOURCE")).unwrap();
    let date = source
        .lines()
        .find_map(|l| l.strip_prefix("date "))
        .unwrap()
        .to_string();

    let out = without_network(Path::new(env!("CARGO_BIN_EXE_tollgate")))
        .args(["ci", "--demo", "--out", "out", "--format", "json"])
        .current_dir(dir.path())
        .env("HOME", &home)
        .env("CARGO_HOME", &cargo_home)
        .env_remove("SSL_CERT_FILE")
        .output()
        .unwrap();
    let t = text(&out);
    // The vulnerable demo is denied: a verdict, not an error.
    assert_eq!(out.status.code(), Some(1), "{t}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: no advisory database")
            && stderr.contains("snapshot built into tollgate")
            && stderr.contains(&date),
        "warns with the snapshot's date: {stderr}"
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary, written);
    let audit: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/audit.json")).unwrap()).unwrap();
    let packages: Vec<&str> = audit["vulnerabilities"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["package"]["name"].as_str())
        .collect();
    for krate in ["h2", "rsa", "sqlx"] {
        assert!(packages.contains(&krate), "{krate}: {packages:?}");
    }
    // Nothing was fetched or cached, and the unpacked snapshot is gone.
    assert_eq!(std::fs::read_dir(&home).unwrap().count(), 0);
    assert_eq!(std::fs::read_dir(&cargo_home).unwrap().count(), 0);
    let stray: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "home" && n != "cargo-home" && n != "out")
        .collect();
    assert!(stray.is_empty(), "{stray:?}");

    // `audit` on its own falls back the same way, and says so.
    let out = without_network(Path::new(env!("CARGO_BIN_EXE_tollgate")))
        .args(["audit", "--format", "json"])
        .arg(repo_root().join("demo/Cargo.lock"))
        .current_dir(dir.path())
        .env("HOME", &home)
        .env("CARGO_HOME", &cargo_home)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&date),
        "{}",
        text(&out)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["vulnerabilities"]["count"].as_u64().unwrap() >= 3);

    // A database that is given but missing is still an error, not the snapshot.
    let out = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["audit", "--advisory-db", "nowhere"])
        .arg(repo_root().join("demo/Cargo.lock"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("advisory database not found"));
}

/// `[advisories] ca-file` in the nearest tollgate.toml, relative to that
/// file: used when neither `--ca-file` nor SSL_CERT_FILE is given, and
/// overridden by both.
#[test]
fn https_fetch_trusts_the_ca_named_in_tollgate_toml() {
    let f = Fixture::new();
    let server = f.serve(&[]);
    std::fs::create_dir_all(f.path("certs")).unwrap();
    std::fs::copy(f.path("ca.pem"), f.path("certs/ca.pem")).unwrap();
    std::fs::copy(f.path("wrong-ca.pem"), f.path("certs/wrong-ca.pem")).unwrap();
    std::fs::write(
        f.path("tollgate.toml"),
        "[advisories]\nca-file = \"certs/ca.pem\"\n",
    )
    .unwrap();
    let out = f.fetch("db", &server.url, &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(f.state("db").0, f.upstream_head());

    std::fs::write(
        f.path("tollgate.toml"),
        "[advisories]\nca-file = \"certs/wrong-ca.pem\"\n",
    )
    .unwrap();
    let out = f.fetch("db2", &server.url, &[], &[]);
    assert_ne!(out.status.code(), Some(0), "the wrong CA is not trusted");
    assert!(!f.path("db2").exists());
    // The flag and the environment win over the file.
    let out = f.fetch("db2", &server.url, &["--ca-file", "ca.pem"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = f.fetch(
        "db3",
        &server.url,
        &[],
        &[("SSL_CERT_FILE", &f.path("ca.pem"))],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // A missing file is named; an unknown key is refused.
    std::fs::write(
        f.path("tollgate.toml"),
        "[advisories]\nca-file = \"certs/missing.pem\"\n",
    )
    .unwrap();
    let out = f.fetch("db4", &server.url, &[], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("missing.pem"), "{}", text(&out));
    std::fs::write(
        f.path("tollgate.toml"),
        "[advisories]\nca-fle = \"ca.pem\"\n",
    )
    .unwrap();
    let out = f.fetch("db4", &server.url, &[], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("ca-fle"), "{}", text(&out));
}
