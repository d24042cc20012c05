//! What users bring from the tools they know: `tollgate version [--json]`,
//! `tollgate completions SHELL`, `tollgate man`, and how errors are printed.

use crate::output;
use anyhow::{Context, Result};
use clap::{Args, CommandFactory};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct VersionArgs {
    /// Print a JSON record (name, version, target, exit codes).
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Args, Debug)]
pub struct ManArgs {
    /// Write `tollgate.1` and one `tollgate-COMMAND.1` per command into this
    /// directory (default: print `tollgate.1` on standard output).
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

pub fn version(args: VersionArgs) -> Result<u8> {
    if args.json {
        let record = serde_json::json!({
            "name": env!("CARGO_PKG_NAME"),
            "version": env!("CARGO_PKG_VERSION"),
            "target": {
                "arch": std::env::consts::ARCH,
                "os": std::env::consts::OS,
            },
            "exitCodes": {
                "0": "success: clean, admitted, verified",
                "1": "findings at or above the threshold, a policy denial, a failed verification",
                "2": "usage, configuration or input error",
            },
        });
        output::line(&serde_json::to_string_pretty(&record)?)?;
    } else {
        output::line(&format!(
            "{} {}",
            env!("CARGO_PKG_NAME"),
            env!("CARGO_PKG_VERSION")
        ))?;
    }
    Ok(0)
}

pub fn completions<C: CommandFactory>(args: CompletionsArgs) -> Result<u8> {
    let mut command = C::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "tollgate", &mut script);
    output::stdout(&script)?;
    Ok(0)
}

pub fn man<C: CommandFactory>(args: ManArgs) -> Result<u8> {
    let command = C::command();
    match args.out_dir {
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(command)
                .render(&mut page)
                .context("cannot render the man page")?;
            output::stdout(&page)?;
        }
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("{}: cannot create", dir.display()))?;
            clap_mangen::generate_to(command, &dir)
                .with_context(|| format!("{}: cannot write the man pages", dir.display()))?;
            output::info!("tollgate man: wrote the man pages to {}", dir.display());
        }
    }
    Ok(0)
}

/// An error and its causes on one line, each said once (a cause whose text
/// its context already quotes is not repeated), and with serde's Rust type
/// names (`expected struct BundleHelper`) put in words.
pub fn render_error(err: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in err.chain() {
        let text = plain(&cause.to_string());
        if text.is_empty() || out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// Replace `expected struct Name` / `expected enum Name` with what a user
/// can act on.
fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let found = ["expected struct ", "expected enum "]
            .iter()
            .filter_map(|p| rest.find(p).map(|i| (i, *p)))
            .min();
        let Some((at, pattern)) = found else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..at]);
        let after = &rest[at + pattern.len()..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        if name_len == 0 {
            out.push_str(pattern);
        } else if pattern == "expected struct " {
            out.push_str("expected a JSON object");
        } else {
            out.push_str("expected one of the known values");
        }
        rest = &after[name_len..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_said_once() {
        let io = std::io::Error::from_raw_os_error(21);
        let shown = io.to_string();
        let err = anyhow::Error::new(io).context(format!("x: {shown}"));
        assert_eq!(render_error(&err), format!("x: {shown}"));
        let err = anyhow::anyhow!("inner").context("outer");
        assert_eq!(render_error(&err), "outer: inner");
    }

    #[test]
    fn type_names_in_words() {
        assert_eq!(
            plain("invalid type: string \"x\", expected struct BundleHelper at line 1 column 3"),
            "invalid type: string \"x\", expected a JSON object at line 1 column 3"
        );
        assert_eq!(
            plain("expected enum Kind"),
            "expected one of the known values"
        );
        assert_eq!(plain("nothing here"), "nothing here");
    }
}
