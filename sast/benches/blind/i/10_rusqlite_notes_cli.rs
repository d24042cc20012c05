//! `jot`: a tiny command-line notebook stored in SQLite.

use anyhow::{anyhow, Context, Result};
use clap::{Parser, Subcommand};
use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "jot", version)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    Add {
        text: String,
        #[arg(long, default_value = "")]
        tags: String,
    },
    Search {
        term: String,
        #[arg(long)]
        tag: Option<String>,
    },
    Purge {
        #[arg(long, default_value = "-90 days")]
        older_than: String,
    },
    Delete {
        id: i64,
    },
    Lock {
        id: i64,
    },
    Sync {
        #[command(subcommand)]
        action: SyncCmd,
    },
}

#[derive(Subcommand)]
enum SyncCmd {
    Login { user: String },
    Status,
}

const SAVE_SYNC_TOKEN: &str =
    "INSERT OR REPLACE INTO settings (key, value) VALUES ('sync_token', ?1)";

struct NoteStore {
    conn: Connection,
}

#[derive(Debug)]
struct Note {
    id: i64,
    text: String,
    tags: String,
}

fn db_path() -> Result<PathBuf> {
    Ok(dirs::data_dir()
        .context("no data dir")?
        .join("jot")
        .join("notes.db"))
}

impl NoteStore {
    fn open() -> Result<Self> {
        let path = db_path()?;
        std::fs::create_dir_all(path.parent().unwrap())?;
        let conn = Connection::open(path)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL,
               tags TEXT NOT NULL DEFAULT '', fingerprint TEXT UNIQUE, lock_hash TEXT,
               created_at TEXT NOT NULL DEFAULT (datetime('now')));
             CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
        )?;
        Ok(NoteStore { conn })
    }

    fn add(&self, text: &str, tags: &str) -> Result<i64> {
        let fingerprint = hex::encode(Sha256::digest(text.trim().as_bytes()));
        self.conn.execute(
            "INSERT OR IGNORE INTO notes (text, tags, fingerprint) VALUES (?1, ?2, ?3)",
            params![text, tags, fingerprint],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    fn search(&self, term: &str, tag: Option<&str>) -> Result<Vec<Note>> {
        let mut sql =
            String::from("SELECT id, text, tags FROM notes WHERE text LIKE '%' || ?1 || '%'");
        if let Some(t) = tag {
            sql += &format!(" AND (',' || tags || ',') LIKE '%,{t},%'");
        }
        let mut stmt = self.conn.prepare(&sql)?; //~ sql-injection
        let rows = stmt.query_map(params![term], |r| {
            Ok(Note {
                id: r.get(0)?,
                text: r.get(1)?,
                tags: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn purge(&self, older_than: &str) -> Result<usize> {
        let sql = format!("DELETE FROM notes WHERE created_at < datetime('now', '{older_than}')");
        Ok(self.conn.execute(&sql, [])?) //~ sql-injection
    }

    fn delete(&self, id: i64) -> Result<usize> {
        Ok(self
            .conn
            .execute("DELETE FROM notes WHERE id = ?1", params![id])?)
    }

    fn lock(&self, id: i64, passphrase: &str) -> Result<()> {
        let lock_hash = format!("{:x}", md5::compute(passphrase.as_bytes())); //~ weak-hash
        self.conn.execute(
            "UPDATE notes SET lock_hash = ?2 WHERE id = ?1",
            params![id, lock_hash],
        )?;
        Ok(())
    }

    fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        let sql = "INSERT INTO settings (key, value) VALUES (?1, ?2)
                   ON CONFLICT(key) DO UPDATE SET value = excluded.value";
        self.conn.execute(sql, params![key, value])?;
        Ok(())
    }

    fn setting(&self, key: &str) -> Result<Option<String>> {
        let q = "SELECT value FROM settings WHERE key = ?1";
        Ok(self
            .conn
            .query_row(q, params![key], |r| r.get(0))
            .optional()?)
    }
}

fn sync_login(store: &NoteStore, user: &str) -> Result<()> {
    let token = rpassword::prompt_password("Sync token: ")?;
    let resp = ureq::get("https://sync.jot.example.org/v1/whoami")
        .set("Authorization", &format!("Bearer {token}"))
        .call()
        .map_err(|e| anyhow!("token rejected: {e}"))?;
    if resp.status() != 200 {
        return Err(anyhow!("token rejected"));
    }
    store.set_setting("sync_user", user)?;
    store.conn.execute(SAVE_SYNC_TOKEN, params![token])?; //~ cleartext-storage
    Ok(())
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let store = NoteStore::open()?;
    match cli.cmd {
        Cmd::Add { text, tags } => println!("added note {}", store.add(&text, &tags)?),
        Cmd::Search { term, tag } => {
            for n in store.search(&term, tag.as_deref())? {
                println!("{:>5}  {}  [{}]", n.id, n.text, n.tags);
            }
        }
        Cmd::Purge { older_than } => println!("removed {} notes", store.purge(&older_than)?),
        Cmd::Delete { id } => println!("removed {} notes", store.delete(id)?),
        Cmd::Lock { id } => store.lock(id, &rpassword::prompt_password("Passphrase: ")?)?,
        Cmd::Sync {
            action: SyncCmd::Login { user },
        } => sync_login(&store, &user)?,
        Cmd::Sync {
            action: SyncCmd::Status,
        } => {
            let user = store
                .setting("sync_user")?
                .unwrap_or_else(|| "<not logged in>".into());
            println!("sync user: {user}");
        }
    }
    Ok(())
}
