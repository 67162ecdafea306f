"""Write docs/reasons.md from the catalogue, so that the page lists every reason code the
engine writes, worded as the engine words it (``python docs/reasons.py``; a test checks the
page is up to date)."""

from __future__ import annotations

from pathlib import Path

from matching.catalogue import MESSAGES

PAGE = Path(__file__).with_name("reasons.md")

#: The sections of the page: a title, what it is about, and the codes' prefixes.
SECTIONS = (
    ("Unpaired elders: `unassigned.csv`",
     "Why an elder has no volunteer. The codes under *parts* make up the figures of the "
     "`unassigned.*` codes that sum up several volunteers (`reason_params` holds them as "
     "`{\"parts\": [{\"code\": ..., \"params\": {...}}]}`).",
     ("unassigned.",), ("ineligible.", "full.")),
    ("Changes in a re-plan: `changes.csv`",
     "Why a pair changed. `reason_code` is the change; `cause_code` is what set it off "
     "(`change.volunteer_left`...; for a pair no longer eligible for a known reason, that "
     "reason: `change.rated_low` when the time bank's ratings refused it), so that counting "
     "`cause_code` counts the causes.",
     ("change.",), ()),
    ("Unmet obligations: `unmet.csv`",
     "Why one of the six ones was not planned, and the lower bound it is held to.",
     ("unmet.",), ()),
    ("Volunteers not chosen: `matching explain` and the console's \"why\"",
     "Why a next-best volunteer was not the one chosen.",
     ("candidate.",), ("swap.", "tie.")),
)


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ") or "(nothing)"


def table(prefixes: tuple[str, ...]) -> list[str]:
    rows = ["| code | 中文 | English |", "|---|---|---|"]
    rows += [f"| `{code}` | {cell(zh)} | {cell(en)} |"
             for code, (zh, en) in sorted(MESSAGES.items()) if code.startswith(prefixes)]
    return rows


def page() -> str:
    lines = ["# Reasons", "",
             "Every file that says why carries three columns: `reason` (the words, in "
             "English, or in Chinese with `--headers zh`), `reason_code` (one of the codes "
             "below) and `reason_params` (the figures the words are made from, as JSON). "
             "`matching.catalogue.Reason.of(code, params).text(\"zh\")` words a row again in "
             "either language; `matching.catalogue.reworded(table, \"zh\")` a whole table.",
             "",
             "In the words, `{n}` and the like are the figures; `!w` words a code, `!l` "
             "joins a list, `!p` words a part of the cause.",
             "",
             "This page is written by `python docs/reasons.py` from the catalogue "
             "(`src/matching/catalogue/`), the one place the words live.", ""]
    for title, about, prefixes, parts in SECTIONS:
        lines += [f"## {title}", "", about, "", *table(prefixes), ""]
        if parts:
            lines += ["Parts:", "", *table(parts), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    PAGE.write_text(page(), encoding="utf-8")
