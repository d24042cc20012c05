//! `ledger` — a small personal bookkeeping CLI backed by SQLite.

use rusqlite::{params, Connection};
use std::env;
use std::fs;
use std::path::PathBuf;
use std::process::{Command, ExitCode};

struct Ledger {
    conn: Connection,
    db_path: PathBuf,
    attachments: PathBuf,
}

struct Config {
    path: PathBuf,
    api_token: String,
    currency: String,
}

impl Config {
    fn location() -> PathBuf {
        let base = dirs::config_dir().unwrap_or_else(|| PathBuf::from("."));
        base.join("ledger").join("config.toml")
    }

    fn load() -> Self {
        let path = Self::location();
        let text = fs::read_to_string(&path).unwrap_or_default();
        let get = |k: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{k}=")))
                .unwrap_or("")
                .to_string()
        };
        Self {
            api_token: get("token"),
            currency: get("currency"),
            path,
        }
    }

    fn save(&self) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            fs::create_dir_all(dir)?;
        }
        let body = format!("currency={}\ntoken={}\n", self.currency, self.api_token);
        fs::write(&self.path, body) //~ cleartext-storage
    }
}

impl Ledger {
    fn open() -> rusqlite::Result<Self> {
        let base = dirs::data_dir().unwrap_or_default().join("ledger");
        let db_path = base.join("ledger.db");
        let conn = Connection::open(&db_path)?;
        Ok(Self {
            conn,
            db_path,
            attachments: base.join("attachments"),
        })
    }

    fn find_by_payee(&self, payee: &str) -> rusqlite::Result<Vec<(i64, f64)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, amount FROM entries WHERE payee = ?1 ORDER BY booked_at")?;
        let rows = stmt.query_map(params![payee], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect()
    }

    fn total_for(&self, category: &str) -> rusqlite::Result<f64> {
        let sql = format!(
            "SELECT COALESCE(SUM(amount), 0) FROM entries WHERE category = '{}'",
            category
        );
        self.conn.query_row(&sql, [], |r| r.get(0)) //~ sql-injection
    }

    fn tag(&self, id: &str, tag: &str) -> rusqlite::Result<()> {
        let batch =
            format!("BEGIN; UPDATE entries SET tags = tags || ',{tag}' WHERE id = {id}; COMMIT;");
        self.conn.execute_batch(&batch) //~ sql-injection
    }

    fn delete(&self, id: &str) -> rusqlite::Result<usize> {
        let id: i64 = id.parse().map_err(|_| rusqlite::Error::InvalidQuery)?;
        self.conn
            .execute(&format!("DELETE FROM entries WHERE id = {}", id), [])
    }

    fn attachment(&self, name: &str) -> std::io::Result<Vec<u8>> {
        let path = self.attachments.join(name);
        fs::read(path) //~ path-traversal
    }

    fn backup(&self, dest: &str) -> std::io::Result<bool> {
        let script = format!("tar czf {} {}", dest, self.db_path.display());
        let status = Command::new("sh").arg("-c").arg(&script).status()?; //~ command-injection
        Ok(status.success())
    }

    fn compress_db(&self) -> std::io::Result<bool> {
        let status = Command::new("gzip")
            .arg("-kf9")
            .arg(&self.db_path)
            .status()?;
        Ok(status.success())
    }
}

fn pager_program() -> String {
    env::var("LEDGER_PAGER").unwrap_or_else(|_| "less".to_string())
}

fn show_in_pager(program: &str, text: &str) -> std::io::Result<()> {
    let tmp = env::temp_dir().join("ledger-report.txt");
    fs::write(&tmp, text)?;
    Command::new(program).arg(&tmp).status()?; //~ command-injection
    Ok(())
}

fn usage() -> ExitCode {
    eprintln!("usage: ledger <find|total|tag|rm|attachment|backup|login|report> ...");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let Some(cmd) = args.first() else {
        return usage();
    };
    let ledger = match Ledger::open() {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot open ledger: {e}");
            return ExitCode::FAILURE;
        }
    };
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let result: Result<String, Box<dyn std::error::Error>> = match cmd.as_str() {
        "find" => ledger
            .find_by_payee(arg(1))
            .map(|rows| format!("{} entries", rows.len()))
            .map_err(Into::into),
        "total" => ledger
            .total_for(arg(1))
            .map(|t| format!("{t:.2}"))
            .map_err(Into::into),
        "tag" => ledger
            .tag(arg(1), arg(2))
            .map(|_| "ok".into())
            .map_err(Into::into),
        "rm" => ledger
            .delete(arg(1))
            .map(|n| format!("{n} removed"))
            .map_err(Into::into),
        "attachment" => ledger
            .attachment(arg(1))
            .map(|b| format!("{} bytes", b.len()))
            .map_err(Into::into),
        "backup" => ledger
            .backup(arg(1))
            .map(|ok| ok.to_string())
            .map_err(Into::into),
        "compress" => ledger
            .compress_db()
            .map(|ok| ok.to_string())
            .map_err(Into::into),
        "login" => {
            let mut cfg = Config::load();
            cfg.api_token = arg(1).to_string();
            cfg.save().map(|_| "saved".into()).map_err(Into::into)
        }
        "report" => {
            let report = format!("currency: {}\n", Config::load().currency);
            show_in_pager(&pager_program(), &report)
                .map(|_| String::new())
                .map_err(Into::into)
        }
        _ => return usage(),
    };
    match result {
        Ok(msg) => {
            println!("{msg}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
