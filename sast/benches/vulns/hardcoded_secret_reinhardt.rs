// https://github.com/kent8192/reinhardt-web/pull/1179 (default SECRET_KEY, the session/CSRF signing key, is a literal shared by every deployment that does not set one; fix commit b5b928c78 generates a random key)
use reinhardt_conf::{DefaultSource, Settings, SettingsBuilder};

pub fn load_settings(profile: &str, base_dir: &std::path::Path) -> Settings {
    let merged = SettingsBuilder::new()
        .profile(profile)
        .add_source(
            DefaultSource::new()
                .with_value("base_dir", serde_json::json!(base_dir.to_string_lossy().to_string()))
                .with_value("debug", serde_json::json!(true))
                .with_value(
                    "secret_key",
                    serde_json::json!("insecure-dev-key-change-in-production"), //~ hardcoded-secret
                )
                .with_value("allowed_hosts", serde_json::json!([])),
        )
        .build();
    merged.unwrap_or_default()
}

/// Generate a cryptographically random secret key for fallback use.
fn fixed_generate_random_secret_key() -> String {
    use rand::Rng;
    use std::fmt::Write;

    let mut rng = rand::thread_rng();
    let bytes: [u8; 25] = rng.r#gen();
    let mut hex_string = String::with_capacity(50);
    for b in bytes {
        let _ = write!(hex_string, "{:02x}", b);
    }
    hex_string
}

pub fn fixed_load_settings(profile: &str, base_dir: &std::path::Path) -> Settings {
    let merged = SettingsBuilder::new()
        .profile(profile)
        .add_source(
            DefaultSource::new()
                .with_value("base_dir", serde_json::json!(base_dir.to_string_lossy().to_string()))
                .with_value("debug", serde_json::json!(true))
                .with_value("secret_key", serde_json::json!(fixed_generate_random_secret_key()))
                .with_value("allowed_hosts", serde_json::json!([])),
        )
        .build();
    merged.unwrap_or_default()
}
