//! What the end-to-end tests share: the repository root, and the services
//! they start and stop (the local Sigstore stand-in, `@sigstore/mock`
//! served by `tests/js/sigstore-mock-server.js`). Included with `#[path]`
//! by the test files that need it.

#![allow(dead_code)] // each test crate uses a subset

use base64::Engine;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The repository root (the tests run from `cli/`).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
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
