"""One glossary: the Chinese (and English) word for each thing Daiban shows, the same at the
outlet, at the hub and on the runner's phone.

The pages translate their English msgids with gettext; their tests check that every code of
the tables below reads as this glossary's word in each language, so a page cannot call one
state 已批准 and another 已办结(准予). The phone app gets the tables in rules.json
(``python -m sync.rules``). docs/glossary.md is written from here:

    python -m sync.glossary > docs/glossary.md
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .records import STATUSES


@dataclass(frozen=True)
class Term:
    zh: str
    en: str
    note: str = ""  # when to use it, in English (for docs/glossary.md)

    def in_(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


def _table(**terms: Term) -> Mapping[str, Term]:
    return MappingProxyType(terms)


# Where an application stands at the hub (sync.records.STATUSES), as everyone reads it.
STATES = _table(
    received=Term("已接收", "Received", "the hub has it, not yet routed"),
    triage=Term("待分派", "Waiting to be routed", "no unit found by the rules: a person routes it"),
    routed=Term("已分派", "Sent to the department", "a department unit has it, not yet accepted"),
    accepted=Term("已受理", "Accepted", "the time limit runs"),
    supplement_requested=Term("待补正", "Supplement requested", "the clock is paused"),
    approved=Term("准予办理", "Approved", "decided in the citizen's favour"),
    rejected=Term("不予办理", "Refused", "不予受理 or 不予办理: the timeline says which, and why"),
    result_issued=Term("结果已出", "Result issued", "the decision is written; delivery follows"),
    ready_for_pickup=Term("待领取", "Ready for pickup", "at the outlet"),
    mailed=Term("已寄出", "Mailed", "with a carrier and a tracking number"),
    delivered=Term("已送达", "Delivered", "handed to the citizen, at the outlet or by mail"),
    returned=Term("邮件退回", "Mail returned", "the carrier brought it back"),
    closed=Term("已归档", "Closed", "nothing more happens"),
)

# What someone does to an application (hub.workflow's actions, the timeline's steps).
ACTIONS = _table(
    capture=Term("网点录入", "Recorded at the outlet"),
    received=Term("已接收", "Received"),
    route=Term("分派到单位", "Route to a unit"),
    triage=Term("转人工分派", "Send to triage", "routing found no unit"),
    return_to_triage=Term("非本单位事项：退回分派", "Not ours: back to triage"),
    accept=Term("受理", "Accept"),
    refuse=Term("不予受理", "Refuse to accept", "from 已分派, with a reason"),
    request_supplement=Term("要求补正", "Request a supplement", "the state becomes 待补正"),
    supplement=Term("已补交材料", "Supplemented"),
    approve=Term("准予办理", "Approve"),
    reject=Term("不予办理", "Reject", "from 已受理, with a reason"),
    issue_result=Term("出具结果", "Issue the result"),
    ship=Term("已寄出", "Posted"),
    to_outlet=Term("已送至网点", "Sent to the outlet"),
    deliver=Term("已送达", "Delivered"),
    return_mail=Term("邮件退回", "Mail returned"),
    hand_over=Term("结果已领取", "Handed over"),
    close=Term("归档", "Close"),
    rate=Term("已评价", "Rated"),
    resolve_followup=Term("差评回访已办结", "Follow-up resolved"),
    exclude_rating=Term("评价已剔除", "Rating excluded"),
)

# Who someone is.
ROLES = _table(
    admin=Term("系统管理员", "administrator", "users, keys, set-up"),
    operator=Term("中心运营人员", "operator", "routing, devices, follow-ups at the hub: not IT"),
    officer=Term("部门经办人", "officer", "decides applications for a department unit"),
    clerk=Term("窗口人员", "clerk", "at an outlet's counter"),
    runner=Term("代办员", "runner", "collects applications door to door"),
)

# The time limit's standing (hub.workdays.sla_state).
TIME_LIMIT = _table(
    on_track=Term("正常", "on track"),
    due_soon=Term("即将到期", "due soon"),
    overdue=Term("已超期", "overdue"),
    paused=Term("暂停计时（待补正）", "paused (waiting for the citizen)"),
    met=Term("按时办结", "decided on time"),
    late=Term("超期办结", "decided late"),
)

# Where a record stands between the outlet and the hub.
SYNC_STATES = _table(
    queued=Term("等待同步", "Waiting to sync"),
    sent=Term("中心已收到", "Received by the hub"),
    rejected=Term("被中心退回", "Refused by the hub"),
    conflict=Term("与中心冲突", "Conflict at the hub"),
)

# Single words used across the pages.
WORDS = _table(
    receipt_number=Term(
        "回执号", "Receipt number", "the number on the citizen's receipt, everywhere"
    ),
    immediate=Term("即办", "Same day", "a time limit of 0 working days"),
    working_days=Term("{n} 个工作日", "{n} working days"),
    promise=Term(
        "容缺承诺", "Promised for later", "a material handed in later, by a signed promise"
    ),
    paper=Term("已核验纸质材料", "Checked on paper", "a material seen on paper, with no scan"),
    outlet=Term("网点", "Outlet"),
    hub=Term("中心", "Hub"),
    unit=Term("办理单位", "Department unit"),
    tracking_number=Term(
        "邮件号", "Tracking number", "the carrier's number of a mailed result (EA123456785CN)"
    ),
    router=Term("自动分派", "Automatic routing", "who routed an application by the rules"),
    carrier=Term("快递公司", "Carrier", "who carries mail: a postal or courier company"),
)

# The notes the hub itself writes on a timeline step and sends the outlet with it (the
# ``note`` of status.changed, shown there as it is): Chinese with full-width punctuation.
# The step's event data keeps the code and its values (``{"said": code, "args": {...}}``),
# so the hub's pages word it in the reader's language.
NOTES = _table(
    to_outlet_pickup=Term("结果已送至网点，等待领取", "Result sent to the outlet for pickup"),
    due_date_updated=Term("办结期限已更新", "Due date updated"),
    corrected=Term("网点已更正申请", "Corrected at the outlet"),
    collected_applicant=Term("申请人本人领取", "Collected by the applicant"),
    collected_proxy=Term("代领人领取", "Collected by a proxy"),
    no_unit=Term(
        "没有办理单位承办该地区（{region}）的“{item}”，待人工分派",
        "No department unit handles {item} for region {region}: to be routed by hand",
        "routing found no unit",
    ),
    clock_off=Term("设备时钟偏差{seconds}秒", "Device clock off by {seconds} s"),
    posted=Term("{carrier}，邮件号{tracking}", "{carrier}, tracking number {tracking}"),
    mail_event=Term(
        "{carrier}，邮件号{tracking}，{location}",
        "{carrier}, tracking number {tracking}, {location}",
    ),
)

TABLES: Mapping[str, Mapping[str, Term]] = MappingProxyType(
    {
        "states": STATES,
        "actions": ACTIONS,
        "roles": ROLES,
        "time_limit": TIME_LIMIT,
        "sync_states": SYNC_STATES,
        "words": WORDS,
        "notes": NOTES,
    }
)
assert set(STATES) == set(STATUSES), "every protocol status has its word"


def limit_words(days: int, lang: str) -> str:
    """A time limit as people say it: 即办 for 0, else N 个工作日."""
    if days == 0:
        return WORDS["immediate"].in_(lang)
    return WORDS["working_days"].in_(lang).format(n=days)


def note(code: str, lang: str = "zh", **args: object) -> str:
    """A timeline note of :data:`NOTES` in ``lang`` (Chinese, as the outlet is sent it)."""
    return NOTES[code].in_(lang).format(**args)


def as_json() -> dict[str, dict[str, dict[str, str]]]:
    """The tables for rules.json: {table: {code: {zh, en}}}."""
    return {
        name: {code: {"zh": t.zh, "en": t.en} for code, t in table.items()}
        for name, table in TABLES.items()
    }


HEADINGS = {
    "states": "States (状态)",
    "actions": "Actions (操作)",
    "roles": "Roles (角色)",
    "time_limit": "Time limit (办理时限)",
    "sync_states": "Sync (同步)",
    "words": "Words (用语)",
    "notes": "Timeline notes the hub writes (办理记录)",
}


def markdown() -> str:
    """docs/glossary.md."""
    out = [
        "# Glossary (术语表)",
        "",
        "<!-- written by `python -m sync.glossary > docs/glossary.md` from sync/glossary.py;"
        " do not edit -->",
        "",
        "One word for one thing, at the outlet, at the hub and on the runner's phone. The"
        " pages' tests check that each page shows these words for these codes, in both"
        " languages; Chinese text uses full-width punctuation (：，（）).",
    ]
    for name, table in TABLES.items():
        out += [
            "",
            f"## {HEADINGS[name]}",
            "",
            "| code | 中文 | English | use |",
            "|---|---|---|---|",
        ]
        out += [f"| `{code}` | {t.zh} | {t.en} | {t.note} |" for code, t in table.items()]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.stdout.write(markdown())
