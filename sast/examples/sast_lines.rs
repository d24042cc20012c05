//! Print every finding of one file as `line rule message` (a developer
//! tool for writing fixtures and benchmark cases).

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: sast_lines <file.rs>");
        std::process::exit(2);
    };
    // tollgate:allow(path-traversal): a developer tool reading the file it was pointed at
    let source = match std::fs::read_to_string(&path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(2);
        }
    };
    for f in tollgate_sast::analyze_source(&path, &source, true) {
        println!("{}\t{}\t{}", f.line, f.rule, f.message);
    }
}
