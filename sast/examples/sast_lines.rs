//! Print every finding of a file or directory as `path:line rule message`,
//! with flow steps indented (a developer tool for writing fixtures and
//! benchmark cases); with `--json`, the whole report (test code included)
//! as JSON, the harness for checking that an engine change leaves every
//! finding identical (`sast_lines --json DIR > before.json`, change, diff).

use std::path::PathBuf;

fn main() {
    let mut args: Vec<_> = std::env::args_os().skip(1).collect();
    let json = args.first().is_some_and(|a| a == "--json");
    if json {
        args.remove(0);
    }
    let Some(target) = args.first().map(PathBuf::from) else {
        eprintln!("usage: sast_lines [--json] <file-or-dir>");
        std::process::exit(2);
    };
    let root = if target.is_dir() {
        target.clone()
    } else {
        target.parent().map(PathBuf::from).unwrap_or_default()
    };
    let options = tollgate_sast::Options {
        root,
        include_tests: true,
        ..Default::default()
    };
    let report = match tollgate_sast::scan(std::slice::from_ref(&target), &options) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    if json {
        match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(2);
            }
        }
        return;
    }
    for f in &report.findings {
        println!("{}:{}\t{}\t{}", f.path, f.line, f.rule, f.message);
        for step in &f.flow {
            let file = step.path.as_deref().unwrap_or(&f.path);
            println!("    {file}:{}\t{}", step.line, step.message);
        }
    }
}
