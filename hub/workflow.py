"""The states an application moves through at the hub, and who may move it.

The state names are the wire protocol's statuses. Each action is a row of one table: the
states it may start from, the state each leads to, and the roles allowed to take it. Everything
else here (checks, listings, the diagram in docs/workflow.md) is read off that table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from sync import glossary
from sync.records import STATUSES

__all__ = [
    "ACTIONS",
    "CLOCK_PAUSED",
    "CLOCK_RUNNING",
    "LABELS",
    "ROLES",
    "STATES",
    "USUAL",
    "Action",
    "ActionNotAllowed",
    "IllegalTransition",
    "UnknownAction",
    "UnknownRole",
    "UnknownState",
    "allowed_actions",
    "is_terminal",
    "mermaid",
    "next_state",
    "ordered_actions",
    "usual_action",
]

# The states are the protocol's statuses: one list, owned by sync/.
STATES: tuple[str, ...] = STATUSES

# The states' Chinese words: the glossary's (one word for one thing on every surface).
LABELS: Mapping[str, str] = MappingProxyType({s: glossary.STATES[s].zh for s in STATUSES})

_STATE_SET = frozenset(STATES)

ROLES: tuple[str, ...] = ("system", "operator", "officer", "outlet", "carrier")

# The time limit counts working days only while the department holds the file.
CLOCK_RUNNING: frozenset[str] = frozenset({"accepted"})
CLOCK_PAUSED: frozenset[str] = frozenset({"supplement_requested"})


@dataclass(frozen=True)
class Action:
    """One action: ``moves`` maps each state it may start from to the state it leads to."""

    name: str
    moves: Mapping[str, str]
    roles: frozenset[str]


def _action(name: str, roles: set[str], **moves: str) -> Action:
    return Action(name, MappingProxyType(moves), frozenset(roles))


_TABLE = (
    _action("route", {"system", "operator"}, received="routed", triage="routed"),
    _action("triage", {"system", "operator"}, received="triage"),
    # The department says the application is not theirs.
    _action("return_to_triage", {"officer", "operator"}, routed="triage"),
    _action("accept", {"officer"}, routed="accepted"),
    _action("refuse", {"officer"}, routed="rejected"),  # 不予受理
    _action("request_supplement", {"officer"}, accepted="supplement_requested"),
    _action("supplement", {"outlet"}, supplement_requested="accepted"),
    _action("approve", {"officer"}, accepted="approved"),
    _action("reject", {"officer"}, accepted="rejected"),  # 不予办理
    _action("issue_result", {"officer"}, approved="result_issued", rejected="result_issued"),
    _action("ship", {"operator", "officer", "system"}, result_issued="mailed", returned="mailed"),
    _action(
        "to_outlet",
        {"system", "operator"},
        result_issued="ready_for_pickup",
        returned="ready_for_pickup",
    ),
    _action("deliver", {"carrier", "operator"}, mailed="delivered"),
    _action("return_mail", {"carrier", "operator"}, mailed="returned"),
    _action("hand_over", {"outlet"}, ready_for_pickup="delivered"),
    _action("close", {"system", "operator"}, delivered="closed"),
)

ACTIONS: Mapping[str, Action] = MappingProxyType({a.name: a for a in _TABLE})

# The action usually taken in each state (the way most applications go): the one a surface
# offers first and most plainly. The others open in that state are the rare ones (not ours,
# refusals, supplements, mail sent back...), offered after it, never as the obvious choice.
USUAL: Mapping[str, str] = MappingProxyType(
    {
        "received": "route",
        "triage": "route",
        "routed": "accept",
        "accepted": "approve",
        "supplement_requested": "supplement",
        "approved": "issue_result",
        "rejected": "issue_result",
        "result_issued": "ship",
        "returned": "ship",
        "mailed": "deliver",
        "ready_for_pickup": "hand_over",
        "delivered": "close",
    }
)


class UnknownState(ValueError):
    """A state name that is not one of :data:`STATES`."""

    def __init__(self, state: str) -> None:
        super().__init__(f"unknown state {state!r}: expected one of {', '.join(STATES)}")
        self.state = state


class UnknownAction(ValueError):
    """An action name that is not one of :data:`ACTIONS`."""

    def __init__(self, action: str) -> None:
        super().__init__(f"unknown action {action!r}: expected one of {', '.join(ACTIONS)}")
        self.action = action


class UnknownRole(ValueError):
    """A role name that is not one of :data:`ROLES`."""

    def __init__(self, role: str) -> None:
        super().__init__(f"unknown role {role!r}: expected one of {', '.join(ROLES)}")
        self.role = role


class IllegalTransition(ValueError):
    """The action exists but cannot be taken from the application's current state."""

    def __init__(self, state: str, action: str) -> None:
        self.state = state
        self.action = action
        self.allowed = tuple(ACTIONS[action].moves)
        super().__init__(
            f"cannot {action} an application that is {state}: "
            f"allowed from {', '.join(self.allowed)}"
        )


class ActionNotAllowed(ValueError):
    """The role may not take this action in any state."""

    def __init__(self, role: str, action: str) -> None:
        self.role = role
        self.action = action
        self.roles = tuple(r for r in ROLES if r in ACTIONS[action].roles)
        super().__init__(f"the {role} role may not {action}: only {', '.join(self.roles)} may")


def next_state(state: str, action: str, role: str) -> str:
    """The state ``action`` taken by ``role`` leads to from ``state``, or raise why not."""
    _check_state(state)
    spec = _get_action(action)
    _check_role(role)
    # Who may act is checked before where from: it does not depend on the application.
    if role not in spec.roles:
        raise ActionNotAllowed(role, action)
    if state not in spec.moves:
        raise IllegalTransition(state, action)
    return spec.moves[state]


def allowed_actions(state: str, role: str) -> list[str]:
    """The actions ``role`` may take on an application in ``state``, in table order."""
    _check_state(state)
    _check_role(role)
    return [a.name for a in _TABLE if state in a.moves and role in a.roles]


def usual_action(state: str, role: str) -> str | None:
    """The usual action in ``state`` (:data:`USUAL`) if ``role`` may take it, else None."""
    usual = USUAL.get(state)
    return usual if usual in allowed_actions(state, role) else None


def ordered_actions(state: str, role: str) -> list[str]:
    """The actions ``role`` may take in ``state``, the usual one (:data:`USUAL`) first, then
    the rare ones in table order: the order every surface offers them in."""
    allowed = allowed_actions(state, role)
    usual = USUAL.get(state)
    return sorted(allowed, key=lambda name: name != usual)  # stable: the rest keep their order


def is_terminal(state: str) -> bool:
    """True if no action leads out of ``state``."""
    _check_state(state)
    return not any(state in a.moves for a in _TABLE)


def mermaid() -> str:
    """The state graph as a Mermaid ``stateDiagram-v2``, one edge per action and start state."""
    lines = ["stateDiagram-v2"]
    lines += [f'    state "{state} {LABELS[state]}" as {state}' for state in STATES]
    lines.append(f"    [*] --> {STATES[0]}")
    for action in _TABLE:
        lines += [f"    {src} --> {dst}: {action.name}" for src, dst in action.moves.items()]
    lines += [f"    {state} --> [*]" for state in STATES if is_terminal(state)]
    return "\n".join(lines) + "\n"


def _check_state(state: str) -> None:
    if state not in _STATE_SET:
        raise UnknownState(state)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise UnknownRole(role)


def _get_action(action: str) -> Action:
    spec = ACTIONS.get(action)
    if spec is None:
        raise UnknownAction(action)
    return spec


if __name__ == "__main__":
    print(mermaid(), end="")
