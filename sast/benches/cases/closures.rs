// Issue 17, item 3: taint through closures and through methods resolved
// via `impl` blocks and `self` types.
use axum::extract::{Path, Query};
use std::collections::HashMap;

// A tainted value handed to a closure by an iterator adapter.
fn pos_map_closure(conn: &rusqlite::Connection, Query(q): Query<HashMap<String, String>>) {
    let ids: Vec<String> = q.values().cloned().collect();
    let _n: Vec<_> = ids
        .iter()
        .map(|id| conn.execute(&format!("DELETE FROM t WHERE id = {id}"), [])) //~ sql-injection
        .collect();
}

// An `Option` of request data, consumed by `map`.
fn pos_option_map(Query(q): Query<HashMap<String, String>>) {
    let _ = q.get("cmd").map(|c| std::process::Command::new(c).status()); //~ command-injection
}

// A closure that captures a tainted variable and is called later.
fn pos_captured(conn: &rusqlite::Connection, Path(name): Path<String>) {
    let run = || conn.execute_batch(&format!("DROP TABLE {name}")); //~ sql-injection
    run().unwrap();
}

// A closure whose parameter reaches a sink, called with request data.
fn pos_closure_called(conn: &rusqlite::Connection, Path(name): Path<String>) {
    let delete = |who: &str| conn.execute(&format!("DELETE FROM users WHERE name = '{who}'"), []); //~ sql-injection
    delete(&name).unwrap();
}

// `for_each` and `and_then` closures.
fn pos_for_each(Query(q): Query<HashMap<String, String>>) {
    q.values().for_each(|v| {
        let _ = std::process::Command::new("sh").arg("-c").arg(v).status(); //~ command-injection
    });
}

fn neg_closure_literal(conn: &rusqlite::Connection, Path(_name): Path<String>) {
    let tables = ["a", "b"];
    tables.iter().for_each(|t| {
        let _ = conn.execute(&format!("DELETE FROM {t}"), []);
    });
}

fn neg_closure_called_clean(conn: &rusqlite::Connection, Path(name): Path<String>) {
    let delete = |who: &str| conn.execute("DELETE FROM users WHERE name = ?1", [who]);
    delete(&name).unwrap();
    let stamp = |t: &str| format!("DELETE FROM log WHERE day = '{t}'");
    let _ = conn.execute(&stamp("2024-01-01"), []);
}

// Methods resolved through `impl` and `self`.
struct Store {
    conn: rusqlite::Connection,
}

impl Store {
    fn remove(&self, table: &str) {
        self.conn.execute_batch(&format!("DROP TABLE {table}")).unwrap(); //~ sql-injection
    }

    fn remove_fixed(&self, _table: &str) {
        self.conn.execute_batch("DROP TABLE scratch").unwrap();
    }

    fn handle(&self, Path(name): Path<String>) {
        self.remove(&name);
        self.remove_fixed(&name);
    }
}

struct Runner;

impl Runner {
    fn spawn(cmd: &str) {
        let _ = std::process::Command::new(cmd).status(); //~ command-injection
    }

    fn spawn_checked(cmd: &str) {
        if !matches!(cmd, "ls" | "date") {
            return;
        }
        let _ = std::process::Command::new(cmd).status();
    }
}

async fn route(Query(q): Query<HashMap<String, String>>) {
    let cmd = q.get("run").cloned().unwrap_or_default();
    Runner::spawn(&cmd);
    Runner::spawn_checked(&cmd);
}

// A closure called through another name (`let d = c;`, `let d = &c;`,
// `Box::new`): its body is followed like the original's.
fn closure_aliases() {
    let t = std::env::var("T").unwrap_or_default();
    let c = |x: &str| {
        let _ = std::process::Command::new(x).status(); //~ command-injection
    };
    let d = c;
    d(&t);
    let b: Box<dyn Fn(&str)> = Box::new(|x: &str| {
        let _ = std::process::Command::new(x).status(); //~ command-injection
    });
    let r = &b;
    r(&t);
    let fixed = |x: &str| {
        let _ = std::process::Command::new(x).status();
    };
    let alias = &fixed;
    alias("ls");
}
