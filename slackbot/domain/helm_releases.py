"""Read the core charts, the Flux HelmReleases in the core flux repository's ``core/release*.yaml``.

Each file may hold several YAML documents; only those of ``kind: HelmRelease`` count, and each one
gives a :class:`CoreChart` with the chart and version it pins, read as written (see
:mod:`slackbot.domain.yaml_nodes`). No I/O: callers hand in each file's text.
"""

from __future__ import annotations

from slackbot.domain.versions import ConfigFileError, CoreChart, FileRef
from slackbot.domain.yaml_nodes import compose_documents, node_line, text_at

__all__ = ["parse_helm_releases"]


def parse_helm_releases(text: str, ref: FileRef) -> list[CoreChart]:
    """Every ``kind: HelmRelease`` document, in file order; other kinds are ignored.

    ``chart`` and ``version`` come from ``spec.chart.spec`` and are None when absent (a release
    using ``chartRef`` has neither). A HelmRelease without ``metadata.name`` is an error.
    """
    charts: list[CoreChart] = []
    for document in compose_documents(text, ref):
        if text_at(document, ref, "kind") != "HelmRelease":
            continue
        name = text_at(document, ref, "metadata", "name")
        if name is None:
            raise ConfigFileError(
                ref, "this HelmRelease has no `metadata.name`; give it a name", node_line(document)
            )
        charts.append(
            CoreChart(
                name=name,
                chart=text_at(document, ref, "spec", "chart", "spec", "chart"),
                version=text_at(document, ref, "spec", "chart", "spec", "version"),
                path=ref.path,
            )
        )
    return charts
