//! Sales reporting API (salvo + mysql_async).

use mysql_async::prelude::*;
use mysql_async::{Conn, Pool};
use salvo::prelude::*;
use serde::{Deserialize, Serialize};

const SORTABLE: &[&str] = &["region", "revenue", "orders"];
const MAX_TOP: u32 = 100;

#[derive(Serialize)]
struct SalesRow {
    region: String,
    revenue: f64,
    orders: u32,
}

#[derive(Deserialize)]
struct ConnectorForm {
    name: String,
    host: String,
    db_user: String,
    db_password: String,
}

struct SalesRepo {
    pool: Pool,
}

fn to_rows(raw: Vec<(String, f64, u32)>) -> Vec<SalesRow> {
    raw.into_iter()
        .map(|(region, revenue, orders)| SalesRow {
            region,
            revenue,
            orders,
        })
        .collect()
}

fn order_clause(col: Option<String>) -> String {
    match col {
        Some(c) if !c.is_empty() => format!(" ORDER BY {} DESC", c),
        _ => String::new(),
    }
}

fn checked_order_clause(col: Option<&str>) -> &'static str {
    match col.and_then(|c| SORTABLE.iter().position(|s| *s == c)) {
        Some(0) => " ORDER BY region",
        Some(1) => " ORDER BY revenue DESC",
        Some(_) => " ORDER BY orders DESC",
        None => "",
    }
}

impl SalesRepo {
    async fn conn(&self) -> mysql_async::Result<Conn> {
        self.pool.get_conn().await
    }

    async fn by_region(&self, region: &str, order: String) -> mysql_async::Result<Vec<SalesRow>> {
        let sql = format!(
            "SELECT region, SUM(total), COUNT(*) FROM sales WHERE region = '{}' GROUP BY region{}",
            region, order
        );
        let mut conn = self.conn().await?;
        let raw: Vec<(String, f64, u32)> = conn.query(sql).await?; //~ sql-injection
        Ok(to_rows(raw))
    }

    async fn by_region_v2(&self, region: &str, order: &str) -> mysql_async::Result<Vec<SalesRow>> {
        let sql = format!(
            "SELECT region, SUM(total), COUNT(*) FROM sales WHERE region = ? GROUP BY region{}",
            order
        );
        let mut conn = self.conn().await?;
        let raw: Vec<(String, f64, u32)> = conn.exec(sql, (region,)).await?;
        Ok(to_rows(raw))
    }

    async fn top(&self, limit: u32) -> mysql_async::Result<Vec<SalesRow>> {
        let sql = format!(
            "SELECT region, SUM(total) AS revenue, COUNT(*) FROM sales GROUP BY region \
             ORDER BY revenue DESC LIMIT {}",
            limit.min(MAX_TOP)
        );
        let mut conn = self.conn().await?;
        Ok(to_rows(conn.query(sql).await?))
    }

    async fn delete_saved(&self, report_id: String) -> mysql_async::Result<()> {
        let mut conn = self.conn().await?;
        let stmt = format!("DELETE FROM saved_reports WHERE id = {}", report_id);
        conn.query_drop(stmt).await //~ sql-injection
    }

    async fn search_saved(&self, owner: &str, title: &str) -> mysql_async::Result<Vec<String>> {
        let mut conn = self.conn().await?;
        let pattern = format!("%{}%", title);
        conn.exec(
            "SELECT title FROM saved_reports WHERE owner = ? AND title LIKE ?",
            (owner, pattern),
        )
        .await
    }

    async fn save_connector(&self, form: &ConnectorForm) -> mysql_async::Result<()> {
        let mut conn = self.conn().await?;
        let sql = "INSERT INTO connectors (name, host, db_user, db_password) VALUES (?, ?, ?, ?)";
        let values = (&form.name, &form.host, &form.db_user, &form.db_password);
        conn.exec_drop(sql, values).await //~ cleartext-storage
    }

    async fn by_rep(&self, rep_filter: &str) -> mysql_async::Result<Vec<SalesRow>> {
        let mut conn = self.conn().await?;
        let where_clause = format!("WHERE rep_email LIKE '{}%'", rep_filter);
        let sql = format!(
            "SELECT region, SUM(total), COUNT(*) FROM sales {where_clause} GROUP BY region"
        );
        let raw: Vec<(String, f64, u32)> = conn.query(&sql).await?; //~ sql-injection
        Ok(to_rows(raw))
    }
}

fn repo(depot: &Depot) -> &SalesRepo {
    depot.obtain::<SalesRepo>().expect("repo registered")
}

#[handler]
async fn sales(req: &mut Request, depot: &mut Depot, res: &mut Response) {
    let region = req.query::<String>("region").unwrap_or_default();
    let order = order_clause(req.query::<String>("sort"));
    match repo(depot).by_region(&region, order).await {
        Ok(rows) => res.render(Json(rows)),
        Err(_) => res.status_code(StatusCode::INTERNAL_SERVER_ERROR),
    };
}

#[handler]
async fn sales_v2(req: &mut Request, depot: &mut Depot, res: &mut Response) {
    let region = req.query::<String>("region").unwrap_or_default();
    let sort = req.query::<String>("sort");
    let order = checked_order_clause(sort.as_deref());
    match repo(depot).by_region_v2(&region, order).await {
        Ok(rows) => res.render(Json(rows)),
        Err(_) => res.status_code(StatusCode::INTERNAL_SERVER_ERROR),
    };
}

#[handler]
async fn top(req: &mut Request, depot: &mut Depot, res: &mut Response) {
    let limit = req.query::<u32>("limit").unwrap_or(10);
    if let Ok(rows) = repo(depot).top(limit).await {
        res.render(Json(rows));
    }
}

#[handler]
async fn rep_sales(req: &mut Request, depot: &mut Depot, res: &mut Response) {
    let rep = req.header::<String>("x-rep-email").unwrap_or_default();
    if let Ok(rows) = repo(depot).by_rep(&rep).await {
        res.render(Json(rows));
    }
}

#[handler]
async fn delete_report(req: &mut Request, depot: &mut Depot, res: &mut Response) {
    let id = req.param::<String>("id").unwrap_or_default();
    if repo(depot).delete_saved(id).await.is_err() {
        res.status_code(StatusCode::BAD_REQUEST);
    }
}

#[handler]
async fn search(req: &mut Request, depot: &mut Depot, res: &mut Response) {
    let owner = req.query::<String>("owner").unwrap_or_default();
    let title = req.query::<String>("q").unwrap_or_default();
    if let Ok(titles) = repo(depot).search_saved(&owner, &title).await {
        res.render(Json(titles));
    }
}

#[handler]
async fn add_connector(req: &mut Request, depot: &mut Depot, res: &mut Response) {
    let Ok(form) = req.parse_json::<ConnectorForm>().await else {
        res.status_code(StatusCode::BAD_REQUEST);
        return;
    };
    if repo(depot).save_connector(&form).await.is_ok() {
        res.status_code(StatusCode::CREATED);
    }
}

#[tokio::main]
async fn main() {
    let pool = Pool::new(
        std::env::var("REPORTS_MYSQL_URL")
            .expect("REPORTS_MYSQL_URL")
            .as_str(),
    );
    let router = Router::new()
        .hoop(affix_state::inject(SalesRepo { pool }))
        .push(Router::with_path("reports/sales").get(sales))
        .push(Router::with_path("reports/v2/sales").get(sales_v2))
        .push(Router::with_path("reports/top").get(top))
        .push(Router::with_path("reports/by-rep").get(rep_sales))
        .push(Router::with_path("reports/saved").get(search))
        .push(Router::with_path("reports/saved/<id>").delete(delete_report))
        .push(Router::with_path("connectors").post(add_connector));
    let acceptor = TcpListener::new("0.0.0.0:5800").bind().await;
    Server::new(acceptor).serve(router).await;
}
