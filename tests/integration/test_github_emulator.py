"""The GitHub emulator driven by PyGithub, exactly as the bot's adapter drives github.com."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import requests
from github import (
    BadCredentialsException,
    Github,
    GithubException,
    GithubRetry,
    InputGitAuthor,
    RateLimitExceededException,
    UnknownObjectException,
)
from github.Commit import Commit
from github.ContentFile import ContentFile
from github.PullRequest import PullRequest
from github.Repository import Repository

from slackbot.sandbox.github_emulator import GitHubEmulator
from slackbot.sandbox.gitrepo import GitRepo, Identity, commit_file
from slackbot.sandbox.world import World

ClientFactory = Callable[..., Github]  # the github_factory fixture (conftest.py)
EMULATOR_TOKEN = "test-token"  # the github_emulator fixture's token
CORE = "lsc-sde/iac-flux-lscsde"
JUPYTER = "lsc-sde/iac-flux-jupyter"
AUTH = {"Authorization": f"token {EMULATOR_TOKEN}"}


def repo_of(client: Github, name: str) -> Repository:
    """The repository without a request, as the adapter gets it."""
    with warnings.catch_warnings():
        # PyGithub 2.10 deprecates get_repo(lazy=...) in favour of Github(lazy=True); same requests.
        warnings.simplefilter("ignore", DeprecationWarning)
        return client.get_repo(name, lazy=True)


def settled(repo: Repository, number: int) -> PullRequest:
    """The pull request once GitHub has computed whether it merges: the first read after it was
    opened, or after its head or base moved, still says null."""
    assert repo.get_pull(number).mergeable is None
    return repo.get_pull(number)


def hotfix_branch(world: World, name: str = "hotfix/INC-1", base: str = "release/0.2.105") -> str:
    """A hotfix branch cut from ``base`` with one commit on it; returns its tip."""
    git = world.repo(JUPYTER)
    base_sha = git.ref(f"refs/heads/{base}")
    assert base_sha is not None
    assert git.create_ref(f"refs/heads/{name}", base_sha)
    return git.commit_file(name, "values/fix.yaml", "fix: true\n", "Fix it")


# -- reading --------------------------------------------------------------------------------------


def test_repository_answers_with_default_branch_and_html_url(
    github_client: Github, github_emulator: GitHubEmulator
) -> None:
    repo = github_client.get_repo(CORE)
    assert repo.full_name == CORE
    assert repo.default_branch == "main"
    assert repo.html_url == f"{github_emulator.base_url}/{CORE}"


def test_git_ref_uses_plural_url_and_update_is_conditional(
    github_client: Github, github_emulator: GitHubEmulator, sandbox_world: World
) -> None:
    ref = repo_of(github_client, CORE).get_git_ref("heads/prod")
    assert ref.object.sha == sandbox_world.repo(CORE).ref("refs/heads/prod")
    assert ref.url.endswith(f"/repos/{CORE}/git/refs/heads/prod")

    github_emulator.clear_log()
    assert ref.update() is False
    (record,) = github_emulator.requests
    assert (record.status, record.conditional) == (304, True)
    assert github_emulator.rate_limited_count() == 0

    new_sha = sandbox_world.repo(CORE).commit_file("prod", "core/notes.txt", "hello\n", "Add notes")
    assert ref.update() is True
    assert ref.object.sha == new_sha
    assert github_emulator.rate_limited_count() == 1


def test_contents_url_keeps_the_ref_so_update_rereads_the_same_branch(
    github_client: Github, github_emulator: GitHubEmulator, sandbox_world: World
) -> None:
    git = sandbox_world.repo(JUPYTER)
    content = repo_of(github_client, JUPYTER).get_contents("values/hub.yaml", ref="release/0.2.105")
    assert not isinstance(content, list)
    assert content.url.endswith("/contents/values/hub.yaml?ref=release/0.2.105")
    assert content.type == "file"
    assert content.encoding == "base64"
    assert "memory: 2Gi" in content.decoded_content.decode()  # the hotfix only that branch has
    entry = git.tree_entry("release/0.2.105", "values/hub.yaml")
    assert entry is not None
    assert content.sha == entry.sha

    github_emulator.clear_log()
    assert content.update() is False
    assert [(r.status, r.query) for r in github_emulator.requests] == [(304, "ref=release/0.2.105")]

    git.commit_file("main", "values/hub.yaml", "hub: {}\n", "Change main only")
    assert content.update() is False  # main moved; the release branch did not
    git.commit_file("release/0.2.105", "values/hub.yaml", "hub: {changed: true}\n", "Change the release")
    assert content.update() is True
    assert content.decoded_content == b"hub: {changed: true}\n"


def test_contents_of_a_directory_lists_its_entries(github_client: Github) -> None:
    listing = repo_of(github_client, CORE).get_contents("core", ref="prod")
    assert isinstance(listing, list)
    assert sorted(c.name for c in listing) == [
        "flux-config.yaml",
        "helm-config.yaml",
        "image-config.yaml",
        "release-namespaces.yaml",
        "release.yaml",
    ]
    assert {c.type for c in listing} == {"file"}
    legacy = repo_of(github_client, CORE).get_contents("core", ref="uat")
    assert isinstance(legacy, list)
    assert [c.path for c in legacy] == ["core/deployment-config.yaml"]


def test_branch_names_with_slashes(github_client: Github, sandbox_world: World) -> None:
    branch = repo_of(github_client, JUPYTER).get_branch("release/0.2.105")
    assert branch.name == "release/0.2.105"
    assert branch.commit.sha == sandbox_world.repo(JUPYTER).ref("refs/heads/release/0.2.105")
    assert branch.commit.commit.message == "Raise the hub's memory limit to 2Gi (INC-2291)"
    assert branch.protected is True
    assert repo_of(github_client, JUPYTER).get_branch("main").protected is True


def test_commit_by_branch_name_and_commit_list(
    github_client: Github, github_factory: ClientFactory, sandbox_world: World
) -> None:
    repo = repo_of(github_client, JUPYTER)
    commit = repo.get_commit("release/0.2.69")
    tip = sandbox_world.repo(JUPYTER).ref("refs/heads/release/0.2.69")
    assert commit.commit.sha == tip  # `commit.sha` of a lazy Commit is the name it was asked by
    assert commit.commit.author.name == "Aisha Okafor"
    assert [f.filename for f in commit.files] == ["values/auth.yaml"]
    assert commit.html_url.endswith(f"/{JUPYTER}/commit/{tip}")

    expected = [c.sha for c in sandbox_world.repo(JUPYTER).log("main", max_count=100)]
    paged = repo_of(github_factory(per_page=3), JUPYTER)
    assert [c.sha for c in paged.get_commits(sha="main")] == expected
    assert len(expected) > 3  # so that pagination really happened


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda gh: gh.get_repo("lsc-sde/no-such-repo").full_name, "Not Found"),
        (lambda gh: repo_of(gh, JUPYTER).get_branch("release/9.9.9"), "Branch not found"),
        (lambda gh: repo_of(gh, CORE).get_contents("core/nope.yaml", ref="prod"), "Not Found"),
        (lambda gh: repo_of(gh, CORE).get_contents("core/flux-config.yaml", ref="nope"), "No commit found"),
        (lambda gh: repo_of(gh, CORE).get_git_ref("heads/nope").object, "Not Found"),
        (lambda gh: repo_of(gh, CORE).get_pull(42).title, "Not Found"),
    ],
    ids=["repo", "branch", "file", "ref-of-contents", "git-ref", "pull"],
)
def test_missing_things_are_404(
    github_client: Github, call: Callable[[Github], object], message: str
) -> None:
    with pytest.raises(GithubException) as caught:
        call(github_client)
    assert caught.value.status == 404
    # PyGithub picks UnknownObjectException by the message, as it does for github.com's answers.
    assert isinstance(caught.value, UnknownObjectException) == ("not found" in message.lower())
    assert caught.value.data["message"].startswith(message)
    assert caught.value.data["documentation_url"] == "https://docs.github.com/rest"


def test_refs_prefix_returns_an_array_and_matching_refs(
    github_client: Github, github_emulator: GitHubEmulator
) -> None:
    url = f"{github_emulator.base_url}/repos/{JUPYTER}/git/refs/heads/release/0.2.10"
    answer = requests.get(url, headers=AUTH, timeout=5)
    assert answer.status_code == 200
    assert [r["ref"] for r in answer.json()] == ["refs/heads/release/0.2.105", "refs/heads/release/0.2.106"]

    matching = repo_of(github_client, JUPYTER).get_git_matching_refs("heads/release/")
    assert [r.ref for r in matching] == [
        "refs/heads/release/0.2.105",
        "refs/heads/release/0.2.106",
        "refs/heads/release/0.2.69",
    ]
    assert list(repo_of(github_client, JUPYTER).get_git_matching_refs("heads/nothing")) == []


def test_blob(github_client: Github) -> None:
    content = repo_of(github_client, CORE).get_contents("core/flux-config.yaml", ref="prod")
    assert not isinstance(content, list)
    blob = repo_of(github_client, CORE).get_git_blob(content.sha)
    assert blob.size == len(content.decoded_content)
    assert blob.encoding == "base64"


def test_etags_are_tied_to_the_token(sandbox_world: World) -> None:
    with GitHubEmulator(sandbox_world.repos_dir) as open_emulator:  # accepts any token
        url = f"{open_emulator.base_url}/repos/{CORE}/branches/prod"
        first = requests.get(url, headers={"Authorization": "token one"}, timeout=5)
        etag = first.headers["ETag"]
        same = requests.get(url, headers={"Authorization": "token one", "If-None-Match": etag}, timeout=5)
        other = requests.get(url, headers={"Authorization": "token two", "If-None-Match": etag}, timeout=5)
    assert (first.status_code, same.status_code, same.content) == (200, 304, b"")
    assert other.status_code == 200


# -- compare --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "head", "expected"),
    [
        ("release/0.2.106", "main", ("ahead", 1, 0)),
        ("main", "release/0.2.106", ("behind", 0, 1)),
        ("main", "release/0.2.105", ("diverged", 1, 2)),
        ("release/0.2.69", "release/0.2.69", ("identical", 0, 0)),
    ],
)
def test_compare(github_client: Github, base: str, head: str, expected: tuple[str, int, int]) -> None:
    comparison = repo_of(github_client, JUPYTER).compare(base, head)
    assert (comparison.status, comparison.ahead_by, comparison.behind_by) == expected
    assert comparison.total_commits == expected[1]
    assert len(list(comparison.commits)) == expected[1]
    assert comparison.html_url.endswith(f"/compare/{base}...{head}")


def test_compare_names_the_forgotten_hotfix(github_client: Github) -> None:
    comparison = repo_of(github_client, JUPYTER).compare("main", "release/0.2.105")
    assert [c.commit.message for c in comparison.commits] == [
        "Raise the hub's memory limit to 2Gi (INC-2291)"
    ]
    assert [f.filename for f in comparison.files] == ["values/hub.yaml"]
    assert comparison.merge_base_commit.commit.message == "Use premium storage for user volumes"


# -- writing: refs --------------------------------------------------------------------------------


def test_create_git_ref_and_its_errors(github_client: Github, sandbox_world: World) -> None:
    repo = repo_of(github_client, JUPYTER)
    sha = repo.get_git_ref("heads/release/0.2.105").object.sha
    created = repo.create_git_ref("refs/heads/hotfix/INC-7", sha)
    assert created.ref == "refs/heads/hotfix/INC-7"
    assert sandbox_world.repo(JUPYTER).ref("refs/heads/hotfix/INC-7") == sha

    for ref, bad_sha, message in [
        ("refs/heads/hotfix/INC-7", sha, "Reference already exists"),
        ("refs/heads/hotfix/INC-8", "0" * 40, "Object does not exist"),
        ("refs/heads/bad..name", sha, "refs/heads/bad..name is not a valid ref name."),
    ]:
        with pytest.raises(GithubException) as caught:
            repo.create_git_ref(ref, bad_sha)
        assert (caught.value.status, caught.value.data["message"]) == (422, message)
    assert sandbox_world.repo(JUPYTER).ref("refs/heads/hotfix/INC-8") is None


@pytest.mark.parametrize(
    ("existing", "wanted"),
    [("hotfix", "hotfix/124"), ("hotfix/124", "hotfix")],
    ids=["folder-named-like-a-branch", "branch-named-like-a-folder"],
)
def test_a_branch_and_a_folder_of_branches_of_one_name_cannot_both_exist(
    github_client: Github, sandbox_world: World, existing: str, wanted: str
) -> None:
    git = sandbox_world.repo(JUPYTER)
    sha = git.ref("refs/heads/release/0.2.105")
    assert sha is not None
    assert git.create_ref(f"refs/heads/{existing}", sha)
    before = git.refs()

    with pytest.raises(GithubException) as caught:
        repo_of(github_client, JUPYTER).create_git_ref(f"refs/heads/{wanted}", sha)

    # github.com's words for a ref git refuses to write, whatever the reason.
    assert (caught.value.status, caught.value.data["message"]) == (422, "Reference update failed")
    assert git.refs() == before


def test_ref_updates_fast_forward_only_and_never_move_protected_branches(
    github_client: Github, github_emulator: GitHubEmulator, sandbox_world: World
) -> None:
    git = sandbox_world.repo(JUPYTER)
    tip = hotfix_branch(sandbox_world)  # hotfix/INC-1: release/0.2.105 plus one commit
    release = git.ref("refs/heads/release/0.2.105")
    main = git.ref("refs/heads/main")
    assert release is not None
    assert main is not None
    repo = repo_of(github_client, JUPYTER)
    github_emulator.clear_log()

    branch = repo.create_git_ref("refs/heads/hotfix/INC-2", release)
    branch.edit(tip)  # a fast-forward
    assert (branch.object.sha, git.ref("refs/heads/hotfix/INC-2")) == (tip, tip)
    with pytest.raises(GithubException) as rewind:
        branch.edit(release)
    assert (rewind.value.status, rewind.value.data["message"]) == (422, "Update is not a fast forward")
    branch.edit(release, force=True)  # allowed on an unprotected branch
    assert git.ref("refs/heads/hotfix/INC-2") == release

    # Loaded first: PyGithub's get_git_ref() is lazy, and an unloaded GitRef's edit() would PATCH
    # the singular /git/ref/... path, which GitHub does not document for updates (404 here).
    protected = repo.get_git_ref("heads/release/0.2.105")
    gone = repo.get_git_ref("heads/hotfix/INC-2")
    assert (protected.object.sha, gone.object.sha) == (release, release)
    git.run("update-ref", "-d", "refs/heads/hotfix/INC-2")  # deleted by someone meanwhile
    refusals: list[tuple[Callable[[], object], str]] = [
        (lambda: protected.edit(tip), "Changes must be made through a pull request."),
        (
            lambda: protected.edit(main, force=True),
            "Changes must be made through a pull request. Cannot force-push to this branch",
        ),
        (lambda: repo.create_git_ref("refs/heads/release/0.2.105", tip), "Reference already exists"),
        (lambda: gone.edit(tip), "Reference does not exist"),
    ]
    for call, message in refusals:
        with pytest.raises(GithubException) as caught:
            call()
        assert (caught.value.status, caught.value.data["message"]) == (422, message)
    assert git.ref("refs/heads/release/0.2.105") == release

    # Every write is in the log, refused or not, so a test can prove what a client never sent.
    writes = [(r.method, r.path.rsplit("/git/", 1)[1], r.status) for r in github_emulator.requests]
    assert [w for w in writes if w[0] != "GET"] == [
        ("POST", "refs", 201),
        ("PATCH", "refs/heads/hotfix/INC-2", 200),
        ("PATCH", "refs/heads/hotfix/INC-2", 422),
        ("PATCH", "refs/heads/hotfix/INC-2", 200),
        ("PATCH", "refs/heads/release/0.2.105", 422),
        ("PATCH", "refs/heads/release/0.2.105", 422),
        ("POST", "refs", 422),
        ("PATCH", "refs/heads/hotfix/INC-2", 422),
    ]


# -- writing: file contents -----------------------------------------------------------------------


def test_create_then_update_a_file_on_a_branch(
    github_client: Github, github_emulator: GitHubEmulator, sandbox_world: World
) -> None:
    git = sandbox_world.repo(JUPYTER)
    base = git.ref("refs/heads/release/0.2.105")
    assert base is not None
    assert git.create_ref("refs/heads/hotfix/INC-5", base)
    repo = repo_of(github_client, JUPYTER)
    github_emulator.clear_log()

    created = repo.create_file("values/new.yaml", "Add new values", "new: 1\n", branch="hotfix/INC-5")
    content, commit = created["content"], created["commit"]
    assert isinstance(content, ContentFile)
    assert isinstance(commit, Commit)
    assert git.ref("refs/heads/hotfix/INC-5") == commit.sha
    entry = git.tree_entry(commit.sha, "values/new.yaml")
    assert entry is not None
    assert (content.path, content.sha, content.size, content.type) == (
        "values/new.yaml",
        entry.sha,
        7,
        "file",
    )
    assert commit.html_url.endswith(f"/{JUPYTER}/commit/{commit.sha}")
    info = git.commit_info(commit.sha)
    assert info is not None
    assert (info.parents, info.message, info.author.name) == ((base,), "Add new values", "sandbox-bot")

    developer = InputGitAuthor("Dev Eloper", "dev@example.test")
    updated = repo.update_file(
        "values/new.yaml", "Raise it", "new: 2\n", content.sha, branch="hotfix/INC-5", committer=developer
    )
    second = git.commit_info(updated["commit"].sha)
    assert second is not None
    assert second.parents == (commit.sha,)
    assert (second.author.email, second.committer.email) == ("dev@example.test", "dev@example.test")
    assert updated["content"].sha != content.sha
    reread = repo.get_contents("values/new.yaml", ref="hotfix/INC-5")
    assert not isinstance(reread, list)
    assert reread.decoded_content == b"new: 2\n"
    assert [(r.method, r.status) for r in github_emulator.requests if r.method == "PUT"] == [
        ("PUT", 201),
        ("PUT", 200),
    ]


def test_file_writes_are_refused_as_github_refuses_them(github_client: Github, sandbox_world: World) -> None:
    git = sandbox_world.repo(JUPYTER)
    hotfix_branch(sandbox_world)  # adds values/fix.yaml on hotfix/INC-1
    entry = git.tree_entry("hotfix/INC-1", "values/fix.yaml")
    hub = git.tree_entry("release/0.2.105", "values/hub.yaml")
    assert entry is not None
    assert hub is not None
    stale = "0" * 40
    repo = repo_of(github_client, JUPYTER)
    before = git.refs()

    cases: list[tuple[Callable[[], object], int, str]] = [
        (
            lambda: repo.update_file("values/fix.yaml", "x", "y", stale, branch="hotfix/INC-1"),
            409,
            f"values/fix.yaml does not match {stale}",
        ),
        (
            lambda: repo.create_file("values/fix.yaml", "x", "y", branch="hotfix/INC-1"),
            422,
            'Invalid request.\n\n"sha" wasn\'t supplied.',
        ),
        (
            lambda: repo.create_file("values/other.yaml", "x", "y", branch="hotfix/nope"),
            404,
            "Branch hotfix/nope not found",
        ),
        (
            lambda: repo.update_file("values/hub.yaml", "x", "y", hub.sha, branch="release/0.2.105"),
            409,
            "Changes must be made through a pull request.",
        ),
        (
            lambda: repo.create_file("values/other.yaml", "x", "y", branch="main"),
            409,
            "Changes must be made through a pull request.",
        ),
        (
            lambda: repo.create_file("values/other.yaml", "x", "y"),  # the default branch, main
            409,
            "Changes must be made through a pull request.",
        ),
    ]
    for call, status, message in cases:
        with pytest.raises(GithubException) as caught:
            call()
        assert (caught.value.status, caught.value.data["message"]) == (status, message)
        assert isinstance(caught.value, UnknownObjectException) == (status == 404)
    core = repo_of(github_client, CORE)
    prod = core.get_contents("core/helm-config.yaml", ref="prod")
    assert not isinstance(prod, list)
    with pytest.raises(GithubException) as environment:
        core.update_file(prod.path, "Pin", "x: 1\n", prod.sha, branch="prod")
    assert (environment.value.status, environment.value.data["message"]) == (
        409,
        "Changes must be made through a pull request.",
    )
    assert git.refs() == before


# -- writing: pull requests -----------------------------------------------------------------------


def test_trees_users_and_pull_request_details(github_client: Github, sandbox_world: World) -> None:
    head = hotfix_branch(sandbox_world)
    repo = repo_of(github_client, JUPYTER)
    tree = repo.get_git_tree("release/0.2.105", recursive=True)
    assert {"values", "values/hub.yaml", "kustomization.yaml"} <= {e.path for e in tree.tree}
    pr = repo.create_pull(title="x", body="", head="hotfix/INC-1", base="release/0.2.105")
    assert [c.sha for c in pr.get_commits()] == [head]
    assert [(f.filename, f.status, f.additions) for f in pr.get_files()] == [("values/fix.yaml", "added", 1)]
    assert [p.number for p in repo.get_commit(head).get_pulls()] == [pr.number]
    assert github_client.get_user("lsc-sde").type == "Organization"
    assert github_client.get_user().login == "sandbox-bot"


def test_pull_request_with_nothing_to_merge_is_refused(github_client: Github, sandbox_world: World) -> None:
    git = sandbox_world.repo(JUPYTER)
    sha = git.ref("refs/heads/release/0.2.105")
    assert sha is not None
    git.create_ref("refs/heads/hotfix/empty", sha)
    with pytest.raises(GithubException) as caught:
        repo_of(github_client, JUPYTER).create_pull(
            title="x", body="", head="hotfix/empty", base="release/0.2.105"
        )
    assert caught.value.status == 422
    assert caught.value.data["errors"] == [
        {
            "resource": "PullRequest",
            "code": "custom",
            "message": "No commits between release/0.2.105 and hotfix/empty",
        }
    ]


def test_pull_request_for_a_missing_branch_is_refused(github_client: Github) -> None:
    with pytest.raises(GithubException) as caught:
        repo_of(github_client, JUPYTER).create_pull(title="x", body="", head="hotfix/nope", base="main")
    assert caught.value.status == 422
    assert caught.value.data["errors"] == [{"resource": "PullRequest", "field": "head", "code": "invalid"}]


def test_pull_request_lifecycle_ends_in_a_real_merge_commit(
    github_client: Github, github_emulator: GitHubEmulator, sandbox_world: World
) -> None:
    head_sha = hotfix_branch(sandbox_world)
    repo = repo_of(github_client, JUPYTER)
    base_before = repo.get_git_ref("heads/release/0.2.105").object.sha

    pr = repo.create_pull(title="Fix INC-1", body="Details", head="hotfix/INC-1", base="release/0.2.105")
    assert (pr.number, pr.state, pr.merged, pr.mergeable, pr.mergeable_state) == (
        1,
        "open",
        False,
        None,  # being computed
        "unknown",
    )
    computed = settled(repo, 1)
    assert (computed.mergeable, computed.mergeable_state) == (True, "clean")
    assert (pr.head.ref, pr.head.sha, pr.base.ref, pr.base.sha) == (
        "hotfix/INC-1",
        head_sha,
        "release/0.2.105",
        base_before,
    )
    assert pr.html_url == f"{github_emulator.base_url}/{JUPYTER}/pull/1"
    assert (pr.commits, pr.changed_files) == (1, 1)

    with pytest.raises(GithubException) as caught:
        repo.create_pull(title="Again", body="", head="lsc-sde:hotfix/INC-1", base="release/0.2.105")
    assert (
        caught.value.data["errors"][0]["message"] == "A pull request already exists for lsc-sde:hotfix/INC-1."
    )

    assert [p.number for p in repo.get_pulls(state="open", head="lsc-sde:hotfix/INC-1")] == [1]
    assert [p.number for p in repo.get_pulls(state="open", head="lsc-sde:hotfix/other")] == []
    assert [p.number for p in repo.get_pulls(state="open", head="hotfix/other")] == [
        1
    ]  # ignored, as on GitHub
    assert [p.number for p in repo.get_pulls(state="open", base="main")] == []
    assert [p.number for p in repo.get_pulls(state="closed")] == []

    pr.edit(title="Fix INC-1 properly")
    result = pr.merge(merge_method="merge", sha=head_sha)
    assert (result.merged, result.message) == (True, "Pull Request successfully merged")

    merge = sandbox_world.repo(JUPYTER).commit_info(result.sha)
    assert merge is not None
    assert merge.parents == (base_before, head_sha)
    assert merge.message == "Merge pull request #1 from lsc-sde/hotfix/INC-1\n\nFix INC-1 properly"
    assert repo.get_git_ref("heads/release/0.2.105").object.sha == result.sha
    assert repo.compare("release/0.2.105", "hotfix/INC-1").status == "behind"
    assert sandbox_world.repo(JUPYTER).ref("refs/pull/1/head") == head_sha

    merged = repo.get_pull(1)
    assert (merged.state, merged.merged, merged.merge_commit_sha) == ("closed", True, result.sha)
    assert merged.merged_at is not None
    assert merged.is_merged() is True
    assert [p.number for p in repo.get_pulls(state="closed")] == [1]
    assert [p.number for p in repo.get_pulls(state="all")] == [1]
    with pytest.raises(GithubException) as again:
        merged.merge()
    assert (again.value.status, again.value.data["message"]) == (405, "Pull Request is not mergeable")


def test_squash_merge_has_one_parent(github_client: Github, sandbox_world: World) -> None:
    hotfix_branch(sandbox_world)
    repo = repo_of(github_client, JUPYTER)
    pr = repo.create_pull(title="Fix", body="", head="hotfix/INC-1", base="release/0.2.105")
    base_before = pr.base.sha
    result = pr.merge(merge_method="squash")
    info = sandbox_world.repo(JUPYTER).commit_info(result.sha)
    assert info is not None
    assert info.parents == (base_before,)
    assert info.message.startswith("Fix (#1)")


def test_conflicting_pull_request_is_not_mergeable(github_client: Github, sandbox_world: World) -> None:
    git = sandbox_world.repo(JUPYTER)
    hotfix_branch(sandbox_world)
    git.commit_file("release/0.2.105", "values/fix.yaml", "fix: false\n", "Conflicting change")
    repo = repo_of(github_client, JUPYTER)
    pr = settled(
        repo, repo.create_pull(title="x", body="", head="hotfix/INC-1", base="release/0.2.105").number
    )
    assert (pr.mergeable, pr.mergeable_state) == (False, "dirty")
    before = git.ref("refs/heads/release/0.2.105")
    with pytest.raises(GithubException) as caught:
        pr.merge()
    assert (caught.value.status, caught.value.data["message"]) == (405, "Pull Request is not mergeable")
    assert git.ref("refs/heads/release/0.2.105") == before


def test_merge_with_a_stale_head_sha_is_refused(github_client: Github, sandbox_world: World) -> None:
    old_head = hotfix_branch(sandbox_world)
    pr = repo_of(github_client, JUPYTER).create_pull(
        title="x", body="", head="hotfix/INC-1", base="release/0.2.105"
    )
    sandbox_world.repo(JUPYTER).commit_file("hotfix/INC-1", "values/fix.yaml", "fix: 2\n", "More")
    with pytest.raises(GithubException) as caught:
        pr.merge(sha=old_head)
    assert caught.value.status == 409
    assert caught.value.data["message"] == "Head branch was modified. Review and try the merge again."


def test_conflicts_that_arise_after_opening_block_the_merge_until_resolved(
    github_client: Github, sandbox_world: World
) -> None:
    repo_dir = sandbox_world.repo_dir(JUPYTER)
    git = GitRepo(repo_dir)
    hotfix_branch(sandbox_world)
    repo = repo_of(github_client, JUPYTER)
    pr = repo.create_pull(title="x", body="", head="hotfix/INC-1", base="release/0.2.105")
    computed = settled(repo, pr.number)
    assert (computed.mergeable, computed.mergeable_state) == (True, "clean")

    # Both branches change the same line after the pull request was opened.
    commit_file(repo_dir, "hotfix/INC-1", "values/hub.yaml", "hub: {memory: 3Gi}\n", "Hotfix side")
    moved = commit_file(repo_dir, "release/0.2.105", "values/hub.yaml", "hub: {memory: 4Gi}\n", "Base side")
    again = settled(repo, pr.number)  # recomputed after the branches moved, against the base as it is now
    assert (again.mergeable, again.mergeable_state, again.base.sha) == (False, "dirty", moved)
    assert pr.update() is True  # the conditional GET sees the change too
    assert pr.mergeable is False
    with pytest.raises(GithubException) as caught:
        again.merge()
    assert (caught.value.status, caught.value.data["message"]) == (405, "Pull Request is not mergeable")
    assert git.ref("refs/heads/release/0.2.105") == moved

    commit_file(repo_dir, "hotfix/INC-1", "values/hub.yaml", "hub: {memory: 4Gi}\n", "Take the base's value")
    resolved = settled(repo, pr.number)
    assert (resolved.mergeable, resolved.mergeable_state) == (True, "clean")
    assert resolved.merge().merged is True


def test_pull_request_list_filters_and_closed_or_merged_details(
    github_client: Github, sandbox_world: World
) -> None:
    head_sha = hotfix_branch(sandbox_world)
    repo = repo_of(github_client, JUPYTER)
    hotfix = repo.create_pull(title="Fix", body="", head="hotfix/INC-1", base="release/0.2.105")
    backmerge = repo.create_pull(title="Back", body="", head="release/0.2.105", base="main")
    backmerge.edit(state="closed")
    result = hotfix.merge(sha=head_sha)

    def numbers(**filters: str) -> list[int]:
        return [p.number for p in repo.get_pulls(**filters)]

    assert numbers(state="all", head="lsc-sde:hotfix/INC-1", base="release/0.2.105") == [1]
    assert numbers(state="all", head="lsc-sde:hotfix/INC-1", base="main") == []
    assert numbers(state="closed", head="lsc-sde:release/0.2.105", base="main") == [2]
    assert numbers(state="closed") == [2, 1]  # newest first, as on GitHub
    assert numbers(state="closed", direction="asc") == [1, 2]
    assert numbers(state="all", base="main") == [2]
    assert numbers() == []  # state=open by default

    merged = repo.get_pull(1)
    assert (merged.state, merged.merged, merged.merge_commit_sha) == ("closed", True, result.sha)
    assert merged.merged_by.login == "sandbox-bot"
    assert merged.closed_at == merged.merged_at
    closed = repo.get_pull(2)
    assert (closed.state, closed.merged) == ("closed", False)
    assert closed.merged_at is None
    assert closed.merged_by is None
    assert closed.merge_commit_sha is None
    assert closed.mergeable is None
    assert closed.closed_at is not None
    assert closed.is_merged() is False


def test_close_and_reopen(github_client: Github, sandbox_world: World) -> None:
    hotfix_branch(sandbox_world)
    repo = repo_of(github_client, JUPYTER)
    pr = repo.create_pull(title="x", body="", head="hotfix/INC-1", base="release/0.2.105")
    pr.edit(state="closed")
    assert (repo.get_pull(pr.number).state, repo.get_pull(pr.number).merged) == ("closed", False)
    # A closed pull request no longer blocks a new one for the same branches.
    second = repo.create_pull(title="y", body="", head="hotfix/INC-1", base="release/0.2.105")
    assert second.number == 2
    second.edit(state="closed")
    pr.edit(state="open")
    assert repo.get_pull(pr.number).state == "open"


def test_concurrent_duplicate_creates_make_one_pull_request(
    github_factory: ClientFactory, sandbox_world: World
) -> None:
    hotfix_branch(sandbox_world)

    def create(_: int) -> int:
        client = github_factory()
        try:
            repo_of(client, JUPYTER).create_pull(
                title="x", body="", head="hotfix/INC-1", base="release/0.2.105"
            )
        except GithubException as error:
            return error.status
        return 201

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = sorted(pool.map(create, range(6)))
    assert statuses == [201, 422, 422, 422, 422, 422]


def test_pull_requests_survive_a_restart(sandbox_world: World, github_factory: ClientFactory) -> None:
    hotfix_branch(sandbox_world)
    repo_of(github_factory(), JUPYTER).create_pull(
        title="x", body="", head="hotfix/INC-1", base="release/0.2.105"
    )
    with GitHubEmulator(sandbox_world.repos_dir) as fresh:
        client = Github(base_url=fresh.base_url, seconds_between_requests=0)
        try:
            assert repo_of(client, JUPYTER).get_pull(1).title == "x"
        finally:
            client.close()


# -- writing: statuses ----------------------------------------------------------------------------


def test_commit_statuses_and_combined_status(github_client: Github, sandbox_world: World) -> None:
    repo = repo_of(github_client, JUPYTER)
    sha = sandbox_world.repo(JUPYTER).ref("refs/heads/release/0.2.105")
    assert sha is not None
    commit = repo.get_commit(sha)
    assert commit.get_combined_status().state == "pending"  # nothing reported yet

    commit.create_status("failure", context="kustomization/jupyter/prod", description="Build failed")
    commit.create_status("success", context="kustomization/jupyter/prod", description="Applied")
    commit.create_status("success", context="kustomization/jupyter/stg", target_url="http://example.test")

    listed = list(repo.get_commit("release/0.2.105").get_statuses())
    assert [(s.state, s.context) for s in listed] == [
        ("success", "kustomization/jupyter/stg"),
        ("success", "kustomization/jupyter/prod"),
        ("failure", "kustomization/jupyter/prod"),
    ]
    combined = commit.get_combined_status()
    assert (combined.state, combined.total_count, combined.sha) == ("success", 2, sha)

    commit.create_status("error", context="kustomization/jupyter/dev")
    assert commit.get_combined_status().state == "failure"
    with pytest.raises(GithubException) as caught:
        commit.create_status("bogus")
    assert caught.value.status == 422


# -- faults, latency, credentials, rate limits ----------------------------------------------------


def test_injected_502_changes_nothing_and_is_used_up(
    github_client: Github, github_emulator: GitHubEmulator, sandbox_world: World
) -> None:
    repo = repo_of(github_client, JUPYTER)
    sha = repo.get_git_ref("heads/main").object.sha
    github_emulator.inject_fault("POST", r"/git/refs$", 502)
    with pytest.raises(GithubException) as caught:
        repo.create_git_ref("refs/heads/hotfix/INC-9", sha)
    assert caught.value.status == 502
    assert sandbox_world.repo(JUPYTER).ref("refs/heads/hotfix/INC-9") is None
    assert repo.create_git_ref("refs/heads/hotfix/INC-9", sha).ref == "refs/heads/hotfix/INC-9"


def test_pygithub_default_retry_retries_a_502_even_on_post(
    github_factory: ClientFactory, github_emulator: GitHubEmulator
) -> None:
    repo = repo_of(github_factory(retry=GithubRetry(total=3, backoff_factor=0)), JUPYTER)
    sha = repo.get_git_ref("heads/main").object.sha
    github_emulator.clear_log()
    github_emulator.inject_fault("POST", r"/git/refs$", 502)
    repo.create_git_ref("refs/heads/hotfix/retried", sha)
    assert [(r.method, r.status) for r in github_emulator.requests] == [("POST", 502), ("POST", 201)]


def test_injected_rate_limit_faults(github_client: Github, github_emulator: GitHubEmulator) -> None:
    reset = str(int(time.time()) + 60)
    github_emulator.inject_fault(
        "GET",
        r"/branches/",
        403,
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
        body={
            "message": "API rate limit exceeded for user ID 1.",
            "documentation_url": "https://docs.github.com",
        },
    )
    with pytest.raises(RateLimitExceededException) as caught:
        repo_of(github_client, JUPYTER).get_branch("main")
    assert caught.value.headers is not None
    assert caught.value.headers["x-ratelimit-remaining"] == "0"
    assert caught.value.headers["x-ratelimit-reset"] == reset

    github_emulator.inject_fault("*", r"/pulls", 429, times=2, headers={"Retry-After": "7"})
    url = f"{github_emulator.base_url}/repos/{JUPYTER}/pulls"
    answers = [requests.get(url, headers=AUTH, timeout=5) for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].headers["Retry-After"] == "7"


def test_secondary_rate_limit_on_writes(sandbox_world: World) -> None:
    git = sandbox_world.repo(JUPYTER)
    sha = git.ref("refs/heads/main")
    assert sha is not None
    now = [datetime.now(UTC)]
    with GitHubEmulator(sandbox_world.repos_dir, write_limit_per_minute=2, clock=lambda: now[0]) as limited:
        client = Github(
            base_url=limited.base_url, seconds_between_requests=0, seconds_between_writes=0, retry=None
        )
        try:
            repo = repo_of(client, JUPYTER)
            repo.create_git_ref("refs/heads/a", sha)
            with pytest.raises(GithubException):
                repo.create_git_ref("refs/heads/a", sha)  # refused writes count too
            with pytest.raises(RateLimitExceededException) as caught:
                repo.create_git_ref("refs/heads/c", sha)
            assert caught.value.status == 403
            assert caught.value.data["message"].startswith("You have exceeded a secondary rate limit")
            assert caught.value.headers is not None
            assert caught.value.headers["retry-after"] == "60"
            assert caught.value.headers["x-ratelimit-remaining"] != "0"  # not the primary limit
            assert git.ref("refs/heads/c") is None
            assert repo.get_branch("main").commit.sha == sha  # reads are not limited

            now[0] += timedelta(minutes=1)  # the minute passes
            assert repo.create_git_ref("refs/heads/c", sha).ref == "refs/heads/c"
            limited.write_limit_per_minute = None
            for name in ("d", "e", "f"):
                repo.create_git_ref(f"refs/heads/{name}", sha)
        finally:
            client.close()


def test_rate_limit_headers_count_everything_but_304s(
    github_client: Github, github_emulator: GitHubEmulator
) -> None:
    github_emulator.clear_log()
    url = f"{github_emulator.base_url}/repos/{CORE}"
    first = requests.get(url, headers=AUTH, timeout=5)
    second = requests.get(url, headers={**AUTH, "If-None-Match": first.headers["ETag"]}, timeout=5)
    third = requests.get(f"{url}/branches/nope", headers=AUTH, timeout=5)
    assert (first.status_code, second.status_code, third.status_code) == (200, 304, 404)
    assert int(first.headers["X-RateLimit-Remaining"]) == int(second.headers["X-RateLimit-Remaining"])
    assert int(third.headers["X-RateLimit-Remaining"]) == int(first.headers["X-RateLimit-Remaining"]) - 1
    assert first.headers["X-RateLimit-Limit"] == "5000"
    assert first.headers["X-GitHub-Request-Id"] != third.headers["X-GitHub-Request-Id"]
    assert github_emulator.rate_limited_count() == 2
    assert github_client.get_rate_limit().resources.core.remaining == 4998
    assert github_emulator.rate_limited_count() == 2  # GET /rate_limit is free, as on GitHub


def test_delay_is_applied_to_every_request(sandbox_world: World) -> None:
    with GitHubEmulator(sandbox_world.repos_dir, delay=0.2) as slow:
        started = time.monotonic()
        assert requests.get(f"{slow.base_url}/repos/{CORE}", timeout=5).status_code == 200
        assert time.monotonic() - started >= 0.2
        (record,) = slow.requests
        assert record.finished - record.started >= 0.2


def test_wrong_token_is_401(github_factory: ClientFactory) -> None:
    with pytest.raises(BadCredentialsException) as caught:
        github_factory(token="wrong").get_repo(CORE)
    assert (caught.value.status, caught.value.data["message"]) == (401, "Bad credentials")
    assert github_factory().get_user().login == "sandbox-bot"


def test_concurrent_reads(github_factory: ClientFactory, github_emulator: GitHubEmulator) -> None:
    def read(_: int) -> bytes:
        found = repo_of(github_factory(), CORE).get_contents("core/flux-config.yaml", ref="stg")
        assert not isinstance(found, list)
        return found.decoded_content

    with ThreadPoolExecutor(max_workers=8) as pool:
        texts = set(pool.map(read, range(16)))
    assert len(texts) == 1
    assert b"release/0.2.105" in texts.pop()
    assert [r.status for r in github_emulator.requests] == [200] * 16


def test_repositories_created_later_are_served(github_client: Github, sandbox_world: World) -> None:
    repo = GitRepo.init_bare(sandbox_world.repos_dir / "newcomer" / "fresh.git")
    tree = repo.tree_with_files(None, {"README.md": b"hi\n"})
    sha = repo.commit_tree(tree, [], "Initial", author=Identity("A", "a@example.test"), timestamp=0)
    repo.update_ref("refs/heads/main", sha)
    assert github_client.get_repo("newcomer/fresh").get_branch("main").commit.sha == sha
