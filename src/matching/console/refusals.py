"""What the console's JSON routes answer when they refuse, as their schema states it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Problem(BaseModel):
    """One problem of bad input: where it is (file, row, column, value) and what is wrong
    (a code of the catalogue with its figures, and the words in English)."""

    file: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    code: str
    params: dict[str, Any] = Field(default_factory=dict)
    message: str
    text: str


class Refusal(BaseModel):
    """Why a request was refused: ``detail`` (a sentence, the problems, or the fields a
    request lacked), or ``problems`` by file, row and column with their ``problem_count``."""

    detail: str | list[Problem] | list[dict[str, Any]] | None = None
    problems: list[Problem] | None = None
    problem_count: int | None = None


#: What every route of the API may answer besides its success, stated in the schema.
REFUSALS: dict[int | str, dict[str, Any]] = {
    status: {"model": Refusal, "description": what} for status, what in (
        (400, "a body that could not be read"), (401, "no account given"),
        (403, "not allowed (a role, the CSRF token, the start secret)"),
        (404, "no such programme, run, file or link"),
        (409, "in conflict with what is recorded"), (413, "a body over the route's limit"),
        (415, "a body of a type the route does not take"),
        (422, "bad input, with each problem named"), (429, "too many attempts"))}
