"""The plain install is the engine: with every extra's modules made unimportable, the
default run, pair, schedule, check, doctor and the workbook work, and a command that needs
an extra says so in one sentence (exit 2, nothing written)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from matching.runtime.extras import DISTRIBUTION, EXTRAS, MissingExtra, extra_of, optional_module

ROOT = Path(__file__).resolve().parents[2]

#: Runs ``matching.cli.main`` with the modules of the extras named in argv[1] (comma
#: separated) unimportable, as on a machine where only the plain package is installed.
WITHOUT_EXTRAS = """
import sys
blocked = {name for extra in sys.argv[1].split(",") for name in EXTRAS[extra]}

class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Blocker())
import importlib.util
real_find_spec = importlib.util.find_spec
def find_spec(name, package=None):
    if name.split(".")[0] in blocked:
        return None
    return real_find_spec(name, package)
importlib.util.find_spec = find_spec
from matching.cli import main
code = main(sys.argv[2:])
leaked = sorted({m.split(".")[0] for m in sys.modules} & blocked)
print("LEAKED", ",".join(leaked), file=sys.stderr)
sys.exit(code)
"""

ALL_EXTRAS = ",".join(EXTRAS)


def without(extras: str, *argv: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    script = "from matching.runtime.extras import EXTRAS\n" + WITHOUT_EXTRAS
    return subprocess.run([sys.executable, "-c", script, extras, *argv], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_the_default_run_and_the_engine_commands_need_no_extra(tmp_path):
    out = tmp_path / "minle"
    # two weeks of the default run: every stage runs, and what a stage imports does not
    # depend on how many weeks it plans
    ran = without(ALL_EXTRAS, "run", str(ROOT / "scenarios" / "minle.toml"), "--out", str(out),
                  "--quiet", "--deterministic-time", "5", "--weeks", "2")
    assert ran.returncode == 0, ran.stderr
    assert "LEAKED \n" in ran.stderr  # not one extra's module was imported
    assert (out / "assignments.csv").exists() and (out / "schedule.csv").exists()
    checked = without(ALL_EXTRAS, "check", "--plan", str(out), "--json")
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["ok"] is True
    book = without(ALL_EXTRAS, "workbook", str(out), "--out", str(tmp_path / "rota.xlsx"))
    assert book.returncode == 0, book.stderr
    doctor = without(ALL_EXTRAS, "doctor", str(out / "inputs" / "volunteers.csv"),
                     str(out / "inputs" / "elders.csv"))
    assert doctor.returncode == 0, doctor.stderr


@pytest.mark.parametrize(("command", "extra", "purpose"), [
    (["serve", "--data", "nowhere"], "console", "the web console"),
    (["account", "list", "--data", "nowhere"], "console", "the web console"),
    (["report", "nowhere"], "figures", "the report and its figures"),
    (["run", str(ROOT / "scenarios" / "minle.toml"), "--out", "minle", "--report", "zh"],
     "figures", "the report and its figures"),
])
def test_a_command_that_needs_an_extra_names_it_in_one_sentence(command, extra, purpose,
                                                                 tmp_path):
    ran = without(extra, *command, cwd=tmp_path)
    assert ran.returncode == 2
    first = ran.stderr.splitlines()[0]
    what = "matching run --report" if "--report" in command else f"matching {command[0]}"
    assert first == (f"matching: {what} needs the optional part “{extra}” ({purpose}): "
                     f"pip install '{DISTRIBUTION}[{extra}]'")
    assert "Traceback" not in ran.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_optional_module_names_the_extra_and_passes_other_errors_on():
    assert optional_module("segno", "QR codes").__name__ == "segno"
    assert extra_of("matplotlib.figure") == "figures"
    assert extra_of("pandas") is None
    with pytest.raises(ValueError, match="belongs to no extra"):
        optional_module("pandas", "tables")
    error = MissingExtra("geo", "to_geodataframe", "zh")
    assert str(error) == ("to_geodataframe 需要可选部分“geo”（GeoPandas 地理表），请先安装："
                          "pip install 'sixty-helps-ninety[geo]'")


@pytest.mark.slow
def test_every_extra_is_declared_and_what_is_imported_is_declared():
    """The extras' modules are the declared extras' distributions, and every third-party
    module imported by the package is declared (core or an extra)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {spec.split("[")[0].split(">")[0].split("<")[0].split("=")[0].strip().lower()
                for spec in project["dependencies"]}
    extras = project["optional-dependencies"]
    assert set(EXTRAS) <= set(extras)
    for extra in EXTRAS:
        declared |= {spec.split("[")[0].split(">")[0].strip().lower() for spec in extras[extra]}
    # the distribution that brings each imported top-level module
    distribution = {"argon2": "argon2-cffi", "multipart": "python-multipart",
                    "python_calamine": "python-calamine", "yaml": "pyyaml",
                    "confusable_homoglyphs": "confusable-homoglyphs", "distributed": "dask"}
    imported = set()
    for path in (ROOT / "src" / "matching").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
            elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == \
                    "optional_module" and isinstance(node.args[0], ast.Constant):
                imported.add(str(node.args[0].value).split(".")[0])
    standard = set(sys.stdlib_module_names) | {"matching", "__future__"}
    third_party = {distribution.get(name, name).lower().replace("_", "-")
                   for name in imported - standard}
    assert third_party - declared == set()
    # declared, and used through another library (see pyproject.toml): pandas reads .xlsx
    # with openpyxl, which parses through defusedxml; FastAPI renders the pages with jinja2
    # and reads forms with python-multipart
    assert declared - third_party == {"openpyxl", "defusedxml", "jinja2", "python-multipart"}
