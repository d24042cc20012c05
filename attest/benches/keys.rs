//! In-process signing and verification throughput (ops/s) for ECDSA P-256
//! and Ed25519, next to the raw signature check (the floor for verifying a
//! keyed bundle: parse, digest, signature). Run with
//! `cargo bench -p tollgate-attest --bench keys`.

use std::hint::black_box;
use std::time::{Duration, Instant};
use tollgate_attest::keys::{verify_signature, KeyKind, KeyPair};
use tollgate_attest::verify::{verify_bundle, verify_bundle_text, Signer, Subject, Trust};

fn rate(mut f: impl FnMut()) -> f64 {
    // Warm up, then run for about a second.
    for _ in 0..50 {
        f();
    }
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs(1) {
        for _ in 0..50 {
            f();
        }
        n += 50;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let dir = std::env::temp_dir().join(format!("tollgate-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok();
    let artifact = vec![0x5au8; 4096];
    let artifact_path = dir.join("artifact.bin");
    std::fs::write(&artifact_path, &artifact).ok();
    println!(
        "{:<10} {:>12} {:>14} {:>16} {:>8} {:>16} {:>8}",
        "key", "sign ops/s", "raw verify/s", "files verify/s", "ratio", "memory verify/s", "ratio"
    );
    for kind in [KeyKind::EcdsaP256, KeyKind::Ed25519] {
        let key = KeyPair::generate(kind);
        let pem = key.public_key_pem();
        let signature = key.sign(&artifact);
        let sign = rate(|| {
            black_box(key.sign(black_box(&artifact)));
        });
        let raw = rate(|| {
            black_box(verify_signature(&pem, black_box(&artifact), &signature)).ok();
        });
        let bundle_path = dir.join(format!("{}.sigstore.json", kind.as_str()));
        let key_path = dir.join(format!("{}.pub", kind.as_str()));
        std::fs::write(
            &bundle_path,
            tollgate_attest::sign::to_bytes(&tollgate_attest::sign::keyed_bundle(&key, &artifact)),
        )
        .ok();
        std::fs::write(&key_path, &pem).ok();
        let subject = Subject::File(artifact_path.clone());
        let signer = Signer::Key(key_path.clone());
        if let Err(e) = verify_bundle(&bundle_path, &subject, &signer, &Trust::PublicGood, true) {
            eprintln!("bundle does not verify: {e}");
            std::process::exit(1);
        }
        let bundle = rate(|| {
            black_box(verify_bundle(
                &bundle_path,
                &subject,
                &signer,
                &Trust::PublicGood,
                true,
            ))
            .ok();
        });
        // The gate's path: the bundle, the subject and the policy's key
        // already in memory (strict parse, digest, key parse, signature).
        let text =
            String::from_utf8(std::fs::read(&bundle_path).unwrap_or_default()).unwrap_or_default();
        let in_memory = Subject::Bytes(artifact.clone());
        let inline = Signer::KeyPem(pem.clone());
        let label = std::path::Path::new("bundle");
        if let Err(e) =
            verify_bundle_text(label, &text, &in_memory, &inline, &Trust::PublicGood, true)
        {
            eprintln!("in-memory bundle does not verify: {e}");
            std::process::exit(1);
        }
        let memory = rate(|| {
            black_box(verify_bundle_text(
                label,
                &text,
                &in_memory,
                &inline,
                &Trust::PublicGood,
                true,
            ))
            .ok();
        });
        println!(
            "{:<10} {:>12.0} {:>14.0} {:>16.0} {:>7.2}x {:>16.0} {:>7.2}x",
            kind.as_str(),
            sign,
            raw,
            bundle,
            raw / bundle,
            memory,
            raw / memory
        );
    }
    println!("ratio = raw signature check rate / keyed-bundle verification rate; files: read bundle, key and artifact from disk, as the CLI does; memory: as the gate does (strict parse, digest, key parse, signature)");

    // Full keyless verification (chain, SCT, SET, inclusion proof, identity)
    // of a sigstore-conformance bundle, when ../shared is present.
    let conformance =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/sigstore/conformance");
    let bundle =
        conformance.join("bundle-verify/happy-path-v0.3-new-mediaType/bundle.sigstore.json");
    if bundle.exists() {
        let subject = Subject::File(conformance.join("a.txt"));
        let signer = Signer::Identity {
            identity: "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main".into(),
            issuer: "https://token.actions.githubusercontent.com".into(),
        };
        if verify_bundle(&bundle, &subject, &signer, &Trust::PublicGood, false).is_ok() {
            let keyless = rate(|| {
                black_box(verify_bundle(
                    &bundle,
                    &subject,
                    &signer,
                    &Trust::PublicGood,
                    false,
                ))
                .ok();
            });
            println!(
                "keyless bundle (public-good root, full checks): {keyless:.0} verifications/s"
            );
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}
