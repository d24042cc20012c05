//! `tollgate ci`: the whole pipeline on one cargo project, in order — SAST,
//! dependency audit, SBOM, then for each artifact the four attestations
//! (provenance, SBOM, vulnerabilities, SAST), then the deploy gate over the
//! result, exactly as it will run at deploy time.
//!
//! Each stage runs this same binary as a child process with the arguments a
//! user would type, so `tollgate ci` can never drift from the individual
//! commands. Everything is written to a staging directory beside `--out`
//! (`.OUT.partial-PID`, mode 0700: with `--demo` it holds a private key) and
//! moved into place only at the end: an interrupted run leaves no
//! half-written output directory. On SIGINT, SIGTERM or SIGHUP the running
//! stage is stopped and the staging directory removed before exiting
//! 128+signal; one left by a run that could not clean up (SIGKILL, power
//! loss) is removed by the next run for the same `--out` once its process
//! is gone.
//!
//! Exit status: 0 every subject admitted, 1 a subject denied, 2 error.

use crate::keys_cmd::RegistryArgs;
use crate::{output, EXIT_FINDINGS};
use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use serde_json::{json, Value};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Mutex;

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

/// What one child stage did.
struct Ran {
    code: i32,
    stdout: String,
}

/// Run `tollgate ARGS` and fail on exit status 2 (or a signal) with its error output.
fn tollgate(args: &[String], envs: &[(&str, &str)], what: &str) -> Result<Ran> {
    // tollgate:allow(trusted-exe-path): the stages must run this very binary; on Linux this is /proc/self/exe, not argv[0]
    let exe = std::env::current_exe().context("cannot find the tollgate executable")?;
    let child = Command::new(exe)
        .args(args)
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("{what}: cannot start"))?;
    // Known to the signal handler, which stops it before cleaning up.
    STAGE.store(i32::try_from(child.id()).unwrap_or(0), Ordering::SeqCst);
    let out = child.wait_with_output();
    STAGE.store(0, Ordering::SeqCst);
    let out = out.with_context(|| format!("{what}: cannot run"))?;
    let code = out.status.code().unwrap_or(-1);
    if code != 0 && code != i32::from(EXIT_FINDINGS) {
        bail!(
            "{what} failed (exit {code}):\n{}",
            String::from_utf8_lossy(&out.stderr).trim_end()
        );
    }
    Ok(Ran {
        code,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
    })
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn read_json(path: &Path) -> Result<Value> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("{}: not JSON", path.display()))
}

/// Findings per SARIF level.
fn sarif_counts(sarif: &Value) -> Value {
    let mut counts = serde_json::Map::new();
    for level in ["error", "warning", "note"] {
        counts.insert(level.into(), json!(0));
    }
    let results = sarif
        .pointer("/runs/0/results")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for r in &results {
        let level = r.get("level").and_then(Value::as_str).unwrap_or("warning");
        let n = counts.get(level).and_then(Value::as_u64).unwrap_or(0);
        counts.insert(level.into(), json!(n + 1));
    }
    Value::Object(counts)
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
                Format::Json => {
                    output::write(None, &(serde_json::to_string_pretty(&summary)? + "\n"))?
                }
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

/// The running stage's process id (0: none).
static STAGE: AtomicI32 = AtomicI32::new(0);
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

/// On SIGINT, SIGTERM or SIGHUP: stop the running stage, remove the staging
/// directory, exit 128+signal.
fn cleanup_on_signal() -> Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
        .context("cannot install the signal handler")?;
    std::thread::spawn(move || {
        let Some(signal) = signals.forever().next() else {
            return;
        };
        #[cfg(unix)]
        if let Some(pid) = rustix::process::Pid::from_raw(STAGE.load(Ordering::SeqCst)) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
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

/// Runs every stage into `work`; returns the exit code and the summary.
fn pipeline(args: &CiArgs, work: &Path) -> Result<(u8, Value)> {
    let mut envs: Vec<(&str, &str)> = Vec::new();
    let (project, key, policy, mut artifacts, dirty) = match args.demo {
        Some(variant) => {
            let demo = crate::demo::materialise(variant, work)?;
            let prefix = work.join("keys").join("demo");
            std::fs::create_dir_all(work.join("keys"))?;
            // The demo key is throwaway: an empty password, as cosign allows.
            envs.push(("COSIGN_PASSWORD", ""));
            tollgate(
                &[
                    "key".into(),
                    "generate".into(),
                    "--output-key-prefix".into(),
                    s(&prefix),
                ],
                &envs,
                "generating the demo key",
            )?;
            let public = std::fs::read_to_string(prefix.with_extension("pub"))
                .context("the demo public key")?;
            let policy = work.join("policy.yaml");
            output::write_atomic(&policy, crate::demo::policy(&public).as_bytes())?;
            (
                demo.project,
                Some(prefix.with_extension("key")),
                policy,
                vec![demo.artifact],
                false,
            )
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
            crate::verify_cmd::load_policy(policy)?;
            (
                args.path.clone(),
                key,
                policy.clone(),
                Vec::new(),
                args.allow_dirty,
            )
        }
    };
    artifacts.extend(args.artifacts.iter().cloned());
    for a in &artifacts {
        if !a.is_file() {
            bail!("{}: --artifact is not a file", a.display());
        }
    }
    if artifacts.is_empty() && args.image.is_none() {
        bail!("nothing to sign: give --artifact FILE or --image REF");
    }
    // The demo has no cargo workspace to resolve: its lockfile is the input.
    let input = if args.demo.is_some() {
        project.join("Cargo.lock")
    } else {
        project.clone()
    };
    let subjects = artifacts.len() + usize::from(args.image.is_some());
    let mut progress = Progress {
        on: std::io::stderr().is_terminal() && matches!(args.format, Format::Text),
        total: 3 + 2 * subjects,
        step: 0,
    };
    let mut stages = Vec::new();

    progress.stage("sast");
    let sarif = work.join("sast.sarif");
    tollgate(
        &[
            "sast".into(),
            s(&project),
            "--format".into(),
            "sarif".into(),
            "-o".into(),
            s(&sarif),
            "--fail-on".into(),
            "never".into(),
        ],
        &envs,
        "sast",
    )?;
    let counts = sarif_counts(&read_json(&sarif)?);
    stages.push(json!({"stage": "sast", "output": "sast.sarif", "findings": counts}));

    progress.stage("audit");
    // The database: the one given (fetched into place when missing), else
    // the default one, fetched when missing; with none of them (the demo,
    // --offline, or a failed fetch) the audit stage falls back to the
    // snapshot built into the binary, which is announced here.
    let fetch_into = |db: &Path| -> Result<Ran> {
        let mut fetch = vec!["db".into(), "fetch".into(), "--advisory-db".into(), s(db)];
        if let Some(ca) = &args.ca_file {
            fetch.extend(["--ca-file".into(), s(ca)]);
        }
        tollgate(&fetch, &envs, "fetching the advisory database")
    };
    let db = match &args.advisory_db {
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
                eprintln!("{}", crate::audit_cmd::snapshot_warning(&default));
                None
            } else {
                match fetch_into(&default) {
                    Ok(_) => Some(default),
                    Err(err) => {
                        eprintln!("warning: {err:#}");
                        eprintln!("{}", crate::audit_cmd::snapshot_warning(&default));
                        None
                    }
                }
            }
        }
    };
    let audit = work.join("audit.json");
    let mut audit_args = vec!["audit".into(), s(&input)];
    if let Some(db) = &db {
        audit_args.extend(["--advisory-db".into(), s(db)]);
    }
    audit_args.extend(["--format".into(), "json".into(), "-o".into(), s(&audit)]);
    if args.offline {
        audit_args.push("--offline".into());
    }
    tollgate(&audit_args, &envs, "audit")?;
    let report = read_json(&audit)?;
    let vulnerabilities: Vec<Value> = report
        .pointer("/vulnerabilities/list")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|v| {
                    Some(json!({
                        "id": v.pointer("/advisory/id")?,
                        "package": v.pointer("/package/name")?,
                        "version": v.pointer("/package/version")?,
                    }))
                })
                .collect()
        })
        .unwrap_or_default();
    stages.push(
        json!({"stage": "audit", "output": "audit.json", "vulnerabilities": vulnerabilities}),
    );

    progress.stage("sbom");
    let sbom = work.join("sbom.cdx.json");
    let mut sbom_args = vec!["sbom".into(), s(&input), "-o".into(), s(&sbom)];
    if args.offline {
        sbom_args.push("--offline".into());
    }
    tollgate(&sbom_args, &envs, "sbom")?;
    let components = read_json(&sbom)?
        .get("components")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    stages.push(json!({"stage": "sbom", "output": "sbom.cdx.json", "components": components}));

    let kinds: [(&str, &str, &Path); 4] = [
        ("provenance", "--repo", &project),
        ("sbom", "--sbom", &sbom),
        ("vulns", "--audit", &audit),
        ("sast", "--sarif", &sarif),
    ];
    // How every attestation is signed. A keyless token is obtained once and
    // handed to the stages in the environment, never on a command line.
    let mut sigstore = args.sigstore.clone();
    sigstore.resolve()?;
    let token;
    let mut signing: Vec<String> = Vec::new();
    match &key {
        Some(key) => signing.extend(["--key".into(), s(key)]),
        None => {
            token = sigstore.identity_token()?;
            envs.push(("SIGSTORE_ID_TOKEN", token.as_str()));
            signing.extend(["--fulcio-url".into(), sigstore.fulcio_url.clone()]);
        }
    }
    if key.is_none() || sigstore.rekor_url.is_some() {
        signing.extend(["--rekor-url".into(), sigstore.keyless_rekor_url()]);
    }
    if let Some(root) = &sigstore.trusted_root {
        signing.extend(["--trusted-root".into(), s(root)]);
    }
    let attest =
        |kind: &str, flag: &str, input: &Path, subject: &[String]| -> Result<Vec<String>> {
            let mut a = vec!["attest".into(), kind.into(), flag.into(), s(input)];
            if kind == "provenance" && dirty {
                a.push("--allow-dirty".into());
            }
            a.extend(subject.iter().cloned());
            a.extend(signing.iter().cloned());
            Ok(a)
        };
    let mut subjects_out = Vec::new();
    let mut denied = false;
    for artifact in &artifacts {
        let name = artifact
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "artifact".into());
        progress.stage(&format!("attest {name}"));
        let mut bundles = Vec::new();
        for (kind, flag, input) in kinds {
            let bundle = work
                .join("attestations")
                .join(format!("{name}.{kind}.sigstore.json"));
            let mut a = attest(kind, flag, input, &[s(artifact)])?;
            a.push("--bundle".into());
            a.push(s(&bundle));
            tollgate(&a, &envs, &format!("attest {kind} {name}"))?;
            bundles.push(bundle);
        }
        progress.stage(&format!("verify {name}"));
        let mut v = vec![
            "verify".into(),
            s(artifact),
            "--policy".into(),
            s(&policy),
            "--decision-log".into(),
            s(&work.join("decisions.jsonl")),
            "--format".into(),
            "json".into(),
        ];
        for b in &bundles {
            v.push("--bundle".into());
            v.push(s(b));
        }
        let ran = tollgate(&v, &envs, &format!("verify {name}"))?;
        let decision: Value = serde_json::from_str(&ran.stdout)
            .with_context(|| format!("verify {name}: unreadable decision"))?;
        denied |= ran.code != 0;
        subjects_out.push(subject_summary(&name, &decision));
    }
    if let Some(image) = &args.image {
        progress.stage(&format!("attest {image}"));
        for (kind, flag, input) in kinds {
            let mut a = attest(kind, flag, input, &[])?;
            a.push("--attach".into());
            a.push(image.clone());
            a.extend(registry_flags(&args.registry));
            tollgate(&a, &envs, &format!("attest {kind} {image}"))?;
        }
        progress.stage(&format!("verify {image}"));
        let mut v = vec![
            "verify".into(),
            image.clone(),
            "--policy".into(),
            s(&policy),
            "--decision-log".into(),
            s(&work.join("decisions.jsonl")),
            "--format".into(),
            "json".into(),
        ];
        v.extend(registry_flags(&args.registry));
        let ran = tollgate(&v, &envs, &format!("verify {image}"))?;
        let decision: Value = serde_json::from_str(&ran.stdout)
            .with_context(|| format!("verify {image}: unreadable decision"))?;
        denied |= ran.code != 0;
        subjects_out.push(subject_summary(image, &decision));
    }
    let verdict = if denied { "deny" } else { "admit" };
    let summary = json!({
        "tollgate": env!("CARGO_PKG_VERSION"),
        "project": s(project.strip_prefix(work).unwrap_or(&project)),
        "policy": s(policy.strip_prefix(work).unwrap_or(&policy)),
        "signing": if key.is_some() { "key" } else { "keyless" },
        "stages": stages,
        "subjects": subjects_out,
        "verdict": verdict,
    });
    output::write_atomic(
        &work.join(SUMMARY),
        (serde_json::to_string_pretty(&summary)? + "\n").as_bytes(),
    )?;
    Ok((if denied { EXIT_FINDINGS } else { 0 }, summary))
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

fn subject_summary(name: &str, decision: &Value) -> Value {
    let failed: Vec<Value> = decision
        .get("checks")
        .and_then(Value::as_array)
        .map(|checks| {
            checks
                .iter()
                .filter(|c| c.get("passed") == Some(&Value::Bool(false)))
                .map(|c| json!({"requirement": c.get("requirement"), "reason": c.get("reason")}))
                .collect()
        })
        .unwrap_or_default();
    json!({
        "subject": name,
        "digest": decision.get("digest"),
        "allowed": decision.get("allowed"),
        "failed": failed,
    })
}

fn render_text(summary: &Value, out: &Path) -> String {
    let mut t = String::new();
    let stages = summary["stages"].as_array().cloned().unwrap_or_default();
    t.push_str("stage       result\n");
    for stage in &stages {
        let line = match stage["stage"].as_str().unwrap_or("") {
            "sast" => format!(
                "sast        {} error, {} warning, {} note  ({})",
                stage["findings"]["error"],
                stage["findings"]["warning"],
                stage["findings"]["note"],
                stage["output"].as_str().unwrap_or("")
            ),
            "audit" => {
                let list = stage["vulnerabilities"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let ids: Vec<String> = list
                    .iter()
                    .map(|v| {
                        format!(
                            "{} ({} {})",
                            v["id"].as_str().unwrap_or(""),
                            v["package"].as_str().unwrap_or(""),
                            v["version"].as_str().unwrap_or("")
                        )
                    })
                    .collect();
                format!(
                    "audit       {} vulnerabilities{}{}",
                    list.len(),
                    if ids.is_empty() { "" } else { ": " },
                    ids.join(", ")
                )
            }
            "sbom" => format!(
                "sbom        {} components  ({})",
                stage["components"],
                stage["output"].as_str().unwrap_or("")
            ),
            other => other.to_string(),
        };
        t.push_str(&line);
        t.push('\n');
    }
    for subject in summary["subjects"].as_array().cloned().unwrap_or_default() {
        let allowed = subject["allowed"].as_bool() == Some(true);
        t.push_str(&format!(
            "verify      {} {}: {}\n",
            subject["subject"].as_str().unwrap_or(""),
            subject["digest"].as_str().unwrap_or(""),
            if allowed { "ADMIT" } else { "DENY" }
        ));
        for f in subject["failed"].as_array().cloned().unwrap_or_default() {
            t.push_str(&format!(
                "              FAIL {}: {}\n",
                f["requirement"].as_str().unwrap_or(""),
                f["reason"].as_str().unwrap_or("")
            ));
        }
    }
    t.push_str(&format!(
        "\nverdict: {}  (everything is in {})\n",
        summary["verdict"].as_str().unwrap_or("").to_uppercase(),
        out.display()
    ));
    t
}
