//! SLSA provenance v1 (`https://slsa.dev/provenance/v1`).
//!
//! Source facts (repository URL, commit, ref, whether the tree is dirty)
//! come from the repository with `git2`. On GitHub Actions the predicate
//! follows the conventions of GitHub's own artifact attestations
//! (buildType `https://actions.github.io/buildtypes/workflow/v1`, builder id
//! from the workflow ref, invocation id from the run id and attempt);
//! elsewhere it names Tollgate's documented local builder.

use crate::Error;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// The build type of provenance made in GitHub Actions.
pub const GITHUB_BUILD_TYPE: &str = "https://actions.github.io/buildtypes/workflow/v1";
/// The build type of provenance made on a developer machine.
pub const LOCAL_BUILD_TYPE: &str =
    "https://github.com/tollgate-dev/tollgate/blob/main/docs/attestations.md#local-build-v1";
/// The builder id of provenance made on a developer machine.
pub const LOCAL_BUILDER_ID: &str =
    "https://github.com/tollgate-dev/tollgate/blob/main/docs/attestations.md#local-builder";

/// What the repository says about the source being built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFacts {
    /// `origin`'s URL, normalised to https where it is a GitHub SSH URL.
    pub repository: Option<String>,
    /// The commit checked out.
    pub commit: String,
    /// `refs/heads/<branch>`, or `None` with a detached HEAD.
    pub git_ref: Option<String>,
    /// Tracked files modified, staged, or untracked files not ignored.
    pub dirty: bool,
}

/// The source facts of the git repository at `dir`.
pub fn source_facts(dir: &Path) -> Result<SourceFacts, Error> {
    let git_err = |e: git2::Error| Error::Source {
        path: dir.to_path_buf(),
        message: e.message().to_string(),
    };
    let repo = git2::Repository::discover(dir).map_err(git_err)?;
    let head = repo.head().map_err(git_err)?;
    let commit = head.peel_to_commit().map_err(git_err)?.id().to_string();
    let git_ref = if head.is_branch() {
        head.name().ok().map(str::to_string)
    } else {
        None
    };
    let repository = repo
        .find_remote("origin")
        .ok()
        .and_then(|r| r.url().ok().map(normalise_remote));
    let mut options = git2::StatusOptions::new();
    options
        .include_untracked(true)
        .include_ignored(false)
        .recurse_untracked_dirs(false);
    let dirty = !repo
        .statuses(Some(&mut options))
        .map_err(git_err)?
        .is_empty();
    Ok(SourceFacts {
        repository,
        commit,
        git_ref,
        dirty,
    })
}

/// `git@github.com:org/repo.git` -> `https://github.com/org/repo`.
fn normalise_remote(url: &str) -> String {
    let url = url.trim_end_matches(".git");
    match url.strip_prefix("git@") {
        Some(rest) => match rest.split_once(':') {
            Some((host, path)) => format!("https://{host}/{path}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// The build's environment: normally `std::env::vars()`.
pub type Env = BTreeMap<String, String>;

/// Build the predicate. `started`/`finished` are RFC 3339 times.
pub fn predicate(
    facts: &SourceFacts,
    env: &Env,
    started: &str,
    finished: &str,
    external: Value,
) -> Value {
    let get = |k: &str| env.get(k).cloned();
    let on_github = get("GITHUB_ACTIONS").as_deref() == Some("true");
    let repository = facts.repository.clone().or_else(|| {
        Some(format!(
            "{}/{}",
            get("GITHUB_SERVER_URL")?,
            get("GITHUB_REPOSITORY")?
        ))
    });
    let git_ref = facts.git_ref.clone().or_else(|| get("GITHUB_REF"));
    let dependency = json!({
        "uri": format!("git+{}@{}", repository.clone().unwrap_or_else(|| "unknown".into()), git_ref.clone().unwrap_or_else(|| facts.commit.clone())),
        "digest": { "gitCommit": facts.commit },
    });
    if on_github {
        let server = get("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".into());
        let repo = get("GITHUB_REPOSITORY").unwrap_or_default();
        let workflow_ref = get("GITHUB_WORKFLOW_REF").unwrap_or_default();
        let path = workflow_ref
            .split_once('@')
            .map(|(p, _)| p)
            .unwrap_or(&workflow_ref)
            .strip_prefix(&format!("{repo}/"))
            .unwrap_or("")
            .to_string();
        json!({
            "buildDefinition": {
                "buildType": GITHUB_BUILD_TYPE,
                "externalParameters": { "workflow": { "ref": get("GITHUB_REF"), "repository": format!("{server}/{repo}"), "path": path } },
                "internalParameters": { "github": {
                    "event_name": get("GITHUB_EVENT_NAME"),
                    "repository_id": get("GITHUB_REPOSITORY_ID"),
                    "repository_owner_id": get("GITHUB_REPOSITORY_OWNER_ID"),
                    "runner_environment": get("RUNNER_ENVIRONMENT"),
                } },
                "resolvedDependencies": [dependency],
            },
            "runDetails": {
                "builder": { "id": format!("{server}/{workflow_ref}") },
                "metadata": {
                    "invocationId": format!("{server}/{repo}/actions/runs/{}/attempts/{}", get("GITHUB_RUN_ID").unwrap_or_default(), get("GITHUB_RUN_ATTEMPT").unwrap_or_else(|| "1".into())),
                    "startedOn": started,
                    "finishedOn": finished,
                },
            },
        })
    } else {
        json!({
            "buildDefinition": {
                "buildType": LOCAL_BUILD_TYPE,
                "externalParameters": external,
                "internalParameters": { "tollgate": { "version": env!("CARGO_PKG_VERSION"), "dirty": facts.dirty } },
                "resolvedDependencies": [dependency],
            },
            "runDetails": {
                "builder": { "id": LOCAL_BUILDER_ID },
                "metadata": { "startedOn": started, "finishedOn": finished },
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_conventions() {
        let facts = SourceFacts {
            repository: None,
            commit: "a9cd7bf0bbfd5732800b8196ce893ae9915b1e87".into(),
            git_ref: None,
            dirty: false,
        };
        let env: Env = [
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_REPOSITORY", "loosebazooka/aa-test"),
            ("GITHUB_REF", "refs/heads/main"),
            (
                "GITHUB_WORKFLOW_REF",
                "loosebazooka/aa-test/.github/workflows/provenance.yaml@refs/heads/main",
            ),
            ("GITHUB_EVENT_NAME", "workflow_dispatch"),
            ("GITHUB_REPOSITORY_ID", "891715444"),
            ("GITHUB_REPOSITORY_OWNER_ID", "1304826"),
            ("RUNNER_ENVIRONMENT", "github-hosted"),
            ("GITHUB_RUN_ID", "14115120610"),
            ("GITHUB_RUN_ATTEMPT", "1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let p = predicate(
            &facts,
            &env,
            "2026-01-01T00:00:00Z",
            "2026-01-01T00:01:00Z",
            json!({}),
        );
        // The same shape as the GitHub-made statement in the sigstore-conformance data.
        assert_eq!(p["buildDefinition"]["buildType"], GITHUB_BUILD_TYPE);
        assert_eq!(
            p["buildDefinition"]["externalParameters"]["workflow"]["path"],
            ".github/workflows/provenance.yaml"
        );
        assert_eq!(
            p["buildDefinition"]["resolvedDependencies"][0]["uri"],
            "git+https://github.com/loosebazooka/aa-test@refs/heads/main"
        );
        assert_eq!(p["runDetails"]["builder"]["id"], "https://github.com/loosebazooka/aa-test/.github/workflows/provenance.yaml@refs/heads/main");
        assert_eq!(
            p["runDetails"]["metadata"]["invocationId"],
            "https://github.com/loosebazooka/aa-test/actions/runs/14115120610/attempts/1"
        );
    }

    #[test]
    fn remotes_are_normalised() {
        assert_eq!(
            normalise_remote("git@github.com:org/repo.git"),
            "https://github.com/org/repo"
        );
        assert_eq!(
            normalise_remote("https://github.com/org/repo.git"),
            "https://github.com/org/repo"
        );
    }
}
