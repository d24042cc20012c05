//! Writing output: to standard output, or to a file given with `-o` (and
//! every other flag that names a file tollgate writes).
//!
//! What a path names decides how it is written:
//! - `-` is standard output;
//! - a regular file, or a path that does not exist yet, is written
//!   atomically: a temporary file in the same directory, flushed to disk and
//!   renamed over the target, so a failed run never leaves a half-written
//!   file behind (an existing file keeps its permissions);
//! - a symbolic link stays a link: the file it points to is the one
//!   atomically replaced (or created);
//! - a character or block device, a FIFO or a socket is written straight
//!   through, never replaced: `-o /dev/null` as root must not turn the
//!   system's `/dev/null` into a regular file. Anything under `/dev` or
//!   `/proc` (`/dev/stdout`, `/dev/fd/N`) is written straight through too;
//! - a directory is an error.
//!
//! Standard output that the reader closed (`tollgate sast . | head -1`)
//! is [`StdoutClosed`]; `main` exits 0 quietly on it, as ripgrep does.
//! Informational messages on standard error go through [`info!`], which
//! `--quiet` silences; errors are always printed.

use anyhow::{bail, Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

static QUIET: AtomicBool = AtomicBool::new(false);
static COLOR_STDOUT: AtomicBool = AtomicBool::new(false);
static COLOR_STDERR: AtomicBool = AtomicBool::new(false);
static COLOR_ALWAYS: AtomicBool = AtomicBool::new(false);

/// `--color`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when the stream is a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    Always,
    Never,
}

/// `--format` of the commands that write a findings report (`sast`,
/// `audit`).
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
    Sarif,
}

/// Apply the global `--quiet` and `--color` flags.
pub fn configure(quiet: bool, color: ColorChoice) {
    use std::io::IsTerminal;
    QUIET.store(quiet, Ordering::Relaxed);
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let decide = |terminal: bool| match color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && !no_color,
    };
    COLOR_ALWAYS.store(color == ColorChoice::Always, Ordering::Relaxed);
    COLOR_STDOUT.store(decide(std::io::stdout().is_terminal()), Ordering::Relaxed);
    COLOR_STDERR.store(decide(std::io::stderr().is_terminal()), Ordering::Relaxed);
}

/// `--quiet` was given.
pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// Whether text written to standard output may be coloured.
pub fn color_stdout() -> bool {
    COLOR_STDOUT.load(Ordering::Relaxed)
}

/// Whether text written to a file may be coloured (`--color always` only).
pub fn color_file() -> bool {
    COLOR_ALWAYS.load(Ordering::Relaxed)
}

/// Whether text written to standard error may be coloured.
pub fn color_stderr() -> bool {
    COLOR_STDERR.load(Ordering::Relaxed)
}

/// An informational line on standard error, unless `--quiet`.
macro_rules! info {
    ($($arg:tt)*) => {
        if !$crate::output::quiet() {
            eprintln!($($arg)*);
        }
    };
}
pub(crate) use info;

/// Standard output was closed by its reader (a broken pipe). Not a failure:
/// `main` exits 0 without a message.
#[derive(Debug)]
pub struct StdoutClosed;

impl std::fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("standard output closed")
    }
}

impl std::error::Error for StdoutClosed {}

/// Write to standard output; a closed pipe becomes [`StdoutClosed`].
pub fn stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(StdoutClosed.into()),
        Err(e) => Err(anyhow::Error::new(e).context("cannot write to standard output")),
    }
}

/// A line on standard output (`println!` without the panic on a closed pipe).
pub fn line(text: &str) -> Result<()> {
    let mut bytes = Vec::with_capacity(text.len() + 1);
    bytes.extend_from_slice(text.as_bytes());
    bytes.push(b'\n');
    stdout(&bytes)
}

/// Standard output when `path` is `None` or `-`, else the file (see the module docs).
pub fn write(path: Option<&Path>, content: &str) -> Result<()> {
    write_bytes(path, content.as_bytes())
}

/// [`write`] for bytes.
pub fn write_bytes(path: Option<&Path>, bytes: &[u8]) -> Result<()> {
    match path {
        None => stdout(bytes),
        Some(path) => write_atomic(path, bytes),
    }
}

/// Whether `path` is `-` (standard output).
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Write a file given on the command line (see the module docs): `-` is
/// standard output, devices and FIFOs are written straight through, regular
/// files (and symbolic links' targets) are replaced atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    if is_stdout(path) {
        return stdout(bytes);
    }
    match plan(path)? {
        Plan::Through => write_through(path, bytes),
        Plan::Replace(target) => replace(path, &target, bytes),
    }
}

/// How a path is written.
#[derive(Debug, PartialEq, Eq)]
enum Plan {
    /// Open and write in place (devices, FIFOs, sockets, `/dev`, `/proc`).
    Through,
    /// Atomically replace this regular file (the symbolic links resolved).
    Replace(PathBuf),
}

fn special_tree(path: &Path) -> bool {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    absolute.starts_with("/dev") || absolute.starts_with("/proc")
}

fn plan(path: &Path) -> Result<Plan> {
    if special_tree(path) {
        return Ok(Plan::Through);
    }
    // What the path finally names, symbolic links followed.
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => bail!("{}: is a directory", path.display()),
        Ok(meta) if meta.is_file() => {
            let target = std::fs::canonicalize(path)
                .with_context(|| format!("{}: cannot resolve", path.display()))?;
            if special_tree(&target) {
                return Ok(Plan::Through);
            }
            Ok(Plan::Replace(target))
        }
        Ok(_) => Ok(Plan::Through),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // A new file, or a dangling symbolic link: create what it points to.
            let target = resolve_links(path)?;
            if special_tree(&target) {
                return Ok(Plan::Through);
            }
            Ok(Plan::Replace(target))
        }
        Err(e) => Err(anyhow::Error::new(e).context(format!("{}: cannot write", path.display()))),
    }
}

/// Follow a chain of symbolic links by hand (the last one may dangle).
fn resolve_links(path: &Path) -> Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let next = std::fs::read_link(&current)
                    .with_context(|| format!("{}: cannot read link", current.display()))?;
                current = match current.parent() {
                    Some(parent) if next.is_relative() => parent.join(next),
                    _ => next,
                };
            }
            _ => return Ok(current),
        }
    }
    bail!("{}: too many levels of symbolic links", path.display())
}

fn write_through(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .with_context(|| format!("{}: cannot open for writing", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.flush())
        .with_context(|| format!("{}: cannot write", path.display()))
}

fn replace(shown: &Path, target: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    let cannot = || format!("{}: cannot write", shown.display());
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // A new file gets the usual 0666 less the umask, like `fs::write`.
        // tollgate:allow(world-writable-permissions): open(2) applies the umask (0644 under the usual 022), as for any file `fs::write` creates
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir).with_context(cannot)?;
    if let Ok(existing) = std::fs::metadata(target) {
        // An existing file keeps its permissions, and (when we may set
        // them, as root) its owner and group.
        std::fs::set_permissions(tmp.path(), existing.permissions()).with_context(cannot)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let _ =
                std::os::unix::fs::chown(tmp.path(), Some(existing.uid()), Some(existing.gid()));
        }
    }
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(cannot)?;
    tmp.persist(target)
        .map_err(|e| anyhow::Error::new(e.error))
        .with_context(cannot)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.txt");
        assert_eq!(plan(&file).unwrap(), Plan::Replace(file.clone()));
        std::fs::write(&file, "x").unwrap();
        let real = std::fs::canonicalize(&file).unwrap();
        assert_eq!(plan(&file).unwrap(), Plan::Replace(real.clone()));
        #[cfg(unix)]
        {
            let link = dir.path().join("link");
            std::os::unix::fs::symlink("a.txt", &link).unwrap();
            assert_eq!(plan(&link).unwrap(), Plan::Replace(real));
            let dangling = dir.path().join("dangling");
            std::os::unix::fs::symlink("new.txt", &dangling).unwrap();
            assert_eq!(
                plan(&dangling).unwrap(),
                Plan::Replace(dir.path().join("new.txt"))
            );
        }
        assert!(plan(dir.path()).is_err());
        assert_eq!(plan(Path::new("/dev/stdout")).unwrap(), Plan::Through);
    }
}
