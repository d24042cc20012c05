// CLI login command that caches the OAuth access token and refresh token under the user's config dir.
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

pub struct TokenSet {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
}

fn config_dir() -> PathBuf {
    dirs::config_dir().unwrap_or_else(|| PathBuf::from(".")).join("mycli")
}

fn token_path(name: &str) -> PathBuf {
    config_dir().join(name)
}

fn persist_access(path: &Path, auth_token: &str) -> std::io::Result<()> {
    fs::write(path, auth_token) //~ cleartext-storage
}

fn persist_refresh(path: &Path, tokens: &TokenSet) -> std::io::Result<()> {
    let mut f = File::create(path)?;
    f.write_all(tokens.refresh_token.as_bytes())?; //~ cleartext-storage
    f.write_all(b"\n")?;
    Ok(())
}

fn persist_expiry(path: &Path, tokens: &TokenSet) -> std::io::Result<()> {
    fs::write(path, tokens.expires_in.to_string())
}

fn persist_private(path: &Path, secret: &str) -> std::io::Result<()> {
    // Judgement call: owner-only (0o600) credential file, like ~/.netrc; not marked.
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(secret.as_bytes())
}

fn persist_encrypted(path: &Path, secret: &str, key: &[u8; 32]) -> std::io::Result<()> {
    let sealed = crate::crypto::seal(key, secret.as_bytes());
    fs::write(path, sealed)
}

pub fn login(username: &str, password: &str) -> anyhow::Result<()> {
    let tokens: TokenSet = crate::oauth::password_grant(username, password)?;
    fs::create_dir_all(config_dir())?;

    persist_access(&token_path("access_token"), &tokens.access_token)?;
    persist_refresh(&token_path("refresh_token"), &tokens)?;
    persist_expiry(&token_path("expires_in"), &tokens)?;
    fs::write(token_path("last_user"), username)?;

    let key = crate::keyring::master_key()?;
    persist_encrypted(&token_path("refresh.enc"), &tokens.refresh_token, &key)?;
    persist_private(&token_path("access.private"), &tokens.access_token)?;
    Ok(())
}
