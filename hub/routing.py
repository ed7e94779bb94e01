"""Routing: which department unit gets an application (pure).

The rule itself is ``sync.catalogue.unit_for``: one function for every caller (ingest here,
and anything an outlet or a tool wants to predict), so they can never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping

from sync.catalogue import CatalogueItem, region_levels, unit_for

__all__ = ["region_levels", "route"]


def route(
    item: CatalogueItem | None,
    region: str,
    overrides: Mapping[tuple[str, str], str] | None = None,
) -> str | None:
    """The unit for an item and the applicant's county, or None for operator triage (also
    for an item the catalogue does not have). ``overrides``: the operators' region
    overrides, by (item code, region or ``*``)."""
    if item is None:
        return None
    return unit_for(item, region, overrides)
