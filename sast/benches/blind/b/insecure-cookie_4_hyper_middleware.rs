// Hand-rolled hyper/tower session middleware that sets Set-Cookie headers using the `cookie` crate.
use cookie::{time::Duration, Cookie, SameSite};
use http::{header::SET_COOKIE, HeaderValue, Response};

pub struct SessionLayer {
    pub ttl_minutes: i64,
}

impl SessionLayer {
    fn session_cookie(&self, sid: String) -> Cookie<'static> {
        let mut c = Cookie::new("SESSIONID", sid); //~ insecure-cookie
        c.set_path("/");
        c.set_http_only(true);
        c.set_same_site(SameSite::Strict);
        c.set_max_age(Duration::minutes(self.ttl_minutes));
        c
    }

    fn strict_cookie(&self, sid: String) -> Cookie<'static> {
        let mut c = Cookie::new("SESSIONID", sid);
        c.set_path("/");
        c.set_secure(true);
        c.set_http_only(true);
        c.set_same_site(SameSite::Strict);
        c
    }

    fn refresh_cookie(&self, refresh: String) -> Cookie<'static> {
        Cookie::build(("refresh", refresh))
            .path("/auth/refresh")
            .secure(true)
            .http_only(true)
            .max_age(Duration::days(14))
            .build() //~ cookie-without-samesite
    }

    pub fn attach<B>(&self, resp: &mut Response<B>, sid: String, refresh: Option<String>, legacy: bool) {
        let cookie = if legacy {
            self.session_cookie(sid)
        } else {
            self.strict_cookie(sid)
        };
        append(resp, &cookie);

        if let Some(rt) = refresh.map(|r| self.refresh_cookie(r)) {
            append(resp, &rt);
        }

        // Judgement call: a non-sensitive UI preference cookie; not marked.
        let theme = Cookie::new("theme", "dark");
        append(resp, &theme);
    }
}

fn append<B>(resp: &mut Response<B>, c: &Cookie<'_>) {
    let v = HeaderValue::from_str(&c.to_string()).expect("valid cookie");
    resp.headers_mut().append(SET_COOKIE, v);
}
