// Red team rt46: a method call resolves to the crate's method by name unless its
// receiver is a well-known library's type: a field copy of the crate's own
// state and a blanket impl's method are the crate's.
use axum::extract::{Query, State};
use serde::Deserialize;
use crate::receivers_state::AppState;

#[derive(Deserialize)]
pub struct Search { name: String }

pub mod receivers_state {
    #[derive(Clone)]
    pub struct AppState { pub db: super::Db }
}

#[derive(Clone)]
pub struct Db { pool: sqlx::PgPool }

impl Db {
    pub async fn find(&self, name: &str) -> Vec<String> {
        let sql = format!("SELECT id FROM users WHERE name = '{name}'");
        sqlx::query(&sql).fetch_all(&self.pool).await.unwrap(); //~ sql-injection
        vec![]
    }
}

async fn lookup(state: &AppState, name: &str) -> Vec<String> {
    let db = state.db.clone();
    db.find(name).await
}

pub async fn search(State(state): State<AppState>, Query(s): Query<Search>) -> String {
    lookup(&state, &s.name).await.join(",")
}

use std::path::{Path, PathBuf};

#[derive(serde::Deserialize)]
pub struct Lookup { name: String }

pub trait Slurp {
    fn slurp(&self) -> Vec<u8>;
}

impl<T: AsRef<Path>> Slurp for T {
    fn slurp(&self) -> Vec<u8> {
        std::fs::read(self.as_ref()).unwrap() //~ path-traversal
    }
}

pub async fn h(Query(s): Query<Lookup>) -> Vec<u8> {
    let p = PathBuf::from(format!("/srv/data/{}", s.name));
    p.slurp()
}

// Another crate's type (`moka`), or a `Vec`, is not the crate's `Store`
// or `Queue` whose method of the same name has a sink (red team rt47).
pub struct Store {
    pool: sqlx::PgPool,
}

impl Store {
    pub async fn get(&self, key: &str) -> Vec<String> {
        let sql = format!("SELECT v FROM kv WHERE k = '{key}'");
        sqlx::query(&sql).fetch_all(&self.pool).await.unwrap(); //~ sql-injection
        vec![]
    }
}

pub struct Queue;

impl Queue {
    pub fn push(&self, job: String) {
        let _ = std::process::Command::new("sh").arg("-c").arg(format!("run {job}")).status(); //~ command-injection
    }
}

pub async fn cached(Query(s): Query<Lookup>) -> Option<String> {
    let cache: moka::sync::Cache<String, String> = moka::sync::Cache::new(100);
    let mut names: Vec<String> = Vec::new();
    names.push(s.name.clone());
    cache.get(&s.name)
}
