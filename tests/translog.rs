//! The decision log as a transparency log, through the `tollgate` binary:
//! keys, appends with signed checkpoints, `log verify` naming the first bad
//! record for every kind of tampering, inclusion and consistency proofs, a
//! witness that cosigns and refuses a fork, one writer per file, export; and
//! every tree, proof, checkpoint and cosignature checked again by
//! tests/python/translog_check.py, written from RFC 9162 and the C2SP texts
//! with no code in common (Ed25519 from Python's `cryptography`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use crate::support::{repo_root, tollgate, Tollgate};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The Python checker, with `cryptography` from the venv scripts/test makes
/// (or the system Python if it has the package).
fn python_check(args: &[&str], dir: &Path) -> Output {
    let venv = repo_root().join("target/test-venv/bin/python");
    let python = if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    };
    let script = repo_root().join("tests/python/translog_check.py");
    let out = Command::new(&python)
        .arg(&script)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("ModuleNotFoundError"),
        "the Python check needs `cryptography` (scripts/test installs it into target/test-venv): {}",
        text(&out)
    );
    out
}

fn append(dir: &Path, log: &str, records: &[&str]) {
    let input: String = records.iter().map(|r| format!("{r}\n")).collect();
    let out = Tollgate::new(dir)
        .args(["log", "append", log, "--key", "log.key"])
        .stdin(input)
        .run();
    assert!(out.status.success(), "{}", text(&out));
}

/// A directory with a log key, a witness key, and a log of `n` records
/// appended one per run (so one signed checkpoint per record, as the CLI
/// gate writes them).
fn setup(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let k = tollgate(
        &[
            "log",
            "key",
            "generate",
            "--name",
            "tollgate.test/decisions",
            "-o",
            "log.key",
        ],
        d,
    );
    assert!(k.status.success(), "{}", text(&k));
    let w = tollgate(
        &[
            "log",
            "key",
            "generate",
            "--witness",
            "--name",
            "witness.test/w1",
            "-o",
            "w1.key",
        ],
        d,
    );
    assert!(w.status.success(), "{}", text(&w));
    for i in 0..n {
        append(
            d,
            "d.jsonl",
            &[&format!(
                r#"{{"uid":"u{i}","namespace":"prod","image":"r/app:{i}","userInfo":{{"username":"ci"}},"decision":{{"allowed":{},"digest":"sha256:{i:064}","checks":[]}}}}"#,
                i % 2 == 0
            )],
        );
    }
    dir
}

fn lines(d: &Path) -> Vec<String> {
    std::fs::read_to_string(d.join("d.jsonl"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn write_lines(d: &Path, lines: &[String]) {
    std::fs::write(
        d.join("d.jsonl"),
        lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
    )
    .unwrap();
}

/// Fix every `index` and `prev` after an edit, as a careful attacker would.
fn rechain(lines: &mut [String]) {
    use sha2::Digest;
    let mut prev = [0u8; 32];
    for (i, l) in lines.iter_mut().enumerate() {
        let rest = l[l.find(",\"time\"").unwrap()..].to_string();
        *l = format!("{{\"index\":{i},\"prev\":\"{}\"{rest}", hex::encode(prev));
        let mut h = sha2::Sha256::new();
        h.update([0u8]);
        h.update(l.as_bytes());
        prev = h.finalize().into();
    }
}

/// `log verify --key` fails (exit 1) naming `record N`.
fn assert_first_bad(d: &Path, record: u64, what: &str) {
    let out = tollgate(&["log", "verify", "d.jsonl", "--key", "log.key.pub"], d);
    assert_eq!(out.status.code(), Some(1), "{what}: {}", text(&out));
    assert!(
        text(&out).contains(&format!(": record {record}: ")),
        "{what}: expected record {record}: {}",
        text(&out)
    );
    // The independent check rejects it too.
    let py = python_check(&["log", "d.jsonl", "log.key.pub"], d);
    assert_eq!(py.status.code(), Some(1), "{what} (python): {}", text(&py));
}

#[test]
fn an_intact_log_verifies_here_and_in_python() {
    let dir = setup(7);
    let d = dir.path();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.join("log.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let out = tollgate(&["log", "verify", "d.jsonl", "--key", "log.key.pub"], d);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("decision log intact: 7 records; 7 signed checkpoints"),
        "{}",
        text(&out)
    );
    let py = python_check(&["log", "d.jsonl", "log.key.pub"], d);
    assert!(py.status.success(), "{}", text(&py));

    // Export: one CloudTrail-like line per record.
    let out = tollgate(&["log", "export", "d.jsonl", "-o", "siem.jsonl"], d);
    assert!(out.status.success(), "{}", text(&out));
    let exported: Vec<serde_json::Value> = std::fs::read_to_string(d.join("siem.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(exported.len(), 7);
    assert_eq!(exported[1]["logIndex"], 1);
    assert_eq!(exported[1]["eventID"], "u1/r/app:1");
    assert_eq!(exported[1]["decision"], "deny");
    assert_eq!(exported[0]["decision"], "allow");
    assert_eq!(exported[1]["userIdentity"]["username"], "ci");
    assert_eq!(exported[1]["resource"]["namespace"], "prod");
    assert_eq!(exported[1]["leafHash"].as_str().unwrap().len(), 64);
}

#[test]
fn every_tampering_is_detected_naming_the_first_bad_record() {
    // Edited record (chain intact elsewhere).
    let dir = setup(6);
    let d = dir.path();
    let mut l = lines(d);
    l[2] = l[2].replace("r/app:2", "r/evil:2");
    write_lines(d, &l);
    assert_first_bad(d, 2, "edit");

    // Deleted record.
    let dir = setup(6);
    let d = dir.path();
    let mut l = lines(d);
    l.remove(3);
    write_lines(d, &l);
    assert_first_bad(d, 3, "delete");

    // Reordered records.
    let dir = setup(6);
    let d = dir.path();
    let mut l = lines(d);
    l.swap(1, 2);
    write_lines(d, &l);
    assert_first_bad(d, 1, "reorder");

    // Truncated.
    let dir = setup(6);
    let d = dir.path();
    let mut l = lines(d);
    l.truncate(4);
    write_lines(d, &l);
    assert_first_bad(d, 4, "truncate");

    // Re-chained rewrite: an edit with every later index and prev fixed.
    let dir = setup(6);
    let d = dir.path();
    let mut l = lines(d);
    l[1] = l[1].replace("\"allowed\":false", "\"allowed\":true");
    rechain(&mut l);
    write_lines(d, &l);
    assert_first_bad(d, 1, "re-chained rewrite");

    // Forged append (re-chained): no checkpoint covers it.
    let dir = setup(4);
    let d = dir.path();
    let mut l = lines(d);
    l.push(l[3].replace("r/app:3", "r/forged:4"));
    rechain(&mut l);
    write_lines(d, &l);
    assert_first_bad(d, 4, "forged append");

    // Emptied log, then a deleted one, with the checkpoints left.
    let dir = setup(3);
    let d = dir.path();
    std::fs::write(d.join("d.jsonl"), "").unwrap();
    assert_first_bad(d, 0, "emptied");
    std::fs::remove_file(d.join("d.jsonl")).unwrap();
    let out = tollgate(&["log", "verify", "d.jsonl", "--key", "log.key.pub"], d);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains(": record 0: the log file is missing"),
        "{}",
        text(&out)
    );

    // Replaced checkpoints (signed by another key), and removed ones.
    let dir = setup(3);
    let d = dir.path();
    let k = tollgate(
        &[
            "log",
            "key",
            "generate",
            "--name",
            "tollgate.test/decisions",
            "-o",
            "other.key",
        ],
        d,
    );
    assert!(k.status.success());
    std::fs::remove_file(d.join("d.jsonl.checkpoints")).unwrap();
    let cp = tollgate(&["log", "checkpoint", "d.jsonl", "--key", "other.key"], d);
    assert!(cp.status.success(), "{}", text(&cp));
    let out = tollgate(&["log", "verify", "d.jsonl", "--key", "log.key.pub"], d);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("is not signed by `tollgate.test/decisions`"),
        "{}",
        text(&out)
    );
    std::fs::remove_file(d.join("d.jsonl.checkpoints")).unwrap();
    let out = tollgate(&["log", "verify", "d.jsonl", "--key", "log.key.pub"], d);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("no signed checkpoint"),
        "{}",
        text(&out)
    );
    // Without the key the same log is only reported as unsigned.
    let out = tollgate(&["log", "verify", "d.jsonl"], d);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("unsigned log"), "{}", text(&out));
}

#[test]
fn proofs_check_out_in_python_and_a_witness_refuses_a_fork() {
    let dir = setup(3);
    let d = dir.path();
    // A client keeps the checkpoint of size 3.
    let old = tollgate(&["log", "checkpoint", "d.jsonl", "--key", "log.key"], d);
    assert!(old.status.success(), "{}", text(&old));
    std::fs::write(d.join("old.note"), &old.stdout).unwrap();
    // The witness sees size 3.
    let w = tollgate(
        &[
            "log",
            "witness",
            "--log",
            "d.jsonl",
            "--key",
            "w1.key",
            "--log-key",
            "log.key.pub",
            "--state",
            "w1.state",
        ],
        d,
    );
    assert!(w.status.success(), "{}", text(&w));
    append(
        d,
        "d.jsonl",
        &[r#"{"n":3}"#, r#"{"n":4}"#, r#"{"n":5}"#, r#"{"n":6}"#],
    );

    // Inclusion proof, checked by Python; a changed hash fails there.
    let p = tollgate(
        &[
            "log",
            "prove",
            "d.jsonl",
            "--index",
            "4",
            "--key",
            "log.key.pub",
        ],
        d,
    );
    assert!(p.status.success(), "{}", text(&p));
    std::fs::write(d.join("proof.json"), &p.stdout).unwrap();
    let py = python_check(&["inclusion", "proof.json", "log.key.pub"], d);
    assert!(py.status.success(), "{}", text(&py));
    let mut bad: serde_json::Value = serde_json::from_slice(&p.stdout).unwrap();
    bad["proof"][0] = serde_json::json!("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    std::fs::write(d.join("bad.json"), bad.to_string()).unwrap();
    assert_eq!(
        python_check(&["inclusion", "bad.json", "log.key.pub"], d)
            .status
            .code(),
        Some(1)
    );

    // Consistency from the kept checkpoint, checked by Python.
    let c = tollgate(
        &[
            "log",
            "consistency",
            "d.jsonl",
            "old.note",
            "--key",
            "log.key.pub",
            "-o",
            "req.txt",
        ],
        d,
    );
    assert!(c.status.success(), "{}", text(&c));
    let py = python_check(&["consistency", "req.txt", "old.note", "log.key.pub"], d);
    assert!(py.status.success(), "{}", text(&py));

    // The witness cosigns the new checkpoint; Python checks the cosignature;
    // verify requires one witness (two cannot be met).
    let w = tollgate(
        &[
            "log",
            "witness",
            "req.txt",
            "--key",
            "w1.key",
            "--log-key",
            "log.key.pub",
            "--state",
            "w1.state",
            "-o",
            "cosigned.note",
        ],
        d,
    );
    assert!(w.status.success(), "{}", text(&w));
    let py = python_check(
        &["cosigned", "cosigned.note", "log.key.pub", "w1.key.pub"],
        d,
    );
    assert!(py.status.success(), "{}", text(&py));
    let ok = tollgate(
        &[
            "log",
            "verify",
            "d.jsonl",
            "--key",
            "log.key.pub",
            "--witness-key",
            "w1.key.pub",
            "--min-witnesses",
            "1",
            "--cosigned",
            "cosigned.note",
        ],
        d,
    );
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(
        text(&ok).contains("witnessed up to size 7 by 1 witness(es)"),
        "{}",
        text(&ok)
    );
    let w2 = tollgate(
        &[
            "log",
            "key",
            "generate",
            "--witness",
            "--name",
            "witness.test/w2",
            "-o",
            "w2.key",
        ],
        d,
    );
    assert!(w2.status.success());
    let two = tollgate(
        &[
            "log",
            "verify",
            "d.jsonl",
            "--key",
            "log.key.pub",
            "--witness-key",
            "w1.key.pub",
            "--witness-key",
            "w2.key.pub",
            "--min-witnesses",
            "2",
            "--cosigned",
            "cosigned.note",
        ],
        d,
    );
    assert_eq!(two.status.code(), Some(1), "{}", text(&two));

    // The key holder rewrites history (record 1), rebuilds and re-signs:
    // its own checkpoints now agree, but the kept checkpoint, the witness
    // and the witnessed checkpoint all expose it.
    let mut l = lines(d);
    l[1] = l[1].replace("r/app:1", "r/other:1");
    rechain(&mut l);
    write_lines(d, &l);
    for f in [
        "d.jsonl.checkpoints",
        "d.jsonl.tree",
        "d.jsonl.idx",
        "d.jsonl.witnessed",
    ] {
        std::fs::remove_file(d.join(f)).unwrap();
    }
    let cp = tollgate(&["log", "checkpoint", "d.jsonl", "--key", "log.key"], d);
    assert!(cp.status.success(), "{}", text(&cp));
    assert!(
        tollgate(&["log", "verify", "d.jsonl", "--key", "log.key.pub"], d)
            .status
            .success()
    );
    let c = tollgate(&["log", "consistency", "d.jsonl", "old.note"], d);
    assert_eq!(c.status.code(), Some(1), "{}", text(&c));
    assert!(text(&c).contains("fork"), "{}", text(&c));
    let state_before = std::fs::read(d.join("w1.state")).unwrap();
    let w = tollgate(
        &[
            "log",
            "witness",
            "--log",
            "d.jsonl",
            "--key",
            "w1.key",
            "--log-key",
            "log.key.pub",
            "--state",
            "w1.state",
        ],
        d,
    );
    assert_eq!(w.status.code(), Some(1), "{}", text(&w));
    assert!(text(&w).contains("fork"), "{}", text(&w));
    assert_eq!(std::fs::read(d.join("w1.state")).unwrap(), state_before);
    let v = tollgate(
        &[
            "log",
            "verify",
            "d.jsonl",
            "--key",
            "log.key.pub",
            "--cosigned",
            "cosigned.note",
        ],
        d,
    );
    assert_eq!(v.status.code(), Some(1), "{}", text(&v));
    assert!(
        text(&v).contains("witnessed checkpoint of size 7"),
        "{}",
        text(&v)
    );
}

#[test]
fn a_second_writer_gets_an_error_and_the_log_stays_whole() {
    let dir = setup(1);
    let d = dir.path();
    // The first writer holds the log while its input is open.
    let mut first = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["log", "append", "d.jsonl", "--key", "log.key"])
        .current_dir(d)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = first.stdin.take().unwrap();
    writeln!(stdin, r#"{{"writer":1}}"#).unwrap();
    stdin.flush().unwrap();
    // Its receipt for the first record means it holds the lock.
    let mut receipts = std::io::BufReader::new(first.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut receipts, &mut line).unwrap();
    assert!(line.starts_with("{\"index\":1,"), "{line}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["log", "append", "d.jsonl", "--key", "log.key"])
        .current_dir(d)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The second writer may refuse before it reads its input; the write
    // then meets a closed pipe, and the exit status below says why.
    let _ = writeln!(child.stdin.take().unwrap(), r#"{{"writer":2}}"#);
    let second = child.wait_with_output().unwrap();
    assert_eq!(second.status.code(), Some(2), "{}", text(&second));
    assert!(
        text(&second).contains("another process is writing this log"),
        "{}",
        text(&second)
    );
    writeln!(stdin, r#"{{"writer":1,"n":2}}"#).unwrap();
    drop(stdin);
    let out = first.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        lines(d).len(),
        3,
        "one record before, two from the first writer"
    );
    let v = tollgate(&["log", "verify", "d.jsonl", "--key", "log.key.pub"], d);
    assert!(v.status.success(), "{}", text(&v));
    assert!(python_check(&["log", "d.jsonl", "log.key.pub"], d)
        .status
        .success());
}

/// `log export --follow`: every record, then each one appended later, as
/// the same lines a plain export gives; a log truncated under the follower
/// ends the stream with exit 1 naming the record; SIGTERM ends it with 0.
#[test]
fn export_follow_streams_new_records_and_stops_on_a_truncated_log() {
    let dir = setup(3);
    let d = dir.path();
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_tollgate"))
            .args(["log", "export", "d.jsonl", "--follow", "--poll-ms", "50"])
            .current_dir(d)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut follower = spawn();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let stdout = follower.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)) {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let next = |what: &str| {
        rx.recv_timeout(std::time::Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("no exported line for {what}"))
    };
    let mut streamed: Vec<String> = (0..3).map(|i| next(&format!("record {i}"))).collect();
    append(
        d,
        "d.jsonl",
        &[
            r#"{"uid":"late-1","namespace":"prod","image":"r/app:9","decision":{"allowed":false,"checks":[{"requirement":"signed","passed":false,"reason":"no signature"}]}}"#,
            r#"{"uid":"late-2","namespace":"prod","image":"r/app:10","decision":{"allowed":true,"checks":[]}}"#,
        ],
    );
    streamed.push(next("record 3 (appended while following)"));
    streamed.push(next("record 4 (appended while following)"));
    // The same lines as a one-shot export of the whole log.
    let full = tollgate(&["log", "export", "d.jsonl"], d);
    assert!(full.status.success(), "{}", text(&full));
    let expected: Vec<String> = String::from_utf8_lossy(&full.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(streamed, expected);
    let late: serde_json::Value = serde_json::from_str(&streamed[3]).unwrap();
    assert_eq!(late["logIndex"], 3);
    assert_eq!(late["eventID"], "late-1/r/app:9");
    assert_eq!(late["decision"], "deny");
    assert_eq!(late["reasons"][0], "signed: no signature");
    // Cut the log back to two records under the follower.
    let mut kept = lines(d);
    kept.truncate(2);
    write_lines(d, &kept);
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(s) = follower.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "the follower did not notice the truncation"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut follower.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("record 5") && err.contains("shrank"), "{err}");
    // A follower at the end of an intact log stops cleanly on SIGTERM.
    let full = tollgate(&["log", "export", "d.jsonl"], d);
    assert!(full.status.success(), "{}", text(&full));
    let quiet = spawn();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let kill = Command::new("kill")
        .args(["-TERM", &quiet.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = quiet.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&full.stdout)
    );
}
