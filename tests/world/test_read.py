"""Reading files: encodings, workbooks, text ids, and every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import matching
from matching.cli import main

VOLS = "volunteer_id,name,gender,lat,lon,max_elders,weekly_minutes,available_days,skills\n" \
       "007,张云,M,35.60,110.97,3,300,周一 周三,理发\n" \
       "V2,李梅,F,35.601,110.971,2,240,,\n"
ELDS = "elder_id,name,age,lat,lon,birthday,lives_alone,needs,available_days\n" \
       "E1,王秀英,91,35.6005,110.9705,1935-02-14,是,haircut,\n" \
       "E2,刘德,83,35.602,110.972,03-08,否,,Mon Wed\n"


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_encodings(tmp_path, encoding):
    """UTF-8, UTF-8 with BOM and GBK files read the same; ids stay text (007)."""
    world = matching.read_world(write(tmp_path, "v.csv", VOLS, encoding),
                                write(tmp_path, "e.csv", ELDS, encoding))
    assert world.volunteers.volunteer_id.tolist() == ["007", "V2"]
    assert world.volunteers.name[0] == "张云"
    assert world.elders.priority.tolist() == [3, 2]
    assert world.volunteers.skills[0] == ("理发",)


def test_xlsx(tmp_path):
    """An Excel workbook reads like the CSV, ids as text."""
    vols = pd.read_csv(write(tmp_path, "v.csv", VOLS), dtype=str, keep_default_na=False)
    elds = pd.read_csv(write(tmp_path, "e.csv", ELDS), dtype=str, keep_default_na=False)
    vols.to_excel(tmp_path / "v.xlsx", index=False)
    elds.to_excel(tmp_path / "e.xlsx", index=False)
    world = matching.read_world(tmp_path / "v.xlsx", tmp_path / "e.xlsx")
    assert world.volunteers.volunteer_id.tolist() == ["007", "V2"]
    assert world.elders.birthday.tolist() == ["1935-02-14", "03-08"]


def test_extra_columns_are_kept(tmp_path):
    """Unknown columns survive reading."""
    world = matching.read_world(write(tmp_path, "v.csv", VOLS.replace("skills\n", "skills,note\n")
                                      .replace("理发\n", "理发,hello\n")),
                                write(tmp_path, "e.csv", ELDS))
    assert world.volunteers.column("note")[0] == "hello"
    assert world.volunteers.frame()["note"].iloc[0] == "hello"  # and at the edge, in place


BAD = [
    ("elders", "elder_id,lat,lon\nE1,35,61,110.9\n",
     "elders.csv, row 2: has 4 cells but the header has 3"),
    ("elders", 'elder_id,lat,lon\nE1,"35,61",110.9\n',
     'elders.csv, row 2, column lat: "35,61" is not a number'),
    ("elders", "elder_id,lat,lon\nE1,95,110.9\n", "row 2, column lat: \"95\" is out of range"),
    ("elders", "elder_id,lat,lon\nE1,35.6,190\n", "column lon: \"190\" is out of range"),
    ("elders", "elder_id,lat,lon\nE1,35.6,\n", "row 2, column lon: is empty while the other"),
    ("elders", "elder_id,lat,lon\nE1,35.6,110.9\nE1,35.6,110.9\n",
     'row 3, column elder_id: "E1" is a duplicate elder_id (first on row 2)'),
    ("elders", "elder_id,lat,lon\n,35.6,110.9\n", "row 2, column elder_id: is empty"),
    ("elders", "person,lat,lon\nE1,35.6,110.9\n", "column elder_id is missing"),
    ("elders", "elder_id,lon\nE1,110.9\n", "column lat is missing"),
    ("elders", "elder_id,lat,lon,age\nE1,35.6,110.9,old\n", 'column age: "old" is not a number'),
    ("elders", "elder_id,lat,lon,priority\nE1,35.6,110.9,0\n", '"0" is out of range'),
    ("elders", "elder_id,lat,lon,priority\nE1,35.6,110.9,1.5\n", '"1.5" is not a whole number'),
    ("elders", "elder_id,lat,lon,visit_minutes\nE1,35.6,110.9,0\n", "out of range"),
    ("elders", "elder_id,lat,lon,birthday\nE1,35.6,110.9,1943-02-29\n", "is not a real date"),
    ("elders", "elder_id,lat,lon,available_days\nE1,35.6,110.9,Funday\n", "is not a list of days"),
    ("elders", "elder_id,lat,lon,lives_alone\nE1,35.6,110.9,maybe\n", "is not true or false"),
    ("elders", "elder_id,lat,lon,gender_preference\nE1,35.6,110.9,X\n", "is not a gender"),
    ("volunteers", "volunteer_id,lat,lon,gender\nV1,35.6,110.9,Q\n",
     'volunteers.csv, row 2, column gender: "Q" is not a gender'),
    ("volunteers", "volunteer_id,lat,lon,max_elders\nV1,35.6,110.9,-1\n", "out of range"),
    ("volunteers", "volunteer_id,lat,lon,weekly_minutes\nV1,35.6,110.9,lots\n", "not a number"),
    ("relations", "volunteer_id,elder_id,relation\n,E1,kin\n",
     "relations.csv, row 2, column volunteer_id: is empty"),
    ("relations", "volunteer_id,elder_id,relation\nV1,E1,cousin\n", '"cousin" is not a relation'),
    ("relations", "volunteer_id,elder_id\nV1,E1\n", "column relation is missing"),
    ("pairs", "volunteer_id,elder_id,distance_km,weekly_minutes\nV1,E1,-2,60\n", "out of range"),
    ("pairs", "volunteer_id,elder_id,distance_km,weekly_minutes\nV1,E1,1,60\nV1,E1,1,60\n",
     "repeats the pair V1 - E1"),
    ("elders", "", "the file is empty"),
]


@pytest.mark.parametrize(("which", "text", "message"), BAD)
def test_bad_input_exits_2_without_output(tmp_path, capsys, which, text, message):
    """Each kind of bad input: exit status 2, a message naming file, row and column, no
    traceback, and no output folder."""
    files = {
        "volunteers": "volunteer_id,lat,lon\nV1,35.6,110.97\n",
        "elders": "elder_id,lat,lon\nE1,35.6,110.97\n",
        "relations": "volunteer_id,elder_id,relation\nV1,E1,kin\n",
        "pairs": "volunteer_id,elder_id,distance_km,weekly_minutes\nV1,E1,0.1,60\n",
    }
    files[which] = text
    paths = {k: write(tmp_path, f"{k}.csv", v) for k, v in files.items()}
    out = tmp_path / "out"
    code = main(["pair", "--volunteers", str(paths["volunteers"]), "--elders",
                 str(paths["elders"]), "--relations", str(paths["relations"]),
                 "--pairs", str(paths["pairs"]), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert not out.exists()


def test_all_problems_reported_at_once(tmp_path):
    """Three bad cells in two files give three problems in one error."""
    vols = write(tmp_path, "volunteers.csv", "volunteer_id,lat,lon\nV1,x,110.9\nV1,35.6,110.9\n")
    elds = write(tmp_path, "elders.csv", "elder_id,lat,lon,age\nE1,35.6,110.9,abc\n")
    with pytest.raises(matching.InputError) as info:
        matching.read_world(vols, elds)
    texts = [str(p) for p in info.value.problems]
    assert len(texts) == 3
    assert any("volunteers.csv, row 2, column lat" in t for t in texts)
    assert any("volunteers.csv, row 3, column volunteer_id" in t for t in texts)
    assert any("elders.csv, row 2, column age" in t for t in texts)


def test_missing_file(tmp_path, capsys):
    """A missing file is bad input too."""
    code = main(["pair", "--volunteers", str(tmp_path / "nope.csv"), "--elders",
                 str(tmp_path / "nope2.csv"), "--out", str(tmp_path / "o"), "--quiet"])
    assert code == 2
    assert "nope.csv: file not found" in capsys.readouterr().err


def test_not_text(tmp_path):
    """A binary file is neither UTF-8 nor GBK."""
    path = tmp_path / "elders.csv"
    path.write_bytes(bytes(range(128, 256)) * 4)
    with pytest.raises(matching.InputError, match="not text in UTF-8, GBK or UTF-16"):
        matching.read_table(path)


def test_blank_rows_are_skipped_but_rows_keep_their_numbers(tmp_path):
    """Excel's trailing blank rows vanish; a problem below a blank row keeps its row number."""
    path = write(tmp_path, "elders.csv", "elder_id,lat,lon\nE1,35.6,110.9\n,,\nE2,x,110.9\n")
    with pytest.raises(matching.InputError, match="row 4, column lat"):
        matching.read_world(write(tmp_path, "v.csv", "volunteer_id,lat,lon\nV1,35.6,110.9\n"),
                            path)


def test_relations_naming_people_not_in_the_rosters_are_skipped_with_one_warning(tmp_path,
                                                                                 capsys):
    """A relations file outlives its rosters (a volunteer leaves): its rows about people the
    rosters do not have are skipped, with one warning giving the count, not 712 errors."""
    (tmp_path / "v.csv").write_text("volunteer_id,lat,lon\nV1,35.6,110.97\n", encoding="utf-8")
    (tmp_path / "e.csv").write_text("elder_id,lat,lon\nE1,35.6,110.971\n", encoding="utf-8")
    (tmp_path / "r.csv").write_text(
        "volunteer_id,elder_id,relation\nV1,E1,kin\nV9,E1,familiar\nV1,E9,kin\nV8,E8,refuses\n",
        encoding="utf-8")
    world = matching.read_world(tmp_path / "v.csv", tmp_path / "e.csv", tmp_path / "r.csv")
    assert list(world.relations.triples()) == [("V1", "E1", "kin")]
    # rows 3, 4 and 5 name V9, E9, and V8 and E8: three rows skipped, the first on row 3
    assert [(n.file, n.row, n.code, n.params) for n in world.notices] == [
        ("r.csv", 3, "input.relations_unknown_skipped", {"n": 3})]
    out = tmp_path / "out"
    assert main(["pair", "--volunteers", str(tmp_path / "v.csv"), "--elders",
                 str(tmp_path / "e.csv"), "--relations", str(tmp_path / "r.csv"), "--out",
                 str(out), "--quiet"]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert warnings == ["matching: warning: r.csv, row 3: 3 row(s) name someone the rosters "
                        "do not have (a volunteer who has left, say) and were skipped; the "
                        "other relations are used"]
    assert pd.read_csv(out / "assignments.csv")["tie"].tolist() == ["kin"]
