"""Every page a coordinator reads is in Chinese: the console's pages, a volunteer's rota,
the coordinator's overview, a statement and the report, on a world where everything
happens (unpaired elders, a refusal, a new compound, volunteers leaving and a re-plan from a
later day, a week in the time bank). No visible text holds an English word; ids, units,
numbers and file names are allowed."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from matching.console import create_app
from tests.console.test_app import local
from tests.helpers.tour import PROGRAMME, START, form_token, take_tour, tour_files

#: Words that may stand in a Chinese page: the switch to English and the names of file
#: formats, and OpenStreetMap, where a programme's street file comes from.
ALLOWED = {"English", "Excel", "CSV", "OpenStreetMap"}
#: An engineer's words, kept beside this test: none may stand on a coordinator's page.
JARGON = [line.strip() for line in
          (Path(__file__).parent / "jargon.txt").read_text(encoding="utf-8").splitlines()
          if line.strip() and not line.startswith("#")]
#: A word of the Latin alphabet (two letters or more) that is not part of an id or a number.
WORD = re.compile(r"(?<![\w.])[A-Za-z]{2,}(?![\w])")
#: File names from the data (volunteers.csv) and ids (V00022, E90003, N004).
#: A web address (a volunteer's link printed under its QR code) is not a phrase.
ADDRESS = re.compile(r"https?://\S+")
FILE_NAME = re.compile(r"\S+\.(csv|xlsx|xls|html|ics)\b")

pytestmark = pytest.mark.slow


class VisibleText(HTMLParser):
    """The text a person sees: text outside script and style, and the words on buttons,
    options and placeholders."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "title"):
            self.hidden += 1
        values = dict(attrs)
        for name in ("placeholder", "aria-label", "alt"):
            if values.get(name):
                self.parts.append(str(values[name]))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "title"):
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def english_words(page: str) -> list[str]:
    reader = VisibleText()
    reader.feed(page)
    text = ADDRESS.sub(" ", FILE_NAME.sub(" ", " ".join(reader.parts)))
    return sorted({w for w in WORD.findall(text) if w not in ALLOWED})


@pytest.fixture(scope="module")
def toured(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tour")
    app = create_app(folder / "data")
    with local(app) as client:
        pages = take_tour(client, tour_files(folder / "files"))
        yield client, pages


def jargon(page: str) -> list[str]:
    reader = VisibleText()
    reader.feed(page)
    text = " ".join(reader.parts)
    return [term for term in JARGON if term in text]


def test_every_page_is_in_chinese(toured):
    client, pages = toured
    found = {}
    for name, path in pages.items():
        answer = client.get(path)
        assert answer.status_code == (404 if name == "missing" else 200), (name, path)
        words = english_words(answer.text) + jargon(answer.text)
        if words:
            found[name] = words
    assert found == {}


def test_pages_that_refuse_say_why_in_chinese(toured):
    """A bad upload, a form out of bounds, a week sent without marks: each answered in
    Chinese, naming the row and column as the coordinator knows them."""
    client, _ = toured
    upload = f"/p/{PROGRAMME}/upload"
    bad = {"elders": ("老人.csv", "elder_id,name,age,lat,lon\nX1,张三,八十,35.6,110.97\n"
                      .encode(), "text/csv")}
    refused = client.post(upload, data={"csrf": form_token(client.get(upload).text)},
                          files=bad)
    assert refused.status_code == 422 and english_words(refused.text) == []
    assert "<td>老人.csv</td><td>2</td><td>年龄</td><td>八十</td>" in refused.text
    plan = f"/p/{PROGRAMME}/plan"
    wrong = client.post(plan, data={"csrf": form_token(client.get(plan).text), "weeks": "99"})
    assert wrong.status_code == 422 and english_words(wrong.text) == []
    week = f"/p/{PROGRAMME}/timebank?week={START.isoformat()}"
    page = client.get(f"/p/{PROGRAMME}/timebank?week=2026-04-06")
    unmarked = client.post(f"/p/{PROGRAMME}/timebank",
                           data={"csrf": form_token(page.text), "week": "2026-04-06"})
    assert unmarked.status_code == 422 and english_words(unmarked.text) == []
    assert "项活动没有选择结果" in unmarked.text
    assert english_words(client.get(week).text) == []
