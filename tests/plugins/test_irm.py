"""The IRM-style framework's derived ratings, by hand."""

from __future__ import annotations

import pytest

from plugins.builtin.ogp_irm import derive
from plugins.records import DerivationInput


def run(level: str | None, **ratings: str | None) -> dict[str, str | None]:
    return dict(
        derive(
            DerivationInput(
                target="COMMITMENT", progress=None, completion_level=level, ratings=ratings
            )
        )
    )


@pytest.mark.parametrize(
    ("ratings", "promising"),
    [
        ({}, None),
        ({"VERIFIABILITY": "VERIFIABLE", "OPEN_GOVERNMENT_LENS": "YES"}, None),  # potential unknown
        (
            {
                "VERIFIABILITY": "VERIFIABLE",
                "OPEN_GOVERNMENT_LENS": "YES",
                "POTENTIAL_FOR_RESULTS": "SUBSTANTIAL",
            },
            "YES",
        ),
        (
            {
                "VERIFIABILITY": "VERIFIABLE",
                "OPEN_GOVERNMENT_LENS": "YES",
                "POTENTIAL_FOR_RESULTS": "MODEST",
            },
            "NO",
        ),
        (
            {
                "VERIFIABILITY": "VERIFIABLE",
                "OPEN_GOVERNMENT_LENS": "NO",
                "POTENTIAL_FOR_RESULTS": "SUBSTANTIAL",
            },
            "NO",
        ),
        ({"VERIFIABILITY": "NOT_VERIFIABLE"}, "NO"),  # not assessed further
    ],
)
def test_promising_commitment(ratings: dict[str, str], promising: str | None) -> None:
    assert run("LIMITED", **ratings)["PROMISING"] == promising


@pytest.mark.parametrize("level", ["NOT_STARTED", "LIMITED", "SUBSTANTIAL", "COMPLETE"])
def test_completion_is_the_progress_level(level: str) -> None:
    assert run(level)["COMPLETION"] == level


def test_plans_derive_completion_only() -> None:
    out = derive(
        DerivationInput(target="PLAN", progress=12.5, completion_level="LIMITED", ratings={})
    )
    assert dict(out) == {"COMPLETION": "LIMITED"}
