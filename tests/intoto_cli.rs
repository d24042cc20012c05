//! Classic in-toto against the reference implementation (Python in-toto
//! 3.x in the venv `scripts/test` makes): a supply chain made by
//! `in-toto-run` with a layout from the Python API is verified by
//! `tollgate verify-layout`, and one made by `tollgate layout create` and
//! `tollgate attest link` passes `in-toto-verify`; Ed25519 and ECDSA keys,
//! classic and DSSE-wrapped links, on both sides. Tampering (an artifact,
//! a link, the layout), a wrong owner key, an expired layout and a missing
//! step fail on both sides.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use crate::support::{repo_root, Tollgate};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn venv_bin(tool: &str) -> PathBuf {
    let path = repo_root().join("target/test-venv/bin").join(tool);
    assert!(
        path.exists(),
        "{} is required (scripts/test installs in-toto into target/test-venv)",
        path.display()
    );
    path
}

fn run(program: &Path, args: &[&str], dir: &Path) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("COSIGN_PASSWORD", "pw")
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap()
}

fn ok(o: &Output) -> bool {
    if !o.status.success() {
        eprintln!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    o.status.success()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A project with one source file.
fn project(dir: &Path) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/main.rs"), "fn main() {}\n").unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.path().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

fn link_file(dir: &Path, step: &str) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with(&format!("{step}."))
                && name.ends_with(".link")
                && name.len() > step.len() + 6
        })
        .unwrap_or_else(|| panic!("no {step} link in {}", dir.display()))
}

/// Both verifiers, each on its own copy of `final_dir` changed by
/// `tamper`: (in-toto-verify's exit code, tollgate's, their output).
fn verify_both(
    final_dir: &Path,
    scratch: &Path,
    owner_pub: &str,
    tamper: impl FnOnce(&Path),
) -> (Option<i32>, Option<i32>, String) {
    let (python_dir, tollgate_dir) = (scratch.join("python"), scratch.join("tollgate"));
    for dir in [&python_dir, &tollgate_dir] {
        let _ = std::fs::remove_dir_all(dir);
    }
    copy_dir(final_dir, &python_dir);
    tamper(&python_dir);
    copy_dir(&python_dir, &tollgate_dir);
    let python = run(
        &venv_bin("in-toto-verify"),
        &["-l", "root.layout", "--verification-keys", owner_pub],
        &python_dir,
    );
    let ours = Tollgate::new(&tollgate_dir)
        .env("COSIGN_PASSWORD", "pw")
        .args([
            "verify-layout",
            "-l",
            "root.layout",
            "--layout-key",
            owner_pub,
        ])
        .run();
    let out = format!("{}{}", text(&python), text(&ours));
    (python.status.code(), ours.status.code(), out)
}

#[test]
fn a_supply_chain_made_by_the_python_tools_verifies_in_tollgate() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let python = venv_bin("python");
    let keys = d.join("keys");
    let helper = repo_root().join("tests/python/intoto_layout.py");
    assert!(ok(&run(
        &python,
        &[helper.to_str().unwrap(), keys.to_str().unwrap()],
        d
    )));
    let work = d.join("work");
    project(&work);
    let final_dir = d.join("final");
    std::fs::create_dir_all(&final_dir).unwrap();
    let key = |name: &str| keys.join(name).to_str().unwrap().to_string();
    let meta = final_dir.to_str().unwrap();
    assert!(ok(&run(
        &venv_bin("in-toto-run"),
        &[
            "-n",
            "build",
            "--signing-key",
            &key("alice.pem"),
            "-m",
            "src",
            "-p",
            "app.tar",
            "-d",
            meta,
            "--",
            "tar",
            "cf",
            "app.tar",
            "src"
        ],
        &work
    )));
    assert!(ok(&run(
        &venv_bin("in-toto-run"),
        &[
            "-n",
            "review",
            "--use-dsse",
            "--signing-key",
            &key("bob.pem"),
            "-m",
            "app.tar",
            "-x",
            "-d",
            meta
        ],
        &work
    )));
    std::fs::copy(work.join("app.tar"), final_dir.join("app.tar")).unwrap();
    std::fs::copy(keys.join("root.layout"), final_dir.join("root.layout")).unwrap();
    std::fs::copy(keys.join("owner.pub"), final_dir.join("owner.pub")).unwrap();
    std::fs::copy(keys.join("alice.pub"), final_dir.join("alice.pub")).unwrap();
    let scratch = d.join("scratch");

    let (py, ours, out) = verify_both(&final_dir, &scratch, "owner.pub", |_| {});
    assert_eq!((py, ours), (Some(0), Some(0)), "{out}");

    // The shipped archive is not what was built: the inspection's MATCH fails.
    let (py, ours, out) = verify_both(&final_dir, &scratch, "owner.pub", |d| {
        std::fs::write(d.join("app.tar"), b"not the build").unwrap();
    });
    assert_eq!((py, ours), (Some(1), Some(1)), "{out}");
    assert!(out.contains("inspection `untar`"), "{out}");

    // A link whose recorded product was edited no longer verifies, so the
    // step has no valid link.
    let (py, ours, out) = verify_both(&final_dir, &scratch, "owner.pub", |d| {
        let path = link_file(d, "build");
        let mut link: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        link["signed"]["products"]["app.tar"]["sha256"] = "00".repeat(32).into();
        std::fs::write(&path, link.to_string()).unwrap();
    });
    assert_eq!((py, ours), (Some(1), Some(1)), "{out}");
    assert!(out.contains("step `build` needs 1 link"), "{out}");

    // The same for a DSSE-wrapped link (the review step's): a payload
    // re-encoded after an edit no longer matches its signature.
    let (py, ours, out) = verify_both(&final_dir, &scratch, "owner.pub", |d| {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let path = link_file(d, "review");
        let mut envelope: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let mut body: serde_json::Value =
            serde_json::from_slice(&b64.decode(envelope["payload"].as_str().unwrap()).unwrap())
                .unwrap();
        body["materials"]["app.tar"]["sha256"] = "00".repeat(32).into();
        envelope["payload"] = b64.encode(body.to_string()).into();
        std::fs::write(&path, envelope.to_string()).unwrap();
    });
    assert_eq!((py, ours), (Some(1), Some(1)), "{out}");
    assert!(out.contains("step `review` needs 1 link"), "{out}");

    // Not signed by this owner.
    let (py, ours, out) = verify_both(&final_dir, &scratch, "alice.pub", |_| {});
    assert_eq!((py, ours), (Some(1), Some(1)), "{out}");
    assert!(out.contains("no signature by key"), "{out}");

    // A step without its link.
    let (py, ours, out) = verify_both(&final_dir, &scratch, "owner.pub", |d| {
        std::fs::remove_file(link_file(d, "review")).unwrap();
    });
    assert_eq!((py, ours), (Some(1), Some(1)), "{out}");
    assert!(out.contains("step `review` needs 1 link"), "{out}");

    // An expired layout, signed by the owner all the same.
    let old = d.join("old");
    assert!(ok(&run(
        &python,
        &[
            helper.to_str().unwrap(),
            old.to_str().unwrap(),
            "2020-01-01T00:00:00Z"
        ],
        d
    )));
    let expired = Tollgate::new(d)
        .env("COSIGN_PASSWORD", "pw")
        .args([
            "verify-layout",
            "-l",
            old.join("root.layout").to_str().unwrap(),
            "--layout-key",
            old.join("owner.pub").to_str().unwrap(),
            "--link-dir",
            meta,
        ])
        .run();
    assert_eq!(expired.status.code(), Some(1), "{}", text(&expired));
    assert!(text(&expired).contains("expired at 2020-01-01T00:00:00Z"));

    // Bad input is an error (2), not a verdict.
    let missing = Tollgate::new(&final_dir)
        .env("COSIGN_PASSWORD", "pw")
        .args([
            "verify-layout",
            "-l",
            "nowhere.layout",
            "--layout-key",
            "owner.pub",
        ])
        .run();
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing).contains("nowhere.layout"));
}

#[test]
fn a_supply_chain_made_by_tollgate_passes_in_toto_verify() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let keys = d.join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    // Owner and alice: tollgate's own (cosign-format) keys; bob: a PKCS#8
    // PEM made by the Python side, as in-toto-run takes.
    assert!(ok(&Tollgate::new(&keys)
        .env("COSIGN_PASSWORD", "pw")
        .args(["key", "generate", "--output-key-prefix", "owner"])
        .run()));
    assert!(ok(&Tollgate::new(&keys)
        .env("COSIGN_PASSWORD", "pw")
        .args([
            "key",
            "generate",
            "--type",
            "ed25519",
            "--output-key-prefix",
            "alice"
        ])
        .run()));
    let helper = repo_root().join("tests/python/intoto_layout.py");
    let py_keys = d.join("py");
    assert!(ok(&run(
        &venv_bin("python"),
        &[helper.to_str().unwrap(), py_keys.to_str().unwrap()],
        d
    )));
    std::fs::copy(py_keys.join("bob.pem"), keys.join("bob.pem")).unwrap();
    std::fs::copy(py_keys.join("bob.pub"), keys.join("bob.pub")).unwrap();
    std::fs::write(
        keys.join("layout.yaml"),
        r#"expires: 12w
readme: build and review the service
functionaries: { alice: alice.pub, bob: bob.pub }
steps:
  - name: build
    functionaries: [alice]
    expectedCommand: [tar, cf, app.tar, src]
    materials: ["ALLOW src/*", "DISALLOW *"]
    products: ["CREATE app.tar", "DISALLOW *"]
  - name: review
    functionaries: [bob]
    materials: ["MATCH app.tar WITH PRODUCTS FROM build", "DISALLOW *"]
inspections:
  - name: untar
    run: [tar, xf, app.tar]
    materials: ["MATCH app.tar WITH PRODUCTS FROM build", "ALLOW owner.pub", "ALLOW root.layout", "DISALLOW *"]
    products: ["MATCH src/* WITH MATERIALS FROM build", "ALLOW app.tar", "ALLOW owner.pub", "ALLOW root.layout", "DISALLOW *"]
"#,
    )
    .unwrap();
    let final_dir = d.join("final");
    std::fs::create_dir_all(&final_dir).unwrap();
    let layout = final_dir.join("root.layout");
    let create = |out: &Path| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tollgate"));
        cmd.args([
            "layout",
            "create",
            "layout.yaml",
            "-o",
            out.to_str().unwrap(),
            "--key",
            "owner.key",
        ])
        .current_dir(&keys)
        .env("COSIGN_PASSWORD", "pw")
        .env("SOURCE_DATE_EPOCH", "1795392000");
        cmd.output().unwrap()
    };
    assert!(ok(&create(&layout)));
    // Reproducible: the same spec, keys and SOURCE_DATE_EPOCH, the same bytes.
    assert!(ok(&create(&d.join("again.layout"))));
    assert_eq!(
        std::fs::read(&layout).unwrap(),
        std::fs::read(d.join("again.layout")).unwrap()
    );
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&layout).unwrap()).unwrap();
    assert_eq!(doc["signed"]["expires"], "2027-02-15T00:00:00Z");

    let work = d.join("work");
    project(&work);
    let meta = final_dir.to_str().unwrap();
    let alice = keys.join("alice.key");
    let bob = keys.join("bob.pem");
    assert!(ok(&Tollgate::new(&work)
        .env("COSIGN_PASSWORD", "pw")
        .args([
            "attest",
            "link",
            "--step",
            "build",
            "-m",
            "src",
            "-p",
            "app.tar",
            "--key",
            alice.to_str().unwrap(),
            "-d",
            meta,
            "--",
            "tar",
            "cf",
            "app.tar",
            "src"
        ])
        .run()));
    assert!(ok(&Tollgate::new(&work)
        .env("COSIGN_PASSWORD", "pw")
        .args([
            "attest",
            "link",
            "--step",
            "review",
            "-m",
            "app.tar",
            "--key",
            bob.to_str().unwrap(),
            "--use-dsse",
            "-x",
            "-d",
            meta
        ])
        .run()));
    std::fs::copy(work.join("app.tar"), final_dir.join("app.tar")).unwrap();
    std::fs::copy(keys.join("owner.pub"), final_dir.join("owner.pub")).unwrap();
    let review: serde_json::Value =
        serde_json::from_slice(&std::fs::read(link_file(&final_dir, "review")).unwrap()).unwrap();
    assert_eq!(
        review["payloadType"], "application/vnd.in-toto+json",
        "--use-dsse"
    );

    // The Python tools accept each link's signature, and the whole chain.
    let build_link = link_file(&final_dir, "build");
    assert!(ok(&run(
        &venv_bin("in-toto-sign"),
        &[
            "-f",
            build_link.to_str().unwrap(),
            "-k",
            keys.join("alice.pub").to_str().unwrap(),
            "--verify"
        ],
        d
    )));
    let link: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&build_link).unwrap()).unwrap();
    assert_eq!(link["signed"]["environment"], serde_json::json!({}));
    assert_eq!(link["signed"]["byproducts"]["return-value"], 0);
    let scratch = d.join("scratch");
    let (py, ours, out) = verify_both(&final_dir, &scratch, "owner.pub", |_| {});
    assert_eq!((py, ours), (Some(0), Some(0)), "{out}");

    // An edit to the layout that the owner did not sign.
    let (py, ours, out) = verify_both(&final_dir, &scratch, "owner.pub", |d| {
        let path = d.join("root.layout");
        let mut layout: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        layout["signed"]["steps"][0]["expected_products"] = serde_json::json!([["ALLOW", "*"]]);
        std::fs::write(&path, layout.to_string()).unwrap();
    });
    assert_eq!((py, ours), (Some(1), Some(1)), "{out}");
    assert!(out.contains("does not verify"), "{out}");

    // A product the build did not make.
    let (py, ours, out) = verify_both(&final_dir, &scratch, "owner.pub", |d| {
        std::fs::write(d.join("app.tar"), b"swapped").unwrap();
    });
    assert_eq!((py, ours), (Some(1), Some(1)), "{out}");

    // `layout sign` adds a second owner's signature; both keys are then required and accepted.
    assert!(ok(&Tollgate::new(&keys)
        .env("COSIGN_PASSWORD", "pw")
        .args([
            "key",
            "generate",
            "--type",
            "ed25519",
            "--output-key-prefix",
            "second"
        ])
        .run()));
    assert!(ok(&Tollgate::new(d)
        .env("COSIGN_PASSWORD", "pw")
        .args([
            "layout",
            "sign",
            layout.to_str().unwrap(),
            "--key",
            keys.join("second.key").to_str().unwrap()
        ])
        .run()));
    let second = keys.join("second.pub");
    let second = second.to_str().unwrap();
    let both = run(
        &venv_bin("in-toto-verify"),
        &[
            "-l",
            "root.layout",
            "--verification-keys",
            "owner.pub",
            second,
        ],
        &final_dir,
    );
    assert!(ok(&both));
    // The inspection unpacked app.tar here; start again from what shipped.
    std::fs::remove_dir_all(final_dir.join("src")).unwrap();
    let both = Tollgate::new(&final_dir)
        .env("COSIGN_PASSWORD", "pw")
        .args([
            "verify-layout",
            "-l",
            "root.layout",
            "--layout-key",
            "owner.pub",
            "--layout-key",
            second,
            "--format",
            "json",
        ])
        .run();
    assert!(ok(&both));
    let report: serde_json::Value = serde_json::from_slice(&both.stdout).unwrap();
    assert_eq!(report["verified"], true);
    assert_eq!(report["report"]["steps"][0]["name"], "build");

    // A failing command is recorded, and the exit status says so.
    let failed = Tollgate::new(&work)
        .env("COSIGN_PASSWORD", "pw")
        .args([
            "attest",
            "link",
            "--step",
            "test",
            "--key",
            alice.to_str().unwrap(),
            "--",
            "false",
        ])
        .run();
    assert_eq!(failed.status.code(), Some(1));
    let link: serde_json::Value =
        serde_json::from_slice(&std::fs::read(link_file(&work, "test")).unwrap()).unwrap();
    assert_eq!(link["signed"]["byproducts"]["return-value"], 1);

    // Spec errors name the problem; nothing is written.
    std::fs::write(
        keys.join("bad.yaml"),
        "expires: 12w\nfunctionaries: {}\nsteps:\n  - name: build\n    functionaries: [mallory]\n",
    )
    .unwrap();
    let bad = Tollgate::new(&keys)
        .env("COSIGN_PASSWORD", "pw")
        .args(["layout", "create", "bad.yaml", "-o", "bad.layout"])
        .run();
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad).contains("functionary `mallory`"),
        "{}",
        text(&bad)
    );
    assert!(!keys.join("bad.layout").exists());
}
