"""Whom to tell after a re-plan: every elder whose volunteer or backup changed, and every
volunteer who gains or loses an elder (as primary or as backup), old to new, with phones
and addresses. The list is the exact difference between two plans' pairs and backups.
"""

from __future__ import annotations

import html

import pandas as pd

from matching.catalogue import say
from matching.outputs.folder import Run
from matching.outputs.printing import PRINT_STYLE, print_button
from matching.outputs.tables import Names
from matching.world.columns import ELDER_ID, VOLUNTEER_ID

#: A volunteer's two roles for an elder.
ROLES = ("primary", "backup")

#: The columns of the list: who to call (``person``: elder or volunteer, with id, name,
#: phone and address), about which elder and role, from whom to whom, and what it means
#: to them (``change``: ``elder_changed``, ``volunteer_gains`` or ``volunteer_loses``).
COLUMNS = ["person", "person_id", "name", "phone", "address", ELDER_ID, "role",
           "old_volunteer_id", "new_volunteer_id", "change"]


def roles_of(run: Run) -> dict[tuple[str, str], str]:
    """``(elder, role) -> volunteer`` of a plan: its primaries, and its backups when it
    made a schedule."""
    out = {(str(e), "primary"): str(v) for e, v in zip(
        run.assignments[ELDER_ID], run.assignments[VOLUNTEER_ID], strict=True) if v}
    if run.backups is not None and len(run.backups):
        out.update({(str(e), "backup"): str(b) for e, b in zip(
            run.backups[ELDER_ID], run.backups["backup_id"], strict=True)
            if isinstance(b, str) and b})
    return out


def _contacts(*runs: Run) -> dict[str, dict[str, str]]:
    """Name, phone and address of everyone the runs know (the later run's wins)."""
    out: dict[str, dict[str, str]] = {}
    for run in runs:
        tables = [run.world.volunteers.frame(), run.world.elders.frame()]
        if run.leaving is not None:
            tables.append(run.leaving)
        for table in tables:
            key = VOLUNTEER_ID if VOLUNTEER_ID in table.columns else ELDER_ID
            for row in table.to_dict("records"):
                out[str(row[key])] = {c: "" if pd.isna(row.get(c)) else str(row.get(c, ""))
                                      for c in ("name", "phone", "address")}
    return out


def notifications(before: Run, after: Run) -> pd.DataFrame:
    """The calls to make after ``after`` replaced ``before``: one row per person and
    change (see :data:`COLUMNS`), elders first, each person's rows together."""
    old, new = roles_of(before), roles_of(after)
    people = _contacts(before, after)
    rows = []
    for elder, role in sorted(set(old) | set(new)):
        was, now = old.get((elder, role), ""), new.get((elder, role), "")
        if was == now:
            continue
        base = {ELDER_ID: elder, "role": role, "old_volunteer_id": was,
                "new_volunteer_id": now}
        rows.append({"person": "elder", "person_id": elder, **people.get(elder, {}),
                     **base, "change": "elder_changed"})
        if was:
            rows.append({"person": "volunteer", "person_id": was, **people.get(was, {}),
                         **base, "change": "volunteer_loses"})
        if now:
            rows.append({"person": "volunteer", "person_id": now, **people.get(now, {}),
                         **base, "change": "volunteer_gains"})
    table = pd.DataFrame(rows, columns=COLUMNS).fillna("")
    order = {"elder": 0, "volunteer": 1}
    return table.sort_values(["person", "person_id", ELDER_ID, "role"],
                             key=lambda c: c.map(order) if c.name == "person" else c,
                             kind="stable").reset_index(drop=True)


def what_to_say(row: dict[str, str], lang: str, names: Names) -> str:
    """One change as the coordinator says it on the phone to ``row``'s person."""
    elder = names.show("elder", row[ELDER_ID])
    role = say(f"role.{row['role']}", lang)
    old = names.show("volunteer", row["old_volunteer_id"]) or say("notify.nobody", lang)
    new = names.show("volunteer", row["new_volunteer_id"]) or say("notify.nobody", lang)
    # a change with nobody on one side is said as what it is: lost, or gained
    code = row["change"]
    if not row["new_volunteer_id"]:
        code += "_none"
    elif not row["old_volunteer_id"]:
        code += "_first"
    return say(f"notify.{code}", lang, elder=elder, role=role, old=old, new=new)


def notify_sheet(table: pd.DataFrame, lang: str, names: Names) -> pd.DataFrame:
    """The list as people read it: whom to call (name and id), phone, address, and what to
    tell them, with headers in ``lang``."""
    return pd.DataFrame({
        say("notify.whom", lang): [names.show(p, i) for p, i in
                                   zip(table["person"], table["person_id"], strict=True)],
        say("notify.phone", lang): table["phone"].tolist(),
        say("notify.address", lang): table["address"].tolist(),
        say("notify.what", lang): [what_to_say(r, lang, names)
                                   for r in table.to_dict("records")]})


#: The printed list's look: one A4 sheet, a box to tick by each call.
_STYLE = ("@page{size:A4;margin:12mm}body{font-family:'Noto Sans CJK SC','Source Han Sans SC',"
          "'Microsoft YaHei',sans-serif;font-size:10.5pt;color:#111;max-width:190mm;"
          "margin:1.5em auto}h1{font-size:17pt;margin:0 0 .2em}p{margin:.2em 0 .8em}"
          "table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;"
          "padding:3px 6px;text-align:left;vertical-align:top}th{background:#eef3f8}"
          "td.tick{width:1.4em;font-size:13pt}td.who{white-space:nowrap}"
          "tr{break-inside:avoid}@media print{body{margin:0}}" + PRINT_STYLE)


def notify_html(table: pd.DataFrame, lang: str, names: Names, heading: str = "") -> str:
    """The printable list of calls to make (通知清单): one line per person, with phone,
    address and everything to tell them, and a box to tick. Every name is escaped."""
    esc = html.escape
    people: dict[tuple[str, str], list[dict[str, str]]] = {}
    for row in table.to_dict("records"):
        people.setdefault((row["person"], row["person_id"]), []).append(row)
    lines = []
    for (person, pid), items in people.items():
        first = items[0]
        said = "<br>".join(esc(what_to_say(r, lang, names)) for r in items)
        lines.append(f"<tr><td class=\"tick\">☐</td><td class=\"who\">"
                     f"{esc(names.show(person, pid))}</td><td class=\"who\">"
                     f"{esc(first['phone'])}</td><td>{esc(first['address'])}</td>"
                     f"<td>{said}</td></tr>")
    title = say("notify.title", lang)
    body = (f"<table><tr><th>{esc(say('notify.done', lang))}</th>"
            f"<th>{esc(say('notify.whom', lang))}</th><th>{esc(say('notify.phone', lang))}</th>"
            f"<th>{esc(say('notify.address', lang))}</th><th>{esc(say('notify.what', lang))}"
            f"</th></tr>{''.join(lines)}</table>" if lines else
            f"<p>{esc(say('notify.none', lang))}</p>")
    return (f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
            f'<meta charset="utf-8"><title>{esc(title)}</title><style>{_STYLE}</style>'
            f"</head><body>{print_button(lang)}<h1>{esc(title)}</h1>"
            f"<p>{esc(heading)}</p><p>{esc(say('notify.help', lang))} "
            f"{esc(say('notify.count', lang, people=len(people), changes=len(table)))}</p>"
            f"{body}</body></html>\n")
