//! What the end-to-end tests share: the repository root, the `tollgate`
//! command line every test runs ([`Tollgate`], [`tollgate`]), and the
//! services they start and stop (the local Sigstore stand-in,
//! `@sigstore/mock` served by `tests/js/sigstore-mock-server.js`; Debian's
//! `docker-registry`). A module of the one test binary, `tests/e2e.rs`.

use base64::Engine;
use std::ffi::OsStr;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// The repository root (the tests run from `cli/`).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The `SOURCE_DATE_EPOCH` of the tests that pin their timestamps
/// (2023-11-14T22:13:20Z): attestations, bundles and their verification.
pub const EPOCH: &str = "1700000000";

/// Variables of the environment running the tests that change what
/// `tollgate` does, removed from every run: an ambient identity token or
/// key password, a CI that is not this one, a fixed clock, a PKCS#11
/// token, colour preferences. A test that wants one sets it with
/// [`Tollgate::env`].
const AMBIENT: &[&str] = &[
    "SOURCE_DATE_EPOCH",
    "GITHUB_ACTIONS",
    "COSIGN_PASSWORD",
    "SIGSTORE_ID_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "COSIGN_PKCS11_PIN",
    "COSIGN_PKCS11_MODULE_PATH",
    "NO_COLOR",
];

/// One run of the `tollgate` binary under test, in the manner of
/// ripgrep's `TestCommand`: in a directory, with the ambient variables
/// above removed and `DOCKER_CONFIG` set to that directory (registry
/// credentials never come from the machine's `~/.docker`).
///
/// ```ignore
/// let out = Tollgate::new(d).args(["sign", "app", "--key", "k.key"]).epoch(EPOCH).run();
/// ```
pub struct Tollgate {
    cmd: Command,
    stdin: Option<Vec<u8>>,
}

impl Tollgate {
    /// `tollgate` run in `dir`.
    pub fn new(dir: &Path) -> Tollgate {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tollgate"));
        cmd.current_dir(dir).env("DOCKER_CONFIG", dir);
        for var in AMBIENT {
            cmd.env_remove(var);
        }
        Tollgate { cmd, stdin: None }
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Tollgate {
        self.cmd.arg(arg);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Tollgate
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.cmd.args(args);
        self
    }

    /// Set a variable (the last setting of a name wins, over the removals too).
    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Tollgate {
        self.cmd.env(key, value);
        self
    }

    pub fn envs<'a>(mut self, vars: impl IntoIterator<Item = &'a (&'a str, &'a str)>) -> Tollgate {
        for (k, v) in vars {
            self.cmd.env(k, v);
        }
        self
    }

    pub fn env_remove(mut self, key: &str) -> Tollgate {
        self.cmd.env_remove(key);
        self
    }

    /// `SOURCE_DATE_EPOCH`: the clock of timestamps in what tollgate writes.
    pub fn epoch(self, seconds: &str) -> Tollgate {
        self.env("SOURCE_DATE_EPOCH", seconds)
    }

    /// Standard input (otherwise none: `Command::output` gives `/dev/null`).
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Tollgate {
        self.stdin = Some(bytes.into());
        self
    }

    /// The command as set up so far, for a test that spawns it itself.
    pub fn command(self) -> Command {
        self.cmd
    }

    /// Run to completion; the output whatever the exit status.
    pub fn run(mut self) -> Output {
        let Some(input) = self.stdin else {
            return self.cmd.output().expect("the tollgate binary runs");
        };
        let mut child = self
            .cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the tollgate binary runs");
        let mut pipe = child.stdin.take().expect("stdin is piped");
        // Written from a thread: tollgate may fill its output pipes before
        // it has read all of its input.
        let writer = std::thread::spawn(move || {
            // A tollgate that stops reading early is the test's to judge.
            let _ = pipe.write_all(&input);
        });
        let out = child.wait_with_output().expect("the tollgate binary runs");
        writer.join().expect("the stdin writer does not panic");
        out
    }
}

/// Run `cmd` (a tool the tests drive: skopeo, Python, the binary) and
/// assert that it succeeded, showing its standard error if not.
pub fn succeeded(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("the command runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `tollgate ARGS` in `dir`, as [`Tollgate`] sets it up.
pub fn tollgate(args: &[&str], dir: &Path) -> Output {
    Tollgate::new(dir).args(args).run()
}

/// The RustSec snapshot in `../shared` beside the repository.
pub fn advisory_db() -> PathBuf {
    repo_root().join("../shared/advisory-db")
}

/// `tollgate ci PROJECT --keyless` in `dir`, signing through the Sigstore
/// stand-in with `token`, offline against the shared advisory database,
/// with a JSON summary on standard output; `extra` adds the subjects,
/// policy and output directory.
pub fn ci_keyless(dir: &Path, mock: &Mock, token: &str, extra: &[&str]) -> Output {
    let db = advisory_db();
    Tollgate::new(dir)
        .args([
            "ci",
            "--keyless",
            "--fulcio-url",
            &mock.url,
            "--rekor-url",
            &mock.url,
            "--advisory-db",
            db.to_str().unwrap_or_default(),
            "--offline",
            "--format",
            "json",
        ])
        .args(extra)
        .env("SIGSTORE_ID_TOKEN", token)
        .run()
}

pub fn js_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/js");
    assert!(
        dir.join("node_modules/@sigstore/mock").is_dir(),
        "run `npm ci --prefix tests/js` (scripts/test does)"
    );
    dir
}

/// Fulcio and Rekor stand-ins on 127.0.0.1; killed when dropped.
pub struct Mock {
    child: Child,
    pub url: String,
    /// The trusted root matching the mock's keys.
    pub root: PathBuf,
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start_mock(dir: &Path) -> Mock {
    let root = dir.join("mock-trusted-root.json");
    let mut child = Command::new("node")
        .arg(js_dir().join("sigstore-mock-server.js"))
        .arg(&root)
        .stdout(Stdio::piped())
        .spawn()
        .expect("node is required");
    let mut line = String::new();
    if let Some(stdout) = child.stdout.take() {
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("mock server output");
    }
    let url = serde_json::from_str::<serde_json::Value>(&line)
        .expect("mock server prints {\"url\": ..}")["url"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    Mock { child, url, root }
}

/// An unsigned JWT with these claims (Fulcio's stand-in does not check signatures).
pub fn fake_jwt(claims: serde_json::Value) -> String {
    let b = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    format!(
        "{}.{}.sig",
        b(serde_json::json!({"alg": "none"})),
        b(claims)
    )
}

/// A cargo project with no dependencies, committed (provenance needs git).
pub fn cargo_project(dir: &Path) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"svc\"\nversion = \"1.0.0\"\nedition = \"2021\"\nlicense = \"MIT\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("Cargo.lock"),
        "# This file is automatically @generated by Cargo.\n# It is not intended for manual editing.\nversion = 4\n\n[[package]]\nname = \"svc\"\nversion = \"1.0.0\"\n",
    )
    .unwrap();
    std::fs::write(dir.join("src/main.rs"), "fn main() {}\n").unwrap();
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["add", "."],
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "commit",
            "-q",
            "-m",
            "release",
        ],
    ] {
        assert!(Command::new("git")
            .args(args)
            .current_dir(dir)
            .status()
            .unwrap()
            .success());
    }
}

/// Debian's `docker-registry` on a free loopback port, storing under `dir`;
/// stopped when dropped.
pub struct Registry {
    child: std::process::Child,
    pub host: String,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start_registry(dir: &Path) -> Registry {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let storage = dir.join("registry-storage");
    std::fs::create_dir_all(&storage).unwrap();
    let config = dir.join("registry.yml");
    std::fs::write(&config, format!("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n", storage.display())).unwrap();
    let child = Command::new("docker-registry")
        .arg("serve")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect(
            "docker-registry is required (scripts/test installs docker-registry, skopeo and umoci)",
        );
    let registry = Registry {
        child,
        host: format!("127.0.0.1:{port}"),
    };
    for _ in 0..100 {
        if std::net::TcpStream::connect(&registry.host).is_ok() {
            return registry;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let host = registry.host.clone();
    panic!("docker-registry did not start on {host}");
}

/// A one-layer image with `/app.txt` = `content`, made with umoci and
/// pushed with skopeo to `registry` as `reference`.
pub fn push_image(dir: &Path, registry: &Registry, reference: &str, content: &str) {
    push_image_to(dir, &registry.host, reference, content)
}

/// `push_image` to a registry given by its `host:port` (e.g. one behind a
/// proxy the test started itself).
pub fn push_image_to(dir: &Path, host: &str, reference: &str, content: &str) {
    let name = format!("{}-{}", reference.replace(['/', ':'], "-"), content.len());
    let layout = dir.join(format!("layout-{name}"));
    let run = |cmd: &mut Command| {
        let out = cmd
            .output()
            .expect("umoci and skopeo are required (scripts/test installs them)");
        assert!(
            out.status.success(),
            "{:?}: {}",
            cmd,
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(Command::new("umoci")
        .arg("init")
        .arg("--layout")
        .arg(&layout));
    let image = format!("{}:latest", layout.display());
    run(Command::new("umoci").args(["new", "--image", &image]));
    let bundle = dir.join(format!("bundle-{name}"));
    run(Command::new("umoci")
        .args(["unpack", "--rootless", "--image", &image])
        .arg(&bundle));
    std::fs::write(bundle.join("rootfs/app.txt"), content).unwrap();
    run(Command::new("umoci")
        .args(["repack", "--image", &image])
        .arg(&bundle));
    run(Command::new("skopeo").args([
        "copy",
        "--quiet",
        "--dest-tls-verify=false",
        &format!("oci:{image}"),
        &format!("docker://{host}/{reference}"),
    ]));
}
