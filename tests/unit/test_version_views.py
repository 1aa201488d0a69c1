"""`/versions diff` and `/versions where` through VersionQueries, on an in-memory forge: what they
answer, and what they ask the forge for."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from slackbot.domain.core_files import ComponentSpec
from slackbot.domain.errors import BotError, UsageError
from slackbot.domain.names import UnknownName
from slackbot.domain.versions import BranchSnapshot
from slackbot.domain.versions_commands import DiffQuery, WhereQuery, parse_versions
from slackbot.services.access import HotfixPolicy
from slackbot.services.version_queries import VersionQueries
from slackbot.services.version_views import DiffAnswer, WhereAnswer
from slackbot.services.versions import EnvironmentSpec, VersionService
from tests.unit.fakes import FakeSource

CORE = "acme/core"
JUPYTER = "acme/flux-jupyter"
NGINX = "acme/flux-nginx"


def config(**components: dict[str, str]) -> dict[str, str]:
    """The three split-layout files for ``{component: {"branch": …, "chart": …, "image": …}}``."""
    flux, helm, image = ["components:"], ["components:"], ["components:"]
    for name, pins in components.items():
        if "branch" in pins:
            flux += [f"  {name}:", "    repository:", f"      branch: {pins['branch']}"]
        if "chart" in pins:
            helm += [f"  {name}:", f"    chart_version: {pins['chart']}"]
        if "image" in pins:
            image += [f"  {name}:", f"    image: {pins['image']}"]
    return {
        "core/flux-config.yaml": "\n".join(flux) + "\n",
        "core/helm-config.yaml": "\n".join(helm) + "\n",
        "core/image-config.yaml": "\n".join(image) + "\n",
    }


@dataclass
class CountingSource(FakeSource):
    """FakeSource that also counts its calls of read_branches (one per read of the core branches)."""

    branch_reads: list[tuple[str, ...]] = field(default_factory=list)

    def read_branches(
        self, repository: str, wanted: Mapping[str, Sequence[str]]
    ) -> dict[str, BranchSnapshot | BotError]:
        self.branch_reads.append(tuple(wanted))
        return super().read_branches(repository, wanted)


@pytest.fixture
def source() -> CountingSource:
    forge = CountingSource()
    prod = {
        "jupyter_hub": {"branch": "release/0.2.105", "chart": "3.2.1", "image": "hub:4.1.5"},
        "ingress_nginx": {"branch": "release/0.1.61", "chart": "4.11.1"},
        "keda": {"branch": "release/0.1.44", "chart": "2.10"},
        "observability": {"branch": "release/0.1.45"},
    }
    stg = {
        "jupyter_hub": {"branch": "release/0.2.106", "chart": "3.2.1", "image": "hub:4.1.6"},
        "ingress_nginx": {"branch": "release/0.1.62", "chart": "4.11.1"},
        "keda": {"branch": "release/0.1.44", "chart": "2.13.1"},
        "superset": {"branch": "release/0.1.17"},
    }
    forge.add_branch(CORE, "prod", "a" * 40, config(**prod))
    forge.add_branch(CORE, "stg", "b" * 40, config(**stg))
    forge.add_branch(
        CORE, "dev", "c" * 40, config(jupyter_hub={"branch": "release/0.2.106", "chart": "3.3.0"})
    )
    # release/0.2.105 has a hot-fix (e1) that 0.2.106 lacks; 0.2.106 two commits 0.2.105 lacks
    forge.add_branch(JUPYTER, "release/0.2.105", "e1", parents=["m1", "m2"])
    forge.add_branch(JUPYTER, "release/0.2.106", "m4", parents=["m1", "m2", "m3"])
    # nginx's release/0.1.62 does not exist: the comparison fails, the rest still answers
    forge.add_branch(NGINX, "release/0.1.61", "n1")
    return forge


def queries(source: FakeSource, **branches: str) -> VersionQueries:
    envs = branches or {"prod": "prod", "stg": "stg", "dev": "dev"}
    aliases = {"prod": ("production",), "stg": ("staging",)}
    versions = VersionService(
        source,
        core_repository=CORE,
        environments={n: EnvironmentSpec(n, b, aliases.get(n, ())) for n, b in envs.items()},
        catalog={
            "jupyter_hub": ComponentSpec("jupyter_hub", repository=JUPYTER, aliases=("jupyter",)),
            "ingress_nginx": ComponentSpec("ingress_nginx", repository=NGINX, aliases=("nginx",)),
        },
    )
    policy = HotfixPolicy(core_repository=CORE, rollout_deadlines={"prod": timedelta(minutes=15)})
    return VersionQueries(versions, policy)


def diff(source: FakeSource, text: str, **branches: str) -> DiffAnswer:
    answer = queries(source, **branches).answer(parse_versions(text))
    assert isinstance(answer, DiffAnswer)
    return answer


def test_a_diff_reads_both_branches_in_one_read_then_compares_the_differing_release_branches(
    source: CountingSource,
) -> None:
    answer = diff(source, "diff production staging")
    assert (answer.left, answer.right) == ("prod", "stg")
    assert source.branch_reads == [("prod", "stg")]  # one read, the two branches only
    assert sorted(source.compared) == [
        (JUPYTER, "release/0.2.106", "release/0.2.105"),  # the right's branch is the base
        (NGINX, "release/0.1.62", "release/0.1.61"),
    ]
    assert source.heads_asked == []


def test_ahead_counts_the_first_environments_commits_the_second_lacks(source: CountingSource) -> None:
    nginx, jupyter, keda = diff(source, "diff prod stg").diff.differences
    assert jupyter.name == "jupyter_hub"
    assert jupyter.apart is not None
    assert (jupyter.apart.ahead_by, jupyter.apart.behind_by) == (1, 2)
    assert (nginx.apart, nginx.apart_problem) == (None, "`acme/flux-nginx` has no branch `release/0.1.62`.")
    assert (keda.fields, keda.apart, keda.apart_problem) == (("chart_version",), None, None)


def test_the_answer_carries_links_to_branches_commits_and_the_comparison(source: CountingSource) -> None:
    answer = diff(source, "diff prod stg")
    assert answer.commit_urls == {
        "prod": f"https://forge.test/{CORE}/commit/{'a' * 40}",
        "stg": f"https://forge.test/{CORE}/commit/{'b' * 40}",
    }
    assert answer.compare_urls["jupyter_hub"] == (
        f"https://forge.test/{JUPYTER}/compare/release/0.2.106...release/0.2.105"
    )
    assert (
        answer.branch_urls[(JUPYTER, "release/0.2.105")]
        == f"https://forge.test/{JUPYTER}/tree/release/0.2.105"
    )


def test_the_make_like_blast_radius_is_every_environment_on_the_first_ones_core_branch(
    source: CountingSource,
) -> None:
    alone = diff(source, "diff prod stg").make_like
    assert (alone.environments, alone.within) == (("prod",), timedelta(minutes=15))
    shared = diff(source, "diff prod stg", prod="prod", stg="stg", hotcopy="prod").make_like
    assert shared.environments == ("prod", "hotcopy")


def test_one_environment_under_two_names_is_refused_before_anything_is_read(source: CountingSource) -> None:
    with pytest.raises(UsageError, match="are both prod"):
        queries(source).answer(DiffQuery("prod", "Production"))
    assert source.branch_reads == []


def test_a_misspelt_environment_gets_a_did_you_mean(source: CountingSource) -> None:
    with pytest.raises(UnknownName, match="Did you mean `prod`"):
        queries(source).answer(DiffQuery("prdo", "stg"))


def test_an_environment_whose_branch_is_missing_says_so(source: CountingSource) -> None:
    with pytest.raises(BotError, match="has no branch `gone`"):
        queries(source, prod="prod", stg="gone").answer(DiffQuery("prod", "stg"))


def test_where_reads_every_environment_once_and_groups_them_by_release_branch(source: CountingSource) -> None:
    answer = queries(source, prod="prod", stg="stg", dev="dev", lab="lab").answer(WhereQuery("Jupyter"))
    assert isinstance(answer, WhereAnswer)
    assert source.branch_reads == [("prod", "stg", "dev", "lab")]
    assert source.compared == []
    assert source.heads_asked == []
    found = answer.whereabouts
    assert found.component == "jupyter_hub"
    assert [(v.group.branch, v.group.environments, v.rollout.environments) for v in answer.groups] == [
        ("release/0.2.105", ("prod",), ("prod",)),
        ("release/0.2.106", ("stg", "dev"), ("stg", "dev")),
    ]
    assert answer.groups[1].branch_url == f"https://forge.test/{JUPYTER}/tree/release/0.2.106"
    assert answer.commit_urls["dev"] == f"https://forge.test/{CORE}/commit/{'c' * 40}"
    assert found.unreadable == (("lab", "`acme/core` has no branch `lab`."),)


def test_where_knows_components_only_the_files_mention_and_where_they_are_not(source: CountingSource) -> None:
    answer = queries(source).answer(WhereQuery("superset"))
    assert isinstance(answer, WhereAnswer)
    assert [p.environment for p in answer.whereabouts.placements] == ["stg"]
    assert answer.whereabouts.not_deployed == ("prod", "dev")
    assert answer.repo_url is None  # not configured: no repository to link


def test_where_with_a_misspelt_component_suggests_one(source: CountingSource) -> None:
    with pytest.raises(UnknownName, match="Did you mean `jupyter_hub`"):
        queries(source).answer(WhereQuery("jupiter"))
