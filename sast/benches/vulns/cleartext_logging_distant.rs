// https://github.com/chipsenkbeil/distant/issues/249 (manager traces the whole authentication response, password answers included; fix PR #276, commit 93aacc91, makes the answers a SecretString whose Debug prints ***)
use std::collections::HashMap;
use std::fmt;
use log::trace;
use tokio::sync::oneshot;

#[derive(Clone, Debug)]
pub struct ChallengeResponse {
    /// Answers to challenge questions (in order relative to questions)
    pub answers: Vec<String>,
}

#[derive(Clone, Debug)]
pub enum AuthenticationResponse {
    Challenge(ChallengeResponse),
}

pub struct ManagerServer {
    registry: HashMap<u32, oneshot::Sender<AuthenticationResponse>>,
}

impl ManagerServer {
    pub fn authenticate(&mut self, id: u32, msg: AuthenticationResponse) -> Result<(), String> {
        trace!("Retrieving authentication callback registry");
        match self.registry.remove(&id) {
            Some(cb) => {
                trace!("Sending {msg:?} through authentication callback"); //~ cleartext-logging
                cb.send(msg).map_err(|_| "Unable to forward authentication callback".to_string())
            }
            None => Err("Invalid authentication id".to_string()),
        }
    }
}

#[derive(Clone)]
pub struct SecretString(String);

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "***")
    }
}

#[derive(Clone, Debug)]
pub struct FixedChallengeResponse {
    pub answers: Vec<SecretString>,
}

#[derive(Clone, Debug)]
pub enum FixedAuthenticationResponse {
    Challenge(FixedChallengeResponse),
}

pub struct FixedManagerServer {
    registry: HashMap<u32, oneshot::Sender<FixedAuthenticationResponse>>,
}

impl FixedManagerServer {
    pub fn fixed_authenticate(&mut self, id: u32, msg: FixedAuthenticationResponse) -> Result<(), String> {
        match self.registry.remove(&id) {
            Some(cb) => {
                trace!("Sending {msg:?} through authentication callback");
                cb.send(msg).map_err(|_| "Unable to forward authentication callback".to_string())
            }
            None => Err("Invalid authentication id".to_string()),
        }
    }
}
