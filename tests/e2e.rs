//! The end-to-end tests: `tollgate` run as a user runs it, against real
//! local components (a registry, Sigstore stand-ins, the Python and
//! JavaScript reference tools, SoftHSM2). One test binary, as ripgrep's
//! `tests/tests.rs`: each file beside this one is a module, all share
//! [`support`] and its [`support::Tollgate`] command builder, and the
//! whole set links once (`cargo test -p tollgate --test e2e`; one area:
//! `--test e2e sast_cli::`).
//!
//! Every test runs in the same process, in parallel with the others: a
//! test keeps to its own temporary directory and ports, never changes
//! the process's environment or working directory, and gives each child
//! process what it needs through [`support::Tollgate`] or the child's own
//! `Command`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod support;

mod action;
mod admission_faults;
mod attest_cli;
mod audit_cli;
mod build;
mod bundle_mutations;
mod cargo_tools_compat;
mod ci_cli;
mod cli_edges;
mod db_fetch;
mod identity_flags;
mod intoto_cli;
mod oci_sign;
mod pkcs11;
mod premerge_cli;
mod rekor_v2;
mod sast_cli;
mod sbom_cli;
mod sign_cli;
mod sigstore_conformance;
mod sigstore_js;
mod sigstore_keyless;
mod translog;
mod tuf;
mod verify_cli;
