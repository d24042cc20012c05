// https://github.com/rikhuijzer/fx/pull/133 (admin auth cookie set with Secure only: no HttpOnly, no SameSite; fix commit a07c0fe)
use axum_extra::extract::cookie::Cookie;
use axum_extra::extract::CookieJar;

const MAX_AGE_SEC: i64 = 30 * 24 * 60 * 60;

pub struct Login {
    pub username: String,
    pub password: Option<String>,
}

fn verify_login(actual: &Login, received: &Login) -> bool {
    actual.username == received.username && actual.password == received.password
}

fn encrypt_login(_salt: &[u8], password: &str) -> Vec<u8> {
    password.as_bytes().to_vec()
}

pub fn handle_login(salt: &[u8], actual: &Login, received: &Login, jar: CookieJar) -> Option<CookieJar> {
    if verify_login(actual, received) {
        let password = received.password.as_ref()?;
        let ciphertext = encrypt_login(salt, password);
        let ciphertext = serde_json::to_string(&ciphertext).unwrap();
        // Secure ensures only HTTPS scheme (except on localhost).
        // Without secure, a man-in-the-middle could steal the cookie.
        let cookie = format!("auth={ciphertext}; Max-Age={MAX_AGE_SEC}; Secure;"); //~ cookie-without-httponly
        let cookie = Cookie::parse(cookie).unwrap();
        let updated_jar = jar.add(cookie);
        Some(updated_jar)
    } else {
        None
    }
}

pub fn fixed_handle_login(salt: &[u8], actual: &Login, received: &Login, jar: CookieJar) -> Option<CookieJar> {
    if verify_login(actual, received) {
        let password = received.password.as_ref()?;
        let ciphertext = encrypt_login(salt, password);
        let ciphertext = serde_json::to_string(&ciphertext).unwrap();
        // HttpOnly prevents the cookie from being accessed by JavaScript.
        // SameSite=Strict prevents the cookie from being sent in a cross-site request.
        let cookie = format!(
            "auth={ciphertext}; Max-Age={MAX_AGE_SEC}; \
            Secure; HttpOnly; SameSite=Strict;"
        );
        let cookie = Cookie::parse(cookie).unwrap();
        let updated_jar = jar.add(cookie);
        Some(updated_jar)
    } else {
        None
    }
}
