"""Cell parsers accept the spellings planners type, and refuse the rest."""

from __future__ import annotations

import pytest

from matching.world import parse


@pytest.mark.parametrize(("text", "days"), [
    ("", "Mon Tue Wed Thu Fri Sat Sun"),
    ("Mon Tue Thu", "Mon Tue Thu"),
    ("monday, FRIDAY", "Mon Fri"),
    ("周一 周三", "Mon Wed"),
    ("星期二、星期日", "Tue Sun"),
    ("一 三 五", "Mon Wed Fri"),
    ("周一三五", "Mon Wed Fri"),
    ("1 3 5", "Mon Wed Fri"),
    ("7", "Sun"),
    ("Mon-Fri", "Mon Tue Wed Thu Fri"),
    ("周一至周五", "Mon Tue Wed Thu Fri"),
    ("Fri-Mon", "Mon Fri Sat Sun"),
    ("weekends", "Sat Sun"),
    ("每天", "Mon Tue Wed Thu Fri Sat Sun"),
    ("周天", "Sun"),
])
def test_days(text, days):
    """Day spellings become the same mask."""
    assert parse.format_days(parse.parse_days(text)) == days


@pytest.mark.parametrize("text", ["Mon Funday", "8", "0", "周八", "Mon--Fri", "x"])
def test_bad_days(text):
    """Anything that is not a day is refused."""
    with pytest.raises(ValueError, match="is not a list of days"):
        parse.parse_days(text)


@pytest.mark.parametrize(("text", "value"), [
    ("true", True), ("FALSE", False), ("yes", True), ("no", False), ("1", True), ("0", False),
    ("是", True), ("否", False), ("Y", True), ("", False),
])
def test_booleans(text, value):
    """Booleans in English, digits and Chinese."""
    assert parse.parse_bool(text) is value


def test_bad_boolean():
    """A word that is not a boolean is refused."""
    with pytest.raises(ValueError, match="is not true or false"):
        parse.parse_bool("maybe")


@pytest.mark.parametrize(("text", "value"), [("F", "F"), ("m", "M"), ("女", "F"), ("男", "M"),
                                             ("female", "F"), ("", "")])
def test_gender(text, value):
    """Genders in letters, words and Chinese."""
    assert parse.parse_gender(text) == value


def test_gender_preference_any():
    """'不限' means no preference."""
    assert parse.parse_gender("不限", allow_any=True) == ""
    with pytest.raises(ValueError):
        parse.parse_gender("不限")


@pytest.mark.parametrize(("text", "value"), [
    ("1942-12-21", "1942-12-21"), ("1942/1/5", "1942-01-05"), ("1942年1月5日", "1942-01-05"),
    ("02-29", "02-29"), ("2-29", "02-29"), ("1944-02-29", "1944-02-29"),
    ("1942-12-21 00:00:00", "1942-12-21"),
])
def test_birthdays(text, value):
    """Dates in ISO, slashes, Chinese and Excel's datetime text; 29 February is kept."""
    assert parse.parse_birthday(text) == value


@pytest.mark.parametrize("text", ["1943-02-29", "13-01", "02-30", "yesterday", "1700-01-01"])
def test_bad_birthdays(text):
    """Impossible or implausible dates are refused."""
    with pytest.raises(ValueError):
        parse.parse_birthday(text)


def test_tags():
    """Tags are lower-cased, spaces become underscores, repeats vanish, order stays."""
    assert parse.parse_tags("Haircut; foot massage；haircut、理发") == (
        "haircut", "foot_massage", "理发")


@pytest.mark.parametrize(("text", "value"), [("kin", "kin"), ("亲属", "kin"),
                                             ("Familiar", "familiar"), ("拒绝", "refuses")])
def test_relations(text, value):
    """Relation names in English and Chinese."""
    assert parse.parse_relation(text) == value


def test_comma_decimal_is_refused():
    """'35,61' is not silently read as 35.61 or 3561."""
    with pytest.raises(ValueError, match="is not a number"):
        parse.parse_number("35,61")
