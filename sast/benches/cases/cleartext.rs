// Secrets logged or stored in cleartext, directly or through a value built
// from them; near misses log a hash, a length or a masked form.
use std::io::Write;

struct Login {
    user: String,
    password: String,
}

fn pos_log_built(password: &str) {
    let line = format!("login pw={password}");
    log::info!("{}", line); //~ cleartext-logging
}

fn pos_log_concat(api_key: &str) {
    let header = "Bearer ".to_owned() + api_key;
    println!("sending {header}"); //~ cleartext-logging
}

fn pos_log_pushed(login: &Login) {
    let mut msg = String::from("user ");
    msg.push_str(&login.user);
    msg.push_str(&login.password);
    tracing::debug!("{}", msg); //~ cleartext-logging
}

fn pos_writeln_file(client_secret: &str) {
    let mut f = std::fs::File::create("settings.txt").unwrap();
    writeln!(f, "secret={}", client_secret).unwrap(); //~ cleartext-storage
}

fn pos_file_built(login: &Login) {
    let record = format!("{}:{}", login.user, login.password);
    std::fs::write("users.db", record).unwrap(); //~ cleartext-storage
}

fn pos_database(conn: &rusqlite::Connection, login: &Login) {
    conn.execute( //~ cleartext-storage
        "INSERT INTO users (name, password) VALUES (?1, ?2)",
        rusqlite::params![login.user, login.password],
    )
    .unwrap();
}

async fn pos_sqlx_bind(pool: &sqlx::PgPool, password: &str) {
    let _ = sqlx::query("UPDATE users SET pw = $1")
        .bind(password) //~ cleartext-storage
        .execute(pool)
        .await;
}

fn neg_log_hash(password: &str) {
    let digest = sha2::Sha256::digest(password.as_bytes()); //~ weak-hash
    log::info!("pw digest {:x}", digest);
    log::info!("password length {}", password.len());
    let masked = mask(password);
    log::info!("password {masked}");
}

fn neg_store_hash(conn: &rusqlite::Connection, login: &Login) {
    let password_hash = argon2_hash(&login.password);
    conn.execute(
        "INSERT INTO users (name, pw_hash) VALUES (?1, ?2)",
        rusqlite::params![login.user, password_hash],
    )
    .unwrap();
    let line = format!("user {}", login.user);
    std::fs::write("users.log", line).unwrap();
}

fn mask(s: &str) -> String {
    "*".repeat(s.len())
}

fn argon2_hash(s: &str) -> String {
    s.chars().rev().collect()
}

// educe renames a field with `Debug = "..."` and hides it with
// `Debug(ignore)`; derivative hides it with `Debug = "ignore"`.
#[derive(educe::Educe)]
#[educe(Debug)]
struct PinEntryRenamed {
    #[educe(Debug = "ignore")]
    pin: String,
}

#[derive(educe::Educe)]
#[educe(Debug)]
struct PinEntryHidden {
    #[educe(Debug(ignore))]
    pin: String,
}

#[derive(derivative::Derivative)]
#[derivative(Debug)]
struct PinEntryDerivative {
    #[derivative(Debug = "ignore")]
    pin: String,
}

fn log_pin_entries(a: PinEntryRenamed, b: PinEntryHidden, c: PinEntryDerivative) {
    log::debug!("entry {a:?}"); //~ cleartext-logging
    log::debug!("entry {b:?}");
    log::debug!("entry {c:?}");
}

// A type with a secret field, serialised into a file: reported unless the
// function restricts the file's permissions.
#[derive(serde::Serialize)]
struct StoredSession {
    homeserver: String,
    refresh_token: String,
}

#[derive(serde::Serialize)]
struct StoredCounters {
    token_count: u64,
    #[serde(skip_serializing)]
    api_key: String,
}

fn store_session(session: &StoredSession, path: &std::path::Path) -> std::io::Result<()> {
    let file = std::fs::File::create(path)?;
    serde_json::to_writer_pretty(file, session)?; //~ cleartext-storage
    std::fs::write(path, toml::to_string(session).unwrap())?; //~ cleartext-storage
    Ok(())
}

fn send_session(session: &StoredSession, stream: std::net::TcpStream) {
    serde_json::to_writer(stream, session).unwrap(); //~ cleartext-url
}

fn store_session_private(session: &StoredSession, path: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new().write(true).create(true).mode(0o600).open(path)?;
    serde_json::to_writer(&file, session)?;
    Ok(())
}

fn store_session_then_restrict(session: &StoredSession, path: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let file = std::fs::File::create(path)?;
    serde_json::to_writer(&file, session)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    Ok(())
}

fn store_counters(counters: &StoredCounters, path: &std::path::Path) -> std::io::Result<()> {
    let file = std::fs::File::create(path)?;
    serde_json::to_writer(file, counters)?;
    Ok(())
}

// A `Debug` type holding a type with a secret field shows it too.
#[derive(Debug)]
struct LoginForm {
    user: String,
    passphrase: String,
}

#[derive(Debug)]
struct ClientSettings {
    endpoint: String,
    login: Option<LoginForm>,
}

#[derive(Debug)]
struct QuietSettings {
    endpoint: String,
    #[debug(skip)]
    login: LoginForm,
}

fn log_settings(s: &ClientSettings, q: &QuietSettings) {
    log::info!("settings {:?}", s); //~ cleartext-logging
    log::info!("settings {q:?}");
}

// A request extractor is its payload (`Debug` prints it), and a log field
// named for the credentials header holds them.
#[derive(serde::Deserialize, Debug)]
pub struct SignInForm {
    username: String,
    password: String,
}

#[derive(serde::Deserialize, Debug)]
pub struct PageQuery {
    page: u32,
}

pub async fn sign_in(axum::Form(form): axum::Form<SignInForm>) {
    tracing::error!(?form, "idp unreachable"); //~ cleartext-logging
}

pub async fn sign_in_wrapped(form: axum::Json<SignInForm>) {
    tracing::warn!(?form, "rejected"); //~ cleartext-logging
}

pub async fn list_pages(axum::extract::Query(q): axum::extract::Query<PageQuery>) {
    tracing::info!(?q, "list");
}

pub fn forward(tok: &str, path: &str) {
    tracing::trace!(%path, authorization = %tok, "forwarding credentials"); //~ cleartext-logging
    tracing::trace!(%path, authorized = true, "forwarded");
}
