// Shapes from a blind corpus (written by someone who had not seen the
// analyser): command-line parsers as sources, secrets returned by helpers
// or handed to closures, `dbg!`, session identifiers, buffers that move
// when they grow, owners chosen by a `match`, readers passed to helpers.
// Near misses: a file the operator names, a length, a `new_token`, a
// pointer taken after the growth.
use clap::Parser;
use std::ffi::CString;
use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;

#[derive(Parser, Debug)]
struct Cli {
    #[arg(long)]
    user: String,
    #[arg(long)]
    passwd: Option<String>,
    #[arg(long)]
    input: String,
}

fn pos_clap_into_sql(conn: &rusqlite::Connection) {
    let cli = Cli::parse();
    let sql = format!("SELECT * FROM users WHERE name = '{}'", cli.user);
    conn.execute(&sql, []).unwrap(); //~ sql-injection
}

fn pos_clap_builder_into_shell() {
    let matches = clap::Command::new("x").arg(clap::Arg::new("host")).get_matches();
    let host: &String = matches.get_one("host").unwrap();
    std::process::Command::new("sh").arg("-c").arg(format!("ping {host}")).status().unwrap(); //~ command-injection
}

fn neg_clap_file_operator_names() {
    // A command-line tool opening the file its operator names.
    let cli = Cli::parse();
    let _ = std::fs::read_to_string(&cli.input);
}

fn neg_url_parse_is_not_a_cli(s: &str) {
    let u = url::Url::parse(s).unwrap();
    std::process::Command::new("echo").arg(u.as_str()).status().unwrap();
}

fn pos_dbg_of_debug_args() {
    let args = Cli::parse();
    dbg!(&args); //~ cleartext-logging
}

fn pos_password_through_unwrap_or_else() {
    let args = Cli::parse();
    let pw = args.passwd.clone().unwrap_or_else(|| "prompted".to_string());
    println!("password for {}: {}", args.user, pw); //~ cleartext-logging
}

fn neg_password_length() {
    let args = Cli::parse();
    let n = args.passwd.as_ref().map(|p| p.len()).unwrap_or(0);
    println!("password has {} characters", n);
}

struct Db {
    host: String,
    db_password: String,
}

fn connection_string(db: &Db) -> String {
    format!("postgres://app:{}@{}/app", db.db_password, db.host)
}

fn pos_secret_returned_by_helper(db: &Db) {
    let dsn = connection_string(db);
    log::info!("using dsn {}", dsn); //~ cleartext-logging
}

fn host_only(db: &Db) -> String {
    format!("{}:5432", db.host)
}

fn neg_helper_returns_no_secret(db: &Db) {
    let addr = host_only(db);
    log::info!("connecting to {}", addr);
}

struct Client {
    bearer: String,
    account: String,
}

impl Client {
    fn auth_header(&self) -> String {
        format!("Bearer {}", self.bearer)
    }

    fn token_hint(&self) -> String {
        format!("****({} chars)", self.bearer.len())
    }

    fn pos_method_returns_secret(&self) {
        let header = self.auth_header();
        eprintln!("GET / with {}", header); //~ cleartext-logging
    }

    fn neg_method_returns_hint(&self) {
        let hint = self.token_hint();
        eprintln!("GET / as {} with {}", self.account, hint);
    }
}

fn pos_secret_into_closure(api_token: Option<String>) {
    api_token.as_ref().map(|t| log::info!("rotating api token to {}", t)); //~ cleartext-logging
}

fn neg_new_token_is_a_lexer_word(new_token: Option<String>) {
    new_token.as_ref().map(|t| log::info!("next token {}", t));
}

fn neg_session_id_is_a_correlation_id(session_id: &str, user: &str) {
    // Logged as a correlation id by most services; not counted a secret.
    log::info!("issued session {} to {}", session_id, user);
}

fn neg_session_count(session_count: usize) {
    log::info!("{} sessions", session_count);
}

extern "C" {
    fn mix_submit(p: *const i16, n: usize) -> i32;
    fn plot_label(p: *const u8) -> i32;
}

pub fn pos_pointer_before_growth(mut buf: Vec<i16>, extra: &[i16]) -> i16 {
    let head = buf.as_ptr();
    for s in extra {
        buf.push(*s);
    }
    // SAFETY: none: `head` may point into the old buffer.
    unsafe { *head } //~ dangling-pointer
}

pub fn neg_pointer_after_growth(mut buf: Vec<i16>, extra: &[i16]) -> i32 {
    buf.extend_from_slice(extra);
    let head = buf.as_ptr();
    // SAFETY: `buf` is alive and not changed after the pointer is taken.
    unsafe { mix_submit(head, buf.len()) }
}

pub fn pos_owner_chosen_by_match(name: &str, units: Option<&str>) -> i32 {
    let label_ptr: *const u8;
    {
        let label = match units {
            Some(u) => format!("{} [{}]\0", name, u),
            None => format!("{}\0", name),
        };
        label_ptr = label.as_ptr();
    }
    // SAFETY: none: `label` is gone.
    unsafe { plot_label(label_ptr) } //~ dangling-pointer
}

pub fn neg_owner_chosen_by_match_alive(name: &str, units: Option<&str>) -> i32 {
    let label = match units {
        Some(u) => format!("{} [{}]\0", name, u),
        None => format!("{}\0", name),
    };
    let label_ptr = label.as_ptr();
    // SAFETY: `label` lives to the end of the function.
    unsafe { plot_label(label_ptr) }
}

fn read_head<R: BufRead>(reader: &mut R) -> std::io::Result<String> {
    let mut line = String::new();
    reader.read_line(&mut line)?;
    Ok(line)
}

pub fn pos_length_from_reader_helper(stream: TcpStream) {
    let mut reader = BufReader::new(std::io::stdin());
    let line = read_head(&mut reader).unwrap();
    let n: usize = line.trim().parse().unwrap();
    let _body = vec![0u8; n]; //~ unbounded-allocation
    drop(stream);
}

pub fn neg_length_from_reader_helper_bounded() {
    let mut reader = BufReader::new(std::io::stdin());
    let line = read_head(&mut reader).unwrap();
    let n: usize = line.trim().parse().unwrap();
    let _body = vec![0u8; n.min(4096)];
}

pub fn neg_cstring_alive(s: &str) {
    let c = CString::new(s).unwrap();
    let mut out = Vec::new();
    std::io::stdin().read_to_end(&mut out).unwrap();
    // SAFETY: `c` is alive.
    unsafe { plot_label(c.as_ptr() as *const u8) };
}

#[derive(serde::Deserialize)]
pub struct FrameDescriptor {
    pub stride: usize,
    pub height: usize,
    pub scratch_bytes: usize,
}

pub fn pos_size_from_deserialised_message(desc: &FrameDescriptor) -> Vec<u8> {
    let size = desc.scratch_bytes;
    Vec::with_capacity(size) //~ unbounded-allocation
}

pub fn neg_size_from_deserialised_message_bounded(desc: &FrameDescriptor) -> Vec<u8> {
    Vec::with_capacity(desc.scratch_bytes.min(1 << 20))
}

pub struct Geometry {
    pub stride: usize,
}

pub fn neg_size_from_own_struct(g: &Geometry) -> Vec<u8> {
    Vec::with_capacity(g.stride)
}

#[derive(serde::Serialize)]
struct ApiSettings {
    endpoint: String,
    api_key: String,
}

fn pos_serialised_text_then_written(settings: &ApiSettings) -> anyhow::Result<()> {
    let text = toml::to_string(settings)?;
    std::fs::write("api.toml", text)?; //~ cleartext-storage
    Ok(())
}

#[derive(serde::Serialize)]
struct Theme {
    name: String,
    font_size: u32,
}

fn neg_serialised_text_without_secret(theme: &Theme) -> anyhow::Result<()> {
    let text = toml::to_string(theme)?;
    std::fs::write("theme.toml", text)?;
    Ok(())
}

struct NewUser {
    email: String,
    recovery_code: String,
}

fn pos_recovery_code_to_file(users: &[NewUser]) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::fs::OpenOptions::new().append(true).open("audit.log")?;
    for u in users {
        writeln!(out, "{},{}", u.email, u.recovery_code)?; //~ cleartext-storage
    }
    Ok(())
}

const AUTH_SCHEME_BEARER: &str = "Bearer";

fn neg_bearer_scheme_constant() -> String {
    format!("{} abc", AUTH_SCHEME_BEARER)
}

struct Vault {
    password: String,
}

impl Vault {
    fn get(&self) -> String {
        self.password.clone()
    }
}

fn neg_other_types_get(m: &std::collections::HashMap<String, String>) {
    // `get` of a map, not `Vault::get`.
    let v = m.get("user").cloned().unwrap_or_default();
    println!("{}", v);
}

fn or_empty(password: Option<&str>) -> &str {
    password.unwrap_or("")
}

fn neg_parameter_handed_back(username: Option<&str>) {
    let name = or_empty(username);
    println!("{}", name);
}

fn read_record<R: BufRead>(reader: &mut R) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    reader.read_until(b'\n', &mut buf)?;
    Ok(buf)
}

pub fn pos_length_from_read_until_helper() {
    let mut reader = BufReader::new(std::io::stdin());
    let rec = read_record(&mut reader).unwrap();
    let n = u32::from_le_bytes([rec[0], rec[1], rec[2], rec[3]]) as usize;
    let _table = Vec::<u64>::with_capacity(n); //~ unbounded-allocation
}

fn pos_clap2_get_matches_safe() {
    let matches = clap::App::new("x").get_matches_safe().unwrap();
    let name = matches.value_of("name").unwrap_or_default();
    std::process::Command::new("sh").arg("-c").arg(format!("echo {name}")).status().unwrap(); //~ command-injection
}

fn pos_backup_codes_printed(backup_codes: &[String]) {
    println!("your codes: {:?}", backup_codes); //~ cleartext-logging
}

fn neg_backup_codes_remaining(backup_codes_remaining: usize) {
    println!("{} codes left", backup_codes_remaining);
}

impl Client {
    fn pos_secret_call_printed_directly(&self) {
        eprintln!("GET / with {}", self.auth_header()); //~ cleartext-logging
    }

    fn neg_hint_call_printed_directly(&self) {
        eprintln!("GET / with {}", self.token_hint());
    }
}
