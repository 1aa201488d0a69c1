"""What a chart version and an image reference look like, as the tools that read them say. Pure.

* A Helm chart version is Semantic Versioning 2.0.0 (https://semver.org), optionally after a
  lower-case ``v``: ``3.2.2``, ``v1.0.0-rc.1``, ``1.0.0+build.5``.
* An image is an OCI distribution reference (the grammar of ``distribution/reference``):
  ``[registry[:port]/]path[:tag][@algorithm:hex]`` with a lower-case path, like
  ``ghcr.io/org/name:1.2.3`` or ``nginx@sha256:…``.

Each check answers why a value is refused (a phrase following "it"), or None when it is good.
"""

from __future__ import annotations

import re

__all__ = ["MAX_IMAGE_LENGTH", "MAX_VERSION_LENGTH", "image_problem", "version_problem"]

MAX_VERSION_LENGTH = 128
MAX_IMAGE_LENGTH = 512  # a name of at most 255, a tag of at most 128, and a digest
MAX_IMAGE_NAME_LENGTH = 255

# -- SemVer 2.0.0 -----------------------------------------------------------------------------

_NUMBER = r"(?:0|[1-9][0-9]*)"
_PRE_PART = r"(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_BUILD_PART = r"[0-9A-Za-z-]+"
_SEMVER = re.compile(
    rf"v?{_NUMBER}\.{_NUMBER}\.{_NUMBER}"
    rf"(?:-{_PRE_PART}(?:\.{_PRE_PART})*)?"
    rf"(?:\+{_BUILD_PART}(?:\.{_BUILD_PART})*)?"
)
_CORE = re.compile(r"v?([0-9]+)\.([0-9]+)\.([0-9]+)(?P<rest>.*)", re.DOTALL)


def version_problem(version: str) -> str | None:
    """Why ``version`` is not a SemVer 2 version (``"has a leading zero in `03`"``), or None."""
    if len(version) > MAX_VERSION_LENGTH:
        return f"is {len(version)} characters long (versions have at most {MAX_VERSION_LENGTH})"
    if _SEMVER.fullmatch(version):
        return None
    core = _CORE.fullmatch(version)
    if core is None:
        return "is not three numbers MAJOR.MINOR.PATCH"
    leading = next((n for n in core.groups()[:3] if len(n) > 1 and n.startswith("0")), None)
    if leading is not None:
        return f"has a leading zero in `{leading}`"
    rest = core.group("rest")
    if rest[:1] not in ("-", "+"):
        return "has something after MAJOR.MINOR.PATCH that is neither `-pre-release` nor `+build`"
    return "has a pre-release or build part that is not dot-separated letters, digits and `-`"


# -- OCI distribution references ---------------------------------------------------------------

_ALPHANUMERIC = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|-+)"
_PATH_COMPONENT = rf"{_ALPHANUMERIC}(?:{_SEPARATOR}{_ALPHANUMERIC})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
_DOMAIN = rf"{_HOST}(?::[0-9]+)?"
_NAME = re.compile(rf"(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*")
_TAG = re.compile(r"[\w][\w.-]{0,127}", re.ASCII)
_DIGEST = re.compile(
    r"(?P<algorithm>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*):(?P<hex>[0-9a-fA-F]{32,})"
)
_DIGEST_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}


def image_problem(image: str) -> str | None:
    """Why ``image`` is not an OCI image reference (``"has an upper-case letter in its path"``), or None."""
    if len(image) > MAX_IMAGE_LENGTH:
        return f"is {len(image)} characters long (image references have at most {MAX_IMAGE_LENGTH})"
    rest, at, digest = image.partition("@")
    if at:
        problem = _digest_problem(digest)
        if problem is not None:
            return problem
    name, tag = _split_tag(rest)
    if tag is not None and _TAG.fullmatch(tag) is None:
        return (
            "has a tag that is not up to 128 letters, digits, `_`, `.` and `-` (not starting with `.` or `-`)"
        )
    if len(name) > MAX_IMAGE_NAME_LENGTH:
        return f"has a name of {len(name)} characters (at most {MAX_IMAGE_NAME_LENGTH})"
    if _NAME.fullmatch(name) is None:
        return _name_problem(name)
    return None


def _split_tag(reference: str) -> tuple[str, str | None]:
    """``registry:5000/a/b:tag`` -> (``registry:5000/a/b``, ``tag``): a tag follows the last ``/``."""
    head, slash, last = reference.rpartition("/")
    path, colon, tag = last.partition(":")
    return (f"{head}{slash}{path}", tag) if colon else (reference, None)


def _digest_problem(digest: str) -> str | None:
    match = _DIGEST.fullmatch(digest)
    if match is None:
        return "has a digest that is not `sha256:` and 64 hexadecimal digits"
    wanted = _DIGEST_LENGTHS.get(match.group("algorithm"))
    if wanted is not None and len(match.group("hex")) != wanted:
        return f"has a {match.group('algorithm')} digest that is not {wanted} hexadecimal digits"
    return None


def _name_problem(name: str) -> str:
    if not name:
        return "has no name before its tag or digest"
    path = name.split("/", 1)[1] if "/" in name and _looks_like_registry(name.split("/", 1)[0]) else name
    if any(ch.isupper() for ch in path):
        return "has an upper-case letter in its path (paths are lower-case)"
    return (
        "is not `[registry[:port]/]path[:tag][@sha256:digest]` with a path of lower-case letters and "
        "digits separated by `/`, `.`, `_`, `__` or `-`"
    )


def _looks_like_registry(component: str) -> bool:
    return "." in component or ":" in component or component == "localhost" or component != component.lower()
