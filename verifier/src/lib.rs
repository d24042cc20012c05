//! `tollgate-verifier`: the deploy-time gate. It decides whether an
//! artifact may be deployed, from its verified attestations and a policy,
//! and records every decision in a tamper-evident log.
//!
//! Invariant: nothing unverified reaches a condition. Conditions only see
//! statements whose envelope signature, signer and subject digest were
//! verified first.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod admission;
pub mod gate;
pub mod log;
pub mod policy;
pub mod policy_set;
pub mod reference;
pub mod rego;
