// https://github.com/ZerosAndOnesLLC/AiFw/issues/73 (interface configuration API runs `sh -c` on format!-built lines holding the path's interface name and JSON fields; fix commit 7f91c1e uses argument arrays and validates the name)
use axum::extract::{Json, Path};
use axum::http::StatusCode;
use tokio::process::Command;

#[derive(serde::Deserialize)]
pub struct ConfigureInterfaceRequest {
    pub enabled: Option<bool>,
    pub ipv6_address: Option<String>,
    pub description: Option<String>,
}

#[derive(serde::Serialize)]
pub struct MessageResponse {
    pub message: String,
}

pub async fn configure_interface(
    Path(name): Path<String>,
    Json(req): Json<ConfigureInterfaceRequest>,
) -> Result<Json<MessageResponse>, StatusCode> {
    if let Some(ref ipv6) = req.ipv6_address {
        if !ipv6.is_empty() && !ipv6.contains(':') {
            return Ok(Json(MessageResponse { message: "Invalid IPv6 address.".to_string() }));
        }
    }

    if let Some(enabled) = req.enabled {
        if enabled {
            let _ = run_cmd(&format!("sudo /sbin/ifconfig {} up", name)).await;
        } else {
            let _ = run_cmd(&format!("sudo /sbin/ifconfig {} down", name)).await;
        }
    }

    if let Some(ref ipv6) = req.ipv6_address {
        if !ipv6.is_empty() {
            let _ = run_cmd(&format!("sudo /sbin/ifconfig {} inet6 {}", name, ipv6)).await;
        }
    }

    if let Some(ref desc) = req.description {
        let _ = run_cmd(&format!("sudo /sbin/ifconfig {} description \"{}\"", name, desc)).await;
    }

    Ok(Json(MessageResponse { message: format!("Interface {} configured", name) }))
}

async fn run_cmd(cmd: &str) -> bool {
    Command::new("sh").arg("-c").arg(cmd).output().await //~ command-injection
        .map(|o| o.status.success())
        .unwrap_or(false)
}

pub async fn fixed_configure_interface(
    Path(name): Path<String>,
    Json(req): Json<ConfigureInterfaceRequest>,
) -> Result<Json<MessageResponse>, StatusCode> {
    // Validate interface name to prevent command injection
    if !validate_iface_name(&name) {
        return Ok(Json(MessageResponse { message: "Invalid interface name".to_string() }));
    }
    if let Some(ref ipv6) = req.ipv6_address {
        if !ipv6.is_empty() && !ipv6.contains(':') {
            return Ok(Json(MessageResponse { message: "Invalid IPv6 address.".to_string() }));
        }
    }

    if let Some(enabled) = req.enabled {
        if enabled {
            let _ = sudo_cmd(&["/sbin/ifconfig", &name, "up"]).await;
        } else {
            let _ = sudo_cmd(&["/sbin/ifconfig", &name, "down"]).await;
        }
    }

    if let Some(ref ipv6) = req.ipv6_address {
        if !ipv6.is_empty() {
            let _ = sudo_cmd(&["/sbin/ifconfig", &name, "inet6", ipv6]).await;
        }
    }

    if let Some(ref desc) = req.description {
        let _ = sudo_cmd(&["/sbin/ifconfig", &name, "description", desc]).await;
    }

    Ok(Json(MessageResponse { message: format!("Interface {} configured", name) }))
}

async fn sudo_cmd(args: &[&str]) -> bool {
    Command::new("/usr/local/bin/sudo").args(args).output().await
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Validate interface name — alphanumeric, underscore, hyphen, dot only. Max 15 chars.
fn validate_iface_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 15
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
}
