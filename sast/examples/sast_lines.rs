//! Print every finding of a file or directory as `path:line rule message`,
//! with flow steps indented (a developer tool for writing fixtures and
//! benchmark cases).

use std::path::PathBuf;

fn main() {
    let Some(target) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: sast_lines <file-or-dir>");
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
    for f in &report.findings {
        println!("{}:{}\t{}\t{}", f.path, f.line, f.rule, f.message);
        for step in &f.flow {
            let file = step.path.as_deref().unwrap_or(&f.path);
            println!("    {file}:{}\t{}", step.line, step.message);
        }
    }
}
