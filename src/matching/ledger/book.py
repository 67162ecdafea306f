"""The time bank's ledger: record what was done, redeem, transfer, donate, expire, and read
balances and histories.

Each operation is one SQLite transaction: a process killed at any point leaves the ledger as
it was before or as it is after. Nothing recorded is changed or removed: the database refuses
it, a mistake is undone by a reversing batch (:meth:`Ledger.reverse`), and every write is
sealed in a hash chain that :meth:`Ledger.verify` checks. Every transaction's entries sum to
zero (credits to members come from the programme's pool, and go back to it when spent,
donated or expired), so the sum over all accounts is always zero.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sqlite3
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from matching.ledger.done import Recording
from matching.ledger.schema import DEFAULT_SCHEMA, connect
from matching.ledger.seal import NOTHING, Breach, canonical, seal, verify
from matching.rules.errors import InputError, InputIssue
from matching.rules.timebank import TimebankRules
from matching.runtime.database import Connection, is_database_url
from matching.world.columns import ELDER_ID, VOLUNTEER_ID

#: The programme's own account: credits come from it and go back to it.
POOL = "pool"
MINUTES_PER_HOUR = 60

#: Most values one SQL statement is given at once (SQLite's limit is higher; this keeps a
#: statement small).
SQL_VARIABLES = 500


def hours(minutes: float) -> float:
    """Minutes as hours, to the hundredth."""
    return round(minutes / MINUTES_PER_HOUR, 2)


class Ledger:
    """An open ledger file.

    Parameters
    ----------
    path
        The SQLite file (created if missing, unless ``create`` is false), or a
        ``postgresql://`` address (the ledger in ``schema`` there).
    rules
        The time bank's rules; stored in the file when it is created (or given again), read
        from it after.
    programme
        The programme writing (one ledger may serve an alliance of programmes): each
        transaction says where it happened, and a member's account, first credited, belongs
        to that programme.
    """

    def __init__(self, path: str | Path, rules: TimebankRules | None = None, *,
                 create: bool = True, programme: str = "",
                 schema: str = DEFAULT_SCHEMA) -> None:
        self.location = str(path) if is_database_url(path) else Path(path)
        self.path = Path(path) if not is_database_url(path) else Path(schema)
        self.programme = programme
        self.conn: Connection = connect(self.location, create=create, schema=schema)
        stored = self.conn.execute("SELECT value FROM meta WHERE key = 'rules'").fetchone()
        if stored is None or rules is not None:
            self.rules = rules or TimebankRules()
            self._write("INSERT INTO meta (key, value) VALUES ('rules', ?) ON CONFLICT (key) "
                        "DO UPDATE SET value = excluded.value", (json.dumps(asdict(self.rules)),))
        else:
            self.rules = TimebankRules(**json.loads(stored[0]))

    def close(self) -> None:
        """Close the file."""
        self.conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- writing -----------------------------------------------------------------------------
    def _write(self, sql: str, args: tuple = ()) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.execute(sql, args)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    def _transaction(self, date: str, kind: str, entries: dict[str, int], source: str = "",
                     memo: str = "", batch: int | None = None,
                     reverses: int | None = None) -> int:
        """Insert one balanced transaction (inside an open SQL transaction)."""
        if sum(entries.values()) != 0:
            raise ArithmeticError(f"unbalanced {kind} transaction: {entries}")
        tx = int(self.conn.execute(
            "INSERT INTO transactions (tx_id, date, kind, source, memo, batch_id, reverses, "
            "programme) VALUES ((SELECT COALESCE(MAX(tx_id), 0) + 1 FROM transactions), "
            "?, ?, ?, ?, ?, ?, ?) RETURNING tx_id",
            (date, kind, source, memo, batch, reverses, self.programme)).fetchone()[0])
        for account, minutes in entries.items():
            self.conn.execute("INSERT INTO accounts (account_id, kind, programme) VALUES "
                              "(?, 'member', ?) ON CONFLICT DO NOTHING",
                              (account, self.programme))
            self.conn.execute("INSERT INTO entries (tx_id, account_id, minutes) VALUES "
                              "(?, ?, ?)", (tx, account, minutes))
        return tx

    def _new_batch(self, at: str, source: str, rows: int, reverses: int | None,
                   actor: str) -> int:
        """Insert a batch (inside an open SQL transaction); its number."""
        return int(self.conn.execute(
            "INSERT INTO batches (batch_id, recorded_at, source, rows, reverses, actor) VALUES "
            "((SELECT COALESCE(MAX(batch_id), 0) + 1 FROM batches), ?, ?, ?, ?, ?) "
            "RETURNING batch_id", (at, source, rows, reverses, actor)).fetchone()[0])

    def _frame(self, sql: str, args: tuple = ()) -> pd.DataFrame:
        """A query's rows as a table, with its column names."""
        cursor = self.conn.execute(sql, args)
        return pd.DataFrame(cursor.fetchall(), columns=[d[0] for d in cursor.description])

    def _next_tx(self) -> int:
        return int(self.conn.execute("SELECT COALESCE(MAX(tx_id), 0) FROM transactions")
                   .fetchone()[0]) + 1

    def record(self, recording: Recording, source: str = "",
               accounts: Mapping[str, str] | None = None, actor: str = "") -> dict[str, int]:
        """Record a checked rota (see :func:`matching.ledger.done.read_done`) in one
        transaction: each row done is credited to whoever did it, for its minutes.

        With ``accounts`` (elder id to the account they banked hours in, see
        :func:`matching.ledger.feedback.member_accounts`), an elder who is a member pays for
        each service received from their balance, as far as it goes; the programme gives the
        rest (care is never refused for want of credits). Rows are recorded in date order.

        Raises
        ------
        InputError
            For a row recorded already, or a credit that would take a balance above the
            cap or a member's day above the daily cap; every such row is named and nothing
            is written.
        """
        rows = recording.rows.sort_values("date", kind="stable")
        accounts = accounts or {}
        if recording.problems:
            raise InputError(list(recording.problems))
        counts = {"done": 0, "missed": 0, "replaced": 0, "credited_minutes": 0,
                  "redeemed_minutes": 0}
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            # checked under the write lock: two recordings at once can neither both record
            # a row nor both pass a cap on the same balance
            problems = []
            recorded = self.recorded_keys(rows["activity_key"].tolist())
            for row, key in zip(rows.index, rows["activity_key"], strict=True):
                if key in recorded:
                    problems.append(InputIssue(recording.name, "input.recorded_already",
                                               int(row), "date", batch=recorded[key]))
            problems += self._cap_problems(recording.name, rows)
            if problems:
                raise InputError(problems)
            balance = defaultdict(int, self.balances_minutes())
            now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            batch = self._new_batch(now, source, len(rows), None, actor)
            # transaction ids are given here, so that all rows go in with executemany
            first_tx = next_tx = self._next_tx()
            transactions: list[tuple] = []
            entries: list[tuple[int, str, int]] = []
            activities: list[tuple] = []
            columns = [rows[c].tolist() for c in (
                "activity_key", "date", "activity", VOLUNTEER_ID, ELDER_ID, "status",
                "credited_to", "minutes", "credit", "rating", "comment")]
            for key, date, activity, volunteer, elder, status, who, minutes, credit, rating, \
                    comment in zip(*columns, strict=True):
                tx = None
                if credit:
                    tx, next_tx = next_tx, next_tx + 1
                    transactions.append((tx, date, "service", key,
                                         f"{activity} {elder}".strip(), batch))
                    entries += [(tx, who, credit), (tx, POOL, -credit)]
                    counts["credited_minutes"] += credit
                    balance[who] += credit
                    payer = accounts.get(elder)
                    pay = min(credit, balance[payer]) if payer else 0
                    if payer and pay > 0:
                        transactions.append((next_tx, date, "redeem", key, activity, batch))
                        entries += [(next_tx, payer, -pay), (next_tx, POOL, pay)]
                        next_tx += 1
                        balance[payer] -= pay
                        counts["redeemed_minutes"] += pay
                counts[status] += 1
                # as SQLite keeps them (a rating read as 4.0 is the whole number 4), so that
                # the seal of these rows is the seal of the rows read back
                activities.append((key, date, activity, volunteer, elder, status, who,
                                   int(minutes), None if rating is None or rating != rating
                                   else int(rating), comment, tx, batch))
            members = sorted({account for _, account, _ in entries if account != POOL})
            self.conn.executemany("INSERT INTO accounts (account_id, kind, programme) VALUES "
                                  "(?, 'member', ?) ON CONFLICT DO NOTHING",
                                  [(m, self.programme) for m in members])
            self.conn.executemany("INSERT INTO transactions (tx_id, date, kind, source, memo, "
                                  "batch_id, programme) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                  [(*t, self.programme) for t in transactions])
            self.conn.executemany("INSERT INTO entries (tx_id, account_id, minutes) VALUES "
                                  "(?, ?, ?)", entries)
            self.conn.executemany(
                "INSERT INTO activities (activity_key, date, activity, volunteer_id, "
                "elder_id, status, done_by, minutes, rating, comment, tx_id, batch_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", activities)
            # the rows as SQLite gives them back (each transaction reverses nothing)
            written = canonical({
                "transactions": [(*t, None, self.programme) for t in transactions],
                "entries": entries,
                "batches": [(batch, now, source, len(rows), None, actor)],
                "activities": activities})
            seal(self.conn, f"record {source}".strip(), actor, (first_tx, next_tx - 1),
                 (batch, batch), written)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        counts["batch"] = batch
        return counts

    def _cap_problems(self, name: str, rows: pd.DataFrame) -> list[InputIssue]:
        """Rows whose credit would take a balance above ``balance_cap_hours``, or a member's
        banking for one day above ``daily_cap_hours`` (rows in date order)."""
        problems = []
        cap = self.rules.balance_cap_hours * MINUTES_PER_HOUR
        daily_cap = self.rules.daily_cap_hours * MINUTES_PER_HOUR
        balance = defaultdict(int, self.balances_minutes())
        banked = defaultdict(int, self._banked_by_day(sorted(set(rows["date"])))) \
            if daily_cap else defaultdict(int)
        for row, date, who, credit in zip(rows.index, rows["date"], rows["credited_to"],
                                          rows["credit"], strict=True):
            if not credit:
                continue
            if cap and balance[who] + credit > cap:
                problems.append(InputIssue(
                    name, "input.balance_over_cap", int(row), "minutes", who=who,
                    hours=hours(balance[who] + credit), cap=self.rules.balance_cap_hours))
            if daily_cap and banked[(who, date)] + credit > daily_cap:
                problems.append(InputIssue(
                    name, "input.daily_over_cap", int(row), "minutes", who=who, date=date,
                    hours=hours(banked[(who, date)] + credit), cap=self.rules.daily_cap_hours))
            balance[who] += credit
            banked[(who, date)] += credit
        return problems

    def _banked_by_day(self, dates: list[str]) -> dict[tuple[str, str], int]:
        """Minutes each member has banked for services of each of ``dates`` (reversals
        netted)."""
        found: dict[tuple[str, str], int] = {}
        for start in range(0, len(dates), SQL_VARIABLES):
            part = dates[start:start + SQL_VARIABLES]
            for who, date, minutes in self.conn.execute(
                    "SELECT e.account_id, t.date, SUM(e.minutes) FROM entries e JOIN "
                    "transactions t ON t.tx_id = e.tx_id WHERE t.kind = 'service' AND "
                    "e.minutes > 0 AND "
                    f"e.account_id != ? AND t.date IN ({', '.join('?' * len(part))}) "
                    "GROUP BY e.account_id, t.date", (POOL, *part)):
                found[(str(who), str(date))] = int(minutes)
        return found

    def _move(self, kind: str, date: str, source: str, target: str, minutes: int, memo: str,
              what: str, actor: str = "") -> int:
        """Move minutes from a member's balance (never below zero), in one transaction."""
        if minutes <= 0:
            raise InputError.one(f"--{what}", "input.more_than_zero_hours", hours=hours(minutes))
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            have = self._balance(source)
            if minutes > have:
                raise InputError.one(f"ledger {kind}", "input.overdraw", who=source,
                                     have=hours(have), hours=hours(minutes))
            if target != POOL and self.rules.balance_cap_hours and \
                    self._balance(target) + minutes > \
                    self.rules.balance_cap_hours * MINUTES_PER_HOUR:
                raise InputError.one(f"ledger {kind}", "input.over_cap", who=target,
                                     cap=self.rules.balance_cap_hours)
            tx = self._transaction(date, kind, {source: -minutes, target: minutes}, memo=memo)
            seal(self.conn, kind, actor, (tx, tx))
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return tx

    def redeem(self, member: str, minutes: int, date: str, service: str = "",
               age: float | None = None) -> int:
        """A member spends credits on a service they receive (back to the pool). With the
        rules' ``spend_from_age`` set, the member's ``age`` must be given and at least it."""
        least = self.rules.spend_from_age
        if least and age is None:
            raise InputError.one("--age", "input.age_needed_to_spend", who=member, least=least)
        if least and age is not None and age < least:
            raise InputError.one("--age", "input.too_young_to_spend", who=member, age=age,
                                 least=least)
        return self._move("redeem", date, member, POOL, minutes, service, "hours")

    def transfer(self, member: str, to: str, minutes: int, date: str, memo: str = "",
                 family: bool = False) -> int:
        """A member gives hours to another member; with the rules' ``transfer_to`` set to
        ``family``, only to one the caller vouches is family (``family``)."""
        if not self.rules.transfers:
            raise InputError.one("ledger transfer", "input.transfers_off")
        if to in (member, POOL):
            raise InputError.one("--to", "input.another_member")
        if self.rules.transfer_to == "family" and not family:
            raise InputError.one("--family", "input.transfer_family_only", who=member, to=to)
        return self._move("transfer", date, member, to, minutes, memo, "hours")

    def donate(self, member: str, minutes: int, date: str, memo: str = "") -> int:
        """A member gives hours to the programme's pool."""
        if not self.rules.donations:
            raise InputError.one("ledger donate", "input.donations_off")
        return self._move("donation", date, member, POOL, minutes, memo, "hours")

    def expire(self, as_of: dt.date) -> dict[str, int]:
        """Credits earned more than ``expiry_years`` before ``as_of`` and not yet used expire,
        oldest first, in one transaction. Returns the minutes expired per member."""
        years = self.rules.expiry_years
        if not years:
            return {}
        cutoff = (as_of - dt.timedelta(days=round(365.25 * years))).isoformat()
        out = {}
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            old = dict(self.conn.execute(
                "SELECT e.account_id, SUM(e.minutes) FROM entries e JOIN transactions t "
                "USING (tx_id) WHERE e.minutes > 0 AND t.date < ? AND e.account_id != ? "
                "GROUP BY e.account_id", (cutoff, POOL)).fetchall())
            used = dict(self.conn.execute(
                "SELECT account_id, -SUM(minutes) FROM entries WHERE minutes < 0 AND "
                "account_id != ? GROUP BY account_id", (POOL,)).fetchall())
            first = self._next_tx()
            for member, earned in sorted(old.items()):
                left = min(earned - used.get(member, 0), self._balance(member))
                if left > 0:
                    self._transaction(as_of.isoformat(), "expiry", {member: -left, POOL: left},
                                      memo=f"credits earned before {cutoff}")
                    out[member] = left
            if out:
                seal(self.conn, "expiry", "", (first, self._next_tx() - 1))
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return out

    def reverse(self, batch: int, date: str, reason: str = "", actor: str = "") -> int:
        """Undo a recorded batch by a reversing one: each of its transactions again with the
        opposite entries (dated ``date``, marked as reversing it), and its rota rows free to
        be recorded again. Nothing is removed. Returns the reversing batch's number.

        Raises
        ------
        InputError
            If there is no such batch, it is a reversal itself, it was reversed already, or
            taking its credits back would leave a member below zero.
        """
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            row = self.conn.execute("SELECT batch_id, reverses FROM batches WHERE batch_id = ?",
                                    (batch,)).fetchone()
            if row is None:
                raise InputError.one("batch", "input.no_such_batch", batch=batch)
            if row[1] is not None:
                raise InputError.one("batch", "input.batch_is_reversal", batch=batch,
                                     reverses=row[1])
            later = self.conn.execute("SELECT batch_id FROM batches WHERE reverses = ?",
                                      (batch,)).fetchone()
            if later is not None:
                raise InputError.one("batch", "input.batch_reversed", batch=batch,
                                     by=later[0])
            txs = self.conn.execute("SELECT tx_id, kind, source, memo FROM transactions "
                                    "WHERE batch_id = ? ORDER BY tx_id", (batch,)).fetchall()
            moves: list[tuple[int, str, str, str, dict[str, int]]] = []
            balance = defaultdict(int, self.balances_minutes())
            for tx, kind, source, memo in txs:
                entries = {a: -m for a, m in self.conn.execute(
                    "SELECT account_id, minutes FROM entries WHERE tx_id = ?", (tx,))}
                for account, minutes in entries.items():
                    balance[account] += minutes
                moves.append((tx, kind, source, memo, entries))
            short = sorted(a for a, m in balance.items() if a != POOL and m < 0)
            if short:
                raise InputError.one("batch", "input.reversal_overdraws", batch=batch,
                                     who=short[0], have=hours(balance[short[0]]))
            now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            new = self._new_batch(now, reason, 0, batch, actor)
            first = self._next_tx()
            for tx, kind, source, memo, entries in moves:
                self._transaction(date, kind, entries, source, memo, new, reverses=tx)
            seal(self.conn, f"reverse batch {batch}", actor,
                 (first, self._next_tx() - 1) if moves else NOTHING, (new, new))
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return new

    def verify(self) -> tuple[list[Breach], str]:
        """Every seal checked against its rows, every row sealed, every transaction
        balanced (:func:`matching.ledger.seal.verify`): the breaches, and the head hash."""
        return verify(self.conn)

    def batches(self) -> pd.DataFrame:
        """Every batch: when, from what source, by whom, how many rows, and which batch it
        reverses (or which reversed it)."""
        return self._frame(
            "SELECT b.batch_id, b.recorded_at, b.source, b.actor, b.rows, b.reverses, "
            "r.batch_id AS reversed_by FROM batches b LEFT JOIN batches r "
            "ON r.reverses = b.batch_id ORDER BY b.batch_id")

    # -- reading -----------------------------------------------------------------------------
    def _balance(self, account: str) -> int:
        row = self.conn.execute("SELECT COALESCE(SUM(minutes), 0) FROM entries WHERE "
                                "account_id = ?", (account,)).fetchone()
        return int(row[0])

    def balances_minutes(self) -> dict[str, int]:
        """Every account's balance in minutes (the pool's is minus the members' sum)."""
        return dict(self.conn.execute("SELECT account_id, SUM(minutes) FROM entries "
                                      "GROUP BY account_id").fetchall())

    def total(self) -> int:
        """The sum over all accounts: always zero."""
        return int(self.conn.execute("SELECT COALESCE(SUM(minutes), 0) FROM entries")
                   .fetchone()[0])

    def last_date(self) -> str:
        """The date of the latest transaction (``""`` for an empty ledger)."""
        return str(self.conn.execute("SELECT COALESCE(MAX(date), '') FROM transactions")
                   .fetchone()[0])

    def recorded_keys(self, keys: list[str]) -> dict[str, int]:
        """Which of these rota rows are recorded already, with their batch."""
        out: dict[str, int] = {}
        for start in range(0, len(keys), SQL_VARIABLES):
            chunk = keys[start:start + SQL_VARIABLES]
            marks = ",".join("?" * len(chunk))
            out.update(self.conn.execute(
                f"SELECT activity_key, batch_id FROM activities WHERE activity_key IN "
                f"({marks}) AND batch_id NOT IN (SELECT reverses FROM batches WHERE reverses "
                f"IS NOT NULL)", chunk).fetchall())
        return out

    def batches_between(self, first: str, end: str,
                        except_sources: str = "") -> list[tuple[int, str]]:
        """The batches that recorded rota rows dated in ``[first, end)`` (ISO dates): their
        number and when they were recorded, oldest first (reversed ones aside); with
        ``except_sources``, not those whose source starts so."""
        return [(int(b), str(at)) for b, at in self.conn.execute(
            "SELECT DISTINCT b.batch_id, b.recorded_at FROM activities a JOIN batches b "
            "USING (batch_id) WHERE a.date >= ? AND a.date < ? AND "
            "(? = '' OR substr(b.source, 1, length(CAST(? AS TEXT))) != ?) AND a.batch_id NOT IN "
            "(SELECT reverses FROM batches WHERE reverses IS NOT NULL) ORDER BY b.batch_id",
            (first, end, except_sources, except_sources, except_sources)).fetchall()]

    def balances(self) -> pd.DataFrame:
        """One row per member: ``member_id, earned_hours, spent_hours, transferred_hours``
        (received less given), ``donated_hours``, ``balance_hours``, then ``expired_hours``
        and the count of services done. A requested service the member paid for is spent
        (its transaction credits the server and debits the payer at once)."""
        rows = self.conn.execute(
            "SELECT a.account_id, "
            "COALESCE(SUM(CASE WHEN t.kind = 'service' AND e.minutes > 0 THEN e.minutes END), "
            "0), "
            "COALESCE(-SUM(CASE WHEN t.kind = 'redeem' OR (t.kind = 'service' AND "
            "e.minutes < 0) THEN e.minutes END), 0), "
            "COALESCE(SUM(CASE WHEN t.kind = 'transfer' THEN e.minutes END), 0), "
            "COALESCE(-SUM(CASE WHEN t.kind = 'donation' THEN e.minutes END), 0), "
            "COALESCE(SUM(e.minutes), 0), "
            "COALESCE(-SUM(CASE WHEN t.kind = 'expiry' THEN e.minutes END), 0), "
            "COUNT(CASE WHEN t.kind = 'service' AND e.minutes > 0 THEN 1 END) "
            "FROM accounts a LEFT JOIN entries e USING (account_id) "
            "LEFT JOIN transactions t USING (tx_id) WHERE a.kind = 'member' "
            "GROUP BY a.account_id ORDER BY a.account_id").fetchall()
        table = pd.DataFrame(rows, columns=["member_id", "earned", "spent", "transferred",
                                            "donated", "balance", "expired", "services"])
        for column in ("earned", "spent", "transferred", "donated", "balance", "expired"):
            table[f"{column}_hours"] = table[column].map(hours)
        return table[["member_id", "earned_hours", "spent_hours", "transferred_hours",
                      "donated_hours", "balance_hours", "expired_hours", "services"]]

    def history(self, member: str) -> pd.DataFrame:
        """A member's entries in date order, with the running balance and, for services
        done or received, the activity, the elder, who did it, the rating and the comment."""
        rows = self.conn.execute(
            "SELECT t.date, t.kind, t.memo, e.minutes, t.source, ac.activity, ac.elder_id, "
            "ac.rating, ac.comment, t.tx_id, ac.done_by, t.reverses, "
            "(SELECT GROUP_CONCAT(o.account_id) FROM entries o WHERE o.tx_id = t.tx_id AND "
            "o.account_id != e.account_id) "
            "FROM entries e JOIN transactions t USING (tx_id) "
            "LEFT JOIN activities ac ON ac.row_id = (SELECT MIN(a2.row_id) FROM activities a2 "
            "WHERE t.source != '' AND a2.activity_key = t.source AND a2.batch_id = "
            "COALESCE((SELECT o.batch_id FROM transactions o WHERE o.tx_id = t.reverses), "
            "t.batch_id)) "
            "WHERE e.account_id = ? ORDER BY t.date, t.tx_id", (member,)).fetchall()
        table = pd.DataFrame(rows, columns=["date", "kind", "memo", "minutes", "source",
                                            "activity", ELDER_ID, "rating", "comment",
                                            "tx_id", "done_by", "reverses", "other"])
        table["hours"] = table["minutes"].map(hours)
        table["balance_hours"] = table["minutes"].cumsum().map(hours)
        table["date"] = pd.to_datetime(table["date"])
        return table

    def activities(self) -> pd.DataFrame:
        """Every rota row recorded, with its status, who did it, minutes and rating (the
        date as ``datetime64``)."""
        table = self._frame("SELECT * FROM activities ORDER BY date, activity_key")
        table["date"] = pd.to_datetime(table["date"])
        return table

    def missed(self, by: str = "elder") -> pd.DataFrame:
        """Per elder (``by="elder"``) or per planned volunteer (``"volunteer"``): how many of
        each activity were done (by anyone), replaced and missed, and the share missed."""
        column = {"elder": ELDER_ID, "volunteer": VOLUNTEER_ID}.get(by)
        if column is None:
            raise ValueError(f"missed by {by!r}: expected elder or volunteer")
        acts = self.activities()
        if acts.empty:
            return pd.DataFrame(columns=[column, "activity", "done", "replaced", "missed",
                                         "missed_share"])
        acts = acts[acts[column] != ""]
        table = acts.pivot_table(index=[column, "activity"], columns="status",
                                 values="activity_key", aggfunc="count", fill_value=0)
        table = table.reindex(columns=["done", "replaced", "missed"], fill_value=0)
        table["missed_share"] = (table["missed"] / table.sum(axis=1)).round(4)
        table.columns.name = None
        return table.reset_index()

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table, for export."""
        out = {name: self._frame(f"SELECT * FROM {name}")
               for name in ("accounts", "transactions", "entries", "activities", "batches")}
        out["balances"] = self.balances()
        return out


def minutes_of_hours(value: float) -> int:
    """Hours (as typed) to whole minutes."""
    if not math.isfinite(value):
        raise InputError.one("--hours", "input.not_hours", given=value)
    return round(value * MINUTES_PER_HOUR)


def open_ledger(path: str | Path, rules: TimebankRules | None = None, *,
                create: bool = True, programme: str = "",
                schema: str = DEFAULT_SCHEMA) -> Ledger:
    """Open a ledger (a file, or ``schema`` at a ``postgresql://`` address; created unless
    ``create`` is false), writing for ``programme``."""
    try:
        return Ledger(path, rules, create=create, programme=programme, schema=schema)
    except sqlite3.OperationalError as exc:
        raise InputError.one(Path(path).name, "input.cannot_open", detail=str(exc)) from None
