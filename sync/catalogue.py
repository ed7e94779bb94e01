"""The service catalogue as the protocol carries it (``catalogue.updated``)."""

from __future__ import annotations

from collections.abc import Mapping, Set
from functools import lru_cache
from typing import Literal, NamedTuple, get_args

import msgspec
from pypinyin import Style, lazy_pinyin

from .types import Code, Count, Division, Name, ShortText

OutletKind = Literal["postal", "mobile", "township", "village"]
OUTLET_KINDS: tuple[OutletKind, ...] = get_args(OutletKind)


class MaterialSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One material an item asks for."""

    code: Code
    name: Name
    required: bool = True
    # 容缺受理: the applicant may promise in writing to hand it in later.
    may_promise: bool = False


class CatalogueItem(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One service item outlets may accept."""

    code: Code
    name: Name
    department: Code
    promised_days: Count  # working days promised to the citizen
    legal_days: Count  # working days the law allows
    materials: tuple[MaterialSpec, ...] = ()
    fee_fen: Count = 0  # fee in fen (0.01 yuan); 0 for free items
    mailable: bool = True
    outlet_kinds: tuple[OutletKind, ...] = OUTLET_KINDS
    # Department unit per county division code; "*" is the default unit.
    unit_by_region: dict[str, Code] = {}
    note: ShortText = ""

    def __post_init__(self) -> None:
        codes = [m.code for m in self.materials]
        if len(set(codes)) != len(codes):
            raise ValueError(f"item {self.code}: material codes repeat")
        if self.promised_days > self.legal_days:
            raise ValueError(f"item {self.code}: promised_days exceeds legal_days")
        if not self.outlet_kinds:
            raise ValueError(f"item {self.code}: no outlet kind may accept it")
        for region in self.unit_by_region:
            if region != "*" and not (len(region) == 6 and region.isdigit()):
                raise ValueError(f"item {self.code}: region {region!r} is not a division code")

    def material(self, code: str) -> MaterialSpec | None:
        """The material spec with this code, if the item has one."""
        return next((m for m in self.materials if m.code == code), None)


class MaterialProblem(NamedTuple):
    """One problem with the materials of an application for an item: ``code`` (stable, the
    record reason's), the ``field`` to fix (``materials`` or ``promised``), the ``material``
    code, its ``name`` in the catalogue (empty for one the item does not ask for), and words."""

    code: str
    field: str
    material: str
    name: str
    message: str


def material_problems(
    item: CatalogueItem, provided: Set[str], promised: Set[str]
) -> list[MaterialProblem]:
    """Every problem with what was handed over (``provided``: scanned or seen on paper) and
    promised for later (容缺), at once: a material the item does not ask for (sorted), then in
    the catalogue's order a required one neither provided nor promised, or one promised that
    may not be. The one rule of capture on the laptop, its forms, the hub's ingest and the
    phone (runner/src/app/capture.js, checked against tests/vectors/materials.json)."""
    specs = {m.code: m for m in item.materials}
    problems = [
        MaterialProblem(
            "material.unknown", "materials", code, "", f"{item.code} asks for no material {code}"
        )
        for code in sorted((set(provided) | set(promised)) - set(specs))
    ]
    for code, spec in specs.items():
        if spec.required and code not in provided and code not in promised:
            problems.append(
                MaterialProblem(
                    "material.missing",
                    "materials",
                    code,
                    spec.name,
                    f"required material missing: {spec.name} ({code})",
                )
            )
        if code in promised and not spec.may_promise:
            problems.append(
                MaterialProblem(
                    "material.not_promisable",
                    "promised",
                    code,
                    spec.name,
                    f"{spec.name} ({code}) cannot be promised for later",
                )
            )
    return problems


def region_levels(region: Division) -> tuple[str, ...]:
    """A county's routing lookup order: itself, its prefecture, its province, the default."""
    return (region, region[:4] + "00", region[:2] + "0000", "*")


def unit_for(
    item: CatalogueItem,
    region: Division,
    overrides: Mapping[tuple[str, str], str] | None = None,
) -> str | None:
    """The unit that handles ``item`` for an applicant of county ``region``, or None.

    The one routing rule, for the hub and anything else that needs it: at each level of
    :func:`region_levels`, most specific first, an operator's override for (item code, level)
    wins over the catalogue's route for that level, so an override for a county never loses
    to a city-wide default, and a city-wide override never beats a county's own route. None
    when no level names a unit (the hub sends such applications to triage).
    """
    overrides = overrides or {}
    for key in region_levels(region):
        unit = overrides.get((item.code, key)) or item.unit_by_region.get(key)
        if unit:
            return unit
    return None


@lru_cache(maxsize=8192)
def search_initials(name: str) -> str:
    """Pinyin initials of an item's name (社会保障卡申领 -> shbzksl): the laptop's item search
    and the phone's (which the hub gives them, hub/web/runner.py) find items by the same."""
    return "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")).lower()
