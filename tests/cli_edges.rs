//! The rough edges a new user hits, at the command line: where `-o` (and
//! every flag naming a file tollgate writes) goes — devices, FIFOs,
//! symbolic links, `-` — a closed pipe, bare relative paths, an
//! interrupted `tollgate ci`, the error messages of issue 16, and the
//! conventions (completions, man page, --quiet, --color, version --json).
//!
//! Device nodes are made here with mknod (the tests run as root); the
//! system's own devices are never given to `-o`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use crate::support::{self, advisory_db, tollgate, Tollgate};

use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A Rust file with a finding SAST reports (a hard-coded secret).
const FINDING: &str = "pub fn key() -> &'static str {\n    \"AKIAIOSFODNN7EXAMPLE\"\n}\n\npub fn run(cmd: &str) {\n    let _ = std::process::Command::new(\"sh\").arg(\"-c\").arg(cmd).status();\n}\n";

/// A directory with one Rust source file that has findings.
fn sast_project(dir: &Path) {
    std::fs::write(dir.join("t.rs"), FINDING).unwrap();
}

/// A character device like /dev/null, made in `dir`.
fn null_device(dir: &Path) -> PathBuf {
    let node = dir.join("null");
    let made = Command::new("mknod")
        .args([node.to_str().unwrap(), "c", "1", "3"])
        .status()
        .unwrap();
    assert!(made.success(), "mknod needs root (the tests run as root)");
    node
}

fn assert_char_device(path: &Path, rdev: u64) {
    let meta = std::fs::symlink_metadata(path).unwrap();
    assert!(
        meta.file_type().is_char_device(),
        "{} was replaced by a {:?}",
        path.display(),
        meta.file_type()
    );
    assert_eq!(meta.rdev(), rdev);
}

fn no_temp_files(dir: &Path) {
    let temps: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp") || n.contains(".tmp-"))
        .collect();
    assert!(temps.is_empty(), "temporary files left: {temps:?}");
}

#[test]
fn a_device_given_to_o_is_written_through_and_survives() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    sast_project(d);
    let null = null_device(d);
    let rdev = std::fs::metadata(&null).unwrap().rdev();
    let null_s = null.to_str().unwrap();
    let db = advisory_db();
    support::cargo_project(&d.join("svc"));
    let runs: Vec<Vec<&str>> = vec![
        vec!["sast", "t.rs", "-o", null_s, "--fail-on", "never"],
        vec!["sast", "--list-rules", "-o", null_s],
        vec!["sast", "t.rs", "--write-baseline", null_s],
        vec!["policy", "init", "-o", null_s],
        vec!["sbom", "svc", "--offline", "-o", null_s],
        vec![
            "audit",
            "svc/Cargo.lock",
            "--advisory-db",
            db.to_str().unwrap(),
            "--format",
            "json",
            "-o",
            null_s,
        ],
    ];
    for args in runs {
        let o = tollgate(&args, d);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", err(&o));
        assert_char_device(&null, rdev);
        // Written through: nothing was staged beside it.
        no_temp_files(d);
    }
    // The device still works as one: reads give nothing.
    assert_eq!(std::fs::read(&null).unwrap(), b"");
}

#[test]
fn a_fifo_given_to_o_is_written_through_to_its_reader() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let o = tollgate(
        &[
            "sast",
            "--list-rules",
            "--format",
            "json",
            "-o",
            fifo.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let read = reader.join().unwrap();
    let rules: serde_json::Value = serde_json::from_str(&read).unwrap();
    assert!(rules.as_array().is_some_and(|r| !r.is_empty()));
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
}

#[test]
fn a_symlink_stays_a_link_and_its_target_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("reports")).unwrap();
    let real = d.join("reports/real.json");
    std::fs::write(&real, "old").unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink("reports/real.json", d.join("link.json")).unwrap();
    let o = tollgate(
        &[
            "sast",
            "--list-rules",
            "--format",
            "json",
            "-o",
            "link.json",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let link = std::fs::symlink_metadata(d.join("link.json")).unwrap();
    assert!(link.file_type().is_symlink(), "the link was replaced");
    let text = std::fs::read_to_string(&real).unwrap();
    assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok());
    assert_eq!(
        std::fs::metadata(&real).unwrap().permissions().mode() & 0o777,
        0o640,
        "an existing file keeps its permissions"
    );
    // ... and its owner (the tests run as root, which may set it).
    std::os::unix::fs::chown(&real, Some(4242), Some(4243)).unwrap();
    let o = tollgate(&["sast", "--list-rules", "-o", "link.json"], d);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let meta = std::fs::metadata(&real).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (4242, 4243));
    assert!(std::fs::read_to_string(&real).unwrap().contains("CWE-"));
    no_temp_files(d);
    no_temp_files(&d.join("reports"));

    // A dangling link: its target is created; the link stays.
    std::os::unix::fs::symlink("reports/new.yaml", d.join("policy.yaml")).unwrap();
    let o = tollgate(&["policy", "init", "-o", "policy.yaml"], d);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(std::fs::symlink_metadata(d.join("policy.yaml"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(std::fs::read_to_string(d.join("reports/new.yaml"))
        .unwrap()
        .contains("authorities"));

    // A link to a device: written through, the device survives.
    let null = null_device(d);
    let rdev = std::fs::metadata(&null).unwrap().rdev();
    std::os::unix::fs::symlink("null", d.join("to-null")).unwrap();
    let o = tollgate(&["policy", "init", "-o", "to-null"], d);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_char_device(&null, rdev);
    assert!(std::fs::symlink_metadata(d.join("to-null"))
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn dash_is_standard_output_and_new_files_are_whole() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = tollgate(&["policy", "init", "-o", "-"], d);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(out(&o).contains("authorities"));
    assert!(!d.join("-").exists(), "`-` is not a file name");

    let o = tollgate(&["sast", "--list-rules", "--format", "json", "-o", "-"], d);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(serde_json::from_str::<serde_json::Value>(&out(&o)).is_ok());

    // A new regular file: the usual permissions, no temporary left behind.
    let o = tollgate(&["policy", "init", "-o", "p.yaml"], d);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let mode = std::fs::metadata(d.join("p.yaml"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o044, 0o044, "a report is not private: {mode:o}");
    no_temp_files(d);

    // A directory, or a missing parent: exit 2, nothing written.
    std::fs::create_dir(d.join("adir")).unwrap();
    let o = tollgate(&["policy", "init", "-o", "adir"], d);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("adir: is a directory"), "{}", err(&o));
    assert_eq!(std::fs::read_dir(d.join("adir")).unwrap().count(), 0);
    let o = tollgate(&["policy", "init", "-o", "missing/p.yaml"], d);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("missing/p.yaml"), "{}", err(&o));
    assert!(!d.join("missing").exists());
}

/// Run with standard output a pipe whose reader is already gone.
fn closed_stdout(args: &[&str], dir: &Path) -> Output {
    // Close-on-exec: no other test's child in this process inherits the
    // reader (the child gets the writer as its standard output).
    let (reader, writer) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).unwrap();
    drop(reader);
    Tollgate::new(dir)
        .command()
        .args(args)
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

#[test]
fn a_closed_pipe_ends_quietly_with_success() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    sast_project(d);
    support::cargo_project(&d.join("svc"));
    let db = advisory_db();
    let runs: Vec<Vec<&str>> = vec![
        // Findings would exit 1: a closed pipe is still success, as in ripgrep.
        vec!["sast", "t.rs"],
        vec!["sast", "t.rs", "--format", "sarif"],
        vec!["sast", "--list-rules"],
        vec!["sast", "--explain", "hardcoded-secret"],
        vec![
            "audit",
            "svc",
            "--offline",
            "--advisory-db",
            db.to_str().unwrap(),
        ],
        vec!["sbom", "svc", "--offline"],
        vec!["policy", "init"],
        vec!["version", "--json"],
        vec!["completions", "bash"],
        vec!["man"],
    ];
    for args in runs {
        let o = closed_stdout(&args, d);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", err(&o));
        assert!(
            !err(&o).contains("error") && !err(&o).contains("panicked"),
            "{args:?}: {}",
            err(&o)
        );
    }

    // The shell form from the issue, with pipefail, on a tree whose report
    // is larger than a pipe's buffer: `head` exits while tollgate writes.
    let tree = d.join("tree");
    std::fs::create_dir(&tree).unwrap();
    for i in 0..400 {
        std::fs::write(tree.join(format!("f{i}.rs")), FINDING).unwrap();
    }
    let exe = env!("CARGO_BIN_EXE_tollgate");
    let o = Command::new("bash")
        .args(["-c", "set -o pipefail; \"$0\" sast . | head -1", exe])
        .current_dir(&tree)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(out(&o).lines().count(), 1);
}

#[test]
fn a_closed_pipe_on_an_unknown_rule_is_still_an_error() {
    // Errors keep exit 2 whatever standard output is.
    let dir = tempfile::tempdir().unwrap();
    let o = closed_stdout(&["sast", "--explain", "no-such-rule"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("no-such-rule"));
}

#[test]
fn bare_relative_paths() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    sast_project(d);
    let o = tollgate(&["sast", "t.rs", "--format", "json"], d);
    assert_eq!(o.status.code(), Some(1), "findings expected: {}", err(&o));
    let report: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert!(report.to_string().contains("t.rs"), "{report}");

    // `audit Cargo.lock` reads the tollgate.toml beside the lockfile: an
    // invalid one is an error that names it, not silently skipped ...
    support::cargo_project(&d.join("svc"));
    let svc = d.join("svc");
    std::fs::write(svc.join("tollgate.toml"), "[audit]\nno-such-key = 1\n").unwrap();
    let db = advisory_db();
    let o = tollgate(
        &["audit", "Cargo.lock", "--advisory-db", db.to_str().unwrap()],
        &svc,
    );
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("tollgate.toml"), "{}", err(&o));
    assert!(err(&o).contains("no-such-key"), "{}", err(&o));
    // ... and so is one for `sast t.rs`.
    std::fs::write(d.join("tollgate.toml"), "[sast]\nno-such-key = 1\n").unwrap();
    let o = tollgate(&["sast", "t.rs"], d);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("tollgate.toml"), "{}", err(&o));
    std::fs::remove_file(d.join("tollgate.toml")).unwrap();

    // A valid one is applied: a banned crate fails the audit.
    std::fs::write(
        svc.join("tollgate.toml"),
        "[audit.bans]\ndeny = [{ crate = \"svc\", reason = \"banned here\" }]\n",
    )
    .unwrap();
    let o = tollgate(
        &["audit", "Cargo.lock", "--advisory-db", db.to_str().unwrap()],
        &svc,
    );
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(
        out(&o).contains("svc@1.0.0 is banned: banned here"),
        "the ban in tollgate.toml was not applied: {}",
        out(&o)
    );
}

/// The staging directories `tollgate ci` left in `dir`.
fn partial_dirs(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".partial-"))
        .collect()
}

fn interrupt_ci(signal: &str, expected: i32) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = advisory_db();
    let mut child = Tollgate::new(d)
        .command()
        .args([
            "ci",
            "--demo",
            "--out",
            "out",
            "--offline",
            "--advisory-db",
            db.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the demo key has been generated into the staging directory.
    let started = Instant::now();
    let staged = loop {
        let key = partial_dirs(d)
            .into_iter()
            .map(|p| d.join(p).join("keys/demo.key"))
            .find(|k| k.exists());
        if let Some(key) = key {
            break key;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no staging directory appeared"
        );
        assert!(child.try_wait().unwrap().is_none(), "ci ended early");
        std::thread::sleep(Duration::from_millis(20));
    };
    let staging = staged.parent().unwrap().parent().unwrap().to_path_buf();
    assert_eq!(
        std::fs::metadata(&staging).unwrap().permissions().mode() & 0o777,
        0o700,
        "the staging directory holds a private key"
    );
    let sent = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(expected), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(!staging.exists(), "{} left behind", staging.display());
    assert!(partial_dirs(d).is_empty(), "{:?}", partial_dirs(d));
    assert!(!d.join("out").exists());
}

#[test]
fn sigterm_during_ci_removes_the_staging_directory() {
    interrupt_ci("-TERM", 143);
}

#[test]
fn sigint_during_ci_removes_the_staging_directory() {
    interrupt_ci("-INT", 130);
}

#[test]
fn a_stale_staging_directory_is_removed_by_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A process id that is not running.
    let pid = (400_000..4_000_000)
        .find(|p| !Path::new(&format!("/proc/{p}")).exists())
        .unwrap();
    let stale = d.join(format!(".out.partial-{pid}"));
    std::fs::create_dir_all(stale.join("keys")).unwrap();
    std::fs::write(stale.join("keys/demo.key"), "secret").unwrap();
    // A live one (this test process) is left alone.
    let live = d.join(format!(".out.partial-{}", std::process::id()));
    std::fs::create_dir(&live).unwrap();
    // The run fails fast (no such database) after the cleanup.
    let o = tollgate(
        &[
            "ci",
            "--demo",
            "--out",
            "out",
            "--offline",
            "--advisory-db",
            "no-such-db",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        !stale.exists(),
        "the stale staging directory is still there"
    );
    assert!(
        err(&o).contains("left by an interrupted run"),
        "{}",
        err(&o)
    );
    assert!(
        live.exists(),
        "a running process's staging directory was removed"
    );
}

/// A key pair (empty password) and a keyed bundle for `app.bin` in `d`.
fn signed_file(d: &Path) {
    std::fs::write(d.join("app.bin"), b"release bytes").unwrap();
    let o = Tollgate::new(d)
        .args(["key", "generate", "--output-key-prefix", "k"])
        .env("COSIGN_PASSWORD", "")
        .run();
    assert!(o.status.success(), "{}", err(&o));
    let o = Tollgate::new(d)
        .args([
            "sign",
            "app.bin",
            "--key",
            "k.key",
            "--bundle",
            "app.sigstore.json",
        ])
        .env("COSIGN_PASSWORD", "")
        .run();
    assert!(o.status.success(), "{}", err(&o));
}

fn verify_bundle(d: &Path, subject: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "verify-bundle",
        "--bundle",
        "app.sigstore.json",
        "--insecure-ignore-tlog",
    ];
    if !extra.contains(&"--key") {
        args.extend(["--key", "k.pub"]);
    }
    args.extend(extra);
    args.push(subject);
    tollgate(&args, d)
}

#[test]
fn verify_bundle_input_errors_exit_2_and_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    signed_file(d);
    // The positive control.
    let o = verify_bundle(d, "app.bin", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));

    // A digest with 63 hex digits, or another algorithm: a malformed digest.
    let short = format!("sha256:{}", "a".repeat(63));
    let o = verify_bundle(d, &short, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("malformed digest"), "{}", err(&o));
    assert!(!err(&o).contains("No such file"), "{}", err(&o));
    let o = verify_bundle(d, "sha512:abcdef", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("unsupported digest algorithm `sha512`"),
        "{}",
        err(&o)
    );

    // A key that is not a PEM public key: exit 2, not "verification failed".
    std::fs::write(d.join("notpem.txt"), "hello").unwrap();
    let o = verify_bundle(d, "app.bin", &["--key", "notpem.txt"]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains("notpem.txt: not a PEM public key"),
        "{}",
        err(&o)
    );
    assert!(!err(&o).contains("verification failed"), "{}", err(&o));
    let o = verify_bundle(d, "app.bin", &["--key", "k.key"]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("private key"), "{}", err(&o));

    // A bundle given as the trusted root: an error, not an empty root.
    let o = verify_bundle(d, "app.bin", &["--trusted-root", "app.sigstore.json"]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains("is a Sigstore bundle, not a trusted root"),
        "{}",
        err(&o)
    );
    std::fs::write(d.join("empty.json"), "{}").unwrap();
    let o = verify_bundle(d, "app.bin", &["--trusted-root", "empty.json"]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains("not a Sigstore trusted root"),
        "{}",
        err(&o)
    );

    // A bundle that is not one: named as such, no Rust type names.
    for text in ["\"a string\"", "[1, 2]", "{\"mediaType\": 3}"] {
        std::fs::write(d.join("app.sigstore.json"), text).unwrap();
        let o = verify_bundle(d, "app.bin", &[]);
        assert_eq!(o.status.code(), Some(2), "{text}: {}", err(&o));
        assert!(err(&o).contains("not a Sigstore bundle"), "{}", err(&o));
        assert!(!err(&o).contains("struct"), "{}", err(&o));
    }

    // A missing file is a missing file.
    let o = verify_bundle(d, "apq.bin", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("apq.bin: no such file"), "{}", err(&o));
}

#[test]
fn the_os_error_is_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("adir")).unwrap();
    sast_project(d);
    for args in [
        vec!["sast", "t.rs", "-o", "adir"],
        vec!["sast", "t.rs", "--baseline", "adir"],
        vec!["policy", "validate", "adir"],
        vec!["sbom", "diff", "adir", "adir"],
        vec!["sast", "t.rs", "--config", "adir"],
        vec!["verify-bundle", "--key", "adir", "--bundle", "adir", "t.rs"],
    ] {
        let o = tollgate(&args, d);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", err(&o));
        let e = err(&o);
        assert!(e.contains("adir"), "{args:?}: {e}");
        assert!(e.matches("os error").count() <= 1, "{args:?}: {e}");
        let lower = e.to_lowercase();
        assert!(
            lower.matches("is a directory").count() <= 1,
            "{args:?}: {e}"
        );
    }
}

#[test]
fn a_mistyped_file_is_not_sent_to_a_registry() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    signed_file(d);
    for name in ["app.bim", "dist/app.bin", "app:latest", "nginx"] {
        let o = Tollgate::new(d)
            .args(["sign", name, "--key", "k.key", "--bundle", "b.json"])
            .env("COSIGN_PASSWORD", "")
            // Any registry request would go here and fail differently.
            .env("HTTPS_PROXY", "http://127.0.0.1:9")
            .run();
        assert_eq!(o.status.code(), Some(2), "{name}: {}", err(&o));
        assert!(
            err(&o).contains(&format!("{name}: no such file")),
            "{name}: {}",
            err(&o)
        );
        assert!(!d.join("b.json").exists());
    }
    // A directory is a directory.
    std::fs::create_dir(d.join("dist")).unwrap();
    let o = Tollgate::new(d)
        .args(["sign", "dist", "--key", "k.key", "--bundle", "b.json"])
        .env("COSIGN_PASSWORD", "")
        .run();
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("dist: is a directory"), "{}", err(&o));

    // A sign --trusted-root that is a bundle fails before signing.
    let o = Tollgate::new(d)
        .args([
            "sign",
            "app.bin",
            "--key",
            "k.key",
            "--bundle",
            "b.json",
            "--trusted-root",
            "app.sigstore.json",
        ])
        .env("COSIGN_PASSWORD", "")
        .run();
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("not a trusted root"), "{}", err(&o));
    assert!(!d.join("b.json").exists());
}

#[test]
fn verify_on_a_missing_file_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = tollgate(&["policy", "init", "-o", "policy.yaml"], d);
    assert!(o.status.success(), "{}", err(&o));
    std::fs::write(d.join("b.json"), "{}").unwrap();
    let o = tollgate(
        &[
            "verify",
            "app.bim",
            "--policy",
            "policy.yaml",
            "--bundle",
            "b.json",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("app.bim: no such file"), "{}", err(&o));
    assert!(!err(&o).contains("--bundle is for files"), "{}", err(&o));
    // Without --bundle, a mistyped file name is not taken for an image.
    for name in ["app.bim", "dist/app.bin", "app:latest"] {
        let o = Tollgate::new(d)
            .args(["verify", name, "--policy", "policy.yaml"])
            .env("HTTPS_PROXY", "http://127.0.0.1:9")
            .run();
        assert_eq!(o.status.code(), Some(2), "{name}: {}", err(&o));
        assert!(
            err(&o).contains(&format!("{name}: no such file")),
            "{name}: {}",
            err(&o)
        );
    }
}

#[test]
fn admission_serve_checks_its_certificate_before_serving() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("policy.yaml"), "not read").unwrap();
    std::fs::write(d.join("tls.key"), "-----BEGIN PRIVATE KEY-----\n").unwrap();
    let o = tollgate(
        &[
            "admission",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            "missing.crt",
            "--tls-key",
            "tls.key",
            "--policy",
            "policy.yaml",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("missing.crt"), "{}", err(&o));
    assert!(!err(&o).contains("serving"), "{}", err(&o));
    std::fs::write(d.join("tls.crt"), "not pem").unwrap();
    let o = tollgate(
        &[
            "admission",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            "tls.crt",
            "--tls-key",
            "tls.key",
            "--policy",
            "policy.yaml",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains("tls.crt: --tls-cert is not a PEM file"),
        "{}",
        err(&o)
    );
    assert!(!err(&o).contains("serving"), "{}", err(&o));
}

#[test]
fn completions_man_and_version() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = tollgate(&["completions", shell], d);
        assert_eq!(o.status.code(), Some(0), "{shell}: {}", err(&o));
        assert!(out(&o).contains("verify-bundle"), "{shell}");
    }
    // bash accepts the script.
    let o = tollgate(&["completions", "bash"], d);
    std::fs::write(d.join("tollgate.bash"), o.stdout).unwrap();
    let check = Command::new("bash")
        .args(["-n", "tollgate.bash"])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", err(&check));

    let o = tollgate(&["man"], d);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(
        out(&o).starts_with(".ie") || out(&o).contains(".TH tollgate"),
        "{}",
        out(&o)
    );
    let o = tollgate(&["man", "--out-dir", "man"], d);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    for page in ["tollgate.1", "tollgate-sast.1", "tollgate-verify-bundle.1"] {
        let text = std::fs::read_to_string(d.join("man").join(page)).unwrap();
        assert!(text.contains(".TH"), "{page}");
    }
    let o = tollgate(&["man", "--out-dir", "man2", "--quiet"], d);
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stderr.is_empty(), "{}", err(&o));

    let o = tollgate(&["version", "--json"], d);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(v["name"], "tollgate");
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["exitCodes"]["2"], "usage, configuration or input error");
    let o = tollgate(&["version"], d);
    assert_eq!(
        out(&o).trim(),
        format!("tollgate {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn quiet_and_color() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    sast_project(d);
    signed_file(d);
    // --quiet: the result only.
    let o = Tollgate::new(d)
        .args([
            "sign", "app.bin", "--key", "k.key", "--bundle", "q.json", "--quiet",
        ])
        .env("COSIGN_PASSWORD", "")
        .run();
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(o.stderr.is_empty(), "{}", err(&o));
    assert!(d.join("q.json").is_file());
    let o = tollgate(&["--quiet", "sast", "t.rs", "--format", "json"], d);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stderr.is_empty(), "{}", err(&o));
    assert!(!o.stdout.is_empty());
    // Errors are still said.
    let o = tollgate(&["-q", "sast", "no-such.rs"], d);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("no-such.rs"));

    // --color: never by default into a pipe, always when asked.
    let o = tollgate(&["sast", "t.rs"], d);
    assert!(!out(&o).contains('\u{1b}'), "{}", out(&o));
    let o = tollgate(&["sast", "t.rs", "--color", "always"], d);
    assert!(out(&o).contains('\u{1b}'), "{}", out(&o));
    let o = tollgate(&["--color", "never", "sast", "t.rs"], d);
    assert!(!out(&o).contains('\u{1b}'));
    let o = tollgate(&["--color", "always", "sast", "no-such.rs"], d);
    assert!(err(&o).contains("\u{1b}["), "{}", err(&o));
    let o = tollgate(&["--color", "sometimes", "sast", "t.rs"], d);
    assert_eq!(o.status.code(), Some(2));
}

/// Red team: a FIFO given as the artifact to verify made the command wait
/// forever for a writer; a reference the normaliser refuses was read as
/// written by the single-policy gate (its spelling could dodge a Rego rule).
/// Both are input errors (exit 2), before any connection.
#[test]
fn a_fifo_subject_and_a_second_spelling_of_a_registry_are_input_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = d.join("k.pem");
    let pubkey = d.join("k.pub");
    for args in [
        vec![
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            "k.pem",
        ],
        vec!["ec", "-in", "k.pem", "-pubout", "-out", "k.pub"],
    ] {
        let ok = Command::new("openssl")
            .args(&args)
            .current_dir(d)
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(ok.success(), "openssl {args:?}");
    }
    assert!(key.exists());
    let fifo = d.join("fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    std::fs::write(d.join("b.json"), "{}").unwrap();
    let run = |args: &[&str]| -> Output {
        let mut child = Tollgate::new(d)
            .args(args)
            .command()
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while child.try_wait().unwrap().is_none() {
            if started.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                panic!("tollgate {args:?} did not finish");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        child.wait_with_output().unwrap()
    };
    let fifo = fifo.to_str().unwrap();
    for args in [
        vec![
            "verify-bundle",
            "--bundle",
            "b.json",
            "--key",
            "k.pub",
            fifo,
        ],
        vec![
            "verify-attestation",
            "--type",
            "slsaprovenance",
            "--bundle",
            "b.json",
            "--key",
            "k.pub",
            fifo,
        ],
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", err(&o));
        assert!(err(&o).contains("not a regular file"), "{}", err(&o));
    }
    let pem = std::fs::read_to_string(&pubkey).unwrap();
    let indented: String = pem.lines().map(|l| format!("      {l}\n")).collect();
    std::fs::write(
        d.join("policy.yaml"),
        format!("apiVersion: tollgate.dev/v1\nkind: Policy\nname: p\nauthorities:\n  - name: k\n    key: |\n{indented}"),
    )
    .unwrap();
    for image in [
        "0x7f000001:5732/demo/x:1",
        "127.1:5732/demo/x:1",
        "127.0.0.1:05732/demo/x:1",
    ] {
        let o = run(&["verify", "--policy", "policy.yaml", image]);
        assert_eq!(o.status.code(), Some(2), "{image}: {}", err(&o));
        assert!(
            err(&o).contains("not a valid image reference"),
            "{}",
            err(&o)
        );
    }
}
