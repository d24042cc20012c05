// https://github.com/GitoxideLabs/gitoxide/security/advisories/GHSA-2frx-2596-x5r6 (CVE-2025-31130, RUSTSEC-2025-0021: object ids hashed with plain SHA-1, no collision detection; fix PR #1915, commit f253f02a6, uses sha1-checked)
mod vulnerable {
    use sha1::Digest;

    /// A implementation of the Sha1 hash, which can be used once.
    #[derive(Default, Clone)]
    pub struct Sha1(sha1::Sha1); //~ broken-hash

    impl Sha1 {
        /// Digest the given `bytes`.
        pub fn update(&mut self, bytes: &[u8]) {
            self.0.update(bytes);
        }
        /// Finalize the hash and produce a digest.
        pub fn digest(self) -> [u8; 20] {
            self.0.finalize().into()
        }
    }

    pub fn hasher() -> Sha1 {
        Sha1::default()
    }

    pub fn object_id(data: &[u8]) -> [u8; 20] {
        let mut h = hasher();
        h.update(data);
        h.digest()
    }
}

mod fixed {
    use sha1_checked::CollisionResult;

    #[derive(Debug)]
    pub enum Error {
        CollisionAttack { digest: [u8; 20] },
    }

    #[derive(Clone)]
    pub struct Hasher(sha1_checked::Sha1);

    impl Default for Hasher {
        fn default() -> Self {
            Self(sha1_checked::Builder::default().safe_hash(false).build())
        }
    }

    impl Hasher {
        pub fn update(&mut self, bytes: &[u8]) {
            use sha1_checked::Digest;
            self.0.update(bytes);
        }

        pub fn try_finalize(self) -> Result<[u8; 20], Error> {
            match self.0.try_finalize() {
                CollisionResult::Ok(digest) => Ok(digest.into()),
                CollisionResult::Mitigated(digest) | CollisionResult::Collision(digest) => {
                    Err(Error::CollisionAttack { digest: digest.into() })
                }
            }
        }
    }

    pub fn fixed_object_id(data: &[u8]) -> Result<[u8; 20], Error> {
        let mut h = Hasher::default();
        h.update(data);
        h.try_finalize()
    }
}
