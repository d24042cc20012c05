// Red team rt48: checks that look like validation and are not, against the
// file's own validators (a function whose body is one expression accepting
// a parameter), checks held in `bool` locals, and `then`/`then_some`.
use axum::extract::{Json, Path, Query};
use std::path::Component;

pub struct Req {
    pub dir: String,
    pub file: String,
}

const ROOT: &str = "/srv/files";

fn plain(name: &str) -> bool {
    std::path::Path::new(name).components().all(|c| matches!(c, Component::Normal(_)))
}

// A `..` check keeps a path inside its base; it says nothing of a shell
// command or SQL built from the name.
fn stays_inside(name: &str) -> bool {
    !name.contains("..")
}

pub async fn dotdot_check_then_shell(Path(name): Path<String>) {
    if !stays_inside(&name) {
        return;
    }
    let _ = std::process::Command::new("sh").arg("-c").arg(format!("tar czf /tmp/{name}.tgz {name}")).output(); //~ command-injection
}

// Nor does it keep an absolute path out: `join("/etc/passwd")` replaces
// the base (red team rt49).
pub async fn dotdot_check_then_read(Path(name): Path<String>) {
    if !stays_inside(&name) {
        return;
    }
    let _ = std::fs::read(std::path::Path::new(ROOT).join(&name)); //~ path-traversal
}

fn relative_inside(name: &str) -> bool {
    !name.contains("..") && !name.starts_with('/')
}

pub async fn dotdot_and_root_checked_then_read(Path(name): Path<String>) {
    if !relative_inside(&name) {
        return;
    }
    let _ = std::fs::read(std::path::Path::new(ROOT).join(&name));
}

// One field checked, another used.
pub async fn other_field_joined(Query(req): Query<Req>) {
    if !plain(&req.file) {
        return;
    }
    let _ = std::fs::read(std::path::Path::new(ROOT).join(&req.dir).join(&req.file)); //~ path-traversal
}

pub async fn other_field_in_a_shell(Json(req): Json<Req>) {
    let ok = plain(&req.file);
    if !ok {
        return;
    }
    let _ = std::process::Command::new("sh").arg("-c").arg(format!("pg_dump {}", req.dir)).output(); //~ command-injection
}

// An early `return true` before the test.
fn servable(name: &str) -> bool {
    if name.starts_with("public/") {
        return true;
    }
    plain(name)
}

pub async fn early_return_true(Path(name): Path<String>) {
    if !servable(&name) {
        return;
    }
    let _ = std::fs::read(std::path::Path::new(ROOT).join(&name)); //~ path-traversal
}

// The parameter shadowed inside: only the last component is tested.
fn file_name_plain(path: &str) -> bool {
    let path = path.rsplit('/').next().unwrap_or("");
    plain(path)
}

pub async fn shadowed_inside_the_validator(Path(name): Path<String>) {
    if !file_name_plain(&name) {
        return;
    }
    let _ = std::fs::read(std::path::Path::new(ROOT).join(&name)); //~ path-traversal
}

// Decoded after the check: the check was of another value.
pub async fn checked_then_decoded(Path(path): Path<String>) {
    let clean = std::path::Path::new(&path).components().all(|c| matches!(c, Component::Normal(_)));
    let path = urlencoding::decode(&path).unwrap().into_owned();
    if clean {
        let _ = std::fs::read(std::path::Path::new(ROOT).join(&path)); //~ path-traversal
    }
}

// Changed in place after the check.
pub async fn checked_then_extended(Path(mut name): Path<String>, Query(q): Query<Req>) {
    let ok = std::path::Path::new(&name).components().all(|c| matches!(c, Component::Normal(_)));
    name.push_str(&q.file);
    if !ok {
        return;
    }
    let _ = std::fs::read(std::path::Path::new(ROOT).join(&name)); //~ path-traversal
}

// The check overridden.
pub async fn check_overridden(Path(name): Path<String>, Query(q): Query<Req>) {
    let mut allowed = std::path::Path::new(&name).components().all(|c| matches!(c, Component::Normal(_)));
    if q.dir.is_empty() {
        allowed = true;
    }
    if !allowed {
        return;
    }
    let _ = std::fs::read(std::path::Path::new(ROOT).join(&name)); //~ path-traversal
}

// `then_some` evaluates its argument whatever the check says.
pub async fn then_some_removes_first(Path(name): Path<String>) {
    let _ = plain(&name).then_some(std::fs::remove_file(std::path::Path::new(ROOT).join(&name))); //~ path-traversal
}

// `then` is lazy: the closure runs only when the check holds.
pub async fn then_is_lazy(Path(name): Path<String>) {
    let _ = plain(&name).then(|| std::fs::remove_file(std::path::Path::new(ROOT).join(&name)));
}

// A test that only excludes some characters is no character class: `..`
// passes it.
pub async fn excludes_slashes_only(Path(name): Path<String>) {
    let _ = name.chars().all(|c| c != '/' && c != '\\').then(|| std::fs::remove_dir_all(std::path::Path::new(ROOT).join(&name))); //~ path-traversal
}

fn printable(s: &str) -> bool {
    s.chars().all(|c| !c.is_control())
}

pub async fn printable_then_sql(Path(name): Path<String>, pool: sqlx::PgPool) {
    if !printable(&name) {
        return;
    }
    let _ = sqlx::query(&format!("DELETE FROM uploads WHERE name = '{name}'")).execute(&pool).await; //~ sql-injection
}

// Letters, digits, dots and dashes: a host name's characters, and also
// `169.254.169.254`'s.
fn hostname_like(h: &str) -> bool {
    h.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

pub async fn hostname_charset_then_request(Path(host): Path<String>) {
    if !hostname_like(&host) {
        return;
    }
    let _ = reqwest::get(format!("https://{host}/status")).await; //~ ssrf
}

// The same class rules out shell metacharacters (a leading `-` is an
// option to `ping`: argument injection, CWE-88, not this rule's).
pub async fn hostname_charset_then_shell(Path(host): Path<String>) {
    if !hostname_like(&host) {
        return;
    }
    let _ = std::process::Command::new("sh").arg("-c").arg(format!("ping -c1 {host}")).output();
}

// Digits and `-`: a number pasted unquoted, where `5--` comments out the
// rest of the query.
fn signed_number(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_digit() || c == '-')
}

pub async fn signed_number_then_sql(Path(id): Path<String>, pool: sqlx::PgPool) {
    if !signed_number(&id) {
        return;
    }
    let _ = sqlx::query(&format!("SELECT * FROM posts WHERE id = {id} AND visibility = 'public'")).execute(&pool).await; //~ sql-injection
}

// A range covers every character between its ends: `'A'..='z'` covers the
// backtick.
fn letters_a_to_z(s: &str) -> bool {
    s.chars().all(|c| matches!(c, 'A'..='z' | '0'..='9'))
}

pub async fn wide_range_then_shell(Path(name): Path<String>) {
    if !letters_a_to_z(&name) {
        return;
    }
    let _ = std::process::Command::new("sh").arg("-c").arg(format!("echo {name}")).output(); //~ command-injection
}

fn letters_and_digits(s: &str) -> bool {
    s.chars().all(|c| matches!(c, 'a'..='z' | 'A'..='Z' | '0'..='9' | '_'))
}

pub async fn exact_ranges_then_shell(Path(name): Path<String>) {
    if !letters_and_digits(&name) {
        return;
    }
    let _ = std::process::Command::new("sh").arg("-c").arg(format!("echo {name}")).output();
}

// A library's e-mail validator accepts quoted local parts.
pub async fn email_validated_then_sql(Path(email): Path<String>, pool: sqlx::PgPool) {
    if !validator::validate_email(&email) {
        return;
    }
    let _ = sqlx::query(&format!("SELECT id FROM users WHERE email = '{email}'")).execute(&pool).await; //~ sql-injection
}

// Red team rt49: character tests that let a quote, a dot or a slash
// through, or that test a part of the value.
fn person_name(s: &str) -> bool {
    s.chars().all(|c| c.is_alphabetic() || " '-".contains(c))
}

pub async fn quote_allowed_then_sql(Path(name): Path<String>, pool: sqlx::PgPool) {
    if !person_name(&name) {
        return;
    }
    let _ = sqlx::query(&format!("SELECT id FROM people WHERE last_name = '{name}'")).execute(&pool).await; //~ sql-injection
}

fn slug(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

pub async fn dot_allowed_then_path(Path(name): Path<String>) {
    if !slug(&name) {
        return;
    }
    let _ = std::fs::read(std::path::Path::new(ROOT).join(&name)); //~ path-traversal
}

// `-` lets `--` through: harmless inside quotes, a comment where the value
// is pasted unquoted, and the rule does not read the query's quoting (red
// team rt51).
pub async fn dash_allowed_then_sql(Path(name): Path<String>, pool: sqlx::PgPool) {
    if !slug(&name) {
        return;
    }
    let _ = sqlx::query(&format!("SELECT id FROM files WHERE name = '{name}'")).execute(&pool).await; //~ sql-injection
}

fn word(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub async fn word_then_sql(Path(name): Path<String>, pool: sqlx::PgPool) {
    if !word(&name) {
        return;
    }
    let _ = sqlx::query(&format!("SELECT id FROM files WHERE name = {name}")).execute(&pool).await;
}

fn extension_plain(n: &str) -> bool {
    n.rsplit('.').next().unwrap_or("").chars().all(|c| c.is_ascii_alphanumeric())
}

pub async fn part_checked_then_path(Path(name): Path<String>) {
    if !extension_plain(&name) {
        return;
    }
    let _ = std::fs::read(std::path::Path::new(ROOT).join(&name)); //~ path-traversal
}

fn no_digits(s: &str) -> bool {
    s.chars().all(|c| !c.is_ascii_digit())
}

pub async fn negated_class_then_sql(Path(name): Path<String>, pool: sqlx::PgPool) {
    if !no_digits(&name) {
        return;
    }
    let _ = sqlx::query(&format!("SELECT id FROM people WHERE nick = '{name}'")).execute(&pool).await; //~ sql-injection
}

// Changed in place between the check and the use.
fn add_suffix(s: &mut String, suffix: &str) {
    s.push_str(suffix);
}

pub async fn changed_through_mut_ref(Path(mut name): Path<String>, Query(q): Query<Req>) {
    let ok = plain(&name);
    add_suffix(&mut name, &q.file);
    if !ok {
        return;
    }
    let _ = std::fs::read(std::path::Path::new(ROOT).join(&name)); //~ path-traversal
}

pub async fn changed_with_add_assign(Path(mut name): Path<String>, Query(q): Query<Req>) {
    let ok = plain(&name);
    name += &q.file;
    if !ok {
        return;
    }
    let _ = std::fs::read(std::path::Path::new(ROOT).join(&name)); //~ path-traversal
}

// Components accepted whatever they are.
fn any_component(name: &str) -> bool {
    std::path::Path::new(name).components().all(|c| match c {
        Component::Normal(_) => true,
        _ => true,
    })
}

pub async fn components_all_accepted(Path(name): Path<String>) {
    if !any_component(&name) {
        return;
    }
    let _ = std::fs::read(std::path::Path::new(ROOT).join(&name)); //~ path-traversal
}

// `.` components stay where they are.
fn relative_clean(p: &std::path::Path) -> bool {
    p.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

pub async fn normal_or_current_components(Path(name): Path<String>) {
    let rel = std::path::Path::new(&name).join("x");
    if !relative_clean(&rel) {
        return;
    }
    let _ = std::fs::read(std::path::Path::new(ROOT).join(rel));
}

fn with_parent(p: &std::path::Path) -> bool {
    p.components().all(|c| matches!(c, Component::Normal(_) | Component::ParentDir))
}

pub async fn normal_or_parent_components(Path(name): Path<String>) {
    let rel = std::path::Path::new(&name).join("x");
    if !with_parent(&rel) {
        return;
    }
    let _ = std::fs::read(std::path::Path::new(ROOT).join(rel)); //~ path-traversal
}
