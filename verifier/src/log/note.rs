//! C2SP signed notes (`c2sp.org/signed-note`), checkpoints
//! (`c2sp.org/tlog-checkpoint`) and Ed25519 cosignatures
//! (`c2sp.org/tlog-cosignature`, `cosignature/v1`).
//!
//! * key ID: `SHA-256(name || 0x0A || type || public key)[:4]`, type 0x01
//!   for a log's Ed25519 key, 0x04 for a cosigner's;
//! * verifier key: `name+hex(key ID)+base64(type || public key)`;
//! * private key file: `PRIVATE+KEY+name+hex(key ID)+base64(type || seed)`
//!   (the format of Go's `golang.org/x/mod/sumdb/note`);
//! * signature line: `— name base64(key ID || signature)`, and for a
//!   cosignature `— name base64(key ID || u64 BE time || signature)` over
//!   `cosignature/v1\ntime <t>\n` followed by the checkpoint body.

use super::merkle::Hash;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// The signature type byte: a log's Ed25519 note signature.
pub const TYPE_ED25519: u8 = 0x01;
/// The signature type byte: an Ed25519 `cosignature/v1`.
pub const TYPE_COSIGNATURE_V1: u8 = 0x04;

const DASH: &str = "\u{2014} ";

/// Why a key, a signed note or a checkpoint body was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NoteError {
    /// A key could not be generated or parsed: a bad name, an unsupported
    /// signature type, bad base64, a wrong length, or a key ID that does
    /// not match the name and key.
    #[error("key: {0}")]
    Key(String),
    /// Not a signed note: no blank line before the signatures, a
    /// signature line not of the form `— name base64`, or no signature.
    #[error("note: {0}")]
    Malformed(String),
    /// The note's body is not a checkpoint (origin, tree size, base64
    /// root hash).
    #[error("checkpoint: {0}")]
    Checkpoint(String),
}

fn key_name_ok(name: &str) -> bool {
    !name.is_empty()
        && !name.contains('+')
        && !name.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A note key ID: the first four bytes of
/// `SHA-256(name || 0x0A || type || public key)`.
pub fn key_id(name: &str, kind: u8, public: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', kind]);
    h.update(public);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// A signing key: a log's (type 0x01) or a witness's (type 0x04).
pub struct NoteSigner {
    /// The key name (for a log's key, by default its checkpoints' origin).
    pub name: String,
    /// The signature type: [`TYPE_ED25519`] or [`TYPE_COSIGNATURE_V1`].
    pub kind: u8,
    key: SigningKey,
}

impl std::fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NoteSigner({}, type {:#04x})", self.name, self.kind)
    }
}

impl NoteSigner {
    /// A new random Ed25519 key named `name`, of signature type `kind`
    /// (0x01 for a log, 0x04 for a witness). The name must be non-empty,
    /// without `+`, whitespace or control characters.
    pub fn generate(name: &str, kind: u8) -> Result<NoteSigner, NoteError> {
        if !key_name_ok(name) {
            return Err(NoteError::Key(format!(
                "`{name}` is not a key name (no spaces, no `+`)"
            )));
        }
        check_kind(kind)?;
        let key = SigningKey::generate(&mut rand_core::OsRng);
        Ok(NoteSigner {
            name: name.to_string(),
            kind,
            key,
        })
    }

    /// A 32-byte secret for `purpose`, derived from the private key (so
    /// that only its holder can compute it): SHA-256 of `purpose`, a zero
    /// byte and the seed.
    pub fn derive_secret(&self, purpose: &[u8]) -> [u8; 32] {
        let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        ctx.update(purpose);
        ctx.update(&[0]);
        ctx.update(self.key.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.finish().as_ref());
        out
    }

    /// Parse `PRIVATE+KEY+name+hexid+base64(type||seed)`.
    pub fn parse(text: &str) -> Result<NoteSigner, NoteError> {
        let text = text.trim();
        let rest = text
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| NoteError::Key("not a note private key (PRIVATE+KEY+…)".into()))?;
        // The base64 key may itself contain `+`: split off two fields only.
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(NoteError::Key("expected PRIVATE+KEY+name+id+key".into()));
        };
        let raw = B64
            .decode(b64)
            .map_err(|e| NoteError::Key(format!("key is not base64: {e}")))?;
        let (kind, seed) = raw
            .split_first()
            .ok_or_else(|| NoteError::Key("empty key".into()))?;
        check_kind(*kind)?;
        let seed: [u8; 32] = seed
            .try_into()
            .map_err(|_| NoteError::Key("an Ed25519 seed is 32 bytes".into()))?;
        let key = SigningKey::from_bytes(&seed);
        let signer = NoteSigner {
            name: name.to_string(),
            kind: *kind,
            key,
        };
        if !key_name_ok(name) || hex::encode(signer.key_id()) != id {
            return Err(NoteError::Key(
                "the key ID does not match the name and key".into(),
            ));
        }
        Ok(signer)
    }

    /// This key's four-byte key ID (see [`key_id`]).
    pub fn key_id(&self) -> [u8; 4] {
        key_id(&self.name, self.kind, self.key.verifying_key().as_bytes())
    }

    /// The private key file's text (keep it secret).
    pub fn private_text(&self) -> String {
        let mut raw = vec![self.kind];
        raw.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{}+{}\n",
            self.name,
            hex::encode(self.key_id()),
            B64.encode(raw)
        )
    }

    /// The public half: the verifier key for this key's signatures.
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            kind: self.kind,
            id: self.key_id(),
            key: self.key.verifying_key(),
        }
    }

    /// Sign a checkpoint body as the log: the whole note.
    pub fn sign_note(&self, body: &str) -> String {
        let sig = self.key.sign(body.as_bytes());
        let mut raw = self.key_id().to_vec();
        raw.extend_from_slice(&sig.to_bytes());
        format!("{body}\n{DASH}{} {}\n", self.name, B64.encode(raw))
    }

    /// A `cosignature/v1` signature line over a checkpoint body.
    pub fn cosign(&self, body: &str, time: u64) -> String {
        let message = format!("cosignature/v1\ntime {time}\n{body}");
        let sig = self.key.sign(message.as_bytes());
        let mut raw = self.key_id().to_vec();
        raw.extend_from_slice(&time.to_be_bytes());
        raw.extend_from_slice(&sig.to_bytes());
        format!("{DASH}{} {}\n", self.name, B64.encode(raw))
    }
}

fn check_kind(kind: u8) -> Result<(), NoteError> {
    if kind == TYPE_ED25519 || kind == TYPE_COSIGNATURE_V1 {
        Ok(())
    } else {
        Err(NoteError::Key(format!(
            "signature type {kind:#04x} is not supported (0x01 Ed25519, 0x04 cosignature/v1)"
        )))
    }
}

/// A public key: `name+hexid+base64(type||key)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteVerifier {
    /// The key name, which signature lines must carry.
    pub name: String,
    /// The signature type: [`TYPE_ED25519`] or [`TYPE_COSIGNATURE_V1`].
    pub kind: u8,
    /// The key ID, checked against the name and key when parsed.
    pub id: [u8; 4],
    key: VerifyingKey,
}

impl NoteVerifier {
    /// Parse `name+hexid+base64(type||key)` (surrounding whitespace
    /// ignored); the key ID must match the name, type and key.
    pub fn parse(text: &str) -> Result<NoteVerifier, NoteError> {
        let text = text.trim();
        let mut parts = text.splitn(3, '+');
        let (Some(name), Some(id), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(NoteError::Key(
                "not a note verifier key (name+id+key)".into(),
            ));
        };
        if !key_name_ok(name) {
            return Err(NoteError::Key(format!("`{name}` is not a key name")));
        }
        let raw = B64
            .decode(b64)
            .map_err(|e| NoteError::Key(format!("key is not base64: {e}")))?;
        let (kind, public) = raw
            .split_first()
            .ok_or_else(|| NoteError::Key("empty key".into()))?;
        check_kind(*kind)?;
        let public: [u8; 32] = public
            .try_into()
            .map_err(|_| NoteError::Key("an Ed25519 public key is 32 bytes".into()))?;
        let key = VerifyingKey::from_bytes(&public)
            .map_err(|e| NoteError::Key(format!("not an Ed25519 public key: {e}")))?;
        let expected = key_id(name, *kind, &public);
        if hex::encode(expected) != id {
            return Err(NoteError::Key(
                "the key ID does not match the name and key".into(),
            ));
        }
        Ok(NoteVerifier {
            name: name.to_string(),
            kind: *kind,
            id: expected,
            key,
        })
    }

    /// The key in its text form, `name+hexid+base64(type||key)` (no line
    /// end); [`NoteVerifier::parse`] reads it back.
    pub fn text(&self) -> String {
        let mut raw = vec![self.kind];
        raw.extend_from_slice(self.key.as_bytes());
        format!("{}+{}+{}", self.name, hex::encode(self.id), B64.encode(raw))
    }

    /// Does one of the note's signatures verify under this key? For a
    /// cosigner key, returns the cosignature's time.
    pub fn verify(&self, note: &Note) -> Option<u64> {
        for sig in &note.signatures {
            if sig.name != self.name || sig.id != self.id {
                continue;
            }
            match self.kind {
                TYPE_ED25519 => {
                    let Ok(bytes) = <[u8; 64]>::try_from(sig.data.as_slice()) else {
                        continue;
                    };
                    let s = ed25519_dalek::Signature::from_bytes(&bytes);
                    if self.key.verify_strict(note.body.as_bytes(), &s).is_ok() {
                        return Some(0);
                    }
                }
                TYPE_COSIGNATURE_V1 => {
                    if sig.data.len() != 72 {
                        continue;
                    }
                    let mut t = [0u8; 8];
                    t.copy_from_slice(&sig.data[..8]);
                    let time = u64::from_be_bytes(t);
                    let Ok(bytes) = <[u8; 64]>::try_from(&sig.data[8..]) else {
                        continue;
                    };
                    let s = ed25519_dalek::Signature::from_bytes(&bytes);
                    let message = format!("cosignature/v1\ntime {time}\n{}", note.body);
                    if time < (1u64 << 63) && self.key.verify_strict(message.as_bytes(), &s).is_ok()
                    {
                        return Some(time);
                    }
                }
                _ => {}
            }
        }
        None
    }
}

/// One signature line of a note, parsed but not verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name the line gives.
    pub name: String,
    /// The key ID: the first four bytes of the decoded signature.
    pub id: [u8; 4],
    /// The signature after the key ID (for cosignatures, time || signature).
    pub data: Vec<u8>,
    /// The line as it was read (without its newline).
    pub line: String,
}

/// A signed note: its body (ending in a newline) and signature lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The signed text, up to and including its last newline (without the
    /// blank line that separates it from the signatures).
    pub body: String,
    /// The signature lines, in order.
    pub signatures: Vec<NoteSignature>,
}

impl Note {
    /// Parse a signed note: a body, a blank line, and one or more
    /// `— name base64` lines, the last ending in a newline. Signatures
    /// are parsed, not verified (see [`NoteVerifier::verify`]).
    pub fn parse(text: &str) -> Result<Note, NoteError> {
        let malformed = |m: &str| NoteError::Malformed(m.to_string());
        let split = text
            .find("\n\n")
            .ok_or_else(|| malformed("no blank line before the signatures"))?;
        let body = &text[..split + 1];
        let sigs = &text[split + 2..];
        if !sigs.ends_with('\n') {
            return Err(malformed("the last signature line has no line end"));
        }
        let mut signatures = Vec::new();
        for line in sigs.lines() {
            let rest = line
                .strip_prefix(DASH)
                .ok_or_else(|| malformed("a signature line must start with `— `"))?;
            let (name, b64) = rest
                .split_once(' ')
                .ok_or_else(|| malformed("a signature line is `— name signature`"))?;
            let raw = B64
                .decode(b64)
                .map_err(|_| malformed("a signature is not base64"))?;
            if raw.len() < 5 || !key_name_ok(name) {
                return Err(malformed("a signature line is too short or badly named"));
            }
            signatures.push(NoteSignature {
                name: name.to_string(),
                id: [raw[0], raw[1], raw[2], raw[3]],
                data: raw[4..].to_vec(),
                line: line.to_string(),
            });
        }
        if signatures.is_empty() {
            return Err(malformed("no signature"));
        }
        Ok(Note {
            body: body.to_string(),
            signatures,
        })
    }

    /// The note as text: the body, a blank line and each signature line
    /// as it was read.
    pub fn text(&self) -> String {
        let mut out = format!("{}\n", self.body);
        for s in &self.signatures {
            out.push_str(&s.line);
            out.push('\n');
        }
        out
    }

    /// Add a signature line (from `NoteSigner::cosign`), replacing an
    /// earlier one by the same key.
    pub fn add_signature_line(&mut self, line: &str) -> Result<(), NoteError> {
        let parsed = Note::parse(&format!("{}\n{line}", self.body))?;
        for s in parsed.signatures {
            self.signatures
                .retain(|o| !(o.name == s.name && o.id == s.id));
            self.signatures.push(s);
        }
        Ok(())
    }
}

/// A checkpoint body: origin, tree size, base64 root hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin line: its unique name.
    pub origin: String,
    /// The tree size: how many records the checkpoint covers.
    pub size: u64,
    /// The Merkle root of the first `size` records.
    pub root: Hash,
}

impl Checkpoint {
    /// The body to sign: origin, size and base64 root, each on its own
    /// line.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        )
    }

    /// Parse a checkpoint body: an origin line, a decimal tree size
    /// without leading zeros, and a base64 32-byte root. Extension lines
    /// after those are ignored.
    pub fn parse_body(body: &str) -> Result<Checkpoint, NoteError> {
        let bad = |m: String| NoteError::Checkpoint(m);
        let mut lines = body.split('\n');
        let origin = lines.next().unwrap_or("");
        if origin.is_empty() {
            return Err(bad("no origin line".into()));
        }
        let size_text = lines.next().unwrap_or("");
        let size: u64 = size_text
            .parse()
            .ok()
            .filter(|_| size_text == "0" || !size_text.starts_with('0'))
            .ok_or_else(|| bad(format!("`{size_text}` is not a tree size")))?;
        let root_text = lines.next().unwrap_or("");
        let root: Hash = B64
            .decode(root_text)
            .ok()
            .and_then(|r| r.try_into().ok())
            .ok_or_else(|| bad("the root hash is not 32 bytes of base64".into()))?;
        // Extension lines are allowed by the format; this log writes none.
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root,
        })
    }
}

/// A checkpoint with its note (and so its signatures).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// The parsed body.
    pub checkpoint: Checkpoint,
    /// The note whose body it is, with its signature lines.
    pub note: Note,
}

impl SignedCheckpoint {
    /// Parse a signed note whose body is a checkpoint (signatures parsed,
    /// not verified).
    pub fn parse(text: &str) -> Result<SignedCheckpoint, NoteError> {
        let note = Note::parse(text)?;
        let checkpoint = Checkpoint::parse_body(&note.body)?;
        Ok(SignedCheckpoint { checkpoint, note })
    }

    /// Sign `checkpoint` with the log's `key`.
    pub fn sign(checkpoint: Checkpoint, key: &NoteSigner) -> SignedCheckpoint {
        let text = key.sign_note(&checkpoint.body());
        let note = match Note::parse(&text) {
            Ok(n) => n,
            // A note we just wrote always parses; keep the body regardless.
            Err(_) => Note {
                body: checkpoint.body(),
                signatures: Vec::new(),
            },
        };
        SignedCheckpoint { checkpoint, note }
    }
}

/// Parse a file of notes, each followed by a blank line (a checkpoint
/// sidecar). Returns each note with its 1-based starting line.
pub fn parse_notes(text: &str) -> Result<Vec<(usize, SignedCheckpoint)>, (usize, NoteError)> {
    let mut out = Vec::new();
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut i = 0;
    while i < lines.len() {
        if lines[i] == "\n" {
            i += 1;
            continue;
        }
        let start = i;
        let mut note = String::new();
        // Body up to the blank line.
        while i < lines.len() && lines[i] != "\n" {
            note.push_str(lines[i]);
            i += 1;
        }
        note.push('\n');
        i += 1;
        // Signature lines up to the next blank line or the end.
        while i < lines.len() && lines[i] != "\n" {
            note.push_str(lines[i]);
            i += 1;
        }
        let parsed = SignedCheckpoint::parse(&note).map_err(|e| (start + 1, e))?;
        out.push((start + 1, parsed));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_sign() {
        let log = NoteSigner::generate("example.com/log", TYPE_ED25519).unwrap();
        let again = NoteSigner::parse(&log.private_text()).unwrap();
        assert_eq!(again.verifier(), log.verifier());
        let v = NoteVerifier::parse(&log.verifier().text()).unwrap();
        let cp = Checkpoint {
            origin: "example.com/log".into(),
            size: 3,
            root: [7; 32],
        };
        let signed = SignedCheckpoint::sign(cp.clone(), &log);
        assert_eq!(v.verify(&signed.note), Some(0));
        let reparsed = SignedCheckpoint::parse(&signed.note.text()).unwrap();
        assert_eq!(reparsed, signed);
        let mut tampered = signed.note.clone();
        tampered.body = tampered.body.replace("\n3\n", "\n4\n");
        assert_eq!(v.verify(&tampered), None);

        let w = NoteSigner::generate("witness.example/w1", TYPE_COSIGNATURE_V1).unwrap();
        let mut note = signed.note.clone();
        note.add_signature_line(&w.cosign(&note.body, 1_700_000_000))
            .unwrap();
        assert_eq!(w.verifier().verify(&note), Some(1_700_000_000));
        assert_eq!(v.verify(&note), Some(0));
        // A cosigner key relabelled as a log key has the wrong key ID.
        let text = w.verifier().text();
        let parts: Vec<&str> = text.splitn(3, '+').collect();
        let mut raw = B64.decode(parts[2]).unwrap();
        raw[0] = TYPE_ED25519;
        let relabelled = format!("{}+{}+{}", parts[0], parts[1], B64.encode(raw));
        assert!(NoteVerifier::parse(&relabelled).is_err());
    }

    #[test]
    fn malformed_keys_and_notes_are_errors() {
        assert!(NoteVerifier::parse("nope").is_err());
        assert!(NoteSigner::parse("PRIVATE+KEY+a+00000000+AQ==").is_err());
        assert!(Note::parse("a\n1\n").is_err());
        assert!(Checkpoint::parse_body("o\n01\nAAAA\n").is_err());
    }
}
