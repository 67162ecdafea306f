"""What a coordinator reads is in her words: a warning quotes her cell (熟人, not familiar)
and names people by name, a missing column is named as her files name it (纬度), a saved
roster is told by when it was saved, and a download is named for the programme and the run."""

from __future__ import annotations

from urllib.parse import unquote

import pandas as pd
import pytest

from matching.analysis.doctor import called
from matching.catalogue import say
from matching.console import create_app
from tests.console.test_app import MINLE, form_token, local, minle_files, wait


def test_a_warning_quotes_her_cell_and_names_people(tmp_path):
    """V00000 (蒋金) and E00001 (唐云), given as 熟人, live 11 km apart: the relation cannot
    matter, and the warning says so quoting “熟人” and naming both."""
    elders = pd.read_csv(MINLE / "elders.csv", dtype=str, keep_default_na=False)
    elders.loc[elders["elder_id"] == "E00001", "lat"] = "35.700000"  # 11 km north
    files = minle_files()
    files["elders"] = ("elders.csv", elders.to_csv(index=False).encode(), "text/csv")
    files["relations"] = ("relations.csv", "volunteer_id,elder_id,relation\n"
                          "V00000,E00001,熟人\n".encode(), "text/csv")
    with local(create_app(tmp_path / "data")) as client:
        client.post("/programmes", data={"name": "minle", "csrf": form_token(client, "/")})
        page = client.post("/p/minle/upload", data={"csrf": form_token(client, "/p/minle/upload")},
                           files=files)
    assert page.status_code == 200
    assert "“熟人”" in page.text and "蒋金（V00000）" in page.text and "唐云（E00001）" in page.text
    assert "familiar" not in page.text
    assert "已保存（" in page.text and "volunteers.csv" not in page.text.split("<form")[1]


def test_a_missing_column_is_named_as_her_files_name_it(tmp_path):
    files = minle_files()
    elders = pd.read_csv(MINLE / "elders.csv", dtype=str).drop(columns=["lat"])
    files["elders"] = ("elders.csv", elders.to_csv(index=False).encode(), "text/csv")
    with local(create_app(tmp_path / "data")) as client:
        client.post("/programmes", data={"name": "minle", "csrf": form_token(client, "/")})
        page = client.post("/p/minle/upload", data={"csrf": form_token(client, "/p/minle/upload")},
                           files=files)
    assert page.status_code == 422
    assert "缺少“纬度”列" in page.text and "缺少 lat" not in page.text


def test_people_are_called_by_name_with_their_id():
    people = pd.DataFrame({"volunteer_id": ["V1", "V2"], "name": ["王芳", ""]})
    parts = [called(people, "volunteer_id", i, v) for i, v in ((0, "V1"), (1, "V2"), (-1, "V9"))]
    assert [say(p["code"], "zh", **p["params"]) for p in parts] == ["王芳（V1）", "V2", "V9"]
    assert say(parts[0]["code"], "en", **parts[0]["params"]) == "王芳 (V1)"


@pytest.mark.slow
def test_downloads_are_named_for_the_programme_and_the_run(tmp_path):
    with local(create_app(tmp_path / "data")) as client:
        assert client.post("/api/programmes/民乐社区/inputs",
                           files=minle_files()).status_code == 200
        run_id = client.post("/api/programmes/民乐社区/runs", json={
            "start": "2026-03-30", "weeks": 1, "time_limit": 10}).json()["id"]
        assert wait(client, run_id)["status"] == "done"
        told = client.get(f"/api/runs/{run_id}/workbook").headers["content-disposition"]
    plain, _, utf8 = told.partition("filename*=UTF-8''")
    assert plain == f'attachment; filename="plan-{run_id}.xlsx"; '
    assert unquote(utf8) == f"民乐社区-第{run_id}次排班-排班表.xlsx"
