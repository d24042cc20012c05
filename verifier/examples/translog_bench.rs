//! Timing helper for benches/translog.sh (not a test): builds a large
//! signed decision log, times inclusion proofs in it, and times a full
//! verification.
//!
//!   translog_bench gen LOG KEY N      N records of ~500 bytes, group commit
//!   translog_bench prove LOG SAMPLES  inclusion proofs at spread indices
//!   translog_bench verify LOG PUB     recompute and check everything

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark driver: a panic is a failed run

use std::path::Path;
use std::time::Instant;
use tollgate_verifier::log::{self, proof, LogWriter, VerifyOptions, WriterOptions};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let log = Path::new(&args[2]);
    match args[1].as_str() {
        "gen" => {
            let n: u64 = args[4].parse().unwrap();
            let writer = LogWriter::open(
                log,
                WriterOptions {
                    key: Some(log::read_signer(Path::new(&args[3])).unwrap()),
                    checkpoint_interval: std::time::Duration::from_secs(3600),
                    max_batch: 8192,
                    ..WriterOptions::default()
                },
            )
            .unwrap();
            let started = Instant::now();
            let mut i = 0u64;
            while i < n {
                let chunk: Vec<serde_json::Value> = (i..(i + 65536).min(n))
                    .map(|j| {
                        serde_json::json!({
                            "uid": format!("{:08x}-7c1e-4f0a-9d55-{:012x}", j, j * 7919),
                            "namespace": "payments",
                            "kind": "Deployment",
                            "name": format!("api-{}", j % 97),
                            "operation": "CREATE",
                            "userInfo": {"username": "system:serviceaccount:ci:deployer", "groups": ["system:serviceaccounts", "system:authenticated"]},
                            "allowed": j % 11 != 0,
                            "images": [{"image": format!("registry.example/payments/api:v{}", j % 1000),
                                        "digest": format!("sha256:{:064x}", j),
                                        "decisions": [{"policy": "production", "allowed": j % 11 != 0, "violations": u64::from(j % 11 == 0)}]}]
                        })
                    })
                    .collect();
                writer.append_many(&chunk).unwrap();
                i += chunk.len() as u64;
            }
            writer.close().unwrap();
            let secs = started.elapsed().as_secs_f64();
            println!(
                "appended {n} records in {secs:.2} s ({:.0} records/s, group commit)",
                n as f64 / secs
            );
        }
        "prove" => {
            let samples: u64 = args[3].parse().unwrap();
            let size = proof::latest_checkpoint(log)
                .unwrap()
                .unwrap()
                .checkpoint
                .size;
            let mut times = Vec::new();
            for s in 0..samples {
                let index = (s * 2_654_435_761) % size;
                let started = Instant::now();
                let p = proof::prove(log, index, None).unwrap();
                times.push(started.elapsed().as_secs_f64() * 1e3);
                assert_eq!(p.index, index);
            }
            times.sort_by(|a, b| a.partial_cmp(b).unwrap());
            println!(
                "inclusion proof in a {size}-record log: median {:.3} ms, max {:.3} ms over {samples} proofs",
                times[times.len() / 2],
                times[times.len() - 1]
            );
        }
        "verify" => {
            let key = log::read_verifier(Path::new(&args[3])).unwrap();
            let started = Instant::now();
            let report = log::verify(
                log,
                &VerifyOptions {
                    key: Some(key),
                    ..VerifyOptions::default()
                },
            )
            .unwrap();
            println!("{:.3}", started.elapsed().as_secs_f64());
            eprintln!("verified {} records", report.records);
        }
        other => panic!("unknown command {other}"),
    }
}
