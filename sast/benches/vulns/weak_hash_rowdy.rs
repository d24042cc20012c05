// https://github.com/lawliet89/rowdy/issues/30 (simple authenticator stored passwords as one SHA-256 of password + shared salt; fix PR #32, commit b8b2e30, uses argon2i)
use ring::digest;

pub struct SimpleAuthenticator {
    salt: Vec<u8>,
}

impl SimpleAuthenticator {
    fn hash_password_digest(&self, password: &str) -> digest::Digest {
        let mut bytes: Vec<u8> = password.as_bytes().to_vec();
        bytes.append(&mut self.salt.clone());
        digest::digest(&digest::SHA256, bytes.as_slice()) //~ weak-hash
    }

    fn fixed_hash_password_digest(password: &str, salt: &[u8]) -> Vec<u8> {
        let bytes = password.as_bytes();
        let mut out = vec![0; argon2rs::defaults::LENGTH];
        let argon2 = argon2rs::Argon2::default(argon2rs::Variant::Argon2i);
        argon2.hash(&mut out, bytes, salt, &[], &[]);
        out
    }
}
