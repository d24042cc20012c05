//! Artifact rules (in-toto spec 4.3.3) and how a step's or an
//! inspection's materials or products are checked against them, exactly as
//! the reference implementation does: rules are applied in order to a queue
//! of paths, each consumes what it matches, DISALLOW fails on any match,
//! REQUIRE fails when its path is not queued, and what is left at the end
//! is allowed.

use std::collections::{BTreeMap, BTreeSet};

/// A recorded artifact set: path to `{algorithm: hex digest}`.
pub type Artifacts = BTreeMap<String, BTreeMap<String, String>>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// Materials or products.
pub enum Side {
    /// What a step used.
    Materials,
    /// What a step produced.
    Products,
}

impl Side {
    /// `materials` or `products`.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Materials => "materials",
            Side::Products => "products",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
/// An artifact rule.
pub enum Rule {
    /// Artifacts matching `pattern` must equal those of another step's side.
    Match {
        /// Which artifacts of this side.
        pattern: String,
        /// Stripped from this side's paths before matching.
        source_prefix: Option<String>,
        /// Which side of the other step.
        dest_side: Side,
        /// Prepended to the path in the other step.
        dest_prefix: Option<String>,
        /// The other step's name.
        dest_name: String,
    },
    /// Products that were not materials.
    Create(String),
    /// Materials that are not products.
    Delete(String),
    /// Artifacts whose hash changed.
    Modify(String),
    /// Artifacts allowed without further checks.
    Allow(String),
    /// Artifacts that must not remain.
    Disallow(String),
    /// An artifact that must be present.
    Require(String),
}

/// A rule's tokens that do not form a rule.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// A one-pattern rule with the wrong number of tokens.
    #[error("`{shown}`: expected `{keyword} <pattern>`")]
    Arity {
        /// The rule as written.
        shown: String,
        /// Its keyword, upper-cased.
        keyword: String,
    },
    /// A MATCH rule not of MATCH's shape.
    #[error("`{0}`: expected `MATCH <pattern> [IN <prefix>] WITH (MATERIALS|PRODUCTS) [IN <prefix>] FROM <step>`")]
    MatchUsage(String),
    /// An unknown keyword.
    #[error("`{shown}`: unknown rule `{keyword}` (MATCH, CREATE, DELETE, MODIFY, ALLOW, DISALLOW, REQUIRE)")]
    Unknown {
        /// The rule as written.
        shown: String,
        /// The keyword, lower-cased.
        keyword: String,
    },
}

/// An artifact rule that failed during verification.
#[derive(Debug, thiserror::Error)]
pub enum RuleFailure {
    /// No accepted link for a step or inspection.
    #[error("no link for `{0}`")]
    NoLink(String),
    /// A DISALLOW rule matched artifacts.
    #[error("{item} {side}: `DISALLOW {pattern}` matched {}", matched.join(", "))]
    Disallowed {
        /// The step or inspection.
        item: String,
        /// `materials` or `products`.
        side: &'static str,
        /// The rule's pattern.
        pattern: String,
        /// The artifacts it matched.
        matched: Vec<String>,
    },
    /// A REQUIRE rule found nothing.
    #[error("{item} {side}: `REQUIRE {pattern}` did not find {pattern}")]
    Required {
        /// The step or inspection.
        item: String,
        /// `materials` or `products`.
        side: &'static str,
        /// The required path.
        pattern: String,
    },
}

impl Rule {
    /// Parse the token list a layout stores (`["MATCH", "*", "WITH", ...]`).
    /// Keywords are case-insensitive, as in the reference implementation.
    pub fn parse(tokens: &[String]) -> Result<Rule, RuleError> {
        let shown = tokens.join(" ");
        let lower: Vec<String> = tokens.iter().map(|t| t.to_lowercase()).collect();
        let word = |i: usize| lower.get(i).map(String::as_str).unwrap_or("");
        let generic = |make: fn(String) -> Rule| -> Result<Rule, RuleError> {
            if tokens.len() != 2 {
                return Err(RuleError::Arity {
                    shown: shown.clone(),
                    keyword: tokens
                        .first()
                        .map(String::as_str)
                        .unwrap_or("")
                        .to_uppercase(),
                });
            }
            Ok(make(tokens[1].clone()))
        };
        match word(0) {
            "create" => generic(Rule::Create),
            "delete" => generic(Rule::Delete),
            "modify" => generic(Rule::Modify),
            "allow" => generic(Rule::Allow),
            "disallow" => generic(Rule::Disallow),
            "require" => generic(Rule::Require),
            "match" => {
                let usage = || RuleError::MatchUsage(shown.clone());
                if tokens.len() < 6 {
                    return Err(usage());
                }
                let mut i = 2;
                let mut source_prefix = None;
                if word(i) == "in" {
                    source_prefix = Some(tokens.get(i + 1).ok_or_else(usage)?.clone());
                    i += 2;
                }
                if word(i) != "with" {
                    return Err(usage());
                }
                let dest_side = match word(i + 1) {
                    "materials" => Side::Materials,
                    "products" => Side::Products,
                    _ => return Err(usage()),
                };
                i += 2;
                let mut dest_prefix = None;
                if word(i) == "in" {
                    dest_prefix = Some(tokens.get(i + 1).ok_or_else(usage)?.clone());
                    i += 2;
                }
                if word(i) != "from" || tokens.len() != i + 2 {
                    return Err(usage());
                }
                Ok(Rule::Match {
                    pattern: tokens[1].clone(),
                    source_prefix,
                    dest_side,
                    dest_prefix,
                    dest_name: tokens[i + 1].clone(),
                })
            }
            other => Err(RuleError::Unknown {
                shown: shown.clone(),
                keyword: other.to_string(),
            }),
        }
    }
}

/// Python's `fnmatch.fnmatchcase` on POSIX: `*` matches any run of
/// characters (slashes included), `?` any one, `[seq]` and `[!seq]` a set;
/// an unclosed `[` is a literal.
pub fn fnmatch(pattern: &str, name: &str) -> bool {
    // The common shapes, without allocating: a literal, or `prefix*`.
    let special = |c: char| matches!(c, '*' | '?' | '[');
    match pattern.find(special) {
        None => return pattern == name,
        Some(i) if i + 1 == pattern.len() && pattern.ends_with('*') => {
            return name.starts_with(&pattern[..i]);
        }
        _ => {}
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Iterative matching with backtracking to the last `*`.
    let (mut pi, mut ni) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ni));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next)) = class(&p, pi, n[ni]) {
                        if matched {
                            pi = next;
                            ni += 1;
                            continue;
                        }
                    } else if n[ni] == '[' {
                        pi += 1;
                        ni += 1;
                        continue;
                    }
                }
                c if c == n[ni] => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, sn)) => {
                pi = sp + 1;
                ni = sn + 1;
                star = Some((sp, sn + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// A `[...]` class at `p[start]`: whether `c` is in it, and the index after
/// it; `None` when the bracket is not closed (then it is a literal).
fn class(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = p.get(i) == Some(&'!');
    if negate {
        i += 1;
    }
    // A `]` right after `[` or `[!` is part of the set.
    let first = i;
    let mut end = None;
    let mut j = i;
    while j < p.len() {
        if p[j] == ']' && j > first {
            end = Some(j);
            break;
        }
        j += 1;
    }
    let end = end?;
    let mut matched = false;
    let mut k = i;
    while k < end {
        if k + 2 < end && p[k + 1] == '-' {
            if p[k] <= c && c <= p[k + 2] {
                matched = true;
            }
            k += 3;
        } else {
            if p[k] == c {
                matched = true;
            }
            k += 1;
        }
    }
    Some((matched != negate, end + 1))
}

/// The queued paths that match `pattern`.
fn filter<'a>(queue: &BTreeSet<&'a str>, pattern: &str) -> BTreeSet<&'a str> {
    queue
        .iter()
        .copied()
        .filter(|p| fnmatch(pattern, p))
        .collect()
}

/// What an item (a step's or inspection's link) recorded.
pub struct Recorded<'a> {
    /// The item's materials.
    pub materials: &'a Artifacts,
    /// The item's products.
    pub products: &'a Artifacts,
}

fn join_prefix(prefix: &str, path: &str) -> String {
    if prefix.is_empty() || prefix.ends_with('/') {
        format!("{prefix}{path}")
    } else {
        format!("{prefix}/{path}")
    }
}

/// Apply `rules` to one side of `item` (named `item_name`), with every
/// item's link in `links` for MATCH rules. `Err` names the rule that failed.
pub fn verify_item(
    item_name: &str,
    side: Side,
    rules: &[Rule],
    links: &BTreeMap<String, Recorded<'_>>,
) -> Result<(), RuleFailure> {
    let Some(item) = links.get(item_name) else {
        return Err(RuleFailure::NoLink(item_name.to_string()));
    };
    let artifacts = match side {
        Side::Materials => item.materials,
        Side::Products => item.products,
    };
    let mut queue: BTreeSet<&str> = artifacts.keys().map(String::as_str).collect();
    for rule in rules {
        let consumed: BTreeSet<&str> = match rule {
            Rule::Allow(p) => filter(&queue, p),
            Rule::Disallow(p) => {
                let hit = filter(&queue, p);
                if !hit.is_empty() {
                    return Err(RuleFailure::Disallowed {
                        item: item_name.to_string(),
                        side: side.as_str(),
                        pattern: p.clone(),
                        matched: hit.into_iter().map(str::to_string).collect(),
                    });
                }
                BTreeSet::new()
            }
            Rule::Require(p) => {
                if !queue.contains(p.as_str()) {
                    return Err(RuleFailure::Required {
                        item: item_name.to_string(),
                        side: side.as_str(),
                        pattern: p.clone(),
                    });
                }
                BTreeSet::new()
            }
            Rule::Create(p) => filter(&queue, p)
                .into_iter()
                .filter(|a| item.products.contains_key(*a) && !item.materials.contains_key(*a))
                .collect(),
            Rule::Delete(p) => filter(&queue, p)
                .into_iter()
                .filter(|a| item.materials.contains_key(*a) && !item.products.contains_key(*a))
                .collect(),
            Rule::Modify(p) => filter(&queue, p)
                .into_iter()
                .filter(|a| match (item.materials.get(*a), item.products.get(*a)) {
                    (Some(m), Some(p)) => m != p,
                    _ => false,
                })
                .collect(),
            Rule::Match {
                pattern,
                source_prefix,
                dest_side,
                dest_prefix,
                dest_name,
            } => {
                let Some(dest) = links.get(dest_name) else {
                    // No link for the destination: nothing can match.
                    continue;
                };
                let dest_artifacts = match dest_side {
                    Side::Materials => dest.materials,
                    Side::Products => dest.products,
                };
                let source_prefix = source_prefix
                    .as_deref()
                    .filter(|p| !p.is_empty())
                    .map(|p| join_prefix(p, ""));
                let mut consumed = BTreeSet::new();
                for &full_source in &queue {
                    let relative = match &source_prefix {
                        Some(prefix) => match full_source.strip_prefix(prefix.as_str()) {
                            Some(rest) => rest,
                            None => continue,
                        },
                        None => full_source,
                    };
                    if !fnmatch(pattern, relative) {
                        continue;
                    }
                    let dest_path = match dest_prefix.as_deref().filter(|p| !p.is_empty()) {
                        Some(prefix) => join_prefix(prefix, relative),
                        None => relative.to_string(),
                    };
                    if dest_artifacts.get(&dest_path) == artifacts.get(full_source) {
                        consumed.insert(full_source);
                    }
                }
                consumed
            }
        };
        for c in consumed {
            queue.remove(c);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn fnmatch_is_pythons() {
        assert!(fnmatch("*", "src/main.rs"), "`*` crosses slashes");
        assert!(fnmatch("src/*", "src/a/b.rs"));
        assert!(fnmatch("*.tar", "app.tar"));
        assert!(!fnmatch("*.tar", "app.tar.gz"));
        assert!(fnmatch("a?c", "abc"));
        assert!(fnmatch("[ab]x", "bx"));
        assert!(!fnmatch("[!ab]x", "bx"));
        assert!(fnmatch("[a-c]", "b"));
        assert!(fnmatch("[", "["), "unclosed bracket is literal");
        assert!(fnmatch("[]]", "]"));
        assert!(!fnmatch("App.tar", "app.tar"), "case-sensitive");
        assert!(fnmatch("", ""));
        assert!(!fnmatch("", "a"));
    }

    #[test]
    fn parses_every_form() {
        assert_eq!(Rule::parse(&t("allow *")).unwrap(), Rule::Allow("*".into()));
        assert_eq!(
            Rule::parse(&t("MATCH * IN src WITH products IN dst FROM build")).unwrap(),
            Rule::Match {
                pattern: "*".into(),
                source_prefix: Some("src".into()),
                dest_side: Side::Products,
                dest_prefix: Some("dst".into()),
                dest_name: "build".into()
            }
        );
        assert!(Rule::parse(&t("MATCH * WITH PRODUCTS FROM")).is_err());
        assert!(Rule::parse(&t("MATCH * WITH THINGS FROM x")).is_err());
        assert!(Rule::parse(&t("ALLOW a b")).is_err());
        assert!(Rule::parse(&t("PERMIT *")).is_err());
        assert!(Rule::parse(&t("MATCH * WITH PRODUCTS FROM x extra")).is_err());
    }

    fn arts(list: &[(&str, &str)]) -> Artifacts {
        list.iter()
            .map(|(p, h)| {
                (
                    p.to_string(),
                    BTreeMap::from([("sha256".to_string(), h.to_string())]),
                )
            })
            .collect()
    }

    #[test]
    fn queue_semantics() {
        let m = arts(&[("src/a.rs", "1"), ("src/b.rs", "2"), ("old", "3")]);
        let p = arts(&[("src/a.rs", "1"), ("src/b.rs", "9"), ("app.tar", "4")]);
        let prev = arts(&[("a.rs", "1"), ("b.rs", "2")]);
        let empty = Artifacts::new();
        let mut links = BTreeMap::new();
        links.insert(
            "step".to_string(),
            Recorded {
                materials: &m,
                products: &p,
            },
        );
        links.insert(
            "fetch".to_string(),
            Recorded {
                materials: &empty,
                products: &prev,
            },
        );
        let rules =
            |s: &[&str]| -> Vec<Rule> { s.iter().map(|r| Rule::parse(&t(r)).unwrap()).collect() };
        let ok = |side, r: &[&str]| verify_item("step", side, &rules(r), &links);

        assert!(ok(
            Side::Products,
            &[
                "CREATE app.tar",
                "MODIFY src/b.rs",
                "ALLOW src/a.rs",
                "DISALLOW *"
            ]
        )
        .is_ok());
        assert!(
            ok(Side::Products, &["CREATE src/*", "DISALLOW *"]).is_err(),
            "nothing under src/ was created"
        );
        assert!(ok(
            Side::Materials,
            &[
                "DELETE old",
                "MATCH * IN src WITH PRODUCTS FROM fetch",
                "DISALLOW *"
            ]
        )
        .is_ok());
        // b.rs differs from what fetch produced: not consumed by MATCH.
        let err = ok(
            Side::Products,
            &[
                "CREATE app.tar",
                "MATCH * IN src WITH PRODUCTS FROM fetch",
                "DISALLOW *",
            ],
        )
        .unwrap_err();
        assert!(err.to_string().contains("src/b.rs"), "{err}");
        assert!(ok(Side::Products, &["REQUIRE app.tar"]).is_ok());
        assert!(
            ok(Side::Products, &["ALLOW app.tar", "REQUIRE app.tar"]).is_err(),
            "REQUIRE looks at the queue"
        );
        assert!(ok(
            Side::Products,
            &["MATCH * WITH PRODUCTS FROM missing", "DISALLOW *"]
        )
        .is_err());
        // What no rule consumes is allowed.
        assert!(ok(Side::Products, &[]).is_ok());
    }
}
