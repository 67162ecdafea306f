"""The words of the pages people read: the console, the report, rota pages, statements and
the hand-out workbook."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {}
