//! Knowledge-base article search: public search via SeaORM, admin tooling via Diesel.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, QueryResult as OrmRow, Statement,
};
use serde::{Deserialize, Serialize};

const MAX_RESULTS: u64 = 50;

#[derive(Debug, QueryableByName, Serialize)]
pub struct ArticleHit {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Text)]
    pub slug: String,
}

#[derive(Deserialize)]
pub struct SearchParams {
    pub q: String,
    pub lang: Option<String>,
    pub tag: Option<String>,
    pub order: Option<String>,
}

mod sql {
    use super::SearchParams;

    pub fn order_clause(order: Option<&str>) -> &'static str {
        match order {
            Some("newest") => "published_at DESC",
            Some("title") => "title ASC",
            _ => "rank DESC",
        }
    }

    pub fn tag_filter(tag: &str) -> String {
        format!(
            " AND a.id IN (SELECT article_id FROM article_tags WHERE tag = '{}')",
            tag
        )
    }

    pub fn public_search(p: &SearchParams) -> (String, Vec<sea_orm::Value>) {
        let mut text = String::from(
            "SELECT a.id, a.title, a.slug, ts_rank(a.tsv, plainto_tsquery($1)) AS rank \
             FROM articles a WHERE a.tsv @@ plainto_tsquery($1)",
        );
        let mut values: Vec<sea_orm::Value> = vec![p.q.clone().into()];
        if let Some(lang) = &p.lang {
            values.push(lang.clone().into());
            text.push_str(&format!(" AND a.lang = ${}", values.len()));
        }
        if let Some(tag) = &p.tag {
            text.push_str(&tag_filter(tag));
        }
        text.push_str(" ORDER BY ");
        text.push_str(order_clause(p.order.as_deref()));
        text.push_str(&format!(" LIMIT {}", super::MAX_RESULTS));
        (text, values)
    }
}

fn row_to_json(row: &OrmRow) -> Result<serde_json::Value, DbErr> {
    Ok(serde_json::json!({
        "id": row.try_get::<i64>("", "id")?,
        "title": row.try_get::<String>("", "title")?,
        "slug": row.try_get::<String>("", "slug")?,
    }))
}

pub async fn search(
    db: &DatabaseConnection,
    params: &SearchParams,
) -> Result<Vec<serde_json::Value>, DbErr> {
    let (text, values) = sql::public_search(params);
    let stmt = Statement::from_sql_and_values(DbBackend::Postgres, text, values);
    let rows = db.query_all(stmt).await?; //~ sql-injection
    rows.iter().map(row_to_json).collect()
}

pub async fn related(db: &DatabaseConnection, slug: &str) -> Result<Vec<serde_json::Value>, DbErr> {
    let stmt = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT b.id, b.title, b.slug FROM articles a \
         JOIN article_links l ON l.from_id = a.id JOIN articles b ON b.id = l.to_id \
         WHERE a.slug = $1 LIMIT 10",
        [slug.into()],
    );
    let rows = db.query_all(stmt).await?;
    rows.iter().map(row_to_json).collect()
}

pub async fn popular(db: &DatabaseConnection, days: u32) -> Result<Vec<serde_json::Value>, DbErr> {
    let days = days.clamp(1, 90);
    let text = format!(
        "SELECT id, title, slug FROM articles WHERE published_at > now() - interval '{} days' \
         ORDER BY views DESC LIMIT 20",
        days
    );
    let rows = db
        .query_all(Statement::from_string(DbBackend::Postgres, text))
        .await?;
    rows.iter().map(row_to_json).collect()
}

pub struct AdminTools {
    conn: PgConnection,
}

impl AdminTools {
    pub fn connect(url: &str) -> ConnectionResult<Self> {
        Ok(AdminTools {
            conn: PgConnection::establish(url)?,
        })
    }

    pub fn find_by_title(&mut self, title: &str) -> QueryResult<Vec<ArticleHit>> {
        diesel::sql_query("SELECT id, title, slug FROM articles WHERE title ILIKE $1")
            .bind::<Text, _>(format!("%{}%", title))
            .load(&mut self.conn)
    }

    pub fn retag(&mut self, from: &str, to: &str) -> QueryResult<usize> {
        let q = retag_sql(from, to);
        diesel::sql_query(q).execute(&mut self.conn) //~ sql-injection
    }

    pub fn unpublish(&mut self, id: i64) -> QueryResult<usize> {
        diesel::sql_query("UPDATE articles SET published_at = NULL WHERE id = $1")
            .bind::<BigInt, _>(id)
            .execute(&mut self.conn)
    }
}

fn retag_sql(from: &str, to: &str) -> String {
    let mut q = String::from("UPDATE article_tags SET tag = '");
    q.push_str(to);
    q.push_str("' WHERE tag = '");
    q.push_str(from);
    q.push('\'');
    q
}
