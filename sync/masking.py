"""Masked display copies of personal data: what a stolen laptop or a shoulder-surfer sees.

The rules follow common practice on Chinese government and bank receipts: the surname of a
name, the first four and last four characters of an ID number, the first three and last four
digits of a phone, and an address down to its county.
"""

from __future__ import annotations

import re

MASK = "*"


def mask_name(name: str) -> str:
    """张三 -> 张*, 欧阳娜娜 -> 欧***; one character is kept whatever the length."""
    name = name.strip()
    if not name:
        return ""
    return name[0] + MASK * max(len(name) - 1, 1)


def mask_id_number(number: str) -> str:
    """510105199001011234 -> 5101**********1234 (any length over 8 keeps 4 + 4)."""
    number = number.strip()
    if len(number) <= 8:
        return MASK * len(number)
    return number[:4] + MASK * (len(number) - 8) + number[-4:]


def mask_phone(phone: str) -> str:
    """13812345678 -> 138****5678."""
    phone = phone.strip()
    if len(phone) < 8:
        return MASK * len(phone)
    return phone[:3] + MASK * (len(phone) - 7) + phone[-4:]


# Province, prefecture and county levels, each optional, from the start of the address. A
# division name holds no digits and none of the characters of street-level addresses, so a
# "市" in "3号市场" is never taken for a city.
_N = r"[^\d\s路街道号村组巷弄楼室栋]"
_ADMIN_PREFIX = re.compile(
    rf"^(?:{_N}{{1,8}}?(?:省|自治区|特别行政区))?"
    rf"(?:{_N}{{1,8}}?(?:自治州|地区|盟|市)|{_N}{{1,8}}?州)?"
    rf"(?:{_N}{{1,8}}?(?:自治县|区|县|旗|市))?"
)


def mask_address(address: str) -> str:
    """四川省成都市武侯区人民南路四段1号 -> 四川省成都市武侯区****."""
    address = address.strip()
    if not address:
        return ""
    kept = _ADMIN_PREFIX.match(address)
    prefix = kept.group(0) if kept else ""
    if not prefix or len(prefix) >= len(address):
        # No recognisable division: keep at most the first three characters.
        prefix = address[: min(3, max(len(address) - 1, 0))]
    return prefix + MASK * 4
