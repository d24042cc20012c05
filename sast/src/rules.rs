//! The rule catalogue: every diagnostic the engine can emit, with its stable
//! id, CWE, default severity, explanation and fix.
//!
//! Ids are part of the public interface (suppressions, baselines, SARIF and
//! `tollgate.toml` name them), so an id is never renamed or reused.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How bad a finding is. Ordered: `Note < Low < Medium < High < Critical`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; not a vulnerability by itself.
    Note,
    /// Low risk.
    Low,
    /// Medium risk.
    Medium,
    /// High risk.
    High,
    /// Critical risk.
    Critical,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Note,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The severity as configuration and reports spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// One level less severe, never below `Low` (findings from local
    /// input such as argv are less exploitable than network input).
    pub fn one_lower(self) -> Severity {
        match self {
            Severity::Critical => Severity::High,
            Severity::High => Severity::Medium,
            Severity::Medium => Severity::Low,
            other => other,
        }
    }

    /// The SARIF `level` GitHub code scanning shows.
    pub fn sarif_level(self) -> &'static str {
        match self {
            Severity::Critical | Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low | Severity::Note => "note",
        }
    }

    /// GitHub's `security-severity` score: >= 9 critical, 7-8.9 high,
    /// 4-6.9 medium, 0.1-3.9 low.
    pub fn security_severity(self) -> &'static str {
        match self {
            Severity::Critical => "9.5",
            Severity::High => "8.0",
            Severity::Medium => "5.5",
            Severity::Low => "3.0",
            Severity::Note => "1.0",
        }
    }

    /// The word rustc-style text output puts in front of a diagnostic.
    pub fn text_label(self) -> &'static str {
        match self {
            Severity::Critical | Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low | Severity::Note => "note",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A severity word that is none of the five.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity `{0}` (expected note, low, medium, high or critical)")]
pub struct UnknownSeverity(pub String);

impl std::str::FromStr for Severity {
    type Err = UnknownSeverity;
    fn from_str(s: &str) -> Result<Self, UnknownSeverity> {
        Severity::ALL
            .into_iter()
            .find(|sev| sev.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownSeverity(s.to_string()))
    }
}

/// Static description of one rule.
#[derive(Debug)]
pub struct Rule {
    /// Stable kebab-case id, e.g. `sql-injection`.
    pub id: &'static str,
    /// Short human title.
    pub title: &'static str,
    /// The CWE number (0 when none applies).
    pub cwe: u32,
    /// The default severity.
    pub severity: Severity,
    /// One paragraph: what is wrong and why it matters.
    pub explanation: &'static str,
    /// How to fix it.
    pub fix: &'static str,
}

/// How often a rule's findings are real vulnerabilities, in CodeQL's
/// terms (`@precision`): it decides the suite a rule is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// Flags code that is fine as often as code that is not: untrusted
    /// text in a log line, every computed length given to
    /// `from_raw_parts`, every `transmute`. Run in the `extended` suite
    /// only, as CodeQL runs its medium-precision queries
    /// (`rust/log-injection` among them) in `security-extended` only.
    Medium,
    /// Most findings are real: run by default.
    High,
}

impl Precision {
    /// As SARIF's `properties.precision` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Medium => "medium",
            Precision::High => "high",
        }
    }
}

/// Which rules a scan runs when the configuration does not list them
/// (`[sast] enable`): like CodeQL's `code-scanning` and
/// `security-extended` suites.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Suite {
    /// The high-precision rules (and the meta diagnostics).
    #[default]
    Default,
    /// Every rule, the medium-precision ones included.
    Extended,
}

impl Suite {
    /// Does the suite run the rule?
    pub fn runs(self, rule: &Rule) -> bool {
        self == Suite::Extended || rule.precision() == Precision::High
    }
}

impl Rule {
    /// The rule's precision. Medium: `log-injection` (every request value
    /// logged with `{}`, which at worst forges a log line), and the
    /// unsafe-code lints that flag every use of an operation whatever
    /// its operands
    /// (`raw-parts-dynamic-length`, `get-unchecked-dynamic-index`,
    /// `mem-transmute`).
    pub fn precision(&self) -> Precision {
        match self.id {
            id::LOG_INJECTION
            | id::RAW_PARTS_DYNAMIC_LENGTH
            | id::GET_UNCHECKED_DYNAMIC_INDEX
            | id::MEM_TRANSMUTE => Precision::Medium,
            _ => Precision::High,
        }
    }

    /// Where the rule's documentation lives (SARIF `helpUri`).
    pub fn help_uri(&self) -> String {
        format!("{DOCS_BASE}#{}", self.id)
    }
}

/// Rules documentation in the repository (`docs/rules.md`).
pub const DOCS_BASE: &str = "https://github.com/tollgate-dev/tollgate/blob/main/docs/rules.md";

/// Version of the rule set; bumped whenever a rule is added or changes what it reports.
pub const RULESET_VERSION: &str = "2026.11.2";

macro_rules! rules {
    ($( $konst:ident = $id:literal, $title:literal, $cwe:literal, $sev:ident,
        $explanation:literal, $fix:literal; )*) => {
        /// Rule ids as constants, so analysis code cannot misspell one.
        pub mod id {
            $( #[doc = concat!("`", $id, "`")] pub const $konst: &str = $id; )*
        }
        /// Every rule, in catalogue order.
        pub static RULES: &[Rule] = &[
            $( Rule { id: $id, title: $title, cwe: $cwe, severity: Severity::$sev,
                      explanation: $explanation, fix: $fix }, )*
        ];
    };
}

rules! {
    SQL_INJECTION = "sql-injection", "Untrusted input in a SQL query", 89, High,
        "Data from a request, the environment, standard input or a file is concatenated or formatted into SQL text that is then executed (sqlx, diesel, rusqlite, postgres). An attacker who controls that data can change the query: read other users' rows, bypass authentication, or drop tables. A public function that formats its own parameter into SQL text is reported too: its callers choose that text.",
        "Keep the SQL text constant and pass values as bind parameters: `sqlx::query(\"SELECT * FROM users WHERE name = $1\").bind(name)`, rusqlite `params![..]`, diesel's query builder, or the checked `sqlx::query!` macros.";
    COMMAND_INJECTION = "command-injection", "Untrusted input in a shell command or program name", 78, Critical,
        "Untrusted data chooses the program `Command::new` runs, or is passed to a shell (`sh -c`, `bash -c`, `cmd /C`) as part of its command line. Shell metacharacters such as `;`, `|` and `$(..)` then run arbitrary commands with the service's privileges. A public function that formats its own parameter into a shell command line is reported too: its callers choose that text.",
        "Run the program directly with a constant name and pass untrusted values as separate `.arg(..)` arguments, never through `sh -c`; if a shell is unavoidable, validate against an allow-list.";
    PATH_TRAVERSAL = "path-traversal", "Untrusted input used as a file system path", 22, High,
        "A file system operation (open, create, read, write, remove) uses a path built from untrusted data. Sequences like `../` or an absolute path let an attacker read or overwrite files outside the intended directory. Command-line arguments, environment variables, standard input and files are the operator's and choose no path here: a tool opening the file its operator named is doing its job (CodeQL's default threat model leaves them out too).",
        "Canonicalize the joined path and check that it still `starts_with` the base directory before using it, or map user input to a fixed set of names.";
    SSRF = "ssrf", "Untrusted input chooses the URL of an outgoing request", 918, High,
        "An HTTP client (reqwest, ureq, hyper) sends a request to a URL that comes from untrusted data. An attacker can make the server reach internal services, cloud metadata endpoints or other hosts it can reach but the attacker cannot. A URL from command-line arguments, environment variables, standard input or a file is the operator's configuration, not a forgery.",
        "Do not let callers choose the host: build the URL from a constant base and validated path segments, or check the parsed host against an allow-list.";
    XSS = "xss", "Untrusted input rendered as HTML", 79, High,
        "A handler returns HTML (axum `Html`, actix-web `content_type(\"text/html\")`, warp `reply::html`) that contains untrusted data without escaping. A script in that data runs in the victim's browser with the site's origin.",
        "Render through a template engine that escapes by default (askama, maud, tera), or escape with `html_escape::encode_text` before inserting values.";
    REGEX_INJECTION = "regex-injection", "Untrusted input compiled as a regular expression", 730, Medium,
        "A regular expression is compiled from untrusted data. The attacker decides what the pattern matches (defeating the check it implements) and can submit patterns that take large amounts of memory or time to compile.",
        "Escape literal text with `regex::escape` before embedding it in a pattern, and set `RegexBuilder::size_limit` for patterns that must come from users.";
    LOG_INJECTION = "log-injection", "Untrusted input written to logs unescaped", 117, Low,
        "Untrusted data is written to a log with `Display` formatting (`{}` or tracing's `%`). Embedded newlines and control characters let an attacker forge log entries or hide their activity from whoever reads the logs.",
        "Log untrusted values with `Debug` formatting (`{:?}`, tracing's `?value` or a plain field), which escapes control characters, or strip newlines first.";
    CLEARTEXT_LOGGING = "cleartext-logging", "Secret written to logs or the console", 532, Medium,
        "A value whose name says it is a password, token, API key or other credential is printed or logged. Logs are copied to many systems and read by many people; credentials in them leak. A value printed with `{:?}` whose type derives `Debug` over such a field, or over a type that holds one, shows it too (also through `educe`, whose `#[educe(Debug = \"ignore\")]` renames a field and still prints it). Also a credential by where it came from: a request header named for one (`X-Api-Key`, `Authorization`), a password typed at an `rpassword` prompt, a database URL or DSN from the environment, or a value the message labels as one (`access_token={}`, `password: {}`).",
        "Do not log secrets. Log that a credential was present, or a redacted form, and wrap secrets in a type such as `secrecy::SecretString` whose `Debug` output is redacted.";
    CLEARTEXT_STORAGE = "cleartext-storage", "Secret written to a file or plain socket", 312, Medium,
        "A value whose name says it is a password, token, API key or other credential is written unencrypted to a file (`fs::write`, `File::write_all`); so is a value whose type derives serde's `Serialize` over such a field, serialised into a file (`serde_json::to_writer(file, &session)`, `fs::write(path, toml::to_string(&config)?)`) by a function that does not restrict the file's permissions (`set_permissions`, `OpenOptionsExt::mode`). Anyone who can read the file, its backups, or the network path gets the credential.",
        "Do not store credentials in plain files: keep a salted password hash (argon2) instead of the password, use the OS keyring or a secret store, restrict file permissions, and send secrets only over TLS.";
    UNSAFE_DESERIALIZATION = "unsafe-deserialization", "Untrusted bytes deserialised with a format that trusts its input", 502, Medium,
        "Untrusted data is decoded with bincode, serde_pickle, rmp-serde, CBOR or postcard without size limits. Length prefixes in the input decide how much is allocated, so a small message can exhaust memory, and pickle-style formats reconstruct arbitrary object graphs.",
        "Bound the input size and use the format's limits (`bincode::config::standard().with_limit::<N>()`), or accept a self-describing format with a schema (serde_json into a concrete type).";
    UNBOUNDED_ALLOCATION = "unbounded-allocation", "Allocation sized by untrusted input", 789, Medium,
        "The size of an allocation (`Vec::with_capacity`, `vec![x; n]`, `reserve`, `resize`, `repeat`) comes from untrusted input. A large number aborts the process with an out-of-memory error: a denial of service from one request.",
        "Clamp the size to a sane maximum first (`n.min(MAX_ITEMS)`), or grow the collection as data actually arrives.";
    TLS_VERIFICATION_DISABLED = "tls-verification-disabled", "TLS certificate or hostname verification turned off", 295, High,
        "The TLS client is configured to accept any certificate or any hostname (reqwest/native-tls `danger_accept_invalid_*`, lettre, mysql, mongodb and ldap3 `*accept_invalid*`/`*skip_verif*` switches or fields set to `true`, curl `ssl_verify_peer(false)`, openssl `SslVerifyMode::NONE`, a rustls verifier that accepts everything, reported where it is installed or, when the file installs it nowhere, where it says yes; one that delegates to webpki or the platform verifier is fine). Anyone on the network path can impersonate the server and read or change the traffic.",
        "Keep verification on. To trust a private CA, add its certificate to the root store (`add_root_certificate`, `RootCertStore::add`) instead of disabling checks.";
    WEAK_HASH = "weak-hash", "Password or private data hashed with a weak hash", 328, Medium,
        "A password, credential or private value (an identifier named like one) is hashed with a broken hash (MD2, MD4, MD5, SHA-1) or, for passwords, with a fast hash (SHA-2, SHA-3, BLAKE), salted or not: passed to the hash, fed to a hasher (`update`, `std::io::copy` from a reader named for passwords), or serialized with a struct that holds it (`serde_json::to_string(&account)` of a struct literal with a `password` field, then hashed). Such hashes are cheap to compute, so a stolen table is guessed at billions of tries a second, and broken ones also allow collisions. Any other use of a broken hash is `broken-hash`.",
        "Hash passwords with a password hashing function (argon2, scrypt, bcrypt, PBKDF2) and use SHA-256 or better (`sha2`, BLAKE3) elsewhere.";
    BROKEN_HASH = "broken-hash", "Broken hash function used", 327, Low,
        "MD2, MD4, MD5 or SHA-1 is used. They have practical collision attacks: used for signatures, integrity checks of untrusted data or identifiers an attacker can choose, two inputs with the same digest can be made. When the input is a password or private value the finding is `weak-hash` instead. Not reported in the RFC 6455 WebSocket accept key, nor in a function that names what it computes as an identifier nobody gains by colliding (an ETag, a Gravatar URL, a cache key, a shard or bucket index), with no word of a security use in its name (auth, sign, verify, check, integrity, token, session, ..) and nothing named like a credential.",
        "Use SHA-256 or better (`sha2`, `ring::digest::SHA256`, BLAKE3). Suppress with a reason where the hash is only a non-security checksum required by a protocol or file format.";
    WEAK_CIPHER = "weak-cipher", "Broken cipher or cipher mode used", 327, High,
        "DES, 3DES, RC2, RC4, RC5 and Blowfish are broken or have too small a block or key, and ECB mode encrypts equal blocks to equal ciphertext, leaking the structure of the plaintext.",
        "Use an authenticated cipher: AES-GCM (`aes-gcm`), ChaCha20-Poly1305 (`chacha20poly1305`), or `ring::aead`.";
    HARDCODED_CRYPTO_KEY = "hardcoded-crypto-key", "Cryptographic key or nonce written in the source", 321, High,
        "A key, IV or nonce for encryption, HMAC or JWT signing is a literal in the source (reported where the bytes are written, as CodeQL's `rust/hard-coded-cryptographic-value` does, with a path to the constructor or the AEAD's `encrypt` that uses them), or is given to a parameter of the crate's own functions named for key material: a `nonce`, `iv` or `salt`, a `password`, or a byte `key` of an encryption function (`encrypt_with(data, &[0u8; 16], iv)`; a map's `key` or a `primary_key` is not). Everyone with the source or the binary has the key; a fixed nonce also breaks the security of stream and AEAD ciphers.",
        "Load keys from a secret store or the environment at run time, and generate nonces per message (`Aead::generate_nonce(&mut OsRng)`).";
    HARDCODED_SECRET = "hardcoded-secret", "Password or token assigned from a literal", 798, High,
        "A variable, constant or field named like a password, token, API key or other credential is set to a literal string. Credentials in source end up in version control, builds and logs, and cannot be rotated without a release.",
        "Read the credential at run time from the environment, a secret store or a file with restricted permissions.";
    LEAKED_CREDENTIAL = "leaked-credential", "Well-known credential format or private key in a string literal", 798, Critical,
        "A string literal has the exact shape of a real credential (AWS access key id, GitHub/GitLab/Slack/Stripe/npm/Google tokens, a JWT) or contains a PEM private key. If it is real it is already leaked to everyone who can read the code.",
        "Revoke the credential now, then load it at run time from a secret store. For test data, use a clearly fake value that does not match the format.";
    INSECURE_RANDOMNESS = "insecure-randomness", "Predictable random generator used for a secret", 338, Medium,
        "A token, key, password, nonce or salt is generated with a non-cryptographic or predictably seeded generator (`fastrand`, `SmallRng`, PCG/Xorshift, `seed_from_u64`). Its output can be predicted from a few samples or from the seed.",
        "Use a cryptographically secure generator: `rand::rngs::OsRng`, `rand::thread_rng()`, or `getrandom`.";
    CLEARTEXT_URL = "cleartext-url", "Unencrypted http:// or ws:// URL", 319, Low,
        "A URL literal uses plain `http://` or `ws://` to a non-local host, an HTTP client request goes to such a URL built in a variable (`format!(\"{}{}\", base, path)`), or a request's URL carries a secret without `https://` (`?password=..`); a credential is sent to such a URL, a `format!(\"http://{}..\")` to a host given later, or what a function of the file that returns one returns, or, for a credential, any `http://` URL (a literal or a constant of the file) but this machine's, a private network's included (`.header(\"X-Api-Key\", &cfg.api_key)`, `.set(\"Authorization\", ..)`, `.bearer_auth(token)`, `.basic_auth(..)`, a request body holding a credential, reported at that call); or a credential is written to a plain TCP stream (`stream.write_all(password.as_bytes())`, `write!(stream, ..)`, a serialised type with a secret field). Traffic to it can be read and modified on the network, including credentials and downloaded code.",
        "Use `https://` or `wss://`.";
    INSECURE_COOKIE = "insecure-cookie", "Cookie without Secure", 614, Medium,
        "A cookie is built without the `Secure` flag, or with it turned off, so the browser also sends it over plain HTTP where anyone on the network path reads it. A cookie created without `Secure` (or with it turned on only under a condition) and then added to a jar or response is reported at the call that sends it, and so are cookies parsed from a request's `Cookie` header (`Cookie::split_parse`) added to a jar; `set_secure(false)` on a cookie that is then sent, or on session settings then handed to a call (`ServerSession::new(config, ..)`), is reported there instead of at the setter. The last call setting `Secure` wins (`secure(false).secure(true)` is fine), `partitioned(true)` implies it, and a flag held in a local bound to a literal or tested by an enclosing `if` is worked out; a `Set-Cookie` value written as text is judged on the attributes it names. A cookie built only to be removed is not reported. A cookie that has `Secure` but lacks `HttpOnly` or `SameSite` is `cookie-without-httponly` or `cookie-without-samesite`.",
        "Build cookies with `.secure(true)` (and `.http_only(true).same_site(SameSite::Lax)`), or call `set_secure(true)`.";
    COOKIE_WITHOUT_HTTPONLY = "cookie-without-httponly", "Cookie without HttpOnly", 1004, Low,
        "A cookie with `Secure` is built without `HttpOnly` (or with it turned off), so scripts in the page can read it: one cross-site scripting bug then steals the session.",
        "Add `.http_only(true)` (or `set_http_only(true)`, or `HttpOnly` in `Set-Cookie` text) unless scripts must read the cookie.";
    COOKIE_WITHOUT_SAMESITE = "cookie-without-samesite", "Cookie without SameSite", 1275, Low,
        "A cookie with `Secure` and `HttpOnly` is built without `SameSite`, so the browser attaches it to requests other sites trigger: what cross-site request forgery needs.",
        "Add `.same_site(SameSite::Lax)` (or `Strict`), or `SameSite=Lax` in `Set-Cookie` text.";
    PERMISSIVE_CORS = "permissive-cors", "CORS allows any origin", 942, Medium,
        "The CORS policy accepts every origin (`CorsLayer::permissive()`, `Cors::permissive()`, `allow_any_origin()`, `*`). Any web site can then make its visitors' browsers call this API and read the responses.",
        "List the origins that may call the API: `CorsLayer::new().allow_origin([\"https://app.example.com\".parse()?])`.";
    WORLD_WRITABLE = "world-writable-permissions", "File or directory made writable by every user", 732, Medium,
        "A Unix mode with the other-write bit (for example `0o777` or `0o666`) is applied to a file or directory. Any local user or compromised service can then change it.",
        "Use the narrowest mode that works, such as `0o600` for secrets, `0o644` for files and `0o755` for directories.";
    PREDICTABLE_TEMP_FILE = "predictable-temp-file", "Temporary file at a predictable path", 377, Low,
        "A file is created at a fixed name under `/tmp` or `env::temp_dir()`. Another local user can create that path first, as a symlink to a file of yours, and make the program overwrite or disclose it.",
        "Create temporary files with the `tempfile` crate (`tempfile::NamedTempFile::new()`, `tempfile::tempdir()`), which picks an unpredictable name and opens it exclusively.";
    TRUSTED_EXE_PATH = "trusted-exe-path", "Program path from argv[0] or current_exe trusted", 807, Low,
        "`argv[0]` is chosen by whoever starts the process, and `env::current_exe()` can be redirected with hard links or a changed `/proc`. Using either to locate configuration, plugins or to make security decisions lets a local attacker point the program elsewhere.",
        "Locate resources from a fixed install path or configuration, never from argv[0]; use them only for messages.";
    UNDOCUMENTED_UNSAFE = "undocumented-unsafe", "unsafe without a SAFETY comment", 1059, Low,
        "An `unsafe` block or `unsafe impl` has no `// SAFETY:` comment explaining why its invariants hold. Reviewers cannot check the reasoning, and later changes silently break it.",
        "Add a `// SAFETY: ...` comment directly above the block or impl that states which invariants the code relies on and why they hold.";
    MEM_TRANSMUTE = "mem-transmute", "mem::transmute used", 843, Medium,
        "`mem::transmute` reinterprets bits as another type with no checks. Wrong sizes, alignment, lifetimes or invalid bit patterns cause undefined behaviour.",
        "Use a safe conversion: `from_ne_bytes`/`to_ne_bytes`, `f32::from_bits`, `bytemuck::cast`, `as` casts for pointers, or an explicit constructor.";
    UNINITIALIZED_MEMORY = "uninitialized-memory", "Uninitialised memory exposed", 908, High,
        "`mem::uninitialized`, `MaybeUninit::uninit().assume_init()` or `Vec::set_len` make a value from memory that was never written. Reading it is undefined behaviour and can leak earlier heap contents.",
        "Initialise first (`vec![0; n]`, `MaybeUninit::write` before `assume_init`), or use `Read::read_to_end`/`extend` instead of `set_len`.";
    RAW_PARTS_DYNAMIC_LENGTH = "raw-parts-dynamic-length", "from_raw_parts with a computed length", 119, Medium,
        "`slice::from_raw_parts`, `Vec::from_raw_parts` or `String::from_raw_parts` is given a length that is not a constant. If the length is wrong the slice covers memory outside the allocation.",
        "Derive the length from the allocation it describes and document the bound in a SAFETY comment, or use safe slicing (`&buf[..n]`).";
    GET_UNCHECKED_DYNAMIC_INDEX = "get-unchecked-dynamic-index", "get_unchecked with a computed index", 125, Medium,
        "`get_unchecked` / `get_unchecked_mut` skip the bounds check. With an index that is not a constant, one wrong value reads or writes out of bounds.",
        "Use indexing or `get`; the bounds check is usually optimised away. If it is not, assert the bound once before the loop.";
    UNSAFE_SEND_SYNC = "unsafe-send-sync", "unsafe impl Send/Sync without bounds on generics", 362, High,
        "`unsafe impl<T> Send for X<T>` (or `Sync`) without `T: Send` (`T: Sync`) lets non-thread-safe types such as `Rc` or `Cell` cross threads through the wrapper: data races in safe code. This is one of the most common soundness bugs in the RustSec database.",
        "Add the bound to every type parameter (`unsafe impl<T: Send> Send for X<T>`), or remove the manual impl and let the compiler derive it.";
    CTOR_USES_STD = "ctor-uses-std", "#[ctor] function uses std", 665, Medium,
        "Functions marked `#[ctor]` or `#[dtor]` run before `main` or after it returns, when the standard library's runtime is not (or no longer) set up. Using std there (printing, threads, allocation-heavy I/O) is unsupported and can crash or deadlock.",
        "Keep constructor functions minimal and std-free (atomics, `libc` calls), or move the work to explicit initialisation in `main` (`std::sync::OnceLock`).";
    SENSITIVE_HEADER = "sensitive-header-not-marked", "Authorization header not marked sensitive", 532, Low,
        "An `Authorization` or `Proxy-Authorization` header value built in the function (text, or a `HeaderValue` made from text there) is set without `HeaderValue::set_sensitive(true)`. hyper and reqwest then show it in `Debug` output and HTTP/2 may add it to the HPACK table. A value another function built or a field holds is judged where it was built.",
        "Call `value.set_sensitive(true)` before inserting the header, or use the client's helper (`RequestBuilder::bearer_auth`, `basic_auth`) which does it.";
    DANGLING_POINTER = "dangling-pointer", "Raw pointer used after its memory is freed or dropped", 416, High,
        "In `unsafe` code a raw pointer is used after the memory it points to is gone: its owner was dropped (`drop(v)` or the end of the owner's block) or the pointer was freed (`libc::free`, `dealloc`, `Box::from_raw`), it points into a temporary (`CString::new(s).unwrap().as_ptr()` kept in a variable; reported where the pointer is first used, or where it is made when never used), its `Vec` or `String` grew (`push`, `extend`, `reserve`) after the pointer was taken, or a function returns a pointer to its own local or into a temporary (reported there, and at each caller's use). Reading or writing through it is undefined behaviour: use-after-free, double free, memory corruption that attackers turn into code execution.",
        "Keep the owner alive for as long as the pointer is used (bind the `CString` to a variable, drop the owner after the last use), free exactly once and set the pointer to null afterwards, and return owned values (`Box::into_raw`, `CString::into_raw`) instead of pointers to locals.";
    XXE = "xxe", "XML parser resolves external entities", 611, High,
        "An XML parser is configured to substitute entities or load external DTDs (libxml2 `XML_PARSE_NOENT`/`XML_PARSE_DTDLOAD`, `xmlSubstituteEntitiesDefault(1)`, an `xmlRead*` call given such options, directly, in a local bound to them, as what a function of the file naming them returns or from a field a struct literal of the file sets to them, reported at its document unless that is text written in the source, and then not also at the constants of that function or field, parser options or builder calls that enable entity resolution or DTDs). A document with `<!ENTITY x SYSTEM \"file:///etc/passwd\">` then reads local files or makes the server fetch URLs, and nested entities exhaust memory.",
        "Parse untrusted XML without DTD processing: leave entity substitution and DTD loading off (libxml2 defaults, `XML_PARSE_NONET`), keep roxmltree's `allow_dtd` false, and use a resolver that refuses external entities.";
    PARSE_ERROR = "parse-error", "File could not be analysed", 0, Medium,
        "The file is not valid UTF-8, is not valid Rust syntax, or is too large to analyse, so none of its code was checked.",
        "Fix the syntax error (run `cargo check`), or exclude the file in `tollgate.toml` `[sast] exclude` if it is not Rust source.";
    ANALYSIS_LIMIT = "analysis-limit", "Code too deeply nested or too large to analyse", 0, Medium,
        "Part of the file nests brackets or chains operators deeper than the analyser's limit (far beyond hand-written code), is a single item over 1 MB, or is so dense (one-character tokens) that its syntax tree would take more than 20 times the file's size in memory (at least 64 MB is always allowed), so that part was not parsed or checked; or a function went past a work limit (closures called more than 16 deep or 4,096 times, pointer tracking past its budget, more than 1,024 distinct sinks), so what came after was not checked. A file built this way could otherwise exhaust the stack or the memory of the scanner and hide every other file's findings; here it is skipped explicitly, reported as severe as a file that does not parse, and the rest of the scan goes on. When a file has more findings than are listed (5,000), the note counting them takes the severity of the most severe one not listed.",
        "Restructure the expression (split long operator chains, name intermediate values), or exclude the file in `tollgate.toml` `[sast] exclude` if it is generated data rather than code.";
    UNUSED_SUPPRESSION = "unused-suppression", "Suppression that matches nothing", 0, Low,
        "A `tollgate:allow(..)` comment names a rule that reports nothing on its line or the next statement. Stale suppressions hide future findings at that place.",
        "Remove the comment, or move it to the line of the finding it was meant for.";
    INVALID_SUPPRESSION = "invalid-suppression", "Suppression without a reason or with an unknown rule", 0, Low,
        "A `tollgate:allow(..)` comment has no reason after the colon, or names a rule that does not exist. Suppressions must say why the finding is acceptable so a reviewer can check it.",
        "Write `// tollgate:allow(<rule-id>): <why this is safe>` with a real rule id.";
}

/// Look a rule up by id.
pub fn find(rule_id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|rule| rule.id == rule_id)
}

/// The rule reference as Markdown (`docs/rules.md`, the target of every
/// SARIF `helpUri`).
pub fn markdown() -> String {
    use std::fmt::Write;
    let mut out = String::from("# Tollgate SAST rules\n\n");
    let _ = writeln!(out, "Rule set version {RULESET_VERSION}. Generated from `sast/src/rules.rs` by `UPDATE_DOCS=1 cargo test -p tollgate-sast --test docs`; do not edit by hand.\n");
    out.push_str("Findings whose untrusted data comes only from local input (command-line arguments, environment variables, standard input, files) are reported one severity level lower than the default below: the operator controls that input. Such input never counts as choosing a file path (`path-traversal`) or a URL (`ssrf`). Suppress a finding with `// tollgate:allow(<rule-id>): <reason>` on its line or the line before its statement.\n\n");
    out.push_str("A scan runs the rules of its suite unless `[sast] enable` lists the rules to run. The `default` suite has the high-precision rules; `extended` (`--suite extended` or `[sast] suite = \"extended\"`) adds the medium-precision ones, whose findings are as often harmless as not, the way CodeQL keeps its medium-precision queries to `security-extended`. SARIF declares each rule's `precision`.\n\n");
    out.push_str("| id | title | CWE | default severity | precision |\n|---|---|---|---|---|\n");
    for rule in RULES {
        let cwe = if rule.cwe > 0 {
            format!(
                "[CWE-{0}](https://cwe.mitre.org/data/definitions/{0}.html)",
                rule.cwe
            )
        } else {
            "-".into()
        };
        let _ = writeln!(
            out,
            "| [`{0}`](#{0}) | {1} | {cwe} | {2} | {3} |",
            rule.id,
            rule.title,
            rule.severity,
            rule.precision().as_str()
        );
    }
    for rule in RULES {
        let _ = write!(out, "\n## {}\n\n**{}**. ", rule.id, rule.title);
        if rule.cwe > 0 {
            let _ = write!(out, "CWE-{}, ", rule.cwe);
        }
        let _ = writeln!(
            out,
            "default severity {}, {} precision ({} suite).\n\n{}\n\n**Fix:** {}",
            rule.severity,
            rule.precision().as_str(),
            if rule.precision() == Precision::High {
                "default"
            } else {
                "extended"
            },
            rule.explanation,
            rule.fix
        );
    }
    out
}

/// Rules produced by the analysis itself (as opposed to meta diagnostics
/// about the scan such as parse errors and suppressions).
pub fn is_meta(rule_id: &str) -> bool {
    matches!(
        rule_id,
        id::PARSE_ERROR | id::ANALYSIS_LIMIT | id::UNUSED_SUPPRESSION | id::INVALID_SUPPRESSION
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HashSet;

    #[test]
    fn ids_are_unique_kebab_case_and_complete() {
        let mut seen = HashSet::default();
        for rule in RULES {
            assert!(seen.insert(rule.id), "duplicate rule id {}", rule.id);
            assert!(
                rule.id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit()),
                "{} is not kebab-case",
                rule.id
            );
            assert!(
                rule.explanation.len() > 80,
                "{} needs a real explanation",
                rule.id
            );
            assert!(rule.fix.len() > 20, "{} needs a fix", rule.id);
            if !is_meta(rule.id) {
                assert!(rule.cwe > 0, "{} needs a CWE", rule.id);
            }
        }
        let analysis_rules = RULES.iter().filter(|r| !is_meta(r.id)).count();
        assert!(analysis_rules >= 30, "only {analysis_rules} analysis rules");
    }

    #[test]
    fn severity_parses_and_orders() {
        assert_eq!("HIGH".parse::<Severity>(), Ok(Severity::High));
        assert!("severe".parse::<Severity>().is_err());
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Note);
        assert_eq!(Severity::Critical.one_lower(), Severity::High);
        assert_eq!(Severity::Medium.one_lower(), Severity::Low);
        assert_eq!(Severity::Note.one_lower(), Severity::Note);
    }
}
