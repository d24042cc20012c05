//! CycloneDX SBOMs: schema validity (1.5 and 1.6, against the official
//! schemas in `../shared/schemas`), reproducibility, content, VEX, diff,
//! and `cargo auditable` data. Every SBOM produced here is also written to
//! `$CARGO_TARGET_TMPDIR/sbom-samples` for the reference validator
//! (`cyclonedx-python-lib`) that CI runs afterwards.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use tollgate_sbom::advisory_db::AdvisoryDb;
use tollgate_sbom::cyclonedx::{self, Encoding, Inventory, Options, SpecVersion};
use tollgate_sbom::graph::{Graph, LoadOptions};

fn shared(rel: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared")
        .join(rel);
    assert!(
        path.exists(),
        "{}: reference data from ../shared is required",
        path.display()
    );
    path
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/projects")
        .join(name)
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn load_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn validator(version: &str) -> &'static jsonschema::Validator {
    static V15: OnceLock<jsonschema::Validator> = OnceLock::new();
    static V16: OnceLock<jsonschema::Validator> = OnceLock::new();
    let cell = if version == "1.5" { &V15 } else { &V16 };
    cell.get_or_init(|| {
        let schema = load_json(&shared(&format!("schemas/bom-{version}.schema.json")));
        let resource = |file: &str| {
            jsonschema::Resource::from_contents(load_json(&shared(&format!("schemas/{file}"))))
                .unwrap()
        };
        jsonschema::options()
            .with_resource(
                "http://cyclonedx.org/schema/spdx.schema.json",
                resource("spdx.schema.json"),
            )
            .with_resource(
                "http://cyclonedx.org/schema/jsf-0.82.schema.json",
                resource("jsf-0.82.schema.json"),
            )
            .build(&schema)
            .unwrap()
    })
}

/// Validate against the official schema and keep a copy for the Python validator.
fn check(name: &str, bytes: &[u8]) -> Value {
    let samples = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sbom-samples");
    std::fs::create_dir_all(&samples).unwrap();
    if bytes.starts_with(b"<?xml") {
        std::fs::write(samples.join(format!("{name}.cdx.xml")), bytes).unwrap();
        let bom = cyclonedx_bom::models::bom::Bom::parse_from_xml_v1_5(bytes)
            .expect("cyclonedx-bom reads the XML back");
        let mut json = Vec::new();
        bom.output_as_json_v1_5(&mut json).unwrap();
        return check(&format!("{name}-from-xml"), &json);
    }
    std::fs::write(samples.join(format!("{name}.cdx.json")), bytes).unwrap();
    let doc: Value = serde_json::from_slice(bytes).unwrap();
    let version = doc["specVersion"].as_str().unwrap().to_string();
    let errors: Vec<String> = validator(&version)
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "{name}: not valid CycloneDX {version}:\n{}",
        errors.join("\n")
    );
    doc
}

fn sbom(path: &Path, options: &Options) -> Vec<u8> {
    let graph = Graph::load(path, &LoadOptions::default()).unwrap();
    let inventory = Inventory::from_graph(&graph, options).unwrap();
    cyclonedx::generate(&inventory, options, None).unwrap()
}

#[test]
fn project_sbom_is_valid_complete_and_reproducible() {
    let options = Options {
        timestamp: Some(1_790_000_000),
        ..Options::default()
    };
    let first = sbom(&fixture("called"), &options);
    let second = sbom(&fixture("called"), &options);
    assert_eq!(first, second, "two runs must give the same bytes");
    let doc = check("called-1.5", &first);
    assert_eq!(doc["metadata"]["timestamp"], "2026-09-21T14:13:20Z");
    assert_eq!(
        doc["metadata"]["tools"]["components"][0]["name"],
        "tollgate"
    );
    assert_eq!(doc["metadata"]["component"]["name"], "fixture-called");
    assert!(doc["serialNumber"]
        .as_str()
        .unwrap()
        .starts_with("urn:uuid:"));

    let components = doc["components"].as_array().unwrap();
    let smallvec = components.iter().find(|c| c["name"] == "smallvec").unwrap();
    assert_eq!(smallvec["purl"], "pkg:cargo/smallvec@0.6.9");
    assert_eq!(smallvec["bom-ref"], "pkg:cargo/smallvec@0.6.9");
    assert_eq!(smallvec["scope"], "required");
    let lock = std::fs::read_to_string(fixture("called/Cargo.lock")).unwrap();
    let checksum = smallvec["hashes"][0]["content"].as_str().unwrap();
    assert!(lock.contains(checksum) && smallvec["hashes"][0]["alg"] == "SHA-256");
    assert_eq!(
        smallvec["licenses"][0]["expression"], "MIT OR Apache-2.0",
        "legacy `MIT/Apache-2.0` becomes an SPDX expression"
    );
    assert!(smallvec["externalReferences"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["type"] == "vcs"));

    let deps = doc["dependencies"].as_array().unwrap();
    let root = deps
        .iter()
        .find(|d| d["ref"] == "pkg:cargo/fixture-called@0.1.0")
        .unwrap();
    let root_deps: Vec<&str> = root["dependsOn"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        root_deps,
        vec!["pkg:cargo/smallvec@0.6.9", "pkg:cargo/time@0.1.43"]
    );
    let text = String::from_utf8(first).unwrap();
    assert!(
        !text.contains("/work/") && !text.contains("file://"),
        "no absolute paths in the SBOM"
    );
}

#[test]
fn without_source_date_epoch_there_is_no_timestamp() {
    let doc = check(
        "called-no-timestamp",
        &sbom(&fixture("called"), &Options::default()),
    );
    assert!(doc["metadata"].get("timestamp").is_none());
}

#[test]
fn spec_1_6_and_xml() {
    let v16 = check(
        "called-1.6",
        &sbom(
            &fixture("called"),
            &Options {
                spec: SpecVersion::V1_6,
                ..Options::default()
            },
        ),
    );
    assert_eq!(v16["specVersion"], "1.6");
    let xml = sbom(
        &fixture("called"),
        &Options {
            encoding: Encoding::Xml,
            ..Options::default()
        },
    );
    assert!(String::from_utf8_lossy(&xml)
        .contains("<bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\""));
    check("called-1.5", &xml);
    let graph = Graph::load(&fixture("called"), &LoadOptions::default()).unwrap();
    let options = Options {
        spec: SpecVersion::V1_6,
        encoding: Encoding::Xml,
        ..Options::default()
    };
    let inventory = Inventory::from_graph(&graph, &options).unwrap();
    assert!(cyclonedx::generate(&inventory, &options, None)
        .unwrap_err()
        .to_string()
        .contains("JSON only"));
}

#[test]
fn workspace_scopes_members_and_dev_dependencies() {
    let doc = check("workspace", &sbom(&workspace(), &Options::default()));
    let names: Vec<&str> = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for member in ["tollgate", "tollgate-sast", "tollgate-sbom"] {
        assert!(names.contains(&member), "{member} missing");
    }
    let scope = |name: &str| {
        doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap()["scope"]
            .clone()
    };
    assert_eq!(scope("syn"), "required");
    assert_eq!(
        scope("insta"),
        "excluded",
        "dev-only dependencies are excluded"
    );

    let runtime_only = check(
        "workspace-no-dev",
        &sbom(
            &workspace(),
            &Options {
                dev_deps: false,
                ..Options::default()
            },
        ),
    );
    assert!(!runtime_only["components"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "insta"));
    let cc = runtime_only["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "cc")
        .expect("build-only dependencies stay");
    assert_eq!(cc["scope"], "excluded");

    let sast_only = check(
        "sast-member",
        &sbom(
            &workspace(),
            &Options {
                package: Some("tollgate-sast".into()),
                ..Options::default()
            },
        ),
    );
    assert_eq!(sast_only["metadata"]["component"]["name"], "tollgate-sast");
    assert!(!sast_only["components"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "rustsec"));

    let graph = Graph::load(&workspace(), &LoadOptions::default()).unwrap();
    let err = Inventory::from_graph(
        &graph,
        &Options {
            package: Some("nope".into()),
            ..Options::default()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("not a workspace member"), "{err}");
}

#[test]
fn artifact_hashes_bind_the_sbom_to_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = dir.path().join("app");
    std::fs::write(&artifact, b"the shipped bytes").unwrap();
    let doc = check(
        "artifact",
        &sbom(
            &fixture("called"),
            &Options {
                artifact: Some(artifact.clone()),
                ..Options::default()
            },
        ),
    );
    let root = &doc["metadata"]["component"];
    assert_eq!(root["type"], "application");
    assert_eq!(root["hashes"][0]["alg"], "SHA-256");
    use sha2::Digest;
    assert_eq!(
        root["hashes"][0]["content"],
        hex::encode(sha2::Sha256::digest(b"the shipped bytes"))
    );
    assert_eq!(
        root["hashes"][1]["content"],
        hex::encode(sha2::Sha512::digest(b"the shipped bytes"))
    );
}

#[test]
fn vulnerabilities_carry_vex_analysis_from_reachability() {
    let graph = Graph::load(&fixture("called"), &LoadOptions::default()).unwrap();
    let db = AdvisoryDb::open(&shared("advisory-db")).unwrap();
    let options = tollgate_sbom::audit::Options {
        now: 1_790_000_000,
        max_db_age: std::time::Duration::MAX,
        reachability: true,
        target: None,
    };
    let outcome =
        tollgate_sbom::audit::check(&graph, &db, &Default::default(), &options, None).unwrap();
    let sbom_options = Options::default();
    let inventory = Inventory::from_graph(&graph, &sbom_options).unwrap();
    let bytes = cyclonedx::generate(&inventory, &sbom_options, Some(&outcome.findings)).unwrap();
    let doc = check("called-vex", &bytes);
    let vulns = doc["vulnerabilities"].as_array().unwrap();
    let by_id = |id: &str| vulns.iter().find(|v| v["id"] == id).unwrap();
    assert_eq!(
        by_id("RUSTSEC-2020-0071")["analysis"]["state"],
        "exploitable"
    );
    assert_eq!(
        by_id("RUSTSEC-2021-0003")["analysis"]["state"],
        "not_affected"
    );
    assert_eq!(
        by_id("RUSTSEC-2021-0003")["analysis"]["justification"],
        "code_not_reachable"
    );
    assert_eq!(by_id("RUSTSEC-2018-0018")["analysis"]["state"], "in_triage");
    assert_eq!(
        by_id("RUSTSEC-2021-0003")["affects"][0]["ref"],
        "pkg:cargo/smallvec@0.6.9"
    );
    assert_eq!(
        by_id("RUSTSEC-2021-0003")["ratings"][0]["method"],
        "CVSSv31"
    );
    let v16 = cyclonedx::generate(
        &inventory,
        &Options {
            spec: SpecVersion::V1_6,
            ..Options::default()
        },
        Some(&outcome.findings),
    )
    .unwrap();
    check("called-vex-1.6", &v16);
}

#[test]
fn diff_reports_changes_licences_and_new_sources() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.json");
    std::fs::write(&old, sbom(&fixture("called"), &Options::default())).unwrap();
    let mut doc: Value = load_json(&old);
    let components = doc["components"].as_array_mut().unwrap();
    let smallvec = components
        .iter_mut()
        .find(|c| c["name"] == "smallvec")
        .unwrap();
    smallvec["version"] = "1.13.2".into();
    let libc = components.iter_mut().find(|c| c["name"] == "libc").unwrap();
    libc["licenses"] = serde_json::json!([{"expression": "GPL-3.0-only"}]);
    components.retain(|c| c["name"] != "winapi-i686-pc-windows-gnu");
    components.push(serde_json::json!({"type": "library", "name": "forked", "version": "0.2.0", "purl": "pkg:cargo/forked@0.2.0?vcs_url=git%2Bhttps%3A%2F%2Fgithub.com%2Fsomeone%2Fforked%400123"}));
    let new = dir.path().join("new.json");
    std::fs::write(&new, serde_json::to_vec(&doc).unwrap()).unwrap();

    let diff = tollgate_sbom::diff::diff_files(&old, &new).unwrap();
    let added: Vec<&str> = diff.added.iter().map(|c| c.name.as_str()).collect();
    let removed: Vec<&str> = diff.removed.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(added, vec!["forked"]);
    assert_eq!(removed, vec!["winapi-i686-pc-windows-gnu"]);
    assert_eq!(diff.changed.len(), 1);
    assert_eq!(
        (diff.changed[0].from.as_str(), diff.changed[0].to.as_str()),
        ("0.6.9", "1.13.2")
    );
    assert_eq!(diff.license_changes.len(), 1);
    assert_eq!(diff.license_changes[0].to.as_deref(), Some("GPL-3.0-only"));
    assert_eq!(diff.new_sources.len(), 1);
    assert_eq!(
        diff.new_sources[0].source,
        "git+https://github.com/someone/forked"
    );
    let text = diff.to_text();
    assert!(
        text.contains("~ changed  smallvec 0.6.9 -> 1.13.2"),
        "{text}"
    );
    assert!(
        text.ends_with(
            "sbom diff: 1 added, 1 removed, 1 changed, 1 licence change, 1 new source\n"
        ),
        "{text}"
    );
    assert!(tollgate_sbom::diff::diff_files(&old, &old)
        .unwrap()
        .is_empty());

    std::fs::write(dir.path().join("x.json"), "{\"hello\": 1}").unwrap();
    let err = tollgate_sbom::diff::diff_files(&old, &dir.path().join("x.json")).unwrap_err();
    assert!(
        err.to_string().contains("x.json: not a CycloneDX SBOM"),
        "{err}"
    );
}

/// A real ELF with a `.dep-v0` section in cargo auditable's format
/// (zlib-compressed JSON), added with binutils' objcopy.
fn auditable_binary(dir: &Path) -> PathBuf {
    use std::io::Write;
    let json = r#"{"packages":[{"name":"app","version":"0.1.0","source":"local","dependencies":[1,2],"root":true},{"name":"smallvec","version":"0.6.9","source":"crates.io"},{"name":"cc","version":"1.0.83","source":"crates.io","kind":"build"}]}"#;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(json.as_bytes()).unwrap();
    let section = dir.join("dep-v0.z");
    std::fs::write(&section, encoder.finish().unwrap()).unwrap();
    let binary = dir.join("app");
    std::fs::copy("/bin/true", &binary).unwrap();
    let status = std::process::Command::new("objcopy")
        .arg("--add-section")
        .arg(format!(".dep-v0={}", section.display()))
        .arg(&binary)
        .status()
        .expect("objcopy (binutils) is required");
    assert!(status.success());
    binary
}

#[test]
fn sbom_from_cargo_auditable_data() {
    let dir = tempfile::tempdir().unwrap();
    let binary = auditable_binary(dir.path());
    let inventory = tollgate_sbom::auditable::inventory_from_binary(&binary).unwrap();
    let options = Options {
        artifact: Some(binary.clone()),
        ..Options::default()
    };
    let doc = check(
        "auditable",
        &cyclonedx::generate(&inventory, &options, None).unwrap(),
    );
    assert_eq!(doc["metadata"]["component"]["name"], "app");
    let scope = |name: &str| {
        doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap()["scope"]
            .clone()
    };
    assert_eq!(scope("smallvec"), "required");
    assert_eq!(scope("cc"), "excluded");

    let plain = dir.path().join("plain");
    std::fs::copy("/bin/true", &plain).unwrap();
    let err = tollgate_sbom::auditable::inventory_from_binary(&plain).unwrap_err();
    assert!(
        err.to_string().contains("plain: no dependency data")
            && err.to_string().contains("cargo auditable"),
        "{err}"
    );
}
