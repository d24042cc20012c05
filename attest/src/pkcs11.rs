//! Hardware keys through PKCS#11, named by cosign's `pkcs11:` URIs
//! (RFC 7512).
//!
//! `pkcs11:token=LABEL;object=LABEL;id=%01?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234`
//!
//! * path attributes (`;`-separated): `token` (token label), `slot-id`,
//!   `object` (the key's label), `id` (its `CKA_ID`, percent-encoded bytes);
//!   `manufacturer`, `model`, `serial` narrow the token;
//! * query attributes (`&`-separated): `module-path` (the PKCS#11 library;
//!   else `COSIGN_PKCS11_MODULE_PATH`), `pin-value`, `pin-source` (a file
//!   whose first line is the PIN); else `COSIGN_PKCS11_PIN`.
//!
//! The token must hold exactly one private key matching the object
//! attributes and its public key (same label and id): ECDSA P-256 or P-384,
//! or RSA 2048/3072/4096. The public key is read from the token; on opening,
//! one signature over a fixed challenge is made and verified with it, so a
//! private key that does not belong to the public key fails now, not at the
//! deploy gate. Every later signature is verified the same way before it is
//! returned.
//!
//! The PIN is never part of an error or a [`Pkcs11Uri`]'s `Display`: that
//! prints the URI with `pin-value` removed.
//!
//! ECDSA on a token signs a digest (`CKM_ECDSA`): the message is hashed here
//! (SHA-256 for P-256, SHA-384 for P-384) and the raw `r || s` the token
//! returns is DER-encoded, as cosign does. RSA uses `CKM_SHA256_RSA_PKCS`.

use crate::keys::KeyKind;
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use sha2::{Digest, Sha256, Sha384};
use std::fmt;
use std::path::PathBuf;
use std::sync::Mutex;
use zeroize::Zeroizing;

/// Environment variables cosign reads for the module and the PIN.
pub const MODULE_PATH_ENV: &str = "COSIGN_PKCS11_MODULE_PATH";
/// cosign's variable for the PIN.
pub const PIN_ENV: &str = "COSIGN_PKCS11_PIN";

#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
/// What can go wrong with a hardware key.
pub enum Pkcs11Error {
    #[error("{uri}: not a usable pkcs11: URI: {message}")]
    /// A URI that does not parse or has an unknown attribute.
    Uri {
        /// The `pkcs11:` URI (`pin-value` removed).
        uri: String,
        /// Why, in words.
        message: String,
    },
    #[error("{uri}: cannot load the PKCS#11 module {module}: {message}")]
    /// The module cannot be loaded.
    Module {
        /// The URI.
        uri: String,
        /// The module's path.
        module: String,
        /// Why it cannot be loaded.
        message: String,
    },
    #[error("{uri}: {message}")]
    /// No token, or several, match.
    Token {
        /// The `pkcs11:` URI (`pin-value` removed).
        uri: String,
        /// Why, in words.
        message: String,
    },
    #[error("{uri}: wrong PIN (the token refused the login)")]
    /// The token refused the PIN.
    WrongPin {
        /// The `pkcs11:` URI (`pin-value` removed).
        uri: String,
    },
    #[error("{uri}: the token's PIN is locked")]
    /// The PIN is locked.
    PinLocked {
        /// The `pkcs11:` URI (`pin-value` removed).
        uri: String,
    },
    #[error("{uri}: no PIN: give pin-value or pin-source in the URI, or set {PIN_ENV}")]
    /// No PIN was given.
    NoPin {
        /// The `pkcs11:` URI (`pin-value` removed).
        uri: String,
    },
    #[error("{uri}: no private key on the token matches {what}")]
    /// No private key matches.
    NoObject {
        /// The `pkcs11:` URI (`pin-value` removed).
        uri: String,
        /// What was looked for.
        what: String,
    },
    #[error("{uri}: {count} private keys on the token match {what}; name one with object= or id=")]
    /// Several private keys match.
    Ambiguous {
        /// The URI.
        uri: String,
        /// The attributes matched.
        what: String,
        /// How many keys match.
        count: usize,
    },
    #[error("{uri}: unsupported key on the token: {message}")]
    /// A key of a type not supported.
    Unsupported {
        /// The `pkcs11:` URI (`pin-value` removed).
        uri: String,
        /// Why, in words.
        message: String,
    },
    #[error("{uri}: signing failed: {message}")]
    /// The token failed to sign, or signed with another key.
    Sign {
        /// The `pkcs11:` URI (`pin-value` removed).
        uri: String,
        /// Why, in words.
        message: String,
    },
}

/// A parsed `pkcs11:` URI. The PIN, if the URI carries one, is kept
/// zeroed-on-drop and never displayed.
#[derive(Clone, Default)]
pub struct Pkcs11Uri {
    /// `token`: the token's label.
    pub token: Option<String>,
    /// `manufacturer`: the token's manufacturer.
    pub manufacturer: Option<String>,
    /// `model`: the token's model.
    pub model: Option<String>,
    /// `serial`: the token's serial number.
    pub serial: Option<String>,
    /// `slot-id`: the slot.
    pub slot_id: Option<u64>,
    /// `object`: the key's label.
    pub object: Option<String>,
    /// `id`: the key's id, percent-decoded.
    pub id: Option<Vec<u8>>,
    /// `module-path`: the PKCS#11 library.
    pub module_path: Option<PathBuf>,
    /// `pin-source`: a file holding the PIN.
    pub pin_source: Option<PathBuf>,
    pin_value: Option<Zeroizing<String>>,
    /// The URI as given, without `pin-value`.
    redacted: String,
}

impl fmt::Debug for Pkcs11Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pkcs11Uri({})", self.redacted)
    }
}

impl fmt::Display for Pkcs11Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted)
    }
}

/// Whether a `--key` value names a PKCS#11 key rather than a file.
pub fn is_pkcs11_uri(key: &str) -> bool {
    key.get(..7)
        .is_some_and(|p| p.eq_ignore_ascii_case("pkcs11:"))
}

/// A URI attribute, token or key object that cannot be used (the text
/// goes into a [`Pkcs11Error`] with the URI).
#[derive(Debug, thiserror::Error)]
enum Problem {
    #[error("truncated percent-escape in `{0}`")]
    TruncatedEscape(String),
    #[error("bad percent-escape `%{0}`")]
    BadEscape(String),
    #[error("`{0}` is not UTF-8")]
    NotUtf8(String),
    #[error("cannot list the module's slots: {0}")]
    Slots(cryptoki::error::Error),
    #[error("slot {slot}: {source}")]
    Slot {
        slot: u64,
        source: cryptoki::error::Error,
    },
    #[error("no token labelled `{0}`")]
    NoTokenLabelled(String),
    #[error("no token matches")]
    NoToken,
    #[error("{0} tokens match; name one with token= or slot-id=")]
    Tokens(usize),
    #[error("cannot read the {what}: {source}")]
    Read {
        what: &'static str,
        source: cryptoki::error::Error,
    },
    #[error("{0}")]
    Invalid(&'static str),
    #[error("curve {0} (supported: P-256, P-384)")]
    Curve(pkcs8::der::asn1::ObjectIdentifier),
    #[error("RSA key of {0} bits (supported: 2048, 3072, 4096)")]
    RsaBits(usize),
    #[error("{0}")]
    Der(pkcs8::der::Error),
}

fn percent_decode(value: &str) -> Result<Vec<u8>, Problem> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = value
                .get(i + 1..i + 3)
                .ok_or_else(|| Problem::TruncatedEscape(value.to_string()))?;
            let byte =
                u8::from_str_radix(hex, 16).map_err(|_| Problem::BadEscape(hex.to_string()))?;
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(out)
}

fn percent_decode_text(value: &str) -> Result<String, Problem> {
    String::from_utf8(percent_decode(value)?).map_err(|_| Problem::NotUtf8(value.to_string()))
}

impl Pkcs11Uri {
    /// Parse a `pkcs11:` URI (RFC 7512). Unknown attributes are refused
    /// (an attribute this parser does not apply would silently widen the
    /// key it selects), except RFC 7512's vendor `x-` attributes.
    pub fn parse(text: &str) -> Result<Pkcs11Uri, Pkcs11Error> {
        // The redacted form is built first, so no error can carry the PIN.
        let redacted = redact(text);
        let err = |message: String| Pkcs11Error::Uri {
            uri: redacted.clone(),
            message,
        };
        if !is_pkcs11_uri(text) {
            return Err(err("does not start with `pkcs11:`".into()));
        }
        let rest = &text[7..];
        let (path, query) = match rest.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (rest, None),
        };
        let mut uri = Pkcs11Uri {
            redacted: redacted.clone(),
            ..Pkcs11Uri::default()
        };
        let mut seen = std::collections::BTreeSet::new();
        for attr in path.split(';').filter(|a| !a.is_empty()) {
            let (name, value) = attr
                .split_once('=')
                .ok_or_else(|| err(format!("path attribute `{attr}` has no value")))?;
            if !seen.insert(name.to_string()) {
                return Err(err(format!("`{name}` is given twice")));
            }
            match name {
                "token" => {
                    uri.token = Some(percent_decode_text(value).map_err(|e| err(e.to_string()))?)
                }
                "manufacturer" => {
                    uri.manufacturer =
                        Some(percent_decode_text(value).map_err(|e| err(e.to_string()))?)
                }
                "model" => {
                    uri.model = Some(percent_decode_text(value).map_err(|e| err(e.to_string()))?)
                }
                "serial" => {
                    uri.serial = Some(percent_decode_text(value).map_err(|e| err(e.to_string()))?)
                }
                "object" => {
                    uri.object = Some(percent_decode_text(value).map_err(|e| err(e.to_string()))?)
                }
                "id" => uri.id = Some(percent_decode(value).map_err(|e| err(e.to_string()))?),
                "slot-id" => {
                    uri.slot_id = Some(
                        value
                            .parse()
                            .map_err(|_| err(format!("slot-id `{value}` is not a number")))?,
                    )
                }
                "type" => {
                    if !matches!(value, "private" | "public") {
                        return Err(err(format!("type={value}: a signing key is type=private")));
                    }
                }
                n if n.starts_with("x-") => {}
                other => return Err(err(format!("unknown path attribute `{other}`"))),
            }
        }
        for attr in query
            .into_iter()
            .flat_map(|q| q.split('&'))
            .filter(|a| !a.is_empty())
        {
            let (name, value) = attr.split_once('=').ok_or_else(|| {
                let name = attr.split('=').next().unwrap_or_default();
                err(format!("query attribute `{name}` has no value"))
            })?;
            if !seen.insert(name.to_string()) {
                return Err(err(format!("`{name}` is given twice")));
            }
            match name {
                "module-path" => {
                    let path =
                        PathBuf::from(percent_decode_text(value).map_err(|e| err(e.to_string()))?);
                    if !path.is_absolute() {
                        return Err(err(format!(
                            "module-path `{}` is not an absolute path",
                            path.display()
                        )));
                    }
                    uri.module_path = Some(path);
                }
                "pin-value" => {
                    uri.pin_value = Some(Zeroizing::new(
                        percent_decode_text(value)
                            .map_err(|_| err("pin-value is not valid UTF-8 text".into()))?,
                    ))
                }
                "pin-source" => {
                    let source = percent_decode_text(value).map_err(|e| err(e.to_string()))?;
                    let source = source.strip_prefix("file:").unwrap_or(&source).to_string();
                    uri.pin_source = Some(PathBuf::from(source));
                }
                "module-name" => {
                    return Err(err("module-name is not supported; give module-path".into()))
                }
                n if n.starts_with("x-") => {}
                other => return Err(err(format!("unknown query attribute `{other}`"))),
            }
        }
        if uri.object.is_none() && uri.id.is_none() {
            return Err(err("name the key with object= (its label) or id=".into()));
        }
        Ok(uri)
    }

    /// What selects the key, for messages.
    fn what(&self) -> String {
        let mut parts = Vec::new();
        if let Some(o) = &self.object {
            parts.push(format!("object={o}"));
        }
        if let Some(id) = &self.id {
            parts.push(format!("id={}", hex::encode(id)));
        }
        parts.join(" and ")
    }

    fn pin(&self) -> Result<Zeroizing<String>, Pkcs11Error> {
        if let Some(pin) = &self.pin_value {
            return Ok(pin.clone());
        }
        if let Some(path) = &self.pin_source {
            let text =
                Zeroizing::new(
                    std::fs::read_to_string(path).map_err(|e| Pkcs11Error::Token {
                        uri: self.redacted.clone(),
                        message: format!("pin-source {}: {e}", path.display()),
                    })?,
                );
            return Ok(Zeroizing::new(
                text.lines().next().unwrap_or_default().to_string(),
            ));
        }
        match std::env::var(PIN_ENV) {
            Ok(pin) => Ok(Zeroizing::new(pin)),
            Err(_) => Err(Pkcs11Error::NoPin {
                uri: self.redacted.clone(),
            }),
        }
    }

    fn module(&self) -> Result<PathBuf, Pkcs11Error> {
        self.module_path
            .clone()
            .or_else(|| std::env::var_os(MODULE_PATH_ENV).map(PathBuf::from))
            .ok_or_else(|| Pkcs11Error::Uri {
                uri: self.redacted.clone(),
                message: format!("no module: give module-path in the URI or set {MODULE_PATH_ENV}"),
            })
    }
}

/// The URI with every `pin-value` attribute removed, wherever it stands
/// (a PIN misplaced among the path attributes is removed too).
fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let end = rest.find([';', '?', '&']).unwrap_or(rest.len());
        let (segment, tail) = rest.split_at(end);
        let name = segment.rsplit(':').next().unwrap_or(segment);
        if name.trim().to_ascii_lowercase().starts_with("pin-value") {
            // Keep what precedes the attribute in this segment (`pkcs11:`).
            out.push_str(&segment[..segment.len() - name.len()]);
        } else {
            out.push_str(segment);
        }
        let Some(sep) = tail.chars().next() else {
            break;
        };
        out.push(sep);
        rest = &tail[1..];
    }
    // Separators left dangling by a removed attribute.
    let mut cleaned = out.replace("&&", "&").replace(";;", ";").replace("?&", "?");
    while cleaned.ends_with(['&', '?', ';']) {
        cleaned.pop();
    }
    cleaned
}

/// A private key on a PKCS#11 token, logged in, with its public key.
pub struct Pkcs11Key {
    uri: Pkcs11Uri,
    kind: KeyKind,
    public_der: Vec<u8>,
    public_pem: String,
    session: Mutex<Session>,
    key: ObjectHandle,
    /// The first failure of [`Pkcs11Key::sign`], kept for
    /// [`crate::keys::KeyPair::signing_failure`].
    failure: Mutex<Option<Pkcs11Error>>,
}

const CHALLENGE: &[u8] = b"tollgate pkcs11 key check";

fn rv(e: &CkError) -> Option<RvError> {
    match e {
        CkError::Pkcs11(rv, _) => Some(*rv),
        _ => None,
    }
}

impl Pkcs11Key {
    /// Open the key a `pkcs11:` URI names: load the module, find the token,
    /// log in, find exactly one private key and its public key, and check
    /// that they belong together.
    pub fn open(uri: &Pkcs11Uri) -> Result<Pkcs11Key, Pkcs11Error> {
        let name = uri.redacted.clone();
        let token_err = |message: String| Pkcs11Error::Token {
            uri: name.clone(),
            message,
        };
        let module = uri.module()?;
        let pkcs11 = Pkcs11::new(&module).map_err(|e| Pkcs11Error::Module {
            uri: name.clone(),
            module: module.display().to_string(),
            message: e.to_string(),
        })?;
        match pkcs11.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(()) => {}
            Err(e) if rv(&e) == Some(RvError::CryptokiAlreadyInitialized) => {}
            Err(e) => return Err(token_err(format!("C_Initialize: {e}"))),
        }
        let slot = find_slot(&pkcs11, uri).map_err(|e| token_err(e.to_string()))?;
        let session = pkcs11
            .open_ro_session(slot)
            .map_err(|e| token_err(format!("cannot open a session: {e}")))?;
        let pin = uri.pin()?;
        match session.login(UserType::User, Some(&AuthPin::new(pin.as_str().into()))) {
            Ok(()) => {}
            Err(e) => match rv(&e) {
                Some(RvError::UserAlreadyLoggedIn) => {}
                Some(RvError::PinIncorrect | RvError::PinInvalid | RvError::PinLenRange) => {
                    return Err(Pkcs11Error::WrongPin { uri: name })
                }
                Some(RvError::PinLocked) => return Err(Pkcs11Error::PinLocked { uri: name }),
                _ => return Err(token_err(format!("login failed: {e}"))),
            },
        }
        drop(pin);
        let mut template = Vec::new();
        if let Some(label) = &uri.object {
            template.push(Attribute::Label(label.as_bytes().to_vec()));
        }
        if let Some(id) = &uri.id {
            template.push(Attribute::Id(id.clone()));
        }
        let find = |class: ObjectClass| -> Result<Vec<ObjectHandle>, Pkcs11Error> {
            let mut t = template.clone();
            t.push(Attribute::Class(class));
            session
                .find_objects(&t)
                .map_err(|e| token_err(format!("cannot search the token: {e}")))
        };
        let private = find(ObjectClass::PRIVATE_KEY)?;
        let key = match private.as_slice() {
            [one] => *one,
            [] => {
                return Err(Pkcs11Error::NoObject {
                    uri: name,
                    what: uri.what(),
                })
            }
            many => {
                return Err(Pkcs11Error::Ambiguous {
                    uri: name,
                    what: uri.what(),
                    count: many.len(),
                })
            }
        };
        let public = find(ObjectClass::PUBLIC_KEY)?;
        let [public] = public.as_slice() else {
            return Err(token_err(format!(
                "{} public keys match {} (exactly one is needed, beside the private key)",
                public.len(),
                uri.what()
            )));
        };
        let (kind, public_der) =
            read_public_key(&session, *public).map_err(|e| Pkcs11Error::Unsupported {
                uri: name.clone(),
                message: e.to_string(),
            })?;
        let public_pem =
            pem_rfc7468::encode_string("PUBLIC KEY", pem_rfc7468::LineEnding::LF, &public_der)
                .map_err(|e| token_err(e.to_string()))?;
        let opened = Pkcs11Key {
            uri: uri.clone(),
            kind,
            public_der,
            public_pem,
            session: Mutex::new(session),
            key,
            failure: Mutex::new(None),
        };
        // The private key must be the public key's: one signature, checked.
        opened.sign(CHALLENGE)?;
        Ok(opened)
    }

    /// The key's kind.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The URI the key was opened by.
    pub fn uri(&self) -> &Pkcs11Uri {
        &self.uri
    }

    /// SPKI DER of the token's public key.
    pub fn public_key_der(&self) -> &[u8] {
        &self.public_der
    }

    /// SPKI PEM of the token's public key.
    pub fn public_key_pem(&self) -> &str {
        &self.public_pem
    }

    /// Sign `message` on the token; the signature is verified with the
    /// public key before it is returned. A failure is also kept for
    /// [`Pkcs11Key::failure`].
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Pkcs11Error> {
        let result = self.sign_inner(message);
        if let Err(e) = &result {
            if let Ok(mut failure) = self.failure.lock() {
                failure.get_or_insert_with(|| e.clone());
            }
        }
        result
    }

    fn sign_inner(&self, message: &[u8]) -> Result<Vec<u8>, Pkcs11Error> {
        let fail = |message: String| Pkcs11Error::Sign {
            uri: self.uri.redacted.clone(),
            message,
        };
        let session = self
            .session
            .lock()
            .map_err(|_| fail("the session lock is poisoned".into()))?;
        let signature = match self.kind {
            KeyKind::EcdsaP256 | KeyKind::EcdsaP384 => {
                let digest = if self.kind == KeyKind::EcdsaP256 {
                    Sha256::digest(message).to_vec()
                } else {
                    Sha384::digest(message).to_vec()
                };
                let raw = session
                    .sign(&Mechanism::Ecdsa, self.key, &digest)
                    .map_err(|e| fail(e.to_string()))?;
                ecdsa_raw_to_der(&raw).ok_or_else(|| {
                    fail(format!(
                        "the token returned a {}-byte ECDSA signature",
                        raw.len()
                    ))
                })?
            }
            KeyKind::Rsa2048 | KeyKind::Rsa3072 | KeyKind::Rsa4096 => session
                .sign(&Mechanism::Sha256RsaPkcs, self.key, message)
                .map_err(|e| fail(e.to_string()))?,
            KeyKind::Ed25519 => {
                return Err(fail("Ed25519 keys on tokens are not supported".into()))
            }
        };
        drop(session);
        crate::keys::verify_signature(&self.public_pem, message, &signature).map_err(|_| {
            fail("the token's signature does not verify with its public key (the private key is not the public key's)".into())
        })?;
        Ok(signature)
    }

    /// The first signing failure, if any.
    pub fn failure(&self) -> Result<(), Pkcs11Error> {
        match self.failure.lock() {
            Ok(failure) => match &*failure {
                Some(e) => Err(e.clone()),
                None => Ok(()),
            },
            Err(_) => Err(Pkcs11Error::Sign {
                uri: self.uri.redacted.clone(),
                message: "the failure record is poisoned".into(),
            }),
        }
    }
}

fn find_slot(pkcs11: &Pkcs11, uri: &Pkcs11Uri) -> Result<Slot, Problem> {
    let slots = pkcs11.get_slots_with_token().map_err(Problem::Slots)?;
    let mut matching = Vec::new();
    for slot in slots {
        if uri.slot_id.is_some_and(|id| id != slot.id()) {
            continue;
        }
        let info = pkcs11
            .get_token_info(slot)
            .map_err(|source| Problem::Slot {
                slot: slot.id(),
                source,
            })?;
        let same = |want: &Option<String>, have: &str| {
            want.as_deref().is_none_or(|w| w == have.trim_end())
        };
        if same(&uri.token, info.label())
            && same(&uri.manufacturer, info.manufacturer_id())
            && same(&uri.model, info.model())
            && same(&uri.serial, info.serial_number())
        {
            matching.push(slot);
        }
    }
    match matching.as_slice() {
        [one] => Ok(*one),
        [] => Err(match &uri.token {
            Some(label) => Problem::NoTokenLabelled(label.clone()),
            None => Problem::NoToken,
        }),
        many => Err(Problem::Tokens(many.len())),
    }
}

/// The kind and SPKI DER of a public-key object.
fn read_public_key(session: &Session, public: ObjectHandle) -> Result<(KeyKind, Vec<u8>), Problem> {
    use pkcs8::der::asn1::{BitString, ObjectIdentifier, OctetString};
    use pkcs8::der::{Any, Decode, Encode};
    use pkcs8::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
    const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
    const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
    const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
    const RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
    let attrs = session
        .get_attributes(public, &[AttributeType::KeyType])
        .map_err(|source| Problem::Read {
            what: "key type",
            source,
        })?;
    let key_type = attrs.iter().find_map(|a| match a {
        Attribute::KeyType(t) => Some(*t),
        _ => None,
    });
    let spki = match key_type {
        Some(t) if t == KeyType::EC => {
            let attrs = session
                .get_attributes(public, &[AttributeType::EcParams, AttributeType::EcPoint])
                .map_err(|source| Problem::Read {
                    what: "EC public key",
                    source,
                })?;
            let (mut params, mut point) = (None, None);
            for a in attrs {
                match a {
                    Attribute::EcParams(p) => params = Some(p),
                    Attribute::EcPoint(p) => point = Some(p),
                    _ => {}
                }
            }
            let (Some(params), Some(point)) = (params, point) else {
                return Err(Problem::Invalid(
                    "the EC public key has no CKA_EC_PARAMS or CKA_EC_POINT",
                ));
            };
            let curve = ObjectIdentifier::from_der(&params)
                .map_err(|_| Problem::Invalid("CKA_EC_PARAMS is not a named curve"))?;
            let (kind, len) = match curve {
                c if c == P256 => (KeyKind::EcdsaP256, 65),
                c if c == P384 => (KeyKind::EcdsaP384, 97),
                other => return Err(Problem::Curve(other)),
            };
            // CKA_EC_POINT is the DER OCTET STRING of the point (some
            // modules give the bare point).
            let point = match OctetString::from_der(&point) {
                Ok(o) if o.as_bytes().len() == len => o.as_bytes().to_vec(),
                _ => point,
            };
            if point.len() != len || point.first() != Some(&0x04) {
                return Err(Problem::Invalid(
                    "CKA_EC_POINT is not an uncompressed point of its curve",
                ));
            }
            SubjectPublicKeyInfoOwned {
                algorithm: AlgorithmIdentifierOwned {
                    oid: EC_PUBLIC_KEY,
                    parameters: Some(Any::from(&curve)),
                },
                subject_public_key: BitString::from_bytes(&point).map_err(Problem::Der)?,
            }
            .to_der()
            .map(|der| (kind, der))
            .map_err(Problem::Der)?
        }
        Some(t) if t == KeyType::RSA => {
            let attrs = session
                .get_attributes(
                    public,
                    &[AttributeType::Modulus, AttributeType::PublicExponent],
                )
                .map_err(|source| Problem::Read {
                    what: "RSA public key",
                    source,
                })?;
            let (mut n, mut e) = (None, None);
            for a in attrs {
                match a {
                    Attribute::Modulus(v) => n = Some(v),
                    Attribute::PublicExponent(v) => e = Some(v),
                    _ => {}
                }
            }
            let (Some(n), Some(e)) = (n, e) else {
                return Err(Problem::Invalid(
                    "the RSA public key has no modulus or exponent",
                ));
            };
            let bits = n.iter().skip_while(|b| **b == 0).count() * 8;
            let kind = KeyKind::rsa_of_bits(bits).ok_or(Problem::RsaBits(bits))?;
            let rsa_public = der_sequence(&[der_uint(&n), der_uint(&e)]);
            SubjectPublicKeyInfoOwned {
                algorithm: AlgorithmIdentifierOwned {
                    oid: RSA,
                    parameters: Some(Any::null()),
                },
                subject_public_key: BitString::from_bytes(&rsa_public).map_err(Problem::Der)?,
            }
            .to_der()
            .map(|der| (kind, der))
            .map_err(Problem::Der)?
        }
        _ => return Err(Problem::Invalid("not an EC or RSA key")),
    };
    Ok(spki)
}

fn der_length(len: usize) -> Vec<u8> {
    if len < 0x80 {
        vec![len as u8]
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        let mut out = vec![0x80 | bytes.len() as u8];
        out.extend(bytes);
        out
    }
}

/// A DER INTEGER of an unsigned big-endian number.
fn der_uint(bytes: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    let mut content = Vec::with_capacity(trimmed.len() + 1);
    if trimmed.first().is_none_or(|b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend(trimmed);
    let mut out = vec![0x02];
    out.extend(der_length(content.len()));
    out.extend(content);
    out
}

fn der_sequence(items: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = items.concat();
    let mut out = vec![0x30];
    out.extend(der_length(body.len()));
    out.extend(body);
    out
}

/// `r || s` (PKCS#11's ECDSA signature) as the DER `ECDSA-Sig-Value`.
fn ecdsa_raw_to_der(raw: &[u8]) -> Option<Vec<u8>> {
    if raw.is_empty() || raw.len() % 2 != 0 {
        return None;
    }
    let (r, s) = raw.split_at(raw.len() / 2);
    Some(der_sequence(&[der_uint(r), der_uint(s)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cosign_uris_and_hides_the_pin() {
        let uri = Pkcs11Uri::parse(
            "pkcs11:token=my%20token;slot-id=3;object=release;id=%01%ff?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=s3cr3t",
        )
        .unwrap();
        assert_eq!(uri.token.as_deref(), Some("my token"));
        assert_eq!(uri.slot_id, Some(3));
        assert_eq!(uri.object.as_deref(), Some("release"));
        assert_eq!(uri.id.as_deref(), Some(&[0x01, 0xff][..]));
        assert_eq!(
            uri.module_path.as_deref(),
            Some(std::path::Path::new("/usr/lib/softhsm/libsofthsm2.so"))
        );
        assert_eq!(uri.pin().unwrap().as_str(), "s3cr3t");
        for shown in [uri.to_string(), format!("{uri:?}")] {
            assert!(!shown.contains("s3cr3t"), "{shown}");
            assert!(shown.contains("object=release"), "{shown}");
        }
    }

    #[test]
    fn a_pin_anywhere_is_redacted() {
        for text in [
            "pkcs11:object=k?pin-value=s3cr3t",
            "pkcs11:object=k?pin-value=s3cr3t&module-path=/m.so",
            "pkcs11:object=k?module-path=/m.so&pin-value=s3cr3t",
            "pkcs11:object=k;pin-value=s3cr3t",
            "pkcs11:pin-value=s3cr3t;object=k",
            "pkcs11:object=k?PIN-VALUE=s3cr3t&pin-value=s3cr3t",
        ] {
            let shown = redact(text);
            assert!(!shown.contains("s3cr3t"), "{text} -> {shown}");
            assert!(shown.contains("object=k"), "{text} -> {shown}");
            if let Err(e) = Pkcs11Uri::parse(text) {
                assert!(!e.to_string().contains("s3cr3t"), "{e}");
            }
        }
    }

    #[test]
    fn refuses_what_it_would_not_apply() {
        for (bad, why) in [
            ("pkcs11:token=t", "object= "),
            ("pkcs11:object=k;colour=red", "unknown path attribute"),
            ("pkcs11:object=k;object=j", "twice"),
            ("pkcs11:object=k?module-path=relative.so", "absolute"),
            ("pkcs11:object=k?pin-value=1&pin-value=2", "twice"),
            ("pkcs11:object=k;id=%zz", "percent-escape"),
            ("pkcs11:object=k?module-name=softhsm2", "module-path"),
            ("file:object=k", "pkcs11:"),
        ] {
            let err = Pkcs11Uri::parse(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{bad}: {err}");
            assert!(!err.contains("pin-value=1"), "{err}");
        }
    }

    #[test]
    fn raw_ecdsa_signatures_become_der() {
        let mut raw = vec![0x80; 32];
        raw.extend([0x00, 0x01].iter().chain([0x7f; 30].iter()));
        let der = ecdsa_raw_to_der(&raw).unwrap();
        let sig = p256::ecdsa::Signature::from_der(&der).unwrap();
        assert_eq!(sig.to_bytes().as_slice(), raw.as_slice());
        assert!(ecdsa_raw_to_der(&[1, 2, 3]).is_none());
    }
}
