"""A framework's derivation rules, in the shape the evaluation service calls them."""

from __future__ import annotations

from collections.abc import Mapping

from core.evaluation import service as evaluations
from plugins.records import DerivationInput, FrameworkSpec


def deriver(spec: FrameworkSpec) -> evaluations.Derive:
    def derive(
        target: str, progress: float | None, level: str | None, ratings: Mapping[str, str | None]
    ) -> Mapping[str, str | None]:
        return spec.derive(
            DerivationInput(
                target=target, progress=progress, completion_level=level, ratings=ratings
            )
        )

    return derive
