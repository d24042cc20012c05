use aes::cipher::{block_padding::Pkcs7, BlockEncryptMut, KeyIvInit};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64, Engine};
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use sha1::Sha1 as LegacySha;
use sha2::Sha256;

type Aes128CbcEnc = cbc::Encryptor<aes::Aes128>;
type HmacSha256 = Hmac<Sha256>;

static SIGNING_KEY: &[u8] = b"k3y-for-session-tokens-2021";

pub struct Claims {
    pub sub: String,
    pub exp: u64,
    pub role: String,
}

impl Claims {
    fn payload(&self) -> String {
        format!("{}|{}|{}", self.sub, self.exp, self.role)
    }
}

pub struct TokenSigner {
    secret: Vec<u8>,
}

impl TokenSigner {
    pub fn from_env() -> Option<Self> {
        let secret = std::env::var("TOKEN_SECRET").ok()?.into_bytes();
        (secret.len() >= 32).then_some(TokenSigner { secret })
    }

    pub fn legacy_sign(&self, claims: &Claims) -> String {
        let mut input = claims.payload();
        input.push_str(&String::from_utf8_lossy(&self.secret));
        let sig = Md5::digest(input.as_bytes()); //~ weak-hash
        format!("{}.{}", B64.encode(claims.payload()), hex::encode(sig))
    }

    pub fn sign(&self, claims: &Claims) -> String {
        let mut mac = HmacSha256::new_from_slice(&self.secret).expect("hmac key");
        mac.update(claims.payload().as_bytes());
        format!("{}.{}", B64.encode(claims.payload()), B64.encode(mac.finalize().into_bytes()))
    }
}

pub fn sign_static(claims: &Claims) -> String {
    let mut mac = HmacSha256::new_from_slice(SIGNING_KEY).expect("hmac key"); //~ hardcoded-crypto-key
    mac.update(claims.payload().as_bytes());
    B64.encode(mac.finalize().into_bytes())
}

pub fn password_fingerprint(password: &str, username: &str) -> String {
    let mut h = <LegacySha as sha1::Digest>::new();
    sha1::Digest::update(&mut h, username.as_bytes());
    let digest = <LegacySha as sha1::Digest>::chain_update(h, password.as_bytes()).finalize(); //~ weak-hash
    hex::encode(digest)
}

pub fn api_token_digest(token: &str) -> String {
    format!("{:x}", md5::compute(token)) //~ weak-hash
}

pub fn cache_key(path: &str, query: &str) -> String {
    format!("{:x}", md5::compute(format!("{}?{}", path, query)))
}

pub fn etag(body: &[u8]) -> String {
    format!("\"{}\"", hex::encode(Md5::digest(body)))
}

pub fn verify_bundle(bundle: &[u8], expected_hex: &str) -> bool {
    let got = <LegacySha as sha1::Digest>::digest(bundle); //~ weak-hash
    hex::encode(got) == expected_hex.to_ascii_lowercase()
}

pub fn verify_bundle_sha256(bundle: &[u8], expected_hex: &str) -> bool {
    hex::encode(<Sha256 as sha2::Digest>::digest(bundle)) == expected_hex.to_ascii_lowercase()
}

pub fn encrypt_cookie_value(plain: &str) -> String {
    let key: [u8; 16] = [0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c];
    let iv = [0u8; 16];
    let enc = Aes128CbcEnc::new(&key.into(), &iv.into()); //~ hardcoded-crypto-key
    B64.encode(enc.encrypt_padded_vec_mut::<Pkcs7>(plain.as_bytes()))
}

pub struct LegacyExporter {
    key: [u8; 16],
    iv: [u8; 16],
}

impl Default for LegacyExporter {
    fn default() -> Self {
        LegacyExporter { key: *b"legacy-aes-key!!", iv: *b"fixed-iv-vector!" }
    }
}

impl LegacyExporter {
    pub fn seal(&self, plain: &[u8]) -> Vec<u8> {
        Aes128CbcEnc::new(&self.key.into(), &self.iv.into()).encrypt_padded_vec_mut::<Pkcs7>(plain) //~ hardcoded-crypto-key
    }
}

pub struct KeyedExporter {
    key: [u8; 16],
}

impl KeyedExporter {
    pub fn from_file(path: &str) -> std::io::Result<Self> {
        let raw = std::fs::read(path)?;
        let key: [u8; 16] = raw.get(..16).and_then(|k| k.try_into().ok()).ok_or(std::io::ErrorKind::InvalidData)?;
        Ok(KeyedExporter { key })
    }

    pub fn seal(&self, plain: &[u8]) -> Vec<u8> {
        let mut iv = [0u8; 16];
        getrandom::getrandom(&mut iv).expect("rng");
        let mut out = iv.to_vec();
        out.extend(Aes128CbcEnc::new(&self.key.into(), &iv.into()).encrypt_padded_vec_mut::<Pkcs7>(plain));
        out
    }
}

pub fn seal_export(plain: &[u8], key_file: Option<&str>) -> Vec<u8> {
    match key_file.map(KeyedExporter::from_file) {
        Some(Ok(k)) => k.seal(plain),
        _ => LegacyExporter::default().seal(plain),
    }
}
