"""One rounding rule for every percentage a person reads (issue 33)."""

from __future__ import annotations

import pytest

from core.words import whole_percent


@pytest.mark.parametrize(
    ("value", "shown"),
    [(22.5, "23"), (47.5, "48"), (0.5, "1"), (99.49, "99"), (30.0, "30"), (0.0, "0"), (100, "100")],
)
def test_halves_round_up_everywhere(value: float, shown: str) -> None:
    assert whole_percent(value) == shown


def test_every_surface_for_people_uses_the_one_rule() -> None:
    """No percentage is formatted with Python's own rounding (``:.0f`` makes 22.5 "22") in
    the code that writes for people: reports, e-mails, digests."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(r"\{[^}]*(progress|percent)[^}]*:\.0f\}")
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for folder in ("core", "workers", "plugins", "graphql_schema")
        for path in (root / folder).rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if pattern.search(line)
    ]
    assert offenders == []
