// Red team rt45: a finding that reports a bug where it is used replaces
// the one where it is made only when that place is certain; the most
// sensitive value in stored text is the one reported; a trait's
// supertraits count only for the file's own top-level trait.
use std::sync::Arc;

mod debug {
    #[derive(Debug)]
    pub struct Verifier;
    impl rustls::client::danger::ServerCertVerifier for Verifier {
        fn verify_server_cert(
            &self,
            _end_entity: &rustls::pki_types::CertificateDer<'_>,
            _intermediates: &[rustls::pki_types::CertificateDer<'_>],
            _server_name: &rustls::pki_types::ServerName<'_>,
            _ocsp: &[u8],
            _now: rustls::pki_types::UnixTime,
        ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
            Ok(rustls::client::danger::ServerCertVerified::assertion()) //~ tls-verification-disabled
        }
    }
}

mod lab {
    #[derive(Debug)]
    pub struct Verifier;
    impl rustls::client::danger::ServerCertVerifier for Verifier {
        fn verify_server_cert(
            &self,
            _end_entity: &rustls::pki_types::CertificateDer<'_>,
            _intermediates: &[rustls::pki_types::CertificateDer<'_>],
            _server_name: &rustls::pki_types::ServerName<'_>,
            _ocsp: &[u8],
            _now: rustls::pki_types::UnixTime,
        ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
            Ok(rustls::client::danger::ServerCertVerified::assertion()) //~ tls-verification-disabled
        }
    }
}

// Two verifiers named `Verifier`: which one this installs is not worked
// out, so both impls stay reported.
pub fn lab_config() -> rustls::ClientConfig {
    use lab::Verifier;
    rustls::ClientConfig::builder()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Verifier)) //~ tls-verification-disabled
        .with_no_client_auth()
}

pub async fn store_contact(pool: &sqlx::PgPool, email: &str, phone_number: &str) {
    let sql = format!("INSERT INTO contacts(email, phone) VALUES ('{email}', '{phone_number}')");
    let _ = sqlx::query(&sql).execute(pool).await; //~ cleartext-storage, sql-injection
}

mod legacy {
    pub trait Handler: Send + Sync {}
}

pub trait Handler {}

pub struct Worker<H>(std::cell::UnsafeCell<H>);

// SAFETY: fixture.
unsafe impl<H: Handler> Sync for Worker<H> {} //~ unsafe-send-sync
