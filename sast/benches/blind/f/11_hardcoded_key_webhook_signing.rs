// Outbound webhook signing and at-rest field encryption for the billing service:
// payloads are HMAC-signed for receivers and card fingerprints are encrypted in the DB.
use openssl::symm::{decrypt, encrypt, Cipher};
use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

static WEBHOOK_SECRET: &[u8] = b"whsec_3d8b1c0f7a9e42d6b5c1e8f0a2d4c6b8";
const LEGACY_EXPORT_KEY: &[u8; 16] = b"B1ll1ngExp0rtK3y";
const LEGACY_EXPORT_IV: &[u8; 16] = b"0000111122223333";
const FIELD_KEY: [u8; 32] = [
    17, 204, 9, 88, 131, 42, 250, 3, 76, 190, 61, 12, 240, 5, 99, 143, 28, 71, 222, 14, 180, 66,
    37, 119, 8, 201, 93, 160, 45, 233, 2, 57,
];

pub struct WebhookSigner {
    key: hmac::Key,
}

impl WebhookSigner {
    pub fn new(secret: &[u8]) -> Self {
        WebhookSigner {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
        }
    }

    pub fn sign(&self, body: &[u8]) -> String {
        hex::encode(hmac::sign(&self.key, body).as_ref())
    }
}

pub fn default_signer() -> WebhookSigner {
    let key = hmac::Key::new(hmac::HMAC_SHA256, WEBHOOK_SECRET); //~ hardcoded-crypto-key
    WebhookSigner { key }
}

pub fn tenant_signer(secrets: &dyn SecretStore, tenant: &str) -> Option<WebhookSigner> {
    let secret = secrets.get(&format!("webhooks/{tenant}/signing"))?;
    Some(WebhookSigner::new(&secret))
}

pub trait SecretStore {
    fn get(&self, name: &str) -> Option<Vec<u8>>;
}

pub fn export_batch(csv: &[u8]) -> Result<Vec<u8>, openssl::error::ErrorStack> {
    let cipher = Cipher::aes_128_cbc();
    encrypt(cipher, LEGACY_EXPORT_KEY, Some(LEGACY_EXPORT_IV), csv) //~ hardcoded-crypto-key
}

pub fn export_batch_v2(
    csv: &[u8],
    secrets: &dyn SecretStore,
) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let key = secrets
        .get("billing/export-key")
        .ok_or("missing export key")?;
    let mut iv = [0u8; 16];
    SystemRandom::new()
        .fill(&mut iv)
        .map_err(|_| "rng failure")?;
    let mut out = iv.to_vec();
    out.extend(encrypt(Cipher::aes_256_cbc(), &key, Some(&iv), csv)?);
    Ok(out)
}

pub fn import_batch(blob: &[u8], key: &[u8]) -> Result<Vec<u8>, openssl::error::ErrorStack> {
    let (iv, ct) = blob.split_at(16);
    decrypt(Cipher::aes_256_cbc(), key, Some(iv), ct)
}

pub struct FieldVault {
    key: LessSafeKey,
    rng: SystemRandom,
}

impl FieldVault {
    pub fn new(key_bytes: &[u8]) -> Result<Self, ring::error::Unspecified> {
        let unbound = UnboundKey::new(&aead::AES_256_GCM, key_bytes)?;
        Ok(FieldVault {
            key: LessSafeKey::new(unbound),
            rng: SystemRandom::new(),
        })
    }

    pub fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>, ring::error::Unspecified> {
        let mut nonce = [0u8; 12];
        self.rng.fill(&mut nonce)?;
        let mut in_out = plaintext.to_vec();
        let n = Nonce::assume_unique_for_key(nonce);
        self.key
            .seal_in_place_append_tag(n, Aad::empty(), &mut in_out)?;
        let mut out = nonce.to_vec();
        out.extend(in_out);
        Ok(out)
    }
}

impl Default for FieldVault {
    fn default() -> Self {
        FieldVault::new(&FIELD_KEY).expect("valid key") //~ hardcoded-crypto-key
    }
}

pub fn fingerprint_vault(secrets: &dyn SecretStore) -> FieldVault {
    match secrets.get("billing/field-key") {
        Some(k) => FieldVault::new(&k).unwrap_or_default(),
        None => FieldVault::default(),
    }
}

pub fn seal_card_token(token: &str) -> Result<Vec<u8>, ring::error::Unspecified> {
    let unbound = UnboundKey::new(&aead::CHACHA20_POLY1305, &FIELD_KEY)?; //~ hardcoded-crypto-key
    let key = LessSafeKey::new(unbound);
    let mut nonce = [0u8; 12];
    SystemRandom::new().fill(&mut nonce)?;
    let mut buf = token.as_bytes().to_vec();
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut buf)?;
    let mut out = nonce.to_vec();
    out.append(&mut buf);
    Ok(out)
}
