//! The engine: one file's analysis: a single walk over the syntax tree that tracks taint
//! within each function (in statement order) and runs every rule at the node
//! it concerns, so each node is visited once.

mod calls;
mod eval;
mod macro_calls;
pub(crate) mod summary;

use crate::imports::Imports;
pub(crate) use crate::macros::{self, ArgRef, Render};
use crate::patterns::*;
use crate::rules::id;
use crate::taint::{self, Taint, ALLOC, EXACT, INJECTION, LOG, PATH};
use crate::{HashMap, HashSet};
use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{Expr, Pat, Stmt};

/// A finding before suppression and reporting: 1-based lines, 1-based columns.
#[derive(Debug, Clone)]
pub struct RawFinding {
    pub rule: &'static str,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub message: String,
    /// First line of the innermost statement containing the finding, so a
    /// suppression above a statement covers it however rustfmt wraps it.
    pub stmt_line: usize,
    /// The tainted value came only from a local source (argv, environment,
    /// stdin, files), which the operator controls: reported one severity
    /// level lower than input from the network.
    pub local_source: bool,
    /// For a flow across functions: the steps from source to sink
    /// (line, description, file when not this file).
    pub flow: Vec<summary::Step>,
    /// The file the finding is in when it is not the file being analysed
    /// (a sink inside a function of another file).
    pub file: Option<String>,
    /// The place (line, column) of this file's finding that this one
    /// reports again at a later point of the same bug (a literal key's
    /// `hardcoded-secret`, a helper's dangling return): that one is
    /// dropped when this one is kept (`drop_covered`).
    pub covers: Option<(usize, usize)>,
    /// The less severe rules this finding stands for too, in order (a
    /// cookie without `Secure` and `HttpOnly` is one `insecure-cookie`
    /// finding): each takes its place when the rules before it are
    /// disabled or suppressed there, so a suppression of one rule never
    /// hides another's bug (red team rt79).
    pub also: &'static [&'static str],
}

/// A place in the file: line and column, from 1.
pub(crate) type Place = (usize, usize);

impl RawFinding {
    /// This finding reports again, at a use, the bug another finding of
    /// this file reports where it is made (`made`, line and column): cover
    /// that place (`covers`), with a two-step flow from it when the two
    /// are on different lines.
    pub(crate) fn cover(&mut self, made: Place, made_what: &str, used_what: &str) {
        self.covers = Some(made);
        if made.0 != self.line {
            self.flow = vec![
                (made.0, made_what.to_string(), None),
                (self.line, used_what.to_string(), None),
            ];
        }
    }
}

/// Where a tainted value came from, for messages.
pub(crate) struct Source {
    pub(crate) what: String,
    pub(crate) line: usize,
}

/// What the analysis knows about a local variable.
#[derive(Clone, Default)]
pub(crate) struct Var {
    pub(crate) taint: Taint,
    /// Resolved type path, when known (`std::process::Command`).
    pub(crate) ty: Option<String>,
    /// A `Command` that runs a shell.
    pub(crate) shell: bool,
    /// Produced by `canonicalize()`.
    pub(crate) canonical: bool,
    /// The command-line argument vector (`env::args().collect()`).
    pub(crate) argv: bool,
    /// A `Vec` with reserved but unwritten capacity (`with_capacity`,
    /// `reserve`) and nothing done to it since.
    pub(crate) fresh_capacity: bool,
    /// Initialised from bytes written in the source and not written since
    /// (key material held in a variable).
    pub(crate) literal: bool,
    /// Where those bytes are written (the literal a `let` or assignment
    /// gave it, or the variable it was read from): `hardcoded-crypto-key`
    /// reports there, as CodeQL's hard-coded-cryptographic-value does.
    pub(crate) literal_at: Option<Place>,
    /// Filled by a random number generator (`rng.fill(&mut buf)`,
    /// `getrandom::fill(&mut buf)`) and written by nothing else since: a
    /// number decoded from it is not input.
    pub(crate) random: bool,
    /// A closure bound to this name (`let run = |q| conn.execute(q, [])`):
    /// a call `run(x)` evaluates its body with its parameters bound to the
    /// arguments' taints.
    pub(crate) closure: Option<std::rc::Rc<syn::ExprClosure>>,
    /// Holds a secret or text built from one (`format!("pw={password}")`):
    /// the secret's name, for `cleartext-logging`/`cleartext-storage`.
    pub(crate) secret: Option<String>,
    /// Bound to a header value built here (text, or a `HeaderValue` made
    /// from text): `sensitive-header-not-marked` reports it when inserted
    /// as `Authorization` unmarked.
    pub(crate) header_built: bool,
    /// A parameter of the function (not a `let`).
    pub(crate) param: bool,
    /// Bound by `let` to the literal `false`.
    pub(crate) lit_false: bool,
    /// Bound to a list (`vec![..]`, `[..]`) with an element that is not a
    /// literal: a membership test against it does not bound the value.
    pub(crate) dynamic_list: bool,
    /// A `bool` bound to a check (`let clean = p.components().all(..)`):
    /// the variables it validates, and whether it holds its guard when
    /// false (a rejection test), as `FileAnalyzer::guards` gives them;
    /// `if clean { .. }` is then that check.
    pub(crate) guards: Option<std::rc::Rc<HeldGuards>>,
    /// When this binding was made or last changed ([`FnCx::changed`]): a
    /// check held in a local covers a variable only as it was then.
    pub(crate) generation: u32,
    /// Bound to a URL's host (`let host = url.host_str()?`): the URL's
    /// variable and its [`Var::generation`] then, whose destination an
    /// allow-list check of this one fixes while the URL is unchanged.
    pub(crate) host_of: Option<(String, u32)>,
    /// Fields of this variable a check bounded (`if hdr.len > MAX {
    /// return }`: `len`; `self.hdr.len` of `self`: `hdr.len`), with the
    /// kinds it ruled out: the check says nothing of the other fields
    /// (`hdr.count` of a header whose `magic` was compared).
    pub(crate) checked_fields: Vec<(String, u16)>,
}

/// What a `bool` local's check validates ([`Var::guards`]): the variables
/// and kinds, whether it holds when false, and each variable's
/// [`Var::generation`] when checked.
pub(crate) type HeldGuards = (Vec<(String, u16)>, bool, Vec<u32>);

/// Line, column, kind, and whether the source is local.
pub(crate) type FlowPlace = (usize, usize, u16, bool);

/// A unit's flows through summaries: how many it has reported, the
/// places it remembers (by file: line, column, kind, local source), and
/// its dropped-findings count when they were remembered (a place whose
/// finding a compaction dropped must be reported again).
#[derive(Default)]
pub(crate) struct UnitFlows {
    pub(crate) count: usize,
    pub(crate) seen: HashMap<Option<String>, HashSet<FlowPlace>>,
    pub(crate) dropped_at: usize,
}

/// Flows through summaries a unit reports before it remembers their
/// places (below this, every call's flow is kept, and the final
/// de-duplication chooses among them as it always has).
pub(crate) const SUMMARY_FLOWS_UNTRACKED: usize = 256;

/// Findings held before [`FileAnalyzer::compact_findings`] runs, and the
/// most one unit (function) adds.
const COMPACT_FINDINGS_AT: usize = 4 * crate::limits::MAX_FINDINGS_PER_FILE;

/// Findings dropped at a cap: how many, the first line of one in this
/// file, and the most severe. The file's `analysis-limit` note carries
/// that severity, so a gate failing on `critical` fails when a critical
/// finding was dropped (red team rt51: 5,000 findings suppressed in
/// another file pushed out a real one, and the scan passed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dropped {
    /// How many.
    pub count: usize,
    /// The first line of one in this file (`usize::MAX`: none).
    pub first_line: usize,
    /// The most severe.
    pub worst: Option<crate::rules::Severity>,
}

impl Default for Dropped {
    fn default() -> Self {
        Dropped {
            count: 0,
            first_line: usize::MAX,
            worst: None,
        }
    }
}

impl Dropped {
    /// Count one finding: at `line` when it is in this file.
    pub(crate) fn add(&mut self, line: Option<usize>, severity: crate::rules::Severity) {
        self.count += 1;
        if let Some(line) = line {
            self.first_line = self.first_line.min(line);
        }
        self.worst = self.worst.max(Some(severity));
    }

    /// Count another's findings too.
    pub(crate) fn merge(&mut self, other: Dropped) {
        self.count += other.count;
        self.first_line = self.first_line.min(other.first_line);
        self.worst = self.worst.max(other.worst);
    }
}

/// `findings.push(finding)`, unless the unit that began at `unit_start`
/// already added `COMPACT_FINDINGS_AT`: then counted in `dropped` (and
/// its line), and `false`.
pub(crate) fn push_capped(
    findings: &mut Vec<RawFinding>,
    unit_start: usize,
    dropped: &mut Dropped,
    finding: RawFinding,
) -> bool {
    let start = unit_start.min(findings.len());
    if findings.len() - start >= COMPACT_FINDINGS_AT {
        // The unit's own findings only (no index into them is held while
        // it runs): duplicates of one place go first (a function calling
        // a summarised one a thousand times repeats its sinks; red team
        // rt47), then the least severe, counted.
        let mut kept = findings.split_off(start);
        rank_and_dedup(&mut kept);
        let room = COMPACT_FINDINGS_AT / 2;
        if kept.len() > room {
            for f in kept.drain(room..) {
                if let Some(severity) = severity_of(&f) {
                    dropped.add(f.file.is_none().then_some(f.line), severity);
                }
            }
        }
        findings.extend(kept);
    }
    findings.push(finding);
    true
}

/// Most severe first (then by file, this one's first, and place), one
/// finding per place and rule: the order in which capped findings are
/// kept. Whatever is dropped is counted, with its severity, in this
/// file's note (another file's findings are not ranked first: red team
/// rt51 made 5,000 of them, suppressed in that file, push out a real
/// one here).
fn rank_and_dedup(findings: &mut Vec<RawFinding>) {
    findings.sort_by(|a, b| {
        (severity_of(b), &a.file, a.line, a.column, a.rule).cmp(&(
            severity_of(a),
            &b.file,
            b.line,
            b.column,
            b.rule,
        ))
    });
    findings.dedup_by(|a, b| {
        a.line == b.line && a.column == b.column && a.rule == b.rule && a.file == b.file
    });
}

/// A finding's severity for ranking: its rule's (as configured), one
/// lower for a local source; `None` (below every severity, and not
/// counted when dropped) for a rule the configuration turns off (red
/// team rt53: 20,100 findings of a disabled rule made a high note).
fn severity_of(f: &RawFinding) -> Option<crate::rules::Severity> {
    let s = CONFIG.with(|c| {
        let c = c.borrow();
        if !c.is_enabled(f.rule) {
            return None;
        }
        Some(crate::rules::find(f.rule).map_or(crate::rules::Severity::Note, |r| c.severity_of(r)))
    })?;
    Some(if f.local_source { s.one_lower() } else { s })
}

/// Per-function state.
#[derive(Default)]
pub(crate) struct FnCx {
    /// Checks made for the rest of a branch, loop body or closure by an
    /// early exit (`if !ok(&x) { return }`), undone when it ends: a
    /// `return` in a closure leaves only the closure, and a check in one
    /// branch does not hold after the `if` (red team rt78).
    pub(crate) guard_frames: Vec<Vec<(String, Taint)>>,
    pub(crate) vars: HashMap<String, Var>,
    pub(crate) sources: Vec<Source>,
    pub(crate) stmt_line: usize,
    /// Inside `#[ctor]`/`#[dtor]`.
    pub(crate) ctor: bool,
    pub(crate) ctor_reported: bool,
    /// Evaluating something that is a secret (a token, key, password).
    pub(crate) secret_context: bool,
    /// Taint given to the parameters of closures passed to a method.
    pub(crate) closure_param: Taint,
    /// The closure being evaluated is given `enumerate()`'s pairs: the
    /// first of a `(i, item)` parameter is a count.
    pub(crate) closure_enumerated: bool,
    /// The secret the receiver of that method holds (`token.map(|t| ..)`):
    /// the closure's parameter holds it too.
    pub(crate) closure_secret: Option<String>,
    /// The file's struct fields named `token` or `pass` declared as text
    /// (`token: String`, `token: Option<String>`) in a struct named for
    /// credentials or settings (`Session`, `AgentConfig`): a credential,
    /// not a lexer's token ([`crate::patterns::is_bare_credential`]). By
    /// `Struct.field`, and by the bare name when every struct declaring
    /// it does so (for a base of unknown type).
    pub(crate) text_credential_fields: Vec<(String, bool)>,
    /// Some variable has had a field checked (`Var::checked_fields`):
    /// only then are field reads looked up.
    pub(crate) has_checked_fields: bool,
    /// Calls of closures held in variables being evaluated (nested).
    pub(crate) closure_calls: usize,
    /// Closure bodies evaluated for calls so far in this function (each
    /// call evaluates its closure's body again: bounded, as a closure
    /// calling another twice doubles the work per level).
    pub(crate) closure_evals: usize,
    /// A closure call with tainted arguments was not followed (a limit):
    /// reported once per function as an `analysis-limit` note.
    pub(crate) closure_limit_reported: bool,
    /// A sink of parameters and kind the summary had none of found no
    /// room (`eval::MAX_SINK_GROUPS`): an `analysis-limit` note.
    pub(crate) sink_cap_hit: bool,
    /// Findings that a later call in the function can cancel.
    pub(crate) deferred_cookie: Vec<RawFinding>,
    /// `Authorization` inserts, with the value's variable when it is one.
    pub(crate) deferred_header: Vec<(Option<String>, RawFinding)>,
    /// Secrets serialised to a file: reported at the end of the function
    /// unless it restricts a file's permissions (`set_permissions`,
    /// `OpenOptionsExt::mode`).
    pub(crate) deferred_storage: Vec<RawFinding>,
    /// The function calls something that restricts a file's permissions.
    pub(crate) permissions_set: bool,
    /// Variables `set_sensitive(true)` was called on.
    pub(crate) sensitive_values: Vec<String>,
    /// Cookie attributes set through setters in this function
    /// (`set_secure(true)`, `set_http_only(true)`, `set_same_site(..)`).
    pub(crate) cookie_flags: u8,
    /// The flags an explicit setter turned off (`set_secure(false)`,
    /// `set_same_site(SameSite::None)`), each reported at that setter.
    pub(crate) cookie_off: u8,
    pub(crate) sensitive_header_set: bool,
    /// The summary being built for this function.
    pub(crate) summary: summary::Summary,
    /// Taint of the values `return`ed so far.
    pub(crate) returned: Taint,
    /// Taint of the values given to `break` inside the innermost `loop`
    /// or labeled block being evaluated (and, over-approximated, in any
    /// nested one): the value of that `loop` or block.
    pub(crate) broken: Taint,
    /// The enclosing impl's type (`Self`).
    pub(crate) self_ty: Option<String>,
    /// The function's name.
    pub(crate) name: String,
    /// Bindings and changes so far ([`Var::generation`]).
    pub(crate) generation: u32,
    /// Each binding made, with the variable of that name it hid (`None`:
    /// there was none): a scope that ends gives the hidden ones back
    /// ([`Self::end_scope`]).
    pub(crate) shadowed: Vec<(String, Option<Var>)>,
    /// Blocks entered below the function's own.
    pub(crate) block_depth: u32,
    /// The names of the parameters after `self`, in order (empty for a
    /// pattern).
    pub(crate) params: Vec<String>,
    /// A method with a receiver.
    pub(crate) has_self: bool,
    /// An `async fn` (a web handler's shape).
    pub(crate) is_async: bool,
    /// Cookie calls (line, column of the method name) that the
    /// `insecure-cookie` check's own walk of the body worked out before
    /// the engine evaluates it, with what it found (see that check).
    pub(crate) cookie_marks: std::cell::RefCell<Vec<(usize, usize, u8)>>,
}

impl FnCx {
    /// Clean the variables `guards` validates of the kinds each is
    /// validated for; returns their taints before, for [`Self::restore`].
    pub(crate) fn validated(&mut self, guards: &[(String, u16)]) -> Vec<(String, Taint)> {
        let mut saved = Vec::new();
        for (name, kinds) in guards {
            // `hdr.len`: a field of the variable, checked on its own.
            if let Some((base, field)) = name.split_once('.') {
                if let Some(var) = self.vars.get_mut(base) {
                    var.checked_fields.push((field.to_string(), *kinds));
                    saved.push((name.clone(), Taint::CLEAN));
                    self.has_checked_fields = true;
                }
                continue;
            }
            if let Some(var) = self.vars.get_mut(name) {
                saved.push((name.clone(), var.taint));
                var.taint = var.taint.without(*kinds);
                // A host checked against a list written in the source fixes
                // where its URL goes (not the URL's path or query), while
                // the URL is the one the host was read from.
                let url = var
                    .host_of
                    .clone()
                    .filter(|_| kinds & taint::URL != 0 && kinds & taint::EXACT != 0);
                if let Some((url, generation)) = url.filter(|(u, _)| u != name) {
                    if let Some(u) = self
                        .vars
                        .get_mut(&url)
                        .filter(|u| u.generation == generation)
                    {
                        saved.push((url, u.taint));
                        u.taint = u.taint.without(taint::URL);
                    }
                }
            }
        }
        saved
    }

    /// A variable was bound again or changed in place: a check held in a
    /// local no longer covers it.
    pub(crate) fn changed(&mut self, name: &str) {
        self.generation += 1;
        let generation = self.generation;
        if let Some(var) = self.vars.get_mut(name) {
            var.generation = generation;
            // A `bool` assigned anew holds no check, a host no URL's.
            var.guards = None;
            var.host_of = None;
            var.checked_fields.clear();
        }
    }

    /// A field was assigned (`hdr.len = v`): checks of it no longer hold,
    /// nor do checks held in locals of its variable; a value of bounded
    /// size (`hdr.len = MAX`) bounds it.
    pub(crate) fn field_changed(&mut self, path: &str, value: Taint) {
        let Some((base, field)) = path.split_once('.') else {
            return;
        };
        self.generation += 1;
        let generation = self.generation;
        if let Some(var) = self.vars.get_mut(base) {
            var.generation = generation;
            var.guards = None;
            let related = |f: &str| {
                f == field
                    || f.strip_prefix(field).is_some_and(|r| r.starts_with('.'))
                    || field.strip_prefix(f).is_some_and(|r| r.starts_with('.'))
            };
            var.checked_fields.retain(|(f, _)| !related(f));
            if !value.has(taint::ALLOC) && !value.has_param(taint::ALLOC) {
                var.checked_fields.push((field.to_string(), taint::ALLOC));
                self.has_checked_fields = true;
            }
        }
    }

    /// The variable a guard's name is of: itself, or the variable whose
    /// field it is (`hdr.len`: `hdr`).
    pub(crate) fn var_named(&self, name: &str) -> Option<&Var> {
        self.vars
            .get(name.split_once('.').map_or(name, |(base, _)| base))
    }

    /// The kinds checks ruled out of the field at `path` (`hdr.len`),
    /// or of a field it is part of.
    pub(crate) fn checked_field(&self, path: &str) -> u16 {
        let Some((base, field)) = path.split_once('.') else {
            return 0;
        };
        self.vars.get(base).map_or(0, |var| {
            var.checked_fields
                .iter()
                .filter(|(f, _)| {
                    field == f
                        || field
                            .strip_prefix(f.as_str())
                            .is_some_and(|r| r.starts_with('.'))
                })
                .fold(0, |all, (_, k)| all | k)
        })
    }

    /// Where a scope starts ([`Self::end_scope`]).
    pub(crate) fn scope(&self) -> usize {
        self.shadowed.len()
    }

    /// A scope that started at `mark` ends: the variables its bindings hid
    /// are visible again (`{ let len = ..; }` does not change the outer
    /// `len`; red team rt51). Names it introduced are left (nothing after
    /// the scope reads them).
    pub(crate) fn end_scope(&mut self, mark: usize) {
        while self.shadowed.len() > mark {
            let Some((name, hidden)) = self.shadowed.pop() else {
                break;
            };
            if let Some(var) = hidden {
                self.vars.insert(name, var);
            }
        }
    }

    /// Give back the taints [`Self::validated`] took.
    pub(crate) fn restore(&mut self, saved: Vec<(String, Taint)>) {
        for (name, taint) in saved {
            if let Some((base, field)) = name.split_once('.') {
                if let Some(var) = self.vars.get_mut(base) {
                    if let Some(at) = var.checked_fields.iter().rposition(|(f, _)| f == field) {
                        var.checked_fields.remove(at);
                    }
                }
                continue;
            }
            if let Some(var) = self.vars.get_mut(&name) {
                var.taint = taint;
            }
        }
    }

    pub(crate) fn add_source(&mut self, what: impl Into<String>, line: usize) -> Taint {
        self.push_source(what.into(), line, false)
    }

    /// A source the operator controls (argv, the environment, stdin, a
    /// file). It never chooses a file to open or a host to reach: a
    /// command-line tool or a service opening the file or fetching the
    /// URL its operator named is doing its job, which is why CodeQL's
    /// path-injection and request-forgery queries leave such sources out
    /// by default (its `local` threat model). Pasted into SQL, a shell
    /// command, HTML or a log it is still input.
    pub(crate) fn add_local_source(&mut self, what: impl Into<String>, line: usize) -> Taint {
        self.push_source(what.into(), line, true)
            .without(crate::taint::PATH | crate::taint::URL)
    }

    /// A source as such: what a function of the crate returns is pushed
    /// with the kinds its own analysis left (a local source's without
    /// paths and URLs already; network input mixed in keeps them).
    pub(crate) fn push_source(&mut self, what: String, line: usize, local: bool) -> Taint {
        self.sources.push(Source { what, line });
        let index = self.sources.len() - 1;
        if local {
            Taint::from_local_source(index)
        } else {
            Taint::from_source(index)
        }
    }

    pub(crate) fn is_local(&self, taint: Taint) -> bool {
        taint.is_local()
    }

    pub(crate) fn source_of(&self, taint: Taint) -> Option<&Source> {
        taint
            .source_index()
            .checked_sub(1)
            .and_then(|i| self.sources.get(i))
    }

    /// Would the summary keep a sink with this identity? It keeps the
    /// first of the sinks with the same parameters, kind, place and file,
    /// and at most `eval::MAX_PARAM_SINKS` (checked here so that the
    /// others are never built; `analyze_fn_as` applies the same rule).
    pub(crate) fn wants_param_sink(
        &mut self,
        params: u16,
        kind: u16,
        line: usize,
        column: usize,
        file: Option<&str>,
        reportable: bool,
    ) -> bool {
        let sinks = &self.summary.param_sinks;
        // What a public function reports itself has room of its own.
        let cap = if reportable {
            2 * eval::MAX_PARAM_SINKS
        } else {
            eval::MAX_PARAM_SINKS
        };
        // A (parameters, kind) the summary has no sink for yet always has
        // room (up to `MAX_SINK_GROUPS`): decoy sinks of one parameter
        // must not push out another parameter's (red team rt45).
        let room = sinks.len() < cap
            || (sinks.len() < eval::MAX_SINK_GROUPS
                && !sinks.iter().any(|s| s.params == params && s.kind == kind));
        let new = !sinks.iter().any(|s| {
            s.params == params
                && s.kind == kind
                && s.line == line
                && s.column == column
                && s.file.as_deref() == file
        });
        // A new (parameters, kind) with no room: said in a note.
        if new && !room && !sinks.iter().any(|s| s.params == params && s.kind == kind) {
            self.sink_cap_hit = true;
        }
        room && new
    }

    pub(crate) fn describe(&self, taint: Taint) -> String {
        match self.source_of(taint) {
            Some(source) => format!("{} (line {})", source.what, source.line),
            None => "untrusted input".to_string(),
        }
    }
}

pub struct FileAnalyzer<'a> {
    /// `checks::function_mentions` answers by (first line, last line,
    /// word list): functions sharing a line range (thousands of them on
    /// one generated line) search it once, not once each (red team rt45:
    /// a 1 MB line of `fn a(){}` took 86 s).
    pub(crate) mentions: std::cell::RefCell<HashMap<(usize, usize, usize), bool>>,
    /// Findings dropped by [`FileAnalyzer::compact_findings`], and the
    /// first line of one.
    pub dropped_findings: Dropped,
    /// Where the findings of the unit being analysed begin.
    pub(crate) unit_start: usize,
    /// Flows through summaries the unit being analysed has reported, and
    /// the places (file, line, column, kind, local source) of those past
    /// the first [`SUMMARY_FLOWS_UNTRACKED`]: a call repeating one of
    /// them is not formatted again (red team rt48: 1.2M calls of a
    /// 32-sink helper took 102 s building findings that de-duplication
    /// then dropped).
    pub(crate) unit_flows: UnitFlows,
    pub(crate) source: &'a str,
    pub(crate) lines: Vec<&'a str>,
    /// Per line: (has a comment mentioning SAFETY, is only a comment or
    /// attribute). Computed on the first `unsafe` seen.
    pub(crate) comment_lines: Option<Vec<(bool, bool)>>,
    pub(crate) imports: Imports,
    pub(crate) include_tests: bool,
    /// A build script: its environment is set by cargo, not an attacker.
    pub(crate) build_script: bool,
    /// Names of constants/statics whose value is a literal (key material).
    /// Constants and statics of the file holding literal bytes or text,
    /// with where (line, column) the value is written (`None` for a name
    /// the file gives two such items, in two modules or a function).
    pub(crate) literal_consts: HashMap<String, Option<(usize, usize)>>,
    /// Names of constants and statics anywhere in the file (a function's
    /// too) that do not hold literal bytes: a literal one of the same name
    /// elsewhere may not be the one in scope (red team rt45).
    pub(crate) other_consts: HashSet<String>,
    /// Constants and statics of the file holding a string literal, with
    /// its text (`None` for a name the file gives two values).
    pub(crate) str_consts: HashMap<String, Option<String>>,
    /// Fields of the file's structs (`Struct.field`) that a struct literal
    /// somewhere in the file gives literal bytes (`Signer { key: KEY }`,
    /// `Sealer { key }` after `let key = from_env().unwrap_or(KEY)`), with
    /// where the bytes are written; read where the field reaches a key
    /// constructor in another method (`Key::from_slice(&self.key)`).
    pub(crate) literal_fields: HashMap<String, Span>,
    /// Functions and methods of the file that return an `http://` URL
    /// (`fn metrics_url(&self) -> String { format!("http://{}/push", ..) }`),
    /// by name: a request to what they return goes without TLS; and its
    /// constants and statics holding an `http://` URL to another machine.
    pub(crate) http_url_fns: HashSet<String>,
    /// Functions and methods of the file, by name, whose body is one
    /// expression accepting a parameter (`fn plain_name(name: &str) ->
    /// bool { Path::new(name).components().all(..Normal..) }`), with the
    /// position of each parameter tested (after `self`) and the taint
    /// kinds the test rules out: `if !plain_name(&x) { return }` validates
    /// `x`. Every function of the file is listed: one that validates
    /// nothing (or a name the file gives two functions) with an empty
    /// list, and then its name (`is_valid_*`) says nothing either.
    pub(crate) validator_fns: HashMap<String, Vec<(usize, u16)>>,
    /// Functions and methods of the file returning a `Result` that is
    /// `Ok` only for checked parameters (`check_len(n)?`): each name's
    /// parameters (receiver not counted) and the kinds ruled out
    /// (`collect_result_validators`).
    pub(crate) result_validators: HashMap<String, Vec<(usize, u16)>>,
    /// Functions of the file whose body accepts whatever it is given (a
    /// verify callback named, not written in place:
    /// `set_verify_callback(PEER, tolerate_chain)`), in a file that sets one.
    pub(crate) accepting_fns: HashSet<String>,
    /// libxml2 option masks set up away from the read that uses them
    /// (`crate::checks::XxeOptions`).
    pub(crate) xxe: crate::checks::XxeOptions,
    /// Types with a rustls `ServerCertVerifier`/`ClientCertVerifier` impl
    /// in this file, and whether it accepts every certificate.
    pub(crate) verifiers: HashMap<String, bool>,
    /// Where each accepting verifier of [`Self::verifiers`] is reported.
    pub(crate) verifier_places: HashMap<String, Option<(usize, usize)>>,
    /// The file's types and traits as `unsafe-send-sync` needs them
    /// (only where the file has an `unsafe impl`).
    pub(crate) send_sync_facts: crate::checks::SendSyncFacts,
    /// The file's calls given a literal `true`, by callee, with the
    /// argument positions (`checks::collect_true_args`); made only for a
    /// file that passes a flag to a `danger_accept_invalid_*` switch.
    pub(crate) true_args: HashMap<String, u64>,
    /// Types of this file that derive `Debug` over a field named like a
    /// secret, with that field (`SigningParams` -> `secret_key`).
    pub(crate) secret_debug_types: HashMap<String, String>,
    /// Types a function of the file builds from bytes it reads (`fn
    /// read_record(r) -> io::Result<RecHeader>` with `read_exact`,
    /// `from_le_bytes`, ..): their numbers are sizes an input chose, in
    /// every function that is given one (see `collect_input_types`).
    pub(crate) input_types: HashSet<String>,
    /// The types the file's structs declare for each field name (every
    /// one: a dead struct declaring `http: String` must not hide another's
    /// `http: reqwest::Client`): `ssrf` reads `self.http.get(url)` as a
    /// request when one of them is an HTTP client.
    pub(crate) field_types: HashMap<String, Vec<String>>,
    /// The same by `Struct.field`: `self.client` in an `impl` of a struct
    /// of the file has exactly its own field's type.
    pub(crate) struct_fields: HashMap<String, Vec<String>>,
    /// Fields of the file's structs (`Struct.field`) declared
    /// `&'static str`: text fixed when the program was built (a table or
    /// column name), not chosen by whoever calls a method on the struct.
    pub(crate) static_str_fields: HashSet<String>,
    /// Names of fields some struct of the file declares as a number or a
    /// `bool` (a quick test before `struct_fields` is read).
    pub(crate) scalar_field_names: HashSet<String>,
    /// Fields (`Struct.field`, and a bare `field` assigned through a
    /// base of unknown type) the file gives a value that is not a literal
    /// (`Box::leak(..)`, a setter's parameter): not fixed text, whatever
    /// their type says.
    pub(crate) nonliteral_fields: HashSet<String>,
    /// Field names a struct of the file declares as a bare credential:
    /// `true` while every declaration is text in a struct named for
    /// credentials or settings (see [`FnCx::text_credential_fields`]);
    /// and each declaration by `Struct.field`.
    pub(crate) credential_fields: HashMap<String, bool>,
    /// Free functions the file hands to a warp filter by name
    /// (`.and_then(upload)`), with the parameter positions the filter
    /// fills from the request (`warp::header`, `warp::path!(String)`,
    /// `warp::body::bytes()`, ..; not `.and(with_db(db))` or
    /// `warp::any().map(..)`, the application's own values), as bits.
    pub(crate) warp_handlers: HashMap<String, u64>,
    /// Some function of the file returns a secret (`Summary::ret_secret`):
    /// until one does, a binding's call is not looked up for one.
    pub(crate) ret_secrets: bool,
    pub findings: Vec<RawFinding>,
    /// Summaries of the file's functions analysed so far, by key (`name`,
    /// `Type::name`).
    pub(crate) summaries: HashMap<String, summary::Summary>,
    /// Every field name some summary frees (`Summary::frees_fields`), kept
    /// as summaries are added ([`Self::put_summary`]).
    pub(crate) freed_field_names: crate::HashSet<String>,
    /// Keys of the summaries of this file's own functions (the others were
    /// imported from other files of the crate).
    pub(crate) local_keys: HashSet<String>,
    /// The file's path relative to the scan root.
    pub(crate) rel: String,
    /// Names this file's functions call (`f`, `m::f`, `.m`).
    pub(crate) calls: HashSet<String>,
    /// The file's functions (`summary::collect` keys; a trait's default
    /// methods by name) and whether each is a method with a receiver,
    /// whatever their summaries: `crate::crosscrate` resolves a name
    /// defined only once in a scan.
    pub(crate) defined: Vec<(String, bool)>,
    /// Method name -> keys of the local methods with that name.
    pub(crate) methods: HashMap<String, Vec<String>>,
    /// Function bodies already analysed in call-graph order.
    pub(crate) done: HashSet<usize>,
    /// The summary keys and method names the analysis looked up.
    pub(crate) probes: Probes,
    /// The previous analysis to replay unchanged functions from.
    prior: Option<Prior>,
    /// This analysis function by function, when it can be replayed.
    pub(crate) record: Option<Record>,
    /// Record the analysis (the file is analysed in one piece).
    pub(crate) recording: bool,
    /// Current expression nesting of `eval` (a backstop to the pre-scan).
    pub(crate) depth: usize,
    /// First line where `eval` hit [`crate::limits::MAX_EVAL_DEPTH`].
    pub(crate) limit_line: Option<usize>,
    /// Macro bodies parsed so far (see [`MacroBodies`]).
    pub(crate) macro_bodies: MacroBodies,
    /// Set by the `dangling-pointer` check while it walks a function that
    /// returns a pointer to its own local; moved into its summary.
    pub(crate) dangling_return: Option<summary::DanglingReturn>,
    /// [`summary::Summary::frees_params`] of the function just analysed.
    pub(crate) freed_params: u16,
    /// [`summary::Summary::grows_params`] of the function just analysed.
    pub(crate) grown_params: u16,
    /// [`summary::Summary::drops_params`] of the function just analysed.
    pub(crate) dropped_params: u16,
    /// [`summary::Summary::grows_fields`] of the function just analysed.
    pub(crate) grown_fields: Vec<String>,
    /// [`summary::Summary::repoints_fields`] of the function just analysed.
    pub(crate) repointed_fields: Vec<(String, String)>,
    /// [`summary::Summary::frees_fields`] of the function just analysed.
    pub(crate) freed_fields: Vec<String>,
    /// [`summary::Summary::reads_fields`] of the function just analysed.
    pub(crate) read_fields: Vec<String>,
    /// [`summary::Summary::sets_fields`] of the function just analysed.
    pub(crate) set_fields: Vec<String>,
    /// [`summary::Summary::ret_field_ptr`] of the function just analysed.
    pub(crate) ret_field_ptr: Option<(String, Option<usize>)>,
    /// `.name(` of the file's methods that free a field of `self` (see
    /// [`summary::Summary::frees_fields`]): a function calling one is
    /// walked for dangling pointers whatever other words it has.
    pub(crate) field_freeing_calls: Vec<String>,
    /// Fields some `impl Drop` of the file frees (`fn drop(&mut self) {
    /// xmlFreeDoc(self.0) }`): a pointer copied out of such a field
    /// (`let raw = doc.0;`) dies with the value it was copied from.
    pub(crate) drop_freed_fields: HashSet<String>,
    /// `type Enc = cbc::Encryptor<Aes128>;`: the alias's name and the last
    /// segment of the type it names (`Encryptor`).
    pub(crate) type_aliases: HashMap<String, String>,
    /// Pointer fields a type keeps into its own buffers, `Type` -> (the
    /// pointer field, the buffer field): `cursor` into `data` for
    /// `Reader { cursor: data.as_ptr(), data }` or `self.cursor =
    /// self.data.as_ptr()` (see `checks::collect_field_ptrs`).
    pub(crate) field_ptrs: HashMap<String, Vec<(String, String)>>,
    /// Set by the `dangling-pointer` check: the function being walked is
    /// declared to return an owned buffer; moved into its summary.
    pub(crate) owned_return: bool,
}

/// The bodies of the macro invocations evaluated in a tree, parsed once
/// however often they are evaluated (closures, fixpoint passes), by the
/// byte range of their delimiters: one invocation of the tree (tokens
/// cloned from it, as in a closure kept in a variable, keep their spans).
#[derive(Default)]
pub(crate) struct MacroBodies {
    args: HashMap<(usize, usize), std::rc::Rc<[macros::MacroArg]>>,
    vecs: HashMap<(usize, usize), Option<std::rc::Rc<Expr>>>,
}

impl MacroBodies {
    /// A macro's identity in its tree; `None` for tokens with no place in
    /// the source (made up, not parsed).
    fn key(mac: &syn::Macro) -> Option<(usize, usize)> {
        let span = match &mac.delimiter {
            syn::MacroDelimiter::Paren(d) => d.span.join(),
            syn::MacroDelimiter::Brace(d) => d.span.join(),
            syn::MacroDelimiter::Bracket(d) => d.span.join(),
        };
        let range = span.byte_range();
        (range.start < range.end).then_some((range.start, range.end))
    }

    /// `macros::parse_args` of the macro's body.
    pub(crate) fn args(&mut self, mac: &syn::Macro) -> std::rc::Rc<[macros::MacroArg]> {
        let Some(key) = Self::key(mac) else {
            return macros::parse_args(&mac.tokens).into();
        };
        self.args
            .entry(key)
            .or_insert_with(|| macros::parse_args(&mac.tokens).into())
            .clone()
    }

    /// `macros::parse_vec_body` of the macro's body.
    pub(crate) fn vec_body(&mut self, mac: &syn::Macro) -> Option<std::rc::Rc<Expr>> {
        let Some(key) = Self::key(mac) else {
            return macros::parse_vec_body(&mac.tokens).map(std::rc::Rc::new);
        };
        self.vecs
            .entry(key)
            .or_insert_with(|| macros::parse_vec_body(&mac.tokens).map(std::rc::Rc::new))
            .clone()
    }
}

/// The summary keys and method names an analysis looked up: the only way
/// summaries imported from other files (`crate::crosscrate`) reach it.
/// Analysis is deterministic, so analysing a file (or one of its
/// functions) again with other imports that give the same answer to every
/// one of these lookups would produce exactly the same result: `scan`
/// skips that file, and a file analysed again replays those functions.
///
/// Kept as 64-bit hashes (a record is kept for every file of a scan): two
/// names with the same hash only make an analysis run when it could have
/// been replayed.
#[derive(Clone, Debug, Default)]
pub(crate) struct Probes(HashSet<u64>);

/// The hash of a summary key (`method` false) or a method name.
fn probe_hash(name: &str, method: bool) -> u64 {
    use std::hash::{Hash, Hasher};
    // SipHash with fixed keys: the same in every run and thread.
    let mut h = std::hash::DefaultHasher::new();
    method.hash(&mut h);
    name.hash(&mut h);
    h.finish()
}

impl Probes {
    fn key(&mut self, key: &str) {
        self.0.insert(probe_hash(key, false));
    }

    fn method(&mut self, name: &str) {
        self.0.insert(probe_hash(name, true));
    }

    /// Add another analysis's lookups.
    fn extend(&mut self, other: &Probes) {
        self.0.extend(other.0.iter().copied());
    }

    /// Does a lookup recorded here concern a dirty key or method name?
    fn touches(&self, dirty: &Dirty) -> bool {
        if self.0.len() <= dirty.0.len() {
            self.0.iter().any(|h| dirty.0.contains(h))
        } else {
            dirty.0.iter().any(|h| self.0.contains(h))
        }
    }

    /// Would every lookup recorded here get the same answer with the
    /// imports `new` as with `old` (as given to `import_summary`, in order)?
    pub(crate) fn same_answers(&self, old: &[Import], new: &[Import]) -> bool {
        !self.touches(&Dirty::between(old, new))
    }
}

/// The summary keys and method names (as [`Probes`] hashes) whose lookups
/// may get other answers than in a previous analysis.
#[derive(Debug, Default)]
struct Dirty(HashSet<u64>);

impl Dirty {
    /// What differs between two lists of imports.
    fn between(old: &[Import], new: &[Import]) -> Dirty {
        let (old_keys, new_keys) = (by_key(old), by_key(new));
        let mut dirty = Dirty::default();
        for (key, summary) in &old_keys {
            if new_keys.get(key) != Some(summary) {
                dirty.0.insert(probe_hash(key, false));
            }
        }
        for key in new_keys.keys() {
            if !old_keys.contains_key(key) {
                dirty.0.insert(probe_hash(key, false));
            }
        }
        let names: HashSet<&str> = old
            .iter()
            .chain(new)
            .filter(|(_, _, method)| *method)
            .filter_map(|(key, _, _)| key.split("::").last())
            .collect();
        for name in names {
            if candidates(old, name) != candidates(new, name) {
                dirty.0.insert(probe_hash(name, true));
            }
        }
        dirty
    }
}

// `import_summary`: the last summary under a key wins; a method's key is
// added to its name's candidates in import order.
fn by_key(imports: &[Import]) -> HashMap<&str, &summary::Summary> {
    let mut map = HashMap::default();
    for (key, summary, _) in imports {
        map.insert(key.as_str(), summary);
    }
    map
}

fn candidates<'i>(imports: &'i [Import], name: &str) -> Vec<&'i str> {
    imports
        .iter()
        .filter(|(key, _, method)| *method && key.split("::").last() == Some(name))
        .map(|(key, _, _)| key.as_str())
        .collect()
}

/// Passes over a file's functions at most to iterate recursive summaries.
const FIXPOINT_PASSES: usize = 4;

/// What analysing one function of a file (or the rest of the file, after
/// the functions) produced, and what it looked up.
#[derive(Clone, Debug, Default)]
pub(crate) struct Unit {
    probes: Probes,
    findings: Vec<RawFinding>,
    summary: Option<summary::Summary>,
    limit_line: Option<usize>,
    /// Findings the unit dropped at its cap: given back on replay, so the
    /// file's note still counts them.
    dropped: Dropped,
}

/// A file's analysis, function by function (`run` in call-graph order, for
/// a file analysed in one chunk), kept so that analysing the file again
/// with other imports re-evaluates only the functions whose lookups get
/// other answers and replays the rest.
#[derive(Clone, Debug, Default)]
pub(crate) struct Record {
    /// With recursion, the passes that iterate summaries to a fixpoint
    /// (findings discarded), each one unit per function.
    passes: Vec<Vec<Unit>>,
    /// One per function of `summary::collect`, in its order.
    units: Vec<Unit>,
    /// Everything `visit_file` analyses after the functions.
    rest: Unit,
}

/// A previous analysis of the file and what changed since.
struct Prior {
    record: Record,
    dirty: Dirty,
}

/// A summary imported from another file: the key calls resolve to, the
/// summary, and whether it is a method.
pub(crate) type Import = (String, summary::Summary, bool);

thread_local! {
    /// Lines before the chunk being analysed (a large file is parsed in
    /// chunks, each with spans starting at line 1).
    static LINE_OFFSET: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

thread_local! {
    /// The configuration of the file being analysed (see [`with_config`]).
    static CONFIG: std::cell::RefCell<crate::config::Config> =
        std::cell::RefCell::new(crate::config::Config::default());
}

/// Run `f` with `config` in effect for the caps: they rank and count
/// dropped findings by the severity they would be reported at (red team
/// rt52: a rule raised to critical ranked as its default, medium, and was
/// dropped behind high findings, with a note of only high), and a rule
/// turned off ranks last and is not counted.
pub(crate) fn with_config<T>(config: &crate::config::Config, f: impl FnOnce() -> T) -> T {
    let saved = CONFIG.with(|c| c.replace(config.clone()));
    let out = f();
    CONFIG.with(|c| c.replace(saved));
    out
}

/// Run `f` with spans shifted down by `offset` lines.
pub(crate) fn with_line_offset<T>(offset: usize, f: impl FnOnce() -> T) -> T {
    let saved = LINE_OFFSET.with(|o| o.replace(offset));
    let out = f();
    LINE_OFFSET.with(|o| o.set(saved));
    out
}

pub(crate) fn start_of(span: Span) -> (usize, usize) {
    let start = span.start();
    (start.line + LINE_OFFSET.with(|o| o.get()), start.column + 1)
}

pub(crate) fn end_of(span: Span) -> (usize, usize) {
    let end = span.end();
    (end.line + LINE_OFFSET.with(|o| o.get()), end.column + 1)
}

/// The span of an expression's first token, found by descending to its
/// leftmost part. `Spanned::span` re-tokenises the whole node, which makes
/// computing it for every statement quadratic in the nesting depth.
pub(crate) fn leftmost_span(mut e: &Expr) -> Span {
    loop {
        e = match e {
            Expr::Binary(b) => &b.left,
            Expr::MethodCall(m) => &m.receiver,
            Expr::Call(c) => &c.func,
            Expr::Field(f) => &f.base,
            Expr::Index(i) => &i.expr,
            Expr::Try(t) => &t.expr,
            Expr::Await(a) => &a.base,
            Expr::Cast(c) => &c.expr,
            Expr::Range(r) if r.start.is_some() => match &r.start {
                Some(start) => start,
                None => return e.span(),
            },
            Expr::Assign(a) => &a.left,
            Expr::Path(p) => {
                return match (&p.qself, p.path.segments.first()) {
                    (None, Some(first)) if p.path.leading_colon.is_none() && p.attrs.is_empty() => {
                        first.ident.span()
                    }
                    _ => e.span(),
                }
            }
            Expr::Lit(l) if l.attrs.is_empty() => return l.lit.span(),
            Expr::Macro(m) if m.attrs.is_empty() => match m.mac.path.segments.first() {
                Some(first) if m.mac.path.leading_colon.is_none() => return first.ident.span(),
                _ => return e.span(),
            },
            Expr::If(i) if i.attrs.is_empty() => return i.if_token.span,
            Expr::Match(m) if m.attrs.is_empty() => return m.match_token.span,
            Expr::ForLoop(f) if f.attrs.is_empty() && f.label.is_none() => return f.for_token.span,
            Expr::While(w) if w.attrs.is_empty() && w.label.is_none() => return w.while_token.span,
            Expr::Loop(l) if l.attrs.is_empty() && l.label.is_none() => return l.loop_token.span,
            Expr::Return(r) if r.attrs.is_empty() => return r.return_token.span,
            Expr::Unsafe(u) if u.attrs.is_empty() => return u.unsafe_token.span,
            Expr::Block(b) if b.attrs.is_empty() && b.label.is_none() => {
                return b.block.brace_token.span.open()
            }
            Expr::Unary(u) if u.attrs.is_empty() => {
                return match u.op {
                    syn::UnOp::Deref(t) => t.span,
                    syn::UnOp::Not(t) => t.span,
                    syn::UnOp::Neg(t) => t.span,
                    _ => e.span(),
                }
            }
            Expr::Reference(r) if r.attrs.is_empty() => return r.and_token.span,
            Expr::Paren(p) if p.attrs.is_empty() => return p.paren_token.span.open(),
            Expr::Tuple(t) if t.attrs.is_empty() => return t.paren_token.span.open(),
            Expr::Array(a) if a.attrs.is_empty() => return a.bracket_token.span.open(),
            Expr::Repeat(r) if r.attrs.is_empty() => return r.bracket_token.span.open(),
            Expr::Let(l) if l.attrs.is_empty() => return l.let_token.span,
            Expr::Break(b) if b.attrs.is_empty() => return b.break_token.span,
            Expr::Continue(c) if c.attrs.is_empty() => return c.continue_token.span,
            Expr::Async(a) if a.attrs.is_empty() => return a.async_token.span,
            Expr::Closure(c) if c.attrs.is_empty() => {
                return match (
                    &c.lifetimes,
                    &c.constness,
                    &c.movability,
                    &c.asyncness,
                    &c.capture,
                ) {
                    (Some(l), ..) => l.for_token.span,
                    (None, Some(t), ..) => t.span,
                    (None, None, Some(t), ..) => t.span,
                    (None, None, None, Some(t), _) => t.span,
                    (None, None, None, None, Some(t)) => t.span,
                    (None, None, None, None, None) => c.or1_token.span,
                }
            }
            Expr::Struct(s) if s.attrs.is_empty() && s.qself.is_none() => {
                return match s.path.segments.first() {
                    Some(first) if s.path.leading_colon.is_none() => first.ident.span(),
                    _ => e.span(),
                }
            }
            _ => return e.span(),
        };
    }
}

/// The span of an item's first token when it is cheap to find (an
/// attribute, a visibility, the item's keyword); `Spanned::span` otherwise.
fn item_start(item: &syn::Item) -> Span {
    let (attrs, vis) = match item {
        syn::Item::Fn(f) => (&f.attrs, Some(&f.vis)),
        syn::Item::Const(c) => (&c.attrs, Some(&c.vis)),
        syn::Item::Static(s) => (&s.attrs, Some(&s.vis)),
        syn::Item::Struct(s) => (&s.attrs, Some(&s.vis)),
        syn::Item::Enum(e) => (&e.attrs, Some(&e.vis)),
        syn::Item::Use(u) => (&u.attrs, Some(&u.vis)),
        syn::Item::Impl(i) => (&i.attrs, None),
        _ => return item.span(),
    };
    if let Some(attr) = attrs.first() {
        return attr.pound_token.span;
    }
    match vis {
        Some(syn::Visibility::Public(p)) => return p.span,
        Some(syn::Visibility::Restricted(r)) => return r.pub_token.span,
        _ => {}
    }
    match item {
        syn::Item::Fn(f)
            if f.sig.constness.is_none()
                && f.sig.asyncness.is_none()
                && f.sig.unsafety.is_none()
                && f.sig.abi.is_none() =>
        {
            f.sig.fn_token.span
        }
        syn::Item::Const(c) => c.const_token.span,
        syn::Item::Static(s) => s.static_token.span,
        syn::Item::Struct(s) => s.struct_token.span,
        syn::Item::Enum(e) => e.enum_token.span,
        syn::Item::Use(u) => u.use_token.span,
        syn::Item::Impl(i) if i.defaultness.is_none() && i.unsafety.is_none() => i.impl_token.span,
        _ => item.span(),
    }
}

/// First line of a statement, cheaply (see [`leftmost_span`]).
pub(crate) fn stmt_line(stmt: &Stmt) -> usize {
    let span = match stmt {
        Stmt::Expr(e, _) => leftmost_span(e),
        Stmt::Local(l) => l
            .attrs
            .first()
            .map_or(l.let_token.span, |a| a.pound_token.span),
        Stmt::Macro(m) if m.attrs.is_empty() => match m.mac.path.segments.first() {
            Some(first) if m.mac.path.leading_colon.is_none() => first.ident.span(),
            _ => stmt.span(),
        },
        Stmt::Macro(m) => m
            .attrs
            .first()
            .map_or_else(|| stmt.span(), |a| a.pound_token.span),
        Stmt::Item(item) => item_start(item),
    };
    start_of(span).0
}

/// Strip wrappers that do not change which value an expression denotes.
pub(crate) fn peel(mut e: &Expr) -> &Expr {
    loop {
        e = match e {
            Expr::Paren(p) => &p.expr,
            Expr::Group(g) => &g.expr,
            Expr::Reference(r) => &r.expr,
            Expr::Try(t) => &t.expr,
            Expr::Await(a) => &a.base,
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => &u.expr,
            _ => return e,
        }
    }
}

/// The variable holding bytes written in the source that this expression
/// reads without changing them (`key`, `&key`, `key.into()`,
/// `unsafe { key.align_to::<u8>().1 }`, `key.try_into().unwrap()`).
pub(crate) fn literal_held<'c>(cx: &'c FnCx, e: &Expr) -> Option<&'c Var> {
    match peel(e) {
        Expr::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => cx
            .vars
            .get(&p.path.segments[0].ident.to_string())
            .filter(|v| v.literal),
        Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "into"
                    | "as_ref"
                    | "as_slice"
                    | "to_vec"
                    | "clone"
                    | "as_bytes"
                    | "to_owned"
                    | "as_str"
                    | "align_to"
                    | "try_into"
                    | "unwrap"
                    | "expect"
            ) =>
        {
            literal_held(cx, &m.receiver)
        }
        Expr::Field(f) if matches!(f.member, syn::Member::Unnamed(_)) => literal_held(cx, &f.base),
        Expr::Unsafe(u) => match u.block.stmts.as_slice() {
            [Stmt::Expr(e, None)] => literal_held(cx, e),
            _ => None,
        },
        _ => None,
    }
}

/// `x`, `&x`, `x.as_str()`, `x.clone()`... -> `x`.
/// The variable an indexing expression writes into (`a[i]`, `a[..4]`,
/// `a[i][j]`).
pub(crate) fn indexed_var(e: &Expr) -> Option<String> {
    match peel(e) {
        Expr::Index(ix) => indexed_var(&ix.expr).or_else(|| var_of(&ix.expr)),
        _ => None,
    }
}

pub(crate) fn var_of(e: &Expr) -> Option<String> {
    match peel(e) {
        Expr::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
            Some(p.path.segments[0].ident.to_string())
        }
        Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "as_str"
                    | "as_ref"
                    | "as_bytes"
                    | "clone"
                    | "to_string"
                    | "to_owned"
                    | "as_path"
                    | "borrow"
                    | "as_deref"
                    | "trim"
            ) =>
        {
            var_of(&m.receiver)
        }
        Expr::Field(f) => var_of(&f.base),
        _ => None,
    }
}

/// The place a field access reads, as `var.field[.field..]` (`hdr.len`,
/// `self.hdr.len`); `None` for anything else.
pub(crate) fn field_path(e: &Expr) -> Option<String> {
    let Expr::Field(f) = peel(e) else {
        return None;
    };
    let member = match &f.member {
        syn::Member::Named(name) => name.to_string(),
        syn::Member::Unnamed(index) => index.index.to_string(),
    };
    let base = match peel(&f.base) {
        Expr::Path(p) if p.qself.is_none() => p.path.get_ident()?.to_string(),
        inner @ Expr::Field(_) => field_path(inner)?,
        _ => return None,
    };
    Some(format!("{base}.{member}"))
}

/// The method calls of a chain, outermost first, and the chain's root.
pub(crate) fn chain(e: &Expr) -> (Vec<&syn::ExprMethodCall>, &Expr) {
    let mut methods = Vec::new();
    let mut current = peel(e);
    while let Expr::MethodCall(m) = current {
        methods.push(m);
        current = peel(&m.receiver);
    }
    (methods, current)
}

pub(crate) fn lit_str(e: &Expr) -> Option<String> {
    match peel(e) {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Some(s.value()),
        Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "to_string" | "to_owned" | "into" | "as_str"
            ) =>
        {
            lit_str(&m.receiver)
        }
        Expr::Call(c) if c.args.len() == 1 => match &*c.func {
            Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "from") => {
                lit_str(&c.args[0])
            }
            _ => None,
        },
        _ => None,
    }
}

pub(crate) fn lit_bool(e: &Expr) -> Option<bool> {
    match peel(e) {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Bool(b),
            ..
        }) => Some(b.value),
        _ => None,
    }
}

pub(crate) fn lit_int(e: &Expr) -> Option<u64> {
    match peel(e) {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) => i.base10_parse::<u64>().ok(),
        _ => None,
    }
}

/// A path's segment names, without generics (`Vec::<u8>::new` is
/// `["Vec", "new"]`).
pub(crate) fn path_idents(path: &syn::Path) -> Vec<String> {
    path.segments.iter().map(|s| s.ident.to_string()).collect()
}

pub(crate) fn last_ident(path: &syn::Path) -> String {
    path.segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default()
}

pub(crate) fn is_numeric_type_name(name: &str) -> bool {
    matches!(
        name,
        "u8" | "u16"
            | "u32"
            | "u64"
            | "u128"
            | "usize"
            | "i8"
            | "i16"
            | "i32"
            | "i64"
            | "i128"
            | "isize"
            | "f32"
            | "f64"
    )
}

pub(crate) fn strip_pat_type(pat: &Pat) -> &Pat {
    match pat {
        Pat::Type(pt) => strip_pat_type(&pt.pat),
        other => other,
    }
}

/// Is this expression visibly an `n`-tuple (a tuple, or a block ending in one)?
pub(crate) fn tuple_shaped(e: &Expr, n: usize) -> bool {
    match e {
        Expr::Tuple(t) => t.elems.len() == n,
        Expr::Paren(p) => tuple_shaped(&p.expr, n),
        Expr::Block(b) => {
            matches!(b.block.stmts.last(), Some(Stmt::Expr(tail, None)) if tuple_shaped(tail, n) || expr_diverges(tail))
        }
        _ => false,
    }
}

/// A block that never falls through (ends in `return`, `continue`, `break`,
/// `panic!`-like macros, or `Err(..)?`).
pub(crate) fn block_diverges(block: &syn::Block) -> bool {
    match block.stmts.last() {
        Some(Stmt::Expr(e, _)) => expr_diverges(e),
        Some(Stmt::Macro(m)) => is_diverging_macro(&m.mac),
        _ => false,
    }
}

pub(crate) fn expr_diverges(e: &Expr) -> bool {
    match e {
        Expr::Return(_) | Expr::Continue(_) | Expr::Break(_) => true,
        Expr::Macro(m) => is_diverging_macro(&m.mac),
        Expr::Try(_) => true,
        Expr::Block(b) => block_diverges(&b.block),
        _ => false,
    }
}

pub(crate) fn is_diverging_macro(mac: &syn::Macro) -> bool {
    matches!(
        last_ident(&mac.path).as_str(),
        "panic" | "bail" | "unreachable" | "todo" | "unimplemented"
    )
}

pub(crate) fn is_test_attr(attr: &syn::Attribute) -> bool {
    let path = attr.path();
    if path
        .segments
        .last()
        .is_some_and(|s| s.ident == "test" || s.ident == "bench")
    {
        return true;
    }
    if path.is_ident("cfg") {
        if let syn::Meta::List(list) = &attr.meta {
            return list
                .tokens
                .clone()
                .into_iter()
                .any(|tt| matches!(tt, proc_macro2::TokenTree::Ident(ref i) if i == "test"));
        }
    }
    false
}

pub(crate) fn is_ctor_attr(attr: &syn::Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "ctor" || s.ident == "dtor")
}

impl<'a> FileAnalyzer<'a> {
    /// An analyser of `source` (split into `lines`) at `path`.
    pub fn with_lines(
        path: &str,
        source: &'a str,
        lines: Vec<&'a str>,
        include_tests: bool,
    ) -> Self {
        let file_name = path.rsplit('/').next().unwrap_or(path);
        FileAnalyzer {
            build_script: file_name == "build.rs",
            source,
            comment_lines: None,
            lines,
            imports: Imports::default(),
            include_tests,
            literal_consts: HashMap::default(),
            str_consts: HashMap::default(),
            other_consts: HashSet::default(),
            literal_fields: HashMap::default(),
            http_url_fns: HashSet::default(),
            validator_fns: HashMap::default(),
            result_validators: HashMap::default(),
            accepting_fns: HashSet::default(),
            xxe: Default::default(),
            verifiers: HashMap::default(),
            verifier_places: HashMap::default(),
            send_sync_facts: Default::default(),
            field_types: HashMap::default(),
            static_str_fields: HashSet::default(),
            scalar_field_names: HashSet::default(),
            nonliteral_fields: HashSet::default(),
            credential_fields: HashMap::default(),
            struct_fields: HashMap::default(),
            warp_handlers: HashMap::default(),
            true_args: HashMap::default(),
            secret_debug_types: HashMap::default(),
            input_types: HashSet::default(),
            ret_secrets: false,
            findings: Vec::new(),
            depth: 0,
            limit_line: None,
            summaries: HashMap::default(),
            freed_field_names: Default::default(),
            local_keys: HashSet::default(),
            defined: Vec::new(),
            calls: HashSet::default(),
            rel: path.to_string(),
            methods: HashMap::default(),
            done: HashSet::default(),
            probes: Probes::default(),
            prior: None,
            record: None,
            recording: false,
            macro_bodies: MacroBodies::default(),
            dangling_return: None,
            freed_params: 0,
            grown_params: 0,
            dropped_params: 0,
            grown_fields: Vec::new(),
            repointed_fields: Vec::new(),
            freed_fields: Vec::new(),
            read_fields: Vec::new(),
            set_fields: Vec::new(),
            ret_field_ptr: None,
            field_freeing_calls: Vec::new(),
            drop_freed_fields: HashSet::default(),
            type_aliases: HashMap::default(),
            field_ptrs: HashMap::default(),
            owned_return: false,
            mentions: Default::default(),
            dropped_findings: Dropped::default(),
            unit_start: 0,
            unit_flows: Default::default(),
        }
    }

    /// Analyse the file again after `record` (made with the imports `old`;
    /// this analyser has been given `new`): functions whose lookups all
    /// get the same answers are replayed instead of evaluated.
    pub(crate) fn replay(&mut self, record: Record, old: &[Import], new: &[Import]) {
        self.prior = Some(Prior {
            record,
            dirty: Dirty::between(old, new),
        });
    }

    /// Learn the imports and literal constants of (a chunk of) the file;
    /// every chunk is added before any is run.
    pub fn add_context(&mut self, file: &syn::File) {
        self.imports.extend_from(file);
        self.collect_literal_consts(file);
        // A verifier implements a trait named `...CertVerifier`.
        if self.source.contains("CertVerifier") {
            crate::checks::collect_verifiers(file, &mut self.verifiers, &mut self.verifier_places);
        }
        if self.source.contains("unsafe impl") {
            crate::checks::collect_send_sync_facts(file, &mut self.send_sync_facts);
        }
        if self.source.contains("danger_accept_invalid") {
            crate::checks::collect_true_args(file, &mut self.true_args);
        }
        if self.source.contains("Debug")
            || self.source.contains("Display")
            || self.source.contains("Serialize")
            || self.source.contains("Deserialize")
        {
            crate::checks::collect_secret_debug_types(file, &mut self.secret_debug_types);
        }
        self.collect_field_types(file);
        if ["read_exact", "read_u", "read_i", "get_u", "get_i"]
            .iter()
            .any(|w| self.source.contains(w))
        {
            collect_input_types(file, &mut self.input_types);
        }
        if self.source.contains("unsafe") && self.source.contains("_ptr()") {
            crate::checks::collect_field_ptrs(file, &mut self.field_ptrs);
        }
        if self.source.contains("impl Drop") {
            crate::checks::collect_drop_freed_fields(file, &mut self.drop_freed_fields);
        }
        // Read only for `&'static str` fields.
        if self.source.contains("'static str") {
            self.collect_nonliteral_fields(file);
        }
        // Only where a key is built from bytes at all.
        if [
            "from_slice",
            "from_secret",
            "Key::new",
            "KeyInit",
            "Crypter::new",
            "symm::",
        ]
        .iter()
        .any(|w| self.source.contains(w))
        {
            self.collect_literal_fields(file);
        }
        if self.source.contains("warp") {
            self.collect_warp_handlers(file);
        }
        if self.source.contains("http://") {
            crate::checks::collect_http_url_fns(file, &mut self.http_url_fns);
        }
        if self.source.contains("-> bool") {
            crate::engine::eval::collect_validators(file, &mut self.validator_fns);
        }
        if self.source.contains("set_verify_callback") {
            crate::checks::collect_accepting_fns(file, &mut self.accepting_fns);
        }
        if self.source.contains("Result")
            && (self.source.contains("Err(")
                || self.source.contains("bail!")
                || self.source.contains("ensure!"))
        {
            crate::engine::eval::collect_result_validators(file, &mut self.result_validators);
        }
        if self.source.contains("XML_PARSE") {
            self.xxe.collect(file, &self.imports);
        }
    }

    /// [`Self::nonliteral_fields`] of (a chunk of) the file: struct
    /// literals and assignments giving a field something other than a
    /// string literal or a constant.
    fn collect_nonliteral_fields(&mut self, file: &syn::File) {
        struct Writes<'a, 'f> {
            a: &'a mut FileAnalyzer<'f>,
            self_ty: Option<String>,
        }
        fn fixed(e: &Expr) -> bool {
            match peel(e) {
                Expr::Lit(_) => true,
                Expr::Path(p) => p.path.segments.last().is_some_and(|s| {
                    s.ident
                        .to_string()
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                }),
                // `COLUMNS[i]`, `concat!(..)`, and a choice among such.
                Expr::Index(i) => fixed(&i.expr),
                Expr::Macro(m) => m.mac.path.is_ident("concat"),
                Expr::If(i) => {
                    i.then_branch
                        .stmts
                        .last()
                        .is_some_and(|s| matches!(s, Stmt::Expr(e, None) if fixed(e)))
                        && i.else_branch.as_ref().is_some_and(|(_, e)| fixed(e))
                }
                Expr::Block(b) => b
                    .block
                    .stmts
                    .last()
                    .is_some_and(|s| matches!(s, Stmt::Expr(e, None) if fixed(e))),
                Expr::Match(m) => m
                    .arms
                    .iter()
                    .all(|a| fixed(&a.body) || expr_diverges(&a.body)),
                _ => false,
            }
        }
        impl<'ast> syn::visit::Visit<'ast> for Writes<'_, '_> {
            fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
                let outer = std::mem::replace(&mut self.self_ty, impl_type_name(i));
                syn::visit::visit_item_impl(self, i);
                self.self_ty = outer;
            }
            fn visit_expr_struct(&mut self, e: &'ast syn::ExprStruct) {
                let ty = literal_type_name(e, self.self_ty.as_deref());
                if let Some(ty) = ty {
                    for field in &e.fields {
                        if let syn::Member::Named(name) = &field.member {
                            if !fixed(&field.expr) {
                                self.a.nonliteral_fields.insert(format!("{ty}.{name}"));
                            }
                        }
                    }
                }
                syn::visit::visit_expr_struct(self, e);
            }
            fn visit_expr_assign(&mut self, e: &'ast syn::ExprAssign) {
                if let Expr::Field(f) = peel(&e.left) {
                    if let syn::Member::Named(name) = &f.member {
                        if !fixed(&e.right) {
                            // `self.table = ..` in an `impl`: that struct's.
                            let key = match (peel(&f.base), &self.self_ty) {
                                (Expr::Path(p), Some(ty)) if p.path.is_ident("self") => {
                                    format!("{ty}.{name}")
                                }
                                _ => name.to_string(),
                            };
                            self.a.nonliteral_fields.insert(key);
                        }
                    }
                }
                syn::visit::visit_expr_assign(self, e);
            }
        }
        syn::visit::Visit::visit_file(
            &mut Writes {
                a: self,
                self_ty: None,
            },
            file,
        );
    }

    /// An HTTP client's type (`reqwest::Client`, `&ureq::Agent`,
    /// `Arc<HttpClient>`), not another crate's `Client` (`tower_lsp`'s).
    pub(crate) fn is_http_client_type(&self, ty: &syn::Type) -> bool {
        matches!(peel_wrappers(ty), syn::Type::Path(tp) if {
            let ty = self.imports.resolve(&tp.path);
            let last = crate::patterns::last_segment(&ty);
            let krate = ty.split("::").next().unwrap_or("");
            last == "HttpClient"
                || (matches!(last, "Client" | "Agent" | "ClientWithMiddleware" | "Session")
                    && matches!(
                        krate,
                        "reqwest" | "hyper" | "hyper_util" | "ureq" | "isahc" | "surf" | "awc" | "attohttpc" | "reqwest_middleware"
                    ))
        })
    }

    /// [`Self::field_types`] and [`Self::static_str_fields`] of (a chunk of)
    /// the file.
    fn collect_field_types(&mut self, file: &syn::File) {
        struct Fields<'a, 'f> {
            a: &'a mut FileAnalyzer<'f>,
        }
        impl<'ast> syn::visit::Visit<'ast> for Fields<'_, '_> {
            fn visit_item_struct(&mut self, s: &'ast syn::ItemStruct) {
                // A token beside whom it belongs to (`Hello { client_id,
                // token }`), or beside the HTTP client that sends it
                // (`Depot { client: HttpClient, token }`), is a credential.
                let identified = s.fields.iter().any(|f| {
                    // Or beside the client that presents it.
                    // (An HTTP client's crate, not `tower_lsp::Client`.)
                    let client = self.a.is_http_client_type(&f.ty);
                    client
                        || f.ident.as_ref().is_some_and(|i| {
                            matches!(
                                i.to_string().as_str(),
                                "user"
                                    | "username"
                                    | "user_id"
                                    | "user_name"
                                    | "client_id"
                                    | "account"
                                    | "account_id"
                                    | "email"
                                    | "login"
                                    | "principal"
                                    | "uid"
                            )
                        })
                });
                // A credential's newtype (`struct Token(String)`, `struct
                // ApiKey(String)`): its `.0` is the credential.
                if crate::checks::is_credential_newtype(s) {
                    self.a
                        .credential_fields
                        .insert(format!("{}.0", s.ident), true);
                }
                for field in &s.fields {
                    let Some(name) = &field.ident else {
                        continue;
                    };
                    if crate::patterns::is_bare_credential(&name.to_string()) {
                        let text = is_text_type(&field.ty)
                            && (identified
                                || crate::patterns::is_credential_context(&s.ident.to_string()));
                        *self
                            .a
                            .credential_fields
                            .entry(name.to_string())
                            .or_insert(true) &= text;
                        self.a
                            .credential_fields
                            .insert(format!("{}.{name}", s.ident), text);
                    }
                    if is_static_str(&field.ty) {
                        self.a
                            .static_str_fields
                            .insert(format!("{}.{name}", s.ident));
                    }
                    let syn::Type::Path(tp) = peel_wrappers(&field.ty) else {
                        // Known, with no path type (`[u8; 32]`, `&[u8]`).
                        self.a
                            .struct_fields
                            .insert(format!("{}.{name}", s.ident), Vec::new());
                        continue;
                    };
                    let ty = self.a.imports.resolve(&tp.path);
                    let last = crate::patterns::last_segment(&ty);
                    if last == "bool" || is_numeric_type_name(last) {
                        self.a.scalar_field_names.insert(name.to_string());
                    }
                    self.a
                        .struct_fields
                        .insert(format!("{}.{name}", s.ident), vec![ty.clone()]);
                    let types = self.a.field_types.entry(name.to_string()).or_default();
                    if !types.contains(&ty) {
                        types.push(ty);
                    }
                }
                syn::visit::visit_item_struct(self, s);
            }
        }
        syn::visit::Visit::visit_file(&mut Fields { a: self }, file);
    }

    /// [`Self::literal_fields`] of (a chunk of) the file.
    fn collect_literal_fields(&mut self, file: &syn::File) {
        struct Fields<'a, 'f> {
            a: &'a mut FileAnalyzer<'f>,
            self_ty: Option<String>,
            /// Locals of the function being read that hold literal bytes.
            locals: HashMap<String, Span>,
        }
        impl Fields<'_, '_> {
            fn in_fn(&mut self, visit: impl FnOnce(&mut Self)) {
                let outer = std::mem::take(&mut self.locals);
                visit(self);
                self.locals = outer;
            }
        }
        impl<'ast> syn::visit::Visit<'ast> for Fields<'_, '_> {
            fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
                let outer = std::mem::replace(&mut self.self_ty, impl_type_name(i));
                syn::visit::visit_item_impl(self, i);
                self.self_ty = outer;
            }
            fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
                if !is_test_code(&f.attrs) {
                    self.in_fn(|v| syn::visit::visit_item_fn(v, f));
                }
            }
            fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
                if !is_test_code(&f.attrs) {
                    self.in_fn(|v| syn::visit::visit_impl_item_fn(v, f));
                }
            }
            // A test's fixed key is not the program's (red team rt41).
            fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
                if !is_test_code(&m.attrs) {
                    syn::visit::visit_item_mod(self, m);
                }
            }
            fn visit_local(&mut self, l: &'ast syn::Local) {
                let mut pat = &l.pat;
                if let Pat::Type(t) = pat {
                    pat = &t.pat;
                }
                if let Pat::Ident(p) = pat {
                    let name = p.ident.to_string();
                    // All zeros is a buffer to be filled, here too (`let mut
                    // key = [0u8; 32]; OsRng.fill_bytes(&mut key); Svc { key }`:
                    // red team rt76).
                    match l
                        .init
                        .as_ref()
                        .filter(|i| !all_zero(&i.expr))
                        .and_then(|i| self.a.literal_or_fallback(&i.expr))
                    {
                        Some(span) => {
                            self.locals.insert(name, span);
                        }
                        None => {
                            self.locals.remove(&name);
                        }
                    }
                }
                syn::visit::visit_local(self, l);
            }
            fn visit_expr_struct(&mut self, s: &'ast syn::ExprStruct) {
                let name = match s.path.segments.last().map(|s| s.ident.to_string()) {
                    Some(n) if n == "Self" => self.self_ty.clone(),
                    n => n,
                };
                if let Some(name) = name {
                    for f in &s.fields {
                        let syn::Member::Named(field) = &f.member else {
                            continue;
                        };
                        // All zeros is a buffer to be filled (`[0u8; 32]`
                        // then `fill_bytes`), not a key.
                        if all_zero(&f.expr) {
                            continue;
                        }
                        let span = self
                            .a
                            .literal_or_fallback(&f.expr)
                            .or_else(|| var_of(&f.expr).and_then(|v| self.locals.get(&v).copied()));
                        if let Some(span) = span {
                            self.a
                                .literal_fields
                                .entry(format!("{name}.{field}"))
                                .or_insert(span);
                        }
                    }
                }
                syn::visit::visit_expr_struct(self, s);
            }
        }
        syn::visit::Visit::visit_file(
            &mut Fields {
                a: self,
                self_ty: None,
                locals: HashMap::default(),
            },
            file,
        );
    }

    /// Where literal bytes an expression may be are written: the literal
    /// itself, or the fallback of `from_env().unwrap_or(KEY)` or
    /// `.unwrap_or_else(|_| b"..".to_vec())` (used whenever the other value
    /// is missing).
    pub(crate) fn literal_or_fallback(&self, e: &Expr) -> Option<Span> {
        // An empty default is a missing key, not one written here.
        if is_empty_literal(e) {
            return None;
        }
        if self.is_literal_material(e) {
            return Some(e.span());
        }
        let Expr::MethodCall(m) = peel(e) else {
            return None;
        };
        match (m.method.to_string().as_str(), m.args.first()) {
            ("unwrap_or", Some(a)) if !is_empty_literal(a) && self.is_literal_material(a) => {
                Some(a.span())
            }
            ("unwrap_or_else", Some(Expr::Closure(c)))
                if !is_empty_literal(&c.body) && self.is_literal_material(&c.body) =>
            {
                Some(c.body.span())
            }
            ("into" | "to_vec" | "as_slice" | "as_ref" | "to_owned" | "clone", _) => {
                self.literal_or_fallback(&m.receiver)
            }
            _ => None,
        }
    }

    /// [`Self::warp_handlers`] of (a chunk of) the file.
    fn collect_warp_handlers(&mut self, file: &syn::File) {
        struct Handlers<'a, 'f> {
            a: &'a mut FileAnalyzer<'f>,
        }
        impl<'ast> syn::visit::Visit<'ast> for Handlers<'_, '_> {
            fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
                if matches!(m.method.to_string().as_str(), "map" | "and_then" | "then")
                    && m.args.len() == 1
                    && self.a.is_warp_filter(&m.receiver)
                {
                    // A bare name: `api::get` or `Box::new` may name a
                    // method of the same name elsewhere.
                    if let Some(Expr::Path(p)) = m.args.first().map(peel) {
                        // Not a name imported from elsewhere (`use api::run
                        // as handler`): this file's function of that name
                        // is another one.
                        let local = p.path.get_ident().filter(|n| {
                            let n = n.to_string();
                            self.a.imports.resolve_ident(&n) == n
                        });
                        if let (Some(name), Some(positions)) =
                            (local, self.a.warp_extracts(&m.receiver))
                        {
                            *self.a.warp_handlers.entry(name.to_string()).or_default() |= positions;
                        }
                    }
                }
                syn::visit::visit_expr_method_call(self, m);
            }
        }
        syn::visit::Visit::visit_file(&mut Handlers { a: self }, file);
    }

    pub fn run(&mut self, file: &syn::File) {
        // Byte ranges and block addresses are per parse (a chunk of a
        // large file is another).
        self.macro_bodies = MacroBodies::default();
        self.done.clear();
        // Functions first, callee-first, building summaries; then the
        // rest of the file (impls, constants, trait defaults, nested items).
        let (items, trait_methods) = summary::collect(file, self.include_tests);
        for item in &items {
            let method = item.self_ty.is_some() && item.sig.receiver().is_some();
            self.defined.push((item.key.clone(), method));
        }
        for name in trait_methods {
            self.defined.push((name, true));
        }
        for item in &items {
            // An imported summary under a local function's key is read
            // when the local one is compared or exported.
            self.probes.key(&item.key);
            self.local_keys.insert(item.key.clone());
            self.calls.extend(item.calls.iter().cloned());
        }
        for item in &items {
            if let Some(ty) = &item.self_ty {
                let name = item.key.trim_start_matches(&format!("{ty}::")).to_string();
                self.methods.entry(name).or_default().push(item.key.clone());
            }
        }
        let (order, cyclic) = summary::order(&items);
        // A record of another shape (the file changed) is not replayed.
        let mut prior = self
            .prior
            .take()
            .filter(|p| self.recording && p.record.units.len() == items.len());
        let mut record = Record {
            passes: Vec::new(),
            units: vec![Unit::default(); items.len()],
            rest: Unit::default(),
        };
        if cyclic {
            // Recursion: iterate summaries to a fixpoint (bounded), with
            // findings discarded, before the reporting pass.
            let kept = self.findings.len();
            let dropped = self.dropped_findings;
            for pass in 0..FIXPOINT_PASSES {
                let before = self.summaries.clone();
                let mut units = vec![Unit::default(); items.len()];
                for &i in &order {
                    let old = prior
                        .as_mut()
                        .and_then(|p| p.record.passes.get_mut(pass))
                        .map(|units| std::mem::take(&mut units[i]));
                    let key = items[i].key.as_str();
                    units[i] = self.unit(prior.as_mut(), old, Some(key), |a| {
                        a.analyze_item(&items[i])
                    });
                    // Discarded below; not kept to replay either.
                    units[i].findings = Vec::new();
                }
                self.findings.truncate(kept);
                self.dropped_findings = dropped;
                record.passes.push(units);
                let stop = self.summaries == before;
                // Past the point where the previous analysis stopped (or
                // went on), its record says nothing about this one.
                if prior
                    .as_ref()
                    .is_some_and(|p| (p.record.passes.len() == pass + 1) != stop)
                {
                    prior = None;
                }
                if stop {
                    break;
                }
            }
            if prior
                .as_ref()
                .is_some_and(|p| p.record.passes.len() != record.passes.len())
            {
                prior = None;
            }
        }
        for &i in &order {
            let old = prior
                .as_mut()
                .map(|p| std::mem::take(&mut p.record.units[i]));
            let key = items[i].key.as_str();
            record.units[i] = self.unit(prior.as_mut(), old, Some(key), |a| {
                a.analyze_item(&items[i])
            });
            // Between units no index into the findings is held.
            if self.findings.len() >= COMPACT_FINDINGS_AT {
                self.compact_findings();
            }
        }
        for item in &items {
            self.done.insert(item.block as *const syn::Block as usize);
        }
        let old = prior.as_mut().map(|p| std::mem::take(&mut p.record.rest));
        record.rest = self.unit(prior.as_mut(), old, None, |a| a.visit_file(file));
        // A file analysed in chunks is not replayed.
        self.record = self.recording.then_some(record);
    }

    /// Analyse one function (with its summary `key`) or the rest of the
    /// file with `analyze`, recording what it produces and looks up; or,
    /// when none of the lookups of its previous analysis `old` is dirty,
    /// replay that.
    fn unit(
        &mut self,
        prior: Option<&mut Prior>,
        old: Option<Unit>,
        key: Option<&str>,
        analyze: impl FnOnce(&mut Self),
    ) -> Unit {
        let (Some(prior), Some(old)) = (prior, old) else {
            return self.record_unit(key, analyze);
        };
        if !old.probes.touches(&prior.dirty) {
            self.findings.extend(old.findings.iter().cloned());
            self.dropped_findings.merge(old.dropped);
            self.probes.extend(&old.probes);
            if self.limit_line.is_none() {
                self.limit_line = old.limit_line;
            }
            if let (Some(key), Some(summary)) = (key, &old.summary) {
                self.ret_secrets |= summary.ret_secret.is_some();
                self.put_summary(key.to_string(), summary.clone());
            }
            return old;
        }
        let unit = self.record_unit(key, analyze);
        // Calls of a function whose summary changed now get other answers.
        if let Some(key) = key {
            if unit.summary != old.summary {
                prior.dirty.0.insert(probe_hash(key, false));
            }
        }
        unit
    }

    /// Run `analyze`, keeping apart what it adds to the findings, the
    /// lookups and the depth-limit line, and the function's summary.
    fn record_unit(&mut self, key: Option<&str>, analyze: impl FnOnce(&mut Self)) -> Unit {
        let start = self.findings.len();
        let probes = std::mem::take(&mut self.probes);
        let limit_line = self.limit_line.take();
        let outer = std::mem::replace(&mut self.unit_start, start);
        let outer_flows = std::mem::take(&mut self.unit_flows);
        let dropped_before = std::mem::take(&mut self.dropped_findings);
        analyze(self);
        self.unit_start = outer;
        self.unit_flows = outer_flows;
        let dropped = self.dropped_findings;
        self.dropped_findings = dropped_before;
        self.dropped_findings.merge(dropped);
        let unit = Unit {
            probes: std::mem::replace(&mut self.probes, probes),
            findings: self.findings[start..].to_vec(),
            summary: key.and_then(|key| self.summaries.get(key).cloned()),
            limit_line: self.limit_line,
            dropped,
        };
        self.probes.extend(&unit.probes);
        self.limit_line = limit_line.or(unit.limit_line);
        unit
    }

    fn analyze_item(&mut self, item: &summary::FnItem<'_>) {
        self.analyze_fn_as(
            item.attrs,
            item.sig,
            item.block,
            Some(item.key.clone()),
            item.self_ty.clone(),
            item.public,
        );
    }

    /// Use summaries of functions defined in other files of the crate
    /// (see `crate::crosscrate`): `key` is the name a call resolves to.
    pub(crate) fn import_summary(&mut self, key: String, summary: summary::Summary, method: bool) {
        if method {
            if let Some(name) = key.split("::").last() {
                self.methods
                    .entry(name.to_string())
                    .or_default()
                    .push(key.clone());
            }
        }
        self.ret_secrets |= summary.ret_secret.is_some();
        self.put_summary(key, summary);
    }

    /// Add or replace a summary, noting the fields it frees.
    pub(crate) fn put_summary(&mut self, key: String, summary: summary::Summary) {
        self.freed_field_names
            .extend(summary.frees_fields.iter().cloned());
        self.summaries.insert(key, summary);
    }

    /// This file's summaries that matter to callers in other files (a
    /// parameter reaching a sink, a source returned), with sink and step
    /// locations naming this file.
    pub(crate) fn exports(&self) -> Vec<(String, summary::Summary)> {
        let mut out: Vec<(String, summary::Summary)> = self
            .local_keys
            .iter()
            .filter_map(|key| {
                let s = self.summaries.get(key)?;
                if s.param_sinks.is_empty() && s.ret_source.is_none() && s.logged_params.is_empty()
                {
                    return None;
                }
                let mut s = s.clone();
                for logged in &mut s.logged_params {
                    logged.file.get_or_insert_with(|| self.rel.clone());
                }
                for sink in std::sync::Arc::make_mut(&mut s.param_sinks) {
                    sink.file.get_or_insert_with(|| self.rel.clone());
                    for step in &mut sink.via {
                        step.2.get_or_insert_with(|| self.rel.clone());
                    }
                }
                Some((key.clone(), s))
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Where the evaluator's depth guard stopped descending, if it did.
    pub fn limit_line(&self) -> Option<usize> {
        self.limit_line
    }

    /// [`Self::literal_consts`], [`Self::other_consts`] and
    /// [`Self::str_consts`] of (a chunk of) the file: every `const` and `static`, in modules and function
    /// bodies alike.
    pub(crate) fn collect_literal_consts(&mut self, file: &syn::File) {
        struct Consts<'a, 'f>(&'a mut FileAnalyzer<'f>);
        impl Consts<'_, '_> {
            fn add(&mut self, name: &syn::Ident, value: &Expr) {
                let name = name.to_string();
                if let Some(text) = lit_str(value) {
                    agreed(&mut self.0.str_consts, name.clone(), text);
                }
                if !self.0.is_literal_material(value) {
                    self.0.other_consts.insert(name);
                    return;
                }
                agreed(&mut self.0.literal_consts, name, start_of(value.span()));
            }
        }
        impl<'ast> syn::visit::Visit<'ast> for Consts<'_, '_> {
            fn visit_item_const(&mut self, c: &'ast syn::ItemConst) {
                self.add(&c.ident, &c.expr);
            }
            fn visit_item_static(&mut self, s: &'ast syn::ItemStatic) {
                self.add(&s.ident, &s.expr);
            }
        }
        syn::visit::Visit::visit_file(&mut Consts(self), file);
        // Then functions without parameters that return such bytes
        // (`fn seal_key() -> [u8; 32] { *b".." }`, `b"..".to_vec()`): a
        // call of one is the bytes (blind set j: four keys held so). Kept
        // as `name()` beside the constants; a function of that name that
        // returns anything else (another module's, a method) makes every
        // call of the name unknown, as a constant's does.
        /// The analyser; the names this pass marked not literal; the
        /// functions those return a call of (`a` ending in `b(t)`), which
        /// may be literal once known.
        struct Fns<'a, 'f>(&'a mut FileAnalyzer<'f>, Vec<String>, Vec<String>);
        impl Fns<'_, '_> {
            fn literal_fn_key_of(e: &Expr) -> Option<String> {
                FileAnalyzer::literal_fn_key(e)
            }
            fn other(&mut self, name: String) {
                if self.0.other_consts.insert(name.clone()) {
                    self.1.push(name);
                }
            }
            fn add(&mut self, sig: &syn::Signature, block: &syn::Block) {
                // A method (`fn key(&self)`) apart from a function of the
                // same name: `self.key()` is the one, `key()` the other.
                let name = if sig.receiver().is_some() {
                    format!("{}(self)", sig.ident)
                } else {
                    format!("{}()", sig.ident)
                };
                // Parameters, if any, choose among literals at most (`fn
                // key(dev: bool)`): literal material names no parameter.
                let tail = match block.stmts.as_slice() {
                    [Stmt::Expr(Expr::Return(syn::ExprReturn { expr: Some(e), .. }), _)]
                        if self.0.is_literal_material(e) =>
                    {
                        &**e
                    }
                    [Stmt::Expr(e, None)] if self.0.is_literal_material(e) => e,
                    // `if dev { return b".."; } b".."`: every way out is
                    // literal bytes (red team rt76).
                    [.., last] if self.0.returns_only_literals(block) => match last {
                        Stmt::Expr(Expr::Return(syn::ExprReturn { expr: Some(e), .. }), _) => &**e,
                        Stmt::Expr(e, None) => e,
                        _ => {
                            self.other(name);
                            return;
                        }
                    },
                    _ => {
                        if let Some(Stmt::Expr(tail, None)) = block.stmts.last() {
                            if let Some(callee) = Self::literal_fn_key_of(tail) {
                                self.2.push(callee);
                            }
                        }
                        self.other(name);
                        return;
                    }
                };
                // Where the bytes are written: through a literal function
                // it calls, that function's (red team rt78).
                let at = self.0.written_at(tail);
                agreed(&mut self.0.literal_consts, name, at);
            }
        }
        impl<'ast> syn::visit::Visit<'ast> for Fns<'_, '_> {
            fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
                self.add(&f.sig, &f.block);
                syn::visit::visit_item_fn(self, f);
            }
            fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
                self.add(&f.sig, &f.block);
                syn::visit::visit_impl_item_fn(self, f);
            }
            fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
                if let Some(block) = &f.default {
                    self.add(&f.sig, block);
                } else {
                    let name = if f.sig.receiver().is_some() {
                        format!("{}(self)", f.sig.ident)
                    } else {
                        format!("{}()", f.sig.ident)
                    };
                    self.other(name);
                }
                syn::visit::visit_trait_item_fn(self, f);
            }
        }
        let mut fns = Fns(self, Vec::new(), Vec::new());
        syn::visit::Visit::visit_file(&mut fns, file);
        // A function returning another's literal bytes defined before it
        // (`fn a(t) { b(t) }` then `fn b(_) { [0u8; 32] }`): once more, with
        // what the first pass found (red team rt78), when such a call
        // names a function found literal.
        let callees = std::mem::take(&mut fns.2);
        if callees.iter().any(|k| fns.0.literal_consts.contains_key(k)) {
            for name in std::mem::take(&mut fns.1) {
                fns.0.other_consts.remove(&name);
            }
            syn::visit::Visit::visit_file(&mut fns, file);
        }
        if self.source.contains("type ") {
            for item in &file.items {
                if let syn::Item::Type(t) = item {
                    if let syn::Type::Path(tp) = &*t.ty {
                        if let Some(last) = tp.path.segments.last() {
                            self.type_aliases
                                .insert(t.ident.to_string(), last.ident.to_string());
                        }
                    }
                }
            }
        }
    }

    /// The key [`Self::literal_consts`] gives a call of a function without
    /// arguments (`seal_key()`, `Self::seal_key()`), if the call is one.
    /// A method of the file counts when called on `self` (`self.key()`):
    /// another receiver's type is not known here (`entry.key()`,
    /// `cfg.signing_key()` may be another crate's).
    pub(crate) fn literal_fn_key(e: &Expr) -> Option<String> {
        match peel(e) {
            // With arguments too: `key(dev)` of a function whose every
            // return is literal bytes whatever its arguments.
            Expr::Call(c) => match &*c.func {
                Expr::Path(p) if p.qself.is_none() => Some(format!("{}()", last_ident(&p.path))),
                _ => None,
            },
            // `self.key()` of a method of the file (another receiver's
            // type is not known here: `cfg.signing_key()` of another
            // crate's `Config` is not this file's, red team rt77).
            Expr::MethodCall(m)
                if m.turbofish.is_none()
                    && matches!(peel(&m.receiver), Expr::Path(p) if p.path.is_ident("self")) =>
            {
                Some(format!("{}(self)", m.method))
            }
            _ => None,
        }
    }

    /// Where the constant or static of the file that literal material names
    /// is written (`WEBHOOK_SECRET.as_bytes()`, `Key::from_slice(KEY)`).
    pub(crate) fn const_written_at(&self, e: &Expr) -> Option<Place> {
        match peel(e) {
            Expr::Path(p) if p.path.segments.len() == 1 => self
                .literal_consts
                .get(&p.path.segments[0].ident.to_string())
                .copied()
                .flatten(),
            Expr::Call(_) | Expr::MethodCall(_)
                if Self::literal_fn_key(e).is_some_and(|name| {
                    self.literal_consts.get(&name).is_some_and(Option::is_some)
                }) =>
            {
                Self::literal_fn_key(e)
                    .and_then(|name| self.literal_consts.get(&name).copied().flatten())
            }
            Expr::MethodCall(m) if m.args.is_empty() => self.const_written_at(&m.receiver),
            Expr::Call(c) if c.args.len() == 1 => self.const_written_at(&c.args[0]),
            _ => None,
        }
    }

    /// Where literal material is written: the constant's or literal
    /// function's bytes it names, else the expression itself.
    pub(crate) fn written_at(&self, e: &Expr) -> Place {
        self.const_written_at(e)
            .unwrap_or_else(|| start_of(e.span()))
    }

    /// Does every `return` of the body, and its tail, give literal bytes?
    fn returns_only_literals(&self, block: &syn::Block) -> bool {
        struct Returns<'a, 'f> {
            a: &'a FileAnalyzer<'f>,
            all: bool,
        }
        impl<'ast> syn::visit::Visit<'ast> for Returns<'_, '_> {
            fn visit_expr_return(&mut self, r: &'ast syn::ExprReturn) {
                self.all &= r
                    .expr
                    .as_deref()
                    .is_some_and(|e| self.a.is_literal_material(e));
            }
            fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
            fn visit_item(&mut self, _: &'ast syn::Item) {}
        }
        let tail_ok = match block.stmts.last() {
            Some(Stmt::Expr(Expr::Return(_), _)) => true,
            Some(Stmt::Expr(e, None)) => self.is_literal_material(e),
            _ => false,
        };
        if !tail_ok {
            return false;
        }
        let mut r = Returns { a: self, all: true };
        syn::visit::Visit::visit_block(&mut r, block);
        // Statements before a literal tail do not change what it gives
        // (`let _ = tenant; [0u8; 32]`).
        r.all
    }

    /// A call of a function or method of the file that returns literal
    /// bytes (see [`Self::literal_fn_key`]).
    fn is_literal_fn_call(&self, e: &Expr) -> bool {
        Self::literal_fn_key(e).is_some_and(|name| {
            self.literal_consts.contains_key(&name) && !self.other_consts.contains(&name)
        })
    }

    /// Is this expression fixed bytes written in the source (a literal, an
    /// array of literals, a constant holding one)?
    /// A buffer that only a random number generator wrote (see
    /// [`Var::random`]).
    pub(crate) fn is_random_bytes(cx: &FnCx, e: &Expr) -> bool {
        var_of(e)
            .and_then(|v| cx.vars.get(&v))
            .is_some_and(|v| v.random)
    }

    pub(crate) fn is_literal_material(&self, e: &Expr) -> bool {
        match peel(e) {
            Expr::Lit(l) => matches!(
                l.lit,
                syn::Lit::Str(_) | syn::Lit::ByteStr(_) | syn::Lit::CStr(_)
            ),
            Expr::Array(a) => {
                !a.elems.is_empty() && a.elems.iter().all(|e| matches!(peel(e), Expr::Lit(_)))
            }
            Expr::Repeat(r) => matches!(peel(&r.expr), Expr::Lit(_)),
            // `(b"key", b"iv")`, destructured by `let (key, iv) = ..`.
            Expr::Tuple(t) => {
                !t.elems.is_empty() && t.elems.iter().all(|e| self.is_literal_material(e))
            }
            Expr::Path(p) if p.path.segments.len() == 1 => {
                let name = p.path.segments[0].ident.to_string();
                self.literal_consts.contains_key(&name) && !self.other_consts.contains(&name)
            }
            Expr::MethodCall(m)
                if matches!(
                    m.method.to_string().as_str(),
                    "as_bytes"
                        | "into"
                        | "to_vec"
                        | "as_slice"
                        | "as_ref"
                        | "to_owned"
                        | "to_string"
                ) =>
            {
                self.is_literal_material(&m.receiver) || self.is_literal_fn_call(e)
            }
            Expr::MethodCall(_) => self.is_literal_fn_call(e),
            // All-zero bytes (`unsafe { std::mem::zeroed() }`), or a
            // function of the file returning literal bytes.
            Expr::Call(c) if c.args.is_empty() => {
                matches!(&*c.func, Expr::Path(p) if last_ident(&p.path) == "zeroed")
                    || self.is_literal_fn_call(e)
            }
            Expr::Unsafe(u) => match u.block.stmts.as_slice() {
                [Stmt::Expr(e, None)] => self.is_literal_material(e),
                _ => false,
            },
            // `if prod { [1u8; 32] } else { [2u8; 32] }`, `match env { .. }`:
            // literal bytes whichever is taken.
            Expr::If(i) => {
                let then = matches!(i.then_branch.stmts.as_slice(),
                    [Stmt::Expr(e, None)] if self.is_literal_material(e));
                then && i
                    .else_branch
                    .as_ref()
                    .is_some_and(|(_, e)| self.is_literal_material(e))
            }
            Expr::Block(b) => matches!(b.block.stmts.as_slice(),
                [Stmt::Expr(e, None)] if self.is_literal_material(e)),
            Expr::Match(m) => {
                !m.arms.is_empty() && m.arms.iter().all(|arm| self.is_literal_material(&arm.body))
            }
            Expr::Call(c) if c.args.len() == 1 => match &*c.func {
                Expr::Path(p) => {
                    let name = last_ident(&p.path);
                    (matches!(
                        name.as_str(),
                        "from_slice" | "from" | "clone_from_slice" | "decode" | "Some"
                    ) && self.is_literal_material(&c.args[0]))
                        || self.is_literal_fn_call(e)
                }
                _ => false,
            },
            Expr::Call(_) => self.is_literal_fn_call(e),
            Expr::Macro(m) => {
                let name = last_ident(&m.mac.path);
                name == "hex"
                    || name == "b64"
                    || name == "base64"
                    // `vec![0u8; 64]`, `vec![1, 2, 3]`: literals only.
                    || (name == "vec"
                        && !m.mac.tokens.is_empty()
                        && m.mac.tokens.clone().into_iter().all(|t| match t {
                            proc_macro2::TokenTree::Literal(_) => true,
                            proc_macro2::TokenTree::Punct(p) => matches!(p.as_char(), ',' | ';'),
                            _ => false,
                        }))
            }
            _ => false,
        }
    }

    /// Push a finding unless the current unit already holds
    /// `COMPACT_FINDINGS_AT` (then it is counted in the note): one
    /// function applying a summary of a thousand sinks at each of its
    /// calls must not hold them all (red team rt46: 104 KB took 1 GB).
    pub(crate) fn push_finding(&mut self, finding: RawFinding) -> bool {
        push_capped(
            &mut self.findings,
            self.unit_start,
            &mut self.dropped_findings,
            finding,
        )
    }

    /// Keep the [`crate::limits::MAX_FINDINGS_PER_FILE`] most severe
    /// findings (first by line among equals), counting the others: a file
    /// of a million one-line findings must not hold them all (red team
    /// rt45: 3.5 GB for 8 MB of `unsafe{}`). Only called between units.
    pub(crate) fn compact_findings(&mut self) {
        let keep = crate::limits::MAX_FINDINGS_PER_FILE;
        rank_and_dedup(&mut self.findings);
        if self.findings.len() > keep {
            for f in &self.findings[keep..] {
                if let Some(severity) = severity_of(f) {
                    self.dropped_findings
                        .add(f.file.is_none().then_some(f.line), severity);
                }
            }
            self.findings.truncate(keep);
        }
    }

    pub(crate) fn report(
        &mut self,
        cx: Option<&FnCx>,
        rule: &'static str,
        start: Span,
        end: Span,
        message: String,
    ) -> bool {
        let finding = Self::raw_finding(cx, rule, start, end, message);
        self.push_finding(finding)
    }

    /// The finding [`FileAnalyzer::report`] would report, to report later.
    pub(crate) fn raw_finding(
        cx: Option<&FnCx>,
        rule: &'static str,
        start: Span,
        end: Span,
        message: String,
    ) -> RawFinding {
        let (line, column) = start_of(start);
        let (end_line, end_column) = end_of(end);
        let stmt_line = cx
            .map(|cx| cx.stmt_line)
            .filter(|l| *l > 0 && *l <= line)
            .unwrap_or(line);
        RawFinding {
            rule,
            line,
            column,
            end_line,
            end_column,
            message,
            stmt_line,
            local_source: false,
            flow: Vec::new(),
            file: None,
            covers: None,
            also: &[],
        }
    }

    /// A value derived from this function's parameters reaches a sink:
    /// remember it in the function's summary.
    pub(crate) fn param_sink(
        &mut self,
        cx: &mut FnCx,
        kind: u16,
        taint: Taint,
        what: &str,
        (start, end): (Span, Span),
    ) {
        if !taint.has_param(kind) {
            return;
        }
        let (line, column) = start_of(start);
        let (end_line, end_column) = end_of(end);
        let reportable = summary::reportable(kind, what, taint.is_built());
        let params = taint.params_for(kind);
        if !cx.wants_param_sink(params, kind, line, column, None, reportable) {
            return;
        }
        let stmt_line = if cx.stmt_line > 0 && cx.stmt_line <= line {
            cx.stmt_line
        } else {
            line
        };
        std::sync::Arc::make_mut(&mut cx.summary.param_sinks).push(summary::ParamSink {
            params,
            kind,
            what: what.to_string(),
            line,
            column,
            end_line,
            end_column,
            stmt_line,
            via: Vec::new(),
            file: None,
            built: taint.is_built(),
            reported: false,
        });
    }

    /// Report a tainted value reaching a sink.
    pub(crate) fn report_flow(
        &mut self,
        cx: &FnCx,
        kind: u16,
        taint: Taint,
        message: String,
        (start, end): (Span, Span),
    ) {
        if self.report(Some(cx), rule_for_kind(kind), start, end, message) {
            if let Some(last) = self.findings.last_mut() {
                last.local_source = cx.is_local(taint);
            }
        }
    }

    pub(crate) fn finding(
        &self,
        cx: &FnCx,
        rule: &'static str,
        span: Span,
        message: String,
    ) -> RawFinding {
        let (line, column) = start_of(span);
        let (end_line, end_column) = end_of(span);
        let stmt_line = if cx.stmt_line > 0 && cx.stmt_line <= line {
            cx.stmt_line
        } else {
            line
        };
        RawFinding {
            rule,
            line,
            column,
            end_line,
            end_column,
            message,
            stmt_line,
            local_source: false,
            flow: Vec::new(),
            file: None,
            covers: None,
            also: &[],
        }
    }

    pub(crate) fn skip_as_test(&self, attrs: &[syn::Attribute]) -> bool {
        !self.include_tests && attrs.iter().any(is_test_attr)
    }

    /// Is there a `// SAFETY:` comment on `line`, on the lines of the
    /// statement that contains it, or in the comment block just above?
    pub(crate) fn has_safety_comment(&mut self, line: usize, stmt_line: usize) -> bool {
        let lines = self.comment_lines.get_or_insert_with(|| {
            let mut per_line: Vec<(bool, bool)> = self
                .lines
                .iter()
                .map(|text| {
                    let t = text.trim_start();
                    (
                        false,
                        t.starts_with("#[")
                            || t.starts_with("//")
                            || t.starts_with("/*")
                            || t.starts_with('*'),
                    )
                })
                .collect();
            for comment in crate::comments::comments(self.source) {
                let lower = comment.text.to_ascii_lowercase();
                if lower.contains("safety:") || lower.contains("# safety") {
                    let span = comment.text.lines().count().max(1);
                    for l in comment.line..comment.line + span {
                        if let Some(entry) = per_line.get_mut(l - 1) {
                            entry.0 = true;
                        }
                    }
                }
            }
            per_line
        });
        let at = |l: usize| {
            lines
                .get(l.wrapping_sub(1))
                .copied()
                .unwrap_or((false, false))
        };
        let first = stmt_line.min(line).max(1);
        if (first..=line).any(|l| at(l).0) {
            return true;
        }
        let mut l = first;
        while l > 1 {
            l -= 1;
            let (safety, comment_only) = at(l);
            if safety {
                return true;
            }
            if !comment_only {
                return false;
            }
        }
        false
    }

    pub(crate) fn analyze_item_expr(&mut self, name: &str, e: &Expr) {
        let mut cx = FnCx::default();
        self.binding(None, name, e);
        // Read only where a path is evaluated (`insecure-randomness`): a
        // literal has none.
        cx.secret_context = !matches!(peel(e), Expr::Lit(_)) && is_secret_generation_context(name);
        self.eval(&mut cx, e);
        self.finish_fn(cx);
    }
}

/// Environment variables cargo and the toolchain set for builds and tools.
pub(crate) fn is_toolchain_env(name: &str) -> bool {
    name.starts_with("CARGO")
        || name.starts_with("RUSTC")
        || name.starts_with("DEP_")
        || matches!(
            name,
            "RUSTDOC"
                | "RUSTFLAGS"
                | "OUT_DIR"
                | "TARGET"
                | "HOST"
                | "PROFILE"
                | "OPT_LEVEL"
                | "DEBUG"
                | "NUM_JOBS"
                | "CC"
                | "CXX"
                | "AR"
                | "RUSTUP_TOOLCHAIN"
                // The operator's own directories, used to find configuration.
                | "HOME"
                | "USERPROFILE"
                | "APPDATA"
                | "LOCALAPPDATA"
                | "TMPDIR"
                | "TEMP"
                | "TMP"
                | "DOCKER_CONFIG"
                | "KUBECONFIG"
        )
        || name.starts_with("XDG_")
}

/// A length or index that is a compile-time constant.
pub(crate) fn is_const_like(e: &Expr) -> bool {
    match peel(e) {
        Expr::Lit(_) => true,
        Expr::Path(p) => p.path.segments.last().is_some_and(|s| {
            let name = s.ident.to_string();
            name.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        }),
        Expr::Call(c) => {
            matches!(&*c.func, Expr::Path(p) if last_ident(&p.path).starts_with("size_of"))
        }
        Expr::Binary(b) => is_const_like(&b.left) && is_const_like(&b.right),
        Expr::Cast(c) => is_const_like(&c.expr),
        _ => false,
    }
}

pub(crate) fn rule_for_kind(kind: u16) -> &'static str {
    match kind {
        taint::SQL => id::SQL_INJECTION,
        taint::COMMAND => id::COMMAND_INJECTION,
        taint::PATH => id::PATH_TRAVERSAL,
        taint::URL => id::SSRF,
        taint::HTML => id::XSS,
        taint::REGEX => id::REGEX_INJECTION,
        taint::LOG => id::LOG_INJECTION,
        taint::DESER => id::UNSAFE_DESERIALIZATION,
        _ => id::UNBOUNDED_ALLOCATION,
    }
}

/// The last two segments of a path, for messages.
pub(crate) fn short(path: &str) -> String {
    let segments: Vec<&str> = path.rsplitn(3, "::").collect();
    match segments.as_slice() {
        [last, prev, ..] => format!("{prev}::{last}"),
        _ => path.to_string(),
    }
}

impl<'ast> Visit<'ast> for FileAnalyzer<'_> {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if !self
            .done
            .contains(&(&*f.block as *const syn::Block as usize))
        {
            self.analyze_fn(&f.attrs, &f.sig, &f.block);
        }
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        if !self
            .done
            .contains(&(&f.block as *const syn::Block as usize))
        {
            self.analyze_fn(&f.attrs, &f.sig, &f.block);
        }
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if let Some(block) = &f.default {
            self.analyze_fn(&f.attrs, &f.sig, block);
        }
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if !self.skip_as_test(&m.attrs) {
            syn::visit::visit_item_mod(self, m);
        }
    }

    fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
        if self.skip_as_test(&item.attrs) {
            return;
        }
        for check in crate::checks::CHECKS {
            check.item_impl(self, item);
        }
        syn::visit::visit_item_impl(self, item);
    }

    fn visit_item_const(&mut self, c: &'ast syn::ItemConst) {
        if !self.skip_as_test(&c.attrs) {
            self.analyze_item_expr(&c.ident.to_string(), &c.expr);
        }
    }

    fn visit_item_static(&mut self, s: &'ast syn::ItemStatic) {
        if !self.skip_as_test(&s.attrs) {
            self.analyze_item_expr(&s.ident.to_string(), &s.expr);
        }
    }

    fn visit_impl_item_const(&mut self, c: &'ast syn::ImplItemConst) {
        self.analyze_item_expr(&c.ident.to_string(), &c.expr);
    }

    // Macros at item level (`lazy_static!`, `thread_local!`) are opaque.
    fn visit_item_macro(&mut self, _: &'ast syn::ItemMacro) {}

    // Types named in declarations (`struct Sha1(sha1::Sha1)`, `type H =
    // md5::Md5`) are checked like those in code: a type that wraps a
    // broken hash is where it is chosen.
    fn visit_item_struct(&mut self, s: &'ast syn::ItemStruct) {
        if !self.skip_as_test(&s.attrs) {
            for field in &s.fields {
                self.check_declared_type(&field.ty);
            }
        }
    }

    fn visit_item_enum(&mut self, e: &'ast syn::ItemEnum) {
        if !self.skip_as_test(&e.attrs) {
            for field in e.variants.iter().flat_map(|v| v.fields.iter()) {
                self.check_declared_type(&field.ty);
            }
        }
    }

    fn visit_item_type(&mut self, t: &'ast syn::ItemType) {
        if !self.skip_as_test(&t.attrs) {
            self.check_declared_type(&t.ty);
        }
    }
}

impl FileAnalyzer<'_> {
    /// A type in a declaration, through references and arrays.
    fn check_declared_type(&mut self, ty: &syn::Type) {
        match ty {
            syn::Type::Path(tp) if tp.qself.is_none() => self.check_path(None, &tp.path),
            syn::Type::Reference(r) => self.check_declared_type(&r.elem),
            syn::Type::Array(a) => self.check_declared_type(&a.elem),
            syn::Type::Slice(s) => self.check_declared_type(&s.elem),
            syn::Type::Paren(p) => self.check_declared_type(&p.elem),
            syn::Type::Tuple(t) => {
                for elem in &t.elems {
                    self.check_declared_type(elem);
                }
            }
            _ => {}
        }
    }
}

/// The module path this file's functions live in is not needed: ids are
/// reported per file. Exposed for tests.
#[cfg(test)]
pub(crate) fn analyze_source(source: &str) -> Vec<RawFinding> {
    let Ok(file) = syn::parse_file(source) else {
        return Vec::new();
    };
    let mut analyzer =
        FileAnalyzer::with_lines("src/lib.rs", source, source.lines().collect(), false);
    analyzer.add_context(&file);
    analyzer.run(&file);
    analyzer.findings
}

/// True when every type argument of an extractor is a number or `bool`
/// (possibly in a tuple), which the framework parses before the handler runs.
pub(crate) fn extracts_only_scalars(arguments: &syn::PathArguments) -> bool {
    fn scalar(ty: &syn::Type) -> bool {
        match ty {
            syn::Type::Tuple(t) => !t.elems.is_empty() && t.elems.iter().all(scalar),
            syn::Type::Path(p) => {
                p.qself.is_none()
                    && p.path.get_ident().is_some_and(|i| {
                        let name = i.to_string();
                        name == "bool" || is_numeric_type_name(&name)
                    })
            }
            _ => false,
        }
    }
    let syn::PathArguments::AngleBracketed(args) = arguments else {
        return false;
    };
    let mut types = args.args.iter().filter_map(|a| match a {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    });
    let Some(first) = types.next() else {
        return false;
    };
    scalar(first) && types.all(scalar)
}

/// The type inside the wrappers a shared client is kept in (`Arc<Client>`,
/// `Option<Client>`, `Box<..>`, `Rc<..>`, a reference).
/// Record `value` for `name`, or `None` once two items of that name
/// disagree (a name the file gives two values is known to be neither).
fn agreed<V: PartialEq>(map: &mut HashMap<String, Option<V>>, name: String, value: V) {
    match map.get_mut(&name) {
        Some(old) => {
            if old.as_ref() != Some(&value) {
                *old = None;
            }
        }
        None => {
            map.insert(name, Some(value));
        }
    }
}

fn peel_wrappers(ty: &syn::Type) -> &syn::Type {
    match ty {
        syn::Type::Reference(r) => peel_wrappers(&r.elem),
        syn::Type::Paren(p) => peel_wrappers(&p.elem),
        syn::Type::Path(tp) => {
            let Some(last) = tp.path.segments.last() else {
                return ty;
            };
            if !matches!(
                last.ident.to_string().as_str(),
                "Arc" | "Rc" | "Box" | "Option"
            ) {
                return ty;
            }
            match &last.arguments {
                syn::PathArguments::AngleBracketed(a) if a.args.len() == 1 => {
                    match a.args.first() {
                        Some(syn::GenericArgument::Type(inner)) => peel_wrappers(inner),
                        _ => ty,
                    }
                }
                _ => ty,
            }
        }
        _ => ty,
    }
}

/// `#[cfg(test)]` or `#[test]` code.
fn is_test_code(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("test")
            || (a.path().is_ident("cfg")
                && a.meta.require_list().is_ok_and(|l| {
                    l.tokens
                        .to_string()
                        .split(|c: char| !c.is_alphanumeric() && c != '_')
                        .any(|w| w == "test")
                }))
    })
}

/// `""`, `b""`, `"".to_string()`, `"".into()`: no bytes at all.
fn is_empty_literal(e: &Expr) -> bool {
    match peel(e) {
        Expr::Lit(l) => match &l.lit {
            syn::Lit::Str(s) => s.value().is_empty(),
            syn::Lit::ByteStr(s) => s.value().is_empty(),
            _ => false,
        },
        Expr::MethodCall(m) if m.args.is_empty() => is_empty_literal(&m.receiver),
        _ => false,
    }
}

/// `[0u8; 32]`, `[0; N]`, `vec![0u8; 32]`, `[0, 0, 0]`: a zeroed buffer.
fn all_zero(e: &Expr) -> bool {
    let zero = |e: &Expr| matches!(peel(e), Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. }) if i.base10_digits() == "0");
    match peel(e) {
        Expr::Repeat(r) => zero(&r.expr),
        Expr::Array(a) => !a.elems.is_empty() && a.elems.iter().all(zero),
        Expr::Macro(m) if last_ident(&m.mac.path) == "vec" => m
            .mac
            .tokens
            .clone()
            .into_iter()
            .next()
            .is_some_and(|t| t.to_string().trim_end_matches("u8") == "0"),
        _ => false,
    }
}

/// Text: `String`, `str`, behind references, `Option`, `Box`, `Arc` or
/// `Rc`, or a secret wrapper of text (`SecretString`).
pub(crate) fn is_text_type(ty: &syn::Type) -> bool {
    match peel_wrappers(ty) {
        syn::Type::Path(tp) => tp.path.segments.last().is_some_and(|s| {
            match s.ident.to_string().as_str() {
                "String" | "str" | "SecretString" => true,
                // `Cow<'_, str>`
                "Cow" => matches!(&s.arguments, syn::PathArguments::AngleBracketed(a)
                    if a.args.iter().any(|g| matches!(g, syn::GenericArgument::Type(t) if is_text_type(t)))),
                _ => false,
            }
        }),
        _ => false,
    }
}

/// `&'static str`.
fn is_static_str(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Reference(r)
        if r.mutability.is_none()
            && r.lifetime.as_ref().is_some_and(|l| l.ident == "static")
            && matches!(&*r.elem, syn::Type::Path(p) if p.qself.is_none() && p.path.is_ident("str")))
}

/// The name of the type an `impl` block is for (`impl<T> Reader<T>`:
/// `Reader`).
pub(crate) fn impl_type_name(i: &syn::ItemImpl) -> Option<String> {
    match &*i.self_ty {
        syn::Type::Path(tp) => tp.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// The type a struct literal builds (`Self { .. }` in an `impl`: that
/// type).
pub(crate) fn literal_type_name(e: &syn::ExprStruct, self_ty: Option<&str>) -> Option<String> {
    if e.path.is_ident("Self") {
        self_ty.map(str::to_string)
    } else {
        e.path.segments.last().map(|s| s.ident.to_string())
    }
}

/// A type named like a program's own settings or statistics (`AppConfig`,
/// `Settings`, `Stats`), which the operator writes, not an input.
pub(crate) fn is_config_like(name: &str) -> bool {
    ident_words(name).iter().any(|w| {
        matches!(
            w.as_str(),
            "config" | "conf" | "cfg" | "settings" | "options" | "opts" | "args" | "stats"
        )
    })
}

/// `read_exact`, `read_u32`, `read_u16s` (a helper of the file),
/// `get_u8`, `get_i64_le` (`bytes::Buf`): bytes read from a stream, not
/// `get_unchecked` or `read_unaligned`.
fn reads_integer(name: &str) -> bool {
    name == "read_exact"
        || ["read_u", "read_i", "get_u", "get_i"].iter().any(|p| {
            name.strip_prefix(p)
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        })
}

/// [`FileAnalyzer::input_types`]: the types functions of the file return
/// built (`T { .. }`, `Self { .. }`) from bytes they read (`read_exact`,
/// `read_u32`, `get_u16`, ..), a header or a record of a binary format
/// read from a stream. Not settings (`Config`, `Options`).
fn collect_input_types(file: &syn::File, out: &mut HashSet<String>) {
    use syn::visit::Visit;
    struct Reads(bool);
    impl<'a> Visit<'a> for Reads {
        fn visit_expr_method_call(&mut self, m: &'a syn::ExprMethodCall) {
            if reads_integer(&m.method.to_string()) {
                self.0 = true;
            }
            syn::visit::visit_expr_method_call(self, m);
        }
        fn visit_expr_path(&mut self, p: &'a syn::ExprPath) {
            // (A helper of the file too: `read_u32s::<R, 4>(r)`; not
            // `from_le_bytes` alone, which decodes bytes the caller holds.)
            if p.path
                .segments
                .last()
                .is_some_and(|s| reads_integer(&s.ident.to_string()))
            {
                self.0 = true;
            }
        }
        fn visit_item(&mut self, _: &'a syn::Item) {}
    }
    struct Fns<'o> {
        out: &'o mut HashSet<String>,
        self_ty: Option<String>,
    }
    impl Fns<'_> {
        fn function(&mut self, sig: &syn::Signature, block: &syn::Block) {
            let syn::ReturnType::Type(_, ty) = &sig.output else {
                return;
            };
            // `T`, `Result<T, E>`, `io::Result<T>`, `Option<T>`.
            let mut ty = &**ty;
            while let syn::Type::Path(tp) = ty {
                let Some(last) = tp.path.segments.last() else {
                    return;
                };
                match (&last.arguments, last.ident.to_string().as_str()) {
                    (syn::PathArguments::AngleBracketed(a), "Result" | "Option") => {
                        match a.args.first() {
                            Some(syn::GenericArgument::Type(t)) => ty = t,
                            _ => return,
                        }
                    }
                    _ => break,
                }
            }
            let syn::Type::Path(tp) = ty else { return };
            let Some(last) = tp.path.segments.last() else {
                return;
            };
            let mut name = last.ident.to_string();
            if name == "Self" {
                match &self.self_ty {
                    Some(t) => name = t.clone(),
                    None => return,
                }
            }
            if is_config_like(&name) || !name.starts_with(|c: char| c.is_ascii_uppercase()) {
                return;
            }
            let mut reads = Reads(false);
            reads.visit_block(block);
            if !reads.0 {
                return;
            }
            struct Builds<'n>(&'n str, Option<&'n str>, bool);
            impl<'a> Visit<'a> for Builds<'_> {
                fn visit_expr_struct(&mut self, e: &'a syn::ExprStruct) {
                    if e.path.is_ident(self.0)
                        || (e.path.is_ident("Self") && self.1 == Some(self.0))
                    {
                        self.2 = true;
                    }
                    syn::visit::visit_expr_struct(self, e);
                }
                fn visit_item(&mut self, _: &'a syn::Item) {}
            }
            let mut builds = Builds(&name, self.self_ty.as_deref(), false);
            builds.visit_block(block);
            if builds.2 {
                self.out.insert(name);
            }
        }
    }
    impl<'a> Visit<'a> for Fns<'_> {
        fn visit_item_impl(&mut self, i: &'a syn::ItemImpl) {
            let outer = std::mem::replace(&mut self.self_ty, impl_type_name(i));
            syn::visit::visit_item_impl(self, i);
            self.self_ty = outer;
        }
        fn visit_item_fn(&mut self, f: &'a syn::ItemFn) {
            self.function(&f.sig, &f.block);
            syn::visit::visit_item_fn(self, f);
        }
        fn visit_impl_item_fn(&mut self, f: &'a syn::ImplItemFn) {
            self.function(&f.sig, &f.block);
            syn::visit::visit_impl_item_fn(self, f);
        }
    }
    Fns { out, self_ty: None }.visit_file(file);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taint_flows_through_let_format_and_push_str() {
        let src = r#"
            fn handler() {
                let name = std::env::args().nth(1).unwrap();
                let mut q = String::from("SELECT * FROM t WHERE n = '");
                q.push_str(&name);
                let q2 = format!("{q}'");
                conn.execute(&q2, []).unwrap();
            }
        "#;
        let findings = analyze_source(src);
        assert!(
            findings
                .iter()
                .any(|f| f.rule == id::SQL_INJECTION && f.line == 7),
            "{findings:?}"
        );
    }
}
