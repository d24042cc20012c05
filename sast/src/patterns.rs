//! The API knowledge of the analysis: which paths are sources, sinks,
//! sanitisers, and which paths are findings on their own.
//!
//! Paths are matched on `::` boundaries anywhere in the resolved path (see
//! [`path_matches`]), so `process::Command::new` matches both
//! `std::process::Command::new` and `tokio::process::Command::new`, and
//! `md5::Md5` matches `md5::Md5::new`.

use crate::rules::id;
use crate::taint::*;

/// True when `pattern` occurs in `path` on segment boundaries.
///
/// Called for every path against every table entry, so it compares bytes
/// at segment starts only (a `str::find` builds a searcher per call, which
/// was a fifth of a scan's time).
pub fn path_matches(path: &str, pattern: &str) -> bool {
    let (bytes, pat) = (path.as_bytes(), pattern.as_bytes());
    if pat.is_empty() || pat.len() > bytes.len() {
        return false;
    }
    let mut start = 0;
    loop {
        let end = start + pat.len();
        if end > bytes.len() {
            return false;
        }
        if bytes[start] == pat[0]
            && &bytes[start..end] == pat
            && (end == bytes.len() || bytes[end..].starts_with(b"::"))
        {
            return true;
        }
        // The next segment start: after the next `::`.
        let mut i = start;
        loop {
            if i + 1 >= bytes.len() {
                return false;
            }
            if bytes[i] == b':' && bytes[i + 1] == b':' {
                break;
            }
            i += 1;
        }
        start = i + 2;
    }
}

/// True when `path` ends with `pattern` on a segment boundary.
pub fn path_ends_with(path: &str, pattern: &str) -> bool {
    path == pattern
        || (path.ends_with(pattern) && path[..path.len() - pattern.len()].ends_with("::"))
}

/// The last `::` segment of a path (`"std::fs::write"` -> `"write"`):
/// a byte scan, where `rsplit("::")` builds a substring searcher per call.
pub fn last_segment(path: &str) -> &str {
    match path.as_bytes().windows(2).rposition(|w| w == b"::") {
        Some(i) => &path[i + 2..],
        None => path,
    }
}

pub fn any_ends_with(path: &str, patterns: &[&str]) -> bool {
    patterns.iter().any(|p| path_ends_with(path, p))
}

/// Functions whose result is untrusted input.
pub const SOURCE_FNS: &[(&str, &str)] = &[
    ("std::env::args", "command-line arguments"),
    ("std::env::args_os", "command-line arguments"),
    ("std::env::var", "an environment variable"),
    ("std::env::var_os", "an environment variable"),
    ("std::env::vars", "environment variables"),
    ("std::env::vars_os", "environment variables"),
    ("std::io::stdin", "standard input"),
    ("tokio::io::stdin", "standard input"),
    ("async_std::io::stdin", "standard input"),
    ("std::fs::read_to_string", "file contents"),
    ("std::fs::read", "file contents"),
    ("std::io::read_to_string", "reader contents"),
    ("tokio::fs::read_to_string", "file contents"),
    ("tokio::fs::read", "file contents"),
];

/// Methods that, called on an HTTP response, return its body.
pub const RESPONSE_BODY_METHODS: &[&str] = &[
    "text",
    "json",
    "bytes",
    "text_with_charset",
    "chunk",
    "into_string",
    "into_json",
    "into_reader",
    "body_string",
    "body_bytes",
    "body_json",
];

/// Calls that start an HTTP request whose response is untrusted.
pub const HTTP_GET_FNS: &[&str] = &[
    "reqwest::get",
    "reqwest::blocking::get",
    "ureq::get",
    "ureq::post",
    "surf::get",
    "isahc::get",
    "attohttpc::get",
    "minreq::get",
];

/// Web framework extractor types whose values come from the request.
pub const EXTRACTOR_TYPES: &[&str] = &[
    "Query",
    "Path",
    "Json",
    "Form",
    "RawQuery",
    "Multipart",
    // warp's `multipart::form()` (a part's `filename()` is the client's).
    "FormData",
    "RawForm",
    "TypedHeader",
    "Bytes",
];

/// Crates whose extractor/request types are request data.
pub const WEB_CRATES: &[&str] = &[
    "axum",
    "actix_web",
    "rocket",
    "warp",
    "poem",
    "salvo",
    "tide",
    // A gRPC service's `tonic::Request<T>`: the peer's message.
    "tonic",
];

/// Types of a whole request object.
pub const REQUEST_TYPES: &[&str] = &[
    "actix_web::HttpRequest",
    "HttpRequest",
    "hyper::Request",
    "http::Request",
    "axum::extract::Request",
];

/// A function call whose argument is a sink.
pub struct CallSink {
    pub path: &'static str,
    pub arg: usize,
    pub kind: u16,
    pub what: &'static str,
}

macro_rules! sinks {
    ($kind:expr, $what:expr, [$( ($path:literal, $arg:literal) ),* $(,)?]) => {
        &[ $( CallSink { path: $path, arg: $arg, kind: $kind, what: $what } ),* ]
    };
}

/// The sink `Command::new(program)`: text pasted into a program's name
/// runs no shell (`format!("{prefix}-ar")`), so a public function doing it
/// is not reported by itself (`engine::summary::report_public`).
pub const PROGRAM_SINK: &str = "the program run by `Command::new`";

pub const CALL_SINKS: &[&[CallSink]] = &[
    sinks!(
        SQL,
        "a SQL query",
        [
            ("sqlx::query", 0),
            ("sqlx::query_as", 0),
            ("sqlx::query_scalar", 0),
            ("sqlx::query_with", 0),
            ("sqlx::query_as_with", 0),
            ("sqlx::query_scalar_with", 0),
            ("sqlx::raw_sql", 0),
            ("diesel::sql_query", 0),
            ("diesel::dsl::sql", 0),
            ("diesel::expression::dsl::sql", 0),
            // sea-orm's `Statement::from_string(backend, sql)` carries its
            // text to where it runs (`db.query_all(stmt)`,
            // `Entity::find_by_statement(stmt)`), which is where three of
            // four blind-set authors mark it.
            ("find_by_statement", 0),
        ]
    ),
    sinks!(
        COMMAND,
        PROGRAM_SINK,
        [
            ("process::Command::new", 0),
            ("async_process::Command::new", 0),
            ("subprocess::Exec::cmd", 0),
        ]
    ),
    sinks!(
        COMMAND,
        "a shell command line",
        [("subprocess::Exec::shell", 0)]
    ),
    sinks!(
        PATH,
        "a file system path",
        [
            ("fs::read", 0),
            ("fs::read_to_string", 0),
            ("fs::write", 0),
            ("fs::remove_file", 0),
            ("fs::remove_dir", 0),
            ("fs::remove_dir_all", 0),
            ("fs::create_dir", 0),
            ("fs::create_dir_all", 0),
            ("fs::copy", 0),
            ("fs::copy", 1),
            ("fs::rename", 0),
            ("fs::rename", 1),
            ("fs::read_dir", 0),
            ("fs::metadata", 0),
            ("fs::set_permissions", 0),
            ("fs::hard_link", 1),
            ("fs::read_link", 0),
            ("fs::File::open", 0),
            ("fs::File::create", 0),
            ("fs::File::create_new", 0),
            ("actix_files::NamedFile::open", 0),
            ("actix_files::NamedFile::open_async", 0),
            ("rocket::fs::NamedFile::open", 0),
            ("tower_http::services::ServeFile::new", 0),
            ("tower_http::services::ServeDir::new", 0),
        ]
    ),
    sinks!(
        URL,
        "the URL of an outgoing HTTP request",
        [
            ("reqwest::get", 0),
            ("reqwest::blocking::get", 0),
            ("ureq::get", 0),
            ("ureq::post", 0),
            ("ureq::put", 0),
            ("ureq::delete", 0),
            ("ureq::patch", 0),
            ("ureq::head", 0),
            ("ureq::request", 1),
            ("attohttpc::get", 0),
            ("attohttpc::post", 0),
            ("surf::get", 0),
            ("surf::post", 0),
            ("isahc::get", 0),
            ("isahc::post", 0),
            ("minreq::get", 0),
            ("minreq::post", 0),
            ("http::Request::get", 0),
            ("http::Request::post", 0),
            ("hyper::Request::get", 0),
            ("hyper::Request::post", 0),
        ]
    ),
    sinks!(
        HTML,
        "an HTML response",
        [
            ("axum::response::Html", 0),
            ("axum::Html", 0),
            ("warp::reply::html", 0),
            ("rocket::response::content::RawHtml", 0),
            ("maud::PreEscaped", 0),
            ("poem::web::Html", 0),
            ("actix_web::web::Html::new", 0),
        ]
    ),
    sinks!(
        REGEX,
        "a regular expression",
        [
            ("regex::Regex::new", 0),
            ("regex::bytes::Regex::new", 0),
            ("regex::RegexBuilder::new", 0),
            ("regex::bytes::RegexBuilder::new", 0),
            ("regex::RegexSet::new", 0),
            ("fancy_regex::Regex::new", 0),
            ("regex_lite::Regex::new", 0),
        ]
    ),
    sinks!(
        DESER,
        "a deserialiser that trusts its input",
        [
            ("bincode::deserialize", 0),
            ("bincode::deserialize_from", 0),
            ("bincode::decode_from_slice", 0),
            ("bincode::serde::decode_from_slice", 0),
            ("bincode::serde::decode_borrowed_from_slice", 0),
            ("bincode::decode_from_std_read", 0),
            ("serde_pickle::from_slice", 0),
            ("serde_pickle::from_reader", 0),
            ("rmp_serde::from_slice", 0),
            ("rmp_serde::from_read", 0),
            ("rmp_serde::decode::from_slice", 0),
            ("rmp_serde::decode::from_read", 0),
            ("ciborium::from_reader", 0),
            ("ciborium::de::from_reader", 0),
            ("serde_cbor::from_slice", 0),
            ("serde_cbor::from_reader", 0),
            ("postcard::from_bytes", 0),
            ("bson::from_slice", 0),
        ]
    ),
    sinks!(
        ALLOC,
        "an allocation size",
        [
            ("Vec::with_capacity", 0),
            ("String::with_capacity", 0),
            ("HashMap::with_capacity", 0),
            ("HashSet::with_capacity", 0),
            ("VecDeque::with_capacity", 0),
            ("BytesMut::with_capacity", 0),
            // A `Layout` is not memory: its size taint flows to the
            // allocation that uses it (`alloc(layout)`, `System.allocate`).
            ("std::alloc::alloc", 0),
            ("std::alloc::alloc_zeroed", 0),
            ("std::alloc::realloc", 2),
            ("libc::malloc", 0),
            ("libc::calloc", 0),
            ("libc::calloc", 1),
            ("libc::realloc", 1),
            ("libc::aligned_alloc", 1),
            ("BytesMut::zeroed", 0),
            ("Vec::try_with_capacity", 0),
            ("Vec::with_capacity_in", 0),
            ("Vec::try_with_capacity_in", 0),
            ("Vec::from_raw_parts", 1),
            ("Vec::from_raw_parts", 2),
            ("Vec::from_raw_parts_in", 1),
            ("Vec::from_raw_parts_in", 2),
            ("Vec::from_parts", 1),
            ("Vec::from_parts", 2),
            ("Vec::from_parts_in", 1),
            ("Vec::from_parts_in", 2),
        ]
    ),
];

/// A method whose argument is a sink, on any receiver (the rule decides
/// which receivers count: `sql-injection` skips HTTP request builders).
pub struct MethodSink {
    pub method: &'static str,
    pub arg: usize,
    pub kind: u16,
    pub what: &'static str,
}

macro_rules! method_sinks {
    ($kind:expr, $what:expr, [$( ($method:literal, $arg:literal) ),* $(,)?]) => {
        &[ $( MethodSink { method: $method, arg: $arg, kind: $kind, what: $what } ),* ]
    };
}

pub const METHOD_SINKS: &[&[MethodSink]] = &[
    method_sinks!(
        SQL,
        "a SQL query",
        [
            // postgres / tokio-postgres `Client`, rusqlite `Connection`,
            // sqlx `Executor`.
            ("execute", 0),
            ("execute_batch", 0),
            ("query", 0),
            ("query_row", 0),
            ("query_map", 0),
            ("query_one", 0),
            // sea-orm `ConnectionTrait` / `Select::from_raw_sql`.
            ("query_all", 0),
            ("from_raw_sql", 0),
            ("query_opt", 0),
            ("query_raw", 0),
            ("query_typed", 0),
            ("prepare", 0),
            ("prepare_cached", 0),
            ("prepare_typed", 0),
            ("batch_execute", 0),
            ("simple_query", 0),
            ("fetch_all", 0),
            ("fetch_one", 0),
            ("fetch_optional", 0),
            // mysql / mysql_async `Queryable`.
            ("query_drop", 0),
            ("query_first", 0),
            ("query_iter", 0),
            ("query_fold", 0),
            ("query_first_opt", 0),
            ("query_fold_opt", 0),
            ("query_map_opt", 0),
            ("query_stream", 0),
            ("exec", 0),
            ("exec_drop", 0),
            ("exec_first", 0),
            ("exec_iter", 0),
            ("exec_map", 0),
            ("exec_fold", 0),
            ("exec_batch", 0),
            ("prep", 0),
            // mysql before 17.
            ("prep_exec", 0),
            ("first_exec", 0),
            // sea-orm `ConnectionTrait`.
            ("execute_unprepared", 0),
        ]
    ),
    method_sinks!(
        ALLOC,
        "an allocation size",
        [
            ("reserve", 0),
            ("reserve_exact", 0),
            ("try_reserve", 0),
            ("try_reserve_exact", 0),
            ("resize", 0),
            ("repeat", 0),
            ("with_capacity", 0),
        ]
    ),
];

/// The sink entries for a method name and kind.
pub fn method_sinks(method: &str, kind: u16) -> impl Iterator<Item = &'static MethodSink> + '_ {
    METHOD_SINKS
        .iter()
        .flat_map(|group| group.iter())
        .filter(move |s| s.kind == kind && s.method == method)
}

/// Functions that neutralise some kinds of taint: (path, kinds removed).
pub const SANITIZER_FNS: &[(&str, u16)] = &[
    ("regex::escape", REGEX),
    ("fancy_regex::escape", REGEX),
    ("regex_lite::escape", REGEX),
    ("html_escape::encode_text", HTML),
    ("html_escape::encode_safe", HTML),
    ("html_escape::encode_double_quoted_attribute", HTML),
    ("htmlescape::encode_minimal", HTML),
    ("htmlescape::encode_attribute", HTML),
    ("v_htmlescape::escape", HTML),
    ("askama_escape::escape", HTML),
    ("ammonia::clean", HTML),
    ("tera::escape_html", HTML),
    ("shell_escape::escape", COMMAND),
    ("shell_escape::unix::escape", COMMAND),
    ("shlex::quote", COMMAND),
    ("shlex::try_quote", COMMAND),
    ("shell_words::quote", COMMAND),
    ("sanitize_filename::sanitize", PATH),
    ("urlencoding::encode", INJECTION),
    ("percent_encoding::utf8_percent_encode", INJECTION),
    ("percent_encoding::percent_encode", INJECTION),
    ("form_urlencoded::byte_serialize", INJECTION),
];

/// Programs that interpret their arguments as a shell command line.
pub const SHELLS: &[&str] = &[
    "sh",
    "bash",
    "zsh",
    "dash",
    "ksh",
    "fish",
    "csh",
    "/bin/sh",
    "/bin/bash",
    "/usr/bin/sh",
    "/usr/bin/bash",
    "/bin/zsh",
    "cmd",
    "cmd.exe",
    "powershell",
    "powershell.exe",
    "pwsh",
];

/// HTTP client types whose `get`/`post`/... take a URL.
pub const HTTP_CLIENT_TYPES: &[&str] = &[
    "reqwest::Client",
    "reqwest::blocking::Client",
    "reqwest::ClientBuilder",
    "ureq::Agent",
    "surf::Client",
    "awc::Client",
    "hyper::Client",
    "hyper_util::client::legacy::Client",
    "isahc::HttpClient",
];

/// A path that is a finding by itself (`md5::compute`, `SslVerifyMode::NONE`).
pub struct PathRule {
    pub pattern: &'static str,
    pub rule: &'static str,
    pub message: &'static str,
}

macro_rules! path_rules {
    ($rule:expr, $message:literal, [$($pattern:literal),* $(,)?]) => {
        &[ $( PathRule { pattern: $pattern, rule: $rule, message: $message } ),* ]
    };
}

pub const PATH_RULES: &[&[PathRule]] = &[
    path_rules!(
        id::BROKEN_HASH,
        "broken hash function",
        [
            "md5::compute",
            "md5::Md5",
            "md5::Context",
            "md2::Md2",
            "md4::Md4",
            "sha1::Sha1",
            "sha1::Sha1Core",
            "sha1_smol::Sha1",
            "MessageDigest::md5",
            "MessageDigest::sha1",
            "openssl::sha::sha1",
            "ring::digest::SHA1_FOR_LEGACY_USE_ONLY",
            "ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY",
            "crypto::md5::Md5",
            "crypto::sha1::Sha1",
            "aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY",
        ]
    ),
    path_rules!(
        id::WEAK_CIPHER,
        "broken cipher or mode",
        [
            "des::Des",
            "des::TdesEde2",
            "des::TdesEde3",
            "des::TdesEee2",
            "des::TdesEee3",
            "rc4::Rc4",
            "rc2::Rc2",
            "rc5::RC5_16_16_8",
            "rc5::RC5_32_12_16",
            "rc5::RC5_32_16_16",
            "rc5::RC5_32_20_16",
            "rc5::RC5_64_24_24",
            "ecb::Encryptor",
            "ecb::Decryptor",
            "blowfish::Blowfish",
            "cast5::Cast5",
            "Cipher::des_cbc",
            "Cipher::des_ecb",
            "Cipher::des_ede3",
            "Cipher::des_ede3_cbc",
            "Cipher::des_ede3_cfb64",
            "Cipher::rc4",
            "Cipher::bf_cbc",
            "Cipher::bf_ecb",
            "Cipher::aes_128_ecb",
            "Cipher::aes_192_ecb",
            "Cipher::aes_256_ecb",
            "crypto::rc4::Rc4",
            "crypto::blowfish::Blowfish",
        ]
    ),
    path_rules!(
        id::MEM_TRANSMUTE,
        "`mem::transmute` reinterprets bits without checks",
        [
            "std::mem::transmute",
            "std::mem::transmute_copy",
            "std::intrinsics::transmute",
        ]
    ),
    path_rules!(
        id::UNINITIALIZED_MEMORY,
        "`mem::uninitialized` creates a value from uninitialised memory",
        ["std::mem::uninitialized",]
    ),
    path_rules!(
        id::TRUSTED_EXE_PATH,
        "`env::current_exe()` can be redirected by whoever starts the process",
        ["std::env::current_exe",]
    ),
    path_rules!(
        id::TLS_VERIFICATION_DISABLED,
        "certificate verification turned off",
        [
            "SslVerifyMode::NONE",
            "SslVerifyMode::empty",
            "SslOption::DANGER_ACCEPT_INVALID_CERTS",
            "SslOption::DANGER_ACCEPT_INVALID_HOSTS",
        ]
    ),
    path_rules!(
        id::PERMISSIVE_CORS,
        "CORS policy allows every origin",
        [
            "CorsLayer::permissive",
            "CorsLayer::very_permissive",
            "actix_cors::Cors::permissive",
            "Cors::permissive",
            "AllowOrigin::any",
            "Cors::allow_any_origin",
        ]
    ),
    path_rules!(
        id::WORLD_WRITABLE,
        "mode bit that makes the file writable by every user",
        [
            "Mode::S_IWOTH",
            "Mode::S_IRWXO",
            "libc::S_IWOTH",
            "libc::S_IRWXO",
        ]
    ),
];

/// Non-cryptographic or predictably seeded random generators; a finding
/// only where the value is a secret.
pub const WEAK_RNG_PATTERNS: &[&str] = &[
    "fastrand",
    "rand::rngs::SmallRng",
    "rand::rngs::mock::StepRng",
    "rand_xorshift",
    "rand_pcg",
    "oorandom",
    "nanorand::WyRand",
    "seed_from_u64",
    "from_seed",
];

/// Constructors/methods of crypto types whose arguments are key material.
pub const KEY_CONSTRUCTORS: &[&str] = &[
    "new_from_slice",
    "new_from_slices",
    "from_secret",
    "from_base64_secret",
    "assume_unique_for_key",
    "try_assume_unique_for_key",
];

/// Type names (last path segment before the constructor) that hold keys,
/// IVs or nonces.
pub fn is_key_type(segment: &str) -> bool {
    let lower = segment.to_ascii_lowercase();
    // Public and verifying keys are not secrets: writing one down is fine.
    if lower.contains("public") || lower.contains("verifying") {
        return false;
    }
    // `Iv`, `IvSize` but not `UniversalString`: a word of its own.
    if ident_words(segment).iter().any(|w| w == "iv") {
        return true;
    }
    [
        "key",
        "nonce",
        "aes",
        "chacha",
        "hmac",
        "cipher",
        "gcm",
        "poly1305",
        "siv",
        "encodingkey",
        "decodingkey",
        "unboundkey",
        "lesssafekey",
        "xsalsa",
        "salsa",
        "secretbox",
        "crypter",
        // Block modes keyed at construction (`cbc::Encryptor::new(key, iv)`).
        "encryptor",
        "decryptor",
    ]
    .iter()
    .any(|word| lower.contains(word))
}

const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "credential",
    "credentials",
    "privatekey",
    "pass",
    "bearer",
];
const SECRET_PAIRS: &[(&str, &str)] = &[
    ("api", "key"),
    ("private", "key"),
    ("access", "key"),
    ("secret", "key"),
    ("auth", "key"),
    ("signing", "key"),
    ("client", "secret"),
    ("encryption", "key"),
    ("master", "key"),
    ("session", "key"),
    ("recovery", "code"),
    ("recovery", "codes"),
    ("backup", "code"),
    ("backup", "codes"),
];
/// Trailing words that make a secret-looking name refer to something else
/// (`token_path`, `password_prompt`, `secret_name`).
const NOT_SECRET_SUFFIXES: &[&str] = &[
    "path",
    "file",
    "filename",
    "name",
    "len",
    "length",
    "count",
    "type",
    "kind",
    "id",
    "ids",
    "url",
    "uri",
    "endpoint",
    "env",
    "var",
    "field",
    "header",
    "prefix",
    "suffix",
    "expiry",
    "expires",
    "used",
    "remaining",
    "only",
    "enabled",
    "scheme",
    "ttl",
    "duration",
    "hint",
    "label",
    "policy",
    "format",
    "dir",
    "size",
    "regex",
    "pattern",
    "mode",
    "required",
    "enabled",
    "provider",
    "store",
    "manager",
    "service",
    "prompt",
    "message",
    "msg",
    "error",
    "err",
    "key_id",
    "index",
    "idx",
    "min",
    "max",
    "limit",
    "timeout",
    "source",
    "location",
    "re",
    "rule",
    "rules",
    "filter",
    "span",
    "kinds",
    "tokens",
    "stream",
    "parser",
    "lexer",
    "tree",
    "at",
    "pos",
    "position",
    "start",
    "end",
    "set",
    "map",
    "list",
    "vec",
    "str",
    "spec",
    "config",
    "cfg",
    "schema",
    "column",
    "table",
    "reset",
    "changed",
    "validator",
    "strength",
    "hash",
    "hashed",
    "digest",
    "exists",
    "present",
    "option",
    "options",
    "flag",
    // `password_hash_algo`, `secret_version`, `new_secret_arn` (red team
    // rt78): about a secret, not one.
    "algo",
    "algorithm",
    "version",
    "arn",
];
const NOT_SECRET_PREFIXES: &[&str] = &[
    "is", "has", "no", "max", "min", "num", "should", "use", "with", "allow", "need", "needs",
    "require", "old_len",
];

/// Words of an identifier: `apiKey` / `API_KEY` / `api_key` -> [api, key].
pub fn ident_words(ident: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in ident.chars() {
        if c == '_' || c == '-' || c == '.' {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Parts of every word (or pair of words) that makes a name a secret's:
/// a name without any of them is not one, found without splitting it.
const SECRET_PARTS: &[&str] = &[
    "pass",
    "secret",
    "token",
    "key",
    "credential",
    "recovery",
    "backup",
    "bearer",
];

/// Could one of `ident`'s words ([`ident_words`], lower-cased) contain one
/// of `parts`? Exact for ASCII names; other names always may.
fn may_contain_word(ident: &str, parts: &[&str]) -> bool {
    if !ident.is_ascii() {
        return true;
    }
    let bytes = ident.as_bytes();
    // One pass over the name: only a position whose letter starts one of
    // the parts is compared (lower-cased: the parts are ASCII).
    let mut starts = [false; 128];
    for part in parts {
        if let Some(&b) = part.as_bytes().first() {
            starts[usize::from(b.to_ascii_lowercase() & 0x7f)] = true;
        }
    }
    bytes.iter().enumerate().any(|(i, b)| {
        starts[usize::from(b.to_ascii_lowercase() & 0x7f)]
            && parts.iter().any(|part| {
                bytes
                    .get(i..i + part.len())
                    .is_some_and(|w| w.eq_ignore_ascii_case(part.as_bytes()))
            })
    })
}

/// Does this identifier name a credential (`password`, `apiKey`, `GITHUB_TOKEN`)?
pub fn is_secret_name(ident: &str) -> bool {
    if !may_contain_word(ident, SECRET_PARTS) {
        return false;
    }
    let words = ident_words(ident);
    let (Some(first), Some(last)) = (words.first(), words.last()) else {
        return false;
    };
    if NOT_SECRET_PREFIXES.contains(&first.as_str()) {
        return false;
    }
    if NOT_SECRET_SUFFIXES.contains(&last.as_str()) {
        return false;
    }
    // `new_token` is a lexer's word; `new_password`, `new_secret` are not.
    // A page's, a request's or a cancellation's token is no credential
    // (`page_token`, `pageToken`, `next_token`, red team rt78).
    if words.len() == 2
        && last == "token"
        && matches!(
            first.as_str(),
            "new"
                | "page"
                | "next"
                | "prev"
                | "previous"
                | "continuation"
                | "pagination"
                | "idempotency"
                | "cancel"
                | "cancellation"
                | "sync"
                | "resume"
        )
    {
        return false;
    }
    if words.len() == 1 && (first == "pass" || first == "token") {
        // Alone, `pass` is more often a pass of an algorithm and `token` a
        // lexer or event-loop token; `access_token`, `db_pass` are secrets.
        return false;
    }
    words.iter().any(|w| SECRET_WORDS.contains(&w.as_str()))
        || words
            .windows(2)
            .any(|pair| SECRET_PAIRS.contains(&(pair[0].as_str(), pair[1].as_str())))
        || words.iter().any(|w| {
            matches!(
                w.as_str(),
                "apikey" | "privatekey" | "accesskey" | "secretkey"
            )
        })
}

/// A bare `token` or `pass`: a credential when it holds text (a `String`
/// or `&str`, not a lexer's `Token` or an algorithm's pass). Names from
/// `secret_source` are bare only when the value was seen to be text
/// (`FnCx::text_credential_fields`, a text parameter), so a check that
/// accepts a secret's name accepts these too.
pub fn is_bare_credential(ident: &str) -> bool {
    matches!(ident, "token" | "pass")
}

/// A function or type whose name says its bare `token` or `pass` is a
/// credential: it deals with logins, sessions or credentials
/// (`report_login`, `on_session`, `Session`), or holds a program's
/// settings (`AgentConfig`, `Profile`). A lexer's (`Lexer`, `next_token`)
/// does not.
pub fn is_credential_context(ident: &str) -> bool {
    let words = ident_words(ident);
    // A lexer's or parser's token, whatever else the name says
    // (`ConfigLexer`, `SessionParser`; not `parse_auth_header`, whose
    // token is the header's).
    if words.iter().any(|w| {
        matches!(
            w.as_str(),
            "lexer"
                | "lex"
                | "lexing"
                | "parser"
                | "tokenizer"
                | "tokenize"
                | "scanner"
                | "grammar"
                | "syntax"
        )
    }) {
        return false;
    }
    let pair = words.windows(2).any(|p| {
        matches!(
            (p[0].as_str(), p[1].as_str()),
            ("sign" | "log", "in" | "on")
        )
    });
    pair || words.iter().any(|w| {
        matches!(
            w.as_str(),
            "auth"
                | "authorize"
                | "authorization"
                | "authz"
                | "authn"
                | "oauth2"
                | "authenticate"
                | "credential"
                | "credentials"
                | "creds"
                | "login"
                | "logon"
                | "signin"
                | "session"
                | "sessions"
                | "oauth"
                | "bearer"
                | "secret"
                | "secrets"
                | "password"
                | "config"
                | "cfg"
                | "conf"
                | "settings"
                | "profile"
                | "account"
        )
    })
}

/// Does a name bound to a string literal hold a credential? Broader than
/// [`is_secret_name`]: a bare `token` or `pass` given a literal is almost
/// always a credential, while a bare `token` being logged is usually a
/// lexer or event-loop token.
pub fn is_secret_name_for_literal(ident: &str) -> bool {
    if !may_contain_word(ident, SECRET_PARTS) {
        return false;
    }
    is_secret_name(ident)
        || matches!(ident_words(ident).as_slice(), [w] if w == "token" || w == "pass")
}

/// Names of values generated as secrets (tokens, keys, nonces, salts).
pub fn is_secret_generation_context(ident: &str) -> bool {
    const PARTS: &[&str] = &[
        "pass",
        "secret",
        "token",
        "key",
        "credential",
        "nonce",
        "salt",
        "iv",
        "otp",
        "csrf",
        "session",
        "sid",
        "code",
    ];
    if !may_contain_word(ident, PARTS) {
        return false;
    }
    is_secret_name(ident)
        || ident_words(ident).iter().any(|w| {
            matches!(
                w.as_str(),
                "key"
                    | "nonce"
                    | "salt"
                    | "iv"
                    | "otp"
                    | "csrf"
                    | "session"
                    | "sid"
                    | "secret"
                    | "token"
                    | "password"
                    | "code"
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_matching_respects_segment_boundaries() {
        assert!(path_matches("md5::Md5::new", "md5::Md5"));
        assert!(path_matches(
            "std::process::Command::new",
            "process::Command::new"
        ));
        assert!(!path_matches("my_md5::Md5", "md5::Md5"));
        assert!(!path_matches("md5::Md5Like", "md5::Md5"));
        assert!(path_matches("a::md5::Md5", "md5::Md5"));
        assert!(path_matches("md5", "md5"));
        assert!(!path_matches("a::xmd5::Md5", "md5::Md5"));
        assert!(!path_matches("md5::", "md5::Md5"));
        assert!(path_matches("SslVerifyMode::NONE", "SslVerifyMode::NONE"));
        assert!(path_ends_with(
            "std::vec::Vec::with_capacity",
            "Vec::with_capacity"
        ));
        assert!(!path_ends_with(
            "MyVec::with_capacity",
            "Vec::with_capacity"
        ));
    }

    #[test]
    fn secret_names() {
        for name in [
            "password",
            "db_password",
            "apiKey",
            "API_KEY",
            "GITHUB_TOKEN",
            "client_secret",
            "privateKey",
            "bearer",
            "bearer_token",
            "recovery_code",
            "backup_codes",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "token_path",
            "password_prompt",
            "is_secret",
            "tokens",
            "token",
            "pass",
            "max_token_len",
            "keyboard",
            "secret_name",
            "session",
            "user_id",
            "session_count",
            "session_id",
            "backup_path",
            "recovery_mode",
            "recovery_code_used",
            "bearer_only",
            "backup_codes_remaining",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }
}
