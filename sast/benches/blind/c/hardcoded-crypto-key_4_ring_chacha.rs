// Device telemetry sealing for an IoT gateway: ring AES-GCM for uplink, ChaCha20-Poly1305 for local store.
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{ChaCha20Poly1305, Key};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::error::Unspecified;
use ring::rand::{SecureRandom, SystemRandom};

static DEVICE_KEY: [u8; 32] = [
    0x1f, 0x2e, 0x3d, 0x4c, 0x5b, 0x6a, 0x79, 0x88, 0x97, 0xa6, 0xb5, 0xc4, 0xd3, 0xe2, 0xf1, 0x00,
    0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78, 0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0,
];
const UPLINK_NONCE: [u8; NONCE_LEN] = [7u8; NONCE_LEN];

pub fn seal_uplink(mut record: Vec<u8>) -> Result<Vec<u8>, Unspecified> {
    let unbound = UnboundKey::new(&AES_256_GCM, &DEVICE_KEY)?; //~ hardcoded-crypto-key
    let key = LessSafeKey::new(unbound);
    let rng = SystemRandom::new();
    let mut nonce_bytes = [0u8; NONCE_LEN];
    rng.fill(&mut nonce_bytes)?;
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce_bytes), Aad::empty(), &mut record)?;
    let mut out = nonce_bytes.to_vec();
    out.extend(record);
    Ok(out)
}

pub fn seal_heartbeat(key: &LessSafeKey, mut record: Vec<u8>) -> Result<Vec<u8>, Unspecified> {
    let nonce = Nonce::assume_unique_for_key(UPLINK_NONCE); //~ hardcoded-crypto-key
    key.seal_in_place_append_tag(nonce, Aad::from(b"hb"), &mut record)?;
    Ok(record)
}

/// Provisioned path: key generated on first boot and kept in the secure element.
pub fn provision_uplink_key() -> Result<(LessSafeKey, [u8; 32]), Unspecified> {
    let rng = SystemRandom::new();
    let mut key_bytes = [0u8; 32];
    rng.fill(&mut key_bytes)?;
    let unbound = UnboundKey::new(&AES_256_GCM, &key_bytes)?;
    Ok((LessSafeKey::new(unbound), key_bytes))
}

pub fn seal_local(record: &[u8]) -> Vec<u8> {
    let cipher = ChaCha20Poly1305::new(Key::from_slice(b"an example very very secret key.")); //~ hardcoded-crypto-key
    let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
    let mut out = nonce.to_vec();
    out.extend(cipher.encrypt(&nonce, record).expect("seal"));
    out
}

pub fn seal_local_provisioned(stored_key: &[u8], record: &[u8]) -> Option<Vec<u8>> {
    let cipher = ChaCha20Poly1305::new_from_slice(stored_key).ok()?;
    let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
    let mut out = nonce.to_vec();
    out.extend(cipher.encrypt(&nonce, record).ok()?);
    Some(out)
}

pub fn fresh_local_cipher() -> ChaCha20Poly1305 {
    let key = ChaCha20Poly1305::generate_key(&mut OsRng);
    ChaCha20Poly1305::new(&key)
}
