//! Macros (format strings, logging, `vec!`), and the hooks for paths,
//! types, literals and named bindings.

use super::*;
use crate::checks::MacroCall;
use crate::checks::CHECKS;

impl FileAnalyzer<'_> {
    // ---- macros --------------------------------------------------------------

    pub(crate) fn eval_macro(&mut self, cx: &mut FnCx, mac: &syn::Macro) -> Taint {
        let name = last_ident(&mac.path);
        let resolved = if mac.path.segments.len() == 1 {
            self.imports.resolve_ident(&name)
        } else {
            self.imports.resolve(&mac.path)
        };
        if name == "vec" {
            if let Some(body) = self.macro_bodies.vec_body(mac) {
                if let Expr::Repeat(r) = &*body {
                    let elem = self.eval(cx, &r.expr);
                    let len = self.eval(cx, &r.len);
                    self.report_sink(
                        cx,
                        ALLOC,
                        len,
                        "an allocation size (`vec![_; n]`)",
                        (r.len.span(), r.len.span()),
                    );
                    return elem;
                }
                return self.eval(cx, &body);
            }
            return Taint::CLEAN;
        }
        let args = self.macro_bodies.args(mac);
        // `ensure!(!p.contains(".."), ..)`, `assert!(ALLOWED.contains(&x))`:
        // past the macro the condition holds, like `if !cond { return }`.
        if matches!(name.as_str(), "ensure" | "assert") {
            if let Some(cond) = args.first() {
                let mut guards = Vec::new();
                if !self.guards(cx, &cond.expr, &mut guards) {
                    cx.validated(&guards);
                }
            }
        }
        let is_print = matches!(
            name.as_str(),
            "println" | "eprintln" | "print" | "eprint" | "dbg"
        );
        let is_log = matches!(
            name.as_str(),
            "info" | "warn" | "error" | "debug" | "trace" | "event" | "log"
        ) && (resolved.starts_with("log::")
            || resolved.starts_with("tracing::")
            || mac.path.segments.len() == 1);
        let mut call = MacroCall {
            mac,
            name: &name,
            resolved: &resolved,
            is_log,
            is_print,
            args: &args,
            taints: &[],
            rendered: &[],
            captured: &[],
            labels: &[],
        };
        for check in CHECKS {
            check.macro_enter(self, cx, &call);
        }

        // Evaluate every argument once; remember taints by position.
        let taints: Vec<Taint> = args.iter().map(|a| self.eval(cx, &a.expr)).collect();
        let fmt_index = args.iter().position(|a| {
            a.name.is_none()
                && matches!(
                    a.expr,
                    Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(_),
                        ..
                    })
                )
        });

        // How each argument is rendered: by its placeholder, or its sigil.
        let mut rendered: Vec<(usize, Render)> = Vec::new();
        let mut labels: Vec<(usize, String)> = Vec::new();
        // What the format string starts with, when that is a placeholder:
        // the head of the text (`format!("{} get", cmd)`: `cmd` is the
        // command line, given whole), not a value pasted into it.
        #[derive(PartialEq)]
        enum Head {
            Rendered,
            Captured,
            None,
        }
        let mut head: Option<Head> = None;
        let mut captured: Vec<(String, Render, Span)> = Vec::new();
        // Arguments (by index into `args`) and captured names placed only
        // after a URL's fixed host (`macros::host_fixed`): they cannot
        // choose where a request goes. Each is put in the first set at
        // every such placement, in the second at any other.
        let mut after_host: (HashSet<usize>, HashSet<usize>) = Default::default();
        let mut captured_after_host: (HashSet<String>, HashSet<String>) = Default::default();
        if let Some(fi) = fmt_index {
            if let Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) = &args[fi].expr
            {
                let positional: Vec<usize> = (fi + 1..args.len())
                    .filter(|i| args[*i].name.is_none())
                    .collect();
                let mut next = 0;
                let text = s.value();
                let starts_with_placeholder = text.starts_with('{') && !text.starts_with("{{");
                let mut pieces: Vec<macros::Piece<'_>> = Vec::new();
                let mut text_from = 0;
                for ph in macros::placeholders(&text) {
                    pieces.push(macros::Piece::Text(
                        text.get(text_from..ph.range.start).unwrap_or(""),
                    ));
                    text_from = ph.range.end;
                    let fixed = macros::host_fixed(&pieces);
                    let target = match &ph.arg {
                        ArgRef::Next => {
                            next += 1;
                            positional.get(next - 1).copied()
                        }
                        ArgRef::Index(n) => positional.get(*n).copied(),
                        ArgRef::Name(n) => {
                            let named = (fi + 1..args.len())
                                .find(|i| args[*i].name.as_deref() == Some(n.as_str()));
                            if named.is_none() {
                                if starts_with_placeholder && head.is_none() {
                                    head = Some(Head::Captured);
                                }
                                captured.push((n.clone(), ph.render, s.span()));
                                if fixed {
                                    captured_after_host.0.insert(n.clone());
                                } else {
                                    captured_after_host.1.insert(n.clone());
                                }
                                pieces.push(self.known_text(cx, n));
                            }
                            named
                        }
                    };
                    if let Some(t) = target {
                        if fixed {
                            after_host.0.insert(t);
                        } else {
                            after_host.1.insert(t);
                        }
                        pieces.push(match lit_str(&args[t].expr) {
                            Some(value) => macros::Piece::Known(value),
                            None => match var_of(&args[t].expr) {
                                Some(v) => self.known_text(cx, &v),
                                None => macros::Piece::Unknown,
                            },
                        });
                        if starts_with_placeholder && head.is_none() {
                            head = Some(Head::Rendered);
                        }
                        rendered.push((t, ph.render));
                        if let Some(macros::Piece::Text(label)) = pieces.iter().rev().nth(1) {
                            labels.push((t, (*label).to_string()));
                        }
                    }
                    head.get_or_insert(Head::None);
                }
            }
        }
        for (i, arg) in args.iter().enumerate() {
            if Some(i) == fmt_index || fmt_index.is_some_and(|fi| i > fi && arg.name.is_none()) {
                continue;
            }
            if fmt_index.is_some_and(|fi| i > fi) {
                continue; // named format arguments: rendered through placeholders
            }
            // tracing fields / args without a format string.
            let render = arg.sigil.unwrap_or(if is_log && arg.name.is_some() {
                Render::Debug
            } else {
                Render::Display
            });
            rendered.push((i, render));
        }

        call.taints = &taints;
        call.rendered = &rendered;
        call.captured = &captured;
        call.labels = &labels;
        for check in CHECKS {
            check.macro_call(self, cx, &call);
        }

        // The macro's value: formatted text carries its arguments' taint
        // (Debug rendering escapes control characters, so not LOG).
        // `format!("SAVEPOINT {name}")`: a parameter pasted into text.
        let pasted = fmt_index.is_some_and(|fi| {
            matches!(&args[fi].expr, Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. })
                if macros::has_literal_text(&s.value()))
        }) && matches!(
            name.as_str(),
            "format" | "format_args" | "write" | "writeln"
        );
        let rendering = |t: Taint, render: Render, is_head: bool| {
            let t = if render == Render::Debug {
                t.without(LOG)
            } else {
                t
            };
            if pasted && !is_head {
                t.built()
            } else {
                t
            }
        };
        let mut result = Taint::CLEAN;
        for (n, (i, render)) in rendered.iter().enumerate() {
            let is_head = n == 0 && head == Some(Head::Rendered);
            let mut t = taints[*i];
            if after_host.0.contains(i) && !after_host.1.contains(i) {
                t = t.without(taint::URL);
            }
            result = result.union(rendering(t, *render, is_head));
        }
        for (n, (ident, render, _)) in captured.iter().enumerate() {
            let mut t = cx.vars.get(ident).map(|v| v.taint).unwrap_or_default();
            if captured_after_host.0.contains(ident) && !captured_after_host.1.contains(ident) {
                t = t.without(taint::URL);
            }
            let is_head = n == 0 && head == Some(Head::Captured);
            result = result.union(rendering(t, *render, is_head));
        }
        if fmt_index.is_none() {
            result = result.union(taint::union_all(taints.iter().copied()));
        }
        if matches!(name.as_str(), "write" | "writeln") {
            if let Some(target) = args.first().and_then(|a| var_of(&a.expr)) {
                cx.changed(&target);
                let entry = cx.vars.entry(target).or_default();
                // Appended to what the target holds: pasted (`write!(sql,
                // "{}'", name)`, red team rt76).
                entry.taint = entry.taint.union(result.built());
            }
            return Taint::CLEAN;
        }
        if name == "matches"
            || name.starts_with("assert")
            || name.starts_with("debug_assert")
            || is_print
            || is_log
        {
            return Taint::CLEAN;
        }
        result
    }

    /// What is known of the text of a name formatted into a string: a
    /// constant's literal (not one a local of the same name hides).
    fn known_text(&self, cx: &FnCx, name: &str) -> macros::Piece<'static> {
        match self.str_consts.get(name) {
            Some(Some(text))
                if !cx.vars.contains_key(name) && !self.other_consts.contains(name) =>
            {
                macros::Piece::Known(text.clone())
            }
            _ => macros::Piece::Unknown,
        }
    }

    // ---- paths, types, literals ------------------------------------------------

    pub(crate) fn check_type(&mut self, cx: &mut FnCx, ty: &syn::Type) {
        if let syn::Type::Path(tp) = ty {
            self.check_path(Some(cx), &tp.path);
        }
    }

    pub(crate) fn check_path(&mut self, cx: Option<&mut FnCx>, path: &syn::Path) {
        // Generic arguments first (`Hmac<Sha1>`, `Hmac::<Sha1>::new`).
        let mut cx = cx;
        for segment in &path.segments {
            if let syn::PathArguments::AngleBracketed(ab) = &segment.arguments {
                for arg in &ab.args {
                    if let syn::GenericArgument::Type(syn::Type::Path(tp)) = arg {
                        self.check_path(cx.as_deref_mut(), &tp.path);
                    }
                }
            }
        }
        let resolved = self.imports.resolve(path);
        for check in CHECKS {
            check.path(self, cx.as_deref_mut(), path, &resolved);
        }
    }

    pub(crate) fn check_literal(&mut self, cx: Option<&FnCx>, lit: &syn::Lit) {
        let value = match lit {
            syn::Lit::Str(s) => s.value(),
            syn::Lit::ByteStr(b) => String::from_utf8_lossy(&b.value()).into_owned(),
            _ => return,
        };
        for check in CHECKS {
            check.literal(self, cx, lit, &value);
        }
    }

    /// Hand a named binding to every check.
    pub(crate) fn binding(&mut self, cx: Option<&FnCx>, name: &str, value: &Expr) {
        for check in CHECKS {
            check.binding(self, cx, name, value);
        }
    }
}
