//! Catalogue search: full-text lookups through Diesel, saved searches and
//! facet counts through SeaORM.

mod config {
    pub struct CatalogConfig {
        pub database_url: String,
        pub analytics_url: String,
        pub pool_size: u32,
    }

    impl CatalogConfig {
        pub fn from_env() -> Result<Self, std::env::VarError> {
            Ok(Self {
                database_url: std::env::var("CATALOG_DATABASE_URL")?,
                analytics_url: std::env::var("ANALYTICS_DATABASE_URL")?,
                pool_size: std::env::var("CATALOG_POOL_SIZE")
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(8),
            })
        }
    }

    pub fn redacted(url: &str) -> String {
        match url::Url::parse(url) {
            Ok(mut u) => {
                let _ = u.set_password(None);
                u.to_string()
            }
            Err(_) => "<unparseable>".into(),
        }
    }
}

mod products {
    use diesel::pg::PgConnection;
    use diesel::prelude::*;
    use diesel::r2d2::{ConnectionManager, Pool};
    use diesel::sql_types::{BigInt, Text};

    #[derive(QueryableByName, Debug, serde::Serialize)]
    pub struct ProductRow {
        #[diesel(sql_type = BigInt)]
        pub id: i64,
        #[diesel(sql_type = Text)]
        pub name: String,
    }

    pub struct ProductRepo {
        pool: Pool<ConnectionManager<PgConnection>>,
    }

    impl ProductRepo {
        pub fn connect(
            cfg: &super::config::CatalogConfig,
        ) -> Result<Self, diesel::r2d2::PoolError> {
            log::info!(
                "opening catalogue pool at {}",
                super::config::redacted(&cfg.database_url)
            );
            let manager = ConnectionManager::<PgConnection>::new(&cfg.database_url);
            let pool = Pool::builder().max_size(cfg.pool_size).build(manager)?;
            Ok(Self { pool })
        }

        pub fn search(&self, term: &str) -> QueryResult<Vec<ProductRow>> {
            let mut conn = self.pool.get().expect("pool");
            diesel::sql_query(
                "SELECT id, name FROM products WHERE name ILIKE $1 ORDER BY name LIMIT 50",
            )
            .bind::<Text, _>(format!("%{term}%"))
            .load(&mut conn)
        }

        pub fn search_prefix(&self, prefix: &str, column: &str) -> QueryResult<Vec<ProductRow>> {
            let mut conn = self.pool.get().expect("pool");
            let sql = format!(
                "SELECT id, name FROM products WHERE {} LIKE '{}%' LIMIT 50",
                column, prefix
            );
            diesel::sql_query(sql).load(&mut conn) //~ sql-injection
        }

        pub fn forget_search(&self, owner: i64, label: &str) -> QueryResult<usize> {
            let mut conn = self.pool.get().expect("pool");
            let stmt = super::saved::delete_statement(owner, label);
            diesel::sql_query(stmt).execute(&mut conn) //~ sql-injection
        }
    }
}

mod saved {
    pub fn delete_statement(owner: i64, label: &str) -> String {
        format!("DELETE FROM saved_searches WHERE owner_id = {owner} AND label = '{label}'")
    }
}

mod facets {
    use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement};

    pub struct FacetService {
        db: DatabaseConnection,
    }

    impl FacetService {
        pub async fn connect(cfg: &super::config::CatalogConfig) -> Result<Self, DbErr> {
            log::debug!("analytics connection string: {}", cfg.analytics_url); //~ cleartext-logging
            Ok(Self {
                db: Database::connect(&cfg.analytics_url).await?,
            })
        }

        pub async fn counts_for_category(
            &self,
            category: &str,
        ) -> Result<Vec<(String, i64)>, DbErr> {
            let stmt = Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT brand, count(*) AS n FROM products WHERE category = $1 GROUP BY brand",
                [category.into()],
            );
            let rows = self.db.query_all(stmt).await?;
            rows.iter()
                .map(|r| Ok((r.try_get("", "brand")?, r.try_get("", "n")?)))
                .collect()
        }

        pub async fn counts_by(
            &self,
            facet: &str,
            category: &str,
        ) -> Result<Vec<(String, i64)>, DbErr> {
            let column = match facet {
                "brand" => "brand",
                "color" => "color",
                "size" => "size_label",
                _ => return Err(DbErr::Custom(format!("unknown facet {facet}"))),
            };
            let sql = format!(
                "SELECT {column} AS v, count(*) AS n FROM products WHERE category = '{}' GROUP BY 1",
                category
            );
            let stmt = Statement::from_string(DbBackend::Postgres, sql);
            let rows = self.db.query_all(stmt).await?; //~ sql-injection
            rows.iter()
                .map(|r| Ok((r.try_get("", "v")?, r.try_get("", "n")?)))
                .collect()
        }
    }
}

mod api {
    use super::facets::FacetService;
    use super::products::ProductRepo;
    use axum::extract::{Query, State};
    use axum::http::StatusCode;
    use axum::Json;
    use serde::Deserialize;
    use std::sync::Arc;

    #[derive(Deserialize)]
    pub struct SearchParams {
        q: String,
        field: Option<String>,
        facet: Option<String>,
        category: Option<String>,
    }

    pub struct Services {
        pub products: ProductRepo,
        pub facets: FacetService,
    }

    pub async fn search(
        State(svc): State<Arc<Services>>,
        Query(p): Query<SearchParams>,
    ) -> Result<Json<serde_json::Value>, StatusCode> {
        let rows = match p.field.as_deref() {
            None => svc.products.search(&p.q),
            Some(field) => svc.products.search_prefix(&p.q, field),
        }
        .map_err(|_| StatusCode::BAD_REQUEST)?;
        let facets = match (p.facet.as_deref(), p.category.as_deref()) {
            (Some(f), Some(c)) => svc.facets.counts_by(f, c).await,
            (None, Some(c)) => svc.facets.counts_for_category(c).await,
            _ => Ok(Vec::new()),
        }
        .map_err(|_| StatusCode::BAD_REQUEST)?;
        Ok(Json(serde_json::json!({ "items": rows, "facets": facets })))
    }

    pub async fn forget(
        State(svc): State<Arc<Services>>,
        Query(p): Query<std::collections::HashMap<String, String>>,
    ) -> StatusCode {
        let owner = p.get("owner").and_then(|v| v.parse().ok()).unwrap_or(0);
        let label = p.get("label").cloned().unwrap_or_default();
        match svc.products.forget_search(owner, &label) {
            Ok(_) => StatusCode::NO_CONTENT,
            Err(_) => StatusCode::BAD_REQUEST,
        }
    }
}
