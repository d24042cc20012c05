//! Supply-chain layouts: built from a short YAML/JSON spec (who performs
//! which step, with which artifact rules, and which inspections the
//! verifier runs), signed by the project owner, and parsed back for
//! verification.
//!
//! The spec, with paths relative to the spec file:
//!
//! ```yaml
//! expires: 90d                      # or 2027-01-01T00:00:00Z
//! readme: Build and package the service
//! functionaries: { alice: alice.pub, bob: bob.pub }
//! steps:
//!   - name: build
//!     functionaries: [alice, bob]
//!     threshold: 1
//!     expectedCommand: [cargo, build, --release]
//!     materials: ["ALLOW src/*", "DISALLOW *"]
//!     products: ["CREATE target/release/app", "DISALLOW *"]
//! inspections:
//!   - name: unpack
//!     run: [tar, xf, app.tar]
//!     materials: ["MATCH app.tar WITH PRODUCTS FROM build", "ALLOW *"]
//! ```

use super::keys::{KeyError, PublicKey};
use super::rules::{Rule, RuleError};
use super::IntotoError;
use crate::keys::KeyPair;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// A layout as written in YAML (`tollgate attest layout create`).
pub struct LayoutSpec {
    /// An absolute time (`YYYY-MM-DDTHH:MM:SSZ`) or a span from now
    /// (`30d`, `12w`, `6h`).
    pub expires: String,
    #[serde(default)]
    /// Free text for people.
    pub readme: String,
    /// Functionary name to public key file (SPKI PEM).
    pub functionaries: BTreeMap<String, String>,
    /// The steps, in order.
    pub steps: Vec<StepSpec>,
    #[serde(default)]
    /// Inspections run at verification.
    pub inspections: Vec<InspectionSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// A step as written in the spec.
pub struct StepSpec {
    /// The step's name.
    pub name: String,
    /// Names of the functionaries who may perform it.
    pub functionaries: Vec<String>,
    #[serde(default = "one")]
    /// How many functionaries' links must agree.
    pub threshold: u32,
    #[serde(default)]
    /// The command the step is expected to run.
    pub expected_command: Vec<String>,
    #[serde(default)]
    /// Rules for the step's materials.
    pub materials: Vec<RuleSpec>,
    #[serde(default)]
    /// Rules for the step's products.
    pub products: Vec<RuleSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// An inspection as written in the spec.
pub struct InspectionSpec {
    /// The inspection's name.
    pub name: String,
    /// The command to run.
    pub run: Vec<String>,
    #[serde(default)]
    /// Rules for its materials.
    pub materials: Vec<RuleSpec>,
    #[serde(default)]
    /// Rules for its products.
    pub products: Vec<RuleSpec>,
}

/// A rule as one string (`"MATCH * WITH PRODUCTS FROM build"`) or, for
/// patterns with spaces, as its tokens.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RuleSpec {
    /// One string, split on white space.
    Text(String),
    /// A list of tokens.
    Tokens(Vec<String>),
}

impl RuleSpec {
    fn tokens(&self) -> Vec<String> {
        match self {
            RuleSpec::Text(t) => t.split_whitespace().map(str::to_string).collect(),
            RuleSpec::Tokens(t) => t.clone(),
        }
    }
}

fn one() -> u32 {
    1
}

/// A span like `90d` in seconds.
fn span(text: &str) -> Option<i64> {
    let (number, unit) = text.split_at(text.len().checked_sub(1)?);
    let n: i64 = number.parse().ok().filter(|n| *n > 0)?;
    let unit = match unit {
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return None,
    };
    n.checked_mul(unit)
}

fn rules(item: &str, side: &str, list: &[RuleSpec]) -> Result<Vec<Value>, IntotoError> {
    list.iter()
        .map(|r| {
            let tokens = r.tokens();
            Rule::parse(&tokens).map_err(|e| IntotoError::Spec(format!("{item} {side}: {e}")))?;
            Ok(json!(tokens))
        })
        .collect()
}

/// The layout body (`"signed"`) for `spec`; key files are read relative
/// to `base_dir`; a span in `expires` counts from `now`.
pub fn build(spec: &LayoutSpec, base_dir: &Path, now: i64) -> Result<Value, IntotoError> {
    let expires = match super::parse_time(&spec.expires) {
        Some(t) => t,
        None => {
            now + span(&spec.expires).ok_or_else(|| {
                IntotoError::Spec(format!(
                    "expires `{}`: expected YYYY-MM-DDTHH:MM:SSZ or a span like 90d, 12w, 6h",
                    spec.expires
                ))
            })?
        }
    };
    let mut keys_by_name: BTreeMap<&str, PublicKey> = BTreeMap::new();
    for (name, file) in &spec.functionaries {
        let path = base_dir.join(file);
        let text = std::fs::read_to_string(&path).map_err(|source| IntotoError::Io {
            path: path.clone(),
            source,
        })?;
        let key = PublicKey::from_spki_pem(&text).map_err(|source| IntotoError::Key {
            path: path.clone(),
            source,
        })?;
        keys_by_name.insert(name, key);
    }
    let mut names = BTreeSet::new();
    for name in spec
        .steps
        .iter()
        .map(|s| &s.name)
        .chain(spec.inspections.iter().map(|i| &i.name))
    {
        if name.is_empty() || name.contains('/') || name.contains(char::is_whitespace) {
            return Err(IntotoError::Spec(format!(
                "`{name}`: a step or inspection name must be non-empty, without `/` or spaces"
            )));
        }
        if !names.insert(name.as_str()) {
            return Err(IntotoError::Spec(format!(
                "`{name}`: step and inspection names must be unique"
            )));
        }
    }
    if spec.steps.is_empty() {
        return Err(IntotoError::Spec("a layout needs at least one step".into()));
    }
    let mut used = BTreeSet::new();
    let mut steps = Vec::new();
    for step in &spec.steps {
        let mut pubkeys = Vec::new();
        for f in &step.functionaries {
            let key = keys_by_name.get(f.as_str()).ok_or_else(|| {
                IntotoError::Spec(format!(
                    "step `{}`: functionary `{f}` is not under `functionaries`",
                    step.name
                ))
            })?;
            used.insert(key.keyid.clone());
            pubkeys.push(key.keyid.clone());
        }
        pubkeys.sort();
        pubkeys.dedup();
        if step.threshold == 0 || step.threshold as usize > pubkeys.len() {
            return Err(IntotoError::Spec(format!(
                "step `{}`: threshold {} must be between 1 and its number of functionaries ({})",
                step.name,
                step.threshold,
                pubkeys.len()
            )));
        }
        steps.push(json!({
            "_type": "step",
            "name": step.name,
            "threshold": step.threshold,
            "pubkeys": pubkeys,
            "expected_command": step.expected_command,
            "expected_materials": rules(&step.name, "materials", &step.materials)?,
            "expected_products": rules(&step.name, "products", &step.products)?,
        }));
    }
    let mut inspect = Vec::new();
    for i in &spec.inspections {
        if i.run.is_empty() {
            return Err(IntotoError::Spec(format!(
                "inspection `{}`: `run` needs a command",
                i.name
            )));
        }
        inspect.push(json!({
            "_type": "inspection",
            "name": i.name,
            "run": i.run,
            "expected_materials": rules(&i.name, "materials", &i.materials)?,
            "expected_products": rules(&i.name, "products", &i.products)?,
        }));
    }
    let keys: serde_json::Map<String, Value> = keys_by_name
        .values()
        .filter(|k| used.contains(&k.keyid))
        .map(|k| (k.keyid.clone(), k.to_json()))
        .collect();
    let body = json!({
        "_type": "layout",
        "expires": super::format_time(expires),
        "readme": spec.readme,
        "keys": keys,
        "steps": steps,
        "inspect": inspect,
    });
    // What is built must parse back: the same checks verification applies.
    parse(&body).map_err(|e| IntotoError::Spec(e.to_string()))?;
    Ok(body)
}

/// Why a metablock cannot be signed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// No `signed` body.
    #[error("not in-toto metadata (no `signed`)")]
    NoSigned,
    /// No `signatures` list.
    #[error("not in-toto metadata (no `signatures` list)")]
    NoSignatures,
    /// The body has no canonical form.
    #[error(transparent)]
    Canonical(#[from] super::canonical::CanonicalError),
}

/// What is wrong with one step or inspection of a layout.
#[derive(Debug, thiserror::Error)]
pub enum ItemProblem {
    /// A name that cannot be part of a link's file name.
    #[error("not usable as a file name")]
    NotFileName,
    /// The wrong `_type`.
    #[error("`_type` is not `{0}`")]
    WrongType(&'static str),
    /// A functionary key the layout does not list.
    #[error("key {0} is not in the layout's keys")]
    UnknownKey(String),
    /// A threshold that is not a non-negative integer.
    #[error("threshold must be a positive integer")]
    ThresholdNotInteger,
    /// A threshold of zero.
    #[error("threshold must be at least 1")]
    ThresholdZero,
    /// Not a list.
    #[error("expected a list")]
    ExpectedList,
    /// A list with something other than strings.
    #[error("expected strings")]
    ExpectedStrings,
    /// Rules that are not a list.
    #[error("expected a list of rules")]
    ExpectedRules,
    /// A rule that does not parse.
    #[error("{0}")]
    Rule(RuleError),
}

/// Why a layout body is not a usable layout.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    /// `_type` is not `layout`.
    #[error("`_type` is not `layout`")]
    NotLayout,
    /// A required part is missing or of the wrong shape (the text says which).
    #[error("{0}")]
    Missing(&'static str),
    /// An `expires` that is not in-toto's date format.
    #[error("expires `{0}`: not YYYY-MM-DDTHH:MM:SSZ")]
    Expires(String),
    /// A `keys` entry that is not a usable key.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A step or inspection with a problem.
    #[error("{what}: {problem}")]
    Item {
        /// `step `name``, `inspection `name` run` and the like.
        what: String,
        /// The problem.
        problem: ItemProblem,
    },
    /// Two steps or inspections with one name.
    #[error("`{0}`: step and inspection names must be unique")]
    DuplicateName(String),
}

fn item(what: &str, problem: ItemProblem) -> LayoutError {
    LayoutError::Item {
        what: what.to_string(),
        problem,
    }
}

/// Add (or replace) `key`'s signature on a layout or link metablock; other
/// signatures stay, as they cover the same unchanged body.
pub fn add_signature(metablock: &mut Value, key: &KeyPair) -> Result<(), SignError> {
    let signed = metablock.get("signed").ok_or(SignError::NoSigned)?;
    let signature = super::keys::signature(key, signed)?;
    let list = metablock
        .get_mut("signatures")
        .and_then(Value::as_array_mut)
        .ok_or(SignError::NoSignatures)?;
    list.retain(|s| s["keyid"] != signature["keyid"]);
    list.push(signature);
    Ok(())
}

/// A step as verification reads it.
#[derive(Debug)]
pub struct Step {
    /// The step's name.
    pub name: String,
    /// How many functionaries' links must agree.
    pub threshold: usize,
    /// Key ids of the functionaries who may perform it (each once).
    pub pubkeys: Vec<String>,
    /// The expected command (a difference is a warning).
    pub expected_command: Vec<String>,
    /// Rules for its materials.
    pub materials: Vec<Rule>,
    /// Rules for its products.
    pub products: Vec<Rule>,
}

#[derive(Debug)]
/// An inspection as verification reads it.
pub struct Inspection {
    /// Its name.
    pub name: String,
    /// The command to run.
    pub run: Vec<String>,
    /// Rules for its materials.
    pub materials: Vec<Rule>,
    /// Rules for its products.
    pub products: Vec<Rule>,
}

#[derive(Debug)]
/// A layout as verification reads it.
pub struct Layout {
    /// When it expires, Unix seconds.
    pub expires: i64,
    /// Functionary keys by key id.
    pub keys: BTreeMap<String, PublicKey>,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// The inspections, in order.
    pub inspections: Vec<Inspection>,
}

fn strings(v: &Value, what: &str) -> Result<Vec<String>, LayoutError> {
    v.as_array()
        .ok_or_else(|| item(what, ItemProblem::ExpectedList))?
        .iter()
        .map(|s| {
            s.as_str()
                .map(str::to_string)
                .ok_or_else(|| item(what, ItemProblem::ExpectedStrings))
        })
        .collect()
}

fn parse_rules(v: &Value, what: &str) -> Result<Vec<Rule>, LayoutError> {
    v.as_array()
        .ok_or_else(|| item(what, ItemProblem::ExpectedRules))?
        .iter()
        .map(|r| Rule::parse(&strings(r, what)?).map_err(|e| item(what, ItemProblem::Rule(e))))
        .collect()
}

/// Parse and check a layout body (`"signed"`).
pub fn parse(signed: &Value) -> Result<Layout, LayoutError> {
    use LayoutError::Missing;
    if signed["_type"] != "layout" {
        return Err(LayoutError::NotLayout);
    }
    let expires_text = signed["expires"].as_str().ok_or(Missing("no `expires`"))?;
    let expires = super::parse_time(expires_text)
        .ok_or_else(|| LayoutError::Expires(expires_text.to_string()))?;
    let mut keys = BTreeMap::new();
    for (id, k) in signed["keys"]
        .as_object()
        .ok_or(Missing("no `keys` object"))?
    {
        keys.insert(id.clone(), PublicKey::from_json(id, k)?);
    }
    let mut names = BTreeSet::new();
    let mut steps = Vec::new();
    for s in signed["steps"]
        .as_array()
        .ok_or(Missing("no `steps` list"))?
    {
        let name = s["name"]
            .as_str()
            .ok_or(Missing("a step has no name"))?
            .to_string();
        let what = format!("step `{name}`");
        // The name becomes part of a link's file name.
        if name.is_empty() || name.contains('/') || name.contains('\\') || name == ".." {
            return Err(item(&what, ItemProblem::NotFileName));
        }
        if s["_type"] != "step" {
            return Err(item(&what, ItemProblem::WrongType("step")));
        }
        let mut pubkeys = strings(&s["pubkeys"], &format!("{what} pubkeys"))?;
        // A key listed twice is still one functionary: it must not count
        // twice towards the threshold.
        let mut seen = BTreeSet::new();
        pubkeys.retain(|k| seen.insert(k.clone()));
        if let Some(unknown) = pubkeys.iter().find(|k| !keys.contains_key(*k)) {
            return Err(item(&what, ItemProblem::UnknownKey(unknown.clone())));
        }
        let threshold = s["threshold"]
            .as_u64()
            .ok_or_else(|| item(&what, ItemProblem::ThresholdNotInteger))?
            as usize;
        if threshold == 0 {
            return Err(item(&what, ItemProblem::ThresholdZero));
        }
        steps.push(Step {
            threshold,
            pubkeys,
            expected_command: strings(&s["expected_command"], &format!("{what} expected_command"))?,
            materials: parse_rules(&s["expected_materials"], &format!("{what} materials"))?,
            products: parse_rules(&s["expected_products"], &format!("{what} products"))?,
            name,
        });
    }
    let mut inspections = Vec::new();
    for i in signed["inspect"]
        .as_array()
        .ok_or(Missing("no `inspect` list"))?
    {
        let name = i["name"]
            .as_str()
            .ok_or(Missing("an inspection has no name"))?
            .to_string();
        let what = format!("inspection `{name}`");
        if i["_type"] != "inspection" {
            return Err(item(&what, ItemProblem::WrongType("inspection")));
        }
        inspections.push(Inspection {
            run: strings(&i["run"], &format!("{what} run"))?,
            materials: parse_rules(&i["expected_materials"], &format!("{what} materials"))?,
            products: parse_rules(&i["expected_products"], &format!("{what} products"))?,
            name,
        });
    }
    for name in steps
        .iter()
        .map(|s| &s.name)
        .chain(inspections.iter().map(|i| &i.name))
    {
        if !names.insert(name.clone()) {
            return Err(LayoutError::DuplicateName(name.clone()));
        }
    }
    Ok(Layout {
        expires,
        keys,
        steps,
        inspections,
    })
}
