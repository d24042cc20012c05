//! Community forum: login, session cookies and thread listing.

use mysql_async::prelude::*;
use mysql_async::{Pool, Row};
use rand::distributions::{Alphanumeric, DistString};
use serde::Deserialize;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use tide::http::cookies::SameSite;
use tide::http::Cookie;
use tide::{Request, Response, StatusCode};

#[derive(Clone)]
pub struct Forum {
    pool: Pool,
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    remember: Option<String>,
}

#[derive(Deserialize)]
struct ThreadQuery {
    board: Option<u32>,
    sort: Option<String>,
    author: Option<String>,
}

struct Account {
    id: u64,
    pw_sha1: String,
}

mod credentials {
    use super::*;

    pub fn legacy_hash(password: &str) -> String {
        hex::encode(Sha1::digest(password.as_bytes())) //~ weak-hash
    }

    pub fn token_fingerprint(token: &str) -> String {
        hex::encode(Sha256::digest(token.as_bytes()))
    }

    pub fn new_token() -> String {
        Alphanumeric.sample_string(&mut rand::thread_rng(), 40)
    }
}

impl Forum {
    async fn account_by_name(&self, name: &str) -> mysql_async::Result<Option<Account>> {
        let mut conn = self.pool.get_conn().await?;
        let sql = format!(
            "SELECT id, pw_sha1 FROM users WHERE name = '{}' AND banned = 0",
            name
        );
        let row: Option<(u64, String)> = conn.query_first(sql).await?; //~ sql-injection
        Ok(row.map(|(id, pw_sha1)| Account { id, pw_sha1 }))
    }

    async fn account_by_id(&self, id: u64) -> mysql_async::Result<Option<Account>> {
        let mut conn = self.pool.get_conn().await?;
        let row: Option<(u64, String)> = conn
            .exec_first("SELECT id, pw_sha1 FROM users WHERE id = ?", (id,))
            .await?;
        Ok(row.map(|(id, pw_sha1)| Account { id, pw_sha1 }))
    }

    async fn open_session(&self, user_id: u64, token: &str) -> mysql_async::Result<()> {
        let mut conn = self.pool.get_conn().await?;
        let fp = credentials::token_fingerprint(token);
        conn.exec_drop(
            "INSERT INTO sessions (user_id, token_sha256) VALUES (?, ?)",
            (user_id, fp),
        )
        .await
    }

    async fn remember_device(&self, user_id: u64, token: &str) -> mysql_async::Result<()> {
        let mut conn = self.pool.get_conn().await?;
        let stmt = "INSERT INTO remember_tokens (user_id, token) VALUES (?, ?)";
        conn.exec_drop(stmt, (user_id, token)).await //~ cleartext-storage
    }

    fn order_by(sort: Option<&str>) -> &'static str {
        match sort {
            Some("new") => "created_at DESC",
            Some("active") => "last_post_at DESC",
            _ => "pinned DESC, last_post_at DESC",
        }
    }

    async fn threads(&self, q: &ThreadQuery) -> mysql_async::Result<Vec<Row>> {
        let mut conn = self.pool.get_conn().await?;
        let board = q.board.unwrap_or(1);
        match &q.author {
            Some(author) => {
                let sql = format!(
                    "SELECT id, title FROM threads WHERE board_id = {} AND author = '{}' ORDER BY {}",
                    board,
                    author,
                    Self::order_by(q.sort.as_deref())
                );
                conn.query(sql).await //~ sql-injection
            }
            None => {
                let sql = format!(
                    "SELECT id, title FROM threads WHERE board_id = ? ORDER BY {}",
                    Self::order_by(q.sort.as_deref())
                );
                conn.exec(sql, (board,)).await
            }
        }
    }
}

fn session_cookie(token: String) -> Cookie<'static> {
    let mut cookie = Cookie::new("forum_session", token);
    cookie.set_path("/");
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Lax);
    cookie.set_secure(false); //~ insecure-cookie
    cookie
}

fn remember_cookie(token: String) -> Cookie<'static> {
    Cookie::build("forum_remember", token) //~ cookie-without-httponly
        .path("/")
        .secure(true)
        .same_site(SameSite::Strict)
        .max_age(tide::http::cookies::time::Duration::days(60))
        .finish()
}

fn embed_cookie(token: String) -> Cookie<'static> {
    let mut cookie = Cookie::new("forum_embed", token);
    cookie.set_path("/embed");
    cookie.set_secure(true);
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::None); //~ cookie-without-samesite
    cookie
}

fn locale_cookie(locale: &str) -> Cookie<'static> {
    let mut cookie = Cookie::new("forum_locale", locale.to_owned());
    cookie.set_path("/");
    cookie
}

async fn login(mut req: Request<Forum>) -> tide::Result {
    let form: LoginForm = req.body_form().await?;
    let forum = req.state().clone();
    let Some(account) = forum.account_by_name(&form.username).await? else {
        return Ok(Response::new(StatusCode::Unauthorized));
    };
    if credentials::legacy_hash(&form.password) != account.pw_sha1 {
        return Ok(Response::new(StatusCode::Unauthorized));
    }
    let token = credentials::new_token();
    forum.open_session(account.id, &token).await?;
    let mut res = Response::new(StatusCode::SeeOther);
    res.insert_header("Location", "/");
    res.insert_cookie(session_cookie(token.clone()));
    res.insert_cookie(embed_cookie(token));
    res.insert_cookie(locale_cookie("en"));
    if form.remember.is_some() {
        let device = credentials::new_token();
        forum.remember_device(account.id, &device).await?;
        res.insert_cookie(remember_cookie(device));
    }
    Ok(res)
}

async fn list_threads(req: Request<Forum>) -> tide::Result {
    let q: ThreadQuery = req.query()?;
    let rows = req.state().threads(&q).await?;
    let titles: Vec<String> = rows
        .into_iter()
        .filter_map(|r| r.get::<String, _>("title"))
        .collect();
    Ok(tide::Body::from_json(&titles)?.into())
}

async fn profile(req: Request<Forum>) -> tide::Result {
    let id: u64 = req.param("id")?.parse()?;
    match req.state().account_by_id(id).await? {
        Some(a) => Ok(format!("user #{}", a.id).into()),
        None => Ok(Response::new(StatusCode::NotFound)),
    }
}

pub fn app(pool: Pool) -> tide::Server<Forum> {
    let mut app = tide::with_state(Forum { pool });
    app.at("/login").post(login);
    app.at("/threads").get(list_threads);
    app.at("/users/:id").get(profile);
    app
}
