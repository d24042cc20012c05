//! Throughput of the full rule set against a parse-only pass over the same
//! files (the floor: every scan must at least read and parse each file),
//! and recall/precision on the annotated corpus of real vulnerabilities in
//! `benches/vulns/` (see its README) and on the attacker cases in
//! `benches/cases/`.
//!
//! Corpus: `TOLLGATE_BENCH_CORPUS`, or every crate source in the local cargo
//! registry (`$CARGO_HOME/registry/src`), which after building the workspace
//! holds a few hundred real crates. Run with `cargo bench -p tollgate-sast`.
//! Each pass runs `TOLLGATE_BENCH_RUNS` times (default 3), the two passes
//! alternating; the fastest run of each is reported.

#[path = "support/annotated.rs"]
mod annotated;

/// The allocator the `tollgate` binary uses, for both passes alike.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use rayon::prelude::*;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn corpus_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("TOLLGATE_BENCH_CORPUS") {
        return PathBuf::from(dir);
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"));
    cargo_home.join("registry/src")
}

/// CPU time (user + system) of this process so far, from
/// `/proc/self/stat` (clock ticks of 1/100 s); `None` off Linux.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// One timed run: wall time and CPU time.
fn timed<T>(name: &str, run: usize, f: &mut impl FnMut() -> T) -> (Duration, Option<Duration>, T) {
    let (start, cpu_start) = (Instant::now(), cpu_time());
    let out = f();
    let elapsed = start.elapsed();
    let cpu = cpu_start.zip(cpu_time()).map(|(a, b)| b.saturating_sub(a));
    eprintln!(
        "  {name} run {run}: {:.3} s wall, {} s CPU",
        elapsed.as_secs_f64(),
        cpu.map_or("?".into(), |c| format!("{:.2}", c.as_secs_f64()))
    );
    (elapsed, cpu, out)
}

/// The fastest of `runs` runs of each of two passes by wall time, with
/// its CPU time. The passes alternate (a, b, a, b, ...), so that a
/// machine slowing down or speeding up during the bench weighs on both
/// alike (run back to back, three of one then three of the other, the
/// ratio moved by 10-20% between runs of the same binary).
type Timed<T> = (Duration, Option<Duration>, T);
fn best_of_alternating<A, B>(
    (name_a, mut a): (&str, impl FnMut() -> A),
    (name_b, mut b): (&str, impl FnMut() -> B),
    runs: usize,
) -> (Timed<A>, Timed<B>) {
    let mut best_a = timed(name_a, 1, &mut a);
    let mut best_b = timed(name_b, 1, &mut b);
    for run in 2..=runs {
        let next = timed(name_a, run, &mut a);
        if next.0 < best_a.0 {
            best_a = next;
        }
        let next = timed(name_b, run, &mut b);
        if next.0 < best_b.0 {
            best_b = next;
        }
    }
    (best_a, best_b)
}

/// Recall and precision over the annotated directories: `benches/vulns/`
/// (real vulnerabilities, see its README) and `benches/cases/` (the
/// attacker's inputs and near misses of issue 17, one file per area).
fn annotated() {
    let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches");
    for (dir, name) in [
        ("vulns", "annotated corpus (real vulnerabilities)"),
        ("cases", "annotated cases (attacker inputs and near misses)"),
    ] {
        match annotated::score(&base.join(dir)) {
            Ok(score) => annotated::print(name, &score),
            Err(e) => eprintln!("{e}"),
        }
    }
}

/// A process's memory counter from `/proc/self/status`, in kB.
fn status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Peak memory of analysing the largest corpus file against its size
/// (Linux: the peak is reset through `/proc/self/clear_refs`).
fn peak_memory(files: &[PathBuf]) {
    let Some(largest) = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok().map(|m| (m.len(), f)))
        .filter(|(len, _)| *len <= tollgate_sast::MAX_FILE_BYTES)
        .max()
    else {
        return;
    };
    let Ok(source) = std::fs::read_to_string(largest.1) else {
        return;
    };
    if std::fs::write("/proc/self/clear_refs", "5").is_err() {
        println!("peak memory: /proc/self/clear_refs not writable; not measured");
        return;
    }
    let base = status_kb("VmRSS:").unwrap_or(0);
    let findings = tollgate_sast::analyze_source("largest.rs", &source, true).len();
    let peak = status_kb("VmHWM:").unwrap_or(0);
    let used = peak.saturating_sub(base) * 1024;
    println!(
        "peak memory: largest file {} ({:.1} MB, {findings} findings): +{:.1} MB over the baseline, {:.1}x its size",
        largest.1.display(),
        largest.0 as f64 / 1e6,
        used as f64 / 1e6,
        used as f64 / largest.0.max(1) as f64
    );
}

fn main() {
    annotated();
    if std::env::var_os("TOLLGATE_BENCH_ANNOTATED_ONLY").is_some() {
        return;
    }
    let corpus = corpus_dir();
    let runs: usize = std::env::var("TOLLGATE_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    // Every rule: the extended suite (the default one computes the same
    // analysis and keeps fewer findings).
    let options = tollgate_sast::Options {
        root: corpus.clone(),
        include_tests: true,
        config: tollgate_sast::Config {
            suite: tollgate_sast::rules::Suite::Extended,
            ..Default::default()
        },
        ..Default::default()
    };
    let files = match tollgate_sast::collect_files(std::slice::from_ref(&corpus), &options) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("corpus {}: {e}", corpus.display());
            std::process::exit(2);
        }
    };
    let bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let mb = bytes as f64 / 1e6;

    peak_memory(&files);
    eprintln!(
        "timing {} files: a parse-only pass and the full rule set, alternating, {runs} run(s) each",
        files.len()
    );
    let parse_only = || {
        files
            .par_iter()
            .map(|path| {
                let Ok(text) = std::fs::read_to_string(path) else {
                    return (0usize, 0usize);
                };
                let lines = text.lines().count();
                let ok = syn::parse_file(&text).is_ok();
                // As the scan does after each file: without this, the
                // span table of every file parsed on the thread is kept
                // (a copy of all the text, 0.3 GB a pass), and each pass
                // leaves the process larger and slower than the last.
                proc_macro2::extra::invalidate_current_thread_spans();
                (lines, usize::from(ok))
            })
            .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
    };
    let full = || tollgate_sast::scan(std::slice::from_ref(&corpus), &options);
    let ((parse_time, parse_cpu, parsed), (scan_time, scan_cpu, report)) =
        best_of_alternating(("parse only", parse_only), ("full rule set", full), runs);
    let report = match report {
        Ok(report) => report,
        Err(e) => {
            eprintln!("scan failed: {e}");
            std::process::exit(2);
        }
    };

    let (lines, parsed_ok) = parsed;
    let threads = rayon::current_num_threads();
    println!(
        "corpus: {} ({} files, {lines} lines, {mb:.1} MB, {threads} threads, best of {runs})",
        corpus.display(),
        files.len()
    );
    let cpu = |c: Option<Duration>| c.map_or("?".into(), |c| format!("{:.2}", c.as_secs_f64()));
    println!(
        "{:<22} {:>9} {:>9} {:>9}",
        "pass", "wall s", "CPU s", "MB/s"
    );
    println!(
        "{:<22} {:>9.3} {:>9} {:>9.1}",
        "parse only (syn)",
        parse_time.as_secs_f64(),
        cpu(parse_cpu),
        mb / parse_time.as_secs_f64()
    );
    println!(
        "{:<22} {:>9.3} {:>9} {:>9.1}",
        "full rule set",
        scan_time.as_secs_f64(),
        cpu(scan_cpu),
        mb / scan_time.as_secs_f64()
    );
    let cpu_ratio = parse_cpu
        .zip(scan_cpu)
        .filter(|(p, _)| !p.is_zero())
        .map_or("?".into(), |(p, s)| {
            format!("{:.2}x", s.as_secs_f64() / p.as_secs_f64())
        });
    println!(
        "ratio full/parse: {:.2}x wall, {cpu_ratio} CPU (budget 2x)",
        scan_time.as_secs_f64() / parse_time.as_secs_f64()
    );
    println!(
        "parsed ok: {parsed_ok}/{}; findings: {}; parse-error findings: {}",
        files.len(),
        report.findings.len(),
        report
            .findings
            .iter()
            .filter(|f| f.rule == "parse-error")
            .count()
    );
}
