use super::prelude::*;
use crate::engine::summary::DanglingReturn;
use crate::{HashMap, HashSet};
use std::collections::BTreeSet;
use syn::visit::Visit;
use syn::{Pat, Stmt};

/// `dangling-pointer`: a raw pointer used after the memory it points to is
/// gone. One pass over each function body, in source order, tracking:
///
/// * pointers derived from an owner (`v.as_ptr()`, `&x as *const _`,
///   `addr_of!(x)`, `p.add(n)`, an owner rebuilt with `Box::from_raw(p)`);
/// * the end of an owner: `drop(owner)`, the end of the block that declared
///   it, and frees of the pointer itself (`libc::free`, `dealloc`,
///   `drop_in_place`, `Box::from_raw(p)` dropped at once);
/// * later uses of a pointer whose memory is gone: inside `unsafe`, as a
///   call argument, or returned (reported once per pointer; a second free
///   is reported as a double free);
/// * `as_ptr()` on a temporary (`CString::new(s).unwrap().as_ptr()`) kept
///   in a variable, field or return value: the temporary is dropped at the
///   end of the statement (a variable's is reported at its first use, or
///   where it was made when it is never used);
/// * a function returning a raw pointer to one of its own locals.
///
/// A free inside a block that diverges (`return`, `continue`, `panic!`)
/// does not make the pointer dead after that block; assigning the pointer
/// again revives it.
pub(crate) struct Check;

impl super::Check for Check {
    fn function(
        &self,
        a: &mut FileAnalyzer<'_>,
        cx: &FnCx,
        sig: &syn::Signature,
        block: &syn::Block,
    ) {
        a.owned_return =
            matches!(&sig.output, syn::ReturnType::Type(_, t) if is_owned_buffer_type(t));
        a.freed_params = 0;
        a.grown_params = grown_params(sig, block);
        a.dropped_params = dropped_params(sig, block);
        a.grown_fields = grown_fields(sig, block);
        // Pointing a field again (`as_ptr`, `*const`) and freeing one
        // (`free`, `dealloc`) both need a word `may_involve_pointers`
        // looks for: a body without one is not walked for them.
        let pointers = may_involve_pointers(a, sig, block);
        (a.repointed_fields, a.freed_fields, a.read_fields) = if pointers {
            let freed = freed_fields(sig, block);
            let read = read_fields(sig, block, &freed);
            (repointed_fields(sig, block), freed, read)
        } else {
            Default::default()
        };
        a.set_fields = if sig.receiver().is_some() && pointers {
            assigned_fields(block)
        } else {
            Vec::new()
        };
        if !a.freed_fields.is_empty() {
            a.field_freeing_calls.push(format!(".{}(", sig.ident));
        }
        // `buf.release(); buf.first()`: a caller of a method that frees a
        // field, with no pointer word of its own.
        let pointers = pointers
            || (!a.field_freeing_calls.is_empty() && {
                let calls: Vec<&str> = a.field_freeing_calls.iter().map(String::as_str).collect();
                super::function_mentions_any(a, sig, block, &calls)
            });
        let returns_ptr = matches!(&sig.output, syn::ReturnType::Type(_, t) if type_has_ptr(t));
        a.ret_field_ptr = if returns_ptr && sig.receiver().is_some() {
            returned_field_ptr(block)
        } else {
            None
        };
        if !returns_ptr && !pointers {
            return;
        }
        // The braces' spans: `Spanned::span` of a block re-tokenises all
        // of it (2.8% of a registry scan).
        let lines = end_of(block.brace_token.span.close())
            .0
            .saturating_sub(start_of(block.brace_token.span.open()).0)
            + 1;
        let mut w = Walker {
            unsafe_depth: usize::from(sig.unsafety.is_some()),
            returns_ptr,
            budget: WORK_PER_LINE
                .saturating_mul(lines)
                .saturating_add(WORK_BASE),
            ..Walker::default()
        };
        w.scopes.push(Vec::new());
        // The pointers this type keeps into its own buffers.
        if sig.receiver().is_some() {
            let rels = cx
                .self_ty
                .as_ref()
                .and_then(|t| a.field_ptrs.get(t))
                .cloned()
                .unwrap_or_default();
            for (ptr, buf) in rels {
                let ptr = format!("self.{ptr}");
                w.set_derived(&ptr, &format!("self.{buf}"));
                w.ptr_fields.insert(ptr);
            }
        }
        for input in &sig.inputs {
            match input {
                syn::FnArg::Typed(pt) => {
                    if let Pat::Ident(pi) = strip_pat_type(&pt.pat) {
                        let name = pi.ident.to_string();
                        let owned = match &*pt.ty {
                            syn::Type::Array(_) => true,
                            syn::Type::Path(tp) => matches!(
                                last_ident(&tp.path).as_str(),
                                "Vec" | "String" | "CString" | "Box" | "PathBuf" | "OsString"
                            ),
                            _ => false,
                        };
                        match &*pt.ty {
                            syn::Type::Reference(r) => {
                                if r.mutability.is_some() && is_owned_buffer_type(&r.elem) {
                                    w.lent.insert(name.clone());
                                }
                            }
                            syn::Type::Ptr(_) => {}
                            _ => {
                                w.by_value.insert(name.clone());
                            }
                        }
                        w.declared.insert(name, (0, owned));
                    }
                }
                // `self` taken by value is dropped when the method returns.
                syn::FnArg::Receiver(r) => {
                    if r.reference.is_none() && r.colon_token.is_none() {
                        w.by_value.insert("self".into());
                        w.declared.insert("self".into(), (0, false));
                    }
                }
            }
        }
        // Macro bodies as the evaluator parsed them (parsed once).
        w.bodies = std::mem::take(&mut a.macro_bodies);
        w.a = Some(a);
        w.cx = Some(cx);
        w.walk_block(block, true);
        let Some(a) = w.a.take() else {
            return;
        };
        a.macro_bodies = std::mem::take(&mut w.bodies);
        a.dangling_return = w.ret_dangling.take();
        // Raw-pointer parameters whose memory is gone when the function
        // returns: freed through them (`libc::free(p)`,
        // `drop(Box::from_raw(p))`), or owned by a box rebuilt from them
        // and dropped (`let b = Box::from_raw(ctx);`).
        for (i, input) in sig.inputs.iter().enumerate().take(16) {
            let syn::FnArg::Typed(pt) = input else {
                continue;
            };
            if let (Pat::Ident(pi), syn::Type::Ptr(_)) = (strip_pat_type(&pt.pat), &*pt.ty) {
                let name = pi.ident.to_string();
                // `let b = Box::from_raw(ctx);` in the body, `b` neither
                // returned nor handed on: dropped when the function ends.
                let reclaimed = !a.owned_return
                    && block.stmts.iter().any(|stmt| {
                        let Stmt::Local(l) = stmt else { return false };
                        let (Pat::Ident(owner), Some(init)) = (strip_pat_type(&l.pat), &l.init)
                        else {
                            return false;
                        };
                        call_name(peel_unsafe(&init.expr)).is_some_and(|(callee, args)| {
                            is_reclaim(&callee)
                                && args.first().and_then(ident_of).as_deref() == Some(name.as_str())
                        }) && w.body_owned.contains(&owner.ident.to_string())
                    });
                // Not a parameter the body points elsewhere (`p = (*p).next`).
                if (reclaimed || (w.freed.contains(&name) && w.dead.contains_key(&name)))
                    && !assigns(block, &name)
                {
                    a.freed_params |= 1 << i;
                }
            }
        }
        for (_, span, message) in std::mem::take(&mut w.temporaries) {
            w.out.push((span, message, None));
        }
        for (span, message, origin) in w.out {
            if a.report(Some(cx), id::DANGLING_POINTER, span, span, message) {
                // The return's own finding is then this one's.
                if let (Some(origin), Some(last)) = (origin, a.findings.last_mut()) {
                    last.cover(origin, "a pointer that dangles is returned", "and used");
                }
            }
        }
        if let Some(span) = w.exhausted {
            let line = start_of(span).0;
            a.report(
                Some(cx),
                id::ANALYSIS_LIMIT,
                span,
                span,
                format!(
                    "dangling-pointer: more than {} steps of pointer bookkeeping in `{}`; not checked from line {line} on",
                    w.budget, sig.ident
                ),
            );
        }
    }
}

/// The dangling-pointer walk's budget for a function: a base, plus this
/// much per line of it (real code takes a few steps per line; inputs made
/// to be quadratic, many pointers into one owner freed in many blocks,
/// take thousands).
const WORK_BASE: usize = 200_000;

/// The owner of a buffer that a block's tail value moved out, until the
/// `let` that binds the block takes it (not a Rust identifier).
const BLOCK_VALUE: &str = "{block value}";
const WORK_PER_LINE: usize = 64;

/// Could the walk report anything in this function? Not unless its text
/// (comments and macro bodies included) has a word that can start one: a
/// pointer made from an owner (`as_ptr`, `addr_of!`, `&raw`, a cast of a
/// reference, which names `*const` or `*mut`), an owner rebuilt from a
/// pointer (`from_raw`, `into_raw`) or a free (`free`, `xmlFree`,
/// `dealloc`, `CFRelease`, `munmap`). Pointer arithmetic (`add`,
/// `offset`, `cast`) and other casts only carry a pointer that one of these
/// made, or a parameter (whose `*const`/`*mut` type is in the text, and
/// which dies only by a free). A returned pointer type is checked apart.
fn may_involve_pointers(a: &FileAnalyzer<'_>, sig: &syn::Signature, block: &syn::Block) -> bool {
    const WORDS: &[&str] = &[
        "ptr",
        "addr_of",
        "raw",
        "*const",
        "*mut",
        "free",
        "Free",
        "dealloc",
        "CFRelease",
        "munmap",
        "unsafe",
    ];
    super::function_mentions(a, sig, block, WORDS)
}

fn type_has_ptr(t: &syn::Type) -> bool {
    match t {
        syn::Type::Ptr(_) => true,
        syn::Type::Paren(p) => type_has_ptr(&p.elem),
        syn::Type::Group(g) => type_has_ptr(&g.elem),
        syn::Type::Tuple(t) => t.elems.iter().any(type_has_ptr),
        syn::Type::Array(a) => type_has_ptr(&a.elem),
        // `Vec<*const c_char>`, `Option<*mut T>`.
        syn::Type::Path(p) => p.path.segments.last().is_some_and(|s| {
            // `NonNull<T>`: a raw pointer that is never null.
            s.ident == "NonNull"
                || matches!(s.ident.to_string().as_str(), "Vec" | "Option" | "Box")
                    && matches!(&s.arguments, syn::PathArguments::AngleBracketed(a)
                    if a.args.iter().any(|g| matches!(g, syn::GenericArgument::Type(t) if type_has_ptr(t))))
        }),
        _ => false,
    }
}

/// A type whose value owns a heap buffer (`Vec<u8>`, `String`, `CString`).
fn is_owned_buffer_type(t: &syn::Type) -> bool {
    match t {
        syn::Type::Path(p) if p.qself.is_none() => p.path.segments.last().is_some_and(|s| {
            match s.ident.to_string().as_str() {
                "Vec" | "String" | "CString" | "Box" | "OsString" | "PathBuf" | "BytesMut" => true,
                // `Result<Vec<u8>, E>`, `io::Result<Vec<u8>>`, `Option<String>`:
                // the buffer, once unwrapped (`f()?.as_ptr()`).
                "Result" | "Option" => match &s.arguments {
                    syn::PathArguments::AngleBracketed(a) => {
                        matches!(a.args.first(), Some(syn::GenericArgument::Type(t)) if is_owned_buffer_type(t))
                    }
                    _ => false,
                },
                _ => false,
            }
        }),
        syn::Type::Paren(p) => is_owned_buffer_type(&p.elem),
        _ => false,
    }
}

/// `names.iter().map(|n| CString::new(*n).unwrap().as_ptr()).collect()`:
/// pointers into temporaries, each dropped at the end of the closure.
fn collects_temporary_ptrs(e: &Expr) -> bool {
    let Expr::MethodCall(m) = e else {
        return false;
    };
    if m.method != "collect" {
        return false;
    }
    let mut recv = &*m.receiver;
    while let Expr::MethodCall(inner) = recv {
        if matches!(
            inner.method.to_string().as_str(),
            "map" | "filter_map" | "flat_map"
        ) {
            if let Some(Expr::Closure(c)) = inner.args.first() {
                let body = match &*c.body {
                    Expr::Block(b) => block_tail(&b.block),
                    other => Some(other),
                };
                if body.is_some_and(Walker::temporary_ptr) {
                    return true;
                }
            }
        }
        recv = &inner.receiver;
    }
    false
}

#[derive(Default)]
struct Walker<'w, 'f> {
    /// Pointer variable -> the owner its memory belongs to.
    derived: HashMap<String, String>,
    /// Owner -> pointers derived from it (an index of `derived`; entries
    /// whose pointer now derives from something else are dropped when
    /// read). A set: a pointer forgotten and derived again from the same
    /// owner (`p = q.add(1)` in a loop body written out) is one entry, not
    /// one per assignment.
    pointers: HashMap<String, BTreeSet<String>>,
    /// Steps of bookkeeping done for this function (pointers derived,
    /// marked dead, walked, moved, undone), against `budget`.
    work: usize,
    /// The most steps this function gets (in proportion to its length);
    /// past it the walk stops and says so with an `analysis-limit` note,
    /// so that no input makes the rule's work grow without bound.
    budget: usize,
    /// Where the walk stopped for want of budget.
    exhausted: Option<Span>,
    /// Pointer variables made by taking an address (`&x`, `&raw const x`,
    /// `addr_of!(x)`), not by asking an owner for its buffer.
    addressed: HashSet<String>,
    /// Pointer variable -> why its memory is gone, and whether it was freed
    /// through the pointer itself (for double frees).
    dead: HashMap<String, (String, bool)>,
    /// Changes to `dead` (the name and its previous entry) while a block
    /// or match arm that diverges is walked: undone at its end, so that
    /// putting the dead set back costs what the block changed, not the
    /// size of the set.
    undo: Vec<(String, Option<(String, bool)>)>,
    /// Diverging blocks being walked (`undo` records while non-zero).
    undo_open: usize,
    /// Pointer variable -> why it points to no valid value (null,
    /// dangling, its value dropped in place), and whether writing through
    /// it is wrong too (null and dangling; a dropped value may be written
    /// again or freed).
    invalid: HashMap<String, (String, bool)>,
    /// Variable -> (block depth, holds an owned value).
    declared: HashMap<String, (usize, bool)>,
    /// Parameters taken by value (dropped when the function returns).
    by_value: HashSet<String>,
    /// Parameters lending a buffer to grow (`buf: &mut Vec<u8>`): passed
    /// on as they are (`extend(buf, ..)`), they lend the caller's buffer.
    lent: HashSet<String>,
    /// Fields holding a pointer (`self.cursor`), not a buffer of their own:
    /// they die with what they point into, like a variable.
    ptr_fields: HashSet<String>,
    /// Locals holding a value made on the spot (a literal, a struct or
    /// variant, arithmetic, a copy of a by-value parameter), not a
    /// reference: their address dies with them.
    valued: HashSet<String>,
    /// Locals holding a value with a heap buffer made on the spot
    /// (`vec![..]`, `String::from(..)`, `.to_vec()`): moved elsewhere,
    /// the buffer moves with it.
    heap: HashSet<String>,
    /// Names declared per open block.
    scopes: Vec<Vec<String>>,
    /// Per loop being walked: pointers a block leaving it (`break`,
    /// `continue`) left dead, dead after the loop.
    loop_exits: Vec<Vec<(String, (String, bool))>>,
    /// Every name bound so far, in order (a name bound inside one of
    /// `walk_alternatives`' branches is a new variable, not the outer one
    /// assigned again).
    bound_log: Vec<String>,
    /// Locals of the function's body still holding an owned value when
    /// it ends (dropped then).
    body_owned: HashSet<String>,
    /// Pointers whose memory a free or a drop ended (not a buffer that
    /// may have moved): with [`Self::dead`], a parameter the function
    /// frees ([`crate::engine::summary::Summary::frees_params`]).
    freed: HashSet<String>,
    unsafe_depth: usize,
    returns_ptr: bool,
    /// The function returns a pointer to this local (for its summary).
    ret_dangling: Option<DanglingReturn>,
    /// (variable, line) pairs already reported.
    reported: HashSet<(String, usize)>,
    /// Pointers made by `owner.as_ptr()` (see `derive`).
    buffer_views: HashSet<String>,

    /// Pointers into a temporary (`let p = CString::new(s)?.as_ptr();`),
    /// with where the temporary was made: reported at their first use
    /// (where the memory is read; the temporary's line is in the
    /// message), or, never used, where they were made.
    temporaries: Vec<(String, Span, String)>,
    /// Findings: where, the message, and the line of a same-file helper's
    /// return the dangling pointer came from.
    out: Vec<(Span, String, Option<Place>)>,
    /// Pointers bound from a same-file helper that returns a dangling
    /// one: the line of that return.
    origins: HashMap<String, Place>,
    /// The analysis's parsed macro bodies, lent for the walk.
    bodies: crate::engine::MacroBodies,
    /// The analyser and function, lent for summary lookups.
    a: Option<&'w mut FileAnalyzer<'f>>,
    cx: Option<&'w FnCx>,
}

/// Strip casts, parentheses and references to a path's single identifier.
fn ident_of(e: &Expr) -> Option<String> {
    match e {
        Expr::Cast(c) => ident_of(&c.expr),
        Expr::Paren(p) => ident_of(&p.expr),
        Expr::Group(g) => ident_of(&g.expr),
        Expr::Path(p) if p.path.segments.len() == 1 && p.qself.is_none() => {
            Some(p.path.segments[0].ident.to_string())
        }
        Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "cast" | "cast_mut" | "cast_const"
            ) =>
        {
            ident_of(&m.receiver)
        }
        _ => None,
    }
}

fn call_name(e: &Expr) -> Option<(String, &syn::punctuated::Punctuated<Expr, syn::Token![,]>)> {
    match e {
        Expr::Call(c) => match &*c.func {
            Expr::Path(p) => Some((path_idents(&p.path).join("::"), &c.args)),
            _ => None,
        },
        _ => None,
    }
}

/// A value created by the expression and owned by whoever holds it (so a
/// pointer into it dangles once it is dropped).
fn is_owned_value(e: &Expr) -> bool {
    match e {
        Expr::Lit(l) => !matches!(
            l.lit,
            syn::Lit::Str(_) | syn::Lit::ByteStr(_) | syn::Lit::CStr(_)
        ),
        Expr::Array(_) | Expr::Repeat(_) | Expr::Struct(_) | Expr::Tuple(_) => true,
        Expr::Paren(p) => is_owned_value(&p.expr),
        Expr::Macro(m) => matches!(last_ident(&m.mac.path).as_str(), "vec" | "format"),
        Expr::Try(t) => is_owned_value(&t.expr),
        // `match units { Some(u) => format!(..), None => format!(..) }`:
        // owned when every branch is.
        Expr::Match(m) => !m.arms.is_empty() && m.arms.iter().all(|a| is_owned_value(&a.body)),
        Expr::If(i) => {
            block_tail(&i.then_branch).is_some_and(is_owned_value)
                && i.else_branch
                    .as_ref()
                    .is_some_and(|(_, e)| is_owned_value(e))
        }
        Expr::Block(b) => block_tail(&b.block).is_some_and(is_owned_value),
        // `unsafe { Box::from_raw(p) }`
        Expr::Unsafe(u) => block_tail(&u.block).is_some_and(is_owned_value),
        Expr::Call(c) => match &*c.func {
            Expr::Path(p) => {
                let segs = path_idents(&p.path);
                let last = segs.last().map(String::as_str).unwrap_or("");
                let ty = if segs.len() >= 2 {
                    segs[segs.len() - 2].as_str()
                } else {
                    ""
                };
                matches!(
                    ty,
                    "String"
                        | "Vec"
                        | "CString"
                        | "Box"
                        | "OsString"
                        | "PathBuf"
                        | "BytesMut"
                        | "VecDeque"
                ) && matches!(
                    last,
                    "new"
                        | "from"
                        | "with_capacity"
                        | "from_vec"
                        | "default"
                        | "from_utf8"
                        | "from_raw"
                        | "from_raw_parts"
                )
                    // `hex::decode(s)`, `base64::decode(s)`: a new `Vec`.
                    || (matches!(ty, "hex" | "base64" | "base32" | "bs58") && last == "decode")
            }
            _ => false,
        },
        Expr::MethodCall(m) => {
            let name = m.method.to_string();
            match name.as_str() {
                "to_string"
                | "to_vec"
                | "to_owned"
                | "into_bytes"
                | "into_boxed_slice"
                | "to_string_lossy_owned"
                | "into_string"
                | "into_vec" => true,
                "collect" => true,
                // `STANDARD.decode(b64)` (base64's `Engine`): a new `Vec`.
                "decode" => m.args.len() == 1,
                "unwrap" | "expect" | "unwrap_or_default" => is_owned_value(&m.receiver),
                _ => false,
            }
        }
        _ => false,
    }
}

/// A block's value: its last statement, an expression without `;`.
fn block_tail(b: &syn::Block) -> Option<&Expr> {
    match b.stmts.last() {
        Some(syn::Stmt::Expr(e, None)) => Some(e),
        _ => None,
    }
}

/// An owned value with a heap buffer (not a literal, array, tuple or
/// struct, whose bytes are where the value is).
fn is_heap_value(e: &Expr) -> bool {
    match e {
        Expr::Lit(_) | Expr::Array(_) | Expr::Repeat(_) | Expr::Struct(_) | Expr::Tuple(_) => false,
        Expr::Paren(p) => is_heap_value(&p.expr),
        other => is_owned_value(other),
    }
}

/// A temporary whose pointer would dangle at the end of the statement.
fn is_temporary_owner(e: &Expr) -> bool {
    match e {
        Expr::Path(_) | Expr::Field(_) | Expr::Index(_) | Expr::Reference(_) => false,
        Expr::Lit(_) | Expr::Array(_) | Expr::Repeat(_) | Expr::Struct(_) | Expr::Tuple(_) => false,
        _ => is_owned_value(e),
    }
}

impl Walker<'_, '_> {
    fn report(&mut self, span: Span, message: String) {
        self.out.push((span, message, None));
    }

    /// `owner.as_ptr()`-like: the owner variable a pointer expression
    /// points into, or `None`.
    fn pointer_owner(&self, e: &Expr) -> Option<String> {
        match e {
            Expr::Cast(c) => match &*c.expr {
                Expr::Reference(r) => self.place_root(&r.expr),
                inner => self.pointer_owner(inner).or_else(|| ident_of(inner)),
            },
            Expr::Paren(p) => self.pointer_owner(&p.expr),
            Expr::RawAddr(r) => self.place_root(&r.expr),
            // `&x` coerced to a raw pointer (a reference cannot outlive `x`
            // in safe code, so only pointers made from it are followed).
            Expr::Reference(r) => self.place_root(&r.expr),
            // `ptr::from_ref(r)`, `Box::as_ptr(&b)`, `Vec::as_mut_ptr(&mut v)`
            // (not `Rc::as_ptr`: other clones keep the value alive).
            Expr::Call(c) => {
                let Expr::Path(p) = &*c.func else {
                    return None;
                };
                let segs = path_idents(&p.path);
                let last = segs.last().map(String::as_str).unwrap_or("");
                let ty = segs.len().checked_sub(2).map_or("", |i| segs[i].as_str());
                let arg = c.args.first()?;
                match (ty, last) {
                    ("ptr", "from_ref" | "from_mut") => {
                        self.pointer_owner(arg).or_else(|| ident_of(arg))
                    }
                    ("Box" | "Vec" | "String", "as_ptr" | "as_mut_ptr") => match arg {
                        Expr::Reference(r) => self.place_root(&r.expr),
                        other => self.place_root(other),
                    },
                    _ => None,
                }
            }
            Expr::Macro(m)
                if matches!(last_ident(&m.mac.path).as_str(), "addr_of" | "addr_of_mut") =>
            {
                let inner: Expr = m.mac.parse_body().ok()?;
                self.place_root(&inner)
            }
            Expr::MethodCall(m) => {
                let name = m.method.to_string();
                match name.as_str() {
                    // `chunks[0].as_mut_ptr()`: the element's own buffer.
                    "as_ptr" | "as_mut_ptr" | "as_non_null_ptr" => match peel_parens(&m.receiver) {
                        Expr::Index(i) if !matches!(peel_parens(&i.index), Expr::Range(_)) => {
                            self.place_root(&i.expr).map(|r| format!("{r}.[]"))
                        }
                        _ => self.place_root(&m.receiver),
                    },
                    "add" | "offset" | "sub" | "wrapping_add" | "wrapping_sub" | "cast"
                    | "cast_mut" | "cast_const" | "byte_add" => {
                        let r = ident_of(&m.receiver)?;
                        Some(r)
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The variable at the root of a place or borrowing chain
    /// (`v`, `v[0]`, `*b`, `s.as_bytes()`, `v.as_slice()`), with the
    /// fields that lead to the place (`self.buf`): a field's buffer moves
    /// when that field grows, not when another does. `derive` links each
    /// such place to the variable it is a field of.
    fn place_root(&self, e: &Expr) -> Option<String> {
        match e {
            Expr::Path(p) if p.path.segments.len() == 1 && p.qself.is_none() => {
                Some(p.path.segments[0].ident.to_string())
            }
            Expr::Index(i) => self.place_root(&i.expr),
            Expr::Field(f) => {
                let base = self.place_root(&f.base)?;
                Some(match &f.member {
                    syn::Member::Named(n) => format!("{base}.{n}"),
                    syn::Member::Unnamed(i) => format!("{base}.{}", i.index),
                })
            }
            Expr::Paren(p) => self.place_root(&p.expr),
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => self.place_root(&u.expr),
            Expr::MethodCall(m)
                if matches!(
                    m.method.to_string().as_str(),
                    "as_bytes"
                        | "as_slice"
                        | "as_mut_slice"
                        | "as_str"
                        | "as_ref"
                        | "as_mut"
                        | "as_bytes_mut"
                        | "as_c_str"
                        | "deref"
                        | "borrow"
                ) =>
            {
                self.place_root(&m.receiver)
            }
            _ => None,
        }
    }

    /// `x.as_ptr()` where `x` is a temporary.
    fn temporary_ptr(e: &Expr) -> bool {
        match e {
            Expr::Cast(c) => Self::temporary_ptr(&c.expr),
            Expr::Paren(p) => Self::temporary_ptr(&p.expr),
            Expr::MethodCall(m)
                if matches!(m.method.to_string().as_str(), "as_ptr" | "as_mut_ptr") =>
            {
                let mut recv = &*m.receiver;
                loop {
                    match recv {
                        Expr::MethodCall(inner)
                            if matches!(
                                inner.method.to_string().as_str(),
                                "as_bytes"
                                    | "as_slice"
                                    | "as_str"
                                    | "as_c_str"
                                    | "as_bytes_with_nul"
                            ) =>
                        {
                            recv = &inner.receiver;
                        }
                        // `CString::new(s).ok()?.as_ptr()`: the `CString`
                        // the `?` unwrapped is the temporary.
                        Expr::Try(t) => recv = &t.expr,
                        Expr::MethodCall(inner)
                            if matches!(
                                inner.method.to_string().as_str(),
                                "ok" | "unwrap"
                                    | "expect"
                                    | "unwrap_or_default"
                                    | "map_err"
                                    | "context"
                                    | "with_context"
                            ) && matches!(&*inner.receiver, Expr::Call(_)) =>
                        {
                            recv = &inner.receiver;
                        }
                        _ => break,
                    }
                }
                is_temporary_owner(recv)
            }
            _ => false,
        }
    }

    /// A call of a function of this crate declared to return an owned
    /// buffer (`let hdr = self.encode_header();`).
    fn returns_owned(&mut self, e: &Expr) -> bool {
        let (Some(a), Some(cx)) = (self.a.as_deref_mut(), self.cx) else {
            return false;
        };
        let key = match peel_unsafe(e) {
            Expr::Call(c) => {
                let Expr::Path(p) = &*c.func else {
                    return false;
                };
                let callee = a.imports.resolve(&p.path);
                a.summary_key(cx, &callee, false)
            }
            Expr::MethodCall(m) => a.summary_key(cx, &m.method.to_string(), true),
            _ => None,
        };
        key.and_then(|k| a.summaries.get(&k))
            .is_some_and(|s| s.ret_owned)
    }

    /// `to_wide(s).as_ptr()` where `to_wide` is a crate function declared
    /// to return an owned buffer: a pointer into a temporary.
    fn ptr_into_owned_call(&mut self, e: &Expr) -> bool {
        match e {
            Expr::Cast(c) => self.ptr_into_owned_call(&c.expr),
            Expr::Paren(p) => self.ptr_into_owned_call(&p.expr),
            Expr::MethodCall(m)
                if matches!(m.method.to_string().as_str(), "as_ptr" | "as_mut_ptr") =>
            {
                // `self.fetch(..)?.as_ptr()`, `load(p).unwrap().as_ptr()`.
                let receiver = match peel_parens(&m.receiver) {
                    Expr::Try(t) => peel_parens(&t.expr),
                    Expr::MethodCall(u)
                        if matches!(u.method.to_string().as_str(), "unwrap" | "expect")
                            && matches!(
                                peel_parens(&u.receiver),
                                Expr::Call(_) | Expr::MethodCall(_)
                            ) =>
                    {
                        peel_parens(&u.receiver)
                    }
                    other => other,
                };
                matches!(receiver, Expr::Call(_) | Expr::MethodCall(_))
                    && self.returns_owned(receiver)
            }
            _ => false,
        }
    }

    fn bind(&mut self, name: &str, init: Option<&Expr>) {
        self.bound_log.push(name.to_string());
        self.forget(name);
        let depth = self.scopes.len();
        let owned = init.is_some_and(|e| is_owned_value(e) || self.returns_owned(e));
        self.declared.insert(name.to_string(), (depth, owned));
        self.note_value(name, init);
        if let Some(scope) = self.scopes.last_mut() {
            scope.push(name.to_string());
        }
        if let Some(init) = init {
            self.derive(name, init);
        }
    }

    fn note_value(&mut self, name: &str, init: Option<&Expr>) {
        let valued = init.is_some_and(|e| {
            is_value_init(e) || ident_of(e).is_some_and(|v| self.by_value.contains(&v))
        });
        if valued {
            self.valued.insert(name.to_string());
        } else {
            self.valued.remove(name);
        }
        if init.is_some_and(is_heap_value) {
            self.heap.insert(name.to_string());
        } else {
            self.heap.remove(name);
        }
    }

    /// `name` holds a new value: nothing known about the old one holds.
    fn forget(&mut self, name: &str) {
        // A pointer into a temporary never used under this name: reported
        // where it was made (a later binding's use must not take it).
        if self.temporaries.iter().any(|t| t.0 == name) {
            let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.temporaries)
                .into_iter()
                .partition(|t| t.0 == name);
            self.temporaries = kept;
            self.out.extend(
                gone.into_iter()
                    .map(|(_, span, message)| (span, message, None)),
            );
        }
        self.set_dead(name, None);
        self.derived.remove(name);
        self.invalid.remove(name);
        self.addressed.remove(name);
    }

    /// A call whose summary says it returns a dangling pointer: why it
    /// dangles, and the element of the returned tuple that holds it.
    /// With it, the line of the helper's return when the helper is in
    /// this file.
    /// `recv.method()` of a method returning a pointer into a field of
    /// its receiver: `recv.field`, and the pointer's place in a tuple.
    fn returned_field_of(&mut self, e: &Expr) -> Option<(String, Option<usize>)> {
        let Expr::MethodCall(m) = peel_unsafe(peel_parens(e)) else {
            return None;
        };
        let recv = self.place_root(peel_parens(&m.receiver))?;
        let (a, cx) = (self.a.as_deref_mut()?, self.cx?);
        let key = a.summary_key(cx, &m.method.to_string(), true)?;
        let (field, at) = a.summaries.get(&key)?.ret_field_ptr.clone()?;
        Some((format!("{recv}.{field}"), at))
    }

    fn returns_dangling(&mut self, e: &Expr) -> Option<(String, Option<usize>, Option<Place>)> {
        // `evict(id)?`, `.unwrap()`, `.expect(..)`: what the option or
        // result holds.
        match peel_unsafe(e) {
            Expr::Try(t) => return self.returns_dangling(&t.expr),
            Expr::MethodCall(m)
                if matches!(
                    m.method.to_string().as_str(),
                    "unwrap" | "expect" | "unwrap_unchecked"
                ) =>
            {
                return self.returns_dangling(&m.receiver);
            }
            _ => {}
        }
        let (a, cx) = (self.a.as_deref_mut()?, self.cx?);
        match peel_unsafe(e) {
            Expr::Call(c) => {
                let Expr::Path(p) = &*c.func else {
                    return None;
                };
                let callee = a.imports.resolve(&p.path);
                let key = a.summary_key(cx, &callee, false)?;
                let ret = a.summaries.get(&key)?.ret_dangling.clone()?;
                let here = (a.local_keys.contains(&key) && ret.at.0 > 0).then_some(ret.at);
                Some((
                    format!("`{}` returns a pointer into {}", short(&callee), ret.into),
                    ret.element,
                    here,
                ))
            }
            Expr::MethodCall(m) => {
                let name = m.method.to_string();
                let key = a.summary_key(cx, &name, true)?;
                let ret = a.summaries.get(&key)?.ret_dangling.clone()?;
                let here = (a.local_keys.contains(&key) && ret.at.0 > 0).then_some(ret.at);
                Some((
                    format!("`.{name}()` returns a pointer into {}", ret.into),
                    ret.element,
                    here,
                ))
            }
            Expr::Cast(c) => self.returns_dangling(&c.expr),
            _ => None,
        }
    }

    /// What a function of the crate does to the memory of its
    /// parameters, bits by position (a method's receiver at 0): the ones
    /// it frees (`Summary::frees_params`) and the buffers it grows
    /// (`Summary::grows_params`). `path` for a function called by path,
    /// else the method's name.
    fn param_effects(&mut self, path: Option<&syn::Path>, method: &str) -> (u16, u16, u16) {
        let (Some(a), Some(cx)) = (self.a.as_deref_mut(), self.cx) else {
            return (0, 0, 0);
        };
        let key = match path {
            Some(path) => {
                let callee = a.imports.resolve(path);
                a.summary_key(cx, &callee, false)
            }
            None => a.summary_key(cx, method, true),
        };
        key.and_then(|key| a.summaries.get(&key))
            .map_or((0, 0, 0), |s| {
                (s.frees_params, s.grows_params, s.drops_params)
            })
    }

    /// The fields of its receiver a method may move or free
    /// (`Summary::grows_fields`), points again (`repoints_fields`) and
    /// frees (`frees_fields`).
    #[allow(clippy::type_complexity)]
    fn grown_fields_of(
        &mut self,
        method: &str,
    ) -> (
        Vec<String>,
        Vec<(String, String)>,
        Vec<String>,
        Vec<String>,
        Vec<String>,
    ) {
        let (Some(a), Some(cx)) = (self.a.as_deref_mut(), self.cx) else {
            return Default::default();
        };
        a.summary_key(cx, method, true)
            .and_then(|key| a.summaries.get(&key))
            .map(|s| {
                (
                    s.grows_fields.clone(),
                    s.repoints_fields.clone(),
                    s.frees_fields.clone(),
                    s.reads_fields.clone(),
                    s.sets_fields.clone(),
                )
            })
            .unwrap_or_default()
    }

    /// Owners moved into a callee that drops them (`consume(line)` of
    /// `fn consume(s: String)` that only borrows `s`): pointers into their
    /// buffers dangle after the call. `first`: the position of the first
    /// argument (1 for a method, whose receiver is 0).
    fn dropped_by(
        &mut self,
        args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>,
        drops: u16,
        first: usize,
        span: Span,
        callee: &str,
    ) {
        if drops == 0 {
            return;
        }
        for (i, arg) in args.iter().enumerate().take(16 - first) {
            if drops & (1 << (i + first)) == 0 {
                continue;
            }
            if let Some(owner) = ident_of(arg) {
                let line = start_of(span).0;
                let why = format!("`{owner}` moved into `{callee}` at line {line}, which drops it");
                let gone = self.reachable(&owner);
                self.freed.extend(gone);
                self.kill_owner(&owner, &why);
            }
        }
    }

    /// A pattern binding what a helper returns that dangles (`Some(raw)`,
    /// `Ok(raw)`, `raw`): the bound pointer is gone.
    fn bind_returned(&mut self, pat: &Pat, returned: &(String, Option<usize>, Option<Place>)) {
        let (why, None, origin) = returned else {
            return;
        };
        let name = match strip_pat_type(pat) {
            Pat::Ident(pi) if pi.subpat.is_none() => pi.ident.to_string(),
            Pat::TupleStruct(t)
                if t.elems.len() == 1 && (t.path.is_ident("Some") || t.path.is_ident("Ok")) =>
            {
                match strip_pat_type(&t.elems[0]) {
                    Pat::Ident(pi) if pi.subpat.is_none() => pi.ident.to_string(),
                    _ => return,
                }
            }
            _ => return,
        };
        self.mark_dead(&name, (why.clone(), false));
        if let Some(line) = origin {
            self.origins.insert(name, *line);
        }
    }

    /// `{ let buf = [0u8; 64]; buf.as_ptr() }`: a block whose value is a
    /// pointer to one of its own locals holding a value, which is dropped
    /// at the block's end: that local, and the line of the end.
    fn block_local_ptr(&self, value: &Expr) -> Option<(String, usize)> {
        let block = match peel_parens(value) {
            Expr::Block(b) => &b.block,
            Expr::Unsafe(u) => &u.block,
            _ => return None,
        };
        let Some(Stmt::Expr(tail, None)) = block.stmts.last() else {
            return None;
        };
        let owner = self.pointer_owner(tail)?;
        let root = owner.split_once('.').map_or(owner.as_str(), |(r, _)| r);
        // The last binding of that name in the block.
        let init = block.stmts.iter().rev().find_map(|stmt| match stmt {
            Stmt::Local(l) => match strip_pat_type(&l.pat) {
                Pat::Ident(pi) if pi.ident == root => Some(l.init.as_ref().map(|i| &*i.expr)),
                _ => None,
            },
            _ => None,
        })??;
        // Not a local kept alive (`mem::forget(buf)`, `Box::leak`, moved
        // into a `ManuallyDrop` or handed to something that keeps it).
        struct Kept<'r>(&'r str, bool);
        impl<'a> Visit<'a> for Kept<'_> {
            fn visit_expr_call(&mut self, c: &'a syn::ExprCall) {
                if c.args
                    .iter()
                    .any(|a| ident_of(a).as_deref() == Some(self.0))
                {
                    self.1 = true;
                }
                syn::visit::visit_expr_call(self, c);
            }
            fn visit_expr_method_call(&mut self, m: &'a syn::ExprMethodCall) {
                if m.args
                    .iter()
                    .any(|a| ident_of(a).as_deref() == Some(self.0))
                    || (ident_of(&m.receiver).as_deref() == Some(self.0)
                        && matches!(
                            m.method.to_string().as_str(),
                            "leak" | "into_raw" | "into_boxed_slice"
                        ))
                {
                    self.1 = true;
                }
                syn::visit::visit_expr_method_call(self, m);
            }
        }
        let mut kept = Kept(root, false);
        for stmt in &block.stmts {
            kept.visit_stmt(stmt);
        }
        ((is_owned_value(init) || is_value_init(init)) && !kept.1)
            .then(|| (root.to_string(), start_of(block.brace_token.span.close()).0))
    }

    /// Record what a pointer assigned from `value` points into.
    fn derive(&mut self, name: &str, value: &Expr) {
        if let Some((local, line)) = self.block_local_ptr(value) {
            self.mark_dead(
                name,
                (
                    format!("it points to `{local}`, which went out of scope at line {line}"),
                    false,
                ),
            );
            return;
        }
        if let Some((why, None, origin)) = self.returns_dangling(value) {
            self.mark_dead(name, (why, false));
            if let Some(line) = origin {
                self.origins.insert(name.to_string(), line);
            }
            return;
        }
        if let Some(what) = null_or_dangling(value) {
            self.invalid
                .insert(name.to_string(), (format!("it is `{what}()`"), true));
            return;
        }
        if is_address_of(value) {
            self.addressed.insert(name.to_string());
        }
        // `PWSTR(temporary.as_mut_ptr())`: a wrapper around the pointer.
        // (An all-caps tuple struct, `PWSTR`, `PCSTR`: not a Windows API
        // function, `LoadLibraryA(..)`, whose result is not the pointer.)
        let wrapped = match value {
            Expr::Call(c) => {
                matches!(&*c.func, Expr::Path(p) if {
                    let name = last_ident(&p.path);
                    name.len() > 1 && name.chars().all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit() || ch == '_')
                }) && c.args.iter().any(Self::temporary_ptr)
            }
            _ => false,
        };
        // `let p = match x { Some(s) => CString::new(s).unwrap().as_ptr(), .. }`
        if let Expr::Match(m) = value {
            for arm in &m.arms {
                if Self::temporary_ptr(&arm.body) {
                    let line = start_of(arm.body.span()).0;
                    self.mark_dead(
                        name,
                        (
                            format!("it points into a temporary dropped at the end of the match arm at line {line}"),
                            false,
                        ),
                    );
                    self.temporaries.push((
                        name.to_string(),
                        arm.body.span(),
                        format!("`{name}` points into a temporary that is dropped at the end of this match arm"),
                    ));
                }
            }
        }
        if wrapped
            || Self::temporary_ptr(value)
            || collects_temporary_ptrs(value)
            || self.ptr_into_owned_call(value)
        {
            let line = start_of(value.span()).0;
            self.mark_dead(
                name,
                (
                    format!("it points into a temporary dropped at the end of the statement at line {line}"),
                    false,
                ),
            );
            self.temporaries.push((
                name.to_string(),
                value.span(),
                format!(
                    "`{name}` points into a temporary that is dropped at the end of this statement"
                ),
            ));
            return;
        }
        // `let raw = doc.0;` of a field an `impl Drop` frees: gone with
        // `doc`.
        if let Some(a) = self.a.as_deref() {
            if !a.drop_freed_fields.is_empty() {
                if let Expr::Field(f) = peel_casts(value) {
                    let field = member_name(&f.member);
                    if let Some(owner) = ident_of(&f.base) {
                        if owner != "self" && a.drop_freed_fields.contains(&field) {
                            self.set_derived(name, &owner);
                            return;
                        }
                    }
                }
            }
            // `let first = scratch.buf;` of a field a method of the file
            // frees (`scratch.release()`): the same pointer, freed with it.
            if let Expr::Field(f) = peel_casts(value) {
                let field = member_name(&f.member);
                if let Some(owner) = ident_of(&f.base) {
                    if owner != "self" && a.freed_field_names.contains(&field) {
                        self.set_derived(name, &format!("{owner}.{field}"));
                        return;
                    }
                }
            }
        }
        // `xmlDocGetRootElement(doc)`: a node of the document's tree,
        // freed with it.
        if let Some((callee, args)) = call_name(peel_unsafe(peel_parens(value))) {
            if XML_NODE_GETTERS.contains(&crate::patterns::last_segment(&callee)) {
                if let Some(tree) = args.first().and_then(|a| self.place_root(peel_parens(a))) {
                    self.set_derived(name, &tree);
                    return;
                }
            }
        }
        // `let old = mem::take(&mut self.buf)`: the buffer is `old`'s now.
        if let Some((callee, args)) = call_name(peel_parens(value)) {
            let segs: Vec<&str> = callee.rsplit("::").take(2).collect();
            if matches!(segs.as_slice(), ["take" | "replace", "mem"]) {
                if let Some(Expr::Reference(r)) = args.first().map(peel_parens) {
                    if let Some(place) = self.place_root(&r.expr) {
                        for p in self.pointers_into(&place) {
                            if p != name {
                                self.set_derived(&p, name);
                            }
                        }
                        self.heap.insert(name.to_string());
                        if let Some(d) = self.declared.get_mut(name).filter(|d| d.0 > 0) {
                            d.1 = true;
                        }
                        return;
                    }
                }
            }
        }
        // `b.as_ptr()` of a `Box<Vec<u8>>`: into a buffer the boxed value
        // owns, which `Box::into_inner(b)` moves on with the value (not
        // `Box::as_ptr(&b)` or `&*b`, the value itself).
        if let Expr::MethodCall(m) = peel_parens(value) {
            if matches!(m.method.to_string().as_str(), "as_ptr" | "as_mut_ptr")
                && ident_of(&m.receiver).is_some()
            {
                self.buffer_views.insert(name.to_string());
            }
        }
        if let Some(owner) = self.pointer_owner(value) {
            if owner != name {
                // A pointer derived from a dead pointer is dead too.
                if let Some(why) = self.dead.get(&owner).cloned() {
                    self.mark_dead(name, (why.0, false));
                }
                self.set_derived(name, &owner);
                // `s.buf` dies with `s`.
                let mut place = owner;
                while let Some((parent, _)) = place.rsplit_once('.') {
                    let parent = parent.to_string();
                    self.set_derived(&place, &parent);
                    place = parent;
                }
            }
            return;
        }
        // An owner rebuilt from the pointer: its drop frees the pointer.
        if let Some((callee, args)) = call_name(peel_unsafe(value)) {
            if is_reclaim(&callee) {
                if let Some(p) = args.first().and_then(ident_of) {
                    self.set_derived(&p, name);
                }
            }
        }
    }

    /// `p` now points into `owner`.
    fn set_derived(&mut self, p: &str, owner: &str) {
        if self.derived.get(p).is_some_and(|o| o == owner) {
            return;
        }
        self.derived.insert(p.to_string(), owner.to_string());
        self.work += 1;
        self.pointers
            .entry(owner.to_string())
            .or_default()
            .insert(p.to_string());
    }

    /// Drop the index's entries for `owner` whose pointer now derives
    /// from something else.
    fn compact(&mut self, owner: &str) {
        if let Some(list) = self.pointers.get_mut(owner) {
            self.work += list.len();
            let derived = &self.derived;
            list.retain(|p| derived.get(p).is_some_and(|o| o == owner));
            if list.is_empty() {
                self.pointers.remove(owner);
            }
        }
    }

    /// The pointers that derive from `owner` now.
    fn pointers_into(&mut self, owner: &str) -> Vec<String> {
        self.compact(owner);
        self.pointers
            .get(owner)
            .map(|l| l.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Every live pointer reachable from `owner` through `derived` (a
    /// pointer derived from a pointer into the owner), each visited once:
    /// the walk costs the number of those pointers. A dead pointer is not
    /// followed: what derives from it died with it or was made dead.
    fn reachable(&mut self, owner: &str) -> Vec<String> {
        self.reachable_through(owner, true)
    }

    /// [`Self::reachable`], through the places of its fields (`s.buf`,
    /// `v.[]`) only when `places`: growing `self` or `chunks` moves their
    /// own buffers, not a field's or an element's.
    fn reachable_through(&mut self, owner: &str, places: bool) -> Vec<String> {
        let mut visited: HashSet<String> = [owner.to_string()].into_iter().collect();
        let mut frontier = vec![owner.to_string()];
        let mut out = Vec::new();
        while let Some(o) = frontier.pop() {
            self.compact(&o);
            let Some(list) = self.pointers.get(&o) else {
                continue;
            };
            self.work += list.len();
            for p in list {
                if (places || !p.contains('.') || self.ptr_fields.contains(p))
                    && !self.dead.contains_key(p)
                    && visited.insert(p.clone())
                {
                    out.push(p.clone());
                    frontier.push(p.clone());
                }
            }
        }
        out.sort();
        out
    }

    /// The owner `owner` is gone: every pointer into it dies.
    fn kill_owner(&mut self, owner: &str, why: &str) {
        for p in self.reachable(owner) {
            self.mark_dead(&p, (why.to_string(), false));
        }
    }

    fn free_ptr(&mut self, p: &str, span: Span, how: &str) {
        let line = start_of(span).0;
        if let Some((why, true)) = self.dead.get(p).cloned() {
            self.report(span, format!("`{p}` is freed again ({why}): double free"));
            self.set_dead(p, None);
            return;
        }
        let why = format!("freed by `{how}` at line {line}");
        self.freed.insert(p.to_string());
        self.mark_dead(p, (why.clone(), true));
        self.kill_owner(p, &why);
    }

    fn use_var(&mut self, name: &str, span: Span, as_arg: bool) {
        if self.unsafe_depth == 0 && !as_arg {
            return;
        }
        if let Some((why, _)) = self.dead.get(name) {
            let message = format!("`{name}` is used after its memory is gone ({why})");
            if self.reported.insert((name.to_string(), start_of(span).0)) {
                let origin = self.origins.get(name).copied();
                self.out.push((span, message, origin));
            }
            // Reported where it is used, not again where it was made.
            self.temporaries.retain(|t| t.0 != name);
        }
    }

    /// Record a dead pointer.
    fn mark_dead(&mut self, p: &str, why: (String, bool)) {
        self.set_dead(p, Some(why));
    }

    /// Change `p`'s entry in the dead set, recording the old one while a
    /// diverging block is open.
    fn set_dead(&mut self, p: &str, entry: Option<(String, bool)>) {
        self.work += 1;
        self.origins.remove(p);
        let old = match entry {
            Some(why) => self.dead.insert(p.to_string(), why),
            None => match self.dead.remove(p) {
                Some(old) => Some(old),
                None => return,
            },
        };
        if self.undo_open > 0 {
            self.undo.push((p.to_string(), old));
        }
    }

    /// Start recording changes to the dead set; the mark to undo to.
    fn begin_undo(&mut self) -> usize {
        self.undo_open += 1;
        self.undo.len()
    }

    /// The end of a loop's walk: what its exits freed is dead after it.
    fn leave_loop(&mut self) {
        for (p, why) in self.loop_exits.pop().unwrap_or_default() {
            if !self.dead.contains_key(&p) {
                self.mark_dead(&p, why);
            }
        }
    }

    /// Walk `n` alternatives (an `if`'s branches, a `match`'s arms), of
    /// which one runs: each starts from the dead set as it was before
    /// them, and afterwards a pointer that any of them left dead is dead
    /// (its memory may be gone).
    fn walk_alternatives(
        &mut self,
        n: usize,
        diverges: impl Fn(usize) -> bool,
        mut walk: impl FnMut(&mut Self, usize),
    ) {
        let mut left_dead: Vec<(String, (String, bool))> = Vec::new();
        // Pointers every alternative that goes on assigned again (`if
        // n > 0 { p = malloc(n) } else { p = malloc(1) }`): live after.
        let mut revived: Option<HashSet<String>> = None;
        for i in 0..n {
            let mark = self.begin_undo();
            let bound_from = self.bound_log.len();
            walk(self, i);
            let shadowing: HashSet<String> = self
                .bound_log
                .get(bound_from..)
                .unwrap_or_default()
                .iter()
                .cloned()
                .collect();
            let changed: Vec<String> = self
                .undo
                .get(mark..)
                .unwrap_or_default()
                .iter()
                .map(|(p, _)| p.clone())
                .collect();
            let mut here = HashSet::default();
            for p in changed {
                match self.dead.get(&p) {
                    Some(why) => left_dead.push((p, why.clone())),
                    None if !shadowing.contains(&p) => {
                        here.insert(p);
                    }
                    None => {}
                }
            }
            self.undo_to(mark);
            if !diverges(i) {
                revived = Some(match revived {
                    None => here,
                    Some(before) => before.intersection(&here).cloned().collect(),
                });
            }
        }
        for (p, why) in left_dead {
            if !self.dead.contains_key(&p) {
                self.mark_dead(&p, why);
            }
        }
        for p in revived.unwrap_or_default() {
            if self.dead.contains_key(&p) {
                self.set_dead(&p, None);
            }
        }
    }

    /// Put the dead set back as it was at `mark`.
    fn undo_to(&mut self, mark: usize) {
        while self.undo.len() > mark {
            let Some((p, old)) = self.undo.pop() else {
                break;
            };
            match old {
                Some(why) => self.dead.insert(p, why),
                None => self.dead.remove(&p),
            };
        }
        self.undo_open = self.undo_open.saturating_sub(1);
        if self.undo_open == 0 {
            self.undo.clear();
        }
    }

    /// An owner whose heap value moved to a place that outlives its block:
    /// its end no longer frees what pointers into it point to. A value of
    /// the block itself (`valued`: a number, a struct made there) is copied
    /// or moved out of its storage, which still ends with the block.
    fn moved_out(&mut self, owner: &str) {
        if let Some(d) = self.declared.get_mut(owner) {
            d.1 = false;
        }
    }

    /// The heap value of `from` moved into the local `to` (`let s = v`,
    /// `keep = S { buf: v }`, `keep.push(v)`): pointers into its buffer
    /// now die with `to` (its block's end, `drop(to)`), not with `from`.
    /// A value without a heap buffer (a number, an array, a struct made
    /// here) or a pointer to `from`'s own storage (`&v`) stays with
    /// `from`, which still ends with its block; a parameter is not made an
    /// owner (its pointers are not "into a local").
    fn transfer(&mut self, from: &str, to: &str) {
        if from == to || !self.heap.contains(from) {
            return;
        }
        for p in self.pointers_into(from) {
            if !self.addressed.contains(&p) && p != to {
                self.set_derived(&p, to);
            }
        }
        // Its buffer is elsewhere now: `from` holds none until it is
        // given a new value (a second move of it would not compile).
        self.heap.remove(from);
        self.moved_out(from);
        // `to` holds the buffer now, and moves it on the same way
        // (`let z = y; let zz = Some(z);`).
        self.heap.insert(to.to_string());
        if let Some(d) = self.declared.get_mut(to).filter(|d| d.0 > 0) {
            d.1 = true;
        }
    }

    fn walk_block(&mut self, block: &syn::Block, fn_body: bool) {
        self.scopes.push(Vec::new());
        let diverges = ends_flow(block);
        // Only a block that diverges puts the dead set back afterwards.
        let mark = diverges.then(|| self.begin_undo());
        let n = block.stmts.len();
        for (i, stmt) in block.stmts.iter().enumerate() {
            if self.work > self.budget {
                self.exhausted.get_or_insert(stmt.span());
                break;
            }
            match stmt {
                Stmt::Local(l) => {
                    let moved = l
                        .init
                        .as_ref()
                        .map(|i| moved_into(&i.expr))
                        .unwrap_or_default();
                    if let Some(init) = &l.init {
                        self.walk_expr(&init.expr, false);
                        if let Some((_, e)) = &init.diverge {
                            self.walk_expr(e, false);
                        }
                    }
                    match strip_pat_type(&l.pat) {
                        Pat::Ident(pi) => {
                            let name = pi.ident.to_string();
                            self.bind(&name, l.init.as_ref().map(|i| &*i.expr));
                            // `let p = buf.head_ptr();` of a method
                            // returning a pointer into a field.
                            if let Some((field, None)) = l
                                .init
                                .as_ref()
                                .and_then(|i| self.returned_field_of(&i.expr))
                            {
                                self.set_derived(&name, &field);
                            }
                            // `let der: Vec<u8> = ..`: declared to own a
                            // buffer, whatever made it.
                            if let Pat::Type(pt) = &l.pat {
                                if l.init.is_some() && is_owned_buffer_type(&pt.ty) {
                                    if let Some(d) = self.declared.get_mut(&name) {
                                        d.1 = true;
                                    }
                                }
                            }
                            // `let s = S { buf: v }`: v's buffer is s's now.
                            for from in &moved {
                                self.transfer(from, &name);
                            }
                            self.pointers.remove(BLOCK_VALUE);
                            self.heap.remove(BLOCK_VALUE);
                        }
                        // `let (p, n) = (v.as_ptr(), v.len());`, and
                        // `let (p, n) = f();` where `f` returns a dangling
                        // pointer in a tuple.
                        Pat::Tuple(t) => {
                            // With `..` the positions after it are unknown.
                            let rest = t.elems.iter().any(|p| matches!(p, Pat::Rest(_)));
                            let init = l
                                .init
                                .as_ref()
                                .map(|i| peel_parens(&i.expr))
                                .filter(|_| !rest);
                            let returned = init.and_then(|e| self.returns_dangling(e));
                            let into_field = init.and_then(|e| self.returned_field_of(e));
                            for (i, el) in t.elems.iter().enumerate() {
                                let Pat::Ident(pi) = strip_pat_type(el) else {
                                    continue;
                                };
                                let name = pi.ident.to_string();
                                let part = match init {
                                    Some(Expr::Tuple(tu)) => tu.elems.iter().nth(i),
                                    _ => None,
                                };
                                self.bind(&name, part);
                                if let Some((field, Some(at))) = &into_field {
                                    if *at == i {
                                        self.set_derived(&name, field);
                                    }
                                }
                                if let Some((why, Some(at), origin)) = &returned {
                                    if *at == i {
                                        self.mark_dead(&name, (why.clone(), false));
                                        if let Some(line) = origin {
                                            self.origins.insert(name.clone(), *line);
                                        }
                                    }
                                }
                            }
                        }
                        Pat::Wild(_) => {
                            // `let _ = Box::from_raw(p);` drops at once.
                            if let Some(init) = &l.init {
                                self.statement_free(&init.expr);
                            }
                        }
                        // `let Some(raw) = cache.evict(id) else { .. }`.
                        pat @ Pat::TupleStruct(_) => {
                            if let Some(init) = &l.init {
                                if let Some(returned) = self.returns_dangling(&init.expr) {
                                    self.bind_returned(pat, &returned);
                                }
                            }
                        }
                        _ => {}
                    }
                    if let Some(moved) = l.init.as_ref().and_then(|i| ident_of(&i.expr)) {
                        if let Some(d) = self.declared.get_mut(&moved) {
                            d.1 = false;
                        }
                    }
                }
                Stmt::Expr(e, semi) => {
                    let tail = fn_body && i + 1 == n && semi.is_none();
                    if tail {
                        self.check_return(e);
                    }
                    self.walk_expr(e, false);
                    if semi.is_some() {
                        self.statement_free(e);
                    }
                }
                Stmt::Macro(m) => self.walk_macro(&m.mac),
                Stmt::Item(_) => {}
            }
        }
        let names = self.scopes.pop().unwrap_or_default();
        if mark.is_none() && !fn_body {
            // `{ ..; let s = S { buf: b }; s }`: the block's value moves
            // out with its buffer, to whatever the block is bound to
            // (`BLOCK_VALUE` until then); `&s` still dies here.
            self.pointers.remove(BLOCK_VALUE);
            self.heap.remove(BLOCK_VALUE);
            if let Some(Stmt::Expr(tail, None)) = block.stmts.last() {
                if let Some(t) = ident_of(tail).filter(|t| names.contains(t)) {
                    self.transfer(&t, BLOCK_VALUE);
                }
            }
            // Owners declared in this block end here; only pointers that
            // outlive the block matter. The walk starts from this block's
            // owners (an index by owner), so a block costs what it
            // declared and what points into that, not every pointer of
            // the function.
            let ending: Vec<&String> = names
                .iter()
                .filter(|n| self.declared.get(*n).is_some_and(|d| d.1) || self.valued.contains(*n))
                .collect();
            if !ending.is_empty() {
                let line = start_of(block.brace_token.span.close()).0;
                let inner: HashSet<&String> = names.iter().collect();
                // Each pointer with the owner it reached through.
                let mut outer: Vec<(String, String)> = Vec::new();
                for owner in ending {
                    for p in self.reachable(owner) {
                        if !inner.contains(&p) {
                            outer.push((p, owner.clone()));
                        }
                    }
                }
                outer.sort();
                outer.dedup_by(|a, b| a.0 == b.0);
                for (p, name) in outer {
                    self.mark_dead(
                        &p,
                        (format!("`{name}` went out of scope at line {line}"), false),
                    );
                }
            }
        }
        if !fn_body {
            // Names of the block are gone (a shadowed outer name was
            // forgotten when it was shadowed).
            for name in &names {
                self.forget(name);
                self.pointers.remove(name);
            }
        }
        if let Some(mark) = mark {
            // `if bad { free(p); break; }`: gone after the loop, not in the
            // rest of its body.
            // Everything dead where the loop is left, not only what
            // this block freed (`free(p); if done { continue }`). A
            // labelled exit may leave any enclosing loop.
            if let Some(labelled) = exits_loop(block) {
                let left: Vec<(String, (String, bool))> = self
                    .dead
                    .iter()
                    .map(|(p, why)| (p.clone(), why.clone()))
                    .collect();
                self.work += left.len();
                let frames = self.loop_exits.len();
                let from = if labelled {
                    0
                } else {
                    frames.saturating_sub(1)
                };
                for frame in self.loop_exits.iter_mut().skip(from) {
                    frame.extend(left.iter().cloned());
                }
            }
            self.undo_to(mark);
        }
        for name in names {
            if fn_body && self.declared.get(&name).is_some_and(|d| d.1) {
                self.body_owned.insert(name.clone());
            }
            self.declared.remove(&name);
        }
    }

    /// An expression statement whose value is dropped at once.
    fn statement_free(&mut self, e: &Expr) {
        let inner = peel_unsafe(e);
        if let Some((callee, args)) = call_name(inner) {
            if is_reclaim(&callee) {
                if let Some(p) = args.first().and_then(ident_of) {
                    let how = callee.rsplit("::").take(2).collect::<Vec<_>>();
                    let how = how.into_iter().rev().collect::<Vec<_>>().join("::");
                    self.free_ptr(&p, inner.span(), &how);
                }
            }
        }
    }

    /// Arguments of a format-like or assertion macro (`macros::parse_args`:
    /// the values of `name = value`, pieces that are expressions).
    fn walk_macro(&mut self, mac: &syn::Macro) {
        let args = self.bodies.args(mac);
        for arg in args.iter() {
            self.walk_expr(&arg.expr, false);
        }
    }

    /// A returned value: a dangling pointer in it is reported, and
    /// recorded for the function's summary (callers' uses of the pointer
    /// are uses after free).
    fn check_return(&mut self, e: &Expr) {
        // `Some(raw)`, `Ok(raw)`: the pointer the option or result holds.
        if let Expr::Call(c) = peel_parens(e) {
            if let (Expr::Path(p), 1) = (&*c.func, c.args.len()) {
                if (p.path.is_ident("Some") || p.path.is_ident("Ok")) && self.returns_ptr {
                    if let Some((into, line)) = self.returned_dangling(&c.args[0]) {
                        self.ret_dangling.get_or_insert(DanglingReturn {
                            into,
                            element: None,
                            at: line,
                        });
                    }
                    return;
                }
            }
        }
        match peel_parens(e) {
            // `(name.as_ptr(), name.len())`
            Expr::Tuple(t) if self.returns_ptr => {
                // `(c, c.as_ptr())`: the owner leaves with its pointer.
                let moved: Vec<String> = t.elems.iter().filter_map(ident_of).collect();
                for (i, el) in t.elems.iter().enumerate() {
                    let mut owner = self
                        .pointer_owner(el)
                        .or_else(|| ident_of(el).and_then(|p| self.derived.get(&p).cloned()));
                    for _ in 0..8 {
                        match owner.as_ref().and_then(|o| self.derived.get(o)) {
                            Some(next) => owner = Some(next.clone()),
                            None => break,
                        }
                    }
                    let owner_moved = owner.is_some_and(|o| {
                        moved
                            .iter()
                            .any(|m| o == *m || o.starts_with(&format!("{m}.")))
                    });
                    if owner_moved {
                        continue;
                    }
                    if let Some((into, line)) = self.returned_dangling(el) {
                        self.ret_dangling.get_or_insert(DanglingReturn {
                            into,
                            element: Some(i),
                            at: line,
                        });
                    }
                }
            }
            // `Info { name: CString::new(n).unwrap().as_ptr(), .. }`
            // (reported where the struct is walked).
            Expr::Struct(s) if s.fields.iter().any(|f| Self::temporary_ptr(&f.expr)) => {
                self.ret_dangling.get_or_insert(DanglingReturn {
                    into: "a temporary".into(),
                    element: None,
                    at: (0, 0),
                });
            }
            _ if self.returns_ptr => {
                if let Some((into, line)) = self.returned_dangling(e) {
                    self.ret_dangling.get_or_insert(DanglingReturn {
                        into,
                        element: None,
                        at: line,
                    });
                }
            }
            _ => {}
        }
    }

    /// A returned pointer that dangles, reported: what it pointed into.
    /// With it, the line it is reported on.
    fn returned_dangling(&mut self, e: &Expr) -> Option<(String, (usize, usize))> {
        let line = start_of(e.span());
        if Self::temporary_ptr(e) {
            self.report(
                e.span(),
                "returns a pointer into a temporary that is dropped when the function returns"
                    .into(),
            );
            return Some(("a temporary".into(), line));
        }
        // A pointer already dead: reported here, or where it was made when
        // it points into a temporary (`let p = CString::new(s)?.as_ptr(); p`).
        if let Some(p) = ident_of(e) {
            if self.dead.contains_key(&p) {
                if !self.temporaries.iter().any(|t| t.0 == p) {
                    let depth = self.unsafe_depth;
                    self.unsafe_depth = depth.max(1);
                    self.use_var(&p, e.span(), true);
                    self.unsafe_depth = depth;
                }
                // Not why it is gone: through a chain of such helpers
                // the text would nest (red team rt42). Reported here only
                // when not already on this line; a caller's use in this
                // file takes the finding (the same bug).
                return Some(("memory that is gone".into(), line));
            }
        }
        // Follow `p = &x; q = ptr::from_ref(p); q` back to `x`.
        let mut addressed = is_address_of(e);
        let owner = self.pointer_owner(e).map(|o| match o.split_once('.') {
            // A field of a variable is returned with the variable.
            Some((root, _)) => root.to_string(),
            None => o,
        });
        let mut owner = owner.or_else(|| {
            let p = ident_of(e)?;
            addressed = self.addressed.contains(&p);
            self.derived.get(&p).cloned()
        });
        for _ in 0..8 {
            match owner.as_ref().and_then(|o| self.derived.get(o)) {
                Some(next) => {
                    addressed |= owner.as_ref().is_some_and(|o| self.addressed.contains(o));
                    owner = Some(next.clone());
                }
                None => break,
            }
        }
        // `&header as *const H` of any `let` of the function: the address
        // of its stack slot, whatever the local holds.
        let plain = |e: &Expr| match peel_parens(e) {
            Expr::Path(_) => ident_of(e),
            _ => None,
        };
        let slot = match peel_casts(e) {
            Expr::Reference(r) => plain(&r.expr),
            Expr::RawAddr(r) => plain(&r.expr),
            // `ptr::addr_of!(v)`, `addr_of_mut!(v)` (red team rt78).
            Expr::Macro(m)
                if matches!(last_ident(&m.mac.path).as_str(), "addr_of" | "addr_of_mut") =>
            {
                syn::parse2::<syn::Ident>(m.mac.tokens.clone())
                    .ok()
                    .map(|i| i.to_string())
            }
            // `NonNull::from(&mut v)`, `ptr::from_ref(&v)`, `ptr::from_mut(&mut v)`.
            Expr::Call(c) if c.args.len() == 1 => match (&*c.func, peel_parens(&c.args[0])) {
                // Only pointer makers: `String::from(&s)` copies.
                (Expr::Path(p), Expr::Reference(r))
                    if {
                        let names = path_idents(&p.path);
                        matches!(
                            names
                                .iter()
                                .map(String::as_str)
                                .collect::<Vec<_>>()
                                .as_slice(),
                            [.., "NonNull", "from"] | [.., "ptr", "from_ref" | "from_mut"]
                        )
                    } =>
                {
                    plain(&r.expr)
                }
                _ => None,
            },
            _ => None,
        };
        // The address of a `let` of this function's own frame.
        if let Some(local) = slot
            .as_ref()
            .filter(|s| self.declared.contains_key(*s) && owner.as_deref() != Some(s.as_str()))
        {
            self.report(
                e.span(),
                format!("returns a pointer to the local `{local}`, which is dropped when the function returns"),
            );
            return Some((format!("its local `{local}`"), line));
        }
        if let Some(owner) = owner {
            let local = self.declared.get(&owner).is_some_and(|d| d.1)
                || (addressed && self.valued.contains(&owner))
                || (slot.as_deref() == Some(owner.as_str()) && self.declared.contains_key(&owner));
            let param = self.by_value.contains(&owner) && addressed;
            if local || param {
                self.report(
                    e.span(),
                    format!("returns a pointer to the local `{owner}`, which is dropped when the function returns"),
                );
                return Some((format!("its local `{owner}`"), line));
            }
        }
        None
    }

    /// A read through `p` (or a write, for null and dangling pointers).
    fn deref_invalid(&mut self, p: &str, span: Span) {
        if let Some((why, _)) = self.invalid.get(p) {
            let message = format!("`{p}` is dereferenced but points to no valid value ({why})");
            if self.reported.insert((p.to_string(), start_of(span).0)) {
                self.report(span, message);
            }
        }
    }

    /// A loop body runs again after its end: a null pointer assigned
    /// anywhere in it may be valid at its top.
    fn enter_loop(&mut self, body: &syn::Block) {
        if self.invalid.is_empty() {
            return;
        }
        struct Assigned<'n>(&'n mut HashMap<String, (String, bool)>);
        impl<'a> Visit<'a> for Assigned<'_> {
            fn visit_expr_assign(&mut self, asg: &'a syn::ExprAssign) {
                if let Some(p) = ident_of(&asg.left) {
                    self.0.remove(&p);
                }
                syn::visit::visit_expr_assign(self, asg);
            }
        }
        Assigned(&mut self.invalid).visit_block(body);
    }

    fn walk_expr(&mut self, e: &Expr, as_arg: bool) {
        match e {
            Expr::Path(p) => {
                if p.path.segments.len() == 1 && p.qself.is_none() {
                    let name = p.path.segments[0].ident.to_string();
                    self.use_var(&name, p.span(), as_arg);
                    if as_arg {
                        // Moved away (or copied): no longer dropped here.
                        if let Some(d) = self.declared.get_mut(&name) {
                            d.1 = false;
                        }
                    }
                }
            }
            // `*self.cursor`: a pointer kept in a field.
            Expr::Field(f) => {
                if (self.unsafe_depth > 0 || as_arg) && !self.dead.is_empty() {
                    if let Some(place) = self.place_root(e) {
                        self.use_var(&place, f.span(), as_arg);
                    }
                }
                self.walk_expr(&f.base, false);
            }
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => {
                if self.unsafe_depth > 0 {
                    if let Some(p) = ident_of(&u.expr) {
                        self.deref_invalid(&p, u.span());
                    } else if let Some((why, None, origin)) = self.returns_dangling(&u.expr) {
                        self.out.push((
                            u.span(),
                            format!("a pointer is dereferenced after its memory is gone ({why})"),
                            origin,
                        ));
                    }
                }
                self.walk_expr(&u.expr, false);
            }
            // `&mut p`: p may be written through the reference.
            Expr::Reference(r) if r.mutability.is_some() => {
                if let Some(p) = ident_of(&r.expr) {
                    self.invalid.remove(&p);
                }
                self.walk_expr(&r.expr, false);
            }
            Expr::Unsafe(u) => {
                self.unsafe_depth += 1;
                self.walk_block(&u.block, false);
                self.unsafe_depth -= 1;
            }
            Expr::Block(b) => self.walk_block(&b.block, false),
            Expr::Return(r) => {
                if let Some(v) = &r.expr {
                    self.check_return(v);
                    self.walk_expr(v, true);
                }
            }
            Expr::Assign(asg) => {
                self.walk_expr(&asg.right, false);
                let moved = moved_into(&asg.right);
                if let Some(to) =
                    ident_of(&asg.left).filter(|_| matches!(&*asg.left, Expr::Path(_)))
                {
                    // `keep = owner`, `keep = S { buf: owner }`: the
                    // buffer is keep's now.
                    for from in &moved {
                        self.transfer(from, &to);
                    }
                }
                // Otherwise (`self.buf = owner`) it moves out to a
                // longer-lived place.
                for from in &moved {
                    self.moved_out(from);
                }
                match &*asg.left {
                    // `self.cursor = self.data.as_ptr()`: a pointer kept
                    // in a field.
                    Expr::Field(_) if !Self::temporary_ptr(&asg.right) => {
                        if let Some(place) = self.place_root(&asg.left) {
                            self.forget(&place);
                            self.derive(&place, &asg.right);
                            if self.derived.contains_key(&place) {
                                self.ptr_fields.insert(place);
                            }
                        }
                        self.walk_expr(&asg.left, false);
                    }
                    Expr::Path(_) => {
                        if let Some(name) = ident_of(&asg.left) {
                            self.forget(&name);
                            // `b = Buf { .. }`: its fields are new too.
                            let prefix = format!("{name}.");
                            let fields: Vec<String> = self
                                .dead
                                .keys()
                                .filter(|k| k.starts_with(&prefix))
                                .cloned()
                                .collect();
                            for field in fields {
                                self.forget(&field);
                            }
                            self.note_value(&name, Some(&asg.right));
                            // `let s; .. s = String::from(..)`: s owns it now.
                            if is_owned_value(&asg.right) {
                                if let Some(d) = self.declared.get_mut(&name) {
                                    d.1 = true;
                                }
                            }
                            self.derive(&name, &asg.right);
                        }
                    }
                    // `*p = v`: wrong through a null or dangling pointer; a
                    // value dropped in place is written again.
                    Expr::Unary(u)
                        if matches!(u.op, syn::UnOp::Deref(_))
                            && ident_of(&u.expr)
                                .is_some_and(|p| self.invalid.get(&p).is_some_and(|i| !i.1)) =>
                    {
                        if let Some(p) = ident_of(&u.expr) {
                            self.invalid.remove(&p);
                        }
                    }
                    left => {
                        if Self::temporary_ptr(&asg.right) {
                            self.report(
                                asg.right.span(),
                                "the pointer points into a temporary that is dropped at the end of this statement".into(),
                            );
                        }
                        self.walk_expr(left, false);
                    }
                }
            }
            Expr::Struct(s) => {
                for field in &s.fields {
                    if Self::temporary_ptr(&field.expr) {
                        self.report(
                            field.expr.span(),
                            "the pointer points into a temporary that is dropped at the end of this statement".into(),
                        );
                    }
                    self.walk_expr(&field.expr, false);
                }
                if let Some(rest) = &s.rest {
                    self.walk_expr(rest, false);
                }
            }
            Expr::Call(c) => {
                let name = match &*c.func {
                    Expr::Path(p) => path_idents(&p.path).join("::"),
                    other => {
                        self.walk_expr(other, false);
                        String::new()
                    }
                };
                let last = crate::patterns::last_segment(&name);
                // `ptr::eq(first, other)`: compares addresses, reads nothing
                // (red team rt78).
                if matches!(last, "eq" | "addr_eq") && (name == last || name.contains("ptr::")) {
                    for arg in &c.args {
                        self.walk_expr(arg, false);
                    }
                    return;
                }
                // `Box::into_inner(b)` moves the value out and frees the box.
                let consumed = last == "into_inner" && name.ends_with("Box::into_inner");
                if (last == "drop" || consumed) && c.args.len() == 1 {
                    if let Some(owner) = ident_of(&c.args[0]) {
                        let line = start_of(c.span()).0;
                        self.use_var(&owner, c.args[0].span(), true);
                        // `Box::into_inner(b)` frees the box, not a buffer
                        // its value owns (`b.as_ptr()` of a `Box<Vec<u8>>`
                        // moves on with the `Vec`).
                        if consumed {
                            let line = start_of(c.span()).0;
                            let why = format!("`{owner}` moved out of its box at line {line}");
                            for p in self.reachable(&owner) {
                                if !self.buffer_views.contains(&p) {
                                    self.mark_dead(&p, (why.clone(), true));
                                }
                            }
                            return;
                        }
                        let gone = self.reachable(&owner);
                        self.freed.extend(gone);
                        self.kill_owner(&owner, &format!("`{owner}` dropped at line {line}"));
                        return;
                    }
                    // `drop(Box::from_raw(p))`
                    if let Some((callee, args)) = call_name(peel_unsafe(&c.args[0])) {
                        if is_reclaim(&callee) {
                            if let Some(p) = args.first().and_then(ident_of) {
                                if !self.dead.get(&p).is_some_and(|d| d.1) {
                                    self.use_var(&p, c.args[0].span(), true);
                                }
                                self.free_ptr(&p, c.span(), &callee);
                                return;
                            }
                        }
                    }
                }
                if let Some(p) = c.args.first().and_then(ident_of) {
                    let is_ptr_fn = name.contains("ptr::") || name == last;
                    match last {
                        "read" | "read_volatile" | "read_unaligned" if is_ptr_fn => {
                            self.deref_invalid(&p, c.span());
                        }
                        "write" | "write_volatile" | "write_unaligned" if is_ptr_fn => {
                            if self.invalid.get(&p).is_some_and(|i| i.1) {
                                self.deref_invalid(&p, c.span());
                            } else {
                                self.invalid.remove(&p);
                            }
                        }
                        "drop_in_place" if is_ptr_fn => {
                            for arg in &c.args {
                                self.walk_expr(arg, true);
                            }
                            let line = start_of(c.span()).0;
                            let why =
                                format!("its value was dropped by `drop_in_place` at line {line}");
                            let mut aliases = self.pointers_into(&p);
                            aliases.push(p.clone());
                            for alias in aliases {
                                self.invalid.insert(alias, (why.clone(), false));
                            }
                            return;
                        }
                        _ => {}
                    }
                }
                if matches!(last, "forget" | "leak" | "into_raw")
                    || name.ends_with("ManuallyDrop::new")
                {
                    if let Some(owner) = c.args.first().and_then(ident_of) {
                        if let Some(d) = self.declared.get_mut(&owner) {
                            d.1 = false;
                        }
                    }
                }
                if is_free(&name) {
                    // `libc::free(self.raw as *mut c_void)`: a field.
                    let field = c.args.first().and_then(|a| {
                        let a = peel_casts(a);
                        matches!(a, Expr::Field(_))
                            .then(|| self.place_root(a))
                            .flatten()
                    });
                    if let Some(p) = field {
                        let how = crate::patterns::last_segment(&name).to_string();
                        if self.dead.get(&p).is_some_and(|d| d.1) {
                            self.use_var(&p, c.args[0].span(), true);
                        }
                        self.ptr_fields.insert(p.clone());
                        self.free_ptr(&p, c.span(), &how);
                        for arg in c.args.iter().skip(1) {
                            self.walk_expr(arg, true);
                        }
                        return;
                    }
                    if let Some(p) = c.args.first().and_then(ident_of) {
                        let already = self.dead.get(&p).is_some_and(|d| d.1);
                        if !already {
                            self.use_var(&p, c.args[0].span(), true);
                        }
                        let how = crate::patterns::last_segment(&name).to_string();
                        self.free_ptr(&p, c.span(), &how);
                        for arg in c.args.iter().skip(1) {
                            self.walk_expr(arg, true);
                        }
                        return;
                    }
                }
                for arg in &c.args {
                    // `zlog_open(c_path(path), 1)`: a function's pointer
                    // into its dropped temporary, handed on directly.
                    if matches!(peel_casts(arg), Expr::Call(_)) {
                        if let Some((why, None, origin)) = self.returns_dangling(peel_casts(arg)) {
                            self.out.push((
                                arg.span(),
                                format!("a pointer is passed on after its memory is gone ({why})"),
                                origin,
                            ));
                        }
                    }
                    self.walk_expr(arg, true);
                }
                // `ctx_free(ctx)`: a function of the crate that frees
                // what its parameter points to; `extend_with(&mut v, n)`,
                // one that grows the buffer it is lent.
                if let Expr::Path(p) = &*c.func {
                    let (frees, grows, drops) = self.param_effects(Some(&p.path), "");
                    self.dropped_by(&c.args, drops, 0, c.span(), &short(&name));
                    for (i, arg) in c.args.iter().enumerate().take(16) {
                        if grows & (1 << i) == 0 {
                            continue;
                        }
                        // `&mut v`, `&mut *buf`, or a lent `buf` itself.
                        let owner = match peel_parens(arg) {
                            Expr::Reference(r) => match peel_parens(&r.expr) {
                                Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => {
                                    ident_of(&u.expr).filter(|v| self.lent.contains(v))
                                }
                                e => ident_of(e),
                            },
                            e => ident_of(e).filter(|v| self.lent.contains(v)),
                        };
                        if let Some(owner) = owner {
                            let line = start_of(c.span()).0;
                            let why = format!(
                                "`{}` at line {line} may grow `{owner}` and move its buffer",
                                short(&name)
                            );
                            for p in self.reachable_through(&owner, false) {
                                self.mark_dead(&p, (why.clone(), false));
                            }
                        }
                    }
                    if frees != 0 {
                        for (i, arg) in c.args.iter().enumerate().take(16) {
                            if frees & (1 << i) != 0 {
                                if let Some(ptr) = ident_of(arg) {
                                    self.free_ptr(&ptr, c.span(), &short(&name));
                                }
                            }
                        }
                    }
                }
            }
            Expr::MethodCall(m) => {
                let name = m.method.to_string();
                let recv = ident_of(&m.receiver);
                if matches!(name.as_str(), "is_null" | "as_ref" | "as_mut") {
                    // Checked (or turned into an `Option`) before use.
                    if let Some(p) = &recv {
                        self.invalid.remove(p);
                    }
                    if name == "is_null" {
                        return;
                    }
                }
                if let Some(p) = &recv {
                    if self.unsafe_depth > 0 {
                        match name.as_str() {
                            "read" | "read_volatile" | "read_unaligned" => {
                                self.deref_invalid(p, m.span());
                            }
                            "write" | "write_volatile" | "write_unaligned" => {
                                if self.invalid.get(p).is_some_and(|i| i.1) {
                                    self.deref_invalid(p, m.span());
                                } else {
                                    self.invalid.remove(p);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                self.walk_expr(&m.receiver, false);
                let container = matches!(
                    name.as_str(),
                    "push" | "push_back" | "push_front" | "insert" | "extend"
                )
                .then(|| ident_of(&m.receiver))
                .flatten();
                for arg in &m.args {
                    self.walk_expr(arg, true);
                    // `keep.push(owner)`: the owned value moves into the
                    // container and lives on with it (and dies with it,
                    // when the container is a local).
                    for moved in moved_into(arg) {
                        if let Some(to) = &container {
                            self.transfer(&moved, to);
                        }
                        self.moved_out(&moved);
                    }
                }
                // `let head = buf.as_ptr(); buf.push(x);`: growing a
                // `Vec` or `String` may move its buffer.
                if GROWING.contains(&name.as_str()) {
                    // The grown place: a variable or one of its fields.
                    let grown = match peel_parens(&m.receiver) {
                        e @ (Expr::Path(_) | Expr::Field(_)) => self.place_root(e),
                        _ => None,
                    };
                    if let Some(owner) = &grown {
                        let line = start_of(m.method.span()).0;
                        let why = format!("`{owner}.{name}()` at line {line} may move its buffer");
                        for p in self.reachable_through(owner, false) {
                            self.mark_dead(&p, (why.clone(), false));
                        }
                    }
                }
                // `pool.destroy(s)`: a method of the crate that frees what
                // its parameter points to (the receiver is position 0).
                let (frees, _, drops) = self.param_effects(None, &name);
                self.dropped_by(&m.args, drops, 1, m.span(), &format!(".{name}()"));
                // `self.grow(n)` of a method that reserves `self.bytes`;
                // `self.resync()` of one that points `self.cursor` into
                // `self.data` again.
                if let Some(recv) = &recv {
                    let (fields, repointed, freed, read, set) = self.grown_fields_of(&name);
                    // `buf.first()` of a method that reads `*self.data`,
                    // after `buf.release()`: a use (inside the callee's
                    // `unsafe`, so reported here whatever the caller's).
                    for field in read {
                        let p = format!("{recv}.{field}");
                        if let Some((why, _)) = self.dead.get(&p) {
                            let message = format!(
                                "`{p}` is used by `.{name}()` after its memory is gone ({why})"
                            );
                            if self.reported.insert((p.clone(), start_of(m.span()).0)) {
                                let origin = self.origins.get(&p).copied();
                                self.out.push((m.span(), message, origin));
                            }
                        }
                    }
                    // `buf.alloc()` of a method that sets `self.data` again.
                    for field in set {
                        self.forget(&format!("{recv}.{field}"));
                    }
                    // `buf.release()` of a method that frees `self.data`.
                    for field in freed {
                        let p = format!("{recv}.{field}");
                        self.ptr_fields.insert(p.clone());
                        self.free_ptr(&p, m.span(), &format!(".{name}()"));
                    }
                    for (ptr, buf) in repointed {
                        let ptr = format!("{recv}.{ptr}");
                        self.forget(&ptr);
                        self.set_derived(&ptr, &format!("{recv}.{buf}"));
                        self.ptr_fields.insert(ptr);
                    }
                    let line = start_of(m.method.span()).0;
                    for field in fields {
                        let owner = format!("{recv}.{field}");
                        let why =
                            format!("`{recv}.{name}()` at line {line} may move or free `{owner}`");
                        for p in self.reachable_through(&owner, false) {
                            self.mark_dead(&p, (why.clone(), false));
                        }
                    }
                }
                if frees != 0 {
                    for (i, arg) in m.args.iter().enumerate().take(15) {
                        if frees & (1 << (i + 1)) != 0 {
                            if let Some(ptr) = ident_of(arg) {
                                self.free_ptr(&ptr, m.span(), &format!(".{name}()"));
                            }
                        }
                    }
                }
            }
            Expr::Macro(m) => self.walk_macro(&m.mac),
            // `if let Some(raw) = cache.evict(id)`: what the call returns.
            Expr::Let(l) => {
                self.walk_expr(&l.expr, false);
                if let Some(returned) = self.returns_dangling(&l.expr) {
                    self.bind_returned(&l.pat, &returned);
                }
            }
            Expr::Closure(_) | Expr::Lit(_) => {}
            Expr::If(i) => {
                self.walk_expr(&i.cond, false);
                // Only one branch runs (no `else`: none may): a pointer
                // freed in one is not gone in the other, and one assigned
                // again in one may still be dead after both.
                let diverges = |n: usize| match n {
                    0 => ends_flow(&i.then_branch),
                    _ => i
                        .else_branch
                        .as_ref()
                        .is_some_and(|(_, e)| expr_ends_flow(e)),
                };
                self.walk_alternatives(2, diverges, |w, n| {
                    if n == 0 {
                        w.walk_block(&i.then_branch, false);
                    } else if let Some((_, els)) = &i.else_branch {
                        w.walk_expr(els, false);
                    }
                });
            }
            // A `while` or `for` body may not run at all (a pointer it
            // assigns again may still be dead after it); what a block
            // leaving the loop (`break`, `continue`) freed may be gone
            // after the loop.
            Expr::While(w) => {
                self.enter_loop(&w.body);
                self.walk_expr(&w.cond, false);
                self.loop_exits.push(Vec::new());
                self.walk_alternatives(
                    2,
                    |_| false,
                    |w2, n| {
                        if n == 0 {
                            w2.walk_block(&w.body, false);
                        }
                    },
                );
                self.leave_loop();
            }
            Expr::ForLoop(f) => {
                self.walk_expr(&f.expr, false);
                self.enter_loop(&f.body);
                self.loop_exits.push(Vec::new());
                self.walk_alternatives(
                    2,
                    |_| false,
                    |w, n| {
                        if n == 0 {
                            w.walk_block(&f.body, false);
                        }
                    },
                );
                self.leave_loop();
            }
            Expr::Loop(l) => {
                self.enter_loop(&l.body);
                self.loop_exits.push(Vec::new());
                self.walk_block(&l.body, false);
                self.leave_loop();
            }
            Expr::Match(m) => {
                self.walk_expr(&m.expr, false);
                let returned = self.returns_dangling(&m.expr);
                // One arm runs (see `walk_alternatives`).
                self.walk_alternatives(
                    m.arms.len(),
                    |n| expr_ends_flow(&m.arms[n].body),
                    |w, n| {
                        let arm = &m.arms[n];
                        if let Some(returned) = &returned {
                            w.bind_returned(&arm.pat, returned);
                        }
                        if let Some((_, g)) = &arm.guard {
                            w.walk_expr(g, false);
                        }
                        // An arm that diverges leaves the dead set as it was.
                        let mark = expr_ends_flow(&arm.body).then(|| w.begin_undo());
                        w.walk_expr(&arm.body, false);
                        if let Some(mark) = mark {
                            w.undo_to(mark);
                        }
                    },
                );
            }
            other => {
                // Children in source order.
                let mut v = Children(Vec::new());
                syn::visit::visit_expr(&mut v, other);
                for child in v.0 {
                    self.walk_expr(child, false);
                }
            }
        }
    }
}

/// Whether the body assigns the variable `name` (`p = (*p).next`) or
/// binds the name anew.
fn assigns(block: &syn::Block, name: &str) -> bool {
    struct Assigns<'n>(&'n str, bool);
    impl<'a> Visit<'a> for Assigns<'_> {
        fn visit_expr_assign(&mut self, a: &'a syn::ExprAssign) {
            if ident_of(&a.left).as_deref() == Some(self.0) {
                self.1 = true;
            }
            syn::visit::visit_expr_assign(self, a);
        }
        fn visit_local(&mut self, l: &'a syn::Local) {
            if matches!(strip_pat_type(&l.pat), Pat::Ident(pi) if pi.ident == self.0) {
                self.1 = true;
            }
            syn::visit::visit_local(self, l);
        }
    }
    let mut v = Assigns(name, false);
    v.visit_block(block);
    v.1
}

/// libxml2 functions that return a node of the tree they are given (freed
/// with the document: `xmlFreeDoc`).
const XML_NODE_GETTERS: &[&str] = &[
    "xmlDocGetRootElement",
    "xmlFirstElementChild",
    "xmlLastElementChild",
    "xmlNextElementSibling",
    "xmlPreviousElementSibling",
];

/// Methods that may move a `Vec`'s or `String`'s buffer.
const GROWING: &[&str] = &[
    "push",
    "push_str",
    "extend",
    "extend_from_slice",
    "insert",
    "insert_str",
    "reserve",
    "reserve_exact",
    "resize",
    "append",
    "shrink_to_fit",
    "shrink_to",
];

/// The `&mut` parameters (bits by position) the body grows in place
/// (`v.resize(..)` of `v: &mut Vec<u32>`), for
/// [`crate::engine::summary::Summary::grows_params`]; read from the text,
/// whether or not the function is walked.
fn grown_params(sig: &syn::Signature, block: &syn::Block) -> u16 {
    let mut names: Vec<(usize, String)> = Vec::new();
    for (i, input) in sig.inputs.iter().enumerate().take(16) {
        let syn::FnArg::Typed(pt) = input else {
            continue;
        };
        // `&mut Vec<..>`, `&mut String`: a buffer lent to grow (not a
        // `&mut Formatter`).
        if let (Pat::Ident(pi), syn::Type::Reference(r)) = (strip_pat_type(&pt.pat), &*pt.ty) {
            if r.mutability.is_some() && is_owned_buffer_type(&r.elem) {
                names.push((i, pi.ident.to_string()));
            }
        }
    }
    if names.is_empty() {
        return 0;
    }
    struct Grows<'n>(&'n [(usize, String)], u16, HashSet<String>);
    impl<'a> Visit<'a> for Grows<'_> {
        // `let mut v = v.clone();`: a new variable of that name.
        fn visit_local(&mut self, l: &'a syn::Local) {
            if let Pat::Ident(pi) = strip_pat_type(&l.pat) {
                self.2.insert(pi.ident.to_string());
            }
            syn::visit::visit_local(self, l);
        }
        fn visit_expr_method_call(&mut self, m: &'a syn::ExprMethodCall) {
            if GROWING.contains(&m.method.to_string().as_str()) {
                if let Some(v) = ident_of(peel_parens(&m.receiver)) {
                    for (i, name) in self.0 {
                        if *name == v {
                            self.1 |= 1 << i;
                        }
                    }
                }
            }
            syn::visit::visit_expr_method_call(self, m);
        }
    }
    let mut grows = Grows(&names, 0, HashSet::default());
    grows.visit_block(block);
    let mut bits = grows.1;
    for (i, name) in &names {
        if grows.2.contains(name) {
            bits &= !(1 << i);
        }
    }
    bits
}

/// `v.as_ptr()`, `v.as_mut_ptr().add(n)`, `unsafe { .. }` of them,
/// `xmlDocGetRootElement(v)`: `v`.
fn ptr_base(e: &Expr) -> Option<&Expr> {
    match peel_unsafe(peel_parens(e)) {
        Expr::Cast(c) => ptr_base(&c.expr),
        Expr::Call(c)
            if matches!(&*c.func, Expr::Path(p)
                if XML_NODE_GETTERS.contains(&last_ident(&p.path).as_str())) =>
        {
            c.args.first()
        }
        Expr::MethodCall(m) => match m.method.to_string().as_str() {
            "as_ptr" | "as_mut_ptr" => Some(&m.receiver),
            "add" | "offset" | "wrapping_add" | "cast" | "cast_mut" | "cast_const" => {
                ptr_base(&m.receiver)
            }
            _ => None,
        },
        _ => None,
    }
}

/// Under parentheses and casts (`(self.raw as *mut c_void)`).
fn peel_casts(mut e: &Expr) -> &Expr {
    e = peel_parens(e);
    while let Expr::Cast(cast) = e {
        e = peel_parens(&cast.expr);
    }
    e
}

/// A field's name, or its number in a tuple struct.
fn member_name(m: &syn::Member) -> String {
    match m {
        syn::Member::Named(n) => n.to_string(),
        syn::Member::Unnamed(i) => i.index.to_string(),
    }
}

/// `self.name` (a named or numbered field of `self`): its name.
fn self_field(e: &Expr) -> Option<String> {
    match peel_parens(e) {
        Expr::Field(f) if matches!(peel_parens(&f.base), Expr::Path(p) if p.path.is_ident("self")) => {
            Some(member_name(&f.member))
        }
        _ => None,
    }
}

/// The pointer fields a method points again into a buffer field of
/// `self` (`self.cursor = self.data.as_ptr()`), for
/// [`crate::engine::summary::Summary::repoints_fields`].
fn repointed_fields(sig: &syn::Signature, block: &syn::Block) -> Vec<(String, String)> {
    if sig.receiver().is_none() {
        return Vec::new();
    }
    struct Repoints(Vec<(String, String)>);
    impl<'a> Visit<'a> for Repoints {
        fn visit_expr_assign(&mut self, a: &'a syn::ExprAssign) {
            if let (Some(ptr), Some(buf)) =
                (self_field(&a.left), ptr_base(&a.right).and_then(self_field))
            {
                if ptr != buf && !self.0.contains(&(ptr.clone(), buf.clone())) {
                    self.0.push((ptr, buf));
                }
            }
            syn::visit::visit_expr_assign(self, a);
        }
        fn visit_item(&mut self, _: &'a syn::Item) {}
    }
    let mut r = Repoints(Vec::new());
    r.visit_block(block);
    r.0
}

/// The pointer fields of `self` a method frees (`libc::free(self.data as
/// *mut c_void)`, `dealloc(self.ptr, layout)`) and never assigns, for
/// [`crate::engine::summary::Summary::frees_fields`].
fn freed_fields(sig: &syn::Signature, block: &syn::Block) -> Vec<String> {
    if sig.receiver().is_none() || sig.ident == "drop" {
        return Vec::new();
    }
    fields_freed_in(block)
}

/// The field of `self` a method's returned pointer points into, and its
/// place in a returned tuple (see
/// [`crate::engine::summary::Summary::ret_field_ptr`]).
fn returned_field_ptr(block: &syn::Block) -> Option<(String, Option<usize>)> {
    let tail = block_tail(block)?;
    match peel_unsafe(peel_parens(tail)) {
        Expr::Tuple(t) => t
            .elems
            .iter()
            .enumerate()
            .find_map(|(i, el)| Some((ptr_base(el).and_then(self_field)?, Some(i)))),
        e => Some((ptr_base(e).and_then(self_field)?, None)),
    }
}

/// The fields of `self` every `impl Drop` of the file frees (see
/// `FileAnalyzer::drop_freed_fields`).
/// A field name another struct of the file has too (`View { ptr }` beside
/// `Doc { ptr }` whose `Drop` frees it) is left out: the value a pointer
/// is copied from is known by name only (red team rt76).
pub(crate) fn collect_drop_freed_fields(file: &syn::File, out: &mut HashSet<String>) {
    #[derive(Default)]
    struct Drops {
        /// (type, field) an `impl Drop` frees.
        freed: Vec<(String, String)>,
        /// Every struct's name and field names.
        fields: Vec<(String, Vec<String>)>,
    }
    impl<'a> Visit<'a> for Drops {
        fn visit_item_impl(&mut self, i: &'a syn::ItemImpl) {
            let is_drop = i
                .trait_
                .as_ref()
                .is_some_and(|(_, path, _)| last_ident(path) == "Drop");
            if let (true, Some(ty)) = (is_drop, crate::engine::impl_type_name(i)) {
                for item in &i.items {
                    if let syn::ImplItem::Fn(f) = item {
                        for field in fields_freed_in(&f.block) {
                            self.freed.push((ty.clone(), field));
                        }
                    }
                }
            }
            syn::visit::visit_item_impl(self, i);
        }
        fn visit_item_struct(&mut self, s: &'a syn::ItemStruct) {
            let names = s
                .fields
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    f.ident
                        .as_ref()
                        .map_or_else(|| i.to_string(), ToString::to_string)
                })
                .collect();
            self.fields.push((s.ident.to_string(), names));
            syn::visit::visit_item_struct(self, s);
        }
    }
    let mut d = Drops::default();
    d.visit_file(file);
    for (ty, field) in &d.freed {
        let shared = d
            .fields
            .iter()
            .any(|(other, names)| other != ty && names.contains(field));
        if !shared {
            out.insert(field.clone());
        }
    }
}

/// The pointer fields of `self` a body frees and never assigns.
fn fields_freed_in(block: &syn::Block) -> Vec<String> {
    struct Frees {
        freed: BTreeSet<String>,
        assigned: BTreeSet<String>,
        /// Locals holding a field's pointer (`let p = self.data;`).
        aliases: HashMap<String, String>,
        /// Boxes rebuilt from a field (`let b = Box::from_raw(self.inner);`).
        boxes: HashMap<String, String>,
    }
    impl Frees {
        /// The field a pointer expression is (`self.data`, `p` of `let p =
        /// self.data`, either cast).
        fn field(&self, e: &Expr) -> Option<String> {
            let e = peel_casts(e);
            self_field(e).or_else(|| ident_of(e).and_then(|v| self.aliases.get(&v).cloned()))
        }
        /// `Box::from_raw(self.inner)` and its kind, whose owner is
        /// dropped where it is made: the field is freed.
        fn reclaimed(&mut self, e: &Expr) {
            if let Some((callee, args)) = call_name(peel_unsafe(e)) {
                if is_reclaim(&callee) {
                    if let Some(f) = args.first().and_then(|a| self.field(a)) {
                        self.freed.insert(f);
                    }
                }
            }
        }
    }
    impl<'a> Visit<'a> for Frees {
        fn visit_expr_call(&mut self, c: &'a syn::ExprCall) {
            if let Expr::Path(p) = &*c.func {
                let callee = path_idents(&p.path).join("::");
                if is_free(&callee) {
                    if let Some(f) = c.args.first().and_then(|a| self.field(a)) {
                        self.freed.insert(f);
                    }
                } else if callee == "drop" || callee.ends_with("mem::drop") {
                    if let Some(arg) = c.args.first() {
                        self.reclaimed(arg);
                        // `let b = Box::from_raw(self.inner); drop(b);`
                        if let Some(f) = ident_of(arg).and_then(|v| self.boxes.get(&v).cloned()) {
                            self.freed.insert(f);
                        }
                    }
                }
            }
            syn::visit::visit_expr_call(self, c);
        }
        fn visit_local(&mut self, l: &'a syn::Local) {
            if let Some(init) = &l.init {
                match strip_pat_type(&l.pat) {
                    Pat::Ident(pi) => {
                        let e = peel_casts(peel_unsafe(&init.expr));
                        if let Some(f) = self_field(e) {
                            self.aliases.insert(pi.ident.to_string(), f);
                        }
                        // `let b = Box::from_raw(self.inner);`: freed when
                        // `b` is dropped.
                        if let Some((callee, args)) = call_name(e) {
                            if is_reclaim(&callee) {
                                if let Some(f) = args.first().and_then(|a| self.field(a)) {
                                    self.boxes.insert(pi.ident.to_string(), f);
                                }
                            }
                        }
                    }
                    Pat::Wild(_) => self.reclaimed(&init.expr),
                    _ => {}
                }
            }
            syn::visit::visit_local(self, l);
        }
        fn visit_stmt(&mut self, s: &'a Stmt) {
            if let Stmt::Expr(e, Some(_)) = s {
                self.reclaimed(e);
            }
            syn::visit::visit_stmt(self, s);
        }
        fn visit_expr_assign(&mut self, a: &'a syn::ExprAssign) {
            if let Some(f) = self_field(&a.left) {
                self.assigned.insert(f);
            }
            syn::visit::visit_expr_assign(self, a);
        }
        fn visit_item(&mut self, _: &'a syn::Item) {}
    }
    let mut f = Frees {
        freed: BTreeSet::new(),
        assigned: BTreeSet::new(),
        aliases: HashMap::default(),
        boxes: HashMap::default(),
    };
    f.visit_block(block);
    f.freed.difference(&f.assigned).cloned().collect()
}

/// The fields of `self` a body assigns (`self.data = ..`).
fn assigned_fields(block: &syn::Block) -> Vec<String> {
    struct Sets(BTreeSet<String>);
    impl<'a> Visit<'a> for Sets {
        fn visit_expr_assign(&mut self, a: &'a syn::ExprAssign) {
            if let Some(f) = self_field(&a.left) {
                self.0.insert(f);
            }
            syn::visit::visit_expr_assign(self, a);
        }
        fn visit_item(&mut self, _: &'a syn::Item) {}
    }
    let mut s = Sets(BTreeSet::new());
    s.visit_block(block);
    s.0.into_iter().collect()
}

/// The pointer fields of `self` a method reads through (`*self.data`,
/// `(*self.inner).len()`, `self.ptr.add(i).read()`,
/// `slice::from_raw_parts(self.ptr, n)`) and does not free, for
/// [`crate::engine::summary::Summary::reads_fields`].
fn read_fields(sig: &syn::Signature, block: &syn::Block, freed: &[String]) -> Vec<String> {
    if sig.receiver().is_none() || sig.ident == "drop" {
        return Vec::new();
    }
    /// `self.f` under pointer arithmetic and casts.
    fn base_field(e: &Expr) -> Option<String> {
        match peel_unsafe(peel_parens(e)) {
            Expr::Cast(c) => base_field(&c.expr),
            Expr::MethodCall(m)
                if matches!(
                    m.method.to_string().as_str(),
                    "add" | "offset" | "wrapping_add" | "cast" | "cast_mut" | "cast_const"
                ) =>
            {
                base_field(&m.receiver)
            }
            e => self_field(e),
        }
    }
    /// Fields read, and locals holding a field's pointer (`let q =
    /// self.data;`).
    struct Reads(BTreeSet<String>, HashMap<String, String>);
    impl Reads {
        fn field(&self, e: &Expr) -> Option<String> {
            base_field(e).or_else(|| {
                let mut e = peel_parens(e);
                while let Expr::MethodCall(m) = e {
                    if !matches!(m.method.to_string().as_str(), "add" | "offset" | "cast") {
                        break;
                    }
                    e = peel_parens(&m.receiver);
                }
                ident_of(e).and_then(|v| self.1.get(&v).cloned())
            })
        }
    }
    impl<'a> Visit<'a> for Reads {
        fn visit_local(&mut self, l: &'a syn::Local) {
            if let (Pat::Ident(pi), Some(init)) = (strip_pat_type(&l.pat), &l.init) {
                match base_field(&init.expr) {
                    Some(f) => {
                        self.1.insert(pi.ident.to_string(), f);
                    }
                    None => {
                        self.1.remove(&pi.ident.to_string());
                    }
                }
            }
            syn::visit::visit_local(self, l);
        }
        fn visit_expr_unary(&mut self, u: &'a syn::ExprUnary) {
            if matches!(u.op, syn::UnOp::Deref(_)) {
                if let Some(f) = self.field(&u.expr) {
                    self.0.insert(f);
                }
            }
            syn::visit::visit_expr_unary(self, u);
        }
        fn visit_expr_method_call(&mut self, m: &'a syn::ExprMethodCall) {
            if matches!(
                m.method.to_string().as_str(),
                "read" | "read_unaligned" | "read_volatile" | "write" | "write_unaligned"
            ) {
                if let Some(f) = self.field(&m.receiver) {
                    self.0.insert(f);
                }
            }
            syn::visit::visit_expr_method_call(self, m);
        }
        fn visit_expr_call(&mut self, c: &'a syn::ExprCall) {
            if let Expr::Path(p) = &*c.func {
                if matches!(
                    last_ident(&p.path).as_str(),
                    "from_raw_parts"
                        | "from_raw_parts_mut"
                        | "read"
                        | "read_unaligned"
                        | "write"
                        | "copy_nonoverlapping"
                        | "copy"
                        | "from_ptr"
                ) {
                    for arg in &c.args {
                        if let Some(f) = self.field(arg) {
                            self.0.insert(f);
                        }
                    }
                }
            }
            syn::visit::visit_expr_call(self, c);
        }
        fn visit_item(&mut self, _: &'a syn::Item) {}
    }
    let mut r = Reads(BTreeSet::new(), HashMap::default());
    r.visit_block(block);
    r.0.into_iter().filter(|f| !freed.contains(f)).collect()
}

/// The fields of `self` a `&mut self` method may move or free, for
/// [`crate::engine::summary::Summary::grows_fields`]: grown in place
/// (`self.bytes.reserve(n)`), given a new owned value (`self.config =
/// Box::new(..)`), or taken (`mem::take(&mut self.buf)`).
fn grown_fields(sig: &syn::Signature, block: &syn::Block) -> Vec<String> {
    let mutable_self = sig
        .receiver()
        .is_some_and(|r| r.reference.is_some() && r.mutability.is_some());
    if !mutable_self {
        return Vec::new();
    }
    struct Grows(BTreeSet<String>, HashSet<String>);
    impl<'a> Visit<'a> for Grows {
        // `let next = fs::read(p)?; .. self.block = next;`: a value (not
        // a reference or a pointer) given to a field replaces its buffer.
        fn visit_local(&mut self, l: &'a syn::Local) {
            if let (Pat::Ident(pi), Some(init)) = (strip_pat_type(&l.pat), &l.init) {
                let init = peel_unsafe(peel_parens(&init.expr));
                let pointer = matches!(init, Expr::Reference(_) | Expr::Cast(_) | Expr::RawAddr(_))
                    || ptr_base(init).is_some();
                // `let q = r;` is a value only if `r` is one (not a
                // reference parameter: red team rt77).
                let value = match init {
                    Expr::Path(_) => ident_of(init).is_some_and(|v| self.1.contains(&v)),
                    _ => !pointer,
                };
                if value {
                    self.1.insert(pi.ident.to_string());
                } else {
                    self.1.remove(&pi.ident.to_string());
                }
            }
            syn::visit::visit_local(self, l);
        }
        fn visit_expr_method_call(&mut self, m: &'a syn::ExprMethodCall) {
            if GROWING.contains(&m.method.to_string().as_str()) {
                if let Some(f) = self_field(&m.receiver) {
                    self.0.insert(f);
                }
            }
            syn::visit::visit_expr_method_call(self, m);
        }
        fn visit_expr_assign(&mut self, a: &'a syn::ExprAssign) {
            let owned_local = ident_of(&a.right).is_some_and(|v| self.1.contains(&v));
            // `self.block = fs::read(path)?`: a value a call made.
            let made = {
                let mut e = peel_parens(&a.right);
                while let Expr::Try(t) = e {
                    e = peel_parens(&t.expr);
                }
                matches!(e, Expr::Call(_) | Expr::MethodCall(_)) && ptr_base(e).is_none()
            };
            if owned_local || made || is_owned_value(&a.right) {
                if let Some(f) = self_field(&a.left) {
                    self.0.insert(f);
                }
            }
            syn::visit::visit_expr_assign(self, a);
        }
        fn visit_expr_call(&mut self, c: &'a syn::ExprCall) {
            if let Expr::Path(p) = &*c.func {
                let segs = path_idents(&p.path);
                let taken = segs.len() >= 2
                    && segs[segs.len() - 2] == "mem"
                    && matches!(segs[segs.len() - 1].as_str(), "take" | "replace" | "swap");
                if taken {
                    for arg in &c.args {
                        if let Expr::Reference(r) = peel_parens(arg) {
                            if let Some(f) = self_field(&r.expr) {
                                self.0.insert(f);
                            }
                        }
                    }
                }
            }
            syn::visit::visit_expr_call(self, c);
        }
        fn visit_item(&mut self, _: &'a syn::Item) {}
    }
    let mut g = Grows(BTreeSet::new(), HashSet::default());
    // By-value parameters (`next: Vec<u8>`) too.
    for input in &sig.inputs {
        if let syn::FnArg::Typed(pt) = input {
            if let (Pat::Ident(pi), false) = (
                strip_pat_type(&pt.pat),
                matches!(&*pt.ty, syn::Type::Reference(_) | syn::Type::Ptr(_)),
            ) {
                g.1.insert(pi.ident.to_string());
            }
        }
    }
    g.visit_block(block);
    // A method that points its fields into the buffer again after growing
    // it (`reserve`, then `self.cursor = self.data.as_ptr()`) leaves them
    // valid.
    let repointed = repointed_fields(sig, block);
    g.0.into_iter()
        .filter(|f| !repointed.iter().any(|(_, buf)| buf == f))
        .collect()
}

/// The pointers each type keeps into its own buffers (see
/// `FileAnalyzer::field_ptrs`): a field assigned `self.data.as_ptr()` (or
/// arithmetic on it) in the type's `impl`, or a struct literal of the
/// type giving one field `v.as_ptr()` (directly or through a local) and
/// another field `v` itself.
pub(crate) fn collect_field_ptrs(
    file: &syn::File,
    out: &mut HashMap<String, Vec<(String, String)>>,
) {
    struct Fields<'o> {
        out: &'o mut HashMap<String, Vec<(String, String)>>,
        self_ty: Option<String>,
        /// `let cursor = bytes.as_mut_ptr();` in the current function.
        locals: HashMap<String, String>,
    }
    impl Fields<'_> {
        fn add(&mut self, ty: String, ptr: String, buf: String) {
            if ptr != buf {
                let list = self.out.entry(ty).or_default();
                if !list.contains(&(ptr.clone(), buf.clone())) {
                    list.push((ptr, buf));
                }
            }
        }
    }
    impl<'a> Visit<'a> for Fields<'_> {
        fn visit_item_impl(&mut self, i: &'a syn::ItemImpl) {
            let outer = std::mem::replace(&mut self.self_ty, crate::engine::impl_type_name(i));
            syn::visit::visit_item_impl(self, i);
            self.self_ty = outer;
        }
        fn visit_item_fn(&mut self, f: &'a syn::ItemFn) {
            let outer = std::mem::take(&mut self.locals);
            syn::visit::visit_item_fn(self, f);
            self.locals = outer;
        }
        fn visit_impl_item_fn(&mut self, f: &'a syn::ImplItemFn) {
            let outer = std::mem::take(&mut self.locals);
            syn::visit::visit_impl_item_fn(self, f);
            self.locals = outer;
        }
        fn visit_block(&mut self, b: &'a syn::Block) {
            for stmt in &b.stmts {
                if let Stmt::Local(l) = stmt {
                    if let (Pat::Ident(pi), Some(init)) = (strip_pat_type(&l.pat), &l.init) {
                        if let Some(base) = ptr_base(&init.expr).and_then(ident_of) {
                            self.locals.insert(pi.ident.to_string(), base);
                        }
                    }
                }
            }
            syn::visit::visit_block(self, b);
        }
        fn visit_expr_assign(&mut self, a: &'a syn::ExprAssign) {
            if let (Expr::Field(left), Some(ty)) = (peel_parens(&a.left), self.self_ty.clone()) {
                let on_self =
                    |e: &Expr| matches!(peel_parens(e), Expr::Path(p) if p.path.is_ident("self"));
                if on_self(&left.base) {
                    if let Some(Expr::Field(buf)) = ptr_base(&a.right).map(peel_parens) {
                        if on_self(&buf.base) {
                            self.add(ty, member_name(&left.member), member_name(&buf.member));
                        }
                    }
                }
            }
            syn::visit::visit_expr_assign(self, a);
        }
        fn visit_expr_struct(&mut self, e: &'a syn::ExprStruct) {
            let ty = crate::engine::literal_type_name(e, self.self_ty.as_deref());
            if let Some(ty) = ty {
                // Which variable each field is given, and which variable
                // each field points into.
                let mut given: Vec<(String, String)> = Vec::new();
                let mut points: Vec<(String, String)> = Vec::new();
                for f in &e.fields {
                    let name = member_name(&f.member);
                    if let Some(v) = ident_of(&f.expr) {
                        if let Some(base) = self.locals.get(&v) {
                            points.push((name.clone(), base.clone()));
                        }
                        given.push((name, v));
                    } else if let Some(base) = ptr_base(&f.expr).and_then(ident_of) {
                        points.push((name, base));
                    }
                }
                for (ptr, base) in points {
                    if let Some((buf, _)) = given.iter().find(|(_, v)| *v == base) {
                        self.add(ty.clone(), ptr, buf.clone());
                    }
                }
            }
            syn::visit::visit_expr_struct(self, e);
        }
    }
    Fields {
        out,
        self_ty: None,
        locals: HashMap::default(),
    }
    .visit_file(file);
}

/// The owned buffers taken by value (bits by position, a receiver at 0)
/// that the body only borrows (`s.len()`, `&s`, `s == t`, `println!("{s}")`)
/// and so drops when it returns, for
/// [`crate::engine::summary::Summary::drops_params`]. Any other use (a
/// bare `s`: passed on, returned, stored, matched, captured; `into_*`,
/// `leak`; an unknown macro naming it) may keep the buffer alive, and an
/// `async fn` drops it only when its future ends.
fn dropped_params(sig: &syn::Signature, block: &syn::Block) -> u16 {
    if sig.asyncness.is_some() {
        return 0;
    }
    let mut names: Vec<(usize, String)> = Vec::new();
    for (i, input) in sig.inputs.iter().enumerate().take(16) {
        let syn::FnArg::Typed(pt) = input else {
            continue;
        };
        if let Pat::Ident(pi) = &*pt.pat {
            if pi.by_ref.is_none() && pi.subpat.is_none() && is_owned_buffer_type(&pt.ty) {
                names.push((i, pi.ident.to_string()));
            }
        }
    }
    if names.is_empty() {
        return 0;
    }
    struct Borrows<'n> {
        names: &'n [(usize, String)],
        kept: u16,
    }
    impl Borrows<'_> {
        fn bit(&self, e: &Expr) -> u16 {
            let Some(v) = ident_of(peel_parens(e)) else {
                return 0;
            };
            self.names
                .iter()
                .filter(|(_, n)| *n == v)
                .fold(0, |b, (i, _)| b | 1 << i)
        }
        fn named_in(&self, tokens: proc_macro2::TokenStream) -> u16 {
            let mut bits = 0;
            for t in tokens {
                match t {
                    proc_macro2::TokenTree::Ident(id) => {
                        for (i, n) in self.names {
                            if id == n.as_str() {
                                bits |= 1 << i;
                            }
                        }
                    }
                    proc_macro2::TokenTree::Group(g) => bits |= self.named_in(g.stream()),
                    _ => {}
                }
            }
            bits
        }
    }
    impl<'a> Visit<'a> for Borrows<'_> {
        fn visit_expr(&mut self, e: &'a Expr) {
            match e {
                Expr::Path(_) => self.kept |= self.bit(e),
                Expr::MethodCall(m) => {
                    let method = m.method.to_string();
                    let consumes = method.starts_with("into") || method == "leak";
                    if consumes || self.bit(&m.receiver) == 0 {
                        self.visit_expr(&m.receiver);
                    }
                    for arg in &m.args {
                        self.visit_expr(arg);
                    }
                }
                Expr::Reference(r) if self.bit(&r.expr) != 0 => {}
                Expr::Field(f) if self.bit(&f.base) != 0 => {}
                Expr::Index(ix) if self.bit(&ix.expr) != 0 => self.visit_expr(&ix.index),
                Expr::Binary(b)
                    if matches!(
                        b.op,
                        syn::BinOp::Eq(_)
                            | syn::BinOp::Ne(_)
                            | syn::BinOp::Lt(_)
                            | syn::BinOp::Le(_)
                            | syn::BinOp::Gt(_)
                            | syn::BinOp::Ge(_)
                    ) =>
                {
                    for side in [&*b.left, &*b.right] {
                        if self.bit(side) == 0 {
                            self.visit_expr(side);
                        }
                    }
                }
                Expr::Closure(c) => self.kept |= self.named_in(quote::ToTokens::to_token_stream(c)),
                _ => syn::visit::visit_expr(self, e),
            }
        }
        fn visit_macro(&mut self, m: &'a syn::Macro) {
            // The formatting macros take their arguments by reference.
            let formats = matches!(
                last_ident(&m.path).as_str(),
                "format"
                    | "print"
                    | "println"
                    | "eprint"
                    | "eprintln"
                    | "write"
                    | "writeln"
                    | "panic"
                    | "assert"
                    | "assert_eq"
                    | "assert_ne"
                    | "debug_assert"
                    | "trace"
                    | "debug"
                    | "info"
                    | "warn"
                    | "error"
            );
            if !formats {
                self.kept |= self.named_in(m.tokens.clone());
            }
        }
        // `let s = s.trim().to_string();`: another variable of that name.
        fn visit_local(&mut self, l: &'a syn::Local) {
            for (i, n) in self.names {
                if matches!(strip_pat_type(&l.pat), Pat::Ident(pi) if pi.ident == n.as_str()) {
                    self.kept |= 1 << i;
                }
            }
            syn::visit::visit_local(self, l);
        }
        fn visit_item(&mut self, _: &'a syn::Item) {}
    }
    let mut b = Borrows {
        names: &names,
        kept: 0,
    };
    b.visit_block(block);
    names.iter().fold(0, |bits, (i, _)| bits | 1 << i) & !b.kept
}

/// A block that ends by leaving its loop (`break`, `continue`): whether
/// the exit names a label (`break 'outer`).
fn exits_loop(block: &syn::Block) -> Option<bool> {
    match block.stmts.last() {
        Some(Stmt::Expr(Expr::Break(b), _)) => Some(b.label.is_some()),
        Some(Stmt::Expr(Expr::Continue(c), _)) => Some(c.label.is_some()),
        _ => None,
    }
}

/// Whether control leaves a block at its end: `return`, `break`,
/// `continue`, a panic, `process::exit`, `abort`. Unlike the engine's
/// divergence, not a `?` (the error path leaves, the value goes on).
fn ends_flow(block: &syn::Block) -> bool {
    match block.stmts.last() {
        Some(Stmt::Expr(e, _)) => expr_ends_flow(e),
        Some(Stmt::Macro(m)) => is_diverging_macro(&m.mac),
        _ => false,
    }
}

/// [`ends_flow`] of an expression.
fn expr_ends_flow(e: &Expr) -> bool {
    match e {
        Expr::Return(_) | Expr::Continue(_) | Expr::Break(_) => true,
        Expr::Macro(m) => is_diverging_macro(&m.mac),
        Expr::Block(b) => ends_flow(&b.block),
        Expr::Unsafe(u) => ends_flow(&u.block),
        Expr::Call(c) => matches!(&*c.func, Expr::Path(p) if {
            let name = last_ident(&p.path);
            matches!(name.as_str(), "exit" | "abort" | "handle_alloc_error")
        }),
        _ => false,
    }
}

/// The variables whose values an expression moves into the value it makes:
/// `v`, the fields of `S { buf: v }`, the arguments of `Some(v)` or
/// `Wrapper(v)`, the elements of `(a, b)` or `[a, b]`.
fn moved_into(e: &Expr) -> Vec<String> {
    match e {
        // What the block's tail moved out (see `walk_block`).
        Expr::Block(_) | Expr::Unsafe(_) => vec![BLOCK_VALUE.to_string()],
        Expr::Struct(s) => s.fields.iter().filter_map(|f| ident_of(&f.expr)).collect(),
        Expr::Call(c) if matches!(&*c.func, Expr::Path(p) if last_ident(&p.path).starts_with(|ch: char| ch.is_ascii_uppercase())) => {
            c.args.iter().filter_map(ident_of).collect()
        }
        Expr::Tuple(t) => t.elems.iter().filter_map(ident_of).collect(),
        Expr::Array(a) => a.elems.iter().filter_map(ident_of).collect(),
        Expr::Paren(p) => moved_into(&p.expr),
        other => ident_of(other).into_iter().collect(),
    }
}

/// The direct sub-expressions of an expression.
struct Children<'a>(Vec<&'a Expr>);

impl<'a> Visit<'a> for Children<'a> {
    fn visit_expr(&mut self, e: &'a Expr) {
        self.0.push(e);
    }
    fn visit_block(&mut self, _: &'a syn::Block) {}
    fn visit_item(&mut self, _: &'a syn::Item) {}
}

/// A value made by the expression itself, not a reference to one.
fn is_value_init(e: &Expr) -> bool {
    match e {
        Expr::Lit(_) | Expr::Struct(_) | Expr::Tuple(_) | Expr::Array(_) | Expr::Repeat(_) => true,
        Expr::Binary(b) => {
            !matches!(b.op, syn::BinOp::And(_) | syn::BinOp::Or(_))
                && (is_value_init(&b.left) || is_value_init(&b.right))
        }
        Expr::Paren(p) => is_value_init(&p.expr),
        // `Kind::Variant(..)`, `Wrapper(..)`.
        Expr::Call(c) => {
            matches!(&*c.func, Expr::Path(p) if last_ident(&p.path).starts_with(|ch: char| ch.is_ascii_uppercase()))
                || is_owned_value(e)
        }
        other => is_owned_value(other),
    }
}

/// `std::ptr::null()` and the like: a pointer to nothing.
fn null_or_dangling(e: &Expr) -> Option<String> {
    let (callee, args) = call_name(peel_unsafe(e))?;
    let mut it = callee.rsplit("::");
    let last = it.next()?;
    let ty = it.next().unwrap_or("");
    (args.is_empty()
        && ty == "ptr"
        && matches!(last, "null" | "null_mut" | "dangling" | "dangling_mut"))
    .then(|| format!("ptr::{last}"))
}

/// A pointer made by taking the address of a place (`&x`, `&raw const x`,
/// `addr_of!(x)`, `ptr::from_ref(&x)`).
fn is_address_of(e: &Expr) -> bool {
    match e {
        Expr::Reference(_) | Expr::RawAddr(_) => true,
        Expr::Cast(c) => is_address_of(&c.expr),
        Expr::Paren(p) => is_address_of(&p.expr),
        Expr::Macro(m) => matches!(last_ident(&m.mac.path).as_str(), "addr_of" | "addr_of_mut"),
        Expr::Call(c) => {
            matches!(&*c.func, Expr::Path(p) if matches!(last_ident(&p.path).as_str(), "from_ref" | "from_mut"))
                && c.args.first().is_some_and(is_address_of)
        }
        _ => false,
    }
}

/// `e` without the parentheses around it.
fn peel_parens(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => peel_parens(&p.expr),
        other => other,
    }
}

fn peel_unsafe(e: &Expr) -> &Expr {
    match e {
        Expr::Unsafe(u) if u.block.stmts.len() == 1 => match &u.block.stmts[0] {
            Stmt::Expr(inner, None) => peel_unsafe(inner),
            _ => e,
        },
        Expr::Paren(p) => peel_unsafe(&p.expr),
        _ => e,
    }
}

/// An owner rebuilt from a raw pointer; dropping it frees the pointer.
fn is_reclaim(callee: &str) -> bool {
    let mut it = callee.rsplit("::");
    let last = it.next().unwrap_or("");
    let ty = it.next().unwrap_or("");
    matches!(
        (ty, last),
        ("Box" | "CString" | "Arc" | "Rc", "from_raw") | ("Vec" | "String", "from_raw_parts")
    )
}

/// Calls that free the memory their first argument points to.
fn is_free(callee: &str) -> bool {
    let last = crate::patterns::last_segment(callee);
    matches!(
        last,
        "free"
            | "dealloc"
            | "xmlFree"
            | "xmlFreeDoc"
            | "xmlFreeNode"
            | "xmlFreeParserCtxt"
            | "xmlXPathFreeContext"
            | "xmlXPathFreeObject"
            | "g_free"
            | "CFRelease"
            | "munmap"
            | "sqlite3_free"
            | "OPENSSL_free"
    )
}
