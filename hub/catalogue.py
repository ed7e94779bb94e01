"""The hub's service catalogue: the YAML file a clerk edits, checked and turned into wire items.

The file names departments, their units and the regions each unit serves, and the service
items outlets may accept. Loading it checks everything a clerk could get wrong (syntax, typos in
keys, wrong types, duplicate codes, unknown departments and units, promised days beyond the
legal limit, bad division codes) and refuses the whole file with a :class:`CatalogueError` that
says where the problem is. Nothing is returned for a file with any error.

Each item's ``unit_by_region`` is the department's units expanded (region -> unit code) with the
item's own overrides merged over it, so ``sync.catalogue.unit_for(item, county)`` routes with no
other data. docs/catalogue.md describes the format for operators.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any, NoReturn

import msgspec
import yaml

from hub.errors import HubError
from sync.catalogue import OUTLET_KINDS, CatalogueItem, MaterialSpec
from sync.records import CatalogueUpdated

__all__ = [
    "SAMPLE_COUNTIES",
    "Catalogue",
    "CatalogueError",
    "Department",
    "Unit",
    "dump_catalogue",
    "export_items",
    "load_catalogue",
    "load_catalogue_file",
    "sample_catalogue",
]

# The counties the sample catalogue (hub/data/catalogue.yaml) routes, by division code.
SAMPLE_COUNTIES: dict[str, str] = {
    "510104": "锦江区",
    "510105": "青羊区",
    "510106": "金牛区",
    "510107": "武侯区",
    "510108": "成华区",
    "510112": "龙泉驿区",
    "510121": "金堂县",
    "510129": "大邑县",
    "510131": "蒲江县",
}

DEFAULT_REGION = "*"

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
_DIVISION = re.compile(r"^[0-9]{6}$")
_NAME_MAX = 100
_NOTE_MAX = 200


class CatalogueError(HubError):
    """A catalogue file that cannot be used, with where the problem is and what it is.

    ``where`` is a path into the file (``items[7] (TP-FINE)``, ``departments[2].units[0]``, or
    ``line 12, column 5`` for a YAML syntax error), ``problem`` says what is wrong, and ``line``
    is the 1-based line of the file when known.
    """

    def __init__(self, where: str, problem: str, line: int | None = None) -> None:
        self.where = where
        self.problem = problem
        self.line = line
        message = f"{where}: {problem}"
        if line is not None and not where.startswith("line "):
            message += f" (line {line})"
        super().__init__(message)


# --- the catalogue ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """A department unit that handles applications from the regions it serves.

    ``regions`` holds 6-digit division codes (a county, a prefecture ``xxxx00`` or a province
    ``xx0000``) or ``*`` for the default; it may be empty for a unit that only items' own
    ``unit_by_region`` overrides name.
    """

    code: str
    name: str
    department: str
    regions: tuple[str, ...]


@dataclass(frozen=True)
class Department:
    """A government department and its units."""

    code: str
    name: str
    units: tuple[Unit, ...]

    def routes(self) -> dict[str, str]:
        """Region -> unit code, from the units' regions."""
        return {region: unit.code for unit in self.units for region in unit.regions}


@dataclass(frozen=True)
class Catalogue:
    """A checked catalogue; ``items`` are the wire items with routes already merged in."""

    version: int
    city: str
    departments: tuple[Department, ...]
    items: tuple[CatalogueItem, ...]

    def item(self, code: str) -> CatalogueItem | None:
        """The item with this code, if the catalogue has one."""
        return next((i for i in self.items if i.code == code), None)

    def department(self, code: str) -> Department | None:
        """The department with this code, if the catalogue has one."""
        return next((d for d in self.departments if d.code == code), None)

    def units(self) -> dict[str, str]:
        """Every unit's code -> name, in file order (the ``units`` of ``catalogue.updated``)."""
        return {u.code: u.name for d in self.departments for u in d.units}

    def unit_name(self, code: str) -> str | None:
        """The name of the unit with this code, if there is one."""
        return self.units().get(code)

    def unroutable_items(self) -> tuple[CatalogueItem, ...]:
        """Items with no default (``*``) route: some counties' applications go to triage."""
        return tuple(i for i in self.items if DEFAULT_REGION not in i.unit_by_region)

    def to_record(self, record_id: str) -> CatalogueUpdated:
        """The ``catalogue.updated`` downlink record carrying this catalogue."""
        return CatalogueUpdated(
            id=record_id, version=self.version, items=self.items, units=self.units()
        )


# --- YAML with line numbers and no silently repeated keys --------------------------------------


class _Map(dict):
    """A YAML mapping that remembers its line and each key's line."""

    line: int | None = None
    key_lines: dict[Any, int]


class _Seq(list):
    """A YAML sequence that remembers its line."""

    line: int | None = None


class _Loader(yaml.SafeLoader):
    pass


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> _Map:
    key_lines: dict[Any, int] = {}
    for key_node, _value in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            repeated = key in key_lines
        except TypeError:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                "a key must be plain text",
                key_node.start_mark,
            ) from None
        if repeated:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                f"key {key!r} appears twice (line {key_lines[key]} and here)",
                key_node.start_mark,
            )
        key_lines[key] = key_node.start_mark.line + 1
    data = _Map(loader.construct_mapping(node, deep=True))
    data.line = node.start_mark.line + 1
    data.key_lines = key_lines
    return data


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> _Seq:
    data = _Seq(loader.construct_sequence(node, deep=True))
    data.line = node.start_mark.line + 1
    return data


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def _parse(text: str) -> Any:
    try:
        return yaml.load(text.removeprefix("\ufeff"), Loader=_Loader)  # a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "not valid YAML"
        if exc.context and exc.problem:
            started = exc.context_mark
            at = f" at line {started.line + 1}" if started and started is not mark else ""
            problem = f"{problem} ({exc.context}{at})"
        if mark is None:
            raise CatalogueError("file", f"not valid YAML: {problem}") from None
        raise CatalogueError(
            f"line {mark.line + 1}, column {mark.column + 1}",
            f"not valid YAML: {problem}",
            line=mark.line + 1,
        ) from None
    except yaml.YAMLError as exc:
        raise CatalogueError("file", f"not valid YAML: {exc}") from None


# --- checking -----------------------------------------------------------------------------------

_MISSING: Any = object()


def _what(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"true/false ({str(value).lower()})"
    if isinstance(value, int):
        return f"a number ({value})"
    if isinstance(value, float):
        return f"a decimal number ({value})"
    if isinstance(value, str):
        return f"text ({value!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


@dataclass(frozen=True)
class _At:
    """Where in the file a mapping sits, for error messages."""

    where: str
    node: Any = None

    def line(self, key: str | None = None) -> int | None:
        if isinstance(self.node, _Map) and key is not None and key in self.node.key_lines:
            return self.node.key_lines[key]
        return getattr(self.node, "line", None)

    def fail(self, problem: str, key: str | None = None) -> NoReturn:
        raise CatalogueError(self.where, problem, self.line(key))


def _mapping(
    at: _At, value: Any, required: tuple[str, ...], optional: tuple[str, ...]
) -> dict[str, Any]:
    if not isinstance(value, dict):
        at.fail(f"must be a mapping of 'key: value' lines, got {_what(value)}")
    allowed = required + optional
    for key in value:
        if key not in allowed:
            hint = difflib.get_close_matches(str(key), allowed, n=1)
            suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
            at.fail(
                f"unknown key {key!r}{suggestion} (allowed: {', '.join(allowed)})",
                key if isinstance(key, str) else None,
            )
    for key in required:
        if key not in value:
            at.fail(f"missing key '{key}'")
        if value[key] is None:
            at.fail(f"'{key}' is empty", key)
    return value


def _optional(m: Mapping[str, Any], key: str) -> Any:
    value = m.get(key)
    return _MISSING if value is None else value


def _code(at: _At, value: Any, what: str, key: str | None = None) -> str:
    if not isinstance(value, str):
        hint = " (write it in quotes)" if isinstance(value, int | float) else ""
        at.fail(f"{what} must be text{hint}, got {_what(value)}", key)
    if not _CODE.match(value):
        at.fail(
            f"{what} {value!r} is not a code: use letters, digits, '_', '.' and '-', "
            "starting with a letter or digit, at most 64 characters",
            key,
        )
    return value


def _text(at: _At, m: Mapping[str, Any], key: str, *, limit: int, empty_ok: bool) -> str:
    value = _optional(m, key)
    if value is _MISSING:
        return ""
    if not isinstance(value, str):
        at.fail(f"{key} must be text, got {_what(value)}", key)
    if not empty_ok and not value.strip():
        at.fail(f"{key} is blank", key)
    if len(value) > limit:
        at.fail(f"{key} is {len(value)} characters long; at most {limit}", key)
    return value


def _count(at: _At, m: Mapping[str, Any], key: str, default: int) -> int:
    value = _optional(m, key)
    if value is _MISSING:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        at.fail(f"{key} must be a whole number, got {_what(value)}", key)
    if value < 0:
        at.fail(f"{key} must not be negative, got {value}", key)
    return value


def _flag(at: _At, m: Mapping[str, Any], key: str, default: bool) -> bool:
    value = _optional(m, key)
    if value is _MISSING:
        return default
    if not isinstance(value, bool):
        at.fail(f"{key} must be true or false, got {_what(value)}", key)
    return value


def _list(at: _At, m: Mapping[str, Any], key: str) -> list[Any] | None:
    value = _optional(m, key)
    if value is _MISSING:
        return None
    if not isinstance(value, list):
        at.fail(f"{key} must be a list, got {_what(value)}", key)
    return value


def _region(at: _At, value: Any, key: str | None = None) -> str:
    # An unquoted 6-digit code reads as a number in YAML; it is unambiguous, so accept it.
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not (value == DEFAULT_REGION or _DIVISION.match(value)):
        shown = repr(value) if isinstance(value, str) else _what(value)
        at.fail(f"region {shown} is not a 6-digit division code or '*'", key)
    return value


def _check_units(at: _At, raw: Any, department: str, seen: dict[str, str]) -> tuple[Unit, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        at.fail(f"units must be a list, got {_what(raw)}", "units")
    units: list[Unit] = []
    served: dict[str, str] = {}
    for j, value in enumerate(raw):
        uat = _At(f"{at.where}.units[{j}]", value)
        m = _mapping(uat, value, ("code", "name"), ("regions",))
        code = _code(uat, m["code"], "code", "code")
        if code in seen:
            uat.fail(f"duplicate unit code '{code}' (already at {seen[code]})", "code")
        seen[code] = uat.where
        name = _text(uat, m, "name", limit=_NAME_MAX, empty_ok=False)
        regions_raw = _list(uat, m, "regions") or []
        regions: list[str] = []
        for region_value in regions_raw:
            region = _region(uat, region_value, "regions")
            if region in regions:
                uat.fail(f"region '{region}' is listed twice", "regions")
            if region in served:
                uat.fail(
                    f"region '{region}' is already served by unit '{served[region]}' "
                    f"of department '{department}'",
                    "regions",
                )
            served[region] = code
            regions.append(region)
        units.append(Unit(code=code, name=name, department=department, regions=tuple(regions)))
    return tuple(units)


def _check_materials(at: _At, raw: list[Any] | None) -> list[dict[str, Any]]:
    materials: list[dict[str, Any]] = []
    codes: dict[str, int] = {}
    for k, value in enumerate(raw or ()):
        mat = _At(f"{at.where}.materials[{k}]", value)
        m = _mapping(mat, value, ("code", "name"), ("required", "may_promise"))
        code = _code(mat, m["code"], "code", "code")
        if code in codes:
            mat.fail(f"material code '{code}' already used by materials[{codes[code]}]", "code")
        codes[code] = k
        materials.append(
            {
                "code": code,
                "name": _text(mat, m, "name", limit=_NAME_MAX, empty_ok=False),
                "required": _flag(mat, m, "required", True),
                "may_promise": _flag(mat, m, "may_promise", False),
            }
        )
    return materials


_ITEM_REQUIRED = ("code", "name", "department", "promised_days", "legal_days")
_ITEM_OPTIONAL = (
    "fee_fen",
    "mailable",
    "outlet_kinds",
    "materials",
    "unit_by_region",
    "note",
)


def _check_item(
    index: int, value: Any, departments: Mapping[str, Department], units: Mapping[str, str]
) -> CatalogueItem:
    at = _At(f"items[{index}]", value)
    if (
        isinstance(value, dict)
        and isinstance(value.get("code"), str)
        and _CODE.match(value["code"])
    ):
        at = _At(f"items[{index}] ({value['code']})", value)  # name the item in every message
    m = _mapping(at, value, _ITEM_REQUIRED, _ITEM_OPTIONAL)
    code = _code(at, m["code"], "code", "code")
    at = _At(f"items[{index}] ({code})", value)
    name = _text(at, m, "name", limit=_NAME_MAX, empty_ok=False)
    department_code = _code(at, m["department"], "department", "department")
    department = departments.get(department_code)
    if department is None:
        at.fail(f"unknown department '{department_code}'", "department")
    promised = _count(at, m, "promised_days", 0)
    legal = _count(at, m, "legal_days", 0)
    if promised > legal:
        at.fail(f"promised_days {promised} exceeds legal_days {legal}", "promised_days")
    kinds_raw = _list(at, m, "outlet_kinds")
    kinds: list[str] = list(OUTLET_KINDS) if kinds_raw is None else []
    for kind in kinds_raw or ():
        if kind not in OUTLET_KINDS:
            at.fail(f"outlet kind {kind!r} is not one of {', '.join(OUTLET_KINDS)}", "outlet_kinds")
        if kind in kinds:
            at.fail(f"outlet kind '{kind}' is listed twice", "outlet_kinds")
        kinds.append(kind)
    if not kinds:
        at.fail("outlet_kinds is empty: no outlet could accept the item", "outlet_kinds")
    materials = _check_materials(at, _list(at, m, "materials"))
    routes = department.routes()
    overrides = _optional(m, "unit_by_region")
    if overrides is not _MISSING:
        if not isinstance(overrides, dict):
            at.fail(f"unit_by_region must be a mapping, got {_what(overrides)}", "unit_by_region")
        for region_value, unit_value in overrides.items():
            region = _region(at, region_value, "unit_by_region")
            unit = _code(at, unit_value, f"unit_by_region['{region}']", "unit_by_region")
            if unit not in units:
                at.fail(f"unit_by_region['{region}'] names unknown unit '{unit}'", "unit_by_region")
            routes[region] = unit
    data = {
        "code": code,
        "name": name,
        "department": department_code,
        "promised_days": promised,
        "legal_days": legal,
        "materials": materials,
        "fee_fen": _count(at, m, "fee_fen", 0),
        "mailable": _flag(at, m, "mailable", True),
        "outlet_kinds": kinds,
        "unit_by_region": dict(sorted(routes.items())),
        "note": _text(at, m, "note", limit=_NOTE_MAX, empty_ok=True),
    }
    try:
        return msgspec.convert(data, CatalogueItem)
    except msgspec.ValidationError as exc:  # the wire type's own checks, as a safety net
        message, _, path = str(exc).partition(" - at `$")
        raise CatalogueError(at.where + path.rstrip("`"), message, at.line()) from None
    except ValueError as exc:
        raise CatalogueError(at.where, str(exc), at.line()) from None


def _check(doc: Any) -> Catalogue:
    top = _At("catalogue", doc)
    if doc is None:
        top.fail("the file is empty; expected version, departments and items")
    m = _mapping(top, doc, ("version", "departments", "items"), ("city",))
    version = m["version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        top.fail(f"version must be a whole number from 1, got {_what(version)}", "version")
    city = _text(top, m, "city", limit=_NAME_MAX, empty_ok=True)

    departments_raw = _list(top, m, "departments") or []
    departments: dict[str, Department] = {}
    department_at: dict[str, str] = {}
    unit_at: dict[str, str] = {}
    for i, value in enumerate(departments_raw):
        at = _At(f"departments[{i}]", value)
        dm = _mapping(at, value, ("code", "name"), ("units",))
        code = _code(at, dm["code"], "code", "code")
        if code in departments:
            at.fail(
                f"duplicate department code '{code}' (already at {department_at[code]})", "code"
            )
        department_at[code] = at.where
        name = _text(at, dm, "name", limit=_NAME_MAX, empty_ok=False)
        units = _check_units(at, dm.get("units"), code, unit_at)
        departments[code] = Department(code=code, name=name, units=units)
    unit_names = {u.code: u.name for d in departments.values() for u in d.units}

    items_raw = _list(top, m, "items") or []
    items: list[CatalogueItem] = []
    item_at: dict[str, str] = {}
    for i, value in enumerate(items_raw):
        item = _check_item(i, value, departments, unit_names)
        if item.code in item_at:
            raise CatalogueError(
                f"items[{i}] ({item.code})",
                f"duplicate item code '{item.code}' (already at {item_at[item.code]})",
                _At("", value).line("code"),
            )
        item_at[item.code] = f"items[{i}]"
        items.append(item)
    return Catalogue(
        version=version, city=city, departments=tuple(departments.values()), items=tuple(items)
    )


# --- public functions --------------------------------------------------------------------------


def load_catalogue(text: str) -> Catalogue:
    """Parse and check a catalogue file's text; raises :class:`CatalogueError` on any problem."""
    return _check(_parse(text))


def load_catalogue_file(path: str | PathLike[str]) -> Catalogue:
    """Read (UTF-8, with or without a byte-order mark) and check a catalogue file."""
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CatalogueError(
            "file",
            f"not UTF-8 text (byte {exc.start}); save the file as UTF-8",
        ) from None
    return load_catalogue(text)


def sample_catalogue() -> Catalogue:
    """The sample catalogue shipped with the hub (成都市, sample data)."""
    text = resources.files("hub.data").joinpath("catalogue.yaml").read_text(encoding="utf-8")
    return load_catalogue(text)


def _material(m: MaterialSpec) -> dict[str, Any]:
    return {"code": m.code, "name": m.name, "required": m.required, "may_promise": m.may_promise}


def export_items(cat: Catalogue) -> list[dict[str, Any]]:
    """The items as JSON-ready dicts, routes merged (the ``items`` of ``catalogue.updated``)."""
    return [
        {
            "code": i.code,
            "name": i.name,
            "department": i.department,
            "promised_days": i.promised_days,
            "legal_days": i.legal_days,
            "fee_fen": i.fee_fen,
            "mailable": i.mailable,
            "outlet_kinds": list(i.outlet_kinds),
            "materials": [_material(m) for m in i.materials],
            "unit_by_region": dict(i.unit_by_region),
            "note": i.note,
        }
        for i in cat.items
    ]


class _Flow(dict):
    """A mapping dumped on one line."""


class _FlowList(list):
    """A list dumped on one line."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key, as people write them by hand.
        super().increase_indent(flow, False)


_Dumper.add_representer(
    _Flow, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True)
)
_Dumper.add_representer(
    _FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True)
)

_HEADER = (
    "# Daiban service catalogue. Edit, then: daiban-hub catalogue import FILE\n"
    "# Format: docs/catalogue.md. promised_days and legal_days are working days; fee_fen is\n"
    "# in fen (100 fen = 1 yuan); may_promise marks materials that may be promised (容缺).\n"
)


def dump_catalogue(cat: Catalogue) -> str:
    """The catalogue as YAML that :func:`load_catalogue` reads back to an equal catalogue.

    Items keep only the routes that differ from their department's units (their overrides).
    """
    departments = {d.code: d for d in cat.departments}
    items = []
    for i in cat.items:
        routes = departments[i.department].routes() if i.department in departments else {}
        overrides = {r: u for r, u in i.unit_by_region.items() if routes.get(r) != u}
        entry: dict[str, Any] = {
            "code": i.code,
            "name": i.name,
            "department": i.department,
            "promised_days": i.promised_days,
            "legal_days": i.legal_days,
            "fee_fen": i.fee_fen,
            "mailable": i.mailable,
            "outlet_kinds": _FlowList(i.outlet_kinds),
            "materials": [_Flow(_material(m)) for m in i.materials],
        }
        if overrides:
            entry["unit_by_region"] = overrides
        if i.note:
            entry["note"] = i.note
        items.append(entry)
    doc = {
        "version": cat.version,
        "city": cat.city,
        "departments": [
            {
                "code": d.code,
                "name": d.name,
                "units": [
                    {"code": u.code, "name": u.name, "regions": _FlowList(u.regions)}
                    for u in d.units
                ],
            }
            for d in cat.departments
        ],
        "items": items,
    }
    body = yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100, indent=2)
    return _HEADER + body
