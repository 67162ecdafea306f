"""Cell parsers for the spellings planners actually type.

Each parser takes the text of one cell and returns the value, or raises
:class:`~matching.rules.errors.CellError` (a ``ValueError``) whose code says what was
expected; :mod:`matching.world.read` turns that into a located problem.
"""

from __future__ import annotations

import datetime as dt
import re

from matching.rules.errors import CellError
from matching.rules.schedule import TimesError, parse_times

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ALL_DAYS = 0b1111111

_DAY_WORDS: dict[str, int] = {}
for _i, _names in enumerate(
    [
        ("mon", "monday", "mo", "1", "一"),
        ("tue", "tues", "tuesday", "tu", "2", "二"),
        ("wed", "weds", "wednesday", "we", "3", "三"),
        ("thu", "thur", "thurs", "thursday", "th", "4", "四"),
        ("fri", "friday", "fr", "5", "五"),
        ("sat", "saturday", "sa", "6", "六"),
        ("sun", "sunday", "su", "7", "日", "天"),
    ]
):
    for _name in _names:
        _DAY_WORDS[_name] = _i
_ZH_PREFIXES = ("星期", "礼拜", "周")
_ALL_DAY_PHRASES = {"every day", "everyday", "daily", "all", "all days",
                    "每天", "天天", "全周", "*"}
_DAY_GROUPS = {
    "weekdays": 0b0011111,
    "weekday": 0b0011111,
    "工作日": 0b0011111,
    "weekends": 0b1100000,
    "weekend": 0b1100000,
    "周末": 0b1100000,
}


def _one_day(token: str) -> int:
    """Index (Mon = 0) of a single day token, or raise :class:`CellError`."""
    word = token
    for prefix in _ZH_PREFIXES:
        if word.startswith(prefix) and len(word) > len(prefix):
            word = word[len(prefix) :]
            break
    if word in _DAY_WORDS:
        return _DAY_WORDS[word]
    raise CellError("input.not_days")


def parse_days(text: str) -> int:
    """Parse available days into a 7-bit mask (bit 0 = Monday); blank means every day.

    Accepts English names and abbreviations, Chinese (``周一``, ``星期一``, ``一``, and runs
    such as ``周一三五``), numbers 1-7 (1 = Monday), ranges (``Mon-Fri``, ``周一至周五``) and
    the words ``weekdays``, ``weekends``, ``every day``, ``每天``.
    """
    text = text.strip().lower()
    if not text or text in _ALL_DAY_PHRASES:
        return ALL_DAYS
    for sep in ("至", "到", "~", "–", "—", " to "):
        text = text.replace(sep, "-")
    text = re.sub(r"\s*-\s*", "-", text)
    mask = 0
    for token in re.split(r"[\s,，、;；/|+&和]+", text):
        if not token:
            continue
        if token in _DAY_GROUPS:
            mask |= _DAY_GROUPS[token]
        elif "-" in token:
            parts = token.split("-")
            if len(parts) != 2 or not parts[0] or not parts[1]:
                raise CellError("input.not_days")
            first, last = _one_day(parts[0]), _one_day(parts[1])
            day = first
            while True:
                mask |= 1 << day
                if day == last:
                    break
                day = (day + 1) % 7
        else:
            try:
                mask |= 1 << _one_day(token)
            except ValueError:
                mask |= _compact_chinese_days(token)
    if mask == 0:
        raise CellError("input.not_days")
    return mask


def _compact_chinese_days(token: str) -> int:
    """Runs like ``周一三五`` or ``一三五``: one day per numeral."""
    for prefix in _ZH_PREFIXES:
        if token.startswith(prefix):
            token = token[len(prefix) :]
            break
    if not token or any(ch not in "一二三四五六日天" for ch in token):
        raise CellError("input.not_days")
    mask = 0
    for ch in token:
        mask |= 1 << _DAY_WORDS[ch]
    return mask


def format_days(mask: int) -> str:
    """``0b0000101`` -> ``"Mon Wed"``."""
    return " ".join(name for i, name in enumerate(DAY_NAMES) if mask >> i & 1)


def day_codes(mask: int) -> list[str]:
    """``0b0000101`` -> ``["day.Mon", "day.Wed"]``: the days as the catalogue words them."""
    return [f"day.{name}" for i, name in enumerate(DAY_NAMES) if mask >> i & 1]


_TRUE = {"true", "t", "yes", "y", "1", "是", "对", "有", "x", "✓"}
_FALSE = {"false", "f", "no", "n", "0", "否", "不", "不是", "无", "没有", ""}


def parse_bool(text: str) -> bool:
    """true/false, yes/no, y/n, 1/0, 是/否 (any case); blank is false."""
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise CellError("input.not_bool")


_GENDERS = {"f": "F", "female": "F", "woman": "F", "w": "F", "女": "F",
            "m": "M", "male": "M", "man": "M", "男": "M"}


def parse_gender(text: str, *, allow_any: bool = False) -> str:
    """F or M (also female/male, 女/男); blank gives ``""``."""
    word = text.strip().lower()
    if not word or (allow_any and word in {"any", "none", "不限", "无", "-"}):
        return ""
    if word in _GENDERS:
        return _GENDERS[word]
    raise CellError("input.not_gender")


def parse_tags(text: str) -> tuple[str, ...]:
    """``"Haircut; foot massage"`` -> ``("haircut", "foot_massage")``, order kept, no repeats."""
    out: list[str] = []
    for part in re.split(r"[;；、,，]", text):
        tag = "_".join(part.strip().lower().split())
        if tag and tag not in out:
            out.append(tag)
    return tuple(out)


_DATE_FULL = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]00:00(?::00)?)?$")
_DATE_SHORT = re.compile(r"^(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def parse_date(text: str) -> str:
    """A whole date, ``YYYY-MM-DD`` (also ``/``, ``.`` or 年月日, and a spreadsheet's
    midnight time); returns the ISO spelling."""
    m = _DATE_FULL.match(text.strip())
    if not m:
        raise CellError("input.not_full_date")
    year, month, day = (int(g) for g in m.groups())
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        raise CellError("input.not_real_date") from None


def parse_preferred_times(text: str) -> tuple[tuple[int, int], ...]:
    """``上午``, ``下午``, ``晚上`` or ``hh:mm-hh:mm``, several separated by spaces, as
    ``(start, end)`` minutes after midnight (:func:`matching.rules.schedule.parse_times`)."""
    try:
        return parse_times(text)
    except TimesError:
        raise CellError("input.not_times") from None


def parse_birthday(text: str) -> str:
    """``YYYY-MM-DD`` or ``MM-DD`` (also ``/``, ``.`` or 年月日); returns the ISO spelling."""
    word = text.strip()
    if _DATE_FULL.match(word):
        iso = parse_date(word)
        if not 1880 <= int(iso[:4]) <= dt.date.today().year:
            raise CellError("input.implausible_year")
        return iso
    if m := _DATE_SHORT.match(word):
        month, day = (int(g) for g in m.groups())
        try:
            dt.date(2000, month, day)  # a leap year, so 02-29 is allowed
        except ValueError:
            raise CellError("input.not_real_date") from None
        return f"{month:02d}-{day:02d}"
    raise CellError("input.not_date")


_RELATIONS = {"kin": "kin", "relative": "kin", "family": "kin", "亲属": "kin", "亲戚": "kin",
              "家人": "kin", "familiar": "familiar", "friend": "familiar", "neighbour": "familiar",
              "neighbor": "familiar", "熟人": "familiar", "认识": "familiar", "邻居": "familiar",
              "refuses": "refuses", "refuse": "refuses", "拒绝": "refuses"}


def _one_of(spellings: dict[str, str], text: str, code: str) -> str:
    """The word a spelling stands for, or :class:`CellError` ``code``."""
    word = text.strip().lower()
    if word in spellings:
        return spellings[word]
    raise CellError(code)


def parse_relation(text: str) -> str:
    """kin, familiar or refuses (also 亲属, 熟人, 拒绝)."""
    return _one_of(_RELATIONS, text, "input.not_relation")


_STATUSES = {"done": "done", "完成": "done", "已完成": "done", "missed": "missed",
             "缺席": "missed", "未完成": "missed", "replaced": "replaced", "代替": "replaced",
             "替代": "replaced", "他人代替": "replaced", "代班": "replaced"}


def parse_status(text: str) -> str:
    """How a rota row went: done, missed or replaced (also 完成, 缺席, 代替)."""
    return _one_of(_STATUSES, text, "input.not_status")


def parse_number(text: str) -> float:
    """A decimal number; a comma as decimal separator is refused, not guessed."""
    word = text.strip()
    try:
        value = float(word)
    except ValueError:
        raise CellError("input.not_a_number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise CellError("input.not_a_number")
    return value


#: The separator between periods in an ``away`` cell, and between a period's two days.
PERIODS_SEPARATOR, PERIOD_SEPARATOR = ";", "/"


def parse_periods(text: str) -> tuple[tuple[dt.date, dt.date], ...]:
    """Periods away, ``2026-04-06/2026-04-26`` (first and last day), several separated by
    ``;``; in order."""
    out = []
    for part in text.replace("；", PERIODS_SEPARATOR).split(PERIODS_SEPARATOR):
        if not part.strip():
            continue
        first, sep, last = part.strip().partition(PERIOD_SEPARATOR)
        try:
            period = (dt.date.fromisoformat(first.strip()),
                      dt.date.fromisoformat((last if sep else first).strip()))
        except ValueError:
            raise CellError("input.not_periods") from None
        if period[1] < period[0]:
            raise CellError("input.not_periods")
        out.append(period)
    return tuple(sorted(out))


def format_periods(periods: list[tuple[dt.date, dt.date]]) -> str:
    """Periods as an ``away`` cell holds them."""
    return PERIODS_SEPARATOR.join(f"{a.isoformat()}{PERIOD_SEPARATOR}{b.isoformat()}"
                                  for a, b in sorted(periods))
