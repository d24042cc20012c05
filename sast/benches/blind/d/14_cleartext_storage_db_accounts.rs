// Scenario: persistence layer of a home-automation hub that stores user
// accounts and third-party integration credentials in SQLite via sqlx.
use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
use argon2::Argon2;
use serde::Deserialize;
use sqlx::SqlitePool;

#[derive(Deserialize)]
pub struct NewUser {
    pub email: String,
    pub password: String,
    pub display_name: String,
}

#[derive(Deserialize)]
pub struct Integration {
    pub provider: String,
    pub client_id: String,
    pub client_secret: String,
}

pub struct Repo {
    pool: SqlitePool,
}

fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
}

impl Repo {
    pub async fn create_user(&self, u: &NewUser) -> sqlx::Result<i64> {
        let rec = sqlx::query("INSERT INTO users (email, password_hash, name) VALUES (?, ?, ?)")
            .bind(&u.email)
            .bind(hash(&u.password))
            .bind(&u.display_name)
            .execute(&self.pool)
            .await?;
        Ok(rec.last_insert_rowid())
    }

    pub async fn create_user_legacy(&self, u: &NewUser) -> sqlx::Result<()> {
        sqlx::query("INSERT INTO legacy_users (email, password) VALUES (?, ?)")
            .bind(&u.email)
            .bind(&u.password) //~ cleartext-storage
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn save_integration(&self, i: Integration) -> sqlx::Result<()> {
        let Integration { provider, client_id, client_secret } = i;
        sqlx::query("INSERT INTO integrations (provider, client_id, client_secret) VALUES (?, ?, ?)")
            .bind(provider)
            .bind(client_id)
            .bind(client_secret) //~ cleartext-storage
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn rename(&self, email: &str, display_name: &str) -> sqlx::Result<()> {
        sqlx::query("UPDATE users SET name = ? WHERE email = ?")
            .bind(display_name)
            .bind(email)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn set_password(&self, email: &str, new_password: &str) -> sqlx::Result<()> {
        let h = hash(new_password);
        sqlx::query("UPDATE users SET password_hash = ? WHERE email = ?")
            .bind(h)
            .bind(email)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub fn store_pin_blocking(conn: &rusqlite::Connection, device: &str, pin: &str) -> rusqlite::Result<usize> {
        conn.execute("INSERT INTO device_pins (device, pin) VALUES (?1, ?2)", rusqlite::params![device, pin]) //~ cleartext-storage
    }
}
