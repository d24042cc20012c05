//! Writing reports: to stdout, or to a file atomically (a temporary file in
//! the same directory, renamed into place), so a failed run never leaves a
//! half-written report behind.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;

pub fn write(path: Option<&Path>, content: &str) -> Result<()> {
    match path {
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(content.as_bytes())
                .context("cannot write to standard output")?;
            stdout.flush().context("cannot write to standard output")
        }
        Some(path) => write_atomic(path, content.as_bytes()),
    }
}

pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .with_context(|| format!("{}: cannot write", path.display()));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
