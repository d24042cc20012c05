//! The built-in demo for `tollgate ci --demo`: the demo service's sources
//! are compiled into the binary, so the demo runs from any install. It is
//! written out as a git repository with one commit at a fixed time (so the
//! provenance names a real, reproducible commit), and packed into a
//! deterministic tar archive, the artifact that gets signed and verified.

use crate::ci_cmd::Demo;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// Where the demo's remote claims to live; the generated policy requires it.
pub const DEMO_REPOSITORY: &str = "https://github.com/tollgate-dev/tollgate-demo-shop";

const VULNERABLE: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("../../demo/Cargo.toml")),
    ("Cargo.lock", include_str!("../../demo/Cargo.lock")),
    ("src/main.rs", include_str!("../../demo/src/main.rs")),
    (
        "tollgate.toml",
        "# Every rule, log injection included.\n[sast]\nsuite = \"extended\"\n",
    ),
];

const FIXED: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("../../demo/fixed/Cargo.toml")),
    ("Cargo.lock", include_str!("../../demo/fixed/Cargo.lock")),
    ("src/main.rs", include_str!("../../demo/fixed/src/main.rs")),
    (
        "tollgate.toml",
        "# Every rule, log injection included.\n[sast]\nsuite = \"extended\"\n",
    ),
];

/// 2026-01-01T00:00:00Z: the demo commit's time, unless SOURCE_DATE_EPOCH says otherwise.
const DEMO_EPOCH: i64 = 1_767_225_600;

pub struct Materialised {
    pub project: PathBuf,
    pub artifact: PathBuf,
}

/// Write the demo project under `work/demo` (a git repository) and its
/// source archive under `work/artifacts`.
pub fn materialise(variant: Demo, work: &Path) -> Result<Materialised> {
    let files = match variant {
        Demo::Vulnerable => VULNERABLE,
        Demo::Fixed => FIXED,
    };
    let project = work.join("demo");
    for (name, content) in files {
        let path = project.join(name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("{}: cannot create", dir.display()))?;
        }
        std::fs::write(&path, content)
            .with_context(|| format!("{}: cannot write", path.display()))?;
    }
    let epoch = crate::sbom_cmd::source_date_epoch()?.unwrap_or(DEMO_EPOCH);
    commit(&project, files, epoch)?;
    let version = match variant {
        Demo::Vulnerable => "0.1.0",
        Demo::Fixed => "0.2.0",
    };
    let artifacts = work.join("artifacts");
    std::fs::create_dir_all(&artifacts)
        .with_context(|| format!("{}: cannot create", artifacts.display()))?;
    let artifact = artifacts.join(format!("tollgate-demo-shop-{version}.tar"));
    std::fs::write(&artifact, tar(files, epoch)?)
        .with_context(|| format!("{}: cannot write", artifact.display()))?;
    Ok(Materialised { project, artifact })
}

fn commit(dir: &Path, files: &[(&str, &str)], epoch: i64) -> Result<()> {
    let repo = git2::Repository::init(dir)
        .with_context(|| format!("{}: cannot create the demo repository", dir.display()))?;
    repo.remote("origin", DEMO_REPOSITORY)?;
    repo.set_head("refs/heads/main")?;
    let mut index = repo.index()?;
    for (name, _) in files {
        index.add_path(Path::new(name))?;
    }
    index.write()?;
    let tree = repo.find_tree(index.write_tree()?)?;
    let who = git2::Signature::new(
        "Tollgate demo",
        "demo@tollgate.invalid",
        &git2::Time::new(epoch, 0),
    )?;
    repo.commit(Some("HEAD"), &who, &who, "The demo shop", &tree, &[])?;
    Ok(())
}

/// A POSIX ustar archive of `files`, sorted, owned by 0:0, mode 0644, at `epoch`.
fn tar(files: &[(&str, &str)], epoch: i64) -> Result<Vec<u8>> {
    let mut sorted: Vec<_> = files.to_vec();
    sorted.sort();
    let mut out = Vec::new();
    for (name, content) in sorted {
        let path = format!("tollgate-demo-shop/{name}");
        anyhow::ensure!(path.len() < 100, "{path}: name too long for ustar");
        let mut header = [0u8; 512];
        header[..path.len()].copy_from_slice(path.as_bytes());
        let octal = |field: &mut [u8], value: u64| {
            let text = format!("{:0width$o}\0", value, width = field.len() - 1);
            field.copy_from_slice(text.as_bytes());
        };
        octal(&mut header[100..108], 0o644);
        octal(&mut header[108..116], 0);
        octal(&mut header[116..124], 0);
        octal(&mut header[124..136], content.len() as u64);
        octal(&mut header[136..148], u64::try_from(epoch).unwrap_or(0));
        header[156] = b'0';
        header[257..263].copy_from_slice(b"ustar\0");
        header[263..265].copy_from_slice(b"00");
        // The checksum is computed with its own field as spaces.
        header[148..156].copy_from_slice(b"        ");
        let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
        let text = format!("{sum:06o}\0 ");
        header[148..156].copy_from_slice(text.as_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(content.as_bytes());
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.extend_from_slice(&[0u8; 1024]);
    Ok(out)
}

/// The demo's policy: the generated key, the demo repository on `main`, no
/// denied licences, no vulnerability above low, no SAST errors.
pub fn policy(public_key_pem: &str) -> String {
    let key: String = public_key_pem
        .lines()
        .map(|l| format!("      {l}\n"))
        .collect();
    let mut text = String::from(
        "# Written by `tollgate ci --demo`: trusts the demo's throwaway key.
apiVersion: tollgate.dev/v1
kind: Policy
name: demo
mode: enforce
authorities:
  - name: demo-key
    key: |
",
    );
    text.push_str(&key);
    text.push_str(&format!(
        "    allowUnlogged: true
threshold: 1
attestations:
  - type: provenance
    provenance:
      sourceRepositories: [\"{DEMO_REPOSITORY}\"]
      refs: [\"refs/heads/main\"]
  - type: sbom
    sbom:
      deniedLicenses: [\"GPL-3.0-only\", \"AGPL-3.0-only\"]
  - type: vulns
    vulns:
      maxSeverity: low
  - type: sast
    sast:
      maxErrors: 0
"
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tar_is_deterministic_and_well_formed() {
        let a = tar(VULNERABLE, 0).unwrap();
        assert_eq!(a, tar(VULNERABLE, 0).unwrap());
        assert_eq!(a.len() % 512, 0);
        // The first header names the first file in sorted order.
        assert!(a.starts_with(b"tollgate-demo-shop/Cargo.lock"));
    }

    #[test]
    fn demo_policy_is_valid() {
        let pem = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEGmsWpZNuu+SUX70n3lVK4JLsaoV7\nT+rhea2rQUu29EQiatoLB06QdsmSd+GsQGlQzfcDtsKPzb+B2zLggrWZjg==\n-----END PUBLIC KEY-----\n";
        tollgate_verifier::policy::Policy::parse(&policy(pem)).unwrap();
    }
}
