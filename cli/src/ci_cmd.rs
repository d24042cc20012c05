//! `tollgate ci`: the whole pipeline on one cargo project — SAST, dependency
//! audit, SBOM, then for each artifact the four attestations (provenance,
//! SBOM, vulnerabilities, SAST), then the deploy gate over the result,
//! exactly as it will run at deploy time.
//!
//! Every stage runs in this process through the same `plan` / `execute`
//! functions its own command uses, with its arguments parsed from the
//! command line a user would type, so `tollgate ci` cannot drift from the
//! individual commands (`tests/ci_cli.rs` checks the files are
//! byte-identical). The cargo graph is built and the advisory database
//! opened once, into one context that the audit and SBOM stages share;
//! SAST runs on its own thread alongside them. The signing key is decrypted
//! once, and the policy loaded once.
//!
//! Everything is written to a staging directory beside `--out`
//! (`.OUT.partial-PID`, mode 0700: with `--demo` it holds a private key) and
//! moved into place only at the end: an interrupted run leaves no
//! half-written output directory. On SIGINT, SIGTERM or SIGHUP the staging
//! directory is removed before exiting 128+signal; one left by a run that
//! could not clean up (SIGKILL, power loss) is removed by the next run for
//! the same `--out` once its process is gone.
//!
//! Exit status: 0 every subject admitted, 1 a subject denied, 2 error.

use crate::keys_cmd::RegistryArgs;
use crate::EXIT_FINDINGS;
use crate::{attest_cmd, audit_cmd, keys_cmd, output, sast_cmd, sbom_cmd, verify_cmd};
use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, ValueEnum};
use serde::Serialize;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::thread::JoinHandle;
use tollgate_attest::keys::{KeyKind, KeyPair};
use tollgate_attest::statement::Subject;
use tollgate_sbom::graph::Graph;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Demo {
    /// The demo service as shipped: vulnerable dependencies and code.
    Vulnerable,
    /// The same service with every problem fixed.
    Fixed,
}

#[derive(Args, Debug)]
#[command(
    after_help = "Writes to --out: sast.sarif, audit.json, sbom.cdx.json, attestations/*.sigstore.json,\ndecisions.jsonl and summary.json.\n\nExit status: 0 every subject admitted, 1 a subject denied, 2 usage, input or stage error."
)]
pub struct CiArgs {
    /// The cargo project (a directory with Cargo.toml and Cargo.lock).
    #[arg(default_value = ".", conflicts_with = "demo")]
    pub path: PathBuf,
    /// Run on the built-in demo service instead (a key and a policy are generated).
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "vulnerable")]
    pub demo: Option<Demo>,
    /// Output directory (replaced if it holds an earlier `tollgate ci` run).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// A built artifact to sign, attest and verify (repeatable).
    #[arg(long = "artifact", value_name = "FILE")]
    pub artifacts: Vec<PathBuf>,
    /// An image to attest in its registry and verify there.
    #[arg(long, value_name = "IMAGE")]
    pub image: Option<String>,
    /// Signing key (cosign's encrypted PEM; password from COSIGN_PASSWORD).
    #[arg(long, value_name = "KEY", required_unless_present_any = ["demo", "keyless"])]
    pub key: Option<PathBuf>,
    /// Sign keylessly: one OIDC identity token (--identity-token,
    /// SIGSTORE_ID_TOKEN, or GitHub Actions' ambient token) buys a Fulcio
    /// certificate per attestation, each logged to Rekor.
    #[arg(long, conflicts_with_all = ["key", "demo"])]
    pub keyless: bool,
    #[command(flatten)]
    pub sigstore: crate::keys_cmd::SigstoreArgs,
    /// The admission policy the result must pass.
    #[arg(long, value_name = "FILE", required_unless_present = "demo")]
    pub policy: Option<PathBuf>,
    /// Advisory database (default: $CARGO_HOME/advisory-db, fetched when
    /// missing; if that fails, and always with --demo or --offline, the
    /// snapshot built into tollgate, with a warning stating its date).
    #[arg(long, value_name = "PATH")]
    pub advisory_db: Option<PathBuf>,
    /// CA certificates (PEM) to trust when fetching the advisory database
    /// over HTTPS (see `tollgate db fetch --ca-file`).
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Attest a working tree with uncommitted changes (recorded in the provenance).
    #[arg(long)]
    pub allow_dirty: bool,
    /// Run cargo offline.
    #[arg(long)]
    pub offline: bool,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Build the project with `tollgate build` (network sandbox, fails
    /// closed without one) into OUT/build and attest its artifacts; their
    /// provenance is the build's (every Cargo.lock crate, the toolchain,
    /// `hermetic`), not the git-only one.
    #[arg(long, conflicts_with = "demo")]
    pub build: bool,
    /// With --build: the cargo home the build fetches into (see `tollgate build`).
    #[arg(long, value_name = "DIR", requires = "build")]
    pub cargo_home: Option<PathBuf>,
    /// With --build: build a second time elsewhere and compare (recorded in the provenance).
    #[arg(long, requires = "build")]
    pub reproducible_check: bool,
}

/// The file name that marks a directory as an earlier run's output.
const SUMMARY: &str = "summary.json";

/// Progress on standard error, only on a terminal.
struct Progress {
    on: bool,
    total: usize,
    step: usize,
}

impl Progress {
    fn stage(&mut self, what: &str) {
        self.step += 1;
        if self.on && !output::quiet() {
            eprintln!("[{}/{}] {what}", self.step, self.total);
        }
    }
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// A stage's arguments, parsed from the command line a user would type
/// after `tollgate <command>`, so every default and check of the command
/// applies to the stage too.
fn stage_args<T: clap::FromArgMatches + clap::Args>(
    what: &'static str,
    argv: &[String],
) -> Result<T> {
    let command = T::augment_args(clap::Command::new(what).no_binary_name(true));
    let matches = command
        .try_get_matches_from(argv)
        .map_err(|e| anyhow!("{what}: {}", e.render()))?;
    T::from_arg_matches(&matches).map_err(|e| anyhow!("{what}: {}", e.render()))
}

pub fn run(args: CiArgs) -> Result<u8> {
    let out = args.out.clone();
    if out.exists() && !out.join(SUMMARY).exists() {
        let empty = std::fs::read_dir(&out)
            .with_context(|| format!("{}: cannot read", out.display()))?
            .next()
            .is_none();
        if !empty {
            bail!(
                "{}: exists and is not the output of an earlier `tollgate ci` run; choose another --out",
                out.display()
            );
        }
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)
        .with_context(|| format!("{}: cannot create", parent.display()))?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "tollgate-ci".into());
    let prefix = format!(".{name}.partial-");
    remove_stale_staging(&parent, &prefix);
    let work = parent.join(format!("{prefix}{}", std::process::id()));
    create_private_dir(&work)?;
    *staging_slot() = Some(work.clone());
    cleanup_on_signal()?;
    std::fs::create_dir_all(work.join("attestations"))
        .with_context(|| format!("{}: cannot create", work.display()))?;
    let result = pipeline(&args, &work);
    match result {
        Ok((code, summary)) => {
            {
                // Held while the output moves into place, so a signal
                // either removes the staging directory or finds it moved.
                let mut slot = staging_slot();
                if out.exists() {
                    std::fs::remove_dir_all(&out)
                        .with_context(|| format!("{}: cannot replace", out.display()))?;
                }
                std::fs::rename(&work, &out)
                    .with_context(|| format!("{}: cannot move output into place", out.display()))?;
                *slot = None;
            }
            match args.format {
                Format::Json => output::write(None, &summary_json(&summary)?)?,
                Format::Text => output::write(None, &render_text(&summary, &out))?,
            }
            Ok(code)
        }
        Err(err) => {
            let _ = std::fs::remove_dir_all(&work);
            *staging_slot() = None;
            Err(err)
        }
    }
}

/// The staging directory while it exists.
static STAGING: Mutex<Option<PathBuf>> = Mutex::new(None);

fn staging_slot() -> std::sync::MutexGuard<'static, Option<PathBuf>> {
    STAGING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The staging directory, readable by its owner only.
fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("{}: cannot create", dir.display()))
}

/// Remove a directory that something may still be writing into.
fn remove_dir_retrying(dir: &Path) -> bool {
    for _ in 0..20 {
        match std::fs::remove_dir_all(dir) {
            Ok(()) => return true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return true,
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(50)),
        }
    }
    false
}

/// On SIGINT, SIGTERM or SIGHUP: remove the staging directory, exit
/// 128+signal.
fn cleanup_on_signal() -> Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
        .context("cannot install the signal handler")?;
    std::thread::spawn(move || {
        let Some(signal) = signals.forever().next() else {
            return;
        };
        let mut slot = staging_slot();
        if let Some(dir) = slot.take() {
            if remove_dir_retrying(&dir) {
                eprintln!("tollgate ci: interrupted; removed {}", dir.display());
            } else {
                eprintln!(
                    "tollgate ci: interrupted; could not remove {} (it may hold a private key)",
                    dir.display()
                );
            }
        }
        std::process::exit(128 + signal);
    });
    Ok(())
}

/// Remove staging directories (`PREFIX<pid>`) left in `parent` by runs
/// whose process is gone.
fn remove_stale_staging(parent: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(prefix)
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        // One with our own id is from an earlier process that had it.
        let ours = u32::try_from(pid).is_ok_and(|p| p == std::process::id());
        if !entry.file_type().is_ok_and(|t| t.is_dir()) || (!ours && process_alive(pid)) {
            continue;
        }
        let path = entry.path();
        if remove_dir_retrying(&path) {
            output::info!(
                "tollgate ci: removed {} left by an interrupted run",
                path.display()
            );
        }
    }
}

/// Whether a process with this id exists.
fn process_alive(pid: i32) -> bool {
    #[cfg(unix)]
    {
        match rustix::process::Pid::from_raw(pid) {
            // EPERM: it exists, owned by someone else.
            Some(p) => !matches!(
                rustix::process::test_kill_process(p),
                Err(rustix::io::Errno::SRCH)
            ),
            None => false,
        }
    }
    #[cfg(not(unix))]
    {
        true
    }
}

/// `summary.json`: what every stage produced and the verdict.
#[derive(Debug, Serialize)]
struct Summary {
    tollgate: &'static str,
    project: String,
    policy: String,
    signing: &'static str,
    stages: Vec<Stage>,
    subjects: Vec<SubjectSummary>,
    verdict: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(tag = "stage", rename_all = "lowercase")]
enum Stage {
    Sast {
        output: &'static str,
        findings: Levels,
    },
    Audit {
        output: &'static str,
        vulnerabilities: Vec<Vulnerability>,
    },
    Sbom {
        output: &'static str,
        components: usize,
    },
    Build {
        output: &'static str,
        artifacts: Vec<String>,
        hermetic: bool,
        sandbox: String,
        /// `None` without --reproducible-check.
        reproducible: Option<bool>,
    },
}

/// SAST findings per SARIF level.
#[derive(Debug, Default, Serialize)]
struct Levels {
    error: usize,
    warning: usize,
    note: usize,
}

#[derive(Debug, Serialize)]
struct Vulnerability {
    id: String,
    package: String,
    version: String,
}

#[derive(Debug, Serialize)]
struct SubjectSummary {
    subject: String,
    digest: String,
    allowed: bool,
    failed: Vec<Failed>,
}

#[derive(Debug, Serialize)]
struct Failed {
    requirement: String,
    reason: String,
}

/// The summary as written to `summary.json` and printed by `--format
/// json`: keys sorted, as every JSON document tollgate writes.
fn summary_json(summary: &Summary) -> Result<String> {
    let value = serde_json::to_value(summary)?;
    Ok(serde_json::to_string_pretty(&value)? + "\n")
}

/// How the attestations are signed.
enum Signing {
    Key { path: PathBuf, key: KeyPair },
    Keyless { token: String },
}

/// What SAST, audit and SBOM produced (each already written into `work`).
struct Reports {
    sast: Stage,
    audit: Stage,
    sbom: Stage,
}

/// Runs every stage into `work`; returns the exit code and the summary.
fn pipeline(args: &CiArgs, work: &Path) -> Result<(u8, Summary)> {
    // Before anything touches git2, which reads SSL_CERT_FILE once.
    if let Some(ca) = &args.ca_file {
        audit_cmd::use_ca_file(ca)?;
    }
    let mut demo_key_pair = None;
    let (project, key_path, policy_path, mut artifacts, dirty) = match args.demo {
        Some(variant) => {
            let demo = crate::demo::materialise(variant, work)?;
            let (path, key) = demo_key(work)?;
            let policy = work.join("policy.yaml");
            output::write_atomic(
                &policy,
                crate::demo::policy(&key.public_key_pem()).as_bytes(),
            )?;
            demo_key_pair = Some(key);
            (demo.project, Some(path), policy, vec![demo.artifact], false)
        }
        None => {
            let Some(policy) = &args.policy else {
                bail!("give --policy (or --demo)");
            };
            let key = match (&args.key, args.keyless) {
                (Some(key), _) => Some(key.clone()),
                (None, true) => None,
                (None, false) => bail!("give --key or --keyless (or --demo)"),
            };
            if !args.path.join("Cargo.lock").is_file() {
                bail!(
                    "{}: no Cargo.lock (run `cargo generate-lockfile`, and commit it)",
                    args.path.display()
                );
            }
            (
                args.path.clone(),
                key,
                policy.clone(),
                Vec::new(),
                args.allow_dirty,
            )
        }
    };
    let policy = verify_cmd::load_policy(&policy_path)?;
    artifacts.extend(args.artifacts.iter().cloned());
    for a in &artifacts {
        if !a.is_file() {
            bail!("{}: --artifact is not a file", a.display());
        }
    }
    if artifacts.is_empty() && args.image.is_none() && !args.build {
        bail!("nothing to sign: give --artifact FILE or --image REF");
    }
    let mut sigstore = args.sigstore.clone();
    sigstore.resolve()?;
    // The demo has no cargo workspace to resolve: its lockfile is the input.
    let input = if args.demo.is_some() {
        project.join("Cargo.lock")
    } else {
        project.clone()
    };
    let subjects = artifacts.len() + usize::from(args.image.is_some());
    let mut progress = Progress {
        on: std::io::stderr().is_terminal() && matches!(args.format, Format::Text),
        total: 1 + usize::from(args.build) + 2 * subjects,
        step: 0,
    };

    progress.stage("sast, audit, sbom");
    // Every stage's arguments are checked before any work starts. Then
    // SAST, the longest stage, starts at once on its own thread, while this
    // one decrypts the key and runs graph, audit and SBOM.
    let plans = plans(args, work, &project, &input)?;
    let sast = spawn_sast(plans.sast)?;
    let signing = signing(key_path.as_deref(), demo_key_pair, &sigstore)?;
    let (audit_stage, sbom_stage) = audit_and_sbom(args, plans.audit, &plans.sbom, work)?;
    let reports = Reports {
        sast: finish_sast(sast, &work.join("sast.sarif"))?,
        audit: audit_stage,
        sbom: sbom_stage,
    };
    let sarif = work.join("sast.sarif");
    let audit = work.join("audit.json");
    let sbom = work.join("sbom.cdx.json");
    // `tollgate build` into OUT/build: its artifacts are subjects too, and
    // their provenance attestation carries the build's predicate.
    let built = if args.build {
        progress.stage("build");
        Some(build_stage(args, &project, work, dirty)?)
    } else {
        None
    };
    if let Some((b, _)) = &built {
        artifacts.extend(b.artifacts.iter().cloned());
        progress.total += 2 * b.artifacts.len();
    }

    let kinds: [(&str, &str, &Path); 4] = [
        ("provenance", "--repo", &project),
        ("sbom", "--sbom", &sbom),
        ("vulns", "--audit", &audit),
        ("sast", "--sarif", &sarif),
    ];
    let mut signing_flags: Vec<String> = Vec::new();
    match &signing {
        Signing::Key { path, .. } => signing_flags.extend(["--key".into(), s(path)]),
        Signing::Keyless { .. } => {
            signing_flags.extend(["--fulcio-url".into(), sigstore.fulcio_url.clone()])
        }
    }
    if key_path.is_none() || sigstore.rekor_url.is_some() {
        signing_flags.extend(["--rekor-url".into(), sigstore.keyless_rekor_url()]);
    }
    if let Some(root) = &sigstore.trusted_root {
        signing_flags.extend(["--trusted-root".into(), s(root)]);
    }
    // One attestation: `tollgate attest KIND FLAG INPUT [SUBJECT] SIGNING TAIL`.
    // `build_predicate`: the provenance of `tollgate build` in place of
    // the git-only one (kind `provenance` only).
    let attest = |kind: &str,
                  flag: &str,
                  input: &Path,
                  tail: &[String],
                  build_predicate: Option<&serde_json::Value>,
                  hashed: &[(PathBuf, Subject)]|
     -> Result<()> {
        let mut argv = vec![kind.to_string(), flag.into(), s(input)];
        if kind == "provenance" && dirty {
            argv.push("--allow-dirty".into());
        }
        argv.extend(signing_flags.iter().cloned());
        argv.extend(tail.iter().cloned());
        let parsed: attest_cmd::AttestArgs = stage_args("attest", &argv)?;
        let Some(command) = parsed.command else {
            bail!("attest {kind}: no predicate");
        };
        let (mut common, predicate_type, predicate) = attest_cmd::predicate(command)?;
        let predicate = match build_predicate {
            Some(p) if kind == "provenance" => p.clone(),
            _ => predicate,
        };
        let key = match &signing {
            Signing::Key { key, .. } => Some(key),
            Signing::Keyless { token } => {
                common.sigstore.identity_token = Some(token.clone());
                None
            }
        };
        attest_cmd::attest(&common, &predicate_type, predicate, key, hashed, false)?;
        Ok(())
    };
    let decision_log = work.join("decisions.jsonl");
    let verify = |target: &str, tail: &[String]| -> Result<(SubjectSummary, bool)> {
        let mut argv = vec![
            target.to_string(),
            "--policy".into(),
            s(&policy_path),
            "--decision-log".into(),
            s(&decision_log),
            "--format".into(),
            "json".into(),
        ];
        argv.extend(tail.iter().cloned());
        let parsed: verify_cmd::VerifyArgs = stage_args("verify", &argv)?;
        let (decision, _) = verify_cmd::evaluate(&parsed, &policy)?;
        Ok((subject_summary(target, &decision), decision.allowed))
    };

    let mut subjects_out = Vec::new();
    let mut denied = false;
    for artifact in &artifacts {
        let name = artifact
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "artifact".into());
        progress.stage(&format!("attest {name}"));
        // Hashed once for its four attestations.
        let hashed = [(
            artifact.clone(),
            Subject::file(artifact).with_context(|| format!("attest {name} failed"))?,
        )];
        let mut bundle_flags = Vec::new();
        for (kind, flag, input) in kinds {
            let bundle = work
                .join("attestations")
                .join(format!("{name}.{kind}.sigstore.json"));
            let build_predicate = built
                .as_ref()
                .filter(|(b, _)| b.artifacts.contains(artifact))
                .map(|(b, _)| &b.predicate);
            attest(
                kind,
                flag,
                input,
                &[s(artifact), "--bundle".into(), s(&bundle)],
                build_predicate,
                &hashed,
            )
            .with_context(|| format!("attest {kind} {name} failed"))?;
            bundle_flags.extend(["--bundle".into(), s(&bundle)]);
        }
        progress.stage(&format!("verify {name}"));
        let (mut subject, allowed) =
            verify(&s(artifact), &bundle_flags).with_context(|| format!("verify {name} failed"))?;
        subject.subject = name;
        denied |= !allowed;
        subjects_out.push(subject);
    }
    if let Some(image) = &args.image {
        progress.stage(&format!("attest {image}"));
        for (kind, flag, input) in kinds {
            let mut tail = vec!["--attach".into(), image.clone()];
            tail.extend(registry_flags(&args.registry));
            attest(kind, flag, input, &tail, None, &[])
                .with_context(|| format!("attest {kind} {image} failed"))?;
        }
        progress.stage(&format!("verify {image}"));
        let (subject, allowed) = verify(image, &registry_flags(&args.registry))
            .with_context(|| format!("verify {image} failed"))?;
        denied |= !allowed;
        subjects_out.push(subject);
    }
    let summary = Summary {
        tollgate: env!("CARGO_PKG_VERSION"),
        project: s(project.strip_prefix(work).unwrap_or(&project)),
        policy: s(policy_path.strip_prefix(work).unwrap_or(&policy_path)),
        signing: match signing {
            Signing::Key { .. } => "key",
            Signing::Keyless { .. } => "keyless",
        },
        stages: [reports.sast, reports.audit, reports.sbom]
            .into_iter()
            .chain(built.map(|(_, stage)| stage))
            .collect(),
        subjects: subjects_out,
        verdict: if denied { "deny" } else { "admit" },
    };
    output::write_atomic(&work.join(SUMMARY), summary_json(&summary)?.as_bytes())?;
    Ok((if denied { EXIT_FINDINGS } else { 0 }, summary))
}

/// `tollgate build` of the project into `work/build`, with the arguments a
/// user would type; a dirty tree only with --allow-dirty (as the git-only
/// provenance). A build whose reproducibility check found differences is
/// not an error here: its provenance says so and the policy decides.
fn build_stage(
    args: &CiArgs,
    project: &Path,
    work: &Path,
    allow_dirty: bool,
) -> Result<(crate::build_cmd::Built, Stage)> {
    if let Ok(facts) = tollgate_attest::provenance::source_facts(project) {
        if facts.dirty && !allow_dirty {
            bail!("{}: the working tree has uncommitted changes; commit them, or pass --allow-dirty (recorded in the provenance)", project.display());
        }
    }
    let mut argv = vec![s(project), "--out".into(), s(&work.join("build"))];
    if let Some(home) = &args.cargo_home {
        argv.extend(["--cargo-home".into(), s(home)]);
    }
    if args.reproducible_check {
        argv.push("--reproducible-check".into());
    }
    let parsed: crate::build_cmd::BuildArgs = stage_args("build", &argv)?;
    let built = crate::build_cmd::build(&parsed).context("build failed")?;
    let facts = &built.facts;
    let stage = Stage::Build {
        output: "build/provenance.json",
        artifacts: built
            .artifacts
            .iter()
            .filter_map(|p| p.file_name())
            .map(|n| format!("build/artifacts/{}", n.to_string_lossy()))
            .collect(),
        hermetic: facts.hermetic,
        sandbox: facts.sandbox.to_string(),
        reproducible: facts
            .reproducible
            .checked
            .then_some(facts.reproducible.identical),
    };
    Ok((built, stage))
}

/// The demo's throwaway key pair, written to `work/keys/demo.*` (an empty
/// password, as cosign allows); returns the private key's path and the key.
fn demo_key(work: &Path) -> Result<(PathBuf, KeyPair)> {
    let keys = work.join("keys");
    std::fs::create_dir_all(&keys).with_context(|| format!("{}: cannot create", keys.display()))?;
    let prefix = keys.join("demo");
    let key = KeyPair::generate(KeyKind::EcdsaP256);
    let pem = key
        .to_encrypted_pem(b"")
        .context("the demo key: cannot encrypt")?;
    let private = prefix.with_extension("key");
    keys_cmd::write_private_key(&private, &pem, false)?;
    output::write_atomic(
        &prefix.with_extension("pub"),
        key.public_key_pem().as_bytes(),
    )?;
    Ok((private, key))
}

/// Every stage's plan, made before any work starts.
struct Plans {
    sast: sast_cmd::Plan,
    audit: audit_cmd::Plan,
    sbom: sbom_cmd::Plan,
}

fn plans(args: &CiArgs, work: &Path, project: &Path, input: &Path) -> Result<Plans> {
    let sast = sast_cmd::plan(&stage_args::<sast_cmd::SastArgs>(
        "sast",
        &[
            s(project),
            "--format".into(),
            "sarif".into(),
            "-o".into(),
            s(&work.join("sast.sarif")),
            "--fail-on".into(),
            "never".into(),
        ],
    )?)?;
    let mut audit_argv = vec![
        s(input),
        "--format".into(),
        "json".into(),
        "-o".into(),
        s(&work.join("audit.json")),
    ];
    let mut sbom_argv = vec![s(input), "-o".into(), s(&work.join("sbom.cdx.json"))];
    if args.offline {
        audit_argv.push("--offline".into());
        sbom_argv.push("--offline".into());
    }
    Ok(Plans {
        sast,
        audit: audit_cmd::plan(&stage_args::<audit_cmd::AuditArgs>("audit", &audit_argv)?)?,
        sbom: sbom_cmd::plan(&stage_args::<sbom_cmd::GenerateArgs>("sbom", &sbom_argv)?)?,
    })
}

/// SAST on a thread of its own. It only reads: [`finish_sast`] writes its
/// report after joining it, so a run that fails in another stage returns
/// at once (the thread ends with the process) and nothing it does can race
/// the removal of the staging directory.
fn spawn_sast(plan: sast_cmd::Plan) -> Result<JoinHandle<Result<sast_cmd::Outcome>>> {
    std::thread::Builder::new()
        .name("tollgate-ci-sast".into())
        .spawn(move || sast_cmd::execute(&plan))
        .context("sast failed: cannot start its thread")
}

/// Wait for SAST and write its report to `sarif`.
fn finish_sast(sast: JoinHandle<Result<sast_cmd::Outcome>>, sarif: &Path) -> Result<Stage> {
    let outcome = sast
        .join()
        .map_err(|_| anyhow!("sast failed: the scan stopped unexpectedly"))?
        .context("sast failed")?;
    output::write_atomic(sarif, outcome.rendered.as_bytes())?;
    let mut levels = Levels::default();
    for f in &outcome.report.findings {
        match f.severity.sarif_level() {
            "error" => levels.error += 1,
            "warning" => levels.warning += 1,
            _ => levels.note += 1,
        }
    }
    Ok(Stage::Sast {
        output: "sast.sarif",
        findings: levels,
    })
}

/// How every attestation is signed: the key decrypted once (the demo's is
/// still in memory), or one keyless token for every attestation.
fn signing(
    key_path: Option<&Path>,
    demo_key_pair: Option<KeyPair>,
    sigstore: &keys_cmd::SigstoreArgs,
) -> Result<Signing> {
    Ok(match key_path {
        Some(path) => Signing::Key {
            path: path.to_path_buf(),
            key: match demo_key_pair {
                Some(key) => key,
                None => keys_cmd::load_key(
                    path,
                    &keys_cmd::PasswordArgs {
                        password_file: None,
                        password_stdin: false,
                    },
                )?,
            },
        },
        None => Signing::Keyless {
            token: sigstore.identity_token()?,
        },
    })
}

/// Audit and SBOM over one graph and one database, each report written
/// into `work`.
fn audit_and_sbom(
    args: &CiArgs,
    mut audit_plan: audit_cmd::Plan,
    sbom_plan: &sbom_cmd::Plan,
    work: &Path,
) -> Result<(Stage, Stage)> {
    audit_plan.advisory_db = advisory_db(args)?;
    // The one graph and the one database both stages read.
    let graph = Graph::load(&audit_plan.input, &audit_plan.load).context("audit failed")?;
    let db = audit_cmd::open_db(audit_plan.advisory_db.as_deref()).context("audit failed")?;
    let audited = audit_cmd::execute(&audit_plan, &graph, &db.db).context("audit failed")?;
    output::write_atomic(&work.join("audit.json"), audited.rendered.as_bytes())?;
    let vulnerabilities = audited
        .report
        .vulnerability_list()
        .into_iter()
        .map(|v| Vulnerability {
            id: v.id,
            package: v.package,
            version: v.version,
        })
        .collect();
    let sbom_outcome = sbom_generate(sbom_plan, &graph).context("sbom failed")?;
    output::write_atomic(&work.join("sbom.cdx.json"), &sbom_outcome.bytes)?;
    Ok((
        Stage::Audit {
            output: "audit.json",
            vulnerabilities,
        },
        Stage::Sbom {
            output: "sbom.cdx.json",
            components: sbom_outcome.components,
        },
    ))
}

/// The SBOM stage over the shared graph (never with a vulnerabilities section).
fn sbom_generate(plan: &sbom_cmd::Plan, graph: &Graph) -> Result<sbom_cmd::Outcome> {
    sbom_cmd::execute(plan, graph, None)
}

/// The database: the one given (fetched into place when missing), else the
/// default one, fetched when missing; with none of them (the demo,
/// --offline, or a failed fetch) `None`: the audit falls back to the
/// snapshot built into the binary, with a warning.
fn advisory_db(args: &CiArgs) -> Result<Option<PathBuf>> {
    let fetch_into = |db: &Path| -> Result<u8> {
        audit_cmd::run_db(audit_cmd::DbCommand::Fetch {
            advisory_db: Some(db.to_path_buf()),
            url: tollgate_sbom::advisory_db::DEFAULT_URL.to_string(),
            // Already in effect (see `pipeline`).
            ca_file: None,
        })
        .context("fetching the advisory database failed")
    };
    Ok(match &args.advisory_db {
        Some(db) => {
            if !db.exists() {
                if args.offline {
                    bail!(
                        "{}: no advisory database, and --offline forbids fetching one",
                        db.display()
                    );
                }
                fetch_into(db)?;
            }
            Some(db.clone())
        }
        None => {
            let default = tollgate_sbom::advisory_db::default_path();
            if default.exists() {
                Some(default)
            } else if args.demo.is_some() || args.offline {
                None
            } else {
                match fetch_into(&default) {
                    Ok(_) => Some(default),
                    Err(err) => {
                        eprintln!("warning: {err:#}");
                        None
                    }
                }
            }
        }
    })
}

fn registry_flags(r: &RegistryArgs) -> Vec<String> {
    let mut out = Vec::new();
    if r.allow_insecure_registry {
        out.push("--allow-insecure-registry".into());
    }
    if let (Some(user), Some(file)) = (&r.registry_username, &r.registry_password_file) {
        out.extend([
            "--registry-username".into(),
            user.clone(),
            "--registry-password-file".into(),
            s(file),
        ]);
    }
    out
}

fn subject_summary(name: &str, decision: &tollgate_verifier::gate::Decision) -> SubjectSummary {
    SubjectSummary {
        subject: name.to_string(),
        digest: decision.digest.clone(),
        allowed: decision.allowed,
        failed: decision
            .checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| Failed {
                requirement: c.requirement.clone(),
                reason: c.reason.clone(),
            })
            .collect(),
    }
}

fn render_text(summary: &Summary, out: &Path) -> String {
    let mut t = String::new();
    t.push_str("stage       result\n");
    for stage in &summary.stages {
        let line = match stage {
            Stage::Sast { output, findings } => format!(
                "sast        {} error, {} warning, {} note  ({output})",
                findings.error, findings.warning, findings.note
            ),
            Stage::Audit {
                vulnerabilities, ..
            } => {
                let ids: Vec<String> = vulnerabilities
                    .iter()
                    .map(|v| format!("{} ({} {})", v.id, v.package, v.version))
                    .collect();
                format!(
                    "audit       {} vulnerabilities{}{}",
                    vulnerabilities.len(),
                    if ids.is_empty() { "" } else { ": " },
                    ids.join(", ")
                )
            }
            Stage::Sbom { output, components } => {
                format!("sbom        {components} components  ({output})")
            }
            Stage::Build {
                output,
                artifacts,
                hermetic,
                sandbox,
                reproducible,
            } => format!(
                "build       {} artifact(s), {} (sandbox: {sandbox}){}  ({output})",
                artifacts.len(),
                if *hermetic {
                    "hermetic"
                } else {
                    "NOT hermetic"
                },
                match reproducible {
                    Some(true) => ", reproducible",
                    Some(false) => ", NOT reproducible",
                    None => "",
                }
            ),
        };
        t.push_str(&line);
        t.push('\n');
    }
    for subject in &summary.subjects {
        t.push_str(&format!(
            "verify      {} {}: {}\n",
            subject.subject,
            subject.digest,
            if subject.allowed { "ADMIT" } else { "DENY" }
        ));
        for f in &subject.failed {
            t.push_str(&format!(
                "              FAIL {}: {}\n",
                f.requirement, f.reason
            ));
        }
    }
    t.push_str(&format!(
        "\nverdict: {}  (everything is in {})\n",
        summary.verdict.to_uppercase(),
        out.display()
    ));
    t
}
