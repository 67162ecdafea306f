"""Files as community offices really keep them: Chinese headers, map coordinates from Amap
and Baidu, Excel's and WPS's separators and encodings, and ``matching doctor``."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import matching
from matching.analysis.doctor import diagnose
from matching.cli import main
from matching.world import coords
from matching.world.columns import ALIASES, canonical, chinese
from matching.world.geo import haversine_km

ENGLISH_VOLS = ("volunteer_id,name,gender,lat,lon,max_elders,weekly_minutes,available_days,"
                "skills\n"
                "V1,张云,M,35.0300,111.0100,2,300,周一 周三,理发\n"
                "V2,李梅,F,35.0400,111.0200,1,240,,\n")
ENGLISH_ELDS = ("elder_id,name,age,lat,lon,birthday,lives_alone,needs,gender_preference\n"
                "E1,王秀英,91,35.0310,111.0110,1935-02-14,是,理发,\n"
                "E2,刘德,83,35.0390,111.0190,03-08,否,,F\n"
                "E3,赵四,80,35.0320,111.0090,,否,,\n")
CHINESE_VOLS = ("志愿者编号,姓名,性别,纬度,经度,最多服务老人数,每周可服务分钟,可服务日,技能\n"
                + ENGLISH_VOLS.split("\n", 1)[1])
CHINESE_ELDS = ("编号,姓名,年龄,纬度,经度,出生日期,独居,需求,性别要求\n"
                + ENGLISH_ELDS.split("\n", 1)[1])


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def pair(tmp_path: Path, vols: Path, elds: Path, *extra: str, out: str = "out") -> int:
    return main(["pair", "--volunteers", str(vols), "--elders", str(elds),
                 "--out", str(tmp_path / out), "--quiet", *extra])


# --- Chinese headers -----------------------------------------------------------------------

def test_chinese_headers_plan_like_english(tmp_path):
    """The same rows under Chinese headers give byte-for-byte the same assignments, and
    the checker reads the Chinese files too."""
    assert pair(tmp_path, write(tmp_path, "v.csv", ENGLISH_VOLS),
                write(tmp_path, "e.csv", ENGLISH_ELDS), out="en") == 0
    vols_zh = write(tmp_path, "志愿者.csv", CHINESE_VOLS, "gbk")
    elds_zh = write(tmp_path, "老人.csv", CHINESE_ELDS, "gbk")
    assert pair(tmp_path, vols_zh, elds_zh, out="zh") == 0
    assert main(["check", "--volunteers", str(vols_zh), "--elders", str(elds_zh), "--plan",
                 str(tmp_path / "zh")]) == 0
    en = (tmp_path / "en" / "assignments.csv").read_bytes()
    assert en == (tmp_path / "zh" / "assignments.csv").read_bytes()
    # 3 elders, V1 takes 2 and V2 1; E2 wants a woman, so V2 (F) serves E2
    table = pd.read_csv(tmp_path / "en" / "assignments.csv", dtype=str)
    assert dict(zip(table["elder_id"], table["volunteer_id"], strict=True)) == {
        "E1": "V1", "E2": "V2", "E3": "V1"}


def test_header_forms_are_matched_alike():
    """Case, spaces, hyphens, full-width letters and a unit in brackets do not matter."""
    assert canonical("Volunteer ID") == "volunteer_id"
    assert canonical("volunteer-id") == "volunteer_id"
    assert canonical("ｌａｔ") == "lat"
    assert canonical("距离（公里）") == "distance_km"
    assert canonical("编号", own_id="elder_id") == "elder_id"
    assert canonical("编号") == "编号"  # ambiguous without knowing the file
    assert canonical("备用电话") == "备用电话"  # unknown columns are kept as they are


def test_every_contract_column_has_a_chinese_name():
    contract = ["volunteer_id", "elder_id", "name", "age", "gender", "community", "phone",
                "address", "lat", "lon", "max_elders", "weekly_minutes", "available_days",
                "skills", "needs", "birthday", "lives_alone", "low_income", "priority",
                "visit_minutes", "gender_preference", "relation", "distance_km"]
    assert all(c in ALIASES for c in contract)
    assert all(not z.isascii() for z in chinese(contract))
    # every Chinese name reads back as the column it was written for
    assert [canonical(z) for z in chinese(contract)] == contract


def test_two_headers_for_one_column_are_refused(tmp_path, capsys):
    vols = write(tmp_path, "v.csv", "volunteer_id,电话,phone,lat,lon\nV1,1,2,35.03,111.01\n")
    code = pair(tmp_path, vols, write(tmp_path, "e.csv", ENGLISH_ELDS))
    assert code == 2
    assert "v.csv: columns 电话 and phone both mean phone; keep one" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_relations_in_chinese(tmp_path):
    rel = write(tmp_path, "关系.csv", "志愿者编号,老人编号,关系\nV2,E1,亲属\nV1,E3,拒绝\n")
    world = matching.read_world(write(tmp_path, "v.csv", CHINESE_VOLS),
                                write(tmp_path, "e.csv", CHINESE_ELDS), rel)
    assert list(world.relations.triples()) == [("V2", "E1", "kin"), ("V1", "E3", "refuses")]


def test_outputs_in_chinese_headers_read_back(tmp_path):
    """``--headers zh`` writes Chinese headers that ``schedule`` reads back."""
    vols, elds = write(tmp_path, "v.csv", ENGLISH_VOLS), write(tmp_path, "e.csv", ENGLISH_ELDS)
    assert pair(tmp_path, vols, elds, "--headers", "zh", out="zh") == 0
    assert pair(tmp_path, vols, elds, out="en") == 0
    header = (tmp_path / "zh" / "assignments.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("老人编号,志愿者编号,距离,每周分钟,结对关系")
    zh = matching.world.read.read_table(tmp_path / "zh" / "assignments.csv")
    en = matching.world.read.read_table(tmp_path / "en" / "assignments.csv")
    pd.testing.assert_frame_equal(zh, en)
    # and the independent checker reads the Chinese folder (through a contract-form copy)
    assert main(["check", "--plan", str(tmp_path / "zh")]) == 0


# --- separators, encodings, odd rows ------------------------------------------------------

def test_semicolon_and_tab_separated_files(tmp_path):
    semicolon = ENGLISH_VOLS.replace(",", ";")
    tab = ENGLISH_ELDS.replace(",", "\t")
    world = matching.read_world(write(tmp_path, "v.csv", semicolon),
                                write(tmp_path, "e.txt", tab))
    assert world.volunteers.volunteer_id.tolist() == ["V1", "V2"]
    assert world.elders.needs.tolist() == [("理发",), (), ()]


def test_excel_unicode_text_is_utf16_tab_separated(tmp_path):
    """Excel's "Unicode text": UTF-16 LE with a BOM, tabs; and the same without the BOM."""
    text = CHINESE_ELDS.replace(",", "\t").replace("\n", "\r\n")
    with_bom = matching.world.read.read_table(
        write(tmp_path, "e.txt", "\ufeff" + text, "utf-16-le"))
    without = matching.world.read.read_table(write(tmp_path, "e2.txt", text, "utf-16-le"))
    assert with_bom["name"].tolist() == ["王秀英", "刘德", "赵四"]
    pd.testing.assert_frame_equal(with_bom, without)


def test_quoted_newlines_repeated_header_blank_tail_and_long_fields(tmp_path):
    """A comment with line breaks, the header pasted again, blank rows at the end and a
    200,000-character field: the rows read keep their spreadsheet row numbers."""
    long_note = "很长的备注" * 40_000  # 200,000 characters, beyond csv's 131,072 default
    text = ("elder_id,lat,lon,note\n"
            'E1,35.03,111.01,"first line\nsecond line"\n'
            "elder_id,lat,lon,note\n"
            f"E2,35.04,111.02,{long_note}\n"
            ",,,\n\n,,,\n")
    table = matching.world.read.read_table(write(tmp_path, "e.csv", text))
    assert table["elder_id"].tolist() == ["E1", "E2"]
    assert table.index.tolist() == [2, 4]  # row 3 is the repeated header
    assert table.loc[2, "note"] == "first line\nsecond line"
    assert len(table.loc[4, "note"]) == 200_000


def _ods(path: Path, rows: list[list[str]]) -> Path:
    """A minimal OpenDocument spreadsheet, written by hand (no writer is installed)."""
    cells = "".join(
        "<table:table-row>" + "".join(
            f'<table:table-cell office:value-type="string"><text:p>{c}</text:p>'
            "</table:table-cell>" for c in row) + "</table:table-row>" for row in rows)
    content = ('<?xml version="1.0" encoding="UTF-8"?>'
               '<office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
               'office:version="1.2"><office:body><office:spreadsheet>'
               f'<table:table table:name="Sheet1">{cells}</table:table>'
               "</office:spreadsheet></office:body></office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?>'
                '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:'
                'manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/'
                'vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" '
                'manifest:media-type="text/xml"/></manifest:manifest>')
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                   compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", content)
        z.writestr("META-INF/manifest.xml", manifest)
    return path


def test_ods_workbook(tmp_path):
    """LibreOffice/WPS ``.ods`` reads like the CSV, with Chinese headers and text ids."""
    lines = [line.split(",") for line in CHINESE_ELDS.strip().split("\n")]
    table = matching.world.read.read_table(_ods(tmp_path / "老人.ods", lines), own_id="elder_id")
    assert table["elder_id"].tolist() == ["E1", "E2", "E3"]
    assert table["birthday"].tolist() == ["1935-02-14", "03-08", ""]


def test_broken_xls_names_the_fix(tmp_path, capsys):
    bad = tmp_path / "v.xls"
    bad.write_bytes(b"not a workbook at all")
    code = pair(tmp_path, bad, write(tmp_path, "e.csv", ENGLISH_ELDS))
    err = capsys.readouterr().err
    assert code == 2
    assert "v.xls: cannot be read as a workbook" in err
    assert "save it as .xlsx or CSV" in err
    assert "Traceback" not in err


# --- coordinates ---------------------------------------------------------------------------

#: Published test points of the WGS-84 <-> GCJ-02 formulas (eviltransform's test suite):
#: wgs lat, wgs lon, gcj lat, gcj lon.
GCJ_REFERENCE = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]
#: Published BD-09 <-> GCJ-02 points (coordtransform's README, Tiananmen 116.404, 39.915).
BD_REFERENCE = {
    "bd09_to_gcj02": (39.90865673957631, 116.39762729119315),
    "gcj02_to_bd09": (39.92133699351021, 116.41036949371029),
}


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), GCJ_REFERENCE)
def test_gcj02_against_published_points(wlat, wlon, glat, glon):
    lat, lon = coords.wgs84_to_gcj02(wlat, wlon)
    assert (float(lat), float(lon)) == pytest.approx((glat, glon), abs=1e-9)
    lat, lon = coords.to_wgs84(glat, glon, "gcj02")
    # the iterative inverse lands within 1e-8 degrees (about a millimetre)
    assert (float(lat), float(lon)) == pytest.approx((wlat, wlon), abs=1e-8)


def test_bd09_against_published_points():
    lat, lon = coords.bd09_to_gcj02(39.915, 116.404)
    assert (float(lat), float(lon)) == pytest.approx(BD_REFERENCE["bd09_to_gcj02"], abs=1e-9)
    lat, lon = coords.gcj02_to_bd09(39.915, 116.404)
    assert (float(lat), float(lon)) == pytest.approx(BD_REFERENCE["gcj02_to_bd09"], abs=1e-9)
    # Yuncheng: BD-09 -> WGS-84 -> BD-09 comes back within 1e-6 degrees (10 cm; the
    # published BD-09 inverse is itself approximate to that order)
    wlat, wlon = coords.to_wgs84(35.03, 111.01, "bd09")
    back = coords.gcj02_to_bd09(*coords.wgs84_to_gcj02(wlat, wlon))
    assert (float(back[0]), float(back[1])) == pytest.approx((35.03, 111.01), abs=1e-6)


def test_outside_china_and_missing_points_are_left_alone():
    lat, lon = coords.to_wgs84(np.array([51.5, np.nan]), np.array([-0.12, 111.0]), "gcj02")
    assert lat[0] == 51.5 and lon[0] == -0.12
    assert np.isnan(lat[1])


def test_mixed_sources_pair_only_after_conversion(tmp_path):
    """Volunteers from GPS, elders copied from Amap. At Yuncheng GCJ-02 sits 537 m east
    and a little south of the truth, so an elder 1.9 km east of a volunteer reads as
    2.44 km away unconverted (beyond the 2 km rule) and 1.90 km converted."""
    east = 1.9 / (111.195 * np.cos(np.radians(35.03)))  # degrees of longitude in 1.9 km
    glat, glon = coords.wgs84_to_gcj02(35.03, 111.01 + east)
    vols = write(tmp_path, "v.csv", "volunteer_id,lat,lon\nV1,35.03,111.01\n")
    elds = write(tmp_path, "e.csv", f"elder_id,lat,lon\nE1,{glat:.9f},{glon:.9f}\n")
    assert pair(tmp_path, vols, elds, out="raw") == 0
    assert (tmp_path / "raw" / "assignments.csv").read_text().count("\n") == 1  # header only
    scenario = tmp_path / "s.toml"
    scenario.write_text(f'[inputs]\nvolunteers = "{vols}"\nelders = "{elds}"\n'
                        '[inputs.coords]\nelders = "gcj02"\n', encoding="utf-8")
    assert main(["run", str(scenario), "--out", str(tmp_path / "run"), "--quiet"]) == 0
    table = pd.read_csv(tmp_path / "run" / "assignments.csv", dtype=str)
    assert table["volunteer_id"].tolist() == ["V1"]
    assert float(table["distance_km"].iloc[0]) == pytest.approx(1.9, abs=0.002)
    # the folder keeps the converted coordinates, so that it checks and repeats as WGS-84
    kept = pd.read_csv(tmp_path / "run" / "inputs" / "elders.csv", dtype=str)
    assert float(kept["lon"].iloc[0]) == pytest.approx(111.01 + east, abs=1e-7)


def test_coords_on_the_command_line_converts_both_files(tmp_path):
    """The whole world from Baidu: the plan equals the plan of the true points."""
    world = tmp_path / "w"
    assert main(["generate", "--preset", "minle", "--seed", "4", "--out", str(world)]) == 0
    for name in ("volunteers", "elders"):
        table = pd.read_csv(world / f"{name}.csv", dtype=str, keep_default_na=False)
        lat, lon = coords.gcj02_to_bd09(*coords.wgs84_to_gcj02(table["lat"].astype(float),
                                                                table["lon"].astype(float)))
        table["lat"], table["lon"] = [f"{x:.10f}" for x in lat], [f"{x:.10f}" for x in lon]
        table.to_csv(tmp_path / f"bd_{name}.csv", index=False)
    assert pair(tmp_path, world / "volunteers.csv", world / "elders.csv", out="true") == 0
    assert pair(tmp_path, tmp_path / "bd_volunteers.csv", tmp_path / "bd_elders.csv",
                "--coords", "bd09", out="bd") == 0
    true = pd.read_csv(tmp_path / "true" / "assignments.csv")
    converted = pd.read_csv(tmp_path / "bd" / "assignments.csv")
    assert true["volunteer_id"].tolist() == converted["volunteer_id"].tolist()
    assert np.abs(true["distance_km"] - converted["distance_km"]).max() <= 0.0011  # rounding
    # the independent checker reads the office's Baidu files the same way
    assert main(["check", "--volunteers", str(tmp_path / "bd_volunteers.csv"), "--elders",
                 str(tmp_path / "bd_elders.csv"), "--coords", "bd09",
                 "--plan", str(tmp_path / "bd")]) == 0


def test_bad_coords_setting_names_key_and_line(tmp_path, capsys):
    vols, elds = write(tmp_path, "v.csv", ENGLISH_VOLS), write(tmp_path, "e.csv", ENGLISH_ELDS)
    scenario = tmp_path / "s.toml"
    scenario.write_text(f'[inputs]\nvolunteers = "{vols}"\nelders = "{elds}"\n'
                        'coords = "baidu"\n', encoding="utf-8")
    assert main(["run", str(scenario), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert 's.toml: key inputs.coords (line 4) must be one of wgs84, gcj02, bd09, not ' \
           "'baidu'" in err
    assert not (tmp_path / "o").exists()


# --- doctor --------------------------------------------------------------------------------

def test_doctor_clean_files_exit_0(tmp_path, capsys):
    vols, elds = write(tmp_path, "v.csv", ENGLISH_VOLS), write(tmp_path, "e.csv", ENGLISH_ELDS)
    assert main(["doctor", str(vols), str(elds)]) == 0
    out = capsys.readouterr().out
    assert "0 problems" in out and "0 warnings" in out and "clean: ready to plan" in out


def test_doctor_lists_every_problem_at_once(tmp_path, capsys):
    vols = write(tmp_path, "志愿者.csv", "志愿者编号,纬度,经度,最多服务老人数\n"
                                        "V1,35.03,111.01,三\nV1,35.04,111.02,2\n")
    elds = write(tmp_path, "老人.csv", "编号,纬度,经度,独居\nE1,111.0,35.0,maybe\n")
    assert main(["doctor", str(vols), str(elds)]) == 2
    out = capsys.readouterr().out
    assert '志愿者.csv, row 2, column max_elders: "三" is not a number' in out
    assert '志愿者.csv, row 3, column volunteer_id: "V1" is a duplicate volunteer_id ' \
           "(first on row 2)" in out
    assert '老人.csv, row 2, column lat: "111.0" is out of range (expected -90 to 90); ' \
           "latitude and longitude look swapped" in out
    assert '老人.csv, row 2, column lives_alone: "maybe" is not true or false' in out
    assert "4 problems" in out
    assert "not ready" in out


def test_doctor_warnings(tmp_path):
    """Each warning once: unreachable elder, one person under two ids, a far point, and
    relations that cannot matter."""
    vols = write(tmp_path, "v.csv",
                 "volunteer_id,name,phone,gender,lat,lon,available_days\n"
                 "V1,张云,138-0000-0001,M,35.030,111.010,Mon\n"
                 "V2,张 云,13800000001,M,35.031,111.011,Mon\n"   # V1 again
                 "V3,李梅,,F,35.200,111.010,Tue\n"                # 19 km north
                 "V4,王五,,M,36.500,111.010,Mon\n")              # 163 km north
    elds = write(tmp_path, "e.csv",
                 "elder_id,name,lat,lon,available_days\n"
                 "E1,刘德,35.032,111.012,Mon\n"
                 "E2,赵四,35.100,111.300,Mon\n")                  # 27 km from anyone
    rels = write(tmp_path, "r.csv",
                 "volunteer_id,elder_id,relation\n"
                 "V3,E1,kin\n"        # (35.200 - 35.032) * 111.2 = 18.7 km, beyond 10 km
                 "V3,E1,familiar\n"   # and they share no day; and two relations for one pair
                 "V3,E2,refuses\n")   # 28.9 km: beyond every limit (10 km)
    found = diagnose([vols, elds, rels])
    assert found.ok
    lines = [str(w) for w in found.warnings]
    assert lines[0].startswith('e.csv, row 3, column elder_id: "E2" no volunteer can serve '
                               "this elder: no volunteer within 2 km (the nearest lives")
    assert lines[1] == ('v.csv, row 3, column volunteer_id: "V2" may be the same person as V1 '
                        "(row 2): same name and phone")
    # V4's nearest is V3: (36.5 - 35.2) * 111.2 = 145 km; E2's is E1: 7.6 km north-south
    # and 0.288 degrees * 91.1 = 26.2 km east-west, 27 km in all (both beyond 20 km)
    assert lines[2] == ('v.csv, row 5, column lat: "36.5, 111.01" lies 145 km from every '
                        "other volunteer and elder")
    assert lines[3] == ('e.csv, row 3, column lat: "35.1, 111.3" lies 27 km from every other '
                        "volunteer and elder")
    lines = lines[:3] + lines[4:]
    # the cells as the file gives them, the people by name
    assert lines[3].startswith('r.csv, row 2, column relation: "kin" (李梅 (V3) - 刘德 (E1)) '
                               "cannot matter: kin living 18.")
    assert lines[4] == ('r.csv, row 3, column relation: "familiar" (李梅 (V3) - 刘德 (E1)) '
                        "cannot matter: the pair may not serve anyway (they live 18.7 km apart, "
                        "beyond 2 km)")
    assert lines[5].startswith('r.csv, row 4, column relation: "refuses" (李梅 (V3) - 赵四 (E2)) '
                               "cannot matter now: they live")
    assert lines[6] == ("r.csv, column relation: the pair 李梅 (V3) - 刘德 (E1) is given as "
                        "familiar and kin")
    assert len(lines) == 7  # and the outlier E2 taken out above: 8 warnings


def test_doctor_warns_of_ids_that_are_personal_numbers(tmp_path):
    vols = write(tmp_path, "v.csv", "volunteer_id,lat,lon\n13800000001,35.03,111.01\n"
                                    "V2,35.03,111.01\n")
    elds = write(tmp_path, "e.csv", "elder_id,lat,lon\n14010219380214002X,35.031,111.011\n")
    found = diagnose([vols, elds])
    personal = [str(w) for w in found.warnings if "identity-card" in str(w)]
    assert personal == [
        'v.csv, row 2, column volunteer_id: "13800000001" looks like a phone or identity-card '
        "number; ids go into every output (pseudonymised ones too), so use the office's own "
        "numbers",
        'e.csv, row 2, column elder_id: "14010219380214002X" looks like a phone or '
        "identity-card number; ids go into every output (pseudonymised ones too), so use the "
        "office's own numbers"]


def test_doctor_area_and_unknown_file(tmp_path, capsys):
    vols = write(tmp_path, "v.csv", ENGLISH_VOLS)
    elds = write(tmp_path, "e.csv", ENGLISH_ELDS)
    found = diagnose([vols, elds], area=(35.6, 110.97, 5.0))  # Minle, not these points
    # every point lies about (35.6 - 35.035) * 111.2 = 63 km south of Minle
    km = {int(str(w).split(": ")[-1].split()[0]) for w in found.warnings}
    assert km <= {62, 63, 64}
    assert sum("outside the area given (5 km around 35.6, 110.97)" in str(w)
               for w in found.warnings) == 5  # 2 volunteers + 3 elders
    odd = write(tmp_path, "list.csv", "who,lat\nX,1\n")
    assert main(["doctor", str(odd)]) == 2
    assert "list.csv: cannot tell whether this is a volunteers, elders" in \
        capsys.readouterr().out


def test_doctor_converts_coordinates(tmp_path):
    """The same check in GCJ-02: with --coords the mixed world is clean of far points."""
    lat, lon = coords.wgs84_to_gcj02(35.032, 111.012)
    elds = write(tmp_path, "e.csv", f"elder_id,lat,lon\nE1,{lat:.9f},{lon:.9f}\n")
    vols = write(tmp_path, "v.csv", "volunteer_id,lat,lon\nV1,35.030,111.010\n")
    plain = diagnose([vols, elds])
    converted = diagnose([vols, elds], coords={"elders": "gcj02"})
    # unconverted the pair is 0.28 km + the 537 m offset apart; both within 2 km either way
    km = haversine_km(*(np.array([x]) for x in (35.030, 111.010, 35.032, 111.012)))[0]
    assert km == pytest.approx(0.287, abs=0.001)
    assert plain.warnings == [] and converted.warnings == []
