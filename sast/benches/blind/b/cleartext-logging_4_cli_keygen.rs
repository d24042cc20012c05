// CLI tool that generates an API key and an SSH-style private key for a user and prints a summary.
use clap::Parser;
use rand::{distributions::Alphanumeric, Rng};

#[derive(Parser, Debug)]
struct Args {
    #[arg(long)]
    user: String,
    #[arg(long)]
    passwd: Option<String>,
    #[arg(long, default_value_t = false)]
    verbose: bool,
}

struct KeyPair {
    public_pem: String,
    private_pem: String,
}

fn generate_api_key() -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(40)
        .map(char::from)
        .collect()
}

fn generate_keypair() -> KeyPair {
    let (public_pem, private_pem) = crate::crypto::ed25519_pem();
    KeyPair { public_pem, private_pem }
}

fn fingerprint(s: &str) -> String {
    let digest = sha2::Sha256::digest(s.as_bytes());
    hex::encode(&digest[..8])
}

fn main() {
    let args = Args::parse();
    dbg!(&args); //~ cleartext-logging

    let api_key = generate_api_key();
    let keys = generate_keypair();

    println!("created credentials for {}", args.user);
    println!("api key fingerprint: {}", fingerprint(&api_key));
    println!("public key:\n{}", keys.public_pem);

    if args.verbose {
        println!("api key: {}", api_key); //~ cleartext-logging
        let secret_key = &keys.private_pem;
        eprintln!("private key:\n{}", secret_key); //~ cleartext-logging
    }

    let pw = args.passwd.clone().unwrap_or_else(|| rpassword::prompt_password("password: ").unwrap());
    let show_password = || println!("password for {}: {}", args.user, pw); //~ cleartext-logging
    let show_user = |label: &str| println!("{label}: {} (password: ***)", args.user);
    show_user("user");
    if args.verbose {
        show_password();
    }

    crate::store::save_encrypted(&args.user, &pw, &api_key, &keys.private_pem);
}
