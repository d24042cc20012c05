//! Deployment webhook receiver: verifies pushes, checks out refs, runs builds.

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    routing::post,
    Json, Router,
};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha1::{Digest, Sha1};
use sha2::Sha256;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::sync::Arc;

type HmacSha256 = Hmac<Sha256>;

#[derive(Deserialize)]
struct PushEvent {
    #[serde(rename = "ref")]
    git_ref: String,
    build_tool: Option<String>,
    artifact_name: Option<String>,
    artifact_b64: Option<String>,
}

struct Deployer {
    workdir: PathBuf,
    artifacts: PathBuf,
    webhook_secret: String,
}

impl Deployer {
    fn checkout(&self, branch: &str) -> io::Result<ExitStatus> {
        let script = format!(
            "cd {} && git fetch -q && git checkout {}",
            self.workdir.display(),
            branch
        );
        Command::new("sh").args(["-c", &script]).status() //~ command-injection
    }

    fn checkout_tag(&self, tag: &str) -> io::Result<ExitStatus> {
        let valid = !tag.is_empty()
            && tag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c));
        if !valid {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "bad tag"));
        }
        let mut git = Command::new("git");
        git.arg("-C").arg(&self.workdir);
        git.args(["checkout", "--detach", "--"]).arg(tag).status()
    }

    fn run_build(&self, tool: &str) -> io::Result<ExitStatus> {
        Command::new(tool).current_dir(&self.workdir).status() //~ command-injection
    }

    fn run_known_build(&self, tool: &str) -> io::Result<ExitStatus> {
        let program = match tool {
            "cargo" => "cargo",
            "make" => "make",
            _ => return Err(io::Error::new(io::ErrorKind::InvalidInput, "unknown tool")),
        };
        Command::new(program)
            .arg("build")
            .current_dir(&self.workdir)
            .status()
    }

    fn store_artifact(&self, name: &str, data: &[u8]) -> io::Result<()> {
        std::fs::write(self.artifacts.join(name), data) //~ path-traversal
    }

    fn store_named_artifact(&self, name: &str, data: &[u8]) -> io::Result<()> {
        let file = Path::new(name)
            .file_name()
            .ok_or(io::ErrorKind::InvalidInput)?;
        std::fs::write(self.artifacts.join("nightly").join(file), data)
    }

    fn signature_ok(&self, headers: &HeaderMap, body: &[u8]) -> bool {
        if let Some(sig) = headers
            .get("x-hub-signature-256")
            .and_then(|v| v.to_str().ok())
        {
            let mut mac = HmacSha256::new_from_slice(self.webhook_secret.as_bytes()).expect("key");
            mac.update(body);
            let hex_sig = sig.trim_start_matches("sha256=");
            return hex::decode(hex_sig)
                .map(|raw| mac.verify_slice(&raw).is_ok())
                .unwrap_or(false);
        }
        let legacy = headers
            .get("x-legacy-signature")
            .and_then(|v| v.to_str().ok());
        legacy == Some(legacy_signature(self.webhook_secret.as_bytes(), body).as_str())
    }
}

fn legacy_signature(secret: &[u8], body: &[u8]) -> String {
    hex::encode(Sha1::digest([secret, body].concat())) //~ weak-hash
}

struct StatusSigner {
    key: Vec<u8>,
}

impl Default for StatusSigner {
    fn default() -> Self {
        Self {
            key: b"deploy-status-signing-2021".to_vec(),
        }
    }
}

impl StatusSigner {
    fn sign(&self, message: &str) -> String {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("key"); //~ hardcoded-crypto-key
        mac.update(message.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

struct App {
    deployer: Deployer,
    signer: StatusSigner,
}

async fn on_push(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    if !app.deployer.signature_ok(&headers, &body) {
        return (StatusCode::UNAUTHORIZED, String::new());
    }
    let Ok(event) = serde_json::from_slice::<PushEvent>(&body) else {
        return (StatusCode::BAD_REQUEST, String::new());
    };
    let d = &app.deployer;
    let result = match event.git_ref.strip_prefix("refs/tags/") {
        Some(tag) => d.checkout_tag(tag),
        None => d.checkout(event.git_ref.trim_start_matches("refs/heads/")),
    };
    if result.map(|s| s.success()).unwrap_or(false) {
        let tool = event.build_tool.as_deref().unwrap_or("cargo");
        let built = if headers.contains_key("x-trusted-runner") {
            d.run_build(tool)
        } else {
            d.run_known_build(tool)
        };
        if built.is_err() {
            return (StatusCode::INTERNAL_SERVER_ERROR, String::new());
        }
    }
    if let (Some(name), Some(b64)) = (event.artifact_name, event.artifact_b64) {
        let data = base64::decode(b64).unwrap_or_default();
        let _ = d.store_artifact(&name, &data);
        let _ = d.store_named_artifact(&name, &data);
    }
    (StatusCode::OK, app.signer.sign(&event.git_ref))
}

#[tokio::main]
async fn main() {
    let app = Arc::new(App {
        deployer: Deployer {
            workdir: PathBuf::from("/srv/app"),
            artifacts: PathBuf::from("/srv/artifacts"),
            webhook_secret: std::env::var("WEBHOOK_SECRET").expect("WEBHOOK_SECRET"),
        },
        signer: StatusSigner::default(),
    });
    let router = Router::new()
        .route("/hooks/push", post(on_push))
        .with_state(app);
    let listener = tokio::net::TcpListener::bind("0.0.0.0:9000").await.unwrap();
    axum::serve(listener, router).await.unwrap();
}
