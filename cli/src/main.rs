//! `tollgate`: the command-line front end. Each subcommand is a thin layer
//! over a library crate; this binary parses arguments, loads
//! `tollgate.toml`, writes output files atomically and maps results to exit
//! codes.
//!
//! Exit codes: 0 clean, 1 findings at or above `--fail-on`, 2 usage,
//! configuration or input error.

#![forbid(unsafe_code)]

mod config;
mod output;
mod sast_cmd;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Secure a Rust software supply chain from commit to deploy.
#[derive(Parser, Debug)]
#[command(name = "tollgate", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run security lints over Rust source (SQL/command injection, path
    /// traversal, SSRF, weak crypto, disabled TLS checks, secrets, unsafe hygiene).
    Sast(sast_cmd::SastArgs),
}

/// Exit code for findings at or above the failure threshold.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code for usage, configuration and input errors.
pub const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sast(args) => sast_cmd::run(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
