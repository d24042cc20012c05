//! `tollgate sbom`, `tollgate sbom diff`, `tollgate sbom from-binary`.

use crate::{audit_cmd, config, output};
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;
use tollgate_sbom::advisory_db::AdvisoryDb;
use tollgate_sbom::cyclonedx::{self, Encoding, Inventory, SpecVersion};
use tollgate_sbom::graph::{Graph, LoadOptions};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    /// CycloneDX JSON.
    Json,
    /// CycloneDX XML.
    Xml,
    /// SPDX 2.3 JSON (syft's `spdx-json`).
    SpdxJson,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Spec {
    #[value(name = "1.5")]
    V15,
    #[value(name = "1.6")]
    V16,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum DiffFormat {
    Text,
    Json,
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SbomArgs {
    #[command(subcommand)]
    pub command: Option<SbomCommand>,
    #[command(flatten)]
    pub generate: GenerateArgs,
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// A project directory, a Cargo.toml, or a Cargo.lock on its own.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    #[arg(long, value_enum, default_value = "json")]
    pub format: Format,
    /// CycloneDX version (1.6 is JSON only).
    #[arg(long, value_enum, default_value = "1.5")]
    pub spec_version: Spec,
    /// Only this workspace member and its dependencies.
    #[arg(long, short = 'p', value_name = "NAME")]
    pub package: Option<String>,
    /// Only dependencies that apply to this target triple.
    #[arg(long, value_name = "TRIPLE")]
    pub target: Option<String>,
    /// Leave out dev-only dependencies (by default they are listed, like build-only ones, with scope `excluded`).
    #[arg(long)]
    pub no_dev_deps: bool,
    /// The built binary this SBOM describes: its SHA-256 and SHA-512 go on the root component.
    #[arg(long, value_name = "FILE")]
    pub artifact: Option<PathBuf>,
    /// Add a `vulnerabilities` section (with VEX analysis from reachability) from this advisory database.
    #[arg(long, value_name = "PATH")]
    pub vulnerabilities: Option<PathBuf>,
    /// Run cargo offline.
    #[arg(long)]
    pub offline: bool,
    /// Features to activate (comma- or space-separated, repeatable), as cargo's flag.
    #[arg(long, short = 'F', value_name = "FEATURES")]
    pub features: Vec<String>,
    /// Activate all features.
    #[arg(long)]
    pub all_features: bool,
    /// Do not activate the `default` feature.
    #[arg(long)]
    pub no_default_features: bool,
    /// Write to this file (default: standard output).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum SbomCommand {
    /// Compare two CycloneDX JSON SBOMs: added, removed and changed components, licence changes, new sources.
    Diff {
        old: PathBuf,
        new: PathBuf,
        #[arg(long, value_enum, default_value = "text")]
        format: DiffFormat,
    },
    /// Turn the dependency list `cargo auditable` embedded in a binary into a CycloneDX SBOM.
    FromBinary {
        binary: PathBuf,
        #[arg(long, value_enum, default_value = "1.5")]
        spec_version: Spec,
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

fn spec(s: Spec) -> SpecVersion {
    match s {
        Spec::V15 => SpecVersion::V1_5,
        Spec::V16 => SpecVersion::V1_6,
    }
}

/// `SOURCE_DATE_EPOCH`, validated.
pub fn source_date_epoch() -> Result<Option<i64>> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) if !v.is_empty() => {
            Ok(Some(v.trim().parse().with_context(|| {
                format!("SOURCE_DATE_EPOCH `{v}` is not a number of seconds")
            })?))
        }
        _ => Ok(None),
    }
}

pub fn run(args: SbomArgs) -> Result<u8> {
    match args.command {
        Some(SbomCommand::Diff { old, new, format }) => {
            let diff = tollgate_sbom::diff::diff_files(&old, &new)?;
            let text = match format {
                DiffFormat::Text => diff.to_text(),
                DiffFormat::Json => diff.to_json(),
            };
            output::write(None, &text)?;
            Ok(0)
        }
        Some(SbomCommand::FromBinary {
            binary,
            spec_version,
            output: out,
        }) => {
            let inventory = tollgate_sbom::auditable::inventory_from_binary(&binary)?;
            let options = cyclonedx::Options {
                spec: spec(spec_version),
                artifact: Some(binary.clone()),
                timestamp: source_date_epoch()?,
                ..Default::default()
            };
            let bytes = cyclonedx::generate(&inventory, &options, None)?;
            write_bytes(out.as_deref(), &bytes)?;
            Ok(0)
        }
        None => generate(args.generate),
    }
}

fn write_bytes(path: Option<&std::path::Path>, bytes: &[u8]) -> Result<()> {
    output::write_bytes(path, bytes)
}

fn generate(args: GenerateArgs) -> Result<u8> {
    let plan = plan(&args)?;
    let progress = crate::progress::Progress::new("tollgate sbom");
    progress.step("reading the dependency graph (cargo metadata)");
    let graph = Graph::load(&plan.input, &plan.load)?;
    drop(progress);
    let db = match &plan.vulnerabilities {
        Some(path) => Some(AdvisoryDb::open(path)?),
        None => None,
    };
    let outcome = execute(&plan, &graph, db.as_ref())?;
    write_bytes(plan.output.as_deref(), &outcome.bytes)?;
    Ok(0)
}

/// An SBOM decided from the arguments, before the graph is read.
pub struct Plan {
    /// A project directory, a Cargo.toml or a Cargo.lock.
    pub input: PathBuf,
    pub load: LoadOptions,
    pub options: cyclonedx::Options,
    /// `--vulnerabilities`: the database to add a `vulnerabilities` section from.
    pub vulnerabilities: Option<PathBuf>,
    /// `[audit]` of the project's `tollgate.toml` (read with `--vulnerabilities` only).
    pub audit: tollgate_sbom::config::AuditConfig,
    pub output: Option<PathBuf>,
    /// Write SPDX 2.3 JSON instead of CycloneDX.
    pub spdx: bool,
}

/// Arguments to a [`Plan`].
pub fn plan(args: &GenerateArgs) -> Result<Plan> {
    let encoding = match args.format {
        Format::Json | Format::SpdxJson => Encoding::Json,
        Format::Xml => Encoding::Xml,
    };
    let spdx = matches!(args.format, Format::SpdxJson);
    if spdx && args.vulnerabilities.is_some() {
        bail!("--vulnerabilities adds a CycloneDX section; SPDX 2.3 has none (write CycloneDX, or audit separately)");
    }
    if matches!((args.spec_version, args.format), (Spec::V16, Format::Xml)) {
        bail!("CycloneDX 1.6 is written as JSON only; use --spec-version 1.5 for XML");
    }
    let audit = match &args.vulnerabilities {
        Some(_) => config::load(None, &args.path)?.config.audit,
        None => Default::default(),
    };
    Ok(Plan {
        input: args.path.clone(),
        load: LoadOptions {
            target: args.target.clone(),
            offline: args.offline,
            features: args
                .features
                .iter()
                .flat_map(|f| f.split([',', ' ']))
                .filter(|f| !f.is_empty())
                .map(str::to_string)
                .collect(),
            all_features: args.all_features,
            no_default_features: args.no_default_features,
        },
        options: cyclonedx::Options {
            spec: spec(args.spec_version),
            encoding,
            package: args.package.clone(),
            dev_deps: !args.no_dev_deps,
            artifact: args.artifact.clone(),
            timestamp: source_date_epoch()?,
        },
        vulnerabilities: args.vulnerabilities.clone(),
        audit,
        output: args.output.clone(),
        spdx,
    })
}

/// A generated SBOM.
pub struct Outcome {
    /// The document (what `-o` receives).
    pub bytes: Vec<u8>,
    /// How many components it lists besides the root.
    pub components: usize,
}

/// The SBOM from a graph (and, with `--vulnerabilities`, the opened
/// database): everything `tollgate sbom` does except writing.
pub fn execute(plan: &Plan, graph: &Graph, db: Option<&AdvisoryDb>) -> Result<Outcome> {
    let inventory = Inventory::from_graph(graph, &plan.options)?;
    let findings = match db {
        Some(db) if plan.vulnerabilities.is_some() => {
            let audit_options = tollgate_sbom::audit::Options {
                now: audit_cmd::now(),
                max_db_age: std::time::Duration::MAX,
                reachability: true,
                target: plan.load.target.clone(),
            };
            let outcome =
                tollgate_sbom::audit::check(graph, db, &plan.audit, &audit_options, None)?;
            Some(outcome.findings)
        }
        _ => None,
    };
    let bytes = if plan.spdx {
        tollgate_sbom::spdx_json::generate(&inventory, &plan.options, audit_cmd::now())?
    } else {
        cyclonedx::generate(&inventory, &plan.options, findings.as_deref())?
    };
    Ok(Outcome {
        bytes,
        // Every item but the root is a component.
        components: inventory.items.len().saturating_sub(1),
    })
}
