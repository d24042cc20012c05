// Issue 17, item 2: every SQL API in the sink table, fed request data
// (axum extractors) or a command-line argument. Each `pos_*` builds the
// statement text from the input; each `neg_*` next to it passes the same
// input as a bound parameter, which must not be reported.
use axum::extract::{Path, Query};
use mysql::prelude::Queryable;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use std::collections::HashMap;

fn pos_mysql(conn: &mut mysql::PooledConn, Query(q): Query<HashMap<String, String>>) {
    let name = q.get("name").cloned().unwrap_or_default();
    let sql = format!("SELECT id FROM users WHERE name = '{name}'");
    conn.query_drop(&sql).unwrap(); //~ sql-injection
    let _first: Option<u64> = conn.query_first(&sql).unwrap(); //~ sql-injection
    let _rows = conn.query_iter(sql.clone()).unwrap(); //~ sql-injection
    conn.exec_drop(&sql, ()).unwrap(); //~ sql-injection
    let _one: Option<u64> = conn.exec_first(sql.as_str(), ()).unwrap(); //~ sql-injection
    let _stmt = conn.prep(&sql).unwrap(); //~ sql-injection
}

fn neg_mysql(conn: &mut mysql::PooledConn, Query(q): Query<HashMap<String, String>>) {
    let name = q.get("name").cloned().unwrap_or_default();
    conn.exec_drop("SELECT id FROM users WHERE name = ?", (name.clone(),)).unwrap();
    let stmt = conn.prep("SELECT id FROM users WHERE name = :name").unwrap();
    let _rows: Vec<u64> = conn.exec(&stmt, mysql::params! { "name" => name }).unwrap();
}

async fn pos_mysql_async(pool: mysql_async::Pool, Path(table): Path<String>) {
    let mut conn = pool.get_conn().await.unwrap();
    let sql = "SELECT count(*) FROM ".to_owned() + &table;
    let _n: Option<u64> = conn.query_first(sql.clone()).await.unwrap(); //~ sql-injection
    conn.exec_iter(sql, ()).await.unwrap(); //~ sql-injection
}

fn pos_postgres(client: &mut postgres::Client, Query(q): Query<HashMap<String, String>>) {
    let id = q.get("id").cloned().unwrap_or_default();
    let sql = format!("DELETE FROM sessions WHERE id = '{}'", id);
    client.execute(sql.as_str(), &[]).unwrap(); //~ sql-injection
    client.batch_execute(&sql).unwrap(); //~ sql-injection
    let _ = client.simple_query(&sql); //~ sql-injection
    let _ = client.query_one(sql.as_str(), &[]); //~ sql-injection
    let _ = client.query_opt(sql.as_str(), &[]); //~ sql-injection
    let _ = client.prepare(&sql); //~ sql-injection
}

fn neg_postgres(client: &mut postgres::Client, Query(q): Query<HashMap<String, String>>) {
    let id = q.get("id").cloned().unwrap_or_default();
    client.execute("DELETE FROM sessions WHERE id = $1", &[&id]).unwrap();
    let _ = client.query_one("SELECT 1 FROM sessions WHERE id = $1", &[&id]);
}

async fn pos_tokio_postgres(client: tokio_postgres::Client, Path(user): Path<String>) {
    let sql = format!("SELECT * FROM audit WHERE actor = '{user}'");
    let _rows = client.query(&sql, &[]).await.unwrap(); //~ sql-injection
    client.batch_execute(&sql).await.unwrap(); //~ sql-injection
}

fn pos_rusqlite(conn: &rusqlite::Connection) {
    let table = std::env::args().nth(1).unwrap_or_default();
    let sql = format!("DROP TABLE {table}");
    conn.execute(&sql, []).unwrap(); //~ sql-injection
    conn.execute_batch(&sql).unwrap(); //~ sql-injection
    let _n: i64 = conn.query_row(&sql, [], |r| r.get(0)).unwrap(); //~ sql-injection
    let _stmt = conn.prepare(&sql).unwrap(); //~ sql-injection
}

fn neg_rusqlite(conn: &rusqlite::Connection) {
    let id = std::env::args().nth(1).unwrap_or_default();
    conn.execute("DELETE FROM t WHERE id = ?1", [&id]).unwrap();
    let _n: i64 = conn.query_row("SELECT count(*) FROM t WHERE id = ?1", [&id], |r| r.get(0)).unwrap();
}

fn pos_diesel(conn: &mut diesel::PgConnection, Query(q): Query<HashMap<String, String>>) {
    use diesel::RunQueryDsl;
    let order = q.get("order").cloned().unwrap_or_default();
    let _ = diesel::sql_query(format!("SELECT * FROM posts ORDER BY {order}")).execute(conn); //~ sql-injection
}

fn neg_diesel(conn: &mut diesel::PgConnection, Query(q): Query<HashMap<String, String>>) {
    use diesel::RunQueryDsl;
    let title = q.get("title").cloned().unwrap_or_default();
    let _ = diesel::sql_query("SELECT * FROM posts WHERE title = $1")
        .bind::<diesel::sql_types::Text, _>(title)
        .execute(conn);
}

async fn pos_sea_orm(db: sea_orm::DatabaseConnection, Path(name): Path<String>) {
    let sql = format!("SELECT * FROM cake WHERE name = '{name}'");
    let stmt = Statement::from_string(DatabaseBackend::Postgres, sql.clone());
    let _ = db.query_all(stmt).await; //~ sql-injection
    let stmt = Statement::from_sql_and_values(DatabaseBackend::Postgres, &sql, []);
    let _ = db.execute(stmt).await; //~ sql-injection
}

async fn neg_sea_orm(db: sea_orm::DatabaseConnection, Path(name): Path<String>) {
    let stmt = Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "SELECT * FROM cake WHERE name = $1",
        [name.into()],
    );
    let _ = db.query_all(stmt).await;
}

async fn pos_sqlx(pool: sqlx::PgPool, Query(q): Query<HashMap<String, String>>) {
    let col = q.get("col").cloned().unwrap_or_default();
    let sql = format!("SELECT {col} FROM users");
    let _ = sqlx::query(&sql).fetch_all(&pool).await; //~ sql-injection
    let _ = sqlx::query_as::<_, (String,)>(&sql).fetch_all(&pool).await; //~ sql-injection
    let _ = sqlx::raw_sql(&sql).execute(&pool).await; //~ sql-injection
}

async fn neg_sqlx(pool: sqlx::PgPool, Query(q): Query<HashMap<String, String>>) {
    let id = q.get("id").cloned().unwrap_or_default();
    let _ = sqlx::query_as::<_, (String,)>("SELECT name FROM users WHERE id = $1")
        .bind(&id)
        .fetch_all(&pool)
        .await;
}
