"""Keyword normalisation: indexing and searching must agree on every token."""

from __future__ import annotations

import pytest

from cashback.text import MAX_QUERY_TOKENS, fold, query_tokens, singular, tokens


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Crème Brûlée", "creme brulee"),
        ("Café CRÈME", "cafe creme"),
        ("Ångström Ñandú", "angstrom nandu"),
        ("\uff33\uff2f\uff2e\uff39", "sony"),  # full-width SONY
        ("\ufb01lter", "filter"),  # the fi ligature
        ("Sony WH-1000XM5", "sony wh-1000xm5"),
    ],
)
def test_fold_lowercases_and_drops_accents_and_compatibility_forms(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("word", "result"),
    [
        ("shoes", "shoe"),
        ("headphones", "headphone"),
        ("batteries", "battery"),
        ("boxes", "box"),
        ("glasses", "glass"),
        ("dishes", "dish"),
        ("watches", "watch"),
        ("buzzes", "buzz"),
        ("ties", "tie"),  # "ies" needs a longer word to become "y"
    ],
)
def test_singular_turns_common_english_plurals_into_singulars(word: str, result: str) -> None:
    assert singular(word) == result


@pytest.mark.parametrize(
    "word",
    ["dress", "status", "analysis", "gas", "bus", "tv", "1000", "shoe", "xm5"],
    ids=["-ss", "-us", "-is", "3 letters", "short -us", "2 letters", "digits", "already singular", "model"],
)
def test_singular_leaves_words_that_are_not_plurals(word: str) -> None:
    assert singular(word) == word


def test_tokens_are_folded_singular_distinct_in_order_and_without_stopwords() -> None:
    assert tokens("The Running Shoes and a shoe for RUNNING") == ["running", "shoe"]


def test_tokens_split_on_anything_but_letters_and_digits() -> None:
    assert tokens("Sony WH-1000XM5, noise-cancelling/wireless") == [
        "sony",
        "wh",
        "1000xm5",
        "noise",
        "cancelling",
        "wireless",
    ]


def test_accented_and_plain_spellings_give_the_same_tokens() -> None:
    assert tokens("Crème Café Espresso Machines") == tokens("creme cafe espresso machine")


def test_text_of_only_stopwords_and_punctuation_has_no_tokens() -> None:
    assert tokens("the & of, for -- with") == []


def test_query_tokens_keep_the_first_ten() -> None:
    words = [f"w{i}x" for i in range(MAX_QUERY_TOKENS + 5)]
    assert MAX_QUERY_TOKENS == 10
    assert query_tokens(" ".join(words)) == words[:10]
