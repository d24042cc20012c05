// CLI user admin tool: stores passwords as unsalted SHA-256, signs exports with openssl MD5/SHA-1.
use clap::{Parser, Subcommand};
use openssl::hash::{hash, Hasher, MessageDigest};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fs;

#[derive(Parser)]
struct Cli {
    #[arg(long, default_value = "users.json")]
    store: String,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    SetPassword { user: String, password: String },
    SetPasswordBcrypt { user: String, password: String },
    Export { out: String },
}

struct UserStore {
    path: String,
    users: HashMap<String, String>,
}

impl UserStore {
    fn open(path: &str) -> Self {
        let users = fs::read_to_string(path)
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        UserStore { path: path.to_string(), users }
    }

    fn set_password(&mut self, user: &str, password: &str) {
        let digest = Sha256::digest(password.as_bytes()); //~ weak-hash
        self.users.insert(user.to_string(), hex::encode(digest));
    }

    // SAFE: bcrypt with a work factor.
    fn set_password_bcrypt(&mut self, user: &str, password: &str) {
        let h = bcrypt::hash(password, bcrypt::DEFAULT_COST).expect("bcrypt");
        self.users.insert(user.to_string(), h);
    }

    fn save(&self) -> std::io::Result<()> {
        fs::write(&self.path, serde_json::to_vec_pretty(&self.users)?)
    }

    fn export(&self, out: &str) -> Result<(), Box<dyn std::error::Error>> {
        let body = serde_json::to_vec(&self.users)?;
        let sig = hash(MessageDigest::md5(), &body)?; //~ weak-hash
        let mut h = Hasher::new(MessageDigest::sha1())?; //~ weak-hash
        h.update(&body)?;
        let legacy = h.finish()?;
        // SAFE: SHA-256 checksum of the export (non-password integrity).
        let sum = hash(MessageDigest::sha256(), &body)?;
        fs::write(out, &body)?;
        fs::write(format!("{out}.sig"), format!("{}\n{}\n{}\n", hex::encode(sig), hex::encode(legacy), hex::encode(sum)))?;
        Ok(())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let mut store = UserStore::open(&cli.store);
    match cli.cmd {
        Cmd::SetPassword { user, password } => store.set_password(&user, &password),
        Cmd::SetPasswordBcrypt { user, password } => store.set_password_bcrypt(&user, &password),
        Cmd::Export { out } => store.export(&out)?,
    }
    store.save()?;
    Ok(())
}
