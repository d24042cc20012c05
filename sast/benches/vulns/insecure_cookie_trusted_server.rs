// https://github.com/IABTechLab/trusted-server/issues/411 (synthetic_id cookie built as a Set-Cookie string without HttpOnly; fix PR #507, commit ace196aa)
use fastly::http::header;

const COOKIE_SYNTHETIC_ID: &str = "synthetic_id";
const COOKIE_MAX_AGE: i32 = 365 * 24 * 60 * 60; // 1 year

pub struct Publisher {
    pub cookie_domain: String,
}

pub struct Settings {
    pub publisher: Publisher,
}

/// Generates a properly formatted cookie with security attributes
/// for storing the synthetic ID.
pub fn create_synthetic_cookie(settings: &Settings, synthetic_id: &str) -> String {
    format!(
        "{}={}; Domain={}; Path=/; Secure; SameSite=Lax; Max-Age={}", //~ cookie-without-httponly
        COOKIE_SYNTHETIC_ID, synthetic_id, settings.publisher.cookie_domain, COOKIE_MAX_AGE,
    )
}

pub fn set_synthetic_cookie(settings: &Settings, response: &mut fastly::Response, synthetic_id: &str) {
    response.append_header(header::SET_COOKIE, create_synthetic_cookie(settings, synthetic_id));
}

fn fixed_synthetic_cookie_attributes(settings: &Settings, max_age: i32) -> String {
    format!(
        "Domain={}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={max_age}",
        settings.publisher.cookie_domain,
    )
}

pub fn fixed_create_synthetic_cookie(settings: &Settings, synthetic_id: &str) -> String {
    format!(
        "{}={}; {}",
        COOKIE_SYNTHETIC_ID,
        synthetic_id,
        fixed_synthetic_cookie_attributes(settings, COOKIE_MAX_AGE)
    )
}
