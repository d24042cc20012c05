//! Rego rules over verified attestations, evaluated with regorus (the
//! Rego interpreter in Rust), for conditions the built-in ones cannot say.
//!
//! A policy's `rego:` module must be `package tollgate` and define a set
//! `deny` of messages; the artifact is denied when it is not empty. The
//! input holds only verified facts: the subject, its digest, the
//! authorities that signed, and each verified attestation's predicate type
//! and predicate. Evaluation runs under a time limit; a module that fails
//! to evaluate is a deny (fail closed).

//!
//! Bounds, so that no module `policy validate` accepts can take the process
//! down (the worst case is a deny with a reason):
//! * recursion is rejected when the module is checked, as OPA does: a
//!   function that calls itself, directly or through other functions, is a
//!   policy error (rule cycles are caught by regorus at evaluation);
//! * `numbers.range` and `numbers.range_step` are replaced by versions that
//!   refuse more than [`MAX_RANGE`] elements (the built-ins allocate the
//!   whole range up front: `numbers.range(1, 1000000000)` is 24 GB);
//! * `sprintf` formats must be literal strings with widths of at most
//!   [`MAX_WIDTH`] (a width is allocated as padding);
//! * evaluation runs on its own thread with a large stack, under a time
//!   limit, at most [`MAX_CONCURRENT`] at a time; a panic in the
//!   interpreter is caught and becomes an evaluation error;
//! * memory: once the binary calls [`isolate_in`] (the `tollgate` binary
//!   does, for every command), each evaluation runs in a child process
//!   limited to [`MEMORY_LIMIT`] bytes of address space (`RLIMIT_AS`, set
//!   by the child: see [`serve_one`]) and killed at its deadline. A chain
//!   of rules that each double a string or an array, a comprehension over
//!   a comprehension, anything that allocates without bound, ends that
//!   child (an allocation failure aborts it) and is a deny whose reason
//!   says so; the server is untouched. Without [`isolate_in`] (library
//!   users, unit tests) evaluation runs in this process with the other
//!   bounds only.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroU32;
use std::time::Duration;

/// The package a policy's module must declare.
const PACKAGE: &str = "data.tollgate";
/// Most elements a `numbers.range` may produce.
pub const MAX_RANGE: i64 = 10_000;
/// Widest `sprintf` field.
pub const MAX_WIDTH: u64 = 1_000;
/// Evaluation time limit.
pub const TIME_LIMIT: Duration = Duration::from_millis(500);
/// Stack of the evaluation thread.
const STACK_BYTES: usize = 64 << 20;
/// Evaluations at a time (each may use memory until its time limit).
pub const MAX_CONCURRENT: usize = 2;
/// Address space of an evaluation process (`RLIMIT_AS`): the binary's own
/// mappings and the evaluation thread's stack count towards it.
pub const MEMORY_LIMIT: u64 = 384 << 20;
/// How long after [`TIME_LIMIT`] an evaluation process is killed (start-up
/// and parsing the module happen before the interpreter's own timer runs).
const KILL_GRACE: Duration = Duration::from_millis(1_500);
/// The most a child may answer or say on standard error.
const MAX_REPLY: u64 = 16 << 20;
/// How much of the child's standard error is kept: its first and its
/// last this many bytes (the reason quotes its first line, or Rust's last
/// words on a failed allocation).
const KEPT_STDERR: usize = 64 << 10;
/// How long parsing and checking a module may take when a policy is
/// loaded: half of what an evaluation (which parses it again) is given,
/// so that a module accepted under load still leaves its evaluations
/// time to run (red team rt70).
const CHECK_LIMIT: Duration = Duration::from_millis(1_000);
/// Stack of the threads that talk to the child (`RUST_MIN_STACK` does not
/// apply: red team rt70 set it to 100 GB and no thread could start).
const IO_STACK: usize = 256 << 10;

/// The program (and arguments) that evaluates one module in a child
/// process: see [`isolate_in`].
struct Sandbox {
    program: std::path::PathBuf,
    args: Vec<std::ffi::OsString>,
}

static SANDBOX: std::sync::OnceLock<Sandbox> = std::sync::OnceLock::new();

/// Evaluate every module from now on in a child process: `program args`,
/// which must call [`serve_one`] on its standard input and output after
/// limiting its own address space to [`MEMORY_LIMIT`]. Set once; later
/// calls are ignored.
pub fn isolate_in(program: std::path::PathBuf, args: Vec<std::ffi::OsString>) {
    let _ = SANDBOX.set(Sandbox { program, args });
}

/// What a parent sends the evaluation process.
#[derive(serde::Serialize, serde::Deserialize)]
struct Request<'a> {
    #[serde(borrow)]
    source: std::borrow::Cow<'a, str>,
    input: Value,
    /// Only parse and check the module ([`check`]): the parser is
    /// exponential in the nesting of `[` and `{` (24 levels take minutes)
    /// and recursive (deep enough nesting overflows its stack), so a
    /// module is parsed in the limited process too.
    #[serde(default)]
    check: bool,
}

/// What the evaluation process answers.
#[derive(serde::Serialize, serde::Deserialize)]
enum Reply {
    Deny(Vec<String>),
    Error(String),
}

/// Why a module is refused, or an evaluation produced no answer (which
/// the gate treats as a deny).
#[derive(Debug, thiserror::Error)]
pub enum RegoError {
    /// The interpreter refused the module, the input or the evaluation.
    #[error("{0}")]
    Engine(anyhow::Error),
    /// A module of another package.
    #[error("the module must be `package tollgate` (it is `{0}`)")]
    Package(String),
    /// The interpreter's syntax tree is not the JSON expected.
    #[error("{0}")]
    Ast(serde_json::Error),
    /// A `sprintf` width written with non-ASCII digits.
    #[error("sprintf: width digit `{0}` is not ASCII")]
    WidthNotAscii(char),
    /// A `sprintf` format that is not a literal.
    #[error("sprintf: the format must be a literal string")]
    FormatNotLiteral,
    /// A `sprintf` width over [`MAX_WIDTH`].
    #[error(
        "sprintf: width {width} in `{format}` exceeds the limit of {}",
        MAX_WIDTH
    )]
    WidthTooLarge {
        /// The width.
        width: u64,
        /// The format it is in.
        format: String,
    },
    /// Functions that call themselves, directly or not.
    #[error("recursion is not allowed: {}", .0.join(" -> "))]
    Recursion(Vec<String>),
    /// The slot counter's lock was poisoned.
    #[error("evaluation slots poisoned")]
    SlotsPoisoned,
    /// The request to the evaluation process could not be encoded.
    #[error("cannot encode the evaluation request: {0}")]
    EncodeRequest(serde_json::Error),
    /// The evaluation process could not be started.
    #[error("cannot start the evaluation process: {0}")]
    Spawn(std::io::Error),
    /// The evaluation process came without pipes.
    #[error("the evaluation process has no pipes")]
    NoPipes,
    /// The thread reading the evaluation process could not be started.
    #[error("cannot start the evaluation reader: {0}")]
    Reader(std::io::Error),
    /// The evaluation process could not be waited for.
    #[error("cannot wait for the evaluation process: {0}")]
    Wait(std::io::Error),
    /// The evaluation ran past [`TIME_LIMIT`].
    #[error("the evaluation took longer than its time limit ({} ms) and was stopped", TIME_LIMIT.as_millis())]
    TimeLimit,
    /// Parsing and checking the module ran past the time limit.
    #[error("checking the module took longer than {} ms and was stopped (the Rego parser slows down exponentially with nested `[` and `{{`: nest less deeply)", CHECK_LIMIT.as_millis())]
    CheckTimeLimit,
    /// The evaluation process's own error, as it reported it.
    #[error("{0}")]
    Child(String),
    /// The evaluation process's reply is not a reply.
    #[error("the evaluation process answered nonsense: {0}")]
    Nonsense(serde_json::Error),
    /// The evaluation process ran out of memory ([`MEMORY_LIMIT`]).
    #[error("the evaluation ran out of memory (limit {} MiB) and was stopped: {said}", MEMORY_LIMIT >> 20)]
    OutOfMemory {
        /// The first line it wrote to standard error.
        said: String,
    },
    /// The evaluation process ended otherwise (`how`), silently or saying something.
    #[error("the evaluation process was {how}{}", if said.is_empty() { String::new() } else { format!(": {said}") })]
    Stopped {
        /// How it ended.
        how: String,
        /// The first line it wrote to standard error, if any.
        said: String,
    },
    /// The evaluation thread could not be started.
    #[error("cannot start the evaluation thread: {0}")]
    Thread(std::io::Error),
    /// The interpreter panicked.
    #[error("the Rego interpreter failed (panic) on this module")]
    Panic,
    /// `deny` is not a set.
    #[error("`deny` must be a set of messages (`deny contains msg if {{ ... }}`)")]
    DenyNotASet,
}

/// Why the evaluation process could not be served.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Standard input could not be read.
    #[error("cannot read the evaluation request: {0}")]
    Read(std::io::Error),
    /// The request is not one.
    #[error("the evaluation request is not valid: {0}")]
    Request(serde_json::Error),
    /// Standard output could not be written.
    #[error("cannot write the evaluation reply: {0}")]
    Write(std::io::Error),
}

/// The evaluation process's side: read one request, evaluate it in this
/// process (the caller has limited its memory), write the reply.
pub fn serve_one(
    mut from: impl std::io::Read,
    mut to: impl std::io::Write,
) -> Result<(), ServeError> {
    let mut body = Vec::new();
    from.read_to_end(&mut body).map_err(ServeError::Read)?;
    let request: Request = serde_json::from_slice(&body).map_err(ServeError::Request)?;
    let answer = if request.check {
        check_in_thread(&request.source).map(|()| Vec::new())
    } else {
        deny_in_thread(&request.source, &request.input)
    };
    let reply = match answer {
        Ok(messages) => Reply::Deny(messages),
        Err(e) => Reply::Error(e.to_string()),
    };
    let bytes = serde_json::to_vec(&reply).map_err(|e| ServeError::Write(e.into()))?;
    to.write_all(&bytes).map_err(ServeError::Write)?;
    to.flush().map_err(ServeError::Write)
}

fn range_extension(step: bool) -> Box<dyn regorus::Extension> {
    let name = if step {
        "numbers.range_step"
    } else {
        "numbers.range"
    };
    Box::new(move |args: Vec<regorus::Value>| {
        let int = |v: &regorus::Value| v.as_i64().ok();
        let (Some(a), Some(b)) = (args.first().and_then(int), args.get(1).and_then(int)) else {
            anyhow::bail!("{name}: operands must be integers");
        };
        let s = if step {
            match args.get(2).and_then(int) {
                Some(s) if s > 0 => s,
                _ => anyhow::bail!("{name}: step must be a positive integer"),
            }
        } else {
            1
        };
        let count = (i128::from(b) - i128::from(a)).abs() / i128::from(s) + 1;
        if count > i128::from(MAX_RANGE) {
            anyhow::bail!("{name}: {count} elements exceed the limit of {MAX_RANGE}");
        }
        let dir = if b >= a { s } else { -s };
        let mut out = Vec::new();
        let mut v = a;
        loop {
            if (dir > 0 && v > b) || (dir < 0 && v < b) {
                break;
            }
            out.push(regorus::Value::from(v));
            match v.checked_add(dir) {
                Some(n) => v = n,
                None => break,
            }
        }
        Ok(regorus::Value::from(out))
    })
}

fn engine(source: &str) -> Result<regorus::Engine, RegoError> {
    let mut engine = regorus::Engine::new();
    if let Some(check_interval) = NonZeroU32::new(100) {
        engine.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
            limit: TIME_LIMIT,
            check_interval,
        });
    }
    for (path, nargs, step) in [("numbers.range", 2, false), ("numbers.range_step", 3, true)] {
        engine
            .add_extension(path.into(), nargs, range_extension(step))
            .map_err(RegoError::Engine)?;
    }
    let package = engine
        .add_policy("policy.rego".into(), source.into())
        .map_err(RegoError::Engine)?;
    if package != PACKAGE {
        return Err(RegoError::Package(
            package.trim_start_matches("data.").to_string(),
        ));
    }
    let ast = engine.get_ast_as_json().map_err(RegoError::Engine)?;
    let ast: Value = serde_json::from_str(&ast).map_err(RegoError::Ast)?;
    static_checks(&ast)?;
    Ok(engine)
}

/// The dotted path of a reference (`f`, `data.tollgate.f`, `numbers.range`).
fn path_of(r: &Value) -> Option<String> {
    if let Some(v) = r.pointer("/Var/value").and_then(Value::as_str) {
        return Some(v.to_string());
    }
    let dot = r.get("RefDot")?;
    let field = dot["field"].as_array()?.get(1)?.as_str()?;
    Some(format!("{}.{field}", path_of(&dot["refr"])?))
}

fn short_name(path: &str) -> &str {
    path.strip_prefix("data.tollgate.").unwrap_or(path)
}

/// Every name referenced in a subtree (variables and dotted references).
fn names_in(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            if let Some(p) = path_of(v) {
                out.insert(short_name(&p).to_string());
            }
            for x in map.values() {
                names_in(x, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|x| names_in(x, out)),
        _ => {}
    }
}

/// Every call in a subtree: (function path, parameters).
fn calls_in<'a>(v: &'a Value, out: &mut Vec<(String, &'a Value)>) {
    match v {
        Value::Object(map) => {
            if let Some(call) = map.get("Call") {
                if let Some(p) = path_of(&call["fcn"]) {
                    out.push((short_name(&p).to_string(), &call["params"]));
                }
            }
            for x in map.values() {
                calls_in(x, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|x| calls_in(x, out)),
        _ => {}
    }
}

/// The widths in a `sprintf` format, if every one is plain ASCII digits.
fn format_widths(format: &str) -> Result<Vec<u64>, RegoError> {
    let mut widths = Vec::new();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            continue;
        }
        let mut digits = String::new();
        while let Some(&d) = chars.peek() {
            if d == '.' || d.is_numeric() {
                if !(d == '.' || d.is_ascii_digit()) {
                    return Err(RegoError::WidthNotAscii(d));
                }
                digits.push(d);
                chars.next();
            } else {
                break;
            }
        }
        chars.next();
        for part in digits.split('.').filter(|p| !p.is_empty()) {
            widths.push(part.parse::<u64>().unwrap_or(u64::MAX));
        }
    }
    Ok(widths)
}

/// Reject recursion and unbounded formats before anything runs.
fn static_checks(ast: &Value) -> Result<(), RegoError> {
    let rules: Vec<&Value> = ast
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|m| {
            m.pointer("/ast/rules")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .collect();
    // Function name -> names its definitions reference.
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for rule in &rules {
        let Some(spec) = rule.get("Spec") else {
            continue;
        };
        if let Some(func) = spec.pointer("/head/Func") {
            if let Some(name) = path_of(&func["refr"]) {
                let mut refs = BTreeSet::new();
                names_in(&spec["bodies"], &mut refs);
                names_in(&func["assign"], &mut refs);
                graph
                    .entry(short_name(&name).to_string())
                    .or_default()
                    .extend(refs);
            }
        }
        let mut calls = Vec::new();
        calls_in(spec, &mut calls);
        for (name, params) in calls {
            if name != "sprintf" {
                continue;
            }
            let Some(format) = params
                .get(0)
                .and_then(|p| p.pointer("/String/value"))
                .and_then(Value::as_str)
            else {
                return Err(RegoError::FormatNotLiteral);
            };
            if let Some(w) = format_widths(format)?.into_iter().find(|w| *w > MAX_WIDTH) {
                return Err(RegoError::WidthTooLarge {
                    width: w,
                    format: format.to_string(),
                });
            }
        }
    }
    // A cycle among functions: depth-first search from each one.
    let functions: BTreeSet<String> = graph.keys().cloned().collect();
    for start in &functions {
        let mut stack: Vec<(String, Vec<String>)> = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((f, trail)) = stack.pop() {
            for next in graph.get(&f).into_iter().flatten() {
                if !functions.contains(next) {
                    continue;
                }
                if next == start {
                    let mut cycle = trail.clone();
                    cycle.push(next.clone());
                    return Err(RegoError::Recursion(cycle));
                }
                if seen.insert(next.clone()) {
                    let mut t = trail.clone();
                    t.push(next.clone());
                    stack.push((next.clone(), t));
                }
            }
        }
    }
    Ok(())
}

/// Parse the module; the error says what is wrong. In the limited
/// evaluation process once [`isolate_in`] was called (a module that makes
/// the parser run past the time limit or out of stack is an error, the
/// caller untouched), else on a thread with a large stack.
pub fn check(source: &str) -> Result<(), RegoError> {
    match SANDBOX.get() {
        Some(sandbox) => {
            let _slot = Slot::take()?;
            match in_child(sandbox, source, &Value::Null, true, CHECK_LIMIT) {
                Ok(_) => Ok(()),
                Err(RegoError::TimeLimit) => Err(RegoError::CheckTimeLimit),
                Err(e) => Err(e),
            }
        }
        None => check_in_thread(source),
    }
}

fn check_in_thread(source: &str) -> Result<(), RegoError> {
    let source = source.to_string();
    let worker = std::thread::Builder::new()
        .name("tollgate-rego".into())
        .stack_size(STACK_BYTES)
        .spawn(move || engine(&source).map(|_| ()))
        .map_err(RegoError::Thread)?;
    match worker.join() {
        Ok(result) => result,
        Err(_) => Err(RegoError::Panic),
    }
}

/// Evaluation slots (a counting semaphore).
fn slots() -> &'static (std::sync::Mutex<usize>, std::sync::Condvar) {
    static SLOTS: std::sync::OnceLock<(std::sync::Mutex<usize>, std::sync::Condvar)> =
        std::sync::OnceLock::new();
    SLOTS.get_or_init(|| (std::sync::Mutex::new(0), std::sync::Condvar::new()))
}

struct Slot;

impl Slot {
    fn take() -> Result<Slot, RegoError> {
        let (lock, cv) = slots();
        let mut n = lock.lock().map_err(|_| RegoError::SlotsPoisoned)?;
        while *n >= MAX_CONCURRENT {
            n = cv.wait(n).map_err(|_| RegoError::SlotsPoisoned)?;
        }
        *n += 1;
        Ok(Slot)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let (lock, cv) = slots();
        if let Ok(mut n) = lock.lock() {
            *n = n.saturating_sub(1);
        }
        cv.notify_one();
    }
}

/// The `deny` messages for `input`, sorted. Runs in a child process (see
/// [`isolate_in`]) or on a dedicated thread, with a large stack and the
/// bounds above; any failure is an error.
pub fn deny(source: &str, input: &Value) -> Result<Vec<String>, RegoError> {
    let _slot = Slot::take()?;
    let messages = match SANDBOX.get() {
        Some(sandbox) => in_child(sandbox, source, input, false, TIME_LIMIT + KILL_GRACE),
        None => deny_in_thread(source, input),
    }?;
    Ok(bounded(messages))
}

/// Most deny messages kept for an answer (the rest are counted).
const MAX_MESSAGES: usize = 16;
/// Most bytes kept of one deny message.
const MAX_MESSAGE_BYTES: usize = 512;

/// A module's deny messages, bounded in number and length, so that one
/// module cannot make every AdmissionReview answer and decision-log record
/// megabytes long (red team rt55: 10 MB per review). Still a deny: the
/// list stays non-empty.
fn bounded(mut messages: Vec<String>) -> Vec<String> {
    let more = messages.len().saturating_sub(MAX_MESSAGES);
    messages.truncate(MAX_MESSAGES);
    for m in &mut messages {
        if m.len() > MAX_MESSAGE_BYTES {
            let mut cut = MAX_MESSAGE_BYTES;
            while !m.is_char_boundary(cut) {
                cut -= 1;
            }
            let dropped = m.len() - cut;
            m.truncate(cut);
            m.push_str(&format!("… ({dropped} more bytes)"));
        }
    }
    if more > 0 {
        messages.push(format!("… and {more} more deny messages"));
    }
    messages
}

/// Evaluate (or, `check`, only parse and check) in a limited process.
fn in_child(
    sandbox: &Sandbox,
    source: &str,
    input: &Value,
    check: bool,
    deadline: Duration,
) -> Result<Vec<String>, RegoError> {
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};
    let request = serde_json::to_vec(&Request {
        source: source.into(),
        input: input.clone(),
        check,
    })
    .map_err(RegoError::EncodeRequest)?;
    let mut command = Command::new(&sandbox.program);
    // mimalloc's own settings from this process's environment do not
    // reach the child (red team rt69: `MIMALLOC_RESERVE_OS_MEMORY=1GiB`
    // reserved its whole `RLIMIT_AS` before the limit was set, and every
    // evaluation was denied); mimalloc reads them case-insensitively.
    for (name, _) in std::env::vars_os() {
        if name
            .to_string_lossy()
            .to_ascii_uppercase()
            .starts_with("MIMALLOC_")
        {
            command.env_remove(name);
        }
    }
    let mut child = command
        .args(&sandbox.args)
        // The reason quotes the child's last words: no backtrace in them.
        .env("RUST_BACKTRACE", "0")
        // The binary's allocator (mimalloc) reserves 1 GiB of address
        // space at a time by default, more than the evaluation's whole
        // `RLIMIT_AS`: 4 MiB at a time keeps the limit about real memory.
        .env("MIMALLOC_ARENA_RESERVE", "4096")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(RegoError::Spawn)?;
    let (Some(mut stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(RegoError::NoPipes);
    };
    // The request is written and both output streams are read on their
    // own threads, all under the deadline (red team rt69: a stopped child
    // held the write past it, and a module printing over 64 KiB to
    // standard error blocked while only standard output was read). The
    // child exits once it has answered, which ends both of its streams; a
    // child killed at the deadline ends them too.
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::Builder::new()
        .name("tollgate-rego-io".into())
        .stack_size(IO_STACK)
        .spawn(move || {
            let errors = std::thread::Builder::new()
                .name("tollgate-rego-err".into())
                .stack_size(IO_STACK)
                .spawn(move || {
                    // All of it read (the child never blocks), its head and
                    // tail kept.
                    let mut stderr = stderr;
                    let mut head: Vec<u8> = Vec::new();
                    let mut tail: std::collections::VecDeque<u8> = Default::default();
                    let mut buf = [0u8; 8192];
                    let read = loop {
                        match stderr.read(&mut buf) {
                            Ok(0) => break Ok(0),
                            Ok(n) => {
                                let chunk = &buf[..n];
                                let room = KEPT_STDERR.saturating_sub(head.len());
                                head.extend_from_slice(&chunk[..room.min(n)]);
                                tail.extend(&chunk[room.min(n)..]);
                                if tail.len() > KEPT_STDERR {
                                    tail.drain(..tail.len() - KEPT_STDERR);
                                }
                            }
                            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                            Err(e) => break Err(e),
                        }
                    };
                    if !tail.is_empty() {
                        head.push(b'\n');
                        head.extend(tail);
                    }
                    (read.map(|_| 0usize), head)
                });
            // A child that died before reading closes its input: its
            // status says why.
            let _ = stdin.write_all(&request);
            drop(stdin);
            let mut out = Vec::new();
            let a = stdout.take(MAX_REPLY).read_to_end(&mut out);
            let (b, err) = match errors {
                Ok(handle) => handle
                    .join()
                    .unwrap_or_else(|_| (Err(std::io::Error::other("stderr reader")), Vec::new())),
                Err(e) => (Err(e), Vec::new()),
            };
            let _ = tx.send((a.and(b), out, err));
        });
    let reader = match reader {
        Ok(r) => r,
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(RegoError::Reader(e));
        }
    };
    let received = rx.recv_timeout(deadline);
    if received.is_err() {
        let _ = child.kill();
    }
    let status = child.wait().map_err(RegoError::Wait)?;
    let _ = reader.join();
    let Ok((read, out, err)) = received else {
        return Err(RegoError::TimeLimit);
    };
    if status.success() && read.is_ok() {
        return match serde_json::from_slice::<Reply>(&out) {
            Ok(Reply::Deny(messages)) => Ok(messages),
            Ok(Reply::Error(e)) => Err(RegoError::Child(e)),
            Err(e) => Err(RegoError::Nonsense(e)),
        };
    }
    let said = String::from_utf8_lossy(&err);
    let line = |l: &str| -> String { l.chars().take(300).collect() };
    // Rust's own last words on a failed allocation, wherever they are
    // (red team rt69: a module's `print` output or the allocator's
    // messages came first).
    if let Some(oom) = said
        .lines()
        .rev()
        .find(|l| l.starts_with("memory allocation of") || l.contains("out of memory"))
    {
        return Err(RegoError::OutOfMemory { said: line(oom) });
    }
    // Otherwise its first line (a panic).
    let said = line(said.trim().lines().next().unwrap_or(""));
    let limit = MEMORY_LIMIT >> 20;
    let how = {
        use std::os::unix::process::ExitStatusExt;
        match status.signal() {
            Some(9) => format!("killed (signal 9; memory limit {limit} MiB or CPU limit)"),
            Some(24) => "stopped at its CPU limit (signal 24)".to_string(),
            Some(n) => format!("killed by signal {n}"),
            None => format!("stopped ({status})"),
        }
    };
    Err(RegoError::Stopped { how, said })
}

fn deny_in_thread(source: &str, input: &Value) -> Result<Vec<String>, RegoError> {
    let source = source.to_string();
    let input = input.to_string();
    let worker = std::thread::Builder::new()
        .name("tollgate-rego".into())
        .stack_size(STACK_BYTES)
        .spawn(move || deny_here(&source, &input))
        .map_err(RegoError::Thread)?;
    match worker.join() {
        Ok(result) => result,
        Err(_) => Err(RegoError::Panic),
    }
}

fn deny_here(source: &str, input: &str) -> Result<Vec<String>, RegoError> {
    let mut engine = engine(source)?;
    let input = regorus::Value::from_json_str(input).map_err(RegoError::Engine)?;
    engine.set_input(input);
    let result = engine
        .eval_rule(format!("{PACKAGE}.deny"))
        .map_err(RegoError::Engine)?;
    if result == regorus::Value::Undefined {
        return Ok(Vec::new());
    }
    let set = result.as_set().map_err(|_| RegoError::DenyNotASet)?;
    let mut messages: Vec<String> = set
        .iter()
        .map(|v| match v.as_string() {
            Ok(s) => s.to_string(),
            Err(_) => v.to_json_str().unwrap_or_default(),
        })
        .collect();
    messages.sort();
    Ok(messages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const MODULE: &str = r#"package tollgate

deny contains msg if {
    some a in input.attestations
    a.predicateType == "https://cyclonedx.org/bom"
    some c in a.predicate.components
    startswith(c.name, "openssl")
    msg := sprintf("crate %s is not allowed", [c.name])
}
"#;

    #[test]
    fn deny_messages_are_bounded() {
        let many: Vec<String> = (0..100).map(|i| format!("{i:0>2000}")).collect();
        let out = bounded(many);
        assert_eq!(out.len(), MAX_MESSAGES + 1);
        assert!(out.iter().all(|m| m.len() < MAX_MESSAGE_BYTES + 40));
        assert_eq!(out.last().unwrap(), "… and 84 more deny messages");
        assert_eq!(
            bounded(vec!["é".repeat(400)])[0]
                .chars()
                .filter(|c| *c == 'é')
                .count(),
            256
        );
        assert_eq!(bounded(vec!["short".into()]), ["short"]);
    }

    #[test]
    fn deny_messages_come_from_the_input() {
        let input = json!({"attestations": [{"predicateType": "https://cyclonedx.org/bom",
            "predicate": {"components": [{"name": "openssl-sys"}, {"name": "serde"}]}}]});
        assert_eq!(
            deny(MODULE, &input).unwrap(),
            ["crate openssl-sys is not allowed"]
        );
        assert!(deny(MODULE, &json!({"attestations": []}))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn bad_modules_are_errors() {
        assert!(check("package other\ndeny contains 1 if { true }\n")
            .unwrap_err()
            .to_string()
            .contains("package tollgate"));
        assert!(check("package tollgate\ndeny contains if {").is_err());
        let not_a_set = "package tollgate\ndeny := 1\n";
        assert!(deny(not_a_set, &json!({}))
            .unwrap_err()
            .to_string()
            .contains("set"));
    }

    #[test]
    fn recursion_is_a_policy_error() {
        let direct =
            "package tollgate\nf(x) := y if { y := f(x) }\ndeny contains msg if { msg := f(1) }\n";
        let e = check(direct).unwrap_err().to_string();
        assert!(e.contains("recursion is not allowed: f -> f"), "{e}");
        let mutual = "package tollgate\nf(x) := y if { y := g(x) }\ng(x) := y if { y := data.tollgate.f(x) }\ndeny contains msg if { msg := f(1) }\n";
        let e = check(mutual).unwrap_err().to_string();
        assert!(e.contains("recursion is not allowed"), "{e}");
        // Functions calling other functions are fine.
        check("package tollgate\ng(x) := x + 1\nf(x) := g(g(x))\ndeny contains msg if { f(1) > 5; msg := \"x\" }\n").unwrap();
        // Rule cycles are caught by the interpreter: a deny, not a crash.
        let rules = "package tollgate\na := b\nb := a\ndeny contains msg if { a; msg := \"x\" }\n";
        assert!(deny(rules, &json!({})).is_err());
    }

    #[test]
    fn huge_ranges_and_widths_are_denied_not_allocated() {
        let range = "package tollgate\ndeny contains msg if { count(numbers.range(1, 1000000000)) > 0; msg := \"big\" }\n";
        check(range).unwrap();
        let e = deny(range, &json!({})).unwrap_err().to_string();
        assert!(e.contains("exceed the limit"), "{e}");
        let step = "package tollgate\ndeny contains msg if { count(numbers.range_step(1, 1000000000, 1)) > 0; msg := \"big\" }\n";
        assert!(deny(step, &json!({}))
            .unwrap_err()
            .to_string()
            .contains("exceed the limit"));
        let small = "package tollgate\ndeny contains msg if { numbers.range(3, 1) == [3, 2, 1]; numbers.range_step(0, 10, 5) == [0, 5, 10]; msg := \"ok\" }\n";
        assert_eq!(deny(small, &json!({})).unwrap(), ["ok"]);
        let width =
            "package tollgate\ndeny contains msg if { msg := sprintf(\"%4000000000d\", [1]) }\n";
        assert!(check(width).unwrap_err().to_string().contains("width"));
        let dynamic = "package tollgate\ndeny contains msg if { msg := sprintf(input.f, [1]) }\n";
        assert!(check(dynamic).unwrap_err().to_string().contains("literal"));
    }

    #[test]
    fn the_evaluation_process_protocol_round_trips() {
        // What `tollgate __rego-eval` runs (after limiting its memory); the
        // child side end to end is in tests/admission_faults.rs.
        let request = serde_json::to_vec(&json!({"source": MODULE, "input": {"attestations": [
            {"predicateType": "https://cyclonedx.org/bom", "predicate": {"components": [{"name": "openssl"}]}}]}}))
        .unwrap();
        let mut out = Vec::new();
        serve_one(&request[..], &mut out).unwrap();
        assert!(matches!(serde_json::from_slice(&out).unwrap(),
            Reply::Deny(m) if m == ["crate openssl is not allowed"]));
        let mut out = Vec::new();
        serve_one(
            &b"{\"source\": \"package other\", \"input\": {}}"[..],
            &mut out,
        )
        .unwrap();
        assert!(
            matches!(serde_json::from_slice(&out).unwrap(), Reply::Error(e) if e.contains("package tollgate"))
        );
        assert!(matches!(
            serve_one(&b"nonsense"[..], &mut Vec::new()),
            Err(ServeError::Request(_))
        ));
    }

    #[test]
    fn runaway_evaluation_is_stopped_by_the_time_limit() {
        let slow = "package tollgate\nxs := numbers.range(1, 10000)\ndeny contains msg if { some a in xs; some b in xs; some c in xs; a + b + c < 0; msg := \"never\" }\n";
        let started = std::time::Instant::now();
        let e = deny(slow, &json!({})).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(10), "{e}");
    }
}
