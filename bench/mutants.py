"""Mutation testing of the hub's permission checks: does removing or bending a check make a
test fail?

mutmut 3 runs over the workflow and the cases (``[tool.mutmut]`` of pyproject.toml; it is a
tool for occasional runs, not in the locks: in a venv of its own with the test lock,
``pip install mutmut==3.8.1``, then ``pip install --no-deps -e .`` and ``mutmut run`` in a
copy of the checkout). It never mutates a decorated function, so it cannot reach the checks
inside the Flask views (``@bp.post(...)``, ``@requires(...)``, ``@role_required(...)``) nor
the role lists of those decorators, and a call made when a module is imported (the
workflow's table) runs before its mutant is switched on. This runner does both, one
mutation at a time, honestly:

* it copies the checkout (``hub``, ``sync``, ``agent``, ``tests``, ``docs``, ``pyproject.toml``,
  ``README.md``) into a temporary folder, and only ever writes there: the checkout's own files
  are read, never written;
* in each target function (see ``PLAN``) it finds the mutation sites, in one of two modes:
  ``all`` for functions that are a check and nothing else (every site), ``checks`` for views
  that do other work too (only sites whose code names a role, a unit, an outlet, a device's
  revocation, a visibility check...); the mutations are:

  - ``cmp``: a comparison flipped (``==``/``!=``, ``in``/``not in``, ``is``/``is not``,
    ``<``/``>=``, ``<=``/``>``);
  - ``bool``: ``and``/``or`` swapped; ``not``: a negation dropped;
  - ``if``: an ``if`` whose test is replaced by ``False`` (the check deleted);
  - ``raise``, ``abort``: the statement deleted (``pass``); ``return``: the value replaced
    by ``None``; ``const``: ``True``/``False`` swapped;
  - ``unwrap``: ``visible(app, user)`` replaced by ``app`` (the visibility check skipped);
  - ``call``: a bare check statement such as ``visible(app_id)`` deleted;
  - ``roles+``: a decorator's roles widened to every role (the role check removed);
    ``roles-``: one role dropped from it;

* it rewrites the function with ``ast.unparse`` (the rest of the file stays byte for byte),
  first unmutated (the baseline must pass), then once per mutant, and runs the target's tests
  in the copy (``python -m pytest -x``, bytecode off so no stale ``.pyc`` is ever run) with a
  timeout: a mutant is killed when a test fails or it times out, survived when all pass;
* it prints made / killed / survived per module, then each survivor with its diff.

    .venv/bin/python bench/mutants.py                      # the whole plan
    .venv/bin/python bench/mutants.py --list               # the mutants, running nothing
    .venv/bin/python bench/mutants.py --only hub/api/ratings.py:resolve_followup
    .venv/bin/python bench/mutants.py --target hub/ingest.py:_own_application:all \\
        --tests tests/hub/test_permissions.py

Exit status 0 when no mutant survived, 1 otherwise.
"""

from __future__ import annotations

import argparse
import ast
import copy
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("hub", "sync", "agent", "webbase", "tests", "docs", "pyproject.toml", "README.md")
ROLES = ("admin", "operator", "officer")
ROLE_DECORATORS = ("requires", "role_required")
# In "checks" mode, a site is mutated only when its code says one of these.
CHECK_WORDS = re.compile(
    r"role|\bunit\b|\[.unit.\]|outlet|visible\(|\bmay\(|REVEAL_ROLES|STAFF_ROLES|ALL_ROLES"
    r"|revoked|disabled|\bdevice\b|\[.device.\]|_own_application|abort\(40[34]\)"
)
UNWRAP = ("visible",)  # check(x) -> x: the check skipped, x passed on
BARE_CHECKS = ("visible", "_visible", "authenticate", "abort")  # statements that only check

API_TESTS = (
    "tests/hub/test_permissions.py",
    "tests/hub/test_e2e_sync.py",
    "tests/hub/test_e2e_delivery.py",
)
PAGE_TESTS = (
    "tests/hub/web/test_permissions_pages.py",
    "tests/hub/web/test_operations.py",
    "tests/hub/web/test_pages.py",
)
SYNC_TESTS = (
    "tests/hub/test_permissions.py",
    "tests/hub/test_e2e_sync.py",
    "tests/hub/test_holes_sync.py",
    "tests/hub/test_push_order.py",
)


@dataclass(frozen=True)
class Target:
    """Functions of one module to mutate (name -> "all" or "checks") and the tests to run."""

    path: str
    functions: dict[str, str]
    tests: tuple[str, ...]


def _modes(all_: str = "", checks: str = "") -> dict[str, str]:
    out = {name: "all" for name in all_.split()}
    out.update({name: "checks" for name in checks.split()})
    return out


PLAN = (
    Target(
        "hub/casework.py",
        _modes("in_view visible queue_unit may_reveal check_version role_of", "reveal carry_out"),
        API_TESTS,
    ),
    Target("hub/api/auth.py", _modes("requires role"), API_TESTS),
    Target(
        "hub/api/applications.py",
        _modes("", "list_applications show_application act triage"),
        API_TESTS,
    ),
    Target("hub/api/devices.py", _modes("", "list_devices quarantine"), API_TESTS),
    Target("hub/api/audit.py", _modes("", "audit_log"), API_TESTS),
    Target("hub/api/alarms.py", _modes("", "alarms"), API_TESTS),
    Target(
        "hub/api/stats.py",
        _modes("", "queue_stats statistics statistics_csv statistics_daily"),
        API_TESTS,
    ),
    Target(
        "hub/api/shipments.py",
        _modes(
            "_shipment",
            "post_shipment list_shipments show_shipment manual_event carrier_webhook",
        ),
        API_TESTS,
    ),
    Target(
        "hub/api/ratings.py",
        _modes("", "list_followups resolve_followup exclude_rating"),
        API_TESTS,
    ),
    Target("hub/ratings.py", _modes("followup_for"), API_TESTS),
    Target("webbase/sessions.py", _modes("role_required login_required"), PAGE_TESTS),
    Target(
        "hub/web/views.py",
        _modes(
            "visible page_actions may",
            "load_user home dashboard queue render_application application act"
            " reveal_personal statistics statistics_csv",
        ),
        PAGE_TESTS,
    ),
    Target(
        "hub/web/operations.py",
        _modes(
            "send_back back_to device_or_404",
            "devices_page enrol revoke post_shipment to_outlet shipment_event resolve_followup",
        ),
        PAGE_TESTS,
    ),
    Target(
        "hub/ingest.py",
        _modes("_own_application _check_receipt_tag", "_check_create"),
        SYNC_TESTS,
    ),
    Target(
        "hub/api/sync.py", _modes("_check_previous", "_verify _apply_push _predecessor"), SYNC_TESTS
    ),
    Target("hub/store/devices.py", _modes("former_tags"), SYNC_TESTS),
)


# --- finding mutation sites ------------------------------------------------------------------

_FLIP: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.Lt: ast.GtE,
    ast.GtE: ast.Lt,
    ast.LtE: ast.Gt,
    ast.Gt: ast.LtE,
}


@dataclass
class Slot:
    """Where a node sits: ``parent.<name>`` or ``parent.<name>[index]``."""

    parent: ast.AST
    name: str
    index: int | None

    def get(self) -> ast.AST:
        value = getattr(self.parent, self.name)
        return value if self.index is None else value[self.index]

    def set(self, node: ast.AST) -> None:
        if self.index is None:
            setattr(self.parent, self.name, node)
        else:
            getattr(self.parent, self.name)[self.index] = node


def _slots(node: ast.AST) -> Iterator[Slot]:
    """Every node under ``node``, depth first in field order (the same for a deep copy)."""
    for name, value in ast.iter_fields(node):
        if isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, ast.AST):
                    yield Slot(node, name, index)
                    yield from _slots(item)
        elif isinstance(value, ast.AST):
            yield Slot(node, name, None)
            yield from _slots(value)


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _is_pass_able(slot: Slot) -> bool:
    """A statement in a list of statements, which ``pass`` may replace."""
    return slot.index is not None and slot.name in ("body", "orelse", "finalbody")


Edit = Callable[[Slot], None]


def _flip(i: int) -> Edit:
    def edit(slot: Slot) -> None:
        node = slot.get()
        assert isinstance(node, ast.Compare)
        node.ops[i] = _FLIP[type(node.ops[i])]()

    return edit


def _swap_bool(slot: Slot) -> None:
    node = slot.get()
    assert isinstance(node, ast.BoolOp)
    node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()


def _drop_not(slot: Slot) -> None:
    node = slot.get()
    assert isinstance(node, ast.UnaryOp)
    slot.set(node.operand)


def _never(slot: Slot) -> None:
    node = slot.get()
    assert isinstance(node, ast.If)
    node.test = ast.Constant(False)


def _delete(slot: Slot) -> None:
    slot.set(ast.Pass())


def _return_none(slot: Slot) -> None:
    node = slot.get()
    assert isinstance(node, ast.Return)
    node.value = ast.Constant(None)


def _negate_constant(slot: Slot) -> None:
    node = slot.get()
    assert isinstance(node, ast.Constant)
    slot.set(ast.Constant(not node.value))


def _unwrap(slot: Slot) -> None:
    node = slot.get()
    assert isinstance(node, ast.Call)
    slot.set(node.args[0])


def _set_args(args: Callable[[list[ast.expr]], list[ast.expr]]) -> Edit:
    def edit(slot: Slot) -> None:
        node = slot.get()
        assert isinstance(node, ast.Call)
        node.args = args(node.args)

    return edit


def _edits(slot: Slot, mode: str, source: str) -> Iterator[tuple[str, Edit]]:
    """(description, edit) for each mutation of the node in ``slot``."""
    node = slot.get()
    text = ast.get_source_segment(source, node) or ""
    relevant = mode == "all" or bool(CHECK_WORDS.search(text))
    if isinstance(node, ast.Compare) and relevant:
        for i, op in enumerate(node.ops):
            if type(op) in _FLIP:
                yield f"cmp {type(op).__name__}->{_FLIP[type(op)].__name__}", _flip(i)
    elif isinstance(node, ast.BoolOp) and relevant:
        other = "Or" if isinstance(node.op, ast.And) else "And"
        yield f"bool {type(node.op).__name__}->{other}", _swap_bool
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not) and relevant:
        yield "not dropped", _drop_not
    elif isinstance(node, ast.If):
        test = ast.get_source_segment(source, node.test) or ""
        if mode == "all" or CHECK_WORDS.search(test):
            yield "if -> False", _never
    elif isinstance(node, ast.Raise) and mode == "all" and _is_pass_able(slot):
        yield "raise deleted", _delete
    elif isinstance(node, ast.Return) and mode == "all" and node.value is not None:
        if not (isinstance(node.value, ast.Constant) and node.value.value is None):
            yield "return None", _return_none
    elif isinstance(node, ast.Constant) and isinstance(node.value, bool) and mode == "all":
        yield f"const {node.value}->{not node.value}", _negate_constant
    elif isinstance(node, ast.Call) and _name(node.func) in UNWRAP and node.args:
        yield f"unwrap {_name(node.func)}()", _unwrap
    elif (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and _name(node.value.func) in BARE_CHECKS
        and _is_pass_able(slot)
        and (relevant or _name(node.value.func) == "abort")
    ):
        yield f"call {_name(node.value.func)}() deleted", _delete


def _role_edits(node: ast.AST) -> Iterator[tuple[str, Edit]]:
    """A role-checking decorator: its roles widened to all, or one of them dropped."""
    if not (isinstance(node, ast.Call) and _name(node.func) in ROLE_DECORATORS):
        return
    args = node.args
    if len(args) == 1 and isinstance(args[0], ast.Starred):
        name = _name(args[0].value)
        if name != "ALL_ROLES":
            every = ast.Starred(ast.Name("ALL_ROLES", ast.Load()), ast.Load())
            yield f"roles+ *{name} -> *ALL_ROLES", _set_args(lambda _args: [every])
        return
    roles = [str(a.value) for a in args if isinstance(a, ast.Constant)]
    if set(roles) != set(ROLES):
        yield (
            f"roles+ {','.join(roles)} -> {','.join(ROLES)}",
            _set_args(lambda _args: [ast.Constant(r) for r in ROLES]),
        )
    if len(args) > 1:
        for i, role in enumerate(roles):
            yield f"roles- {role}", _set_args(_without(i))


def _without(i: int) -> Callable[[list[ast.expr]], list[ast.expr]]:
    return lambda args: args[:i] + args[i + 1 :]


# --- mutants ---------------------------------------------------------------------------------


@dataclass
class Mutant:
    path: str
    function: str
    line: int
    what: str
    text: str  # the whole mutated module
    diff: str = ""
    outcome: str = ""  # killed, survived, timeout
    seconds: float = 0.0
    failed: str = ""  # the first failing test


@dataclass
class Module:
    target: Target
    source: str
    identity: str  # every target function rewritten by ast.unparse, unmutated
    mutants: list[Mutant] = field(default_factory=list)


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    out: dict[str, ast.FunctionDef] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            out[node.name] = node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    out[f"{node.name}.{item.name}"] = item
    return out


def _span(node: ast.FunctionDef) -> tuple[int, int]:
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    assert node.end_lineno is not None
    return first, node.end_lineno


def _replace(lines: list[str], spans: dict[tuple[int, int], str]) -> str:
    """The module with each (first, last) line span replaced by its text (bottom up)."""
    out = list(lines)
    for (first, last), text in sorted(spans.items(), reverse=True):
        out[first - 1 : last] = [text]
    return "".join(out)


def _unparsed(node: ast.FunctionDef) -> str:
    indent = " " * node.col_offset
    body = ast.unparse(node)
    return "".join(f"{indent}{line}\n" if line else "\n" for line in body.split("\n"))


def build(target: Target) -> Module:
    source = (ROOT / target.path).read_text(encoding="utf-8")
    lines = source.splitlines(keepends=True)
    tree = ast.parse(source)
    found = _functions(tree)
    missing = [name for name in target.functions if name not in found]
    if missing:
        raise SystemExit(f"{target.path}: no function {', '.join(missing)}")
    spans = {_span(found[name]): _unparsed(found[name]) for name in target.functions}
    module = Module(target, source, _replace(lines, spans))
    for name, mode in target.functions.items():
        func = found[name]
        seen: set[str] = set()
        inside = {id(n) for d in func.decorator_list for n in ast.walk(d)}
        for k, slot in enumerate(_slots(func)):
            node = slot.get()
            if slot.parent is func and slot.name == "decorator_list":
                edits = _role_edits(node)
            elif id(node) in inside:
                continue  # the decorators' own arguments: only the roles are mutated
            else:
                edits = _edits(slot, mode, source)
            for what, edit in edits:
                mutated = copy.deepcopy(func)
                edit(list(_slots(mutated))[k])
                ast.fix_missing_locations(mutated)
                text = _unparsed(mutated)
                if text in seen or text == spans[_span(func)]:
                    continue  # the same function as another mutant, or as the original
                seen.add(text)
                whole = _replace(lines, {**spans, _span(func): text})
                diff = "".join(
                    difflib.unified_diff(
                        spans[_span(func)].splitlines(keepends=True),
                        text.splitlines(keepends=True),
                        f"a/{target.path}",
                        f"b/{target.path}",
                        n=1,
                    )
                )
                line = getattr(slot.get(), "lineno", func.lineno)
                module.mutants.append(Mutant(target.path, name, line, what, whole, diff))
    return module


# --- running ---------------------------------------------------------------------------------


def make_copy() -> Path:
    work = Path(tempfile.mkdtemp(prefix="daiban-mutants-"))
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, work / name, ignore=ignore)
        elif src.exists():
            shutil.copy2(src, work / name)
    return work


def _env(work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(work)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # a .pyc of another mutant is never run
    return env


def check_copy_is_imported(work: Path) -> None:
    """The copy's packages, not the checkout's (installed editable), must be the ones run."""
    found = subprocess.run(
        [sys.executable, "-c", "import hub, sync; print(hub.__file__); print(sync.__file__)"],
        cwd=work,
        env=_env(work),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    if not all(Path(p).resolve().is_relative_to(work.resolve()) for p in found):
        raise SystemExit(f"the copy in {work} is not what Python imports: {found}")


_FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.M)


def run_tests(work: Path, tests: tuple[str, ...], timeout: float) -> tuple[str, float, str]:
    """(outcome, seconds, first failure): 'passed', 'failed' or 'timeout'."""
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    start = time.monotonic()
    try:
        done = subprocess.run(
            command, cwd=work, env=_env(work), capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return "timeout", time.monotonic() - start, ""
    seconds = time.monotonic() - start
    if done.returncode == 0:
        return "passed", seconds, ""
    failed = _FAILED.search(done.stdout)
    return "failed", seconds, failed.group(1) if failed else f"exit {done.returncode}"


def run_module(work: Path, module: Module, *, timeout: float | None, verbose: bool) -> None:
    target = module.target
    path = work / target.path
    try:
        path.write_text(module.identity, encoding="utf-8")
        outcome, baseline, failed = run_tests(work, target.tests, timeout or 900)
        if outcome != "passed":
            raise SystemExit(f"{target.path}: the unmutated baseline does not pass ({failed})")
        limit = timeout or max(60.0, 3 * baseline + 30)
        print(f"{target.path}: baseline passed in {baseline:.1f} s; timeout {limit:.0f} s")
        for n, mutant in enumerate(module.mutants, 1):
            path.write_text(mutant.text, encoding="utf-8")
            outcome, mutant.seconds, mutant.failed = run_tests(work, target.tests, limit)
            mutant.outcome = {"failed": "killed", "passed": "survived"}.get(outcome, outcome)
            print(
                f"  [{n}/{len(module.mutants)}] {mutant.outcome:8} {target.path}:{mutant.line}"
                f" {mutant.function}: {mutant.what} ({mutant.seconds:.0f} s)"
                + (f" by {mutant.failed}" if verbose and mutant.failed else ""),
                flush=True,
            )
    finally:
        path.write_text(module.source, encoding="utf-8")


def _select(plan: tuple[Target, ...], only: list[str]) -> tuple[Target, ...]:
    if not only:
        return plan
    out = []
    for target in plan:
        names = {
            name
            for name in target.functions
            if any(o in (target.path, f"{target.path}:{name}", f":{name}") for o in only)
        }
        if names:
            out.append(Target(target.path, {n: target.functions[n] for n in names}, target.tests))
    if not out:
        raise SystemExit(f"nothing in the plan matches {only}")
    return tuple(out)


def _target(spec: str, tests: list[str]) -> Target:
    """``path:function[:mode]``, mode all (default) or checks."""
    path, function, *mode = spec.split(":")
    return Target(path, {function: mode[0] if mode else "all"}, tuple(tests))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument(
        "--only", action="append", default=[], help="path, path:function or :function"
    )
    parser.add_argument("--target", action="append", default=[], help="path:function[:mode]")
    parser.add_argument("--tests", action="append", default=[], help="tests for --target")
    parser.add_argument("--timeout", type=float, help="seconds per mutant (default: 3x baseline)")
    parser.add_argument("--diffs", action="store_true", help="print every mutant's diff")
    parser.add_argument("-v", "--verbose", action="store_true", help="name the killing test")
    args = parser.parse_args()
    if args.target:
        plan = tuple(_target(spec, args.tests or list(API_TESTS)) for spec in args.target)
    else:
        plan = _select(PLAN, args.only)
    modules = [build(target) for target in plan]
    if args.list:
        for module in modules:
            for m in module.mutants:
                print(f"{m.path}:{m.line} {m.function}: {m.what}")
                if args.diffs:
                    print(m.diff)
        print(f"{sum(len(m.mutants) for m in modules)} mutants")
        return 0
    work = make_copy()
    try:
        check_copy_is_imported(work)
        for module in modules:
            run_module(work, module, timeout=args.timeout, verbose=args.verbose)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\nmodule                     made  killed  survived  timeout")
    total = {"made": 0, "killed": 0, "survived": 0, "timeout": 0}
    for module in modules:
        counts = {k: sum(m.outcome == k for m in module.mutants) for k in total if k != "made"}
        counts["made"] = len(module.mutants)
        for k in total:
            total[k] += counts[k]
        print(
            f"{module.target.path:26} {counts['made']:4}  {counts['killed']:6}  "
            f"{counts['survived']:8}  {counts['timeout']:7}"
        )
    print(
        f"{'total':26} {total['made']:4}  {total['killed']:6}  {total['survived']:8}"
        f"  {total['timeout']:7}"
    )
    survivors = [m for module in modules for m in module.mutants if m.outcome == "survived"]
    for m in survivors:
        print(f"\nSURVIVED {m.path}:{m.line} {m.function}: {m.what}\n{m.diff}")
    if args.diffs:
        for module in modules:
            for m in module.mutants:
                if m.outcome != "survived":
                    print(
                        f"\n{m.outcome.upper()} {m.path}:{m.line} {m.function}: {m.what}\n{m.diff}"
                    )
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
