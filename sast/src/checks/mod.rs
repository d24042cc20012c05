//! One module per rule, registered in [`CHECKS`].
//!
//! The engine (`crate::engine`) walks each function once, tracking taint,
//! and at every node a rule may care about it calls the matching hook of
//! every check: calls, method calls, the outermost call of a builder chain,
//! macros, paths, literals, `unsafe` blocks, indexing, named bindings,
//! `impl` items and the end of a function. A check looks at the node, asks
//! the engine what it knows (taint, variable facts, resolved paths) and
//! reports. Adding a rule means one module here, one line in [`CHECKS`], a
//! catalogue entry in `rules.rs` and a fixture in
//! `tests/fixtures/rules/<rule-id>.rs`.

use crate::engine::{FileAnalyzer, FnCx};
use crate::macros::{MacroArg, Render};
use crate::taint::Taint;
use proc_macro2::Span;

mod cleartext_logging;
mod cleartext_storage;
mod cleartext_url;
mod command_injection;
mod ctor_uses_std;
mod dangling_pointer;
mod get_unchecked_dynamic_index;
mod hardcoded_crypto_key;
mod hardcoded_secret;
mod insecure_cookie;
mod insecure_randomness;
mod leaked_credential;
mod log_injection;
mod path_rules;
mod path_traversal;
mod permissive_cors;
mod predictable_temp_file;
mod raw_parts_dynamic_length;
mod regex_injection;
mod sensitive_header;
mod sql_injection;
mod ssrf;
mod tls_verification_disabled;
mod trusted_exe_path;
mod unbounded_allocation;
mod undocumented_unsafe;
mod uninitialized_memory;
mod unsafe_deserialization;
mod unsafe_send_sync;
mod weak_password_hash;
mod world_writable;
mod xss;
mod xxe;

pub(crate) use cleartext_logging::{
    collect_secret_debug_types, is_credential_newtype, logged_through, secret_source, DESERIALIZE,
};
pub(crate) use cleartext_storage::serialized_secret_field;
pub(crate) use cleartext_url::collect_http_url_fns;
pub(crate) use dangling_pointer::{collect_drop_freed_fields, collect_field_ptrs};
pub(crate) use hardcoded_crypto_key::key_params;
pub(crate) use insecure_cookie::finish as finish_cookies;
pub(crate) use sensitive_header::built_header_value;
pub(crate) use tls_verification_disabled::{
    collect_accepting_fns, collect_true_args, collect_verifiers,
};
pub(crate) use unsafe_send_sync::{collect as collect_send_sync_facts, Facts as SendSyncFacts};
pub(crate) use xxe::XxeOptions;

/// What every check module imports.
mod prelude {
    pub(crate) use super::{Call, MacroCall, Method};
    pub(crate) use crate::engine::*;
    pub(crate) use crate::macros::Render;
    pub(crate) use crate::patterns::*;
    pub(crate) use crate::rules::id;
    pub(crate) use crate::taint;
    pub(crate) use proc_macro2::Span;
    pub(crate) use syn::spanned::Spanned;
    pub(crate) use syn::Expr;
}

/// A function or path call, with its arguments' taints.
pub(crate) struct Call<'e> {
    pub expr: &'e syn::ExprCall,
    /// The resolved callee path (`std::process::Command::new`).
    pub callee: &'e str,
    /// Its last segment (`new`).
    pub last: &'e str,
    pub args: &'e [Taint],
}

/// A method call, with its arguments' taints.
pub(crate) struct Method<'e> {
    pub expr: &'e syn::ExprMethodCall,
    pub name: &'e str,
    pub args: &'e [Taint],
    /// The method name's span.
    pub span: Span,
}

impl Method<'_> {
    /// The whole call's span (computed on demand: syn derives it from the
    /// node's tokens, which costs time proportional to the node's size).
    pub fn full(&self) -> Span {
        syn::spanned::Spanned::span(self.expr)
    }

    pub fn arg0(&self) -> Taint {
        self.args.first().copied().unwrap_or_default()
    }
}

/// A macro invocation, with its arguments parsed and rendered.
pub(crate) struct MacroCall<'e> {
    pub mac: &'e syn::Macro,
    pub name: &'e str,
    /// The resolved macro path (`tracing::info`).
    pub resolved: &'e str,
    pub is_log: bool,
    pub is_print: bool,
    pub args: &'e [MacroArg],
    pub taints: &'e [Taint],
    /// How each argument (by index) is rendered.
    pub rendered: &'e [(usize, Render)],
    /// `{name}` placeholders that capture a variable, with their span.
    pub captured: &'e [(String, Render, Span)],
    /// The format string's text just before each argument's placeholder
    /// (by argument index): `access_token=` in `"access_token={}"`.
    pub labels: &'e [(usize, String)],
}

/// A rule's logic. Every hook defaults to doing nothing.
pub(crate) trait Check: Sync {
    fn call(&self, _a: &mut FileAnalyzer<'_>, _cx: &mut FnCx, _call: &Call<'_>) {}
    fn method(&self, _a: &mut FileAnalyzer<'_>, _cx: &mut FnCx, _m: &Method<'_>) {}
    /// The outermost method call of a chain (`Cookie::build(..)...finish()`).
    fn chain_top(&self, _a: &mut FileAnalyzer<'_>, _cx: &mut FnCx, _m: &syn::ExprMethodCall) {}
    /// A macro, before its arguments are evaluated (`taints` is empty).
    fn macro_enter(&self, _a: &mut FileAnalyzer<'_>, _cx: &mut FnCx, _m: &MacroCall<'_>) {}
    /// A macro, after its arguments are evaluated.
    fn macro_call(&self, _a: &mut FileAnalyzer<'_>, _cx: &mut FnCx, _m: &MacroCall<'_>) {}
    /// A path in an expression or type, resolved through imports.
    fn path(
        &self,
        _a: &mut FileAnalyzer<'_>,
        _cx: Option<&mut FnCx>,
        _path: &syn::Path,
        _resolved: &str,
    ) {
    }
    /// A string or byte-string literal and its value.
    fn literal(
        &self,
        _a: &mut FileAnalyzer<'_>,
        _cx: Option<&FnCx>,
        _lit: &syn::Lit,
        _value: &str,
    ) {
    }
    fn unsafe_block(&self, _a: &mut FileAnalyzer<'_>, _cx: &mut FnCx, _u: &syn::ExprUnsafe) {}
    fn index(&self, _a: &mut FileAnalyzer<'_>, _cx: &mut FnCx, _i: &syn::ExprIndex) {}
    /// A value bound to a name: `let name = value`, a struct field
    /// `name: value`, `const NAME: T = value`.
    fn binding(
        &self,
        _a: &mut FileAnalyzer<'_>,
        _cx: Option<&FnCx>,
        _name: &str,
        _value: &syn::Expr,
    ) {
    }
    fn item_impl(&self, _a: &mut FileAnalyzer<'_>, _item: &syn::ItemImpl) {}
    /// A function body, before the engine evaluates it (for rules that
    /// follow their own state through the body in source order).
    fn function(
        &self,
        _a: &mut FileAnalyzer<'_>,
        _cx: &FnCx,
        _sig: &syn::Signature,
        _block: &syn::Block,
    ) {
    }
}

/// Whether the source lines of a function (signature to closing brace)
/// contain any of `words`: a cheap gate for a check's own walk of the
/// body. Lines out of range (a macro-made span) count as a mention.
pub(crate) fn function_mentions(
    a: &FileAnalyzer<'_>,
    sig: &syn::Signature,
    block: &syn::Block,
    // `'static`: the list's address identifies it in the cache.
    words: &'static [&'static str],
) -> bool {
    // The field, not `Spanned::span` (which tokenises the keyword).
    let first = crate::engine::start_of(sig.fn_token.span).0;
    let last = crate::engine::start_of(block.brace_token.span.close()).0;
    let Some(lines) = a.lines.get(first.saturating_sub(1)..last) else {
        return true;
    };
    // A file that mentions none of the words has no function that does
    // (searched once per file and list).
    let file_key = (usize::MAX, usize::MAX, words.as_ptr() as usize);
    let in_file = *a
        .mentions
        .borrow_mut()
        .entry(file_key)
        .or_insert_with(|| words.iter().any(|w| a.source.contains(w)));
    if !in_file {
        return false;
    }
    // Small ranges are searched again (cheaper than the cache); a range
    // of a long line is searched once.
    let bytes: usize = lines.iter().map(|l| l.len()).sum();
    if bytes < 16 * 1024 {
        return lines_mention(a, lines, words);
    }
    let key = (first, last, words.as_ptr() as usize);
    if let Some(known) = a.mentions.borrow().get(&key) {
        return *known;
    }
    let found = lines_mention(a, lines, words);
    a.mentions.borrow_mut().insert(key, found);
    found
}

/// Does the function's text mention any of `words` (computed, unlike
/// [`function_mentions`]'s fixed lists)?
pub(crate) fn function_mentions_any(
    a: &FileAnalyzer<'_>,
    sig: &syn::Signature,
    block: &syn::Block,
    words: &[&str],
) -> bool {
    let first = crate::engine::start_of(sig.fn_token.span).0;
    let last = crate::engine::start_of(block.brace_token.span.close()).0;
    match a.lines.get(first.saturating_sub(1)..last) {
        Some(lines) => lines_mention(a, lines, words),
        None => true,
    }
}

fn lines_mention(a: &FileAnalyzer<'_>, lines: &[&str], words: &[&str]) -> bool {
    // The lines are slices of the source: search their whole range at
    // once (one search per word, not one per word and line).
    let base = a.source.as_ptr() as usize;
    let (Some(head), Some(tail)) = (lines.first(), lines.last()) else {
        return false;
    };
    let start = (head.as_ptr() as usize).wrapping_sub(base);
    let end = (tail.as_ptr() as usize)
        .wrapping_sub(base)
        .saturating_add(tail.len());
    match a.source.get(start..end) {
        Some(text) => words.iter().any(|w| text.contains(w)),
        None => lines
            .iter()
            .any(|line| words.iter().any(|w| line.contains(w))),
    }
}

/// Every check, in the order they run at a node.
pub(crate) static CHECKS: &[&dyn Check] = &[
    &sql_injection::Check,
    &command_injection::Check,
    &path_traversal::Check,
    &ssrf::Check,
    &xss::Check,
    &regex_injection::Check,
    &unbounded_allocation::Check,
    &unsafe_deserialization::Check,
    &log_injection::Check,
    &cleartext_logging::Check,
    &cleartext_storage::Check,
    &path_rules::Check,
    &weak_password_hash::Check,
    &insecure_randomness::Check,
    &tls_verification_disabled::Check,
    &hardcoded_crypto_key::Check,
    &hardcoded_secret::Check,
    &leaked_credential::Check,
    &cleartext_url::Check,
    &insecure_cookie::Check,
    &permissive_cors::Check,
    &world_writable::Check,
    &predictable_temp_file::Check,
    &trusted_exe_path::Check,
    &undocumented_unsafe::Check,
    &uninitialized_memory::Check,
    &raw_parts_dynamic_length::Check,
    &get_unchecked_dynamic_index::Check,
    &unsafe_send_sync::Check,
    &ctor_uses_std::Check,
    &sensitive_header::Check,
    &dangling_pointer::Check,
    &xxe::Check,
];

/// `patterns::CALL_SINKS` by the last segment of their paths, in table
/// order: a callee ends with a sink's path only if its last segment is
/// that path's.
pub(crate) fn call_sinks_by_last_segment(
) -> &'static crate::HashMap<&'static str, Vec<&'static crate::patterns::CallSink>> {
    static INDEX: std::sync::OnceLock<
        crate::HashMap<&'static str, Vec<&'static crate::patterns::CallSink>>,
    > = std::sync::OnceLock::new();
    INDEX.get_or_init(|| {
        let mut index: crate::HashMap<&'static str, Vec<_>> = Default::default();
        for sink in crate::patterns::CALL_SINKS.iter().flat_map(|g| g.iter()) {
            let last = crate::patterns::last_segment(sink.path);
            index.entry(last).or_default().push(sink);
        }
        index
    })
}

/// Report the call sinks of one taint kind from the sink table
/// (`patterns::CALL_SINKS`) that this call's arguments reach.
pub(crate) fn report_call_sinks(
    a: &mut FileAnalyzer<'_>,
    cx: &mut FnCx,
    call: &Call<'_>,
    kind: u16,
) {
    // The call's span only when a sink matches: syn derives it from the
    // call's tokens, and every call is seen by several checks.
    let mut span = None;
    let Some(sinks) = call_sinks_by_last_segment().get(crate::patterns::last_segment(call.callee))
    else {
        return;
    };
    for &sink in sinks {
        if sink.kind != kind {
            continue;
        }
        if let Some(t) = call.args.get(sink.arg) {
            if !crate::patterns::path_ends_with(call.callee, sink.path) {
                continue;
            }
            let span = *span.get_or_insert_with(|| syn::spanned::Spanned::span(call.expr));
            if t.has(sink.kind) {
                let message = format!(
                    "{} reaches {} (`{}`)",
                    cx.describe(*t),
                    sink.what,
                    crate::engine::short(call.callee)
                );
                a.report_flow(cx, sink.kind, *t, message, (span, span));
            }
            a.param_sink(cx, sink.kind, *t, sink.what, (span, span));
        }
    }
}
