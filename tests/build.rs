//! `tollgate build` end to end, with real effects: a build script that
//! reaches for a listener on 127.0.0.1 is stopped by the network sandbox
//! (and the listener sees nothing), and reaches it without the sandbox; a
//! secret in the caller's environment does not reach a build script; two
//! builds in different directories are byte-identical; the provenance
//! validates against the SLSA v1 schema and lists every crate in
//! `Cargo.lock`; the deploy gate requires what the build recorded.
//!
//! The projects are tiny: one binary, a path dependency and a vendored
//! "crates.io" dependency (a directory source), so nothing is downloaded.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use crate::support::{tollgate, Tollgate};
use serde_json::Value;
use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// The vendored dependency's `.crate` checksum, as Cargo.lock records it.
fn tinydep_checksum() -> String {
    sha256_hex(b"tinydep-1.0.0")
}

fn write(path: &Path, content: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

/// `app`: a binary depending on a path crate and a vendored crates.io
/// crate; its build script passes `TOLLGATE_TEST_SECRET` (as it sees it)
/// into the binary, and runs `extra` (say, a network connection).
fn project(dir: &Path, extra_build_code: &str) {
    write(
        &dir.join("Cargo.toml"),
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\nlicense = \"MIT\"\n\n[dependencies]\ntinydep = \"1.0\"\nhelper = { path = \"helper\" }\n",
    );
    write(
        &dir.join("build.rs"),
        &format!(
            "fn main() {{\n    println!(\"cargo:rustc-env=SEEN_SECRET={{}}\", std::env::var(\"TOLLGATE_TEST_SECRET\").unwrap_or_default());\n    {extra_build_code}\n}}\n"
        ),
    );
    write(
        &dir.join("src/main.rs"),
        "fn main() {\n    println!(\"secret=[{}] {} {}{}\", env!(\"SEEN_SECRET\"), helper::greet(), tinydep::TINY, option_env!(\"EXTRA\").unwrap_or(\"\"));\n}\n",
    );
    write(
        &dir.join("helper/Cargo.toml"),
        "[package]\nname = \"helper\"\nversion = \"0.3.0\"\nedition = \"2021\"\nlicense = \"MIT\"\n",
    );
    write(
        &dir.join("helper/src/lib.rs"),
        "pub fn greet() -> &'static str {\n    \"hello\"\n}\n",
    );
    // The vendored "crates.io" crate and its source replacement live in
    // the cargo home (the caller's, trusted); a project's own cargo config
    // may not replace sources.
    let cargo_home = dir.parent().unwrap().join("cargo-home");
    write(
        &cargo_home.join("vendor/tinydep/Cargo.toml"),
        "[package]\nname = \"tinydep\"\nversion = \"1.0.0\"\nedition = \"2021\"\nlicense = \"MIT\"\n",
    );
    write(
        &cargo_home.join("vendor/tinydep/src/lib.rs"),
        "pub const TINY: u32 = 7;\n",
    );
    write(
        &cargo_home.join("vendor/tinydep/.cargo-checksum.json"),
        &format!("{{\"files\":{{}},\"package\":\"{}\"}}", tinydep_checksum()),
    );
    write(
        &cargo_home.join("config.toml"),
        &format!(
            "[source.crates-io]\nreplace-with = \"vendored\"\n\n[source.vendored]\ndirectory = \"{}\"\n",
            cargo_home.join("vendor").display()
        ),
    );
    write(&dir.join(".gitignore"), "target/\n");
    let ok = Command::new("cargo")
        .args(["generate-lockfile", "--offline", "-q"])
        .current_dir(dir)
        .env("CARGO_HOME", &cargo_home)
        .status()
        .unwrap();
    assert!(ok.success(), "cargo generate-lockfile");
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["remote", "add", "origin", "https://github.com/example/app"],
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

/// A built project: its directory, output directory and key.
struct Built {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    out: PathBuf,
}

impl Built {
    fn provenance(&self) -> Value {
        serde_json::from_slice(&std::fs::read(self.out.join("provenance.json")).unwrap()).unwrap()
    }

    fn artifact(&self) -> PathBuf {
        self.out.join("artifacts/app")
    }
}

fn keys(dir: &Path) {
    std::fs::write(dir.join("pw"), "pw").unwrap();
    let out = tollgate(
        &[
            "key",
            "generate",
            "--password-file",
            "pw",
            "--output-key-prefix",
            "builder",
        ],
        dir,
    );
    assert!(out.status.success(), "{}", text(&out));
}

/// Write `app` (with `extra` in its build script) in a fresh directory.
fn setup(extra: &str) -> Built {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("app");
    project(&dir, extra);
    keys(tmp.path());
    Built {
        out: tmp.path().join("out"),
        dir,
        _tmp: tmp,
    }
}

fn build(b: &Built, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let out = b.out.display().to_string();
    let home = b.dir.join("../cargo-home").display().to_string();
    let key = b.dir.join("../builder.key").display().to_string();
    let pw = b.dir.join("../pw").display().to_string();
    let mut args = vec![
        "build",
        ".",
        "--out",
        &out,
        "--cargo-home",
        &home,
        "--key",
        &key,
        "--password-file",
        &pw,
    ];
    args.extend_from_slice(extra);
    Tollgate::new(&b.dir).envs(env).args(&args).run()
}

fn policy(b: &Built, provenance: &str) -> PathBuf {
    let pem = std::fs::read_to_string(b.dir.join("../builder.pub")).unwrap();
    let indented: String = pem.lines().map(|l| format!("      {l}\n")).collect();
    let path = b.dir.join(format!(
        "../policy-{}.yaml",
        sha256_hex(provenance.as_bytes())
    ));
    std::fs::write(
        &path,
        format!(
            "apiVersion: tollgate.dev/v1\nkind: Policy\nname: build\nauthorities:\n  - name: builder\n    key: |\n{indented}    allowUnlogged: true\nattestations:\n  - type: provenance\n    provenance:\n{provenance}"
        ),
    )
    .unwrap();
    path
}

fn verify(b: &Built, policy: &Path, bundles: &[&Path]) -> (Option<i32>, String) {
    let artifact = b.artifact().display().to_string();
    let policy = policy.display().to_string();
    let mut args = vec!["verify".to_string(), artifact, "--policy".into(), policy];
    for bundle in bundles {
        args.push("--bundle".into());
        args.push(bundle.display().to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = tollgate(&args, &b.dir);
    (out.status.code(), text(&out))
}

/// A listener on 127.0.0.1 that records whether anything connected.
fn listener() -> (TcpListener, String) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.set_nonblocking(true).unwrap();
    let addr = l.local_addr().unwrap().to_string();
    (l, addr)
}

fn connected(l: &TcpListener) -> bool {
    match l.accept() {
        Ok(_) => true,
        Err(e) if e.kind() == ErrorKind::WouldBlock => false,
        Err(e) => panic!("accept: {e}"),
    }
}

/// The red team's escapes (F1, F2): a build script that looks through
/// /proc for the caller's environment and tries `nsenter -t PID -n` into
/// every process it sees (tollgate's own is in the host's network
/// namespace), reads a file in the caller's home; a `.cargo/config.toml`
/// in a parent directory of the project whose `[env]` would set the
/// secret; and a `rust-toolchain.toml` naming a `path` toolchain that is a wrapper. In
/// the sandbox none of it works and the build is the caller's toolchain;
/// without it the same build script finds the secret (the control).
#[test]
fn a_build_script_cannot_escape_the_sandbox() {
    const BUILD_RS: &str = r#"
    let secret = "hunter2-escape";
    let mut leaks = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let pid = e.file_name().to_string_lossy().into_owned();
        if !pid.bytes().all(|b| b.is_ascii_digit()) { continue; }
        let env = std::fs::read(format!("/proc/{}/environ", pid)).unwrap_or_default();
        if String::from_utf8_lossy(&env).contains(secret) { leaks.push(format!("environ of pid {}", pid)); }
        let entered = std::process::Command::new("nsenter").args(["-t", &pid, "-n", "true"])
            .stderr(std::process::Stdio::null()).status().map(|s| s.success()).unwrap_or(false);
        if entered { leaks.push(format!("nsenter -t {} -n", pid)); }
    }
    if std::fs::read("CALLER_HOME/secret.txt").is_ok() { leaks.push("the caller's home".to_string()); }
    if !leaks.is_empty() { panic!("LEAK: {:?}", leaks); }
"#;
    let tmp_home = tempfile::tempdir().unwrap();
    let caller_home = tmp_home.path().join("callerhome");
    write(&caller_home.join("secret.txt"), "ssh key");
    write(
        &caller_home.join(".cargo/config.toml"),
        "[env]\nTOLLGATE_TEST_SECRET = \"home-config-leak\"\n",
    );
    let b = setup(&BUILD_RS.replace("CALLER_HOME", caller_home.to_str().unwrap()));
    // A parent directory's cargo config.
    write(
        &b.dir.join("../.cargo/config.toml"),
        "[env]\nTOLLGATE_TEST_SECRET = \"parent-config-leak\"\n",
    );
    // (A rustc wrapper in the project's own config is refused outright:
    // `a_project_cargo_config_that_runs_code_or_swaps_sources_is_refused`.)
    // A toolchain of the project's own making.
    let fake = b.dir.join("../faketc");
    let marker = b.dir.join("../faketc-ran");
    for tool in ["rustc", "cargo"] {
        let real = String::from_utf8(
            Command::new("rustup")
                .args(["which", tool])
                .current_dir("/")
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap();
        let path = fake.join("bin").join(tool);
        write(
            &path,
            &format!(
                "#!/bin/sh\ntouch {}\nexec {} \"$@\"\n",
                marker.display(),
                real.trim()
            ),
        );
        assert!(Command::new("chmod")
            .arg("755")
            .arg(&path)
            .status()
            .unwrap()
            .success());
    }
    write(
        &b.dir.join("rust-toolchain.toml"),
        &format!("[toolchain]\npath = \"{}\"\n", fake.display()),
    );

    let env = [
        ("TOLLGATE_TEST_SECRET", "hunter2-escape"),
        ("HOME", caller_home.to_str().unwrap()),
    ];
    let out = build(&b, &[], &env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run = Command::new(b.artifact()).output().unwrap();
    let said = String::from_utf8_lossy(&run.stdout).into_owned();
    assert_eq!(said.trim(), "secret=[] hello 7", "{said}");
    assert!(!marker.exists(), "the project's toolchain ran");
    let p = b.provenance();
    let facts = &p["predicate"]["buildDefinition"]["internalParameters"]["build"];
    let sysroot = String::from_utf8(
        Command::new("rustc")
            .args(["--print", "sysroot"])
            .current_dir("/")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let rustc = std::fs::read(Path::new(sysroot.trim()).join("bin/rustc")).unwrap();
    assert_eq!(facts["toolchain"]["rustcSha256"], sha256_hex(&rustc));
    assert_eq!(facts["sandbox"], "bwrap");
    assert!(text(&out).contains("rust-toolchain.toml in the project is not followed"));

    // The control: without the sandbox the build script finds the secret
    // in tollgate's environment, so the build above would have seen it.
    // (Every build has a fresh target directory: the build script runs
    // again.)
    let out = build(&b, &["--no-sandbox"], &env);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("LEAK: "), "{}", text(&out));
    assert!(text(&out).contains("environ of pid"), "{}", text(&out));
}

#[test]
fn the_sandbox_cuts_a_build_script_off_from_the_network() {
    let (l, addr) = listener();
    let b = setup(&format!(
        "std::net::TcpStream::connect(\"{addr}\").expect(\"build.rs: connect\");"
    ));
    let out = build(&b, &[], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("in the network sandbox"),
        "{}",
        text(&out)
    );
    assert!(
        !connected(&l),
        "the listener saw a connection from the sandbox"
    );
    assert!(
        !b.out.join("provenance.json").exists(),
        "a failed build wrote provenance"
    );

    // Without the sandbox the same build script reaches the listener, so
    // the failure above was the sandbox's doing; the provenance says so.
    let out = build(&b, &["--no-sandbox"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        connected(&l),
        "without the sandbox the build script connects"
    );
    let p = b.provenance();
    let facts = &p["predicate"]["buildDefinition"]["internalParameters"]["build"];
    assert_eq!(facts["hermetic"], false);
    assert_eq!(facts["sandbox"], "none");
    assert_eq!(
        p["predicate"]["buildDefinition"]["externalParameters"]["sandbox"],
        "disabled"
    );

    // The gate: a policy that requires a hermetic build denies this one,
    // and admits it when it does not ask.
    let bundle = b.out.join("provenance.sigstore.json");
    let (code, output) = verify(&b, &policy(&b, "      hermetic: true\n"), &[&bundle]);
    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("not hermetic"), "{output}");
    let (code, output) = verify(
        &b,
        &policy(
            &b,
            "      sourceRepositories: [\"https://github.com/example/app\"]\n",
        ),
        &[&bundle],
    );
    assert_eq!(code, Some(0), "{output}");
}

#[test]
fn without_a_sandbox_tool_the_build_fails_closed() {
    let b = setup("");
    let empty = b.dir.join("../empty-path");
    std::fs::create_dir_all(&empty).unwrap();
    let out = build(&b, &[], &[("PATH", empty.to_str().unwrap())]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("no sandbox: `bwrap`"), "{}", text(&out));
    assert!(text(&out).contains("--no-sandbox"), "{}", text(&out));
    assert!(!b.out.join("provenance.json").exists());

    // A `bwrap` that isolates nothing (it drops its options and runs the
    // command as is), and one that is the first version's sandbox
    // (`unshare -n` as root: host PID namespace, full capabilities, so a
    // build script could `nsenter` back), do not pass the probe: the
    // build fails closed.
    let fake = b.dir.join("../fake-bwrap");
    for (runner, says) in [
        ("", "expected only `lo`"),
        ("unshare -n ", "pid namespace inside"),
        (
            "unshare -n --user --map-root-user --pid --fork --mount-proc --mount ",
            "would have capabilities",
        ),
    ] {
        write(
            &fake.join("bwrap"),
            &format!(
                "#!/bin/sh\nwhile [ \"$1\" != -- ]; do shift; done\nshift\nexec {runner}\"$@\"\n"
            ),
        );
        assert!(Command::new("chmod")
            .arg("755")
            .arg(fake.join("bwrap"))
            .status()
            .unwrap()
            .success());
        let path = format!("{}:{}", fake.display(), std::env::var("PATH").unwrap());
        let out = build(&b, &[], &[("PATH", &path)]);
        assert_eq!(out.status.code(), Some(2), "{runner}: {}", text(&out));
        assert!(text(&out).contains(says), "{runner}: {}", text(&out));
        assert!(!b.out.join("provenance.json").exists());
    }
}

/// SLSA provenance v1 (https://slsa.dev/spec/v1.0/provenance) in an
/// in-toto Statement v1, as JSON schema: the fields the specification
/// defines, their types, and which are required.
fn slsa_v1_schema() -> Value {
    let descriptor = serde_json::json!({
        "type": "object",
        "properties": {
            "uri": { "type": "string", "minLength": 1 },
            "digest": {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": { "type": "string", "pattern": "^[0-9a-f]+$" }
            },
            "name": { "type": "string" },
            "downloadLocation": { "type": "string" },
            "mediaType": { "type": "string" },
            "content": { "type": "string" },
            "annotations": { "type": "object" }
        },
        "additionalProperties": false,
        "anyOf": [
            { "required": ["uri"] },
            { "required": ["digest"] },
            { "required": ["content"] }
        ]
    });
    let timestamp = serde_json::json!({
        "type": "string",
        "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$"
    });
    serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["_type", "subject", "predicateType", "predicate"],
        "additionalProperties": false,
        "properties": {
            "_type": { "const": "https://in-toto.io/Statement/v1" },
            "predicateType": { "const": "https://slsa.dev/provenance/v1" },
            "subject": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["name", "digest"],
                    "properties": {
                        "name": { "type": "string" },
                        "digest": {
                            "type": "object",
                            "minProperties": 1,
                            "additionalProperties": { "type": "string", "pattern": "^[0-9a-f]+$" }
                        }
                    }
                }
            },
            "predicate": {
                "type": "object",
                "required": ["buildDefinition", "runDetails"],
                "additionalProperties": false,
                "properties": {
                    "buildDefinition": {
                        "type": "object",
                        "required": ["buildType", "externalParameters"],
                        "additionalProperties": false,
                        "properties": {
                            "buildType": { "type": "string", "pattern": "^[a-z][a-z0-9+.-]*:" },
                            "externalParameters": { "type": "object" },
                            "internalParameters": { "type": "object" },
                            "resolvedDependencies": { "type": "array", "items": descriptor }
                        }
                    },
                    "runDetails": {
                        "type": "object",
                        "required": ["builder"],
                        "additionalProperties": false,
                        "properties": {
                            "builder": {
                                "type": "object",
                                "required": ["id"],
                                "additionalProperties": false,
                                "properties": {
                                    "id": { "type": "string", "pattern": "^[a-z][a-z0-9+.-]*:" },
                                    "version": { "type": "object" },
                                    "builderDependencies": { "type": "array", "items": descriptor }
                                }
                            },
                            "metadata": {
                                "type": "object",
                                "additionalProperties": false,
                                "properties": {
                                    "invocationId": { "type": "string" },
                                    "startedOn": timestamp,
                                    "finishedOn": timestamp
                                }
                            },
                            "byproducts": { "type": "array", "items": descriptor }
                        }
                    }
                }
            }
        }
    })
}

#[test]
fn a_hermetic_reproducible_build_and_its_provenance() {
    let b = setup("");
    let secret = "hunter2-do-not-leak";
    let out = build(
        &b,
        &["--reproducible-check"],
        &[("TOLLGATE_TEST_SECRET", secret)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("byte-identical"), "{}", text(&out));

    // The build script did not see the caller's secret; the binary runs.
    let run = Command::new(b.artifact()).output().unwrap();
    let said = String::from_utf8_lossy(&run.stdout).into_owned();
    assert_eq!(said.trim(), "secret=[] hello 7", "{said}");
    // Control: a plain cargo build of the same project passes it through,
    // so the check above can see a leak.
    let plain = Command::new("cargo")
        .args(["build", "--offline", "--locked", "-q"])
        .current_dir(&b.dir)
        .env("CARGO_HOME", b.dir.join("../cargo-home"))
        .env("CARGO_TARGET_DIR", b.dir.join("../plain-target"))
        .env("TOLLGATE_TEST_SECRET", secret)
        .status()
        .unwrap();
    assert!(plain.success());
    let leaked = Command::new(b.dir.join("../plain-target/debug/app"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&leaked.stdout).contains(secret));

    let p = b.provenance();
    // The SLSA v1 schema.
    let schema = slsa_v1_schema();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&p)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    // Subjects are the artifact's digests.
    let artifact = std::fs::read(b.artifact()).unwrap();
    assert_eq!(p["subject"][0]["name"], "app");
    assert_eq!(p["subject"][0]["digest"]["sha256"], sha256_hex(&artifact));

    // Every Cargo.lock package is a resolved dependency, with its checksum.
    let lock: toml::Value =
        toml::from_str(&std::fs::read_to_string(b.dir.join("Cargo.lock")).unwrap()).unwrap();
    let deps = p["predicate"]["buildDefinition"]["resolvedDependencies"]
        .as_array()
        .unwrap();
    let packages = lock["package"].as_array().unwrap();
    assert_eq!(packages.len(), 3, "{packages:?}");
    for package in packages {
        let name = package["name"].as_str().unwrap();
        let version = package["version"].as_str().unwrap();
        let purl = format!("{name}@{version}");
        let d = deps
            .iter()
            .find(|d| lists(d, name, version))
            .unwrap_or_else(|| panic!("{purl} is not a resolved dependency: {deps:#?}"));
        match package.get("checksum").and_then(|c| c.as_str()) {
            Some(sum) => {
                assert_eq!(d["digest"]["sha256"], sum);
                assert_eq!(
                    d["downloadLocation"],
                    format!("https://static.crates.io/crates/{name}/{name}-{version}.crate")
                );
            }
            None => assert_eq!(d["annotations"]["source"], "path"),
        }
    }
    assert_eq!(
        deps.iter()
            .find(|d| d["uri"] == "pkg:cargo/tinydep@1.0.0")
            .unwrap()["digest"]["sha256"],
        tinydep_checksum()
    );
    // The git source.
    assert!(deps.iter().any(|d| d["uri"]
        .as_str()
        .is_some_and(|u| u.starts_with("git+https://github.com/example/app@refs/heads/main"))));

    // The toolchain: versions, and the real binaries' digests.
    let facts = &p["predicate"]["buildDefinition"]["internalParameters"]["build"];
    assert_eq!(facts["hermetic"], true);
    assert_eq!(facts["sandbox"], "bwrap", "{facts}");
    assert_eq!(facts["environment"]["RUSTC_WRAPPER"], "", "{facts}");
    assert_eq!(facts["auditable"], true);
    assert_eq!(facts["reproducible"]["checked"], true);
    assert_eq!(facts["reproducible"]["identical"], true);
    let sysroot = String::from_utf8(
        Command::new("rustc")
            .args(["--print", "sysroot"])
            .current_dir(&b.dir)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let rustc = std::fs::read(Path::new(sysroot.trim()).join("bin/rustc")).unwrap();
    assert_eq!(facts["toolchain"]["rustcSha256"], sha256_hex(&rustc));
    let vv = String::from_utf8(
        Command::new("rustc")
            .arg("-vV")
            .current_dir(&b.dir)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(facts["toolchain"]["rustcVersion"], vv.trim_end());
    assert!(facts["toolchain"]["cargoVersion"]
        .as_str()
        .unwrap()
        .starts_with("cargo "));
    // The environment the build saw is the allow-list, and no secret.
    let env = facts["environment"].as_object().unwrap();
    assert!(!env.contains_key("TOLLGATE_TEST_SECRET"));
    for name in [
        "PATH",
        "HOME",
        "CARGO_HOME",
        "SOURCE_DATE_EPOCH",
        "CARGO_ENCODED_RUSTFLAGS",
    ] {
        assert!(env.contains_key(name), "{name} not recorded: {env:?}");
    }
    let release = vv
        .lines()
        .find_map(|l| l.strip_prefix("release: "))
        .unwrap()
        .to_string();

    // cargo-auditable's dependency list is in the binary.
    let sbom = tollgate(
        &["sbom", "from-binary", b.artifact().to_str().unwrap()],
        &b.dir,
    );
    assert!(sbom.status.success(), "{}", text(&sbom));
    assert!(String::from_utf8_lossy(&sbom.stdout).contains("tinydep"));

    // The gate: hermetic, reproducible and this toolchain are admitted...
    let bundle = b.out.join("provenance.sigstore.json");
    let good = policy(
        &b,
        &format!(
            "      hermetic: true\n      reproducible: true\n      toolchains: [\"{release}\"]\n"
        ),
    );
    let (code, output) = verify(&b, &good, &[&bundle]);
    assert_eq!(code, Some(0), "{output}");
    // ...another toolchain is not.
    let (code, output) = verify(
        &b,
        &policy(&b, "      toolchains: [\"1.0.0\"]\n"),
        &[&bundle],
    );
    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("toolchain rustc"), "{output}");

    // matchSbom: the SBOM of this project agrees with the provenance; an
    // SBOM that leaves a crate out does not.
    let sbom_path = b.dir.join("../sbom.json");
    let made = Tollgate::new(&b.dir)
        .env("CARGO_HOME", b.dir.join("../cargo-home"))
        .args(["sbom", ".", "--offline", "-o", sbom_path.to_str().unwrap()])
        .run();
    assert!(made.status.success(), "{}", text(&made));
    let attest_sbom = |sbom: &Path, bundle: &Path| {
        let out = tollgate(
            &[
                "attest",
                "sbom",
                "--sbom",
                sbom.to_str().unwrap(),
                "--key",
                "../builder.key",
                "--password-file",
                "../pw",
                "--bundle",
                bundle.to_str().unwrap(),
                b.artifact().to_str().unwrap(),
            ],
            &b.dir,
        );
        assert!(out.status.success(), "{}", text(&out));
    };
    let sbom_bundle = b.dir.join("../sbom.sigstore.json");
    attest_sbom(&sbom_path, &sbom_bundle);
    let match_policy = policy(&b, "      matchSbom: true\n");
    let (code, output) = verify(&b, &match_policy, &[&bundle, &sbom_bundle]);
    assert_eq!(code, Some(0), "{output}");
    let mut doc: Value = serde_json::from_slice(&std::fs::read(&sbom_path).unwrap()).unwrap();
    doc["components"]
        .as_array_mut()
        .unwrap()
        .retain(|c| c["name"] != "tinydep");
    let short = b.dir.join("../sbom-short.json");
    std::fs::write(&short, serde_json::to_vec(&doc).unwrap()).unwrap();
    let short_bundle = b.dir.join("../sbom-short.sigstore.json");
    attest_sbom(&short, &short_bundle);
    let (code, output) = verify(&b, &match_policy, &[&bundle, &short_bundle]);
    assert_eq!(code, Some(1), "{output}");
    assert!(
        output.contains("only in the provenance: [tinydep@1.0.0]"),
        "{output}"
    );
    // The red team's SBOMs (F4): each a spelling or source of a package
    // that name-and-version matching took for the provenance's; each denied.
    fn tinydep(doc: &mut Value) -> &mut Value {
        doc["components"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|c| c["name"] == "tinydep")
            .unwrap()
    }
    type Doctor = fn(&mut Value);
    fn mark_source(c: &mut Value, source: &str) {
        for p in c["properties"].as_array_mut().unwrap() {
            if p["name"] == "tollgate:cargo:source" {
                p["value"] = source.into();
            }
        }
    }
    let cases: [(&str, Doctor); 8] = [
        ("upper-case type", |d| {
            d["components"].as_array_mut().unwrap().push(serde_json::json!(
                { "type": "library", "name": "evil", "version": "6.6.6", "purl": "PKG:CARGO/evil@6.6.6" }
            ));
        }),
        ("another registry", |d| {
            tinydep(d)["purl"] =
                "pkg:cargo/tinydep@1.0.0?repository_url=https%3A%2F%2Fevil.example%2Findex".into();
        }),
        ("an npm purl", |d| {
            tinydep(d)["purl"] = "pkg:npm/tinydep@1.0.0".into();
        }),
        ("no purl", |d| {
            tinydep(d).as_object_mut().unwrap().remove("purl");
        }),
        ("encoded name", |d| {
            tinydep(d)["purl"] = "pkg:cargo/tinyde%70@1.0.0".into();
        }),
        ("name and purl disagree", |d| {
            tinydep(d)["name"] = "tinydep2".into();
        }),
        // A path package and a crates.io crate of one name and version
        // share a purl: the SBOM must say which it means.
        ("the path package said to be from crates.io", |d| {
            let helper = d["components"]
                .as_array_mut()
                .unwrap()
                .iter_mut()
                .find(|c| c["name"] == "helper")
                .unwrap();
            mark_source(helper, "crates.io");
        }),
        ("a crates.io crate said to be a path package", |d| {
            mark_source(tinydep(d), "path");
        }),
    ];
    for (i, (what, doctor)) in cases.into_iter().enumerate() {
        let mut doc: Value = serde_json::from_slice(&std::fs::read(&sbom_path).unwrap()).unwrap();
        doctor(&mut doc);
        let path = b.dir.join(format!("../sbom-bad-{i}.json"));
        std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();
        let bad_bundle = b.dir.join(format!("../sbom-bad-{i}.sigstore.json"));
        attest_sbom(&path, &bad_bundle);
        let (code, output) = verify(&b, &match_policy, &[&bundle, &bad_bundle]);
        assert_eq!(code, Some(1), "{what}: {output}");
        assert!(output.contains("matchSbom"), "{what}: {output}");
    }
    // No SBOM at all: denied, not skipped.
    let (code, output) = verify(&b, &match_policy, &[&bundle]);
    assert_eq!(code, Some(1), "{output}");
}

/// A build that embeds its own directory is not reproducible: the check
/// says where the artifacts differ, exits 1, and the provenance records it,
/// so a policy that requires reproducibility denies it.
#[test]
fn an_irreproducible_build_is_reported_and_denied() {
    let b = setup(
        "println!(\"cargo:rustc-env=EXTRA= built in {}\", std::env::var(\"CARGO_MANIFEST_DIR\").unwrap());",
    );
    let out = build(&b, &["--reproducible-check"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("not reproducible: app: "), "{said}");
    assert!(said.contains("first difference at offset 0x"), "{said}");
    assert!(said.contains("ELF sections that differ: "), "{said}");
    assert!(said.contains(".rodata"), "{said}");
    let p = b.provenance();
    let r = &p["predicate"]["buildDefinition"]["internalParameters"]["build"]["reproducible"];
    assert_eq!(r["checked"], true);
    assert_eq!(r["identical"], false);
    assert!(
        r["differences"][0].as_str().unwrap().starts_with("app: "),
        "{r}"
    );
    let bundle = b.out.join("provenance.sigstore.json");
    let (code, output) = verify(&b, &policy(&b, "      reproducible: true\n"), &[&bundle]);
    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("not reproducible"), "{output}");
    let (code, output) = verify(&b, &policy(&b, "      hermetic: true\n"), &[&bundle]);
    assert_eq!(code, Some(0), "{output}");
}

/// Provenance from `tollgate attest provenance` says nothing about how the
/// artifact was built: a policy that asks for a hermetic build denies it.
#[test]
fn provenance_without_build_facts_is_denied_when_they_are_required() {
    let b = setup("");
    std::fs::create_dir_all(b.out.join("artifacts")).unwrap();
    std::fs::write(b.artifact(), b"built some other way").unwrap();
    let bundle = b.dir.join("../attested.sigstore.json");
    let out = tollgate(
        &[
            "attest",
            "provenance",
            "--key",
            "../builder.key",
            "--password-file",
            "../pw",
            "--bundle",
            bundle.to_str().unwrap(),
            b.artifact().to_str().unwrap(),
        ],
        &b.dir,
    );
    assert!(out.status.success(), "{}", text(&out));
    for condition in [
        "      hermetic: true\n",
        "      reproducible: true\n",
        "      toolchains: [\"1.95.0\"]\n",
        "      matchSbom: true\n",
    ] {
        let (code, output) = verify(&b, &policy(&b, condition), &[&bundle]);
        assert_eq!(code, Some(1), "{condition}: {output}");
        assert!(output.contains("is not a `tollgate build`"), "{output}");
    }
}

/// The demo service (`demo/fixed`, the sources `tollgate ci --demo`
/// builds into its archive) builds twice, in different directories, to
/// identical binaries. It fetches about 190 crates from crates.io and
/// compiles them twice in release mode, so it is run on request:
/// `cargo test -p tollgate --test e2e build:: -- --ignored`.
#[test]
#[ignore = "fetches ~190 crates from crates.io and builds them twice (minutes)"]
fn the_demo_builds_reproducibly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../demo/fixed");
    for file in ["Cargo.toml", "Cargo.lock", "src/main.rs"] {
        write(
            &dir.join(file),
            &std::fs::read_to_string(root.join(file)).unwrap(),
        );
    }
    let home = std::env::var("TOLLGATE_BUILD_TEST_CARGO_HOME")
        .unwrap_or_else(|_| tmp.path().join("cargo-home").display().to_string());
    let out = tollgate(
        &[
            "build",
            ".",
            "--reproducible-check",
            "--cargo-home",
            &home,
            "--out",
            tmp.path().join("out").to_str().unwrap(),
        ],
        &dir,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let p: Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("out/provenance.json")).unwrap())
            .unwrap();
    let facts = &p["predicate"]["buildDefinition"]["internalParameters"]["build"];
    assert_eq!(facts["reproducible"]["identical"], true, "{facts}");
    let lock: toml::Value =
        toml::from_str(&std::fs::read_to_string(dir.join("Cargo.lock")).unwrap()).unwrap();
    let deps = p["predicate"]["buildDefinition"]["resolvedDependencies"]
        .as_array()
        .unwrap();
    for package in lock["package"].as_array().unwrap() {
        let name = package["name"].as_str().unwrap();
        let version = package["version"].as_str().unwrap();
        assert!(
            deps.iter().any(|d| lists(d, name, version)),
            "{name}@{version}"
        );
    }
}

/// Is `d` the resolved dependency for this Cargo.lock package? Its purl
/// names it (percent-encoded: `0.11.1+wasi` is `0.11.1%2Bwasi`), and its
/// annotations say the version verbatim.
fn lists(d: &Value, name: &str, version: &str) -> bool {
    let encoded = version.replace('+', "%2B");
    d["name"] == name
        && d["annotations"]["version"] == version
        && d["uri"]
            .as_str()
            .is_some_and(|u| u.starts_with(&format!("pkg:cargo/{name}@{encoded}")))
}

/// A tiny project without dependencies (`name`, a binary) whose build
/// script is `build_rs`; `Cargo.lock` generated offline.
fn tiny(dir: &Path, name: &str, build_rs: &str) {
    write(
        &dir.join("Cargo.toml"),
        &format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
    );
    write(&dir.join("build.rs"), build_rs);
    write(
        &dir.join("src/main.rs"),
        "fn main() {\n    println!(\"{}\", option_env!(\"SEED\").unwrap_or(\"tiny\"));\n}\n",
    );
    let ok = Command::new("cargo")
        .args(["generate-lockfile", "--offline", "-q"])
        .current_dir(dir)
        .env("CARGO_HOME", dir.join("../lock-home"))
        .status()
        .unwrap();
    assert!(ok.success(), "cargo generate-lockfile");
}

/// `tollgate build` of `dir` with a cargo home next to it, no key, no
/// `--out` unless `extra` gives one (so the output is the default
/// `target/tollgate-build` inside the project).
fn build_default(dir: &Path, extra: &[&str]) -> Output {
    let home = dir.join("../cargo-home").display().to_string();
    let mut args = vec!["build", ".", "--no-auditable", "--cargo-home", &home];
    args.extend_from_slice(extra);
    tollgate(&args, dir)
}

fn chmod_x(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// The red team's F1 and F5: a project's `.cargo/config.toml` is read by
/// the fetch (which has the network and ran outside the sandbox, as the
/// caller, with the caller's environment) and by the build. A
/// `[build] rustc-wrapper` ran the project's script during `cargo fetch`
/// (it runs `rustc -vV` through the wrapper); `[source]` replacement built
/// a trojaned vendored crate while the provenance named crates.io's
/// checksum. Every key that chooses a program, a source or the network is
/// refused (exit 2, naming the file and the key) before anything runs;
/// the allowed keys build.
#[test]
fn a_project_cargo_config_that_runs_code_or_swaps_sources_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    tiny(&dir, "p", "fn main() {}\n");
    let marker = tmp.path().join("wrapper-ran");
    let wrapper = dir.join("wrap.sh");
    write(
        &wrapper,
        &format!(
            "#!/bin/sh\necho \"$TOLLGATE_TEST_SECRET\" >> {}\nexec \"$@\"\n",
            marker.display()
        ),
    );
    chmod_x(&wrapper);
    let config = dir.join(".cargo/config.toml");
    let wrapper_config = format!("[build]\nrustc-wrapper = \"{}\"\n", wrapper.display());
    write(&config, &wrapper_config);
    // The attack: a plain `cargo fetch` with this config runs the
    // project's script, and it sees the caller's secret.
    let fetched = Command::new("cargo")
        .args(["fetch", "--locked"])
        .current_dir(&dir)
        .env("CARGO_HOME", tmp.path().join("plain-home"))
        .env("TOLLGATE_TEST_SECRET", "hunter2")
        .env_remove("RUSTC_WRAPPER")
        .status()
        .unwrap();
    assert!(fetched.success());
    assert!(
        std::fs::read_to_string(&marker)
            .unwrap_or_default()
            .contains("hunter2"),
        "the control: cargo fetch ran the wrapper"
    );
    std::fs::remove_file(&marker).unwrap();

    let cases = [
        (wrapper_config.as_str(), "build.rustc-wrapper"),
        ("[build]\nrustc = \"./wrap.sh\"\n", "build.rustc"),
        (
            "[build]\nrustc-workspace-wrapper = \"./wrap.sh\"\n",
            "build.rustc-workspace-wrapper",
        ),
        (
            "[source.crates-io]\nreplace-with = \"vendored\"\n[source.vendored]\ndirectory = \"vendor\"\n",
            "source.crates-io.replace-with",
        ),
        ("paths = [\"../trojan\"]\n", "paths"),
        (
            "[registries.evil]\nindex = \"sparse+https://evil.example/\"\n",
            "registries.evil.index",
        ),
        (
            "[registry]\nglobal-credential-providers = [\"./wrap.sh\"]\n",
            "registry.global-credential-providers",
        ),
        (
            "[credential-alias]\nmine = [\"./wrap.sh\"]\n",
            "credential-alias.mine",
        ),
        ("[net]\ngit-fetch-with-cli = true\n", "net.git-fetch-with-cli"),
        ("[http]\nproxy = \"127.0.0.1:9\"\n", "http.proxy"),
        ("[http]\ncainfo = \"evil.pem\"\n", "http.cainfo"),
        (
            "[target.x86_64-unknown-linux-gnu]\nrunner = \"./wrap.sh\"\n",
            "target.x86_64-unknown-linux-gnu.runner",
        ),
        (
            "[target.'cfg(unix)']\nlinker = \"./wrap.sh\"\n",
            "target.cfg(unix).linker",
        ),
        ("[alias]\nauditable = \"run\"\n", "alias.auditable"),
        (
            "[env]\nLD_PRELOAD = \"./evil.so\"\n",
            "env.LD_PRELOAD",
        ),
        ("[patch.crates-io]\nitoa = { path = \"x\" }\n", "patch.crates-io.itoa"),
    ];
    for (content, key) in cases {
        write(&config, content);
        let out = build_default(&dir, &["--out", tmp.path().join("out").to_str().unwrap()]);
        let said = text(&out);
        assert_eq!(out.status.code(), Some(2), "{key}: {said}");
        assert!(
            said.contains(&format!("{}: refused: {key}", config.display())),
            "{key}: {said}"
        );
        assert!(!marker.exists(), "{key}: the project's script ran");
        assert!(!tmp.path().join("out/provenance.json").exists(), "{key}");
    }
    // `.cargo/config` (no extension), and a config deeper in the project.
    std::fs::remove_file(&config).unwrap();
    for path in [
        dir.join(".cargo/config"),
        dir.join("sub/.cargo/config.toml"),
    ] {
        write(&path, &wrapper_config);
        let out = build_default(&dir, &[]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(
            text(&out).contains(&format!("{}: refused: build.rustc-wrapper", path.display())),
            "{}",
            text(&out)
        );
        std::fs::remove_file(&path).unwrap();
    }
    // A config that is a link (to a file the check would not see).
    std::os::unix::fs::symlink(&wrapper, &config).unwrap();
    let out = build_default(&dir, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("not a regular file"), "{}", text(&out));
    std::fs::remove_file(&config).unwrap();

    // Allowed keys build (rustflags are said to be ignored).
    write(
        &config,
        "[build]\nrustflags = [\"-Cdebuginfo=0\"]\njobs = 1\n[profile.release]\nopt-level = 1\n[term]\nverbose = false\n",
    );
    let out = build_default(&dir, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("rustflags are not applied"),
        "{}",
        text(&out)
    );
    assert!(!marker.exists());
    let run = Command::new(dir.join("target/tollgate-build/artifacts/p"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&run.stdout).trim(), "tiny");

    // The caller's own cargo home config is trusted, but a wrapper there
    // does not run either: the fetch and the build set RUSTC_WRAPPER
    // empty, and nothing is between cargo and the hashed rustc.
    std::fs::remove_file(&config).unwrap();
    write(&tmp.path().join("cargo-home/config.toml"), &wrapper_config);
    let out = build_default(&dir, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        !marker.exists(),
        "a rustc wrapper ran in the fetch or the build"
    );
}

/// The red team's F2: a committed link `target/tollgate-build/target ->
/// ../../../cargo-home` turned the writable target directory into the
/// trusted cargo home (a build script wrote into it: persistent
/// poisoning). The target directory is now a private temporary
/// directory: the link is never used, the cargo home stays clean.
#[test]
fn a_committed_link_cannot_make_the_build_write_into_the_cargo_home() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    tiny(
        &dir,
        "p",
        "fn main() {\n    let t = std::env::var(\"CARGO_TARGET_DIR\").unwrap();\n    std::fs::write(format!(\"{t}/PWNED\"), \"x\").unwrap();\n}\n",
    );
    std::fs::create_dir_all(dir.join("target/tollgate-build")).unwrap();
    std::os::unix::fs::symlink(
        "../../../cargo-home",
        dir.join("target/tollgate-build/target"),
    )
    .unwrap();
    let out = build_default(&dir, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        !tmp.path().join("cargo-home/PWNED").exists(),
        "the cargo home was written"
    );
    assert!(
        !tmp.path().join("cargo-home/release").exists(),
        "the cargo home was written"
    );
    assert!(dir.join("target/tollgate-build/artifacts/p").is_file());
}

/// The red team's F4: the same link pointed at the project's `share/`
/// made the first build leave a seed there, and the second build's copy
/// of the source (taken after the first build) read it: two builds of an
/// irreproducible project came out identical. The copy is now taken
/// before the first build and neither build writes into the project: the
/// check sees the difference.
#[test]
fn the_reproducibility_check_cannot_be_seeded_by_the_first_build() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    tiny(
        &dir,
        "p",
        r#"fn main() {
    let m = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    let seed = match std::fs::read_to_string(format!("{m}/share/seed")) {
        Ok(s) => s,
        Err(_) => {
            let s = format!("{:?}", std::time::SystemTime::now());
            let t = std::env::var("CARGO_TARGET_DIR").unwrap();
            std::fs::write(format!("{t}/seed"), &s).unwrap();
            s
        }
    };
    println!("cargo:rustc-env=SEED={seed}");
}
"#,
    );
    std::fs::create_dir_all(dir.join("target/tollgate-build")).unwrap();
    std::os::unix::fs::symlink("../../share", dir.join("target/tollgate-build/target")).unwrap();
    let out = build_default(&dir, &["--reproducible-check"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("not reproducible: p: "),
        "{}",
        text(&out)
    );
    assert!(
        !dir.join("share/seed").exists(),
        "the build wrote into the project"
    );
}

/// The red team's F3: a build script of another workspace member waits
/// for `target/release/a` and replaces it with a link to a host file;
/// tollgate copied the host file out and attested it. Artifacts are now
/// opened with `O_NOFOLLOW` as regular files under the target directory:
/// the build is refused and nothing is attested.
#[test]
fn an_artifact_swapped_for_a_link_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ws");
    let secret = tmp.path().join("hostsecret");
    write(&secret, "HOST SECRET");
    write(
        &dir.join("Cargo.toml"),
        "[workspace]\nmembers = [\"a\", \"b\"]\nresolver = \"2\"\n",
    );
    write(
        &dir.join("a/Cargo.toml"),
        "[package]\nname = \"a\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    write(&dir.join("a/src/main.rs"), "fn main() {}\n");
    write(
        &dir.join("b/Cargo.toml"),
        "[package]\nname = \"b\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    write(&dir.join("b/src/lib.rs"), "");
    write(
        &dir.join("b/build.rs"),
        &format!(
            r#"use std::path::Path;
fn main() {{
    let t = std::env::var("CARGO_TARGET_DIR").unwrap();
    let bin = Path::new(&t).join("release/a");
    for _ in 0..1200 {{
        if let Ok(m) = std::fs::symlink_metadata(&bin) {{
            if m.len() > 0 && !m.file_type().is_symlink() {{
                std::thread::sleep(std::time::Duration::from_millis(300));
                let _ = std::fs::remove_file(&bin);
                std::os::unix::fs::symlink("{}", &bin).unwrap();
                println!("cargo:warning=SWAPPED");
                return;
            }}
        }}
        std::thread::sleep(std::time::Duration::from_millis(50));
    }}
}}
"#,
            secret.display()
        ),
    );
    let ok = Command::new("cargo")
        .args(["generate-lockfile", "--offline", "-q"])
        .current_dir(&dir)
        .env("CARGO_HOME", tmp.path().join("lock-home"))
        .status()
        .unwrap();
    assert!(ok.success());
    let out = build_default(&dir, &[]);
    let said = text(&out);
    assert!(
        said.contains("SWAPPED"),
        "the attack did not happen: {said}"
    );
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(
        said.contains("release/a: cannot open the artifact"),
        "{said}"
    );
    assert!(!dir.join("target/tollgate-build/provenance.json").exists());
    assert!(!dir.join("target/tollgate-build/artifacts/a").exists());
}

/// The red team's F6: a committed `target/tollgate-build/artifacts` link
/// to a host directory made tollgate write the project's binary over a
/// host file (say `~/.cargo/bin/cargo`). An output directory through a
/// link inside the project, or a link where tollgate writes, is refused
/// before the build; the host file is untouched.
#[test]
fn output_links_in_the_project_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    tiny(&dir, "cargo", "fn main() {}\n");
    let victim = tmp.path().join("victim-bin");
    write(&victim.join("cargo"), "the real cargo");
    write(&victim.join("tollgate-build/provenance.json"), "victim");
    let out_dir = dir.join("target/tollgate-build");
    let cases: [(&str, &Path, &Path, &str); 4] = [
        (
            "artifacts",
            &out_dir.join("artifacts"),
            &victim,
            "a symbolic link where tollgate writes",
        ),
        (
            "provenance",
            &out_dir.join("provenance.json"),
            &victim.join("cargo"),
            "a symbolic link where tollgate writes",
        ),
        (
            "out",
            &out_dir,
            &victim,
            "through a symbolic link inside the project",
        ),
        (
            "target",
            &dir.join("target"),
            &victim,
            "through a symbolic link inside the project",
        ),
    ];
    for (what, link, to, message) in cases {
        let _ = std::fs::remove_dir_all(dir.join("target"));
        std::fs::create_dir_all(link.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(to, link).unwrap();
        let out = build_default(&dir, &[]);
        assert_eq!(out.status.code(), Some(2), "{what}: {}", text(&out));
        assert!(text(&out).contains(message), "{what}: {}", text(&out));
        assert_eq!(
            std::fs::read_to_string(victim.join("cargo")).unwrap(),
            "the real cargo"
        );
        assert_eq!(
            std::fs::read_to_string(victim.join("tollgate-build/provenance.json")).unwrap(),
            "victim"
        );
    }
    // Without the links, the same project builds.
    std::fs::remove_dir_all(dir.join("target")).unwrap();
    let out = build_default(&dir, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(out_dir.join("artifacts/cargo").is_file());
}

/// The DSSE payload of a Sigstore bundle: the in-toto statement.
fn bundle_statement(path: &Path) -> Value {
    use base64::Engine;
    let bundle: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let payload = base64::engine::general_purpose::STANDARD
        .decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap())
        .unwrap();
    serde_json::from_slice(&payload).unwrap()
}

/// `tollgate ci --build`: the pipeline builds the project in the sandbox
/// (its secret-free environment, every Cargo.lock crate resolved) and
/// attests the build's SLSA provenance next to the SBOM, vulnerability and
/// SAST attestations. The attested statement validates against the SLSA v1
/// schema, names the built binary, lists every Cargo.lock package, and its
/// build facts read as the typed `BuildFacts` with `hermetic: true`; the
/// policy (hermetic, matchSbom against ci's own SBOM) admits it, in ci and
/// in `tollgate verify` on its own. The control: the same binary through
/// `tollgate ci --artifact` (git-only provenance) is denied by that policy.
#[test]
fn ci_build_attests_the_hermetic_build_provenance() {
    let b = setup("");
    let home = b.dir.join("../cargo-home");
    let policy = policy(
        &b,
        "      hermetic: true\n      matchSbom: true\n      sourceRepositories: [\"https://github.com/example/app\"]\n",
    );
    let db = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/advisory-db");
    let ci = |out: &str, subject: &[&str]| {
        let mut args = vec![
            "ci",
            ".",
            "--key",
            "../builder.key",
            "--policy",
            policy.to_str().unwrap(),
            "--advisory-db",
            db.to_str().unwrap(),
            "--offline",
            "--format",
            "json",
            "--out",
            out,
        ];
        args.extend_from_slice(subject);
        Tollgate::new(&b.dir)
            .envs(&[
                ("COSIGN_PASSWORD", "pw"),
                ("CARGO_HOME", home.to_str().unwrap()),
                ("TOLLGATE_TEST_SECRET", "hunter2-ci"),
            ])
            .args(&args)
            .run()
    };
    let out = ci(
        "../ci-out",
        &["--build", "--cargo-home", home.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let ci_out = b.dir.join("../ci-out");
    let summary: Value =
        serde_json::from_slice(&std::fs::read(ci_out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["verdict"], "admit", "{summary:#}");
    let stage = summary["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == "build")
        .unwrap_or_else(|| panic!("no build stage: {summary:#}"));
    assert_eq!(stage["hermetic"], true, "{stage}");
    assert_eq!(stage["sandbox"], "bwrap", "{stage}");
    assert_eq!(
        stage["artifacts"],
        serde_json::json!(["build/artifacts/app"])
    );
    assert_eq!(summary["subjects"][0]["subject"], "app", "{summary:#}");

    // The binary ci built runs, and its build script did not see the
    // caller's secret.
    let artifact = ci_out.join("build/artifacts/app");
    let run = Command::new(&artifact).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&run.stdout).trim(),
        "secret=[] hello 7"
    );

    // The provenance attestation is the build's.
    let bundles: Vec<PathBuf> = ["provenance", "sbom", "vulns", "sast"]
        .iter()
        .map(|k| ci_out.join(format!("attestations/app.{k}.sigstore.json")))
        .collect();
    for bundle in &bundles {
        assert!(bundle.is_file(), "{}", bundle.display());
    }
    let statement = bundle_statement(&bundles[0]);
    let validator = jsonschema::validator_for(&slsa_v1_schema()).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&statement)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(statement["subject"].as_array().unwrap().len(), 1);
    assert_eq!(statement["subject"][0]["name"], "app");
    assert_eq!(
        statement["subject"][0]["digest"]["sha256"],
        sha256_hex(&std::fs::read(&artifact).unwrap())
    );
    let written: Value =
        serde_json::from_slice(&std::fs::read(ci_out.join("build/provenance.json")).unwrap())
            .unwrap();
    assert_eq!(statement["predicate"], written["predicate"]);
    let definition = &statement["predicate"]["buildDefinition"];
    assert_eq!(
        definition["buildType"],
        tollgate_attest::predicate::CARGO_BUILD_TYPE
    );
    let facts: tollgate_attest::predicate::BuildFacts =
        serde_json::from_value(definition["internalParameters"]["build"].clone()).unwrap();
    assert!(facts.hermetic);
    assert_eq!(
        facts.sandbox,
        tollgate_attest::predicate::SandboxKind::Bwrap
    );
    assert!(facts.auditable);
    assert!(!facts.environment.contains_key("TOLLGATE_TEST_SECRET"));
    assert!(!facts.reproducible.checked);
    let deps = definition["resolvedDependencies"].as_array().unwrap();
    let lock: toml::Value =
        toml::from_str(&std::fs::read_to_string(b.dir.join("Cargo.lock")).unwrap()).unwrap();
    let packages = lock["package"].as_array().unwrap();
    assert_eq!(packages.len(), 3, "{packages:?}");
    for package in packages {
        let (name, version) = (
            package["name"].as_str().unwrap(),
            package["version"].as_str().unwrap(),
        );
        let d = deps
            .iter()
            .find(|d| lists(d, name, version))
            .unwrap_or_else(|| panic!("{name}@{version} is not resolved: {deps:#?}"));
        if let Some(sum) = package.get("checksum").and_then(|c| c.as_str()) {
            assert_eq!(d["digest"]["sha256"], sum);
        }
    }

    // The gate on its own agrees.
    let mut args = vec![
        "verify".to_string(),
        artifact.display().to_string(),
        "--policy".into(),
        policy.display().to_string(),
    ];
    for bundle in &bundles {
        args.extend(["--bundle".into(), bundle.display().to_string()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let verified = tollgate(&args, &b.dir);
    assert_eq!(verified.status.code(), Some(0), "{}", text(&verified));

    // The control: the same binary attested by `ci --artifact` (the
    // git-only provenance) is denied by this policy.
    let copy = b.dir.join("../app-copy");
    std::fs::copy(&artifact, &copy).unwrap();
    let out = ci("../ci-plain", &["--artifact", copy.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("is not a `tollgate build`"),
        "{}",
        text(&out)
    );
}

/// An unprivileged user's view of this machine for a build: a world-readable
/// temporary directory holding the caller's toolchain (hard links to its
/// files, which live under root's mode-0700 home here; a copy where hard
/// links cannot be made) and `cargo-auditable`, and a home, cargo home and
/// project owned by `nobody` (65534) when the test runs as root.
struct Unprivileged {
    tmp: tempfile::TempDir,
    path: String,
}

const NOBODY: u32 = 65534;

impl Unprivileged {
    fn new() -> Unprivileged {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let sysroot = String::from_utf8(
            Command::new("rustc")
                .args(["--print", "sysroot"])
                .current_dir("/")
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap();
        let tc = tmp.path().join("toolchain");
        let linked = Command::new("cp")
            .arg("-al")
            .arg(sysroot.trim())
            .arg(&tc)
            .status()
            .unwrap()
            .success();
        if !linked {
            let _ = std::fs::remove_dir_all(&tc);
            assert!(Command::new("cp")
                .arg("-a")
                .arg(sysroot.trim())
                .arg(&tc)
                .status()
                .unwrap()
                .success());
        }
        let auditable = std::env::var_os("PATH")
            .into_iter()
            .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
            .chain(std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin")))
            .map(|d| d.join("cargo-auditable"))
            .find(|p| p.is_file())
            .expect("cargo-auditable is installed (scripts/test installs it)");
        let bin = tmp.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        if std::fs::hard_link(&auditable, bin.join("cargo-auditable")).is_err() {
            std::fs::copy(&auditable, bin.join("cargo-auditable")).unwrap();
        }
        for d in ["home", "cargo-home"] {
            std::fs::create_dir(tmp.path().join(d)).unwrap();
        }
        let path = format!(
            "{}:{}:/usr/bin:/bin",
            tc.join("bin").display(),
            bin.display()
        );
        Unprivileged { tmp, path }
    }

    fn root(&self) -> &Path {
        self.tmp.path()
    }

    /// Hand the directories the build writes to `nobody`.
    fn chown(&self) {
        if rustix::process::geteuid().is_root() {
            for d in ["home", "cargo-home", "p"] {
                let ok = Command::new("chown")
                    .args(["-R", &format!("{NOBODY}:{NOBODY}")])
                    .arg(self.root().join(d))
                    .status()
                    .unwrap()
                    .success();
                assert!(ok);
            }
        }
    }

    /// `tollgate build` of `p`, as `nobody` when the test runs as root, with
    /// only `PATH` and `HOME` in the environment; `wrap` runs before
    /// tollgate (in the user's process, say a shell that lowers a limit).
    fn build(&self, wrap: &[&str], extra: &[&str]) -> Output {
        let mut argv: Vec<String> = Vec::new();
        if rustix::process::geteuid().is_root() {
            argv.extend(
                [
                    "setpriv",
                    &format!("--reuid={NOBODY}"),
                    &format!("--regid={NOBODY}"),
                    "--clear-groups",
                ]
                .map(String::from),
            );
        }
        argv.extend(wrap.iter().map(|s| s.to_string()));
        argv.extend(
            [
                env!("CARGO_BIN_EXE_tollgate"),
                "build",
                ".",
                "--cargo-home",
                self.root().join("cargo-home").to_str().unwrap(),
            ]
            .map(String::from),
        );
        argv.extend(extra.iter().map(|s| s.to_string()));
        Command::new(&argv[0])
            .args(&argv[1..])
            .current_dir(self.root().join("p"))
            .env_clear()
            .env("PATH", &self.path)
            .env("HOME", self.root().join("home"))
            .output()
            .unwrap()
    }

    fn provenance(&self) -> Value {
        let path = self.root().join("p/target/tollgate-build/provenance.json");
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    fn run_artifact(&self) -> String {
        let out = Command::new(self.root().join("p/target/tollgate-build/artifacts/p"))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

/// A build script that tries a listener on 127.0.0.1 and tells the binary
/// whether it got through, and as which user it ran.
fn net_probe_build_rs(addr: &str) -> String {
    format!(
        r#"fn main() {{
    let reached = std::net::TcpStream::connect("{addr}").is_ok();
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let uid = status.lines().find_map(|l| l.strip_prefix("Uid:")).and_then(|l| l.split_whitespace().next().map(String::from)).unwrap_or_default();
    println!("cargo:rustc-env=SEED=net={{reached}} uid={{uid}}");
}}
"#
    )
}

/// The issue's unprivileged path, for real: `nobody` (not root, no
/// capabilities) builds a project in bubblewrap's user namespaces. The
/// build script's connection to a listener on 127.0.0.1 fails (the binary
/// says `net=false`, the listener sees nothing), the build succeeds and
/// its provenance says hermetic, sandbox bwrap, with the hashed toolchain.
/// The control: the same user without the sandbox reaches the listener.
#[test]
fn an_unprivileged_user_builds_in_the_sandbox_without_the_network() {
    let (l, addr) = listener();
    let u = Unprivileged::new();
    tiny(&u.root().join("p"), "p", &net_probe_build_rs(&addr));
    u.chown();
    let expected_uid = if rustix::process::geteuid().is_root() {
        NOBODY
    } else {
        rustix::process::geteuid().as_raw()
    };

    let out = u.build(&[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(u.run_artifact(), format!("net=false uid={expected_uid}"));
    assert!(
        !connected(&l),
        "the listener saw a connection from the sandbox"
    );
    let p = u.provenance();
    let facts = &p["predicate"]["buildDefinition"]["internalParameters"]["build"];
    assert_eq!(facts["hermetic"], true, "{facts}");
    assert_eq!(facts["sandbox"], "bwrap", "{facts}");
    assert_eq!(facts["auditable"], true, "{facts}");
    let rustc = std::fs::read(u.root().join("toolchain/bin/rustc")).unwrap();
    assert_eq!(facts["toolchain"]["rustcSha256"], sha256_hex(&rustc));

    // The control: the same user, the same project, no sandbox.
    let out = u.build(&[], &["--no-sandbox"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(u.run_artifact(), format!("net=true uid={expected_uid}"));
    assert!(
        connected(&l),
        "without the sandbox the build script connects"
    );
    assert_eq!(
        u.provenance()["predicate"]["buildDefinition"]["internalParameters"]["build"]["hermetic"],
        false
    );
}

/// Where bubblewrap cannot create a user namespace (here: the user's own
/// user namespace with `user.max_user_namespaces` lowered to 0, the limit
/// the kernel enforces; elsewhere `kernel.unprivileged_userns_clone=0` or
/// AppArmor's `restrict_unprivileged_userns`), the build fails closed:
/// exit 2, bubblewrap's reason, nothing written, the build script never
/// run. The control: in the same confinement `--no-sandbox` builds, and
/// says `hermetic: false`.
#[test]
fn without_user_namespaces_an_unprivileged_build_fails_closed() {
    let (l, addr) = listener();
    let u = Unprivileged::new();
    tiny(&u.root().join("p"), "p", &net_probe_build_rs(&addr));
    u.chown();
    // A new user namespace of the user's (mapped to root inside, with no
    // privilege outside it), whose limit for nested user namespaces is 0.
    let confine = [
        "unshare",
        "--user",
        "--map-root-user",
        "sh",
        "-c",
        "echo 0 > /proc/sys/user/max_user_namespaces && exec \"$@\"",
        "confined",
    ];
    let out = u.build(&confine, &[]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(said.contains("no sandbox: "), "{said}");
    assert!(said.contains("Creating new namespace failed"), "{said}");
    assert!(said.contains("user namespaces"), "{said}");
    assert!(said.contains("--no-sandbox"), "{said}");
    assert!(!u
        .root()
        .join("p/target/tollgate-build/provenance.json")
        .exists());
    assert!(!connected(&l), "the build script ran");

    let out = u.build(&confine, &["--no-sandbox"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(u.run_artifact().starts_with("net=true "));
    assert!(connected(&l));
    let facts = &u.provenance()["predicate"]["buildDefinition"]["internalParameters"]["build"];
    assert_eq!(facts["hermetic"], false);
    assert_eq!(facts["sandbox"], "none");
}
