// Scenario: actix-web OAuth2 login for a B2B dashboard. The callback stores
// the session, access and refresh tokens and a tenant selector in cookies.
use actix_web::cookie::{time::Duration, Cookie, SameSite};
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;

#[derive(Deserialize)]
struct Callback {
    code: String,
    state: String,
}

#[derive(Deserialize)]
struct TokenSet {
    access_token: String,
    refresh_token: String,
    expires_in: i64,
}

struct OAuth {
    http: reqwest::Client,
    token_url: String,
    client_id: String,
    client_secret: String,
}

impl OAuth {
    async fn exchange(&self, code: &str) -> reqwest::Result<TokenSet> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", self.client_id.as_str()),
        ];
        let resp = self
            .http
            .post(&self.token_url)
            .basic_auth(&self.client_id, Some(&self.client_secret));
        resp.form(&form)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await
    }
}

fn token_cookie(name: &'static str, value: String, ttl: i64) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .secure(true)
        .same_site(SameSite::Strict)
        .http_only(false) //~ cookie-without-httponly
        .max_age(Duration::seconds(ttl))
        .finish()
}

fn session_cookie(sid: String) -> Cookie<'static> {
    Cookie::build("sid", sid)
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Lax)
        .finish()
}

#[get("/login")]
async fn start(oauth: web::Data<OAuth>) -> HttpResponse {
    let state = uuid::Uuid::new_v4().to_string();
    let url = format!(
        "https://sso.example.com/authorize?client_id={}&state={}",
        oauth.client_id, state
    );
    let state_cookie = Cookie::build("oauth_state", state) //~ insecure-cookie
        .http_only(true)
        .same_site(SameSite::Lax)
        .finish();
    HttpResponse::Found()
        .append_header(("location", url))
        .cookie(state_cookie)
        .finish()
}

#[get("/callback")]
async fn callback(
    req: HttpRequest,
    oauth: web::Data<OAuth>,
    q: web::Query<Callback>,
) -> HttpResponse {
    let expected = req.cookie("oauth_state").map(|c| c.value().to_owned());
    if expected.as_deref() != Some(q.state.as_str()) {
        return HttpResponse::BadRequest().finish();
    }
    let tokens = match oauth.exchange(&q.code).await {
        Ok(t) => t,
        Err(_) => return HttpResponse::BadGateway().finish(),
    };
    let refresh = Cookie::build("refresh", tokens.refresh_token.clone()) //~ cookie-without-httponly
        .path("/auth/refresh")
        .secure(true)
        .same_site(SameSite::Strict)
        .finish();
    let tenant = req
        .headers()
        .get("x-tenant")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("default");
    let scoped = format!("{}:{}", tenant, tokens.access_token);
    let mut tenant_cookie = Cookie::new("tenant_session", scoped); //~ cookie-without-samesite
    tenant_cookie.set_secure(true);
    tenant_cookie.set_http_only(true);
    tenant_cookie.set_path("/");
    let mut gone = Cookie::named("oauth_state");
    gone.make_removal();
    HttpResponse::Found()
        .append_header(("location", "/dashboard"))
        .cookie(session_cookie(uuid::Uuid::new_v4().to_string()))
        .cookie(token_cookie(
            "access",
            tokens.access_token,
            tokens.expires_in,
        ))
        .cookie(refresh)
        .cookie(tenant_cookie)
        .cookie(gone)
        .finish()
}
