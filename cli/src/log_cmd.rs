//! `tollgate log …`: the decision log as a transparency log: keys,
//! verification, inclusion and consistency proofs, the witness, export.
//!
//! Exit status: 0 fine, 1 tampering found (or a fork refused), 2 usage or
//! input error.

use crate::{output, EXIT_FINDINGS};
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::{Path, PathBuf};
use tollgate_verifier::log::{self as tlog, proof, LogError, NoteVerifier, SignedCheckpoint};

#[derive(Subcommand, Debug)]
pub enum LogCommand {
    /// Keys for signing checkpoints (the log) and cosigning them (a witness).
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Recompute the Merkle tree from the records, check every signed
    /// checkpoint against it, and name the first bad record.
    Verify(VerifyArgs),
    /// Print an inclusion proof (JSON) of record N against the latest checkpoint.
    Prove {
        log: PathBuf,
        #[arg(long)]
        index: u64,
        /// The log's public key: the checkpoint must be signed by it.
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
    },
    /// Prove that the latest checkpoint extends an older one (C2SP
    /// tlog-witness add-checkpoint format; a rewritten log fails, exit 1).
    Consistency {
        log: PathBuf,
        /// An older checkpoint (a signed note), e.g. one a client kept.
        old_checkpoint: PathBuf,
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Append JSON values read from standard input (one per line) as
    /// records, and print each one's index and leaf hash; with --key, sign
    /// a checkpoint at the end. Holds the writer lock until input ends.
    Append {
        log: PathBuf,
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
        #[arg(long)]
        origin: Option<String>,
        /// Records written per write and sync (1: each is durable, and its
        /// receipt printed, before the next line is read).
        #[arg(long, default_value = "1", value_parser = clap::value_parser!(u64).range(1..))]
        batch: u64,
    },
    /// Sign a checkpoint of everything in the log now (takes the writer
    /// lock). Unlike a writer, which sets aside records past the latest
    /// checkpoint that its write-ahead file does not vouch for, this signs
    /// them: the key holder vouches for the log as it is.
    Checkpoint {
        log: PathBuf,
        /// The log's private key (file, or a mounted Secret).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        #[arg(long)]
        origin: Option<String>,
    },
    /// Act as a witness: cosign the log's latest checkpoint if it extends
    /// the last one this witness saw (kept in --state); refuse a fork (exit 1).
    Witness(WitnessArgs),
    /// Export every record as JSON lines for a SIEM (index, leaf hash,
    /// event id, time, actor, resource, operation, decision, reasons).
    Export {
        log: PathBuf,
        /// Output file (`-` or absent: standard output). Written atomically;
        /// with --follow, appended to as records arrive.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
        /// Keep running and export each record as it is appended (a stream
        /// for Fluent Bit or Vector); stops on SIGINT/SIGTERM. The chain is
        /// checked as records are read: a truncated or rewritten log ends
        /// the stream with exit 1.
        #[arg(long)]
        follow: bool,
        /// With --follow: how often the log is looked at.
        #[arg(long, default_value = "200", value_name = "MS", requires = "follow")]
        poll_ms: u64,
    },
}

#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Write an Ed25519 private key (mode 0600) and its public note verifier key.
    Generate {
        /// The key name (for a log, its origin, e.g. `tollgate.example/decisions`).
        #[arg(long)]
        name: String,
        /// A witness's cosigning key (cosignature/v1) instead of a log key.
        #[arg(long)]
        witness: bool,
        /// Private key file.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: PathBuf,
        /// Public key file (default: the private key's path with `.pub`).
        #[arg(long, value_name = "FILE")]
        public: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    pub log: PathBuf,
    /// The log's public key: every checkpoint must be signed by it, at
    /// least one must exist, and every record must be covered.
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// A witness's public key (repeatable).
    #[arg(long = "witness-key", value_name = "FILE")]
    pub witness_keys: Vec<PathBuf>,
    /// Require this many witness cosignatures on some checkpoint.
    #[arg(long, default_value = "0")]
    pub min_witnesses: usize,
    /// Files of cosigned checkpoints (besides LOG.witnessed).
    #[arg(long, value_name = "FILE")]
    pub cosigned: Vec<PathBuf>,
    /// The origin every checkpoint must name (one key signing several
    /// replicas' logs: another replica's log is not this one).
    #[arg(long, value_name = "ORIGIN")]
    pub origin: Option<String>,
}

#[derive(Args, Debug)]
pub struct WitnessArgs {
    /// A consistency request (from `tollgate log consistency`), or use --log.
    pub request: Option<PathBuf>,
    /// Read the log directly and prove from the witness's state.
    #[arg(long, value_name = "FILE", conflicts_with = "request")]
    pub log: Option<PathBuf>,
    /// The witness's private key.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// The log's public key.
    #[arg(long, value_name = "FILE")]
    pub log_key: PathBuf,
    /// The last checkpoint this witness cosigned (created on first use).
    #[arg(long, value_name = "FILE")]
    pub state: PathBuf,
    /// Where to write the cosigned checkpoint (default: with --log,
    /// appended to LOG.witnessed; otherwise standard output).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

fn verifier(path: &Path) -> Result<NoteVerifier> {
    Ok(tlog::read_verifier(path)?)
}

/// Tampering is exit 1 with the finding; anything else is an error (exit 2).
fn finding(e: LogError) -> Result<u8> {
    if e.is_tampering() {
        eprintln!("error: {e}");
        Ok(EXIT_FINDINGS)
    } else {
        Err(e.into())
    }
}

pub fn run(command: LogCommand) -> Result<u8> {
    match command {
        LogCommand::Key {
            command:
                KeyCommand::Generate {
                    name,
                    witness,
                    output,
                    public,
                },
        } => {
            let public = public.unwrap_or_else(|| {
                let mut p = output.as_os_str().to_owned();
                p.push(".pub");
                PathBuf::from(p)
            });
            let kind = if witness {
                tlog::note::TYPE_COSIGNATURE_V1
            } else {
                tlog::note::TYPE_ED25519
            };
            let v = tlog::generate_key(&name, kind, &output, &public)?;
            eprintln!(
                "wrote {} (private, 0600) and {}: {}",
                output.display(),
                public.display(),
                v.text()
            );
            Ok(0)
        }
        LogCommand::Verify(args) => run_verify(args),
        LogCommand::Prove { log, index, key } => {
            let key = key.as_deref().map(verifier).transpose()?;
            match proof::prove(&log, index, key.as_ref()) {
                Ok(p) => {
                    output::write(None, &(serde_json::to_string_pretty(&p)? + "\n"))?;
                    Ok(0)
                }
                Err(e) => finding(e),
            }
        }
        LogCommand::Consistency {
            log,
            old_checkpoint,
            key,
            output: out,
        } => {
            let key = key.as_deref().map(verifier).transpose()?;
            let text = std::fs::read_to_string(&old_checkpoint)
                .with_context(|| format!("{}: cannot read", old_checkpoint.display()))?;
            let old = SignedCheckpoint::parse(&text).with_context(|| {
                format!("{}: not a signed checkpoint", old_checkpoint.display())
            })?;
            match proof::consistency(&log, &old, key.as_ref()) {
                Ok(req) => {
                    output::write(out.as_deref(), &req.text())?;
                    Ok(0)
                }
                Err(e) => finding(e),
            }
        }
        LogCommand::Append {
            log,
            key,
            origin,
            batch: per_batch,
        } => {
            let writer = tlog::LogWriter::open(
                &log,
                tlog::WriterOptions {
                    key: key.as_deref().map(tlog::read_signer).transpose()?,
                    origin,
                    checkpoint_interval: std::time::Duration::from_secs(3600),
                    ..tlog::WriterOptions::default()
                },
            )?;
            if let Some(n) = writer.notice() {
                eprintln!("tollgate log append: warning: {}: {n}", log.display());
            }
            let stdin = std::io::stdin();
            let mut batch = Vec::new();
            let mut out = std::io::stdout().lock();
            let mut flush = |batch: &mut Vec<serde_json::Value>| -> Result<()> {
                for r in writer.append_many(batch)? {
                    writeln!(
                        out,
                        "{{\"index\":{},\"leafHash\":\"{}\"}}",
                        r.index,
                        r.leaf_hex()
                    )
                    .context("cannot write to standard output")?;
                }
                batch.clear();
                out.flush().context("cannot write to standard output")
            };
            for (n, line) in std::io::BufRead::lines(stdin.lock()).enumerate() {
                let line = line.context("cannot read standard input")?;
                if line.trim().is_empty() {
                    continue;
                }
                let value: serde_json::Value = serde_json::from_str(&line)
                    .with_context(|| format!("standard input line {}: not JSON", n + 1))?;
                batch.push(value);
                if batch.len() as u64 >= per_batch {
                    flush(&mut batch)?;
                }
            }
            flush(&mut batch)?;
            writer.close()?;
            Ok(0)
        }
        LogCommand::Checkpoint { log, key, origin } => {
            let writer = tlog::LogWriter::open(
                &log,
                tlog::WriterOptions {
                    key: Some(tlog::read_signer(&key)?),
                    origin,
                    // The key holder, by hand: what is in the log is signed.
                    adopt_unvouched: true,
                    ..tlog::WriterOptions::default()
                },
            )?;
            if let Some(n) = writer.notice() {
                eprintln!("tollgate log checkpoint: warning: {}: {n}", log.display());
            }
            let cp = writer.close()?;
            if let Some(cp) = cp {
                output::write(None, &cp.note.text())?;
            }
            Ok(0)
        }
        LogCommand::Witness(args) => run_witness(args),
        LogCommand::Export {
            log,
            output: out,
            follow: true,
            poll_ms,
        } => export_follow(&log, out.as_deref(), poll_ms),
        LogCommand::Export {
            log, output: out, ..
        } => {
            let mut text = String::new();
            let to_stdout = out.as_deref().is_none_or(|p| p == Path::new("-"));
            if to_stdout {
                let mut stdout = std::io::stdout().lock();
                let written = tlog::export::export(&log, |line| {
                    stdout.write_all(line.as_bytes()).map_err(|e| LogError::Io {
                        path: PathBuf::from("-"),
                        source: e,
                    })
                })
                .map(|_| ())
                .and_then(|()| {
                    stdout.flush().map_err(|e| LogError::Io {
                        path: PathBuf::from("-"),
                        source: e,
                    })
                });
                match written {
                    // The reader went away (`| head`): not an error.
                    Err(LogError::Io { source, .. })
                        if source.kind() == std::io::ErrorKind::BrokenPipe => {}
                    other => other?,
                }
            } else if let Some(path) = out {
                tlog::export::export(&log, |line| {
                    text.push_str(line);
                    Ok(())
                })?;
                output::write_atomic(&path, text.as_bytes())?;
            }
            Ok(0)
        }
    }
}

/// `log export --follow`: every record, then each new one as it is
/// appended, to standard output or appended to a file, flushed after every
/// read, until SIGINT or SIGTERM.
fn export_follow(log: &Path, out: Option<&Path>, poll_ms: u64) -> Result<u8> {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, stop.clone())
            .context("cannot install the signal handlers")?;
    }
    let mut sink: Box<dyn Write> = match out.filter(|p| *p != Path::new("-")) {
        None => Box::new(std::io::stdout()),
        Some(path) => Box::new(
            std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(path)
                .with_context(|| format!("{}: cannot open for appending", path.display()))?,
        ),
    };
    let name = out.unwrap_or(Path::new("-")).to_path_buf();
    let options = tlog::export::Follow {
        poll: std::time::Duration::from_millis(poll_ms.max(1)),
        stop: &|| stop.load(Ordering::Relaxed),
    };
    let result = tlog::export::follow(log, &options, |text| {
        sink.write_all(text.as_bytes())
            .and_then(|()| sink.flush())
            .map_err(|e| LogError::Io {
                path: name.clone(),
                source: e,
            })
    });
    match result {
        Ok(_) => Ok(0),
        // The reader went away: not an error.
        Err(LogError::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {
            Ok(0)
        }
        Err(e) => finding(e),
    }
}

fn run_verify(args: VerifyArgs) -> Result<u8> {
    let key = args.key.as_deref().map(verifier).transpose()?;
    let witnesses = args
        .witness_keys
        .iter()
        .map(|p| verifier(p))
        .collect::<Result<Vec<_>>>()?;
    if args.origin.is_some() && key.is_none() {
        bail!("--origin needs --key (an origin is read from signed checkpoints)");
    }
    if args.min_witnesses > witnesses.len() {
        bail!(
            "--min-witnesses {} needs at least that many --witness-key",
            args.min_witnesses
        );
    }
    let opts = tlog::VerifyOptions {
        key,
        witnesses,
        min_witnesses: args.min_witnesses,
        cosigned: args.cosigned,
        origin: args.origin,
    };
    match tlog::verify(&args.log, &opts) {
        Ok(report) => {
            let mut msg = format!("decision log intact: {} records", report.records);
            match (&report.latest, report.signed) {
                (Some(cp), true) => msg.push_str(&format!(
                    "; {} signed checkpoints, the latest of size {} for `{}`",
                    report.checkpoints, cp.checkpoint.size, cp.checkpoint.origin
                )),
                (Some(_), false) => msg.push_str(&format!(
                    "; {} checkpoints match the records (signatures not checked: give --key)",
                    report.checkpoints
                )),
                (None, _) => msg.push_str(
                    " (unsigned log: a rewrite of the whole file cannot be detected; write it with a key)",
                ),
            }
            if let Some((size, n)) = report.witnessed {
                msg.push_str(&format!("; witnessed up to size {size} by {n} witness(es)"));
            }
            eprintln!("{msg}");
            sidecar_notes(&args.log);
            Ok(0)
        }
        Err(e) => {
            sidecar_notes(&args.log);
            finding(e)
        }
    }
}

/// What lies beside a log that `log verify` does not verify: write-ahead
/// frames a writer will replay, and records a writer set aside.
fn sidecar_notes(log: &std::path::Path) {
    if tlog::wal::has_frames(log) {
        eprintln!(
            "note: {} holds write-ahead frames: a writer is running, or stopped without closing the log; records it acknowledged past the log's end or its latest checkpoint are replayed and signed by the next writer, and are not verified here",
            tlog::wal::path(log).display()
        );
    }
    let aside = tlog::store::sidecar(log, "unvouched");
    if std::fs::symlink_metadata(&aside).is_ok() {
        eprintln!(
            "note: {} holds records a writer set aside: past the latest checkpoint, vouched for by no write-ahead frame, and not part of the log verified here",
            aside.display()
        );
    }
}

fn run_witness(args: WitnessArgs) -> Result<u8> {
    let log_key = verifier(&args.log_key)?;
    let key = tlog::read_signer(&args.key)?;
    if key.kind != tlog::note::TYPE_COSIGNATURE_V1 {
        bail!(
            "{}: not a witness key (generate one with `tollgate log key generate --witness`)",
            args.key.display()
        );
    }
    let request = match (&args.request, &args.log) {
        (Some(path), None) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("{}: cannot read", path.display()))?;
            proof::ConsistencyRequest::parse(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        }
        (None, Some(log)) => {
            let latest = proof::latest_checkpoint(log)?
                .with_context(|| format!("{}: no checkpoint to witness", log.display()))?;
            let old = match std::fs::read_to_string(&args.state) {
                Ok(text) => SignedCheckpoint::parse(&text)
                    .with_context(|| format!("{}: not a checkpoint", args.state.display()))?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => SignedCheckpoint {
                    checkpoint: tlog::note::Checkpoint {
                        origin: latest.checkpoint.origin.clone(),
                        size: 0,
                        root: tlog::merkle::empty_root(),
                    },
                    note: latest.note.clone(),
                },
                Err(e) => {
                    return Err(e).with_context(|| format!("{}: cannot read", args.state.display()))
                }
            };
            match proof::consistency(log, &old, None) {
                Ok(r) => r,
                Err(e) => return finding(e),
            }
        }
        _ => bail!("give a consistency request file or --log LOG"),
    };
    let cosigned = match proof::witness(
        &request,
        &log_key,
        &key,
        &args.state,
        u64::try_from(crate::audit_cmd::now()).unwrap_or(0),
    ) {
        Ok(n) => n,
        Err(e) => return finding(e),
    };
    let text = cosigned.text();
    match (&args.output, &args.log) {
        (Some(path), _) => output::write(Some(path), &text)?,
        (None, Some(log)) => {
            let path = tlog::store::witnessed_path(log);
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(&path)
                .with_context(|| format!("{}: cannot open", path.display()))?;
            f.write_all(format!("{text}\n").as_bytes())
                .and_then(|()| f.sync_data())
                .with_context(|| format!("{}: cannot write", path.display()))?;
        }
        (None, None) => output::write(None, &text)?,
    }
    eprintln!(
        "cosigned `{}` at size {} as `{}`",
        request.checkpoint.checkpoint.origin, request.checkpoint.checkpoint.size, key.name
    );
    Ok(0)
}

/// The CLI gate's append: open the log (the writer lock), append, sign a
/// checkpoint with `key` if given, release. Returns where the decision
/// went, for `tollgate verify --format json` (`decisionLog`).
pub fn append_decision(
    log: &Path,
    key: Option<&Path>,
    record: &serde_json::Value,
    time: &str,
) -> Result<serde_json::Value> {
    let key = key.map(tlog::read_signer).transpose()?;
    let writer = tlog::LogWriter::open(
        log,
        tlog::WriterOptions {
            key,
            ..tlog::WriterOptions::default()
        },
    )?;
    if let Some(n) = writer.notice() {
        eprintln!("tollgate: warning: {}: {n}", log.display());
    }
    let receipt = writer.append_at(record, time)?;
    let checkpoint = writer.close()?;
    let mut out = serde_json::json!({
        "path": log.display().to_string(),
        "index": receipt.index,
        "leafHash": receipt.leaf_hex(),
    });
    if let Some(cp) = checkpoint {
        out["origin"] = cp.checkpoint.origin.clone().into();
        out["treeSize"] = cp.checkpoint.size.into();
    }
    Ok(out)
}
