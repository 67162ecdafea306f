"""The ledger's seals: every write is sealed by the SHA-256 of the rows it wrote and of the
seal before it, so that a row changed or removed behind the database's back (its triggers
dropped, the file edited) no longer matches its seal.

A seal covers the transactions ``first_tx..last_tx`` with their entries, and the batches
``first_batch..last_batch`` with their recorded rota rows (an empty range is ``0..-1``).
:func:`verify` reads the rows again and names the first seal that no longer holds, a row
that no seal covers, and a transaction whose entries do not sum to zero.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from matching.runtime.database import Connection

#: The hash the first seal chains to.
GENESIS = "0" * 64

#: An empty range of transactions or batches.
NOTHING = (0, -1)


#: The rows a seal covers: each table's columns (its row number left out: the rows are
#: taken in its order) and the range it is read by (its transactions, or its batches).
#: Form 2 (schema 4) also seals the programme each transaction happened in.
FORMS = {
    1: {"transactions": ("tx_id", "tx_id, date, kind, source, memo, batch_id, reverses"),
        "entries": ("tx_id", "tx_id, account_id, minutes"),
        "batches": ("batch_id", "batch_id, recorded_at, source, rows, reverses, actor"),
        "activities": ("batch_id", "activity_key, date, activity, volunteer_id, elder_id, "
                                   "status, done_by, minutes, rating, comment, tx_id, "
                                   "batch_id")},
}
FORMS[2] = {**FORMS[1], "transactions": (
    "tx_id", "tx_id, date, kind, source, memo, batch_id, reverses, programme")}
#: The form new seals are written in.
SEAL_FORM = 2
COLUMNS = FORMS[SEAL_FORM]
#: The order each table's rows are taken in.
ORDER = {"transactions": "tx_id", "entries": "entry_id", "batches": "batch_id",
         "activities": "row_id"}


def canonical(tables: dict[str, list[tuple]]) -> bytes:
    """The bytes a seal hashes: each table's rows (tuples of the :data:`COLUMNS` values, as
    SQLite gives them back) as JSON."""
    return json.dumps([tables[t] for t in COLUMNS], separators=(",", ":"),
                      ensure_ascii=True).encode("ascii")


def content(conn: Connection, txs: tuple[int, int], batches: tuple[int, int],
            form: int = SEAL_FORM) -> bytes:
    """The canonical bytes of the rows a seal covers, read from the file, in a seal's form."""
    tables = {}
    for table, (key, columns) in FORMS[form].items():
        bounds = txs if key == "tx_id" else batches
        tables[table] = conn.execute(f"SELECT {columns} FROM {table} WHERE {key} BETWEEN ? "
                                     f"AND ? ORDER BY {ORDER[table]}", bounds).fetchall()
    return canonical(tables)


def digest(previous: str, what: str, actor: str, at: str, body: bytes) -> str:
    """A seal's hash: of the one before it, what it says, and the rows' bytes."""
    head = json.dumps([previous, what, actor, at], ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(head + b"\n" + body).hexdigest()


def _last(conn: Connection, column: str, table: str) -> int:
    return int(conn.execute(f"SELECT COALESCE(MAX({column}), 0) FROM {table}").fetchone()[0])


def seal(conn: Connection, what: str, actor: str, txs: tuple[int, int],
         batches: tuple[int, int] = NOTHING, written: bytes | None = None) -> str:
    """Seal the rows just written (inside the open SQL transaction that wrote them); the
    new head hash. ``written`` is their :func:`canonical` bytes when the writer has them
    (a recording's thousands of rows need not be read back)."""
    row = conn.execute("SELECT hash FROM seals ORDER BY seal_id DESC LIMIT 1").fetchone()
    previous = row[0] if row else GENESIS
    at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    body = written if written is not None else content(conn, txs, batches)
    value = digest(previous, what, actor, at, body)
    conn.execute("INSERT INTO seals (seal_id, at, actor, what, first_tx, last_tx, "
                 "first_batch, last_batch, previous, hash, form) VALUES ((SELECT "
                 "COALESCE(MAX(seal_id), 0) + 1 FROM seals), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (at, actor, what, *txs, *batches, previous, value, SEAL_FORM))
    return value


def seal_existing(conn: Connection) -> None:
    """Seal whatever an older ledger holds (when it is migrated to version 3)."""
    last_tx, last_batch = _last(conn, "tx_id", "transactions"), _last(conn, "batch_id",
                                                                       "batches")
    if last_tx or last_batch:
        seal(conn, "migrated", "", (1, last_tx) if last_tx else NOTHING,
             (1, last_batch) if last_batch else NOTHING)


@dataclass(frozen=True)
class Breach:
    """What :func:`verify` found wrong: ``where`` names the entry (``seal 4``,
    ``transaction 17``), ``what`` says how."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def verify(conn: Connection) -> tuple[list[Breach], str]:
    """Check every seal against the rows it covers, that every row is covered, and that
    every transaction balances; the breaches found (first first), and the head hash."""
    breaches: list[Breach] = []
    previous = GENESIS
    covered_tx = covered_batch = 0
    for seal_id, at, actor, what, ftx, ltx, fb, lb, prev, value, form in conn.execute(
            "SELECT seal_id, at, actor, what, first_tx, last_tx, first_batch, last_batch, "
            "previous, hash, form FROM seals ORDER BY seal_id").fetchall():
        if prev != previous:
            breaches.append(Breach(f"seal {seal_id}", "does not follow the seal before it"))
        if digest(prev, what, actor, at, content(conn, (ftx, ltx), (fb, lb), form)) != value:
            breaches.append(Breach(f"seal {seal_id}",
                                   f"the rows it sealed ({what}: transactions {ftx}-{ltx}, "
                                   f"batches {fb}-{lb}) were changed"))
        previous = value
        covered_tx, covered_batch = max(covered_tx, ltx), max(covered_batch, lb)
    for (tx,) in conn.execute("SELECT tx_id FROM transactions WHERE tx_id > ? ORDER BY tx_id "
                              "LIMIT 1", (covered_tx,)):
        breaches.append(Breach(f"transaction {tx}", "is not sealed (added behind the ledger)"))
    for (batch,) in conn.execute("SELECT batch_id FROM batches WHERE batch_id > ? "
                                 "ORDER BY batch_id LIMIT 1", (covered_batch,)):
        breaches.append(Breach(f"batch {batch}", "is not sealed (added behind the ledger)"))
    for tx, total in conn.execute("SELECT tx_id, SUM(minutes) FROM entries GROUP BY tx_id "
                                  "HAVING SUM(minutes) != 0 ORDER BY tx_id LIMIT 1"):
        breaches.append(Breach(f"transaction {tx}", f"its entries sum to {total} minutes, "
                                                    "not zero"))
    return breaches, previous
