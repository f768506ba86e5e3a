"""Keyword normalisation shared by indexing and searching, so both sides agree on every token."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[a-z0-9]+")
STOPWORDS = frozenset({"a", "an", "and", "the", "of", "for", "with", "in", "on", "to", "by", "&"})
MAX_QUERY_TOKENS = 10


def fold(text: str) -> str:
    """Lower case without accents: "Crème Brûlée" → "creme brulee"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def singular(word: str) -> str:
    """A simple English singular, enough that "shoes" finds "shoe" and "batteries" "battery"."""
    if word.isdigit() or len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokens(text: str) -> list[str]:
    """Distinct normalised tokens in order of first appearance, stopwords dropped."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(fold(text)):
        if word not in STOPWORDS:
            seen.setdefault(singular(word), None)
    return list(seen)


def query_tokens(text: str) -> list[str]:
    return tokens(text)[:MAX_QUERY_TOKENS]
