//! Scan a directory or file and print counts per rule, plus the deepest
//! pre-scan score of any file: the harness for the memory measurement
//! (`/usr/bin/time -v target/release/examples/sast_scan big.rs`) and for
//! checking the nesting limit against a real corpus.

use std::collections::BTreeMap;
use std::path::PathBuf;

fn main() {
    let Some(target) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: sast_scan <dir-or-file>");
        std::process::exit(2);
    };
    let root = if target.is_dir() {
        target.clone()
    } else {
        target.parent().map(PathBuf::from).unwrap_or_default()
    };
    let options = tollgate_sast::Options {
        root,
        include_tests: std::env::var_os("SAST_NO_TESTS").is_none(),
        ..Default::default()
    };
    if std::env::var_os("SAST_DEPTHS").is_some() {
        let files = tollgate_sast::collect_files(std::slice::from_ref(&target), &options)
            .unwrap_or_default();
        let mut deepest: Vec<(usize, PathBuf)> = files
            .into_iter()
            .filter_map(|f| {
                let text = std::fs::read_to_string(&f).ok()?;
                let d = tollgate_sast::limits::prescan(&text)
                    .iter()
                    .map(|c| c.depth)
                    .max()?;
                Some((d, f))
            })
            .collect();
        deepest.sort();
        for (d, f) in deepest.iter().rev().take(5) {
            println!("depth {d}: {}", f.display());
        }
    }
    match tollgate_sast::scan(std::slice::from_ref(&target), &options) {
        Ok(report) => {
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            if std::env::var_os("SAST_LIST").is_some() {
                for f in &report.findings {
                    println!("{}:{} {} {}", f.path, f.line, f.rule, f.message);
                }
            }
            for f in &report.findings {
                *counts.entry(f.rule).or_default() += 1;
            }
            println!("files {} bytes {}", report.stats.files, report.stats.bytes);
            for (rule, n) in counts {
                println!("{n:>7} {rule}");
            }
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    }
}
