"""The optional parts of the package, and the one sentence said when one is missing.

The plain install (``pip install sixty-helps-ninety``) is the engine: pairing, schedule,
re-planning, scenarios, the checker, CSV and Excel. Everything else is an extra, installed
by name (``pip install 'sixty-helps-ninety[console]'``). This module is the one place that
knows which extra holds which import, and the one place that imports an extra's module on
demand (:func:`optional_module`); everywhere else imports stay at the top of modules.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from matching.catalogue import say

#: The name the package is installed by (``matching`` on the package index is another
#: project; the import package is still ``matching``).
DISTRIBUTION = "sixty-helps-ninety"

#: Each extra, and the top-level modules it brings, in the order they are checked.
EXTRAS: dict[str, tuple[str, ...]] = {
    "figures": ("matplotlib",),
    "streets": ("osmium",),
    # the console writes each run's report too, and reads uploaded streets: it brings
    # matplotlib and osmium as well
    "console": ("fastapi", "starlette", "pydantic", "uvicorn", "jinja2", "multipart",
                "argon2", "zxcvbn", "confusable_homoglyphs", "segno", "httpx", "matplotlib",
                "osmium"),
    "cluster": ("distributed", "dask"),
    "geo": ("geopandas", "pyogrio"),
    # the ledger, and the console's time bank, in a PostgreSQL database
    "postgresql": ("psycopg",),
}

class MissingExtra(ImportError):
    """An optional part of the package that a command needs is not installed.

    Its text is one sentence naming the command, the extra and how to install it.
    """

    def __init__(self, extra: str, what: str, lang: str = "en") -> None:
        self.extra, self.what = extra, what
        super().__init__(missing_sentence(extra, what, lang), name=EXTRAS[extra][0])


def install_command(extra: str) -> str:
    """``pip install 'sixty-helps-ninety[extra]'``."""
    return f"pip install '{DISTRIBUTION}[{extra}]'"


def missing_sentence(extra: str, what: str, lang: str = "en") -> str:
    """The sentence said when ``what`` (a command, or a function) needs ``extra``."""
    return say("extra.missing", lang, what=what, extra=extra,
               purpose=say(f"extra.{extra}", lang), install=install_command(extra))


def extra_of(module: str | None) -> str | None:
    """The extra that brings the top-level module of ``module``, if any."""
    top = (module or "").split(".")[0]
    return next((extra for extra, modules in EXTRAS.items() if top in modules), None)


def missing(extra: str) -> list[str]:
    """The modules of ``extra`` that cannot be imported here."""
    return [name for name in EXTRAS[extra] if importlib.util.find_spec(name) is None]


def require(extra: str, what: str, lang: str = "en") -> None:
    """Raise :class:`MissingExtra` unless every module of ``extra`` is installed."""
    if missing(extra):
        raise MissingExtra(extra, what, lang)


def optional_module(name: str, what: str, lang: str = "en") -> ModuleType:
    """Import ``name``, a module of an extra, or raise :class:`MissingExtra` naming it."""
    extra = extra_of(name)
    if extra is None:
        raise ValueError(f"{name} belongs to no extra")
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if extra_of(exc.name) != extra:
            raise
        raise MissingExtra(extra, what, lang) from None
