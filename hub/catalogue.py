"""The hub's service catalogue: the YAML file a clerk edits, checked and turned into wire items.

The file names departments, their units and the regions each unit serves, and the service
items outlets may accept. Loading it checks everything a clerk could get wrong (syntax, typos in
keys, wrong types, duplicate codes, unknown departments and units, promised days beyond the
legal limit, bad division codes) and refuses the whole file with a :class:`CatalogueError` that
says where the problem is. Nothing is returned for a file with any error.

The file's shape (keys, types, limits) is the msgspec structs below (``_File`` and the rest):
msgspec checks it, and :func:`_explain` alone turns its complaint into the file's words and
place. Only what msgspec cannot say (unique codes, references between entries, promised_days
against legal_days) is checked by hand, after it.

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
from typing import Annotated, Any

import msgspec
import yaml
from msgspec import Meta

from hub.errors import HubError
from sync.catalogue import OUTLET_KINDS, CatalogueItem, OutletKind
from sync.records import CatalogueUpdated
from sync.types import Code, Count, Name, ShortText, Version

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


# --- the file's shape, checked by msgspec -------------------------------------------------------

# A region: a 6-digit division code or "*" (the default). An unquoted code reads as a number in
# YAML; it is unambiguous, so it is accepted.
_Region = (
    Annotated[str, Meta(pattern=r"^(\*|[0-9]{6})$")] | Annotated[int, Meta(ge=100_000, le=999_999)]
)
_Title = Annotated[Name, Meta(pattern=r"\S")]  # a name, and not blank
_City = Annotated[str, Meta(max_length=100)]


class _Shape(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A mapping of the file, its keys in the order an unknown key's message lists them."""


class _MaterialFile(_Shape):
    code: Code
    name: _Title
    required: bool = True
    may_promise: bool = False


class _ItemFile(_Shape):
    code: Code
    name: _Title
    department: Code
    promised_days: Count
    legal_days: Count
    fee_fen: Count = 0
    mailable: bool = True
    outlet_kinds: Annotated[tuple[OutletKind, ...], Meta(min_length=1)] = OUTLET_KINDS
    materials: tuple[_MaterialFile, ...] = ()
    unit_by_region: dict[_Region, str] = {}  # the item's own routes, over its department's
    note: ShortText = ""


class _UnitFile(_Shape):
    code: Code
    name: _Title
    regions: tuple[_Region, ...] = ()


class _DepartmentFile(_Shape):
    code: Code
    name: _Title
    units: tuple[_UnitFile, ...] = ()


class _File(_Shape):
    version: Version
    departments: tuple[_DepartmentFile, ...]
    items: tuple[_ItemFile, ...]
    city: _City = ""


def _without_nulls(value: Any) -> Any:
    """The parsed file without empty values (``key:`` and nothing), which read as absent."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _fits(value: Any, kind: Any) -> bool:
    try:
        msgspec.convert(value, kind)
    except msgspec.ValidationError:
        return False
    return True


# --- where a problem is, and msgspec's complaints in the catalogue's words ---------------------

_LISTS: dict[str, type[_Shape]] = {
    "departments": _DepartmentFile,
    "units": _UnitFile,
    "items": _ItemFile,
    "materials": _MaterialFile,
}
_SEGMENT = re.compile(r"\.(\w+)|\[(\d+)\]|\[\.\.\.\]")  # msgspec's `$.items[3].x[...]`


@dataclass(frozen=True)
class _Place:
    """A mapping of the file (or what stands where one should), named for error messages."""

    where: str
    node: Any
    shape: type[_Shape]
    rest: list[Any]  # the rest of the path, into the mapping

    def error(self, problem: str, key: Any = None) -> CatalogueError:
        """The error for a problem here, on the line of ``key`` if it has one."""
        node = self.node
        line = node.key_lines.get(key) if isinstance(node, _Map) else None
        return CatalogueError(self.where, problem, line or getattr(node, "line", None))


def _place(doc: Any, path: list[Any]) -> _Place:
    """The mapping a path (``["items", 3, "materials", 0, "code"]``) leads to."""
    node, names = doc, []
    shape: type[_Shape] = _File
    while len(path) > 1 and path[0] in _LISTS and isinstance(path[1], int):
        name, index, path = path[0], path[1], path[2:]
        node, shape = node[name][index], _LISTS[name]
        label = f"{name}[{index}]"
        if name == "items" and isinstance(node, dict) and _fits(node.get("code"), Code):
            label += f" ({node['code']})"  # name the item in every message
        names.append(label)
    return _Place(".".join(names) or "catalogue", node, shape, path)


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


def _region(value: Any) -> str:
    text = isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
    return (
        f"region {repr(str(value)) if text else _what(value)} is not a 6-digit division code or '*'"
    )


_EXPECTED = {"int": "a whole number", "str": "text", "bool": "true or false", "array": "a list"}
_CODES = ("code", "department")


def _words(key: str, value: Any, message: str) -> str:
    """What msgspec's ``message`` about the ``value`` of ``key`` means, in the file's words."""
    if found := re.match(r"Expected `(\w+)`, got", message):
        expected = "a mapping" if found[1] == "object" else _EXPECTED.get(found[1], found[1])
        if key == "version":
            expected += " from 1"
        elif key in _CODES and isinstance(value, int | float):
            expected += " (write it in quotes)"
        return f"{key} must be {expected}, got {_what(value)}"
    if found := re.search(r"`int` >= (\d+)", message):
        if found[1] == "0":
            return f"{key} must not be negative, got {value}"
        return f"{key} must be a whole number from {found[1]}, got {_what(value)}"
    if found := re.search(r"`str` of length <= (\d+)", message):
        return f"{key} is {len(value)} characters long; at most {found[1]}"
    if "`array` of length >= 1" in message:  # only outlet_kinds may not be empty
        return f"{key} is empty: no outlet could accept the item"
    if key in _CODES:
        return (
            f"{key} {value!r} is not a code: use letters, digits, '_', '.' and '-', "
            "starting with a letter or digit, at most 64 characters"
        )
    return f"{key} is blank" if "`str`" in message else f"{key}: {message}"  # a name


def _explain(exc: msgspec.ValidationError, doc: Any) -> CatalogueError:
    """The one translation of msgspec's complaint about the file's shape (``Expected `int`, got
    `str` - at `$.items[3].legal_days```) into where it is in the file and what is wrong."""
    message, _, at = str(exc).partition(" - at ")
    place = _place(doc, [n or (int(i) if i else None) for n, i in _SEGMENT.findall(at)])
    node, rest = place.node, place.rest
    if not rest:  # the mapping itself
        allowed = place.shape.__struct_fields__
        if found := re.fullmatch(r"Object missing required field `(.*)`", message):
            key = found[1]
            return place.error(f"'{key}' is empty" if key in node else f"missing key '{key}'", key)
        found = re.fullmatch(r"Object contains unknown field `(.*)`", message)
        if found or at.startswith("`key` in "):
            key = found[1] if found else next(k for k in node if not isinstance(k, str))
            hint = difflib.get_close_matches(str(key), allowed, n=1)
            suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
            return place.error(
                f"unknown key {key!r}{suggestion} (allowed: {', '.join(allowed)})", key
            )
        return place.error(f"must be a mapping of 'key: value' lines, got {_what(node)}")
    key, value = rest[0], node[rest[0]]
    if at.startswith("`key` in "):  # of unit_by_region
        return place.error(_region(next(r for r in value if not _fits(r, _Region))), key)
    if rest[1:] == [None]:  # a value of unit_by_region
        region, unit = next((r, u) for r, u in value.items() if not isinstance(u, str))
        return place.error(
            f"{key}['{region}'] must be text (write it in quotes), got {_what(unit)}", key
        )
    if len(rest) == 2 and key == "regions":
        return place.error(_region(value[rest[1]]), key)
    if len(rest) == 2 and key == "outlet_kinds":
        kind = value[rest[1]]
        return place.error(f"outlet kind {kind!r} is not one of {', '.join(OUTLET_KINDS)}", key)
    return place.error(
        _words(key, value, message) if len(rest) == 1 else f"{message} (at {at})", key
    )


# --- what msgspec cannot say: codes unique, references found, limits between fields ------------


def _departments(file: _File, doc: Any) -> dict[str, Department]:
    departments: dict[str, Department] = {}
    unit_at: dict[str, str] = {}
    for i, d in enumerate(file.departments):
        at = _place(doc, ["departments", i])
        if d.code in departments:
            k = list(departments).index(d.code)
            raise at.error(
                f"duplicate department code '{d.code}' (already at departments[{k}])", "code"
            )
        units: list[Unit] = []
        served: dict[str, str] = {}
        for j, u in enumerate(d.units):
            uat = _place(doc, ["departments", i, "units", j])
            if u.code in unit_at:
                raise uat.error(
                    f"duplicate unit code '{u.code}' (already at {unit_at[u.code]})", "code"
                )
            unit_at[u.code] = uat.where
            regions = tuple(str(r) for r in u.regions)
            for k, region in enumerate(regions):
                if region in regions[:k]:
                    raise uat.error(f"region '{region}' is listed twice", "regions")
                if region in served:
                    raise uat.error(
                        f"region '{region}' is already served by unit '{served[region]}' "
                        f"of department '{d.code}'",
                        "regions",
                    )
                served[region] = u.code
            units.append(Unit(code=u.code, name=u.name, department=d.code, regions=regions))
        departments[d.code] = Department(code=d.code, name=d.name, units=tuple(units))
    return departments


def _item(
    doc: Any,
    i: int,
    item: _ItemFile,
    departments: Mapping[str, Department],
    units: Mapping[str, str],
) -> CatalogueItem:
    at = _place(doc, ["items", i])
    department = departments.get(item.department)
    if department is None:
        raise at.error(f"unknown department '{item.department}'", "department")
    if item.promised_days > item.legal_days:
        raise at.error(
            f"promised_days {item.promised_days} exceeds legal_days {item.legal_days}",
            "promised_days",
        )
    for k, kind in enumerate(item.outlet_kinds):
        if kind in item.outlet_kinds[:k]:
            raise at.error(f"outlet kind '{kind}' is listed twice", "outlet_kinds")
    codes: dict[str, int] = {}
    for k, code in enumerate(m.code for m in item.materials):
        if code in codes:
            raise _place(doc, ["items", i, "materials", k]).error(
                f"material code '{code}' already used by materials[{codes[code]}]", "code"
            )
        codes[code] = k
    routes = department.routes()
    for region, unit in item.unit_by_region.items():
        if unit not in units:
            raise at.error(
                f"unit_by_region['{region}'] names unknown unit '{unit}'", "unit_by_region"
            )
        routes[str(region)] = unit
    data = msgspec.to_builtins(item) | {"unit_by_region": dict(sorted(routes.items()))}
    try:
        return msgspec.convert(data, CatalogueItem)
    except (msgspec.ValidationError, ValueError) as exc:  # the wire type's own checks, a safety net
        raise at.error(str(exc)) from None


def _check(doc: Any) -> Catalogue:
    if doc is None:
        raise CatalogueError(
            "catalogue", "the file is empty; expected version, departments and items"
        )
    try:
        file = msgspec.convert(_without_nulls(doc), _File)
    except msgspec.ValidationError as exc:
        raise _explain(exc, doc) from None
    departments = _departments(file, doc)
    units = {u.code: u.name for d in departments.values() for u in d.units}
    items: dict[str, CatalogueItem] = {}
    for i, entry in enumerate(file.items):
        item = _item(doc, i, entry, departments, units)
        if item.code in items:
            k = list(items).index(item.code)
            raise _place(doc, ["items", i]).error(
                f"duplicate item code '{item.code}' (already at items[{k}])", "code"
            )
        items[item.code] = item
    return Catalogue(
        version=file.version,
        city=file.city,
        departments=tuple(departments.values()),
        items=tuple(items.values()),
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


def export_items(cat: Catalogue) -> list[dict[str, Any]]:
    """The items as JSON-ready dicts, routes merged (the ``items`` of ``catalogue.updated``)."""
    items: list[dict[str, Any]] = msgspec.json.decode(msgspec.json.encode(cat.items))
    return items


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
            "materials": [_Flow(msgspec.to_builtins(m)) for m in i.materials],
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
