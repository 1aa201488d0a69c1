"""The sandbox world: what seed_world creates, that it is idempotent and quick, and commit_file."""

from __future__ import annotations

import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from github import Github, GithubException
from ruamel.yaml import YAML

from slackbot.sandbox.gitrepo import GitError, GitRepo, commit_file
from slackbot.sandbox.world import (
    CORE_REPOSITORY,
    ApiError,
    World,
    merge_pull,
    open_pulls,
    seed_world,
)

COMPONENT_REPOSITORIES = {
    "jupyter_hub": "lsc-sde/iac-flux-jupyter",
    "ingress_nginx": "lsc-sde/iac-flux-nginx",
    "cert_manager": "lsc-sde/iac-flux-certmanager",
    "keycloak": "lsc-sde/iac-flux-keycloak",
    "guacamole": "lsc-sde/iac-flux-guacamole",
}
# environment -> component -> pinned branch, as world.py's docstring promises.
PINS = {
    "prod": {
        "jupyter_hub": "release/0.2.105",
        "ingress_nginx": "release/0.1.61",
        "cert_manager": "release/0.1.40",
        "keycloak": "release/0.1.70",
        "guacamole": "release/0.1.21-patched-20241010",
    },
    "stg": {
        "jupyter_hub": "release/0.2.105",
        "ingress_nginx": "release/0.1.61",
        "cert_manager": "release/0.1.41",
        "keycloak": "release/0.1.70",
        "guacamole": "release/0.1.21",
    },
    "dev": {
        "jupyter_hub": "release/0.2.106",
        "ingress_nginx": "release/0.1.62",
        "cert_manager": "release/0.1.41",
        "keycloak": "release/0.1.71",
        "guacamole": "release/0.1.22",
    },
    "sandbox": {
        "jupyter_hub": "main",
        "ingress_nginx": "main",
        "cert_manager": "main",
        "keycloak": "release/0.1.71",
        "guacamole": "main",
    },
    "uat": {
        "jupyter_hub": "release/0.2.69",
        "ingress_nginx": "release/0.1.55",
        "cert_manager": "release/0.1.38",
        "keycloak": "release/0.1.66",
    },
}
AHEAD_OF_MAIN = {
    ("lsc-sde/iac-flux-jupyter", "release/0.2.105"),
    ("lsc-sde/iac-flux-guacamole", "release/0.1.21-patched-20241010"),
}
SPLIT_FILES = [
    "core/flux-config.yaml",
    "core/helm-config.yaml",
    "core/image-config.yaml",
    "core/release-namespaces.yaml",
    "core/release.yaml",
]


def load_yaml(text: bytes | str) -> Any:
    return YAML(typ="rt").load(text)


def read(world: World, repository: str, branch: str, path: str) -> str:
    git = world.repo(repository)
    entry = git.tree_entry(branch, path)
    assert entry is not None, f"{repository}@{branch}:{path} is missing"
    return git.read_blob(entry.sha).decode()


def config(world: World) -> Any:
    return load_yaml(world.config_path.read_text())


def pinned_branches(world: World, environment: str) -> dict[str, str]:
    """component -> branch, read from the core repository the way the bot must read it."""
    cfg = config(world)
    branch = cfg["environments"][environment]["branch"]
    git = world.repo(CORE_REPOSITORY)
    if git.tree_entry(branch, "core/flux-config.yaml") is not None:
        components = load_yaml(read(world, CORE_REPOSITORY, branch, "core/flux-config.yaml"))["components"]
        return {
            name: str(c["repository"]["branch"])
            for name, c in components.items()
            if name in cfg["components"]
        }
    data = load_yaml(read(world, CORE_REPOSITORY, branch, "core/deployment-config.yaml"))["data"]
    pins = {}
    for name, component in cfg["components"].items():
        for short in [name, *component.get("aliases", [])]:
            if f"{short}_branch" in data:
                pins[name] = str(data[f"{short}_branch"])
    return pins


def all_shas(world: World) -> dict[str, dict[str, str]]:
    return {
        str(path.relative_to(world.repos_dir)): GitRepo(path).refs()
        for path in sorted(world.repos_dir.glob("*/*.git"))
    }


# -- seeding --------------------------------------------------------------------------------------


def test_seeding_is_quick_and_deterministic(tmp_path: Path, world_template: World) -> None:
    started = time.perf_counter()
    world = seed_world(tmp_path / "fresh")
    elapsed = time.perf_counter() - started
    assert elapsed < 3.0, f"seeding took {elapsed:.2f}s"
    assert world.core_repository == CORE_REPOSITORY
    # Fixed authors and dates: two seedings produce the same commits.
    assert all_shas(world) == all_shas(world_template)
    assert len(all_shas(world)) == 6


def test_seeding_again_reuses_what_is_there(tmp_path: Path) -> None:
    first = seed_world(tmp_path)
    moved = commit_file(first.repo_dir(CORE_REPOSITORY), "prod", "core/x.txt", "x\n", "Local change")
    first.config_path.write_text(first.config_path.read_text() + "# edited\n")
    again = seed_world(tmp_path)
    assert again == first
    assert again.repo(CORE_REPOSITORY).ref("refs/heads/prod") == moved
    assert again.config_path.read_text().endswith("# edited\n")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no leftovers


def test_core_repository_branches_and_layouts(world_template: World) -> None:
    git = world_template.repo(CORE_REPOSITORY)
    assert set(git.branches()) == {"main", "prod", "stg", "dev", "uat"}
    assert git.head_branch() == "main"
    for branch in ("prod", "stg", "dev", "main"):
        tree = git.tree_entry(branch, "core")
        assert tree is not None
        assert sorted(e.path for e in git.list_tree(tree.sha, "core")) == SPLIT_FILES
    uat = git.tree_entry("uat", "core")
    assert uat is not None
    assert [e.path for e in git.list_tree(uat.sha, "core")] == ["core/deployment-config.yaml"]
    legacy = load_yaml(read(world_template, CORE_REPOSITORY, "uat", "core/deployment-config.yaml"))
    assert legacy["kind"] == "ConfigMap"
    assert legacy["data"]["jupyter_chart_version"] == "3.2.1"


@pytest.mark.parametrize("environment", sorted(PINS))
def test_pins_per_environment(world_template: World, environment: str) -> None:
    assert pinned_branches(world_template, environment) == PINS[environment]


def test_every_pinned_branch_exists_in_its_component_repository(world_template: World) -> None:
    cfg = config(world_template)
    assert {name: c["repository"] for name, c in cfg["components"].items()} == COMPONENT_REPOSITORIES
    for environment in cfg["environments"]:
        for component, branch in pinned_branches(world_template, environment).items():
            repository = COMPONENT_REPOSITORIES[component]
            assert world_template.repo(repository).ref(f"refs/heads/{branch}") is not None, (
                f"{environment} pins {repository}@{branch}, which does not exist"
            )


def test_component_repositories_have_only_main_and_pinned_release_branches(world_template: World) -> None:
    pinned: dict[str, set[str]] = {repo: {"main"} for repo in COMPONENT_REPOSITORIES.values()}
    for environment in PINS:
        for component, branch in pinned_branches(world_template, environment).items():
            pinned[COMPONENT_REPOSITORIES[component]].add(branch)
    for repository, branches in pinned.items():
        git = world_template.repo(repository)
        assert set(git.branches()) == branches
        for branch in branches:
            assert len(git.log(branch, max_count=10)) >= 2, f"{repository}@{branch} has a single commit"


def test_which_release_branches_are_ahead_of_main(world_template: World) -> None:
    ahead = set()
    for repository in COMPONENT_REPOSITORIES.values():
        git = world_template.repo(repository)
        for branch in git.branches():
            if branch != "main" and git.count("main", branch) > 0:
                ahead.add((repository, branch))
                # The forgotten back-merge is a clean merge, so the demo's pull request can merge.
                assert git.merge_tree("main", branch) is not None
    assert ahead == AHEAD_OF_MAIN


def test_prod_files_are_realistically_messy(world_template: World) -> None:
    flux = read(world_template, CORE_REPOSITORY, "prod", "core/flux-config.yaml")
    helm = read(world_template, CORE_REPOSITORY, "prod", "core/helm-config.yaml")
    image = load_yaml(read(world_template, CORE_REPOSITORY, "prod", "core/image-config.yaml"))
    assert "  # superset:\n" in flux  # a commented-out component
    assert "branch: release/0.1.21-patched-20241010" in flux
    assert 'branch: "release/0.2.105"' in flux
    assert "branch: release/0.1.70" in flux  # quoted and unquoted side by side
    assert "    chart_version: 2.10  #" in helm  # unquoted: YAML reads the float 2.1
    assert str(load_yaml(helm)["components"]["keda"]["chart_version"]) != "2.10"
    assert set(load_yaml(flux)["components"]["ohdsi"]) == {"repository", "namespace_suffix", "enabled"}
    assert set(image["components"]["awms_guacamole"]) > {"image"}


def test_core_chart_releases_differ_per_environment(world_template: World) -> None:
    versions = {}
    for branch in ("prod", "stg", "dev", "main"):
        release = load_yaml(read(world_template, CORE_REPOSITORY, branch, "core/release.yaml"))
        namespaces = load_yaml(read(world_template, CORE_REPOSITORY, branch, "core/release-namespaces.yaml"))
        assert (release["apiVersion"], release["kind"]) == ("helm.toolkit.fluxcd.io/v2", "HelmRelease")
        assert (release["metadata"]["name"], namespaces["metadata"]["name"]) == (
            "lscsde-flux",
            "lscsde-namespaces",
        )
        versions[branch] = (
            str(release["spec"]["chart"]["spec"]["version"]),
            str(namespaces["spec"]["chart"]["spec"]["version"]),
        )
    assert versions == {
        "prod": ("0.1.97", "0.1.12"),
        "stg": ("0.1.98", "0.1.12"),
        "dev": ("0.1.99", "0.1.13"),
        "main": ("0.1.100", "0.1.13"),
    }


def test_config_names_environments_and_aliases(world_template: World) -> None:
    text = world_template.config_path.read_text()
    assert text.startswith("# slackbot.yml for the SANDBOX world")
    cfg = load_yaml(text)
    assert cfg["core"]["repository"] == CORE_REPOSITORY
    assert {k: v["branch"] for k, v in cfg["environments"].items()} == {
        "prod": "prod",
        "stg": "stg",
        "dev": "dev",
        "uat": "uat",
        "sandbox": "main",
    }
    assert list(cfg["environments"]["prod"]["aliases"]) == ["production", "prd"]
    assert cfg["components"]["cert_manager"]["flux_name"] == "cert-manager"


# -- commit_file ----------------------------------------------------------------------------------


def test_commit_file_moves_only_that_branch(sandbox_world: World) -> None:
    repo_dir = sandbox_world.repo_dir("lsc-sde/iac-flux-jupyter")
    git = GitRepo(repo_dir)
    before = git.branches()
    sha = commit_file(repo_dir, "release/0.2.105", "values/fix.yaml", "fix: true\n", "Fix INC-3\n\nDetails.")
    after = git.branches()
    assert after["release/0.2.105"] == sha
    assert {k: v for k, v in after.items() if k != "release/0.2.105"} == {
        k: v for k, v in before.items() if k != "release/0.2.105"
    }
    info = git.commit_info(sha)
    assert info is not None
    assert info.parents == (before["release/0.2.105"],)
    assert (info.author.name, info.author.email) == ("Demo Developer", "dev@example.test")
    assert info.message == "Fix INC-3\n\nDetails."
    assert (
        read(sandbox_world, "lsc-sde/iac-flux-jupyter", "release/0.2.105", "values/fix.yaml") == "fix: true\n"
    )
    assert "memory: 2Gi" in read(sandbox_world, "lsc-sde/iac-flux-jupyter", sha, "values/hub.yaml")  # kept
    # The same text again is no change: no empty commit.
    assert commit_file(repo_dir, "release/0.2.105", "values/fix.yaml", "fix: true\n", "Again") == sha


def test_commit_file_needs_an_existing_branch(sandbox_world: World) -> None:
    with pytest.raises(GitError, match="no branch"):
        commit_file(sandbox_world.repo_dir(CORE_REPOSITORY), "nope", "a.txt", "a\n", "A")


def test_git_ignores_the_users_configuration(
    sandbox_world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    # Settings that would break a commit made with the user's configuration.
    (home / ".gitconfig").write_text("[user]\n\tuseConfigOnly = true\n[commit]\n\tgpgSign = true\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "not-a-repository"))
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(name, raising=False)
    sha = commit_file(sandbox_world.repo_dir(CORE_REPOSITORY), "dev", "core/x.txt", "x\n", "X")
    assert sandbox_world.repo(CORE_REPOSITORY).ref("refs/heads/dev") == sha
    assert seed_world(tmp_path / "another").repo(CORE_REPOSITORY).branches()


# -- merge_pull and open_pulls: the demo's stand-ins for GitHub's pull request pages ---------------

JUPYTER = "lsc-sde/iac-flux-jupyter"


def open_hotfix_pull(world: World, client: Github) -> str:
    """hotfix/INC-1 (one commit on release/0.2.105) and its pull request #1; returns the head sha."""
    git = world.repo(JUPYTER)
    base = git.ref("refs/heads/release/0.2.105")
    assert base is not None
    assert git.create_ref("refs/heads/hotfix/INC-1", base)
    head = git.commit_file("hotfix/INC-1", "values/fix.yaml", "fix: true\n", "Fix it")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        repo = client.get_repo(JUPYTER, lazy=True)
    assert (
        repo.create_pull(title="Fix INC-1", body="", head="hotfix/INC-1", base="release/0.2.105").number == 1
    )
    return head


def test_merge_pull_merges_as_the_button_does(github_client: Github, sandbox_world: World) -> None:
    head = open_hotfix_pull(sandbox_world, github_client)
    git = sandbox_world.repo(JUPYTER)
    base = git.ref("refs/heads/release/0.2.105")
    assert open_pulls(sandbox_world.repos_dir, JUPYTER) == [
        {
            "number": 1,
            "title": "Fix INC-1",
            "head": "hotfix/INC-1",
            "base": "release/0.2.105",
            "state": "open",
            "merged": False,
            "merged_by": None,
            "merge_commit_sha": None,
            "mergeable": True,
        }
    ]

    sha = merge_pull(sandbox_world.repos_dir, JUPYTER, 1)
    assert git.ref("refs/heads/release/0.2.105") == sha
    info = git.commit_info(sha)
    assert info is not None
    assert info.parents == (base, head)
    assert info.message == "Merge pull request #1 from lsc-sde/hotfix/INC-1\n\nFix INC-1"
    assert (info.author.name, info.committer.name) == ("demo-reviewer", "GitHub")

    pr = github_client.get_repo(JUPYTER).get_pull(1)  # what the bot sees afterwards
    assert (pr.state, pr.merged, pr.merge_commit_sha, pr.merged_by.login) == (
        "closed",
        True,
        sha,
        "demo-reviewer",
    )
    assert open_pulls(sandbox_world.repos_dir, JUPYTER) == []
    (listed,) = open_pulls(sandbox_world.repos_dir, JUPYTER, include_closed=True)
    assert (listed["state"], listed["merged"], listed["merged_by"], listed["merge_commit_sha"]) == (
        "closed",
        True,
        "demo-reviewer",
        sha,
    )

    for number, status, message in [(1, 405, "Pull Request is not mergeable"), (7, 404, "Not Found")]:
        with pytest.raises(ApiError) as caught:
            merge_pull(sandbox_world.repos_dir, JUPYTER, number)
        assert (caught.value.status, caught.value.message) == (status, message)
    with pytest.raises(ApiError) as missing:
        open_pulls(sandbox_world.repos_dir, "lsc-sde/nope")
    assert missing.value.status == 404


def test_merge_pull_refuses_a_conflict(github_client: Github, sandbox_world: World) -> None:
    open_hotfix_pull(sandbox_world, github_client)
    repo_dir = sandbox_world.repo_dir(JUPYTER)
    before = commit_file(repo_dir, "release/0.2.105", "values/fix.yaml", "fix: false\n", "Conflicting")
    assert open_pulls(sandbox_world.repos_dir, JUPYTER)[0]["mergeable"] is False
    with pytest.raises(ApiError) as caught:
        merge_pull(sandbox_world.repos_dir, JUPYTER, 1)
    assert (caught.value.status, caught.value.message) == (405, "Pull Request is not mergeable")
    assert GitRepo(repo_dir).ref("refs/heads/release/0.2.105") == before


def test_merge_pull_and_the_api_racing_merge_once(github_client: Github, sandbox_world: World) -> None:
    open_hotfix_pull(sandbox_world, github_client)
    pr = github_client.get_repo(JUPYTER).get_pull(1)

    def by_console(_: int) -> str:
        try:
            return merge_pull(sandbox_world.repos_dir, JUPYTER, 1)
        except ApiError as error:
            return str(error.status)

    def by_api(_: int) -> str:
        try:
            return pr.merge().sha
        except GithubException as error:
            return str(error.status)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = [pool.submit(merge, i) for i in range(2) for merge in (by_console, by_api)]
        outcomes = [f.result() for f in results]
    (merged,) = [o for o in outcomes if o != "405"]  # one merge; three "Pull Request is not mergeable"
    assert sandbox_world.repo(JUPYTER).ref("refs/heads/release/0.2.105") == merged
