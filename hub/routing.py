"""Routing: which department unit gets an application (pure)."""

from __future__ import annotations

from collections.abc import Mapping

from sync.catalogue import CatalogueItem


def region_levels(region: str) -> tuple[str, ...]:
    """A county's lookup order: itself, its prefecture, its province, then the default."""
    return (region, region[:4] + "00", region[:2] + "0000", "*")


def route(
    item: CatalogueItem | None,
    region: str,
    overrides: Mapping[tuple[str, str], str] | None = None,
) -> str | None:
    """The unit for an item and the applicant's county, or None for operator triage.

    At each level, most specific first, an operator's region override wins over the
    catalogue's rule, so an override for a county never loses to a city-wide default.
    """
    if item is None:
        return None
    overrides = overrides or {}
    for key in region_levels(region):
        unit = overrides.get((item.code, key)) or item.unit_by_region.get(key)
        if unit:
            return unit
    return None
