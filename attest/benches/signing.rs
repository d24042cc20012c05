//! In-process signing throughput (signatures/s) per key type, over one
//! payload: Ed25519, ECDSA P-256, ECDSA P-384, RSA-3072 in memory, and a
//! key on a PKCS#11 token when `TOLLGATE_BENCH_PKCS11_URI` names one (the
//! token's own `C_Sign` rate through cryptoki is printed beside it: the
//! floor for what tollgate adds, which is hashing, DER encoding and checking
//! every token signature with the public key). Run by `benches/signing.sh`,
//! which also sets up a SoftHSM2 token and runs the peers (OpenSSL).
//!
//! Output: one line per key, `key<TAB>signatures/s`, for the script.

use std::hint::black_box;
use std::time::{Duration, Instant};
use tollgate_attest::keys::{KeyKind, KeyPair};

fn rate(seconds: f64, mut f: impl FnMut()) -> f64 {
    for _ in 0..5 {
        f();
    }
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs_f64(seconds) {
        f();
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let seconds: f64 = std::env::var("TOLLGATE_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    let payload = match std::env::var_os("TOLLGATE_BENCH_PAYLOAD") {
        Some(path) => std::fs::read(&path).unwrap_or_else(|e| {
            eprintln!("{}: {e}", path.to_string_lossy());
            std::process::exit(2)
        }),
        None => vec![0x5a; 4096],
    };
    for kind in [
        KeyKind::Ed25519,
        KeyKind::EcdsaP256,
        KeyKind::EcdsaP384,
        KeyKind::Rsa3072,
    ] {
        let key = match KeyPair::try_generate(kind) {
            Ok(key) => key,
            Err(e) => {
                eprintln!("{}: {e}", kind.as_str());
                std::process::exit(2)
            }
        };
        let ops = rate(seconds, || {
            black_box(key.sign(black_box(&payload)));
        });
        println!("{}\t{ops:.0}", kind.as_str());
    }
    let Ok(uri_text) = std::env::var("TOLLGATE_BENCH_PKCS11_URI") else {
        return;
    };
    let uri = match tollgate_attest::pkcs11::Pkcs11Uri::parse(&uri_text) {
        Ok(uri) => uri,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2)
        }
    };
    let token_key = match tollgate_attest::pkcs11::Pkcs11Key::open(&uri) {
        Ok(key) => key,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2)
        }
    };
    let name = format!("pkcs11-{}", token_key.kind().as_str());
    let key = KeyPair::from_pkcs11(token_key);
    let ops = rate(seconds, || {
        black_box(key.sign(black_box(&payload)));
    });
    if let Err(e) = key.signing_failure() {
        eprintln!("{e}");
        std::process::exit(2)
    }
    println!("{name}\t{ops:.0}");
    drop(key);
    // The floor: the token's C_Sign alone over a SHA-256 digest, in a
    // session of its own (no hashing of the payload, no check).
    match raw_token_rate(&uri_text, seconds) {
        Ok(ops) => println!("{name}-raw-c_sign\t{ops:.0}"),
        Err(e) => {
            eprintln!("raw C_Sign: {e}");
            std::process::exit(2)
        }
    }
}

fn raw_token_rate(uri: &str, seconds: f64) -> Result<f64, String> {
    use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
    use cryptoki::mechanism::Mechanism;
    use cryptoki::object::{Attribute, ObjectClass};
    use cryptoki::session::UserType;
    use cryptoki::types::AuthPin;
    // The bench script's URI: token=..;object=..?module-path=..&pin-value=..
    let attr = |name: &str| -> Option<String> {
        uri.split(['?', ';', '&', ':'])
            .find_map(|a| a.strip_prefix(&format!("{name}=")).map(str::to_string))
    };
    let module = attr("module-path").ok_or("module-path")?;
    let label = attr("object").ok_or("object")?;
    let token = attr("token").ok_or("token")?;
    let pin = attr("pin-value").ok_or("pin-value")?;
    let pkcs11 = Pkcs11::new(module).map_err(|e| e.to_string())?;
    // Already initialised by the tollgate key above in this process.
    let _ = pkcs11.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK));
    let slot = pkcs11
        .get_slots_with_token()
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|s| {
            pkcs11
                .get_token_info(*s)
                .is_ok_and(|i| i.label().trim_end() == token)
        })
        .ok_or("no such token")?;
    let session = pkcs11.open_ro_session(slot).map_err(|e| e.to_string())?;
    let _ = session.login(UserType::User, Some(&AuthPin::new(pin.into())));
    let key = session
        .find_objects(&[
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::Label(label.into_bytes()),
        ])
        .map_err(|e| e.to_string())?
        .into_iter()
        .next()
        .ok_or("no such key")?;
    let digest = [0x11u8; 32];
    let mut failed = None;
    let ops = rate(seconds, || {
        if let Err(e) = session.sign(&Mechanism::Ecdsa, key, &digest) {
            failed.get_or_insert(e.to_string());
        }
    });
    match failed {
        Some(e) => Err(e),
        None => Ok(ops),
    }
}
