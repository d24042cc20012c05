//! `tollgate build`: a cargo build that could not reach the network, in a
//! controlled environment, with SLSA provenance that says so.
//!
//! 0. The project's cargo configs may only set allow-listed keys (no
//!    wrapper, linker, runner, credential provider, registry, source
//!    replacement or network setting): refused with exit 2 otherwise.
//! 1. `cargo fetch --locked` into a cargo home outside the project (the
//!    only step with the network), in bubblewrap too: the environment
//!    cleared, an empty `HOME`, the cargo home the only writable path, no
//!    rustc wrapper. The toolchain is hashed again after it.
//! 2. `cargo [auditable] build --locked --offline --release` in a
//!    bubblewrap sandbox (user, PID, network, mount namespaces; an empty
//!    root with only the system, toolchain, cache and source read-only;
//!    no capabilities, `no_new_privs`), probed before use, with the
//!    caller's toolchain (not the project's `rust-toolchain.toml`), no
//!    rustc wrapper, the environment cleared down to an allow-list,
//!    `SOURCE_DATE_EPOCH` and `--remap-path-prefix` for the source, target
//!    and cargo-home directories. No sandbox: exit 2, unless
//!    `--no-sandbox` (then the provenance says `hermetic: false`).
//!    The target directory is in a private temporary directory, never in
//!    the project; artifacts are taken only as regular files under it
//!    (`O_NOFOLLOW`) and written into a fresh `OUT/artifacts` with
//!    `O_EXCL`; an `OUT` through a symbolic link inside the project is
//!    refused.
//! 3. `--reproducible-check`: a second build of a copy (taken before the
//!    first build) of the source in
//!    another directory, with another umask, later, compared byte for byte;
//!    a difference names the file, the first differing offset and the ELF
//!    sections that differ.
//! 4. Provenance (SLSA v1, `CARGO_BUILD_TYPE`) over the artifacts, every
//!    `Cargo.lock` crate a resolved dependency; signed as a DSSE bundle
//!    with `--key`.

use crate::keys_cmd::{load_key, PasswordArgs};
use crate::output;
use anyhow::{bail, Context, Result};
use clap::Args;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use tollgate_attest::predicate::{
    BuildFacts, Reproducible, SandboxKind, Toolchain, CARGO_BUILD_TYPE,
};
use tollgate_attest::statement::{self, Subject};

#[derive(Args, Debug)]
#[command(
    after_help = "Writes OUT/artifacts/*, OUT/provenance.json (the in-toto statement) and, with --key,\nOUT/provenance.sigstore.json. Exit 0 built; 1 the reproducibility check found differences;\n2 no sandbox, a failed fetch or build, or bad input."
)]
pub struct BuildArgs {
    /// The cargo project (its Cargo.lock is required).
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Output directory (default: PATH/target/tollgate-build).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Build without a network sandbox (recorded as `hermetic: false`).
    #[arg(long)]
    pub no_sandbox: bool,
    /// Build a second time elsewhere and compare the artifacts.
    #[arg(long)]
    pub reproducible_check: bool,
    /// Build with plain `cargo build` (no dependency list embedded by `cargo auditable`).
    #[arg(long)]
    pub no_auditable: bool,
    /// The cargo home crates are fetched into and the build reads
    /// (default: $XDG_CACHE_HOME/tollgate/cargo-home or ~/.cache/tollgate/cargo-home).
    #[arg(long, value_name = "DIR")]
    pub cargo_home: Option<PathBuf>,
    /// Sign the provenance with this key (cosign's encrypted PEM).
    #[arg(long, value_name = "KEY")]
    pub key: Option<PathBuf>,
    #[command(flatten)]
    pub password: PasswordArgs,
}

/// Virtual prefixes the real directories are remapped to in the binaries.
const REMAP_SOURCE: &str = "/tollgate/src";
const REMAP_TARGET: &str = "/tollgate/target";
const REMAP_CARGO_HOME: &str = "/tollgate/cargo-home";

/// The sandbox the build runs in.
#[derive(Clone, Debug)]
enum Sandbox {
    /// bubblewrap at this path.
    Bwrap {
        program: PathBuf,
    },
    None,
}

/// What one sandboxed command may see of the file system besides the
/// read-only system directories: paths bound at their own place.
#[derive(Default)]
struct Binds {
    read_only: Vec<PathBuf>,
    read_write: Vec<PathBuf>,
}

/// The directories of the system bound read-only into the sandbox (or
/// recreated as the symlinks they are on merged-/usr systems). Nothing
/// else of the host is there: not /root, /home, /run, /tmp, /var, /srv,
/// /mnt, /opt, and no parent directory of the project (so no
/// `.cargo/config.toml` above it).
const SYSTEM_DIRS: [&str; 7] = [
    "/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32",
];
/// Of /etc, only what the dynamic loader and `cc` (Debian's alternatives)
/// need.
const ETC_FILES: [&str; 4] = [
    "/etc/alternatives",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
];
/// Of /etc, what the fetch (the one step with the network) also needs:
/// name resolution and the CA certificates.
const ETC_NETWORK_FILES: [&str; 8] = [
    "/etc/resolv.conf",
    "/etc/hosts",
    "/etc/nsswitch.conf",
    "/etc/host.conf",
    "/etc/gai.conf",
    "/etc/ssl",
    "/etc/ca-certificates",
    "/etc/pki",
];

impl Sandbox {
    fn kind(&self) -> SandboxKind {
        match self {
            Sandbox::Bwrap { .. } => SandboxKind::Bwrap,
            Sandbox::None => SandboxKind::None,
        }
    }

    /// A command that runs `program` inside the sandbox, in `dir`; with
    /// `network`, in the host's network namespace (the fetch only).
    fn command(
        &self,
        program: &Path,
        umask: Option<&str>,
        binds: &Binds,
        dir: &Path,
        network: bool,
    ) -> Command {
        let mut argv: Vec<std::ffi::OsString> = Vec::new();
        if let Sandbox::Bwrap { program: bwrap } = self {
            argv.push(bwrap.into());
            argv.push(
                if network {
                    "--share-net"
                } else {
                    "--unshare-net"
                }
                .into(),
            );
            for a in [
                "--unshare-user",
                "--unshare-pid",
                "--unshare-ipc",
                "--unshare-uts",
                "--unshare-cgroup-try",
                "--die-with-parent",
                "--new-session",
                "--cap-drop",
                "ALL",
                "--proc",
                "/proc",
                "--dev",
                "/dev",
                "--tmpfs",
                "/tmp",
            ] {
                argv.push(a.into());
            }
            for d in SYSTEM_DIRS {
                let path = Path::new(d);
                match std::fs::read_link(path) {
                    Ok(target) => {
                        argv.extend(["--symlink".into(), target.into(), d.into()]);
                    }
                    Err(_) if path.is_dir() => {
                        argv.extend(["--ro-bind".into(), d.into(), d.into()]);
                    }
                    Err(_) => {}
                }
            }
            let network_files: &[&str] = if network { &ETC_NETWORK_FILES } else { &[] };
            for f in ETC_FILES.iter().chain(network_files) {
                argv.extend(["--ro-bind-try".into(), f.into(), f.into()]);
            }
            // Parents before children, so a read-write target inside a
            // read-only source is bound on top of it.
            let mut all: Vec<(&PathBuf, bool)> = binds
                .read_only
                .iter()
                .map(|p| (p, false))
                .chain(binds.read_write.iter().map(|p| (p, true)))
                .collect();
            all.sort_by_key(|(p, _)| p.components().count());
            for (path, writable) in all {
                let flag = if writable { "--bind" } else { "--ro-bind" };
                argv.extend([flag.into(), path.into(), path.into()]);
            }
            argv.extend(["--chdir".into(), dir.into(), "--".into()]);
        }
        if let Some(mask) = umask {
            for a in ["sh", "-c", "umask \"$0\" && exec \"$@\"", mask] {
                argv.push(a.into());
            }
        }
        argv.push(program.into());
        // tollgate:allow(command-injection): the program is bwrap or the toolchain found through the caller's own PATH, as any command the caller types; the project cannot set it
        let mut command = Command::new(&argv[0]);
        command.args(&argv[1..]);
        if matches!(self, Sandbox::None) {
            command.current_dir(dir);
        }
        command
    }
}

/// `name` in the directories of a PATH value.
fn which(name: &str, path: &std::ffi::OsStr) -> Option<PathBuf> {
    std::env::split_paths(path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The probe that runs inside a new sandbox before any build. Sections
/// separated by `@@`: the network interfaces, the namespaces, the
/// capabilities and `no_new_privs`, whether `nsenter` into a process's
/// network namespace works, and whether the caller's home is visible.
const PROBE: &str = r#"cat /proc/self/net/dev; echo @@
for n in net pid user mnt; do readlink /proc/self/ns/$n; done; echo @@
grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs):' /proc/self/status; echo @@
if nsenter -t 1 -n true 2>/dev/null; then echo nsenter-allowed; else echo nsenter-denied; fi; echo @@
if [ -n "$0" ] && [ -e "$0" ]; then echo home-visible; else echo home-hidden; fi"#;

/// Make the sandbox, or say why it cannot be made. A probe runs in it
/// first and must find: only an unconfigured `lo`; network, PID, user and
/// mount namespaces other than this process's; no capabilities and
/// `no_new_privs`; `nsenter` refused; the caller's home not there.
fn make_sandbox(path_var: &std::ffi::OsStr) -> Result<Sandbox> {
    let Some(program) = which("bwrap", path_var) else {
        bail!("no sandbox: `bwrap` (bubblewrap) is not on PATH; install bubblewrap (Debian: apt-get install bubblewrap), or pass --no-sandbox to build without one (recorded as hermetic: false)");
    };
    let sandbox = Sandbox::Bwrap {
        program: program.clone(),
    };
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty() && Path::new(h) != Path::new("/"))
        .unwrap_or_default();
    let probe = sandbox
        .command(
            Path::new("sh"),
            None,
            &Binds::default(),
            Path::new("/"),
            false,
        )
        .args(["-c", PROBE])
        .arg(&home)
        .env_clear()
        .env("PATH", path_var)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("{}: cannot run", program.display()))?;
    if !probe.status.success() {
        let stderr = String::from_utf8_lossy(&probe.stderr);
        // bubblewrap could not make its namespaces: as a user that takes
        // unprivileged user namespaces, which a host may not allow.
        let hint = if stderr.contains("namespace") {
            " (bubblewrap needs user namespaces: a user who is not root needs them unprivileged, i.e. `user.max_user_namespaces` above 0, `kernel.unprivileged_userns_clone=1` where the kernel has it, and `kernel.apparmor_restrict_unprivileged_userns=0` or an AppArmor profile for bwrap; inside a container, one that allows nested user namespaces)"
        } else {
            ""
        };
        bail!(
            "no sandbox: `{}` failed ({}): {}{hint}; pass --no-sandbox to build without one (recorded as hermetic: false)",
            program.display(),
            probe.status,
            stderr.trim()
        );
    }
    check_probe(&String::from_utf8_lossy(&probe.stdout))?;
    Ok(sandbox)
}

/// Judge the probe's output; any doubt is a failure.
fn check_probe(text: &str) -> Result<()> {
    let sections: Vec<&str> = text.split("@@").map(str::trim).collect();
    let [net, namespaces, status, nsenter, home] = sections[..] else {
        bail!("no sandbox: the probe's output is not understood: {text:?}");
    };
    let interfaces: Vec<&str> = net
        .lines()
        .skip(2)
        .filter_map(|l| l.split(':').next().map(str::trim))
        .collect();
    if interfaces != ["lo"] {
        bail!("no sandbox: the new network namespace has interfaces {interfaces:?}, expected only `lo`");
    }
    let inside: Vec<&str> = namespaces.lines().map(str::trim).collect();
    for (i, n) in ["net", "pid", "user", "mnt"].iter().enumerate() {
        let ours = std::fs::read_link(format!("/proc/self/ns/{n}"))
            .with_context(|| format!("/proc/self/ns/{n}: cannot read"))?;
        match inside.get(i) {
            Some(theirs) if !theirs.is_empty() && Path::new(theirs) != ours => {}
            other => bail!(
                "no sandbox: the {n} namespace inside ({other:?}) is not a new one (ours: {})",
                ours.display()
            ),
        }
    }
    for field in ["CapEff", "CapPrm", "CapBnd"] {
        let value = status
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .map(str::trim);
        if value.is_none_or(|v| v.is_empty() || v.bytes().any(|b| b != b'0')) {
            bail!("no sandbox: the build would have capabilities ({field}: {value:?})");
        }
    }
    let nnp = status
        .lines()
        .find_map(|l| l.strip_prefix("NoNewPrivs:"))
        .map(str::trim);
    if nnp != Some("1") {
        bail!("no sandbox: no_new_privs is not set inside ({nnp:?})");
    }
    if nsenter != "nsenter-denied" {
        bail!("no sandbox: `nsenter -t 1 -n` works inside ({nsenter})");
    }
    if home != "home-hidden" {
        bail!("no sandbox: the caller's home directory is visible inside ({home})");
    }
    Ok(())
}

/// The toolchain, resolved past rustup's proxies to the real binaries.
struct ResolvedToolchain {
    /// `rustc --print sysroot`, bound read-only into the sandbox.
    sysroot: PathBuf,
    rustc: PathBuf,
    cargo: PathBuf,
    /// rustup's toolchain name and home, when rustup manages it.
    rustup: Option<(String, PathBuf)>,
    facts: Toolchain,
}

fn run_text(program: &Path, args: &[&str], dir: &Path) -> Result<String> {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run `{} {}`", program.display(), args.join(" ")))?;
    if !out.status.success() {
        bail!(
            "`{} {}` failed: {}",
            program.display(),
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
}

/// SHA-256 of a file, streamed (cargo is ~40 MB).
fn sha256_of(path: &Path) -> Result<String> {
    use sha2::Digest;
    let mut file =
        std::fs::File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let mut hasher = sha2::Sha256::new();
    std::io::copy(&mut file, &mut hasher)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    Ok(hex::encode(hasher.finalize()))
}

/// The caller's toolchain: `rustc --print sysroot` run in `/`, not in
/// the project, so the project's `rust-toolchain.toml` (which may name a
/// `path` toolchain of its own making) does not choose the compiler that
/// the provenance then vouches for. The caller's `RUSTUP_TOOLCHAIN` and
/// rustup's default decide; the build gets `RUSTUP_TOOLCHAIN` pinned to
/// the result.
fn resolve_toolchain() -> Result<ResolvedToolchain> {
    let neutral = Path::new("/");
    let sysroot = PathBuf::from(run_text(
        Path::new("rustc"),
        &["--print", "sysroot"],
        neutral,
    )?);
    let bin = sysroot.join("bin");
    let rustc = bin.join("rustc");
    let cargo = bin.join("cargo");
    for p in [&rustc, &cargo] {
        if !p.is_file() {
            bail!(
                "{}: not found in the toolchain's sysroot {}",
                p.display(),
                sysroot.display()
            );
        }
    }
    // rustup keeps toolchains in RUSTUP_HOME/toolchains/NAME.
    let rustup = match (sysroot.parent(), sysroot.file_name()) {
        (Some(parent), Some(name)) if parent.file_name() == Some("toolchains".as_ref()) => parent
            .parent()
            .map(|home| (name.to_string_lossy().into_owned(), home.to_path_buf())),
        _ => None,
    };
    let facts = Toolchain {
        rustc_version: run_text(&rustc, &["-vV"], neutral)?,
        cargo_version: run_text(&cargo, &["-V"], neutral)?,
        rustc_sha256: sha256_of(&rustc)?,
        cargo_sha256: sha256_of(&cargo)?,
    };
    Ok(ResolvedToolchain {
        sysroot,
        rustc,
        cargo,
        rustup,
        facts,
    })
}

fn default_cargo_home() -> Result<PathBuf> {
    if let Some(cache) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(cache).join("tollgate/cargo-home"));
    }
    let home = std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .context("HOME is not set: give --cargo-home")?;
    Ok(PathBuf::from(home).join(".cache/tollgate/cargo-home"))
}

/// `cargo-auditable`, from PATH or the caller's cargo home.
fn find_auditable(path_var: &std::ffi::OsStr) -> Option<PathBuf> {
    which("cargo-auditable", path_var).or_else(|| {
        let home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
        Some(home.join("bin/cargo-auditable")).filter(|p| p.is_file())
    })
}

/// One build's directories and settings.
struct BuildSpec<'a> {
    source: &'a Path,
    target: &'a Path,
    cargo_home: &'a Path,
    scratch: &'a Path,
    umask: Option<&'a str>,
}

/// What the build settings are, shared by both builds of a check.
struct Settings<'a> {
    toolchain: &'a ResolvedToolchain,
    sandbox: &'a Sandbox,
    auditable: Option<&'a Path>,
    path_var: std::ffi::OsString,
    epoch: i64,
}

impl Settings<'_> {
    /// The cargo arguments after the program name.
    fn cargo_args(&self) -> Vec<&'static str> {
        let mut args = Vec::new();
        if self.auditable.is_some() {
            args.push("auditable");
        }
        args.extend([
            "build",
            "--locked",
            "--offline",
            "--release",
            "--message-format=json-render-diagnostics",
        ]);
        args
    }

    /// The allow-listed environment for one build (nothing else reaches
    /// the build or its build scripts).
    fn environment(&self, spec: &BuildSpec<'_>) -> BTreeMap<String, String> {
        let s = |p: &Path| p.to_string_lossy().into_owned();
        let rustflags = [
            format!(
                "--remap-path-prefix={}={REMAP_CARGO_HOME}",
                s(spec.cargo_home)
            ),
            format!("--remap-path-prefix={}={REMAP_SOURCE}", s(spec.source)),
            format!("--remap-path-prefix={}={REMAP_TARGET}", s(spec.target)),
        ]
        .join("\u{1f}");
        let mut env = BTreeMap::from([
            (
                "PATH".to_string(),
                self.path_var.to_string_lossy().into_owned(),
            ),
            ("HOME".into(), s(&spec.scratch.join("home"))),
            ("TMPDIR".into(), s(&spec.scratch.join("tmp"))),
            ("CARGO_HOME".into(), s(spec.cargo_home)),
            ("CARGO_TARGET_DIR".into(), s(spec.target)),
            ("CARGO_ENCODED_RUSTFLAGS".into(), rustflags),
            ("CARGO_INCREMENTAL".into(), "0".into()),
            ("CARGO_NET_OFFLINE".into(), "true".into()),
            ("CARGO_TERM_COLOR".into(), "never".into()),
            ("RUSTC".into(), s(&self.toolchain.rustc)),
            // Empty overrides any `[build] rustc-wrapper` /
            // `rustc-workspace-wrapper` in a cargo config: nothing runs
            // between cargo and the hashed rustc.
            ("RUSTC_WRAPPER".into(), String::new()),
            ("RUSTC_WORKSPACE_WRAPPER".into(), String::new()),
            ("SOURCE_DATE_EPOCH".into(), self.epoch.to_string()),
            ("LC_ALL".into(), "C".into()),
            ("TZ".into(), "UTC".into()),
        ]);
        if let Some((name, home)) = &self.toolchain.rustup {
            env.insert("RUSTUP_HOME".into(), s(home));
            env.insert("RUSTUP_TOOLCHAIN".into(), name.clone());
        }
        env
    }

    /// Run one build; the artifacts of the project's own packages.
    fn build(&self, spec: &BuildSpec<'_>) -> Result<Vec<PathBuf>> {
        for d in ["home", "tmp"] {
            std::fs::create_dir_all(spec.scratch.join(d))
                .with_context(|| format!("{}: cannot create", spec.scratch.display()))?;
        }
        std::fs::create_dir_all(spec.target)
            .with_context(|| format!("{}: cannot create", spec.target.display()))?;
        // Seen inside: the source, the fetched crates and the toolchain
        // read-only; the target and scratch directories writable.
        let mut binds = Binds {
            read_only: vec![
                spec.source.to_path_buf(),
                spec.cargo_home.to_path_buf(),
                self.toolchain.sysroot.clone(),
            ],
            read_write: vec![spec.target.to_path_buf(), spec.scratch.to_path_buf()],
        };
        binds
            .read_only
            .extend(self.auditable.map(Path::to_path_buf));
        let mut command = self.sandbox.command(
            &self.toolchain.cargo,
            spec.umask,
            &binds,
            spec.source,
            false,
        );
        command
            .args(self.cargo_args())
            .arg("--manifest-path")
            .arg(spec.source.join("Cargo.toml"))
            .env_clear()
            .envs(self.environment(spec))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let out = command
            .output()
            .with_context(|| format!("{}: cannot run", self.toolchain.cargo.display()))?;
        if !out.status.success() {
            bail!(
                "{}: the build failed ({}){}",
                spec.source.display(),
                out.status,
                if self.sandbox.kind() == SandboxKind::None {
                    ""
                } else {
                    " in the network sandbox: a build script or proc-macro that needs the network cannot run here"
                }
            );
        }
        Ok(artifacts(&out.stdout))
    }
}

/// The binaries and libraries other programs link (`bin`, `cdylib`,
/// `dylib`, `staticlib`) of path packages, from cargo's JSON messages.
fn artifacts(stdout: &[u8]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for line in stdout.split(|b| *b == b'\n') {
        let Ok(msg) = serde_json::from_slice::<Value>(line) else {
            continue;
        };
        if msg["reason"] != "compiler-artifact" {
            continue;
        }
        let id = msg["package_id"].as_str().unwrap_or_default();
        if !id.contains("path+file://") {
            continue;
        }
        let kinds: Vec<&str> = msg["target"]["kind"]
            .as_array()
            .map(|k| k.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(exe) = msg["executable"].as_str() {
            out.push(PathBuf::from(exe));
        } else if kinds
            .iter()
            .any(|k| matches!(*k, "cdylib" | "dylib" | "staticlib"))
        {
            let files = msg["filenames"].as_array().cloned().unwrap_or_default();
            out.extend(
                files
                    .iter()
                    .filter_map(Value::as_str)
                    .filter(|f| !f.ends_with(".rlib") && !f.ends_with(".rmeta"))
                    .map(PathBuf::from),
            );
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Copy a source tree, leaving out the top-level `target/`, every `.git/`
/// and `skip`.
fn copy_tree(from: &Path, to: &Path, skip: &Path) -> Result<()> {
    copy_dir(from, to, skip, true)
}

fn copy_dir(from: &Path, to: &Path, skip: &Path, top: bool) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("{}: cannot create", to.display()))?;
    let entries =
        std::fs::read_dir(from).with_context(|| format!("{}: cannot read", from.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("{}: cannot read", from.display()))?;
        let path = entry.path();
        let name = entry.file_name();
        if path == skip || (top && name == "target") || name == ".git" {
            continue;
        }
        let dest = to.join(&name);
        let kind = entry
            .file_type()
            .with_context(|| format!("{}: cannot stat", path.display()))?;
        if kind.is_dir() {
            copy_dir(&path, &dest, skip, false)?;
        } else if kind.is_symlink() {
            let link = std::fs::read_link(&path)
                .with_context(|| format!("{}: cannot read link", path.display()))?;
            std::os::unix::fs::symlink(&link, &dest)
                .with_context(|| format!("{}: cannot create", dest.display()))?;
        } else if !kind.is_file() {
            bail!(
                "{}: neither a file, a directory nor a symbolic link; cannot copy the source",
                path.display()
            );
        } else {
            std::fs::copy(&path, &dest)
                .with_context(|| format!("{}: cannot copy", path.display()))?;
        }
    }
    Ok(())
}

/// An ELF64 little-endian file's sections with contents: (name, offset, size).
fn elf_sections(bytes: &[u8]) -> Option<Vec<(String, usize, usize)>> {
    let u16_at = |o: usize| Some(u16::from_le_bytes(bytes.get(o..o + 2)?.try_into().ok()?));
    let u32_at = |o: usize| Some(u32::from_le_bytes(bytes.get(o..o + 4)?.try_into().ok()?));
    let u64_at =
        |o: usize| usize::try_from(u64::from_le_bytes(bytes.get(o..o + 8)?.try_into().ok()?)).ok();
    if bytes.get(..6)? != b"\x7fELF\x02\x01" {
        return None;
    }
    let shoff = u64_at(0x28)?;
    let entsize = usize::from(u16_at(0x3a)?);
    let count = usize::from(u16_at(0x3c)?);
    let strndx = usize::from(u16_at(0x3e)?);
    let header = |i: usize| -> Option<(u32, u32, usize, usize)> {
        let h = shoff.checked_add(i.checked_mul(entsize)?)?;
        Some((
            u32_at(h)?,
            u32_at(h + 4)?,
            u64_at(h + 0x18)?,
            u64_at(h + 0x20)?,
        ))
    };
    let (_, _, str_off, str_size) = header(strndx)?;
    let strtab = bytes.get(str_off..str_off.checked_add(str_size)?)?;
    let mut out = Vec::new();
    for i in 1..count {
        let (name, kind, offset, size) = header(i)?;
        const SHT_NOBITS: u32 = 8;
        if kind == SHT_NOBITS {
            continue;
        }
        let name = strtab.get(name as usize..)?;
        let end = name.iter().position(|b| *b == 0).unwrap_or(name.len());
        out.push((
            String::from_utf8_lossy(&name[..end]).into_owned(),
            offset,
            size,
        ));
    }
    Some(out)
}

/// Where two builds of one file differ: the first differing offset, the
/// section it falls in and every section whose contents differ.
fn describe_difference(name: &str, a: &[u8], b: &[u8]) -> String {
    let first = a
        .iter()
        .zip(b.iter())
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let mut text = format!(
        "{name}: {} vs {} bytes, first difference at offset {first:#x}",
        a.len(),
        b.len()
    );
    if let (Some(sa), Some(sb)) = (elf_sections(a), elf_sections(b)) {
        if let Some((section, _, _)) = sa
            .iter()
            .find(|(_, off, size)| first >= *off && first < off + size)
        {
            text.push_str(&format!(" (in {section})"));
        } else if first < 0x40 {
            text.push_str(" (in the ELF header)");
        }
        let content = |bytes: &[u8], off: usize, size: usize| {
            bytes.get(off..off.saturating_add(size)).map(<[u8]>::to_vec)
        };
        let other: BTreeMap<&str, (usize, usize)> =
            sb.iter().map(|(n, o, s)| (n.as_str(), (*o, *s))).collect();
        let differing: Vec<&str> = sa
            .iter()
            .filter(|(n, o, s)| match other.get(n.as_str()) {
                Some((ob, sz)) => content(a, *o, *s) != content(b, *ob, *sz),
                None => true,
            })
            .map(|(n, _, _)| n.as_str())
            .collect();
        if !differing.is_empty() {
            text.push_str(&format!(
                "; ELF sections that differ: {}",
                differing.join(", ")
            ));
        }
    }
    text
}

/// Compare the artifacts of two builds (in their target directories) by
/// file name.
fn compare(
    first: &[PathBuf],
    first_target: &Path,
    second: &[PathBuf],
    second_target: &Path,
) -> Result<Vec<String>> {
    let by_name = |list: &[PathBuf]| -> BTreeMap<String, PathBuf> {
        list.iter()
            .map(|p| {
                (
                    p.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    p.clone(),
                )
            })
            .collect()
    };
    let (a, b) = (by_name(first), by_name(second));
    let mut differences = Vec::new();
    for (name, path) in &a {
        let Some(other) = b.get(name) else {
            differences.push(format!("{name}: only in the first build"));
            continue;
        };
        let x = read_artifact(path, first_target)?;
        let y = read_artifact(other, second_target)?;
        if x != y {
            differences.push(describe_difference(name, &x, &y));
        }
    }
    for name in b.keys().filter(|n| !a.contains_key(*n)) {
        differences.push(format!("{name}: only in the second build"));
    }
    Ok(differences)
}

/// Every `Cargo.lock` package as a resolved dependency: its purl (as the
/// SBOM writes it), the `.crate` SHA-256 and where it comes from.
fn lockfile_dependencies(lockfile: &Path) -> Result<Vec<Value>> {
    use tollgate_sbom::graph::{Graph, Source};
    let graph = Graph::from_lockfile(lockfile)
        .with_context(|| format!("{}: cannot read", lockfile.display()))?;
    let mut out = Vec::new();
    for p in &graph.packages {
        let item = tollgate_sbom::cyclonedx::Item {
            name: p.name.clone(),
            version: p.version.to_string(),
            source: Some(p.source.clone()),
            ..Default::default()
        };
        let mut d = serde_json::Map::new();
        d.insert("uri".into(), json!(tollgate_sbom::cyclonedx::purl(&item)));
        d.insert("name".into(), json!(p.name));
        if let Some(sum) = &p.checksum {
            d.insert("digest".into(), json!({ "sha256": sum }));
        }
        let (location, source) = match &p.source {
            Source::Registry { .. } if p.source.is_crates_io() => (
                Some(format!(
                    "https://static.crates.io/crates/{0}/{0}-{1}.crate",
                    p.name, p.version
                )),
                "registry+https://github.com/rust-lang/crates.io-index".to_string(),
            ),
            Source::Registry { url } => (None, format!("registry+{url}")),
            Source::Git {
                url,
                commit: Some(c),
                ..
            } => (Some(format!("git+{url}@{c}")), format!("git+{url}")),
            Source::Git { url, .. } => (None, format!("git+{url}")),
            Source::Path => (None, "path".to_string()),
        };
        if let Some(l) = location {
            d.insert("downloadLocation".into(), json!(l));
        }
        if let Source::Git {
            commit: Some(c), ..
        } = &p.source
        {
            d.entry("digest").or_insert(json!({ "gitCommit": c }));
        }
        d.insert(
            "annotations".into(),
            json!({ "version": p.version.to_string(), "source": source }),
        );
        out.push(Value::Object(d));
    }
    Ok(out)
}

/// `SOURCE_DATE_EPOCH`: the caller's, else the time of the commit built,
/// else 0.
fn source_epoch(project: &Path) -> Result<i64> {
    if let Some(e) = crate::sbom_cmd::source_date_epoch()? {
        return Ok(e);
    }
    Ok(git2::Repository::discover(project)
        .ok()
        .and_then(|r| {
            r.head()
                .ok()?
                .peel_to_commit()
                .ok()
                .map(|c| c.time().seconds())
        })
        .unwrap_or(0))
}

/// The keys a project's own cargo config may set (`TABLE.KEY`, `*` any
/// one name). Everything else is refused: the project's config is read by
/// the fetch, which has the network, and by the build, whose provenance
/// vouches for where the crates came from, so no project key may choose
/// a program to run (`rustc-wrapper`, `rustc`, `linker`, `runner`,
/// `credential-provider`, `[alias]`), a source (`[source]`, `[registries]`,
/// `[registry]`, `[paths]`, `[patch]`) or the network (`[net]`, `[http]`).
/// `[env]` too: it reaches the processes cargo starts, `rustc -vV` in the
/// fetch among them (`LD_PRELOAD` of a library in the project would run
/// it there, with the network and the writable cargo home).
const PROJECT_CONFIG_ALLOWED: [&str; 8] = [
    "build.rustflags",
    "build.rustdocflags",
    "build.jobs",
    "build.incremental",
    "target.*.rustflags",
    "target.*.rustdocflags",
    "profile.*",
    "term.*",
];

/// Is the dotted key path `key` (e.g. `["build", "rustflags"]`) allowed?
/// A pattern matches when its parts match the key's first parts.
fn config_key_allowed(key: &[String]) -> bool {
    PROJECT_CONFIG_ALLOWED.iter().any(|pattern| {
        let parts: Vec<&str> = pattern.split('.').collect();
        key.len() >= parts.len()
            && parts
                .iter()
                .zip(key)
                .all(|(p, k)| *p == "*" || *p == k.as_str())
    })
}

/// The keys of a parsed cargo config that are not allowed, dotted.
fn refused_config_keys(value: &toml::Table) -> Vec<String> {
    fn walk(table: &toml::Table, prefix: &mut Vec<String>, out: &mut Vec<String>) {
        for (name, value) in table {
            prefix.push(name.clone());
            if !config_key_allowed(prefix) {
                match value {
                    // A table may hold allowed keys (`[build] rustflags`).
                    toml::Value::Table(inner) if prefix.len() < 3 => walk(inner, prefix, out),
                    _ => out.push(prefix.join(".")),
                }
            }
            prefix.pop();
        }
    }
    let mut out = Vec::new();
    walk(value, &mut Vec::new(), &mut out);
    out
}

/// Refuse a project whose cargo configs (`.cargo/config.toml` or
/// `.cargo/config` anywhere in the project, but not in the top-level
/// `target/`, `.git/` or `skip`) set a key outside the allow-list, or are
/// symbolic links.
fn check_project_configs(project: &Path, skip: &Path) -> Result<()> {
    fn visit(dir: &Path, project: &Path, skip: &Path, found: &mut Vec<PathBuf>) -> Result<()> {
        let entries =
            std::fs::read_dir(dir).with_context(|| format!("{}: cannot read", dir.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("{}: cannot read", dir.display()))?;
            let path = entry.path();
            let kind = entry
                .file_type()
                .with_context(|| format!("{}: cannot stat", path.display()))?;
            let name = entry.file_name();
            if path == skip || name == ".git" || (dir == project && name == "target") {
                continue;
            }
            if name == ".cargo" {
                for file in ["config.toml", "config"] {
                    let config = path.join(file);
                    if config.symlink_metadata().is_ok() {
                        found.push(config);
                    }
                }
            }
            if kind.is_dir() {
                visit(&path, project, skip, found)?;
            }
        }
        Ok(())
    }
    let mut found = Vec::new();
    visit(project, project, skip, &mut found)?;
    for config in found {
        let meta = config
            .symlink_metadata()
            .with_context(|| format!("{}: cannot stat", config.display()))?;
        if !meta.file_type().is_file() {
            bail!(
                "{}: a project cargo config that is not a regular file (a symbolic link?) is refused",
                config.display()
            );
        }
        let text = std::fs::read_to_string(&config)
            .with_context(|| format!("{}: cannot read", config.display()))?;
        let table: toml::Table = toml::from_str(&text)
            .with_context(|| format!("{}: not a valid cargo config", config.display()))?;
        let refused = refused_config_keys(&table);
        if !refused.is_empty() {
            bail!(
                "{}: refused: {} (a project's cargo config may only set {}; a registry, source replacement, wrapper, linker, runner, credential provider or network setting belongs in the cargo home's config.toml, which the caller controls)",
                config.display(),
                refused.join(", "),
                PROJECT_CONFIG_ALLOWED.join(", ")
            );
        }
        if table.contains_key("build") || table.contains_key("target") {
            let flags = table
                .get("build")
                .and_then(|b| b.get("rustflags"))
                .is_some()
                || table.get("target").is_some_and(|t| {
                    t.as_table()
                        .is_some_and(|t| t.values().any(|v| v.get("rustflags").is_some()))
                });
            if flags {
                output::info!(
                    "note: {}: rustflags are not applied (tollgate build sets CARGO_ENCODED_RUSTFLAGS, which takes precedence)",
                    config.display()
                );
            }
        }
    }
    Ok(())
}

/// The output directory, created: every component of `requested` that
/// does not exist is created here, and none inside the project may be a
/// symbolic link (a committed `target -> /elsewhere` would redirect what
/// tollgate writes). Symbolic links outside the project are the caller's
/// and are followed. Returns the canonical path.
fn prepare_out_dir(requested: &Path, project: &Path) -> Result<PathBuf> {
    use std::path::Component;
    let absolute = std::path::absolute(requested)
        .with_context(|| format!("{}: cannot make absolute", requested.display()))?;
    let mut current = PathBuf::from("/");
    for component in absolute.components() {
        match component {
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
            Component::ParentDir => {
                current.pop();
            }
            Component::Normal(name) => {
                let next = current.join(name);
                match next.symlink_metadata() {
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        std::fs::create_dir(&next)
                            .with_context(|| format!("{}: cannot create", next.display()))?;
                        current = next;
                    }
                    Err(e) => {
                        return Err(e).with_context(|| format!("{}: cannot stat", next.display()))
                    }
                    Ok(m) if m.file_type().is_symlink() => {
                        if next.starts_with(project) {
                            bail!(
                                "{}: the output directory goes through a symbolic link inside the project; refused (give --out a directory outside the project, or remove the link)",
                                next.display()
                            );
                        }
                        current = std::fs::canonicalize(&next)
                            .with_context(|| format!("{}: cannot resolve", next.display()))?;
                    }
                    Ok(m) if m.is_dir() => current = next,
                    Ok(_) => bail!(
                        "{}: not a directory (the output directory {})",
                        next.display(),
                        requested.display()
                    ),
                }
            }
        }
    }
    // What tollgate writes in it must not be links the project placed.
    for name in ["artifacts", "provenance.json", "provenance.sigstore.json"] {
        let path = current.join(name);
        if path
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
        {
            bail!(
                "{}: a symbolic link where tollgate writes its output; refused",
                path.display()
            );
        }
    }
    Ok(current)
}

/// Open a build artifact that cargo named: a regular file (not a symbolic
/// link, opened with `O_NOFOLLOW`) in a directory under the target
/// directory once every link is resolved. A build script that swaps an
/// artifact for a link to a host file (or names another file in a forged
/// cargo message) is refused.
fn open_artifact(path: &Path, target: &Path) -> Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let target = std::fs::canonicalize(target)
        .with_context(|| format!("{}: cannot resolve", target.display()))?;
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        bail!("{}: not an artifact path", path.display());
    };
    let parent = std::fs::canonicalize(parent)
        .with_context(|| format!("{}: cannot resolve", parent.display()))?;
    if !parent.starts_with(&target) {
        bail!(
            "{}: the artifact is not in the target directory {}; refused",
            path.display(),
            target.display()
        );
    }
    let real = parent.join(name);
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(&real)
        .with_context(|| {
            format!(
                "{}: cannot open the artifact (a symbolic link is refused)",
                real.display()
            )
        })?;
    let meta = file
        .metadata()
        .with_context(|| format!("{}: cannot stat", real.display()))?;
    if !meta.is_file() {
        bail!(
            "{}: the artifact is not a regular file; refused",
            real.display()
        );
    }
    Ok(file)
}

/// An artifact's bytes, opened as [`open_artifact`] does.
fn read_artifact(path: &Path, target: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    open_artifact(path, target)?
        .read_to_end(&mut bytes)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    Ok(bytes)
}

/// Copy the artifacts into a fresh directory `OUT/artifacts` (the old one
/// replaced), each written with `O_EXCL` and `O_NOFOLLOW` from the open
/// artifact. Returns the written paths.
fn write_artifacts(built: &[PathBuf], target: &Path, out_dir: &Path) -> Result<Vec<PathBuf>> {
    use std::os::unix::fs::OpenOptionsExt;
    let fresh = tempfile::Builder::new()
        .prefix(".artifacts-")
        .tempdir_in(out_dir)
        .with_context(|| format!("{}: cannot create a directory in it", out_dir.display()))?;
    let mut names = Vec::new();
    for path in built {
        let name = path
            .file_name()
            .context("an artifact without a file name")?;
        let mut from = open_artifact(path, target)?;
        let dest = fresh.path().join(name);
        let mut to = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o755)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(&dest)
            .with_context(|| {
                format!(
                    "{}: cannot create (two artifacts of one name?)",
                    dest.display()
                )
            })?;
        std::io::copy(&mut from, &mut to)
            .with_context(|| format!("{}: cannot copy to {}", path.display(), dest.display()))?;
        names.push(name.to_os_string());
    }
    let artifacts_dir = out_dir.join("artifacts");
    match artifacts_dir.symlink_metadata() {
        Ok(m) if m.file_type().is_symlink() || !m.is_dir() => bail!(
            "{}: not a directory tollgate made; refused",
            artifacts_dir.display()
        ),
        // remove_dir_all does not follow symbolic links inside.
        Ok(_) => std::fs::remove_dir_all(&artifacts_dir)
            .with_context(|| format!("{}: cannot replace", artifacts_dir.display()))?,
        Err(_) => {}
    }
    let kept = fresh.keep();
    std::fs::set_permissions(&kept, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .with_context(|| format!("{}: cannot set permissions", kept.display()))?;
    std::fs::rename(&kept, &artifacts_dir).with_context(|| {
        format!(
            "{}: cannot rename to {}",
            kept.display(),
            artifacts_dir.display()
        )
    })?;
    Ok(names.iter().map(|n| artifacts_dir.join(n)).collect())
}

/// `cargo fetch --locked` in the sandbox, with the network: the
/// environment cleared to an allow-list, an empty read-only `HOME`, the
/// project and toolchain read-only and the cargo home the only writable
/// host path; no rustc wrapper.
fn fetch(settings: &Settings<'_>, project: &Path, cargo_home: &Path, scratch: &Path) -> Result<()> {
    let home = scratch.join("fetch-home");
    std::fs::create_dir_all(&home).with_context(|| format!("{}: cannot create", home.display()))?;
    let binds = Binds {
        read_only: vec![
            project.to_path_buf(),
            settings.toolchain.sysroot.clone(),
            home.clone(),
        ],
        read_write: vec![cargo_home.to_path_buf()],
    };
    let mut command =
        settings
            .sandbox
            .command(&settings.toolchain.cargo, None, &binds, project, true);
    command
        .args(["fetch", "--locked", "--manifest-path"])
        .arg(project.join("Cargo.toml"))
        .env_clear()
        .envs(fetch_environment(settings, cargo_home, &home))
        .stdin(Stdio::null());
    let status = command
        .status()
        .with_context(|| format!("{}: cannot run", settings.toolchain.cargo.display()))?;
    if !status.success() {
        bail!(
            "{}: `cargo fetch --locked` failed ({status}); is Cargo.lock up to date?",
            project.display()
        );
    }
    Ok(())
}

/// The fetch's environment: the build's basics and the caller's proxy
/// settings, nothing else.
fn fetch_environment(
    settings: &Settings<'_>,
    cargo_home: &Path,
    home: &Path,
) -> BTreeMap<String, String> {
    let s = |p: &Path| p.to_string_lossy().into_owned();
    let mut env = BTreeMap::from([
        (
            "PATH".to_string(),
            settings.path_var.to_string_lossy().into_owned(),
        ),
        ("HOME".into(), s(home)),
        ("CARGO_HOME".into(), s(cargo_home)),
        ("CARGO_TERM_COLOR".into(), "never".into()),
        ("RUSTC".into(), s(&settings.toolchain.rustc)),
        ("RUSTC_WRAPPER".into(), String::new()),
        ("RUSTC_WORKSPACE_WRAPPER".into(), String::new()),
        ("LC_ALL".into(), "C".into()),
    ]);
    for name in [
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "no_proxy",
        "NO_PROXY",
    ] {
        if let Some(v) = std::env::var_os(name) {
            env.insert(name.into(), v.to_string_lossy().into_owned());
        }
    }
    env
}

/// The toolchain binaries must still be what was hashed.
fn recheck_toolchain(toolchain: &ResolvedToolchain) -> Result<()> {
    for (path, hashed) in [
        (&toolchain.rustc, &toolchain.facts.rustc_sha256),
        (&toolchain.cargo, &toolchain.facts.cargo_sha256),
    ] {
        let now = sha256_of(path)?;
        if &now != hashed {
            bail!(
                "{}: changed during the fetch (sha256 {hashed} before, {now} after); refusing to build",
                path.display()
            );
        }
    }
    Ok(())
}

/// What one `tollgate build` produced: the artifacts (written to
/// `OUT/artifacts`), their subjects, the provenance predicate and
/// statement (written to `OUT/provenance.json`) and the build's facts.
/// `tollgate ci --build` attests the predicate per artifact.
pub struct Built {
    pub artifacts: Vec<PathBuf>,
    pub subjects: Vec<Subject>,
    pub predicate: Value,
    pub statement: Value,
    pub facts: BuildFacts,
    pub out_dir: PathBuf,
}

pub fn run(args: BuildArgs) -> Result<u8> {
    // Read the key first: a wrong password should not cost a build.
    let key = match &args.key {
        Some(path) => Some(load_key(path, &args.password)?),
        None => None,
    };
    let built = build(&args)?;
    let Built {
        artifacts: copied,
        subjects,
        statement,
        facts,
        out_dir,
        ..
    } = built;
    let provenance_path = out_dir.join("provenance.json");
    if let Some(key) = &key {
        let signer = tollgate_attest::keyless::StatementSigner::Keyed {
            key,
            rekor_url: None,
        };
        let bundle = tollgate_attest::keyless::sign_statement(&signer, &statement)?;
        let path = out_dir.join("provenance.sigstore.json");
        output::write_atomic(&path, &tollgate_attest::sign::to_bytes(&bundle))?;
        output::info!("Wrote the signed provenance to {}", path.display());
    }
    for (subject, path) in subjects.iter().zip(&copied) {
        output::line(&format!(
            "sha256:{}  {}",
            subject
                .digest
                .get("sha256")
                .map(String::as_str)
                .unwrap_or(""),
            path.display()
        ))?;
    }
    output::info!("Wrote the provenance to {}", provenance_path.display());
    if facts.reproducible.checked && !facts.reproducible.identical {
        for d in &facts.reproducible.differences {
            output::info!("not reproducible: {d}");
        }
        return Ok(crate::EXIT_FINDINGS);
    }
    if facts.reproducible.checked {
        output::info!("Reproducible: the second build's artifacts are byte-identical");
    }
    Ok(0)
}

/// Fetch, build (twice with `--reproducible-check`) and write
/// `OUT/artifacts` and `OUT/provenance.json`; no signing, nothing printed
/// on standard output. Errors (no sandbox, a failed fetch or build, bad
/// input) leave no provenance behind.
pub fn build(args: &BuildArgs) -> Result<Built> {
    let project = std::fs::canonicalize(&args.path)
        .with_context(|| format!("{}: no such project directory", args.path.display()))?;
    for file in ["Cargo.toml", "Cargo.lock"] {
        if !project.join(file).is_file() {
            bail!(
                "{}: no {file} (tollgate build needs a locked cargo project)",
                project.display()
            );
        }
    }
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| project.join("target/tollgate-build"));
    let out_dir = prepare_out_dir(&out_dir, &project)?;
    // Before anything reads it: the project's cargo configs.
    check_project_configs(&project, &out_dir)?;
    let cargo_home = match &args.cargo_home {
        Some(h) => h.clone(),
        None => default_cargo_home()?,
    };
    std::fs::create_dir_all(&cargo_home)
        .with_context(|| format!("{}: cannot create", cargo_home.display()))?;
    let cargo_home = std::fs::canonicalize(&cargo_home)?;
    if cargo_home.starts_with(&project) {
        bail!(
            "{}: the cargo home must be outside the project",
            cargo_home.display()
        );
    }
    let caller_path = std::env::var_os("PATH").unwrap_or_default();
    let sandbox = if args.no_sandbox {
        output::info!("warning: building without a network sandbox (--no-sandbox); the provenance records hermetic: false");
        Sandbox::None
    } else {
        make_sandbox(&caller_path)?
    };
    let toolchain = resolve_toolchain()?;
    for file in ["rust-toolchain.toml", "rust-toolchain"] {
        if project.join(file).exists() {
            output::info!(
                "note: {file} in the project is not followed: the build uses the caller's toolchain ({})",
                toolchain.sysroot.display()
            );
        }
    }
    let auditable = if args.no_auditable {
        None
    } else {
        Some(find_auditable(&caller_path).context(
            "cargo-auditable is not installed: `cargo install cargo-auditable --locked`, or pass --no-auditable",
        )?)
    };
    // The toolchain's own bin directory first, so build scripts that run
    // `cargo` or `rustc` get the hashed binaries, not a proxy's choice.
    let mut dirs: Vec<PathBuf> = toolchain
        .rustc
        .parent()
        .map(Path::to_path_buf)
        .into_iter()
        .collect();
    dirs.extend(
        auditable
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf),
    );
    dirs.extend(std::env::split_paths(&caller_path));
    let path_var = std::env::join_paths(&dirs).context("PATH: a directory contains `:`")?;
    let settings = Settings {
        toolchain: &toolchain,
        sandbox: &sandbox,
        auditable: auditable.as_deref(),
        path_var,
        epoch: source_epoch(&project)?,
    };
    let started = crate::audit_cmd::now();

    // Everything the builds write is in this private directory, not in
    // the project: a committed symbolic link cannot redirect it.
    let scratch = tempfile::Builder::new()
        .prefix("tollgate-build-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    output::info!("Fetching crates into {}", cargo_home.display());
    fetch(&settings, &project, &cargo_home, scratch.path())?;
    recheck_toolchain(&toolchain)?;

    // The second build's source: copied now, before the first build.
    let second_root = scratch.path().join("second/elsewhere");
    let second_source = second_root.join("source-copy");
    if args.reproducible_check {
        copy_tree(&project, &second_source, &out_dir)?;
    }
    let target = scratch.path().join("target");
    std::fs::create_dir(&target).with_context(|| format!("{}: cannot create", target.display()))?;
    output::info!(
        "Building {} offline (sandbox: {})",
        project.display(),
        sandbox.kind()
    );
    let first_spec = BuildSpec {
        source: &project,
        target: &target,
        cargo_home: &cargo_home,
        scratch: &scratch.path().join("first"),
        umask: None,
    };
    let built = settings.build(&first_spec)?;
    if built.is_empty() {
        bail!(
            "{}: the build produced no binaries or linkable libraries to attest",
            project.display()
        );
    }

    let reproducible = if args.reproducible_check {
        // Another path (deeper, other names), another umask, later.
        let source = second_source;
        let second_target = second_root.join("target-two");
        output::info!("Building again in {} (umask 077)", source.display());
        let second = settings.build(&BuildSpec {
            source: &source,
            target: &second_target,
            cargo_home: &cargo_home,
            scratch: &scratch.path().join("second/scratch"),
            umask: Some("077"),
        })?;
        let differences = compare(&built, &target, &second, &second_target)?;
        Reproducible {
            checked: true,
            identical: differences.is_empty(),
            differences,
        }
    } else {
        Reproducible::default()
    };

    // The artifacts, copied out of the target directory.
    let copied = write_artifacts(&built, &target, &out_dir)?;
    let subjects = copied
        .iter()
        .map(|p| Subject::file(p))
        .collect::<Result<Vec<_>, _>>()?;

    let environment = settings.environment(&first_spec);
    let facts = BuildFacts {
        hermetic: !matches!(sandbox, Sandbox::None),
        sandbox: sandbox.kind(),
        environment,
        toolchain: toolchain.facts.clone(),
        auditable: auditable.is_some(),
        reproducible,
    };
    let mut dependencies = Vec::new();
    let source = tollgate_attest::provenance::source_facts(&project).ok();
    if let Some(s) = &source {
        dependencies.push(json!({
            "uri": format!(
                "git+{}@{}",
                s.repository.clone().unwrap_or_else(|| "unknown".into()),
                s.git_ref.clone().unwrap_or_else(|| s.commit.clone())
            ),
            "digest": { "gitCommit": s.commit },
        }));
    }
    for (name, sha) in [
        ("rustc", &toolchain.facts.rustc_sha256),
        ("cargo", &toolchain.facts.cargo_sha256),
    ] {
        dependencies.push(json!({ "name": name, "digest": { "sha256": sha } }));
    }
    dependencies.extend(lockfile_dependencies(&project.join("Cargo.lock"))?);
    let mut command = vec!["cargo".to_string()];
    command.extend(settings.cargo_args().iter().map(|a| a.to_string()));
    let predicate = json!({
        "buildDefinition": {
            "buildType": CARGO_BUILD_TYPE,
            "externalParameters": {
                "source": source.as_ref().map(|s| json!({
                    "repository": s.repository,
                    "ref": s.git_ref,
                    "commit": s.commit,
                })),
                "command": command,
                "sandbox": if args.no_sandbox { "disabled" } else { "required" },
                "reproducibleCheck": args.reproducible_check,
                "auditable": auditable.is_some(),
            },
            "internalParameters": {
                "tollgate": { "version": env!("CARGO_PKG_VERSION") },
                "source": { "dirty": source.as_ref().map(|s| s.dirty) },
                "build": facts,
            },
            "resolvedDependencies": dependencies,
        },
        "runDetails": {
            "builder": { "id": tollgate_attest::provenance::LOCAL_BUILDER_ID },
            "metadata": {
                "startedOn": tollgate_sbom::report::rfc3339(started),
                "finishedOn": tollgate_sbom::report::rfc3339(crate::audit_cmd::now()),
            },
        },
    });
    let statement =
        statement::statement(&subjects, statement::SLSA_PROVENANCE_V1, predicate.clone());
    let provenance_path = out_dir.join("provenance.json");
    output::write_atomic(
        &provenance_path,
        format!("{}\n", serde_json::to_string_pretty(&statement)?).as_bytes(),
    )?;
    Ok(Built {
        artifacts: copied,
        subjects,
        predicate,
        statement,
        facts,
        out_dir,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifacts_are_the_projects_binaries() {
        let stdout = br#"{"reason":"compiler-artifact","package_id":"registry+https://github.com/rust-lang/crates.io-index#dep@1.0.0","target":{"kind":["lib"]},"filenames":["/t/libdep.rlib"],"executable":null}
{"reason":"compiler-artifact","package_id":"path+file:///p#app@0.1.0","target":{"kind":["bin"]},"filenames":["/t/app"],"executable":"/t/app"}
{"reason":"compiler-artifact","package_id":"path+file:///p#lib@0.1.0","target":{"kind":["cdylib","rlib"]},"filenames":["/t/liblib.so","/t/liblib.rlib"],"executable":null}
{"reason":"build-finished","success":true}"#;
        assert_eq!(
            artifacts(stdout),
            vec![PathBuf::from("/t/app"), PathBuf::from("/t/liblib.so")]
        );
    }

    #[test]
    fn project_config_keys_outside_the_allow_list_are_refused() {
        let refused = |text: &str| {
            let table: toml::Table = toml::from_str(text).unwrap_or_default();
            refused_config_keys(&table)
        };
        assert_eq!(
            refused("[build]\nrustflags = [\"-Cx\"]\nrustc-wrapper = \"w\"\njobs = 2\n"),
            vec!["build.rustc-wrapper"]
        );
        assert_eq!(
            refused("[target.'cfg(unix)']\nrustflags = []\nlinker = \"l\"\nrunner = \"r\"\n"),
            vec!["target.cfg(unix).linker", "target.cfg(unix).runner"]
        );
        assert_eq!(
            refused("paths = [\"x\"]\n[source.a]\ndirectory = \"v\"\n[env]\nA = \"1\"\n[profile.release.package.x]\nopt-level = 1\n"),
            vec!["env.A", "paths", "source.a.directory"]
        );
        assert_eq!(
            refused("[net]\noffline = true\n[http]\ncainfo = \"c\"\n[alias]\nb = \"run\"\n[registry]\ncredential-provider = \"p\"\n"),
            vec!["alias.b", "http.cainfo", "net.offline", "registry.credential-provider"]
        );
        assert!(refused("[term]\nverbose = true\n").is_empty());
    }

    #[test]
    fn an_artifact_must_be_a_regular_file_under_the_target() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let target = tmp.path().join("target");
        let release = target.join("release");
        std::fs::create_dir_all(&release).unwrap_or_default();
        let outside = tmp.path().join("secret");
        std::fs::write(&outside, "secret").unwrap_or_default();
        std::fs::write(release.join("app"), "binary").unwrap_or_default();
        assert_eq!(
            read_artifact(&release.join("app"), &target).unwrap_or_default(),
            b"binary"
        );
        // A link to a host file, a file outside the target (directly, or
        // through a directory link) and a directory are refused.
        std::os::unix::fs::symlink(&outside, release.join("link")).unwrap_or_default();
        std::os::unix::fs::symlink(tmp.path(), release.join("up")).unwrap_or_default();
        std::fs::create_dir(release.join("dir")).unwrap_or_default();
        for bad in [
            release.join("link"),
            outside.clone(),
            release.join("up/secret"),
            release.join("dir"),
        ] {
            assert!(read_artifact(&bad, &target).is_err(), "{}", bad.display());
        }
    }

    #[test]
    fn an_output_directory_through_a_project_link_is_refused() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let project = tmp.path().join("p");
        let elsewhere = tmp.path().join("elsewhere");
        std::fs::create_dir_all(project.join("target")).unwrap_or_default();
        std::fs::create_dir_all(&elsewhere).unwrap_or_default();
        // Created fresh, component by component.
        let made = prepare_out_dir(&project.join("target/a/b"), &project);
        assert!(made.is_ok_and(|p| p == project.join("target/a/b")));
        std::os::unix::fs::symlink(&elsewhere, project.join("target/l")).unwrap_or_default();
        assert!(prepare_out_dir(&project.join("target/l/out"), &project).is_err());
        assert!(!elsewhere.join("out").exists());
        // A link outside the project is the caller's and is followed.
        let caller = tmp.path().join("caller-link");
        std::os::unix::fs::symlink(&elsewhere, &caller).unwrap_or_default();
        let made = prepare_out_dir(&caller.join("out"), &project);
        assert!(made.is_ok_and(|p| p == elsewhere.join("out")));
        // A link where tollgate writes.
        std::os::unix::fs::symlink(&elsewhere, elsewhere.join("out/artifacts")).unwrap_or_default();
        assert!(prepare_out_dir(&elsewhere.join("out"), &project).is_err());
    }

    #[test]
    fn a_toolchain_changed_after_hashing_is_refused() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (rustc, cargo) = (tmp.path().join("rustc"), tmp.path().join("cargo"));
        std::fs::write(&rustc, "rustc").unwrap_or_default();
        std::fs::write(&cargo, "cargo").unwrap_or_default();
        let toolchain = ResolvedToolchain {
            sysroot: tmp.path().to_path_buf(),
            facts: Toolchain {
                rustc_version: String::new(),
                cargo_version: String::new(),
                rustc_sha256: sha256_of(&rustc).unwrap_or_default(),
                cargo_sha256: sha256_of(&cargo).unwrap_or_default(),
            },
            rustc,
            cargo,
            rustup: None,
        };
        assert!(recheck_toolchain(&toolchain).is_ok());
        std::fs::write(&toolchain.cargo, "trojan").unwrap_or_default();
        let err = recheck_toolchain(&toolchain).err().map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.contains("changed during the fetch")),
            "{err:?}"
        );
    }

    #[test]
    fn a_difference_names_its_offset() {
        let d = describe_difference("x", b"abcdef", b"abcXef");
        assert!(d.contains("offset 0x3"), "{d}");
        assert_eq!(elf_sections(b"not an elf"), None);
    }

    #[test]
    fn elf_sections_of_this_test_binary() {
        let exe = std::env::current_exe().unwrap_or_default();
        let bytes = std::fs::read(exe).unwrap_or_default();
        let sections = elf_sections(&bytes).unwrap_or_default();
        assert!(
            sections.iter().any(|(n, _, _)| n == ".text"),
            "{sections:?}"
        );
        let mut other = bytes.clone();
        let (_, text_off, _) = sections
            .iter()
            .find(|(n, _, _)| n == ".text")
            .cloned()
            .unwrap_or_default();
        other[text_off + 1] ^= 0xff;
        let d = describe_difference("t", &bytes, &other);
        assert!(d.contains("(in .text)"), "{d}");
        assert!(d.contains("ELF sections that differ: .text"), "{d}");
    }
}
