use super::merkle::{self, Nodes};
use super::note::{TYPE_COSIGNATURE_V1, TYPE_ED25519};
use super::*;
use serde_json::json;
use std::time::Duration;

struct Fixture {
    _dir: tempfile::TempDir,
    log: PathBuf,
    key_text: String,
    public: NoteVerifier,
}

impl Fixture {
    fn key(&self) -> NoteSigner {
        NoteSigner::parse(&self.key_text).unwrap()
    }

    fn options(&self, interval: Duration) -> WriterOptions {
        WriterOptions {
            key: Some(self.key()),
            checkpoint_interval: interval,
            ..WriterOptions::default()
        }
    }

    fn verify(&self) -> Result<VerifyReport, LogError> {
        verify(
            &self.log,
            &VerifyOptions {
                key: Some(self.public.clone()),
                ..VerifyOptions::default()
            },
        )
    }

    fn first_bad(&self) -> u64 {
        match self.verify() {
            Err(LogError::Broken { record, .. }) => record,
            other => panic!("expected a broken log, got {other:?}"),
        }
    }

    fn lines(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn write_lines(&self, lines: &[String]) {
        std::fs::write(
            &self.log,
            lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
        )
        .unwrap();
    }
}

/// A signed log of `n` records; `per_record` checkpoints after each one
/// (as the CLI gate does), otherwise one for all.
fn fixture(n: usize, per_record: bool) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("decisions.jsonl");
    let key = NoteSigner::generate("tollgate.test/log", TYPE_ED25519).unwrap();
    let f = Fixture {
        log,
        key_text: key.private_text(),
        public: key.verifier(),
        _dir: dir,
    };
    let interval = if per_record {
        Duration::ZERO
    } else {
        Duration::from_secs(3600)
    };
    let w = LogWriter::open(&f.log, f.options(interval)).unwrap();
    let events: Vec<_> = (0..n)
        .map(|i| json!({"subject": format!("app-{i}"), "allowed": i % 2 == 0}))
        .collect();
    if per_record {
        for (i, e) in events.into_iter().enumerate() {
            assert_eq!(w.append(e).unwrap().index, i as u64);
        }
    } else {
        // One batch: without a write-ahead file, a writer signs each batch
        // before answering it.
        assert_eq!(w.append_many(&events).unwrap().len(), n);
    }
    w.close().unwrap();
    f
}

/// Rewrite records as an attacker would: edit one, then fix every `prev`
/// after it so the chain holds.
fn rechain(lines: &mut [String]) {
    let mut prev = [0u8; 32];
    for (i, l) in lines.iter_mut().enumerate() {
        let rest = &l[l.find(",\"time\"").unwrap()..];
        *l = format!("{{\"index\":{i},\"prev\":\"{}\"{rest}", hex::encode(prev));
        prev = merkle::leaf_hash(l.as_bytes());
    }
}

#[test]
fn intact_logs_verify_with_the_key() {
    for per_record in [true, false] {
        let f = fixture(9, per_record);
        let report = f.verify().unwrap();
        assert_eq!(report.records, 9);
        assert_eq!(report.latest.unwrap().checkpoint.size, 9);
    }
}

#[test]
fn every_tamper_names_the_first_bad_record() {
    // Edited record (chain breaks at the next one).
    let f = fixture(6, true);
    let mut l = f.lines();
    l[2] = l[2].replace("app-2", "app-X");
    f.write_lines(&l);
    assert_eq!(f.first_bad(), 2, "edit");

    // Deleted record.
    let f = fixture(6, true);
    let mut l = f.lines();
    l.remove(3);
    f.write_lines(&l);
    assert_eq!(f.first_bad(), 3, "delete");

    // Reordered records.
    let f = fixture(6, true);
    let mut l = f.lines();
    l.swap(1, 2);
    f.write_lines(&l);
    assert_eq!(f.first_bad(), 1, "reorder");

    // Truncated: the last two records gone.
    let f = fixture(6, true);
    let mut l = f.lines();
    l.truncate(4);
    f.write_lines(&l);
    assert_eq!(f.first_bad(), 4, "truncate");

    // Torn last line.
    let f = fixture(3, true);
    let text = std::fs::read_to_string(&f.log).unwrap();
    std::fs::write(&f.log, &text[..text.len() - 10]).unwrap();
    assert_eq!(f.first_bad(), 2, "torn");

    // Re-chained rewrite, per-record checkpoints and a single one (the
    // tree cache still names the record).
    for per_record in [true, false] {
        let f = fixture(8, per_record);
        let mut l = f.lines();
        l[5] = l[5].replace("\"allowed\":false", "\"allowed\":true");
        rechain(&mut l);
        f.write_lines(&l);
        assert_eq!(
            f.first_bad(),
            5,
            "re-chained rewrite (per record: {per_record})"
        );
        // Without the cache, the range after the previous checkpoint (the
        // writer may have signed part of the batch on its own when the
        // machine was slow: the expectation is read from the checkpoints).
        std::fs::remove_file(store::tree_path(&f.log)).unwrap();
        let previous = verify::load_checkpoints(&f.log)
            .unwrap()
            .iter()
            .map(|(_, c)| c.checkpoint.size)
            .filter(|&size| size <= 5)
            .max()
            .unwrap_or(0);
        assert_eq!(f.first_bad(), if per_record { 5 } else { previous });
    }

    // Re-chained rewrite of the last record.
    let f = fixture(4, false);
    let mut l = f.lines();
    l[3] = l[3].replace("app-3", "app-Z");
    rechain(&mut l);
    f.write_lines(&l);
    assert_eq!(f.first_bad(), 3, "last record rewritten");

    // Forged append (no checkpoint covers it).
    let f = fixture(4, true);
    let mut l = f.lines();
    l.push(l[3].clone());
    rechain(&mut l);
    f.write_lines(&l);
    assert_eq!(f.first_bad(), 4, "forged append");

    // Emptied log, and deleted log, with checkpoints left.
    let f = fixture(4, true);
    std::fs::write(&f.log, "").unwrap();
    assert_eq!(f.first_bad(), 0, "emptied");
    std::fs::remove_file(&f.log).unwrap();
    assert_eq!(f.first_bad(), 0, "deleted");
}

#[test]
fn checkpoint_tampering_is_detected() {
    // Removed checkpoints: no checkpoint at all fails with the key.
    let f = fixture(3, true);
    std::fs::remove_file(store::checkpoints_path(&f.log)).unwrap();
    assert!(matches!(f.verify(), Err(LogError::Checkpoint { .. })));

    // Replaced by checkpoints signed with another key.
    let f = fixture(3, true);
    let other = NoteSigner::generate("tollgate.test/log", TYPE_ED25519).unwrap();
    let forged = SignedCheckpoint::sign(
        note::Checkpoint {
            origin: "tollgate.test/log".into(),
            size: 3,
            root: [1; 32],
        },
        &other,
    );
    std::fs::write(
        store::checkpoints_path(&f.log),
        format!("{}\n", forged.note.text()),
    )
    .unwrap();
    assert!(matches!(f.verify(), Err(LogError::Checkpoint { .. })));

    // Edited size in a checkpoint.
    let f = fixture(3, true);
    let p = store::checkpoints_path(&f.log);
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, text.replacen("\n2\n", "\n1\n", 1)).unwrap();
    assert!(matches!(f.verify(), Err(LogError::Checkpoint { .. })));

    // A log never signed, verified with a key.
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("plain.jsonl");
    append(&log, &json!({"a": 1}), "2026-01-01T00:00:00Z").unwrap();
    let key = NoteSigner::generate("k", TYPE_ED25519).unwrap();
    assert!(verify(&log, &VerifyOptions::default()).is_ok());
    assert!(verify(
        &log,
        &VerifyOptions {
            key: Some(key.verifier()),
            ..VerifyOptions::default()
        }
    )
    .is_err());
}

#[test]
fn a_second_writer_is_refused() {
    let f = fixture(1, true);
    let w = LogWriter::open(&f.log, f.options(Duration::ZERO)).unwrap();
    match LogWriter::open(&f.log, f.options(Duration::ZERO)) {
        Err(LogError::Locked { .. }) => {}
        other => panic!("expected a lock error, got {other:?}"),
    }
    w.close().unwrap();
    let again = LogWriter::open(&f.log, f.options(Duration::ZERO)).unwrap();
    again.append(json!({"after": true})).unwrap();
    again.close().unwrap();
    assert_eq!(f.verify().unwrap().records, 2);
}

/// Red team rt55: a log renamed away under its writer (logrotate's
/// `create`) took records no reader would find.
#[test]
fn a_writer_stops_when_its_file_is_moved() {
    let f = fixture(1, true);
    let w = LogWriter::open(&f.log, f.options(Duration::ZERO)).unwrap();
    w.append(json!({"before": true})).unwrap();
    let moved = f.log.with_extension("1");
    std::fs::rename(&f.log, &moved).unwrap();
    std::fs::write(&f.log, "").unwrap();
    let e = w.append(json!({"after": true})).unwrap_err().to_string();
    assert!(e.contains("was moved"), "{e}");
    assert!(w.append(json!({"again": true})).is_err());
    // Red team rt56: cut shorter under its writer (`copytruncate`).
    let f = fixture(1, true);
    let w = LogWriter::open(&f.log, f.options(Duration::ZERO)).unwrap();
    w.append(json!({"before": true})).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&f.log)
        .unwrap()
        .set_len(0)
        .unwrap();
    let e = w.append(json!({"after": true})).unwrap_err().to_string();
    assert!(e.contains("truncated"), "{e}");
}

#[test]
fn group_commit_from_many_threads() {
    let f = fixture(0, false);
    let w =
        std::sync::Arc::new(LogWriter::open(&f.log, f.options(Duration::from_millis(5))).unwrap());
    let mut handles = Vec::new();
    for t in 0..8 {
        let w = w.clone();
        handles.push(std::thread::spawn(move || {
            (0..200)
                .map(|i| w.append(json!({"t": t, "i": i})).unwrap())
                .collect::<Vec<_>>()
        }));
    }
    let mut receipts: Vec<Receipt> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    w.close().unwrap();
    receipts.sort_by_key(|r| r.index);
    assert_eq!(receipts.len(), 1600);
    for (i, r) in receipts.iter().enumerate() {
        assert_eq!(r.index, i as u64);
    }
    let report = f.verify().unwrap();
    assert_eq!(report.records, 1600);
    // Every receipt's leaf is the record's leaf.
    let tree = verify::memory_tree(&f.log).unwrap();
    for r in &receipts {
        assert_eq!(tree.perfect(0, r.index).unwrap(), r.leaf_hash);
    }
}

#[test]
fn reopening_keeps_the_tree_and_rebuilds_lost_caches() {
    let f = fixture(5, true);
    std::fs::remove_file(store::tree_path(&f.log)).unwrap();
    let w = LogWriter::open(&f.log, f.options(Duration::ZERO)).unwrap();
    w.append(json!({"n": 5})).unwrap();
    w.close().unwrap();
    // A torn tail from a crash is cut off on open.
    let mut text = std::fs::read_to_string(&f.log).unwrap();
    text.push_str("{\"index\":6,\"prev\":\"ab");
    std::fs::write(&f.log, text).unwrap();
    let w = LogWriter::open(&f.log, f.options(Duration::ZERO)).unwrap();
    w.append(json!({"n": 6})).unwrap();
    w.close().unwrap();
    assert_eq!(f.verify().unwrap().records, 7);
    // A tampered log: the writer continues from the cached (authentic)
    // tree, so the edit stays visible; without the cache it refuses.
    let mut l = f.lines();
    l[1] = l[1].replace("app-1", "app-Y");
    f.write_lines(&l);
    let w = LogWriter::open(&f.log, f.options(Duration::ZERO)).unwrap();
    w.append(json!({"n": 7})).unwrap();
    w.close().unwrap();
    assert_eq!(f.first_bad(), 1);
    std::fs::remove_file(store::idx_path(&f.log)).unwrap();
    assert!(matches!(
        LogWriter::open(&f.log, f.options(Duration::ZERO)),
        Err(LogError::Broken { record: 2, .. })
    ));
}

#[test]
fn proofs_and_the_witness() {
    let f = fixture(11, false);
    for index in [0, 5, 10] {
        let p = proof::prove(&f.log, index, Some(&f.public)).unwrap();
        assert_eq!(p.tree_size, 11);
        assert_eq!(p.proof.len(), if index == 10 { 2 } else { 4 });
    }
    let old = proof::latest_checkpoint(&f.log).unwrap().unwrap();
    let w = LogWriter::open(&f.log, f.options(Duration::ZERO)).unwrap();
    for i in 0..6 {
        w.append(json!({"more": i})).unwrap();
    }
    w.close().unwrap();
    let req = proof::consistency(&f.log, &old, Some(&f.public)).unwrap();
    assert_eq!(req.old_size, 11);
    assert_eq!(proof::ConsistencyRequest::parse(&req.text()).unwrap(), req);
    // Malformed requests: each refusal is typed, with the message the CLI
    // prints after the file name.
    let text = req.text();
    let (head, note) = text.split_once("\n\n").unwrap();
    let bad = |t: &str| proof::ConsistencyRequest::parse(t).unwrap_err();
    let e = bad(head);
    assert_eq!(e, proof::RequestError::NoBlankLine);
    assert_eq!(e.to_string(), "no blank line before the checkpoint");
    let e = bad(&text.replacen("old 11", "old x", 1));
    assert_eq!(e, proof::RequestError::OldSize);
    assert_eq!(e.to_string(), "the first line is not `old <size>`");
    let e = bad(&format!("{head}\nAAAA\n\n{note}"));
    assert_eq!(e, proof::RequestError::ProofLine);
    assert_eq!(e.to_string(), "a proof line is not a base64 hash");
    let e = bad(&format!("{head}\n\nnot a note\n"));
    let expected = note::SignedCheckpoint::parse("not a note\n").unwrap_err();
    assert_eq!(e.to_string(), expected.to_string());
    assert_eq!(e, proof::RequestError::Checkpoint(expected));

    // The witness: first contact from 0, then from its state.
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("witness.state");
    let wkey = NoteSigner::generate("witness.test/w1", TYPE_COSIGNATURE_V1).unwrap();
    let first = proof::consistency(
        &f.log,
        &SignedCheckpoint {
            checkpoint: note::Checkpoint {
                origin: old.checkpoint.origin.clone(),
                size: 0,
                root: merkle::empty_root(),
            },
            note: old.note.clone(),
        },
        None,
    )
    .unwrap();
    let cosigned = proof::witness(&first, &f.public, &wkey, &state, 1_800_000_000).unwrap();
    assert!(wkey.verifier().verify(&cosigned).is_some());
    std::fs::write(
        store::witnessed_path(&f.log),
        format!("{}\n", cosigned.text()),
    )
    .unwrap();
    let report = verify(
        &f.log,
        &VerifyOptions {
            key: Some(f.public.clone()),
            witnesses: vec![wkey.verifier()],
            min_witnesses: 1,
            cosigned: vec![],
            origin: None,
        },
    )
    .unwrap();
    assert_eq!(report.witnessed, Some((17, 1)));

    // The key holder rewrites history and signs it: the witness refuses.
    let mut l = f.lines();
    l[2] = l[2].replace("app-2", "app-F");
    rechain(&mut l);
    l.push(l[16].clone());
    rechain(&mut l);
    f.write_lines(&l);
    for p in [
        store::tree_path(&f.log),
        store::idx_path(&f.log),
        store::checkpoints_path(&f.log),
    ] {
        let _ = std::fs::remove_file(p);
    }
    // (A writer would set the unsigned records aside rather than sign
    // them: the key holder signs by hand.)
    let tree = verify::memory_tree(&f.log).unwrap();
    let signed = SignedCheckpoint::sign(
        note::Checkpoint {
            origin: "tollgate.test/log".into(),
            size: 18,
            root: merkle::root_at(&tree, 18).unwrap(),
        },
        &f.key(),
    );
    std::fs::write(
        store::checkpoints_path(&f.log),
        format!("{}\n", signed.note.text()),
    )
    .unwrap();
    let forked = proof::latest_checkpoint(&f.log).unwrap().unwrap();
    assert_eq!(forked.checkpoint.size, 18);
    let seen = SignedCheckpoint::parse(&std::fs::read_to_string(&state).unwrap()).unwrap();
    // Whatever proof the log offers, it cannot extend what the witness saw.
    let req = proof::ConsistencyRequest {
        old_size: 17,
        proof: merkle::consistency_proof(&verify::memory_tree(&f.log).unwrap(), 17, 18).unwrap(),
        checkpoint: forked,
    };
    assert!(matches!(
        proof::witness(&req, &f.public, &wkey, &state, 1_800_000_100),
        Err(LogError::Fork(_))
    ));
    assert_eq!(
        SignedCheckpoint::parse(&std::fs::read_to_string(&state).unwrap()).unwrap(),
        seen,
        "the witness state does not move on a refused fork"
    );
    // And the older witnessed checkpoint no longer matches the records.
    assert!(matches!(
        verify(
            &f.log,
            &VerifyOptions {
                key: Some(f.public.clone()),
                ..VerifyOptions::default()
            }
        ),
        Err(LogError::Broken { .. })
    ));
}

#[test]
fn legacy_append_and_export() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("d.jsonl");
    let leaf = append(
        &log,
        &json!({"uid": "u1", "image": "r/a:1", "namespace": "ns", "userInfo": {"username": "alice"}, "operation": "CREATE",
                "decision": {"allowed": false, "digest": "sha256:00", "checks": [{"requirement": "sbom", "passed": false, "reason": "missing"}]}}),
        "2026-01-01T00:00:00Z",
    )
    .unwrap();
    let mut out = Vec::new();
    export::export(&log, |l| {
        out.push(serde_json::from_str::<serde_json::Value>(l).unwrap());
        Ok(())
    })
    .unwrap();
    assert_eq!(out[0]["leafHash"], json!(leaf));
    assert_eq!(out[0]["decision"], json!("deny"));
    assert_eq!(out[0]["reasons"], json!(["sbom: missing"]));
    assert_eq!(out[0]["userIdentity"]["username"], json!("alice"));
    assert_eq!(out[0]["eventID"], json!("u1/r/a:1"));
}

#[test]
fn export_reads_the_webhook_review_and_the_cli_decision() {
    let line = store::format_record(
        0,
        &[0; 32],
        "2026-01-01T00:00:00Z",
        &json!({"uid": "u2", "namespace": "prod", "kind": "Deployment", "name": "web", "operation": "CREATE",
                "userInfo": {"username": "bob", "groups": ["dev"]}, "allowed": false,
                "images": [{"image": "r/a:1", "digest": "sha256:aa", "decisions": [{"policy": "p", "allowed": false,
                            "checks": [{"requirement": "provenance", "passed": false, "reason": "none"}]}]},
                           {"image": "r/b:2", "error": "registry down"}]})
        .to_string(),
    );
    let e = export::event(0, &merkle::leaf_hash(line.as_bytes()), line.as_bytes());
    assert_eq!(e["eventID"], json!("u2"));
    assert_eq!(e["decision"], json!("deny"));
    assert_eq!(e["userIdentity"]["username"], json!("bob"));
    assert_eq!(e["resource"]["images"], json!(["r/a:1", "r/b:2"]));
    assert_eq!(
        e["reasons"],
        json!([
            "image r/a:1: policy `p`: provenance: none",
            "image r/b:2: registry down"
        ])
    );
    let cli = store::format_record(
        1,
        &[0; 32],
        "2026-01-01T00:00:00Z",
        &json!({"subject": "app", "digest": "sha256:bb", "policy": "p", "allowed": true, "checks": []}).to_string(),
    );
    let e = export::event(1, &merkle::leaf_hash(cli.as_bytes()), cli.as_bytes());
    assert_eq!(e["decision"], json!("allow"));
    assert_eq!(e["operation"], json!("verify"));
    assert_eq!(e["resource"]["digests"], json!(["sha256:bb"]));
}

/// Append `n` records through a writer with a write-ahead file of
/// `wal_size` bytes and no checkpoint, then stop it as a crash would.
/// Returns the lines every caller was told are durable.
fn crashed(f: &Fixture, n: usize, wal_size: u64) -> Vec<String> {
    let w = open_with_wal(f, wal_size).unwrap();
    assert_eq!(w.wal_error(), None);
    for i in 0..n {
        w.append(json!({"subject": format!("app-{i}")})).unwrap();
    }
    w.crash();
    let lines = f.lines();
    assert_eq!(lines.len(), n);
    lines
}

fn reopen_with_wal(f: &Fixture) -> Result<LogWriter, LogError> {
    open_with_wal(f, 1 << 20)
}

/// A writer with a write-ahead file of `wal_size` bytes and no scheduled
/// checkpoint.
fn open_with_wal(f: &Fixture, wal_size: u64) -> Result<LogWriter, LogError> {
    LogWriter::open(
        &f.log,
        WriterOptions {
            wal_size,
            ..f.options(Duration::from_secs(3600))
        },
    )
}

/// Cut the log file at byte `at` (what a crash can do to its unsynced
/// part).
fn cut_log(f: &Fixture, at: u64) {
    std::fs::OpenOptions::new()
        .write(true)
        .open(&f.log)
        .unwrap()
        .set_len(at)
        .unwrap();
}

/// The byte offset of record `i` (0-based) in the log file.
fn offset_of(f: &Fixture, i: usize) -> u64 {
    f.lines().iter().take(i).map(|l| l.len() as u64 + 1).sum()
}

#[test]
fn a_crash_loses_no_acknowledged_record() {
    // What a machine crash can do to the part of the log file that only
    // the page cache held: cut it anywhere, or leave pages unwritten
    // (zeros) inside it.
    type Damage = fn(&Fixture);
    let damages: [(&str, Damage); 4] = [
        ("emptied", |f| {
            std::fs::write(&f.log, b"").unwrap();
        }),
        ("cut inside a record", |f| {
            let at = offset_of(f, 40) + 17;
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(&f.log)
                .unwrap();
            file.set_len(at).unwrap();
        }),
        ("a page never written", |f| {
            let mut bytes = std::fs::read(&f.log).unwrap();
            let at = offset_of(f, 30) as usize;
            bytes[at..at + 4096].fill(0);
            std::fs::write(&f.log, bytes).unwrap();
        }),
        ("zeros at the end", |f| {
            let mut bytes = std::fs::read(&f.log).unwrap();
            let n = bytes.len();
            bytes[n - 300..].fill(0);
            std::fs::write(&f.log, bytes).unwrap();
        }),
    ];
    for (what, damage) in damages {
        let f = fixture(0, false);
        let lines = crashed(&f, 100, 1 << 20);
        damage(&f);
        assert_ne!(f.lines(), lines, "{what}: the damage changed nothing");
        let w = reopen_with_wal(&f).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(f.lines(), lines, "{what}");
        assert_eq!(w.append(json!({"n": 100})).unwrap().index, 100, "{what}");
        w.close().unwrap();
        assert_eq!(f.verify().unwrap().records, 101, "{what}");
        // A clean close leaves nothing to replay.
        let tagger = wal::Tagger::new(Some(&f.key()), "tollgate.test/log");
        assert!(found(&f).entries(&tagger).unwrap().is_empty(), "{what}");
    }
}

#[test]
fn the_write_ahead_file_wraps_around_only_over_durable_records() {
    let f = fixture(0, false);
    let lines = crashed(&f, 300, wal::MIN_SIZE);
    let entries = found(&f)
        .entries(&wal::Tagger::new(Some(&f.key()), "tollgate.test/log"))
        .unwrap();
    // It went round several times: it holds only the newest records.
    assert!(
        !entries.is_empty() && entries.len() < 50,
        "{}",
        entries.len()
    );
    let first = entries[0].log_offset;
    assert!(first > 0);
    assert_eq!(
        entries.last().unwrap().line,
        format!("{}\n", lines[299]).into_bytes()
    );
    // Everything before its first entry was synced before the wrap; lose
    // everything after it.
    cut_log(&f, first + 3);
    let w = reopen_with_wal(&f).unwrap();
    w.close().unwrap();
    assert_eq!(f.lines(), lines);
    assert_eq!(f.verify().unwrap().records, 300);
}

#[test]
fn the_write_ahead_file_does_not_repair_a_changed_record() {
    let f = fixture(0, false);
    let mut lines = crashed(&f, 20, 1 << 20);
    lines[5] = lines[5].replace("app-5", "app-X");
    f.write_lines(&lines);
    match reopen_with_wal(&f) {
        Err(e @ LogError::Broken { record: 5, .. }) => {
            assert!(e.to_string().contains("write-ahead"), "{e}")
        }
        other => panic!("expected record 5 to be named, got {other:?}"),
    }
    // A log cut before the write-ahead file's first record lost records
    // that were synced: also refused, not padded.
    let f = fixture(0, false);
    crashed(&f, 300, wal::MIN_SIZE);
    std::fs::write(&f.log, b"").unwrap();
    assert!(matches!(reopen_with_wal(&f), Err(LogError::Broken { .. })));
}

#[test]
fn the_write_ahead_file_belongs_to_its_log_by_content() {
    // A crash, then the log file replaced by a copy (a restore, a volume
    // re-attached with other device numbers): its frames still continue
    // the log's records, so what the copy lost comes back.
    let f = fixture(0, false);
    let lines = crashed(&f, 10, 1 << 20);
    let copy = f.log.with_extension("copy");
    std::fs::copy(&f.log, &copy).unwrap();
    std::fs::rename(&copy, &f.log).unwrap();
    let cut = std::fs::metadata(&f.log).unwrap().len() - 50;
    cut_log(&f, cut);
    let w = reopen_with_wal(&f).unwrap();
    assert_eq!(w.notice(), None);
    w.close().unwrap();
    assert_eq!(f.lines(), lines);
    // A writer without a write-ahead file still replays one left behind,
    // then removes it.
    let f = fixture(0, false);
    let lines = crashed(&f, 10, 1 << 20);
    std::fs::write(&f.log, b"").unwrap();
    let w = LogWriter::open(&f.log, f.options(Duration::from_secs(3600))).unwrap();
    w.close().unwrap();
    assert_eq!(f.lines(), lines);
    assert!(!wal::path(&f.log).exists());
}

fn found(f: &Fixture) -> wal::Wal {
    match wal::Wal::existing(&f.log).unwrap() {
        wal::Existing::Found(w) => w,
        other => panic!("no write-ahead file: {other:?}"),
    }
}

#[test]
fn every_acknowledged_record_survives_a_kill_and_keeps_its_index() {
    // A batch larger than the whole write-ahead file goes straight to the
    // log and is signed before it is answered; the frames after it still
    // form a run.
    let f = fixture(0, false);
    let w = open_with_wal(&f, wal::MIN_SIZE).unwrap();
    let big: Vec<_> = (0..100).map(|i| json!({"big": i})).collect();
    assert_eq!(w.append_many(&big).unwrap().len(), 100);
    let small = w.append(json!({"small": 1})).unwrap();
    let small2 = w.append(json!({"small": 2})).unwrap();
    w.crash();
    let lines = f.lines();
    let cut = offset_of(&f, 100) + 5;
    cut_log(&f, cut);
    let w = reopen_with_wal(&f).unwrap();
    assert_eq!(w.notice(), None);
    w.close().unwrap();
    assert_eq!(f.lines(), lines);
    assert_eq!(merkle::leaf_hash(lines[100].as_bytes()), small.leaf_hash);
    assert_eq!(merkle::leaf_hash(lines[101].as_bytes()), small2.leaf_hash);
    // Without a write-ahead file, each batch is signed before it is
    // answered: a kill right after leaves nothing to set aside.
    let f = fixture(2, false);
    let w = LogWriter::open(&f.log, f.options(Duration::from_secs(3600))).unwrap();
    let r = w.append(json!({"n": 2})).unwrap();
    w.crash();
    let w = LogWriter::open(&f.log, f.options(Duration::from_secs(3600))).unwrap();
    assert_eq!(w.notice(), None);
    assert_eq!(w.append(json!({"n": 3})).unwrap().index, 3);
    w.close().unwrap();
    assert_eq!(merkle::leaf_hash(f.lines()[2].as_bytes()), r.leaf_hash);
    assert_eq!(f.verify().unwrap().records, 4);
}

#[test]
fn a_removal_under_a_signed_checkpoint_is_not_repaired() {
    // The log file is synced before each checkpoint: a loss below one is
    // a removal, which the write-ahead file must not hide.
    let f = fixture(0, false);
    let w = open_with_wal(&f, 1 << 20).unwrap();
    for i in 0..20 {
        w.append(json!({"n": i})).unwrap();
    }
    w.checkpoint().unwrap();
    w.append(json!({"n": 20})).unwrap();
    w.crash();
    let cut = offset_of(&f, 10);
    cut_log(&f, cut);
    assert!(matches!(
        reopen_with_wal(&f),
        Err(LogError::Broken { record: 10, .. })
    ));
}

#[test]
fn a_symlinked_write_ahead_file_is_replaced_not_written_through() {
    let f = fixture(0, false);
    let victim = f.log.with_extension("victim");
    std::fs::write(&victim, vec![7u8; 1 << 20]).unwrap();
    std::os::unix::fs::symlink(&victim, wal::path(&f.log)).unwrap();
    let w = reopen_with_wal(&f).unwrap();
    w.append(json!({"n": 0})).unwrap();
    w.close().unwrap();
    assert_eq!(std::fs::read(&victim).unwrap(), vec![7u8; 1 << 20]);
    assert!(std::fs::symlink_metadata(wal::path(&f.log))
        .unwrap()
        .file_type()
        .is_file());
    // A directory in its place: the writer goes on without one.
    let f = fixture(0, false);
    std::fs::create_dir(wal::path(&f.log)).unwrap();
    let w = reopen_with_wal(&f).unwrap();
    assert!(w.wal_error().is_some());
    w.append(json!({"n": 0})).unwrap();
    w.close().unwrap();
    assert_eq!(f.verify().unwrap().records, 1);
}

#[test]
fn records_past_the_checkpoint_that_nothing_vouches_for_are_set_aside() {
    // A forged append (chained correctly: anyone can compute leaf hashes)
    // after the latest signed checkpoint: the next writer does not adopt
    // and sign it; it moves it to LOG.unvouched.
    let f = fixture(5, false);
    let mut lines = f.lines();
    let forged = store::format_record(
        5,
        &merkle::leaf_hash(lines[4].as_bytes()),
        "2026-01-01T00:00:00Z",
        "{\"allowed\":true,\"subject\":\"evil\"}",
    );
    lines.push(forged.clone());
    f.write_lines(&lines);
    assert_eq!(f.first_bad(), 5);
    let w = reopen_with_wal(&f).unwrap();
    let notice = w.notice().expect("a notice").to_string();
    assert!(notice.contains("records 5..5"), "{notice}");
    w.append(json!({"after": true})).unwrap();
    w.close().unwrap();
    assert_eq!(f.verify().unwrap().records, 6);
    assert!(!f.lines().iter().any(|l| l.contains("evil")));
    let aside = std::fs::read_to_string(store::sidecar(&f.log, "unvouched")).unwrap();
    assert_eq!(aside, format!("{forged}\n"));
    // A forged write-ahead file (frames tagged without the key) vouches
    // for nothing either.
    let f = fixture(0, false);
    crashed(&f, 3, 1 << 20);
    let other = NoteSigner::generate("tollgate.test/log", TYPE_ED25519).unwrap();
    let forged_tagger = wal::Tagger::new(Some(&other), "tollgate.test/log");
    let text = std::fs::read(&f.log).unwrap();
    let mut frame = Vec::new();
    let leaves: Vec<_> = f
        .lines()
        .iter()
        .map(|l| merkle::leaf_hash(l.as_bytes()))
        .collect();
    wal::encode(&mut frame, &forged_tagger, 0, &text, &leaves);
    let mut bytes = std::fs::read(wal::path(&f.log)).unwrap();
    bytes[wal::FILE_HEADER as usize..wal::FILE_HEADER as usize + frame.len()]
        .copy_from_slice(&frame);
    std::fs::write(wal::path(&f.log), bytes).unwrap();
    let w = reopen_with_wal(&f).unwrap();
    assert!(w.notice().is_some_and(|n| n.contains("records 0..2")));
    w.close().unwrap();
    assert!(f.lines().is_empty());
}

#[test]
fn a_wrap_around_signs_what_the_write_ahead_file_stops_holding() {
    let f = fixture(0, false);
    let lines = crashed(&f, 300, wal::MIN_SIZE);
    // Several wraps, each under a checkpoint; after the crash nothing is
    // set aside and nothing is lost.
    let cps = std::fs::read_to_string(store::checkpoints_path(&f.log)).unwrap();
    assert!(cps.matches("\n\n").count() > 3, "{cps}");
    let w = reopen_with_wal(&f).unwrap();
    assert_eq!(w.notice(), None);
    w.close().unwrap();
    assert_eq!(f.lines(), lines);
    assert_eq!(f.verify().unwrap().records, 300);
}

#[test]
fn a_second_crash_in_a_row_keeps_every_acknowledged_record() {
    // A writer killed after acknowledging records, then another one that
    // is killed too (idle, after one more record, with another write-ahead
    // size, or with none): the first one's records are signed when the
    // second opens, so the third finds them all.
    type Second = fn(&Fixture) -> Option<Receipt>;
    let seconds: [(&str, Second); 4] = [
        ("idle", |f| {
            reopen_with_wal(f).unwrap().crash();
            None
        }),
        ("one more record", |f| {
            let w = reopen_with_wal(f).unwrap();
            let r = w.append(json!({"second": true})).unwrap();
            w.crash();
            Some(r)
        }),
        ("another size", |f| {
            let w = open_with_wal(f, 2 << 20).unwrap();
            w.crash();
            None
        }),
        ("no write-ahead file", |f| {
            let w = LogWriter::open(&f.log, f.options(Duration::from_secs(3600))).unwrap();
            w.crash();
            None
        }),
    ];
    for (what, second) in seconds {
        let f = fixture(0, false);
        let mut lines = crashed(&f, 5, 1 << 20);
        if let Some(r) = second(&f) {
            assert_eq!(r.index, 5, "{what}");
            lines = f.lines();
        }
        let w = reopen_with_wal(&f).unwrap();
        assert_eq!(w.notice(), None, "{what}");
        w.close().unwrap();
        assert_eq!(f.lines(), lines, "{what}");
        assert_eq!(f.verify().unwrap().records, lines.len() as u64, "{what}");
    }
}

#[test]
fn crafted_files_beside_the_log_are_not_written_through_or_trusted() {
    // Caches and checkpoints behind symlinks: the targets stay untouched.
    let f = fixture(3, true);
    for p in [store::tree_path(&f.log), store::idx_path(&f.log)] {
        std::fs::remove_file(&p).unwrap();
        let victim = p.with_extension("victim");
        std::fs::write(&victim, b"precious").unwrap();
        std::os::unix::fs::symlink(&victim, &p).unwrap();
    }
    let w = LogWriter::open(&f.log, f.options(Duration::ZERO)).unwrap();
    w.append(json!({"n": 3})).unwrap();
    w.close().unwrap();
    for p in [store::tree_path(&f.log), store::idx_path(&f.log)] {
        assert_eq!(
            std::fs::read(p.with_extension("victim")).unwrap(),
            b"precious"
        );
    }
    assert_eq!(f.verify().unwrap().records, 4);
    // A frame header claiming 4 GiB of lines: nothing is allocated for it.
    let f = fixture(0, false);
    crashed(&f, 2, 1 << 20);
    let mut bytes = std::fs::read(wal::path(&f.log)).unwrap();
    let at = wal::FILE_HEADER as usize;
    bytes[at + 16..at + 20].copy_from_slice(&u32::MAX.to_le_bytes());
    std::fs::write(wal::path(&f.log), bytes).unwrap();
    assert!(found(&f)
        .entries(&wal::Tagger::new(Some(&f.key()), "tollgate.test/log"))
        .unwrap()
        .is_empty());
}

#[test]
fn an_unacknowledged_tail_with_a_hole_is_cut_at_the_last_frame() {
    let f = fixture(0, false);
    let lines = crashed(&f, 20, 1 << 20);
    // Bytes of a record whose frame was never written, with zeros in them.
    let mut bytes = std::fs::read(&f.log).unwrap();
    bytes.extend_from_slice(&[0u8; 100]);
    bytes.extend_from_slice(b"\"event\":{}}\n");
    std::fs::write(&f.log, bytes).unwrap();
    let w = reopen_with_wal(&f).unwrap();
    w.close().unwrap();
    assert_eq!(f.lines(), lines);
}

#[test]
fn an_unsigned_log_is_not_given_a_key_silently() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("d.jsonl");
    let w = LogWriter::open(&log, WriterOptions::default()).unwrap();
    w.append(json!({"n": 0})).unwrap();
    w.close().unwrap();
    let key = NoteSigner::generate("tollgate.test/log", TYPE_ED25519).unwrap();
    let opts = |adopt| WriterOptions {
        key: Some(NoteSigner::parse(&key.private_text()).unwrap()),
        adopt_unvouched: adopt,
        ..WriterOptions::default()
    };
    match LogWriter::open(&log, opts(false)) {
        Err(e @ LogError::Usage(_)) => assert!(e.to_string().contains("log checkpoint"), "{e}"),
        other => panic!("expected a usage error, got {other:?}"),
    }
    // `log checkpoint` signs it as it is.
    let w = LogWriter::open(&log, opts(true)).unwrap();
    assert!(w.notice().is_some());
    w.close().unwrap();
    let w = LogWriter::open(&log, opts(false)).unwrap();
    assert_eq!(w.append(json!({"n": 1})).unwrap().index, 1);
    w.close().unwrap();
}

#[test]
fn pending_write_ahead_frames_are_seen_read_only() {
    let f = fixture(0, false);
    assert!(!wal::has_frames(&f.log));
    // A writer that stopped without closing leaves frames to replay.
    let lines = crashed(&f, 3, 1 << 20);
    assert!(wal::has_frames(&f.log));
    // The next writer replays them and, closed, leaves none.
    let w = reopen_with_wal(&f).unwrap();
    w.close().unwrap();
    assert!(!wal::has_frames(&f.log));
    assert_eq!(f.lines(), lines);
    assert_eq!(f.verify().unwrap().records, 3);
    // Never read through a symlink.
    std::fs::remove_file(wal::path(&f.log)).unwrap();
    let g = fixture(0, false);
    crashed(&g, 1, 1 << 20);
    std::os::unix::fs::symlink(wal::path(&g.log), wal::path(&f.log)).unwrap();
    assert!(!wal::has_frames(&f.log));
}

/// Run by `a_failed_append_keeps_the_frame_of_the_answered_batch` under a
/// file-size limit, so that appending to the log file fails (EFBIG)
/// before the batch's frame is written (red team rt37). The frame of the
/// batch before, already answered, must survive: after a kill and a
/// restart its records are still in the log, not set aside.
#[test]
#[ignore = "run by a_failed_append_keeps_the_frame_of_the_answered_batch"]
fn append_failure_under_a_file_size_limit() {
    let f = fixture(0, false);
    let w = open_with_wal(&f, 16 << 10).unwrap();
    let pad = "x".repeat(900);
    let mut acked = Vec::new();
    let mut failed = false;
    for i in 0..200 {
        match w.append(json!({"subject": format!("app-{i}"), "pad": pad})) {
            Ok(r) => acked.push(r),
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    assert!(failed, "an append must fail under `ulimit -f 48`");
    let last = *acked.last().unwrap();
    w.crash();
    let w = reopen_with_wal(&f).unwrap();
    assert_eq!(w.notice(), None, "nothing may be set aside");
    w.close().unwrap();
    let lines = f.lines();
    assert!(
        lines
            .iter()
            .any(|l| merkle::leaf_hash(l.as_bytes()) == last.leaf_hash),
        "answered record {} is no longer in the log",
        last.index
    );
}

#[test]
fn a_failed_append_keeps_the_frame_of_the_answered_batch() {
    // SIGXFSZ ignored and the limit set by the shell, for the child only.
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 48; exec \"$0\" --exact log::tests::append_failure_under_a_file_size_limit --ignored --test-threads=1")
        .arg(&exe)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("1 passed"),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
