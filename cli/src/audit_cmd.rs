//! `tollgate audit` and `tollgate db fetch`.

use crate::{config, output, EXIT_FINDINGS};
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};
use tollgate_sbom::advisory_db::{self, snapshot, AdvisoryDb};
use tollgate_sbom::audit::{self, Kind, Severity};
use tollgate_sbom::graph::{Graph, LoadOptions};
use tollgate_sbom::report::FailPolicy;
use tollgate_sbom::yanked::LocalIndex;

pub use crate::output::ReportFormat as Format;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FailOn {
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Args, Debug)]
#[command(
    after_help = "`tollgate audit bin FILE...` audits binaries built with `cargo auditable` (the dependency list\nembedded in them), as `cargo audit bin` does; a directory named bin is written ./bin.\nThe audit never fetches: `tollgate db fetch` updates the database (--no-fetch is accepted, as cargo-audit's).\nExit status: 0 nothing to report at or above the thresholds, 1 vulnerabilities, denied warnings or policy errors, 2 usage/config/input error."
)]
pub struct AuditArgs {
    /// A project directory, a Cargo.toml, or a Cargo.lock on its own (or `bin`, followed by binaries).
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// After `bin`: binaries built with `cargo auditable`.
    #[arg(value_name = "BINARY")]
    pub binaries: Vec<PathBuf>,
    /// Ignore this advisory (repeatable), as cargo-audit's flag; like an
    /// `[audit] ignore` entry, an id the database does not have is an error.
    #[arg(long, value_name = "ID")]
    pub ignore: Vec<String>,
    /// Accepted for cargo-audit's command lines: the audit never fetches the database.
    #[arg(long)]
    pub no_fetch: bool,
    /// Advisory database directory (default: the one cargo-audit uses, $CARGO_HOME/advisory-db).
    #[arg(long, value_name = "PATH")]
    pub advisory_db: Option<PathBuf>,
    /// Warn when the database is older than this (`7d`, `36h`).
    #[arg(long, default_value = "7d", value_name = "DURATION")]
    pub max_db_age: String,
    /// Fail only on vulnerabilities at or above this CVSS severity (default: any).
    /// Vulnerabilities without a CVSS score always fail.
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Informational kinds that fail too: unmaintained, unsound, notice, yanked.
    #[arg(long, value_delimiter = ',', value_name = "KINDS")]
    pub deny: Vec<String>,
    /// Only dependencies that apply to this target triple.
    #[arg(long, value_name = "TRIPLE")]
    pub target: Option<String>,
    /// Run cargo offline.
    #[arg(long)]
    pub offline: bool,
    /// Skip the analysis of which affected functions the workspace calls.
    #[arg(long)]
    pub no_reachability: bool,
    /// Cargo's sparse index cache for yanked checks (default: found under $CARGO_HOME).
    #[arg(long, value_name = "DIR")]
    pub registry_index: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Configuration file (default: the nearest tollgate.toml at or above PATH).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Clone or update the RustSec advisory database over git.
    Fetch {
        /// Where the database lives (default: $CARGO_HOME/advisory-db, shared with cargo-audit).
        #[arg(long, value_name = "PATH")]
        advisory_db: Option<PathBuf>,
        /// Repository to fetch from.
        #[arg(long, default_value = advisory_db::DEFAULT_URL)]
        url: String,
        /// Trust the CA certificates in this PEM file for HTTPS (as
        /// SSL_CERT_FILE does, which it overrides; the system's certificate
        /// directory stays trusted).
        #[arg(long, value_name = "FILE")]
        ca_file: Option<PathBuf>,
    },
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub fn run(args: AuditArgs) -> Result<u8> {
    if let Some(binaries) = bin_args(&args)? {
        return run_bin(&args, &binaries);
    }
    let plan = plan(&args)?;
    let progress = crate::progress::Progress::new("tollgate audit");
    progress.step("reading the dependency graph");
    let graph = Graph::load(&plan.input, &plan.load)?;
    progress.step("loading the advisory database");
    let db = open_db(plan.advisory_db.as_deref())?;
    progress.step("checking advisories and policy");
    let outcome = execute(&plan, &graph, &db.db)?;
    drop(progress);
    output::write(plan.output.as_deref(), &outcome.rendered)?;
    if !matches!(plan.format, Format::Text) || plan.output.is_some() {
        output::info!("{}", outcome.report.summary());
    }
    Ok(outcome.code)
}

/// An audit decided from the arguments and `tollgate.toml`, before the
/// graph or the database is read.
pub struct Plan {
    /// A project directory, a Cargo.toml or a Cargo.lock.
    pub input: PathBuf,
    pub load: LoadOptions,
    /// `--advisory-db` (`None`: the default one, else the built-in snapshot).
    pub advisory_db: Option<PathBuf>,
    pub index: Option<LocalIndex>,
    pub config: tollgate_sbom::config::AuditConfig,
    pub options: audit::Options,
    pub fail: FailPolicy,
    pub format: Format,
    pub output: Option<PathBuf>,
}

/// What an audit found, rendered as its plan asked.
pub struct Outcome {
    pub report: tollgate_sbom::report::Report,
    /// The report in the plan's format (what `-o` receives).
    pub rendered: String,
    /// 0, or [`EXIT_FINDINGS`] when the report fails the plan's thresholds.
    pub code: u8,
}

/// Arguments and configuration to a [`Plan`].
pub fn plan(args: &AuditArgs) -> Result<Plan> {
    let loaded = config::load(args.config.as_deref(), &args.path)?;
    let max_db_age = crate::dates::parse_duration(&args.max_db_age)
        .with_context(|| format!("--max-db-age `{}`", args.max_db_age))?;
    let mut deny = Vec::new();
    for kind in &args.deny {
        match Kind::parse(kind) {
            Some(k) if k != Kind::Vulnerability => deny.push(k),
            _ => bail!(
                "--deny: unknown kind `{kind}` (expected unmaintained, unsound, notice or yanked)"
            ),
        }
    }
    // `[audit] deny`, checked (with its position) when the file was loaded.
    deny.extend(loaded.deny.iter().copied());
    let mut config = loaded.config.audit;
    for id in &args.ignore {
        config.ignore.push(tollgate_sbom::config::IgnoreEntry {
            id: id.clone(),
            reason: "--ignore on the command line".into(),
            expires: None,
        });
    }
    let index = match &args.registry_index {
        Some(dir) => {
            if !dir.is_dir() {
                bail!("{}: --registry-index is not a directory", dir.display());
            }
            Some(LocalIndex::at(dir))
        }
        None => LocalIndex::find_default(),
    };
    Ok(Plan {
        input: args.path.clone(),
        load: LoadOptions {
            target: args.target.clone(),
            offline: args.offline,
            ..Default::default()
        },
        advisory_db: args.advisory_db.clone(),
        index,
        config,
        options: audit::Options {
            now: now(),
            max_db_age,
            reachability: !args.no_reachability,
            target: args.target.clone(),
        },
        fail: FailPolicy {
            fail_on: args.fail_on.map(|f| match f {
                FailOn::Low => Severity::Low,
                FailOn::Medium => Severity::Medium,
                FailOn::High => Severity::High,
                FailOn::Critical => Severity::Critical,
            }),
            deny,
        },
        format: args.format,
        output: args.output.clone(),
    })
}

/// `tollgate audit bin FILE...`: the binaries, or `None` for a project audit.
fn bin_args(args: &AuditArgs) -> Result<Option<Vec<PathBuf>>> {
    let is_bin = args.path == Path::new("bin");
    match (is_bin, args.binaries.is_empty()) {
        (true, false) => Ok(Some(args.binaries.clone())),
        (false, true) => Ok(None),
        // A project directory named `bin`.
        (true, true) if args.path.is_dir() => Ok(None),
        (true, true) => bail!("audit bin: name the binaries to audit (tollgate audit bin FILE...)"),
        (false, false) => bail!(
            "{}: one project per audit; binaries are audited with `tollgate audit bin FILE...`",
            args.path.display()
        ),
    }
}

/// Audit each binary's `cargo auditable` dependency list, as a lockfile of
/// those packages (no reachability: there is no source to read).
fn run_bin(args: &AuditArgs, binaries: &[PathBuf]) -> Result<u8> {
    if binaries.len() > 1 && !matches!(args.format, Format::Text) {
        bail!("audit bin: --format json and sarif describe one binary; run once per binary");
    }
    let mut plan = plan(args)?;
    plan.options.reachability = false;
    // Every binary is read before anything is audited or written.
    let progress = crate::progress::Progress::new("tollgate audit bin");
    let mut graphs = Vec::new();
    for (done, binary) in binaries.iter().enumerate() {
        progress.count("reading binaries", done as u64, binaries.len() as u64);
        let lock = tollgate_sbom::auditable::lockfile_from_binary(binary)?;
        // Parsed in memory, named by the binary in every report and error.
        let graph = Graph::from_lockfile_text(binary, lock)
            .with_context(|| format!("{}: the embedded dependency list", binary.display()))?;
        graphs.push(graph);
    }
    progress.count("binaries read", graphs.len() as u64, binaries.len() as u64);
    progress.step("loading the advisory database");
    let db = open_db(plan.advisory_db.as_deref())?;
    progress.step("checking advisories");
    let mut code = 0;
    let mut rendered = String::new();
    let mut summaries = Vec::new();
    for (binary, graph) in binaries.iter().zip(&graphs) {
        let outcome = execute(&plan, graph, &db.db)?;
        if binaries.len() > 1 {
            rendered.push_str(&format!("== {}\n", binary.display()));
        }
        rendered.push_str(&outcome.rendered);
        summaries.push(format!(
            "{}: {}",
            binary.display(),
            outcome.report.summary()
        ));
        code = code.max(outcome.code);
    }
    drop(progress);
    output::write(plan.output.as_deref(), &rendered)?;
    if !matches!(plan.format, Format::Text) || plan.output.is_some() {
        for s in summaries {
            output::info!("{s}");
        }
    }
    Ok(code)
}

/// An opened advisory database; the built-in snapshot's unpacked copy
/// lives (and is removed on drop) as long as this does.
pub struct OpenDb {
    pub db: AdvisoryDb,
    _unpacked: Option<snapshot::Unpacked>,
}

/// The database at `path`, else the default one, else (with a warning)
/// the snapshot built into the binary.
pub fn open_db(path: Option<&Path>) -> Result<OpenDb> {
    let default = advisory_db::default_path();
    Ok(match path {
        Some(path) => OpenDb {
            db: AdvisoryDb::open(path)?,
            _unpacked: None,
        },
        None if default.exists() => OpenDb {
            db: AdvisoryDb::open(&default)?,
            _unpacked: None,
        },
        None => {
            let (db, unpacked) = open_snapshot(&default)?;
            OpenDb {
                db,
                _unpacked: Some(unpacked),
            }
        }
    })
}

/// Check and render: everything `tollgate audit` does after reading the
/// graph and the database, except writing.
pub fn execute(plan: &Plan, graph: &Graph, db: &AdvisoryDb) -> Result<Outcome> {
    let report =
        tollgate_sbom::report::run(graph, db, &plan.config, &plan.options, plan.index.as_ref())?;
    let rendered = match plan.format {
        Format::Text => report.to_text(),
        Format::Json => report.to_json(),
        Format::Sarif => report.to_sarif(&lockfile_uri(&graph.lockfile_path)),
    };
    let code = if report.failed(&plan.fail) {
        EXIT_FINDINGS
    } else {
        0
    };
    Ok(Outcome {
        report,
        rendered,
        code,
    })
}

/// `Cargo.lock` relative to its repository root, as code scanning expects.
fn lockfile_uri(lockfile: &Path) -> String {
    let absolute = std::path::absolute(lockfile).unwrap_or_else(|_| lockfile.to_path_buf());
    let root = config::repo_root(&absolute)
        .unwrap_or_else(|| absolute.parent().map(Path::to_path_buf).unwrap_or_default());
    absolute
        .strip_prefix(&root)
        .unwrap_or(&absolute)
        .to_string_lossy()
        .replace('\\', "/")
}

/// No database given and none at `missing`: open the snapshot built into
/// the binary, with a warning that states its date.
pub fn open_snapshot(missing: &Path) -> Result<(AdvisoryDb, snapshot::Unpacked)> {
    eprintln!("{}", snapshot_warning(missing));
    let unpacked = snapshot::Unpacked::new()?;
    let mut db = AdvisoryDb::open(&unpacked.path)?;
    // Named in reports instead of the temporary directory.
    db.path = PathBuf::from(format!(
        "built-in snapshot (RustSec advisory-db {}, {})",
        &snapshot::commit()[..12.min(snapshot::commit().len())],
        snapshot::date()
    ));
    Ok((db, unpacked))
}

pub fn snapshot_warning(missing: &Path) -> String {
    format!(
        "warning: no advisory database at {}; using {}, which misses every advisory published since {}: run `tollgate db fetch` (or pass --advisory-db PATH)",
        missing.display(),
        snapshot::describe(),
        snapshot::date()
    )
}

/// `--ca-file`: checked, then handed to OpenSSL as SSL_CERT_FILE. This must
/// happen before the first use of libgit2 in the process, which reads it
/// once when it initialises.
pub fn use_ca_file(file: &Path) -> Result<()> {
    let text = std::fs::read(file).with_context(|| format!("{}: --ca-file", file.display()))?;
    if !text
        .windows(27)
        .any(|w| w == b"-----BEGIN CERTIFICATE-----")
    {
        bail!(
            "{}: --ca-file holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            file.display()
        );
    }
    let absolute = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
    std::env::set_var("SSL_CERT_FILE", absolute);
    Ok(())
}

pub fn run_db(command: DbCommand) -> Result<u8> {
    match command {
        DbCommand::Fetch {
            advisory_db: path,
            url,
            ca_file,
        } => {
            // --ca-file, else SSL_CERT_FILE, else `[advisories] ca-file`.
            let ca_file = match ca_file {
                Some(file) => Some(file),
                None if std::env::var_os("SSL_CERT_FILE").is_some_and(|v| !v.is_empty()) => None,
                None => {
                    let loaded = config::load(None, Path::new("."))?;
                    loaded
                        .config
                        .advisories
                        .ca_file
                        .map(|file| match &loaded.dir {
                            Some(dir) if file.is_relative() => dir.join(file),
                            _ => file,
                        })
                }
            };
            if let Some(file) = &ca_file {
                use_ca_file(file)?;
            }
            let path = path.unwrap_or_else(advisory_db::default_path);
            let progress = crate::progress::Progress::new("tollgate db fetch");
            progress.step(&format!("connecting to {url}"));
            let fetched = advisory_db::fetch(&url, &path, |received, total| {
                if total > 0 {
                    progress.count("objects", received as u64, total as u64);
                }
            })?;
            drop(progress);
            if let Some(reason) = &fetched.repaired {
                eprintln!(
                    "warning: the advisory database at {} was damaged ({reason}); replaced by a fresh clone",
                    path.display()
                );
            }
            let db = AdvisoryDb::open(&path)?;
            output::info!(
                "tollgate db fetch: {} {} at {} ({} advisories, commit {})",
                if fetched.cloned { "cloned" } else { "updated" },
                url,
                path.display(),
                db.advisory_count,
                &fetched.commit[..12.min(fetched.commit.len())]
            );
            Ok(0)
        }
    }
}
