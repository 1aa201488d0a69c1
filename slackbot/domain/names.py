"""Turn what a person typed into a canonical component or environment name.

People type ``Jupyter``, ``jupyter-hub`` or ``jupiter``; the bot needs ``jupyter_hub``. Resolution
is forgiving where the answer is certain and asks back (with suggestions) where it is not.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence

from slackbot.domain.errors import BotError
from slackbot.domain.quoting import quote

__all__ = ["UnknownName", "fold", "resolve_name", "suggest"]

_MAX_LISTED = 15
_MAX_SUGGESTIONS = 3
_CUTOFF = 0.6
_MIN_PREFIX = 3


def fold(name: str) -> str:
    """Ignore case, ``-`` and ``_``: ``Jupyter-Hub`` and ``jupyter_hub`` fold alike."""
    return name.strip().casefold().replace("-", "").replace("_", "")


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _plural(word: str) -> str:
    if word.endswith(("s", "sh", "ch", "x")):
        return f"{word}es"
    if word.endswith("y") and word[-2:-1] not in tuple("aeiou"):
        return f"{word[:-1]}ies"
    return f"{word}s"


def _either(names: Sequence[str]) -> str:
    quoted = [f"`{name}`" for name in names]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + f" or {quoted[-1]}"


def _listing(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_MAX_LISTED])
    hidden = len(names) - _MAX_LISTED
    return f"{shown} and {hidden} more" if hidden > 0 else shown


class UnknownName(BotError):
    """A name that resolves to no single canonical name; ``str()`` is a sentence for the user."""

    def __init__(
        self,
        kind: str,
        query: str,
        suggestions: Sequence[str],
        known: Sequence[str],
        *,
        ambiguous: bool = False,
    ) -> None:
        self.kind = kind
        self.query = query
        self.suggestions = tuple(suggestions)
        self.known = tuple(sorted(known))
        self.ambiguous = ambiguous
        super().__init__(self._message())

    def _message(self) -> str:
        plural = _plural(self.kind)
        query = quote(self.query)
        if not self.query:
            if not self.known:
                return f"Please name {_article(self.kind)} {self.kind}; none are configured yet."
            return f"Please name {_article(self.kind)} {self.kind}. Known {plural}: {_listing(self.known)}."
        if self.ambiguous and self.suggestions:
            return f"`{query}` could mean the {self.kind} {_either(self.suggestions)}; which one?"
        opening = f"I don't know {_article(self.kind)} {self.kind} called `{query}`."
        if self.suggestions:
            return f"{opening} Did you mean {_either(self.suggestions)}?"
        if not self.known:
            return f"{opening[:-1]}, and no {plural} are configured."
        return f"{opening} Known {plural}: {_listing(self.known)}."


def _spellings(names: Mapping[str, Iterable[str]]) -> dict[str, tuple[str, ...]]:
    """Each canonical name with every way to write it (itself first), read once."""
    return {canonical: (canonical, *aliases) for canonical, aliases in names.items()}


def suggest(query: str, candidates: Mapping[str, Iterable[str]] | Iterable[str]) -> tuple[str, ...]:
    """Close canonical names for ``query``, best first, at most three.

    ``candidates`` is either canonical name -> aliases or a plain list of names. A match on an
    alias suggests its canonical name. A query of three or more characters that begins the
    names of exactly one candidate suggests that candidate first.
    """
    if isinstance(candidates, Mapping):
        return _suggest(query, _spellings(candidates))
    return _suggest(query, {name: (name,) for name in candidates})


def _suggest(query: str, spellings: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    wanted = query.strip().casefold()
    folded = fold(query)
    if not wanted:
        return ()
    scores: dict[str, float] = {}
    for canonical, written in spellings.items():
        best = max(
            max(
                difflib.SequenceMatcher(None, wanted, name.casefold()).ratio(),
                difflib.SequenceMatcher(None, folded, fold(name)).ratio(),
            )
            for name in written
        )
        if best >= _CUTOFF:
            scores[canonical] = best
    ranked = sorted(scores, key=lambda name: (-scores[name], name))
    if len(folded) >= _MIN_PREFIX:
        prefixed = [c for c, written in spellings.items() if any(fold(n).startswith(folded) for n in written)]
        if len(prefixed) == 1:
            ranked = [prefixed[0], *(name for name in ranked if name != prefixed[0])]
    return tuple(ranked[:_MAX_SUGGESTIONS])


def _single(hits: Iterable[str], kind: str, query: str, known: Sequence[str]) -> str | None:
    """The one hit, None for no hit, and UnknownName (ambiguous) for several."""
    unique = sorted(set(hits))
    if len(unique) > 1:
        raise UnknownName(kind, query, unique, known, ambiguous=True)
    return unique[0] if unique else None


def resolve_name(query: str, names: Mapping[str, Iterable[str]], kind: str) -> str:
    """The canonical name ``query`` means, or :class:`UnknownName` saying what to type instead.

    Tried in order: the canonical name (exact, then ignoring case), an alias ignoring case, then
    names and aliases ignoring case, ``-`` and ``_``. The first step with a hit decides; two
    canonical names at one step is ambiguous and raises with both as suggestions.
    """
    spellings = _spellings(names)
    known = sorted(spellings)
    wanted = query.strip()
    if not wanted:
        raise UnknownName(kind, wanted, (), known)
    if wanted in spellings:
        return wanted
    lowered = wanted.casefold()
    folded = fold(wanted)
    steps: tuple[Iterable[str], ...] = (
        (c for c in spellings if c.casefold() == lowered),
        (c for c, written in spellings.items() if any(a.casefold() == lowered for a in written[1:])),
        (c for c, written in spellings.items() if any(fold(n) == folded for n in written)),
    )
    for hits in steps:
        found = _single(hits, kind, wanted, known)
        if found is not None:
            return found
    raise UnknownName(kind, wanted, _suggest(wanted, spellings), known)
