"""Every text the engine shows people, in Chinese and English, in one place.

A text is found by its code (``unassigned.none_within_reach``, ``input.not_a_number``,
``stage.window``, ``status.optimal``...) and filled in with its parameters:

>>> say("status.optimal", "zh")
'最优（已证明）'
>>> say("unassigned.none_within_reach", "en", radius_km=2.0)
'no volunteer within 2 km'

Parameters are plain values (numbers, text, lists), so that a cause can be stored as a code
and JSON beside its words and worded again in the other language later
(:class:`Reason`). In a template, ``{x!w}`` words ``x``, itself a code (``gender.F``), in
the same language, and ``{x!l}`` joins a list (``、`` in Chinese, ``, `` in English),
wording each item that is a code (``{x!a}`` and ``{x!o}`` put "and" or "or" before its
last item); ``{x!p}`` words a part of a cause (``{"code": ...,
"params": {...}}``) or a list of parts (``{x!j}``: with "and" before the last).

The words live in the modules beside this one, one subject each: :mod:`.words` (statuses,
stages, activities, days, headers), :mod:`.reasons` (why an elder is unpaired, a
candidate not chosen, a change, an obligation unmet), :mod:`.inputs` (what is wrong with a
file or a setting) and :mod:`.pages` (the console, the report, rota pages and statements).
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from matching.catalogue import inputs, pages, reasons, words

#: The languages texts are in, and the default (the coordinator reads Chinese).
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

#: Code -> (Chinese, English) for every text.
MESSAGES: dict[str, tuple[str, str]] = {}
for _part in (words, reasons, inputs, pages):
    for _code, _pair in _part.MESSAGES.items():
        if _code in MESSAGES:  # a bug in the catalogue, found at import
            raise AssertionError(f"the code {_code} is in the catalogue twice")
        MESSAGES[_code] = _pair

#: How a list is joined, and the parts of a cause, by language.
LIST_SEPARATOR = {"zh": "、", "en": ", "}
LIST_AND = {"zh": "和", "en": " and "}
LIST_OR = {"zh": "或", "en": " or "}
PART_SEPARATOR = {"zh": "；", "en": "; "}


class _Formatter(string.Formatter):
    """``str.format`` with conversions: ``!w`` (word a code), ``!c`` (a column's name in the
    reader's language), ``!l`` (join a list) and ``!p`` (word a part of a cause, or a list
    of parts)."""

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if conversion == "w":
            return word(str(value), self.lang)
        if conversion == "c":  # a column, as the reader's files name it (lat: 纬度)
            code = f"column.{value}"
            return say(code, self.lang) if self.lang == "zh" and known(code) else str(value)
        if conversion in ("l", "a", "o"):
            items = [word(str(v), self.lang) for v in (value or [])]
            if conversion == "l" or len(items) < 2:
                return LIST_SEPARATOR.get(self.lang, ", ").join(items)
            last = (LIST_AND if conversion == "a" else LIST_OR)[self.lang]
            return LIST_SEPARATOR.get(self.lang, ", ").join(items[:-1]) + last + items[-1]
        if conversion in ("p", "j"):  # a part of a cause, or a list of parts
            parts = value if isinstance(value, list) else [value]
            words = [say(part["code"], self.lang, **part.get("params", {})) for part in parts]
            if conversion == "p" or len(words) < 2:
                return PART_SEPARATOR.get(self.lang, "; ").join(words)
            return LIST_SEPARATOR[self.lang].join(words[:-1]) + LIST_AND[self.lang] + words[-1]
        return super().convert_field(value, conversion)


def say(code: str, lang: str = "en", /, **params: Any) -> str:
    """The text of ``code`` in ``lang`` (``zh`` or ``en``), filled with ``params``.

    Raises
    ------
    KeyError
        If the code is not in the catalogue.
    """
    zh, en = MESSAGES[code]
    template = zh if lang == "zh" else en
    return _Formatter(lang).format(template, **params) if params or "{" in template else template


def word(code: str, lang: str = "en") -> str:
    """A word of the catalogue by its code; a code it does not know (a service tag an office
    made up: ``service.tai_chi``) is shown as written after its prefix (``tai chi``)."""
    if code in MESSAGES:
        return say(code, lang)
    tail = code.split(".", 1)[-1]
    return tail.replace("_", " ") if lang == "en" else tail


def known(code: str) -> bool:
    """Whether ``code`` is in the catalogue."""
    return code in MESSAGES


def table(prefix: str, lang: str) -> dict[str, str]:
    """Every text whose code starts with ``prefix.``, by the rest of its code, in ``lang``
    (``table("page", "zh")["title"]``)."""
    start = prefix + "."
    return {code[len(start):]: say(code, lang) for code in MESSAGES if code.startswith(start)
            and "{" not in MESSAGES[code][0]}


@dataclass(frozen=True)
class Reason:
    """A cause, as a code of the catalogue and the figures it is worded with.

    Attributes
    ----------
    code
        What happened (``unassigned.all_full``); files carry it as ``reason_code``.
    params
        The figures (plain values), which files carry as JSON in ``reason_params``.
    """

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self, lang: str = "en") -> str:
        """The cause in words."""
        return say(self.code, lang, **self.params)

    def params_json(self) -> str:
        """The figures as one line of JSON (for a file's ``reason_params`` column)."""
        return json.dumps(dict(self.params), ensure_ascii=False, sort_keys=True, default=str)

    def part(self) -> dict[str, Any]:
        """This reason as a part of another's figures (worded by ``{x!p}``)."""
        return {"code": self.code, "params": dict(self.params)}

    @classmethod
    def of(cls, code: str, params_json: str | None = None) -> Reason:
        """A reason read back from a file's ``reason_code`` and ``reason_params``."""
        params = json.loads(params_json) if params_json else {}
        return cls(code, params if isinstance(params, dict) else {})


def reworded(frame: Any, lang: str, column: str = "reason") -> Any:
    """A table (``unassigned.csv``, ``changes.csv``, ``unmet.csv``) with its ``reason``
    column worded in ``lang`` from its ``reason_code`` and ``reason_params`` (rows without a
    known code keep their words)."""
    if frame is None or "reason_code" not in getattr(frame, "columns", ()):
        return frame
    out = frame.copy()
    params = out["reason_params"] if "reason_params" in out.columns else [""] * len(out)
    out[column] = [Reason.of(code, p).text(lang) if known(str(code)) else text
                   for code, p, text in zip(out["reason_code"], params, out[column],
                                            strict=True)]
    return out


__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "MESSAGES", "Reason", "known", "reworded", "say",
           "table", "word"]
