"""hub.workflow: the application state graph, and docs/workflow.md staying true to it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from hub import workflow
from hub.workflow import (
    ACTIONS,
    CLOCK_PAUSED,
    CLOCK_RUNNING,
    LABELS,
    ROLES,
    STATES,
    ActionNotAllowed,
    IllegalTransition,
    UnknownAction,
    UnknownRole,
    UnknownState,
    allowed_actions,
    is_terminal,
    mermaid,
    next_state,
)
from sync import records

DOCS = Path(__file__).parent.parent.parent / "docs" / "workflow.md"

# The brief's table, written out independently of the module: (action, from, to, roles).
EXPECTED = [
    ("route", "received", "routed", {"system", "operator"}),
    ("route", "triage", "routed", {"system", "operator"}),
    ("triage", "received", "triage", {"system", "operator"}),
    ("return_to_triage", "routed", "triage", {"officer", "operator"}),
    ("accept", "routed", "accepted", {"officer"}),
    ("refuse", "routed", "rejected", {"officer"}),
    ("request_supplement", "accepted", "supplement_requested", {"officer"}),
    ("supplement", "supplement_requested", "accepted", {"outlet"}),
    ("approve", "accepted", "approved", {"officer"}),
    ("reject", "accepted", "rejected", {"officer"}),
    ("issue_result", "approved", "result_issued", {"officer"}),
    ("issue_result", "rejected", "result_issued", {"officer"}),
    ("ship", "result_issued", "mailed", {"operator", "officer", "system"}),
    ("ship", "returned", "mailed", {"operator", "officer", "system"}),
    ("to_outlet", "result_issued", "ready_for_pickup", {"system", "operator"}),
    ("to_outlet", "returned", "ready_for_pickup", {"system", "operator"}),
    ("deliver", "mailed", "delivered", {"carrier", "operator"}),
    ("return_mail", "mailed", "returned", {"carrier", "operator"}),
    ("hand_over", "ready_for_pickup", "delivered", {"outlet"}),
    ("close", "delivered", "closed", {"system", "operator"}),
]


def test_states_are_the_wire_statuses():
    assert STATES == (
        "received",
        "triage",
        "routed",
        "accepted",
        "supplement_requested",
        "approved",
        "rejected",
        "result_issued",
        "ready_for_pickup",
        "mailed",
        "delivered",
        "returned",
        "closed",
    )
    assert set(LABELS) == set(STATES)
    assert set(ROLES) == {"system", "operator", "officer", "outlet", "carrier"}


def test_states_are_the_protocol_statuses():
    assert STATES == records.STATUSES


def test_the_table_is_exactly_the_expected_one():
    actual = [
        (a.name, src, dst, set(a.roles)) for a in ACTIONS.values() for src, dst in a.moves.items()
    ]
    key = lambda row: (row[0], row[1])  # noqa: E731
    assert sorted(actual, key=key) == sorted(EXPECTED, key=key)


@pytest.mark.parametrize(
    ("action", "src", "dst", "role"),
    [(a, s, d, r) for a, s, d, roles in EXPECTED for r in sorted(roles)],
)
def test_every_listed_transition_works(action, src, dst, role):
    assert next_state(src, action, role) == dst
    assert action in allowed_actions(src, role)


@pytest.mark.parametrize(
    ("state", "action", "role", "allowed"),
    [
        ("supplement_requested", "approve", "officer", "accepted"),
        ("received", "accept", "officer", "routed"),
        ("accepted", "accept", "officer", "routed"),
        ("closed", "ship", "operator", "result_issued, returned"),
        ("approved", "ship", "system", "result_issued, returned"),
        ("accepted", "route", "operator", "received, triage"),
        ("rejected", "reject", "officer", "accepted"),
        ("delivered", "deliver", "carrier", "mailed"),
        ("mailed", "close", "system", "delivered"),
        ("accepted", "supplement", "outlet", "supplement_requested"),
        ("result_issued", "hand_over", "outlet", "ready_for_pickup"),
    ],
)
def test_illegal_transitions(state, action, role, allowed):
    with pytest.raises(IllegalTransition) as caught:
        next_state(state, action, role)
    err = caught.value
    assert isinstance(err, ValueError)
    assert (err.state, err.action) == (state, action)
    assert str(err) == f"cannot {action} an application that is {state}: allowed from {allowed}"


def test_illegal_transition_message_reads_well():
    with pytest.raises(IllegalTransition) as caught:
        next_state("supplement_requested", "approve", "officer")
    assert str(caught.value) == (
        "cannot approve an application that is supplement_requested: allowed from accepted"
    )
    assert caught.value.allowed == ("accepted",)


@pytest.mark.parametrize(
    ("state", "action", "role"),
    [
        ("accepted", "approve", "outlet"),
        ("accepted", "approve", "operator"),
        ("routed", "accept", "system"),
        ("supplement_requested", "supplement", "officer"),
        ("ready_for_pickup", "hand_over", "carrier"),
        ("mailed", "deliver", "outlet"),
        ("received", "route", "officer"),
        ("delivered", "close", "outlet"),
    ],
)
def test_wrong_role(state, action, role):
    with pytest.raises(ActionNotAllowed) as caught:
        next_state(state, action, role)
    assert isinstance(caught.value, ValueError)
    assert (caught.value.role, caught.value.action) == (role, action)
    assert role in str(caught.value) and action in str(caught.value)


def test_wrong_role_message_names_who_may():
    with pytest.raises(
        ActionNotAllowed, match=r"^the outlet role may not approve: only officer may$"
    ):
        next_state("accepted", "approve", "outlet")
    with pytest.raises(ActionNotAllowed, match=r"only system, operator, officer may$"):
        next_state("result_issued", "ship", "carrier")


def test_role_is_checked_before_state():
    with pytest.raises(ActionNotAllowed):
        next_state("closed", "approve", "outlet")


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: next_state("pending", "approve", "officer"), UnknownState),
        (lambda: next_state("accepted", "approval", "officer"), UnknownAction),
        (lambda: next_state("accepted", "approve", "clerk"), UnknownRole),
        (lambda: allowed_actions("Accepted", "officer"), UnknownState),
        (lambda: allowed_actions("accepted", "citizen"), UnknownRole),
        (lambda: is_terminal("archived"), UnknownState),
    ],
)
def test_unknown_names(call, error):
    with pytest.raises(error) as caught:
        call()
    assert isinstance(caught.value, ValueError)
    assert "unknown" in str(caught.value)


def test_allowed_actions():
    assert allowed_actions("accepted", "officer") == ["request_supplement", "approve", "reject"]
    assert allowed_actions("accepted", "outlet") == []
    assert allowed_actions("routed", "officer") == ["return_to_triage", "accept", "refuse"]
    assert allowed_actions("routed", "operator") == ["return_to_triage"]
    assert allowed_actions("returned", "operator") == ["ship", "to_outlet"]
    assert allowed_actions("mailed", "carrier") == ["deliver", "return_mail"]
    assert allowed_actions("closed", "operator") == []


def test_the_usual_action_comes_first_and_the_rare_ones_after_it():
    """Issue 16: officers were steered to the rare action (退回分派 before 受理, 要求补正 before
    准予办理) because the table's order put it first."""
    from hub.workflow import USUAL, ordered_actions, usual_action

    assert ordered_actions("routed", "officer") == ["accept", "return_to_triage", "refuse"]
    assert ordered_actions("accepted", "officer") == ["approve", "request_supplement", "reject"]
    assert ordered_actions("returned", "operator") == ["ship", "to_outlet"]
    assert ordered_actions("mailed", "carrier") == ["deliver", "return_mail"]
    assert ordered_actions("routed", "operator") == ["return_to_triage"]  # no usual: as it is
    assert ordered_actions("closed", "operator") == []
    assert usual_action("routed", "officer") == "accept"
    assert usual_action("accepted", "officer") == "approve"
    assert usual_action("routed", "operator") is None  # only the rare one is open to it
    assert usual_action("closed", "operator") is None
    with pytest.raises(UnknownState):
        ordered_actions("nowhere", "officer")
    with pytest.raises(UnknownRole):
        usual_action("routed", "nobody")
    # Every state but the last has its usual action, one that leads out of it.
    assert set(USUAL) == {s for s in STATES if not is_terminal(s)}
    for state, action in USUAL.items():
        assert state in ACTIONS[action].moves, (state, action)
    # The same actions as allowed_actions, only in another order, for every state and role.
    for state in STATES:
        for role in ROLES:
            assert sorted(ordered_actions(state, role)) == sorted(allowed_actions(state, role))
    with pytest.raises(TypeError):
        USUAL["routed"] = "refuse"  # type: ignore[index]


def test_every_state_is_reachable_from_received():
    seen, frontier = {"received"}, ["received"]
    while frontier:
        state = frontier.pop()
        for action in ACTIONS.values():
            dst = action.moves.get(state)
            if dst is not None and dst not in seen:
                seen.add(dst)
                frontier.append(dst)
    assert seen == set(STATES)


def test_only_closed_is_terminal():
    assert [s for s in STATES if is_terminal(s)] == ["closed"]


def test_closed_is_reachable_from_every_state():
    back: dict[str, set[str]] = {s: set() for s in STATES}
    for action in ACTIONS.values():
        for src, dst in action.moves.items():
            back[dst].add(src)
    seen, frontier = {"closed"}, ["closed"]
    while frontier:
        for src in back[frontier.pop()] - seen:
            seen.add(src)
            frontier.append(src)
    assert seen == set(STATES)


def test_clock_states():
    assert CLOCK_RUNNING == {"accepted"}
    assert CLOCK_PAUSED == {"supplement_requested"}
    assert next_state("accepted", "request_supplement", "officer") in CLOCK_PAUSED
    assert next_state("supplement_requested", "supplement", "outlet") in CLOCK_RUNNING


def test_tables_are_read_only():
    with pytest.raises(TypeError):
        ACTIONS["approve"].moves["received"] = "approved"  # type: ignore[index]
    with pytest.raises(TypeError):
        ACTIONS["anything"] = ACTIONS["approve"]  # type: ignore[index]


def test_mermaid_has_every_edge():
    text = mermaid()
    assert text.startswith("stateDiagram-v2\n") and text.endswith("\n")
    for action, src, dst, _ in EXPECTED:
        assert f"    {src} --> {dst}: {action}\n" in text
    assert "    [*] --> received\n" in text
    assert "    closed --> [*]\n" in text


# --- docs/workflow.md ------------------------------------------------------------------------


def test_docs_contain_the_current_diagram():
    assert f"```mermaid\n{mermaid()}```\n" in DOCS.read_text(encoding="utf-8"), (
        "paste the output of: .venv/bin/python -m hub.workflow"
    )


@pytest.mark.parametrize("state", STATES)
def test_docs_label_every_state(state):
    assert f"| `{state}` | {LABELS[state]} |" in DOCS.read_text(encoding="utf-8")


@pytest.mark.parametrize("action", list(ACTIONS))
def test_docs_list_every_action_with_its_roles(action):
    roles = ", ".join(r for r in ROLES if r in ACTIONS[action].roles)
    text = DOCS.read_text(encoding="utf-8")
    lines = text[text.index("## Who may do what") :].splitlines()
    rows = [line for line in lines if line.startswith(f"| `{action}` |")]
    assert len(rows) == 1, f"docs/workflow.md needs one table row for {action}"
    assert rows[0].endswith(f"| {roles} |"), rows[0]


# --- purity ----------------------------------------------------------------------------------


def test_workflow_module_imports_nothing_with_io():
    tree = ast.parse(Path(workflow.__file__).read_text(encoding="utf-8"))
    modules = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    # sync is pure (its own test forbids I/O there): the state names are the protocol's.
    assert modules <= {"__future__", "collections", "dataclasses", "types", "sync"}
