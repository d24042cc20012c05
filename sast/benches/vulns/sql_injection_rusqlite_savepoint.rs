// https://github.com/rusqlite/rusqlite/pull/1854 (Savepoint: the savepoint name is pasted into SAVEPOINT/RELEASE/ROLLBACK TO; fix commit 15385cc0 quotes it as an identifier)
use rusqlite::{Connection, Result};

pub struct Savepoint<'conn> {
    conn: &'conn Connection,
    name: String,
    committed: bool,
}

impl Savepoint<'_> {
    pub fn with_name<T: Into<String>>(conn: &Connection, name: T) -> Result<Savepoint<'_>> {
        let name = name.into();
        conn.execute_batch(&format!("SAVEPOINT {name}")) //~ sql-injection
            .map(|()| Savepoint { conn, name, committed: false })
    }

    pub fn commit(&mut self) -> Result<()> {
        self.conn.execute_batch(&format!("RELEASE {}", self.name))?; //~ sql-injection
        self.committed = true;
        Ok(())
    }

    pub fn rollback(&mut self) -> Result<()> {
        self.conn.execute_batch(&format!("ROLLBACK TO {}", self.name)) //~ sql-injection
    }
}

// The fix builds the statement with the identifier quoted (rusqlite's
// pragma::Sql::push_identifier doubles embedded quotes).
fn fixed_push_identifier(sql: &mut String, s: &str) {
    sql.push('"');
    sql.push_str(&s.replace('"', "\"\""));
    sql.push('"');
}

fn fixed_cmd(cmd: &'static str, to: bool, name: &str) -> String {
    let mut sql = String::new();
    sql.push_str(cmd);
    sql.push(' ');
    if to {
        sql.push_str("TO ");
    }
    fixed_push_identifier(&mut sql, name);
    sql
}

pub fn fixed_with_name<T: Into<String>>(conn: &Connection, name: T) -> Result<Savepoint<'_>> {
    let name = name.into();
    let sql = fixed_cmd("SAVEPOINT", false, name.as_str());
    conn.execute_batch(sql.as_str()).map(|()| Savepoint { conn, name, committed: false })
}

pub fn fixed_rollback(sp: &mut Savepoint<'_>) -> Result<()> {
    let sql = fixed_cmd("ROLLBACK", true, sp.name.as_str());
    sp.conn.execute_batch(sql.as_str())
}
