//! Print the whole report of a scan (test code included) as JSON: the
//! harness for checking that an engine change leaves every finding
//! identical (`sast_json DIR > before.json`, change, diff).

use std::path::PathBuf;

fn main() {
    let Some(target) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: sast_json <dir-or-file>");
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
    match tollgate_sast::scan(std::slice::from_ref(&target), &options) {
        Ok(report) => match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(2);
            }
        },
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    }
}
