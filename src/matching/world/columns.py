"""Column names: the contract's English names and the Chinese names offices use.

This module is the one place that knows what a header means. Reading maps every header to
its contract name (``姓名`` -> ``name``); writing with ``headers="zh"`` maps the contract
names back to the first Chinese name listed here. The two id columns' names themselves are
:data:`matching.rules.ids.VOLUNTEER_ID` and :data:`~matching.rules.ids.ELDER_ID` (named once,
with the id rule; every module spells them so). Headers are compared after Unicode NFKC
folding (full-width letters and brackets become plain ones), stripping and lower-casing,
with spaces and hyphens read as underscores, so ``Volunteer ID``, ``volunteer-id`` and
``volunteer_id`` are one column; a trailing unit in brackets (``距离（公里）``) is ignored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from matching.rules.ids import ELDER_ID, VOLUNTEER_ID

#: The optional column naming each community's township (乡镇/街道), on either roster.
TOWNSHIP = "township"

#: Contract name -> other names it is known by. The first Chinese name is the one written
#: by ``--headers zh``. Every name here means the same column in whatever file it is found.
ALIASES: dict[str, tuple[str, ...]] = {
    VOLUNTEER_ID: ("志愿者编号", "志愿者id", "志愿者号"),
    ELDER_ID: ("老人编号", "老人id", "服务对象编号", "老年人编号"),
    "member_id": ("会员编号", "时间银行账号", "账号"),
    "name": ("姓名", "名字"),
    "age": ("年龄",),
    "gender": ("性别",),
    "community": ("社区", "所在社区", "村社区"),
    TOWNSHIP: ("乡镇", "街道", "乡镇街道", "所属乡镇", "镇街"),
    "phone": ("电话", "联系电话", "手机", "手机号", "电话号码"),
    "address": ("住址", "地址", "家庭住址", "居住地址"),
    "lat": ("纬度", "latitude"),
    "lon": ("经度", "longitude", "lng"),
    "max_elders": ("最多服务老人数", "最多结对老人数", "最多服务人数"),
    "weekly_minutes": ("每周分钟", "每周可服务分钟", "每周可用分钟"),
    "available_days": ("可服务日", "服务时间", "可探访日", "空闲日"),
    "skills": ("技能", "特长"),
    "needs": ("需求", "服务需求"),
    "birthday": ("生日", "出生日期"),
    "lives_alone": ("独居", "是否独居"),
    "low_income": ("低保", "低收入", "是否低保"),
    "priority": ("优先级",),
    "visit_minutes": ("探访时长", "探访分钟"),
    "gender_preference": ("性别要求", "性别偏好"),
    "preferred_times": ("偏好时段", "方便时段", "方便的时间", "上门时段"),
    "relation": ("关系",),
    "distance_km": ("距离", "距离公里"),
    # outputs (so that a file written with --headers zh reads back)
    "tie": ("结对关系",),
    "reason": ("原因",),
    "old_volunteer_id": ("原志愿者编号",),
    "new_volunteer_id": ("新志愿者编号",),
    "date": ("日期",),
    "start": ("开始",),
    "end": ("结束",),
    "activity": ("活动",),
    "service": ("服务项目",),
    "minutes": ("分钟",),
    "status": ("状态",),
    "done_by": ("完成人",),
    "rating": ("评分",),
    "comment": ("备注",),
    "cost_km": ("成本公里",),
    "when": ("时段",),
    "title": ("标题",),
    "elder_name": ("老人姓名",),
    "volunteer_name": ("志愿者姓名",),
}

#: The id column of each input table that has one.
ID_COLUMNS: dict[str, str] = {"volunteers": VOLUNTEER_ID, "elders": ELDER_ID}

#: Names that mean the id of whichever table they are in (``编号`` in the volunteers file is
#: the volunteer's id, in the elders file the elder's).
OWN_ID_NAMES: tuple[str, ...] = ("编号", "id", "序号编号")

#: A cell a spreadsheet would run as a formula starts with one of these (OWASP's list);
#: outputs put :data:`FORMULA_GUARD` before such a cell and readers take it off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_GUARD = "'"


def unguard(cell: str) -> str:
    """A cell as it was before :func:`matching.outputs.write.neutralise` guarded it: one guard
    taken off a cell of guards followed by a formula start (``'=x`` -> ``=x``)."""
    if cell.startswith(FORMULA_GUARD) and cell.lstrip(FORMULA_GUARD).startswith(FORMULA_STARTS):
        return cell[1:]
    return cell

_UNIT = re.compile(r"\s*\([^()]*\)$")


def normalise(header: object) -> str:
    """The comparable form of a header: NFKC, stripped, lower case, ``_`` for space and ``-``."""
    text = unicodedata.normalize("NFKC", str(header)).strip().lstrip("\ufeff").lower()
    return re.sub(r"[\s\-]+", "_", text)


def _lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for name, others in ALIASES.items():
        for alias in (name, *others):
            key = normalise(alias)
            if table.setdefault(key, name) != name:
                raise AssertionError(f"header {alias} means two columns")  # a bug in ALIASES
    return table


_CANONICAL = _lookup()


def canonical(header: object, own_id: str | None = None) -> str:
    """The contract name of ``header`` (or its normalised self when it is not known).

    ``own_id`` is the id column of the table being read (``volunteer_id`` or
    ``elder_id``), which :data:`OWN_ID_NAMES` stand for.
    """
    key = normalise(header)
    for candidate in (key, _UNIT.sub("", key)):
        if candidate in _CANONICAL:
            return _CANONICAL[candidate]
        if own_id is not None and candidate in OWN_ID_NAMES:
            return own_id
    return key


def canonical_columns(headers: Iterable[object], own_id: str | None = None
                      ) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Map every header to its contract name.

    Returns
    -------
    names, clashes
        The new column names, and ``(first header, second header, meaning)`` for every two
        headers that mean the same column (``电话`` and ``phone``, say), which a reader
        refuses rather than guess which one holds the truth.
    """
    names: list[str] = []
    first: dict[str, str] = {}
    clashes: list[tuple[str, str, str]] = []
    for header in headers:
        name = canonical(header, own_id)
        if name in first:
            clashes.append((first[name], str(header).strip(), name))
        else:
            first[name] = str(header).strip()
        names.append(name)
    return names, clashes


def chinese(columns: Sequence[str]) -> list[str]:
    """The Chinese header of each contract column (unknown columns keep their name)."""
    out = []
    for column in columns:
        others = ALIASES.get(column, ())
        zh = next((o for o in others if not o.isascii()), column)
        out.append(zh)
    return out
