"""What an identifier may be, and the one way a name from the data becomes a file.

Volunteer, elder and member ids come from strangers' spreadsheets, and some become file
names (``rota/V001.html``, ``ical/V001.ics``). The rule is one, applied wherever a file is
read (:func:`matching.world.read.read_table` checks every column of :data:`PERSON_ID_COLUMNS`,
in every table):

* it is normalised to Unicode NFC (``é`` typed two ways is one id);
* it holds no path separator (``/`` or ``\\``);
* it holds no control or invisible character (format characters such as zero-width
  spaces and right-to-left overrides, and every default-ignorable code point);
* it does not start with a dot;
* it is at most :data:`MAX_ID_LENGTH` characters long;
* it is a safe file name on Windows and macOS too: not a reserved device name (``CON``,
  ``NUL``, ``COM1``..., with or without an extension), no ``:`` (``C:x`` names a drive,
  ``a:b`` an NTFS stream; macOS shows it as ``/``), and no dot or space at its end
  (Windows drops them, making it another person's name);
* no two ids of one file differ only in case (``V001`` and ``v001``): on a disk that
  ignores case their rota files would be one (:func:`case_twins`).

Independently of that rule, :func:`inside` is the one check that a file named after data
resolves inside the folder it belongs to, made before anything is written there.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path, PurePosixPath

#: The longest id accepted, in characters (after NFC normalisation).
MAX_ID_LENGTH = 64

#: The id columns of the volunteers' and the elders' files: their names, named once.
VOLUNTEER_ID = "volunteer_id"
ELDER_ID = "elder_id"

#: Columns that hold an id of a volunteer, an elder or a member, whatever table they are in.
PERSON_ID_COLUMNS = frozenset({VOLUNTEER_ID, ELDER_ID, "member_id", "done_by",
                        "old_volunteer_id", "new_volunteer_id", "primary_id", "backup_id"})

#: Path separators on any system the outputs may be copied to.
PATH_SEPARATORS = ("/", "\\")

#: Characters that change where a file lands on Windows or macOS: a drive, an NTFS
#: stream, a folder in the Finder. (Windows refuses ``< > " | ? *`` too, but a file so
#: named is only not made there; it never lands in another's place.)
WINDOWS_FORBIDDEN = frozenset(":")

#: Names Windows keeps for devices, whatever their case or extension (``nul.txt`` too).
WINDOWS_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL",
                              *(f"{kind}{n}" for kind in ("COM", "LPT")
                                for n in (*"0123456789", "¹", "²", "³"))})

#: Unicode general categories of characters that are invisible or control something:
#: controls, format characters (zero-width, bidirectional overrides), surrogates, private
#: use, unassigned code points, and the line and paragraph separators.
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})

#: Default-ignorable code points (Unicode's DerivedCoreProperties) that are not of the
#: categories above: fillers and variation selectors that render as nothing.
DEFAULT_IGNORABLE = re.compile(
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2800\u3164\ufe00-\ufe0f\uffa0"
    "\U000e0100-\U000e01ef]")


class UnsafePath(ValueError):
    """A file name from the data that would land outside its folder."""


def normalise_id(text: str) -> str:
    """An id in its one written form: Unicode NFC."""
    return unicodedata.normalize("NFC", text)


def id_problem(text: str) -> tuple[str, dict[str, object]] | None:
    """What is wrong with an id under the rule above, as a code of the catalogue and its
    figures (``None``: nothing). ``text`` is taken as normalised (see
    :func:`normalise_id`); an empty id is not judged here."""
    if any(sep in text for sep in PATH_SEPARATORS):
        return "input.id_separator", {}
    if not text.isascii() or not text.isprintable():
        bad = next((c for c in text if unicodedata.category(c) in INVISIBLE_CATEGORIES
                    or DEFAULT_IGNORABLE.match(c)), None)
        if bad is not None:
            return "input.id_invisible", {
                "char": f"U+{ord(bad):04X} {unicodedata.name(bad, 'unnamed')}"}
    if text.startswith("."):
        return "input.id_leading_dot", {}
    if len(text) > MAX_ID_LENGTH:
        return "input.id_too_long", {"length": len(text), "most": MAX_ID_LENGTH}
    if forbidden := sorted(WINDOWS_FORBIDDEN.intersection(text)):
        return "input.id_windows_char", {"char": forbidden[0]}
    if text.endswith((".", " ")):
        return "input.id_trailing", {}
    if text.split(".", 1)[0].rstrip(" ").upper() in WINDOWS_RESERVED:
        return "input.id_reserved", {}
    return None


def case_twins(ids: list[str]) -> dict[int, int]:
    """Ids that differ from an earlier one only in case: the index of each, with the
    index of the first id it is a twin of (``V001``, ``v001`` -> ``{1: 0}``). The same id
    twice is no twin."""
    first: dict[str, tuple[int, str]] = {}
    twins = {}
    for i, text in enumerate(ids):
        key = text.casefold()
        seen = first.setdefault(key, (i, text))
        if seen[1] != text:
            twins[i] = seen[0]
    return twins


def inside(folder: str | Path, name: str) -> Path:
    """The path of ``name`` (a relative path with ``/`` between its parts, such as
    ``rota/V001.html``) inside ``folder``, after checking that it stays there.

    Raises
    ------
    UnsafePath
        If ``name`` is empty, absolute, holds a backslash, a NUL or a ``..`` part, or
        resolves (through links already on disk) outside ``folder``.
    """
    if not name or "\x00" in name or "\\" in name:
        raise UnsafePath(f"{name!r} is not a file name inside {folder}")
    if any(part in ("", ".", "..") for part in name.split("/")):  # "/abs" starts with ""
        raise UnsafePath(f"{name!r} is not a file name inside {folder}")
    relative = PurePosixPath(name)
    root = Path(folder).resolve()
    path = (root / relative).resolve()
    if path == root or not path.is_relative_to(root):
        raise UnsafePath(f"{name!r} would lie outside {folder}")
    return path
