"""``matching ledger ... --database postgresql://...``: the same commands, the same figures,
the ledger in PostgreSQL; a bad address is bad input."""

from __future__ import annotations

import pandas as pd
import pytest

from matching.cli import main
from matching.ledger import open_ledger
from matching.ledger.schema import DEFAULT_SCHEMA
from matching.runtime.database import safe_url, schema_for, translate
from tests.ledger.test_book import write_rota


def test_the_commands_record_and_balance_in_postgresql(postgres_url, tmp_path, capsys):
    schedule, done = write_rota(tmp_path)
    where = ["--database", postgres_url]
    assert main(["ledger", "record", *where, "--schedule", str(schedule), "--done",
                 str(done), "--today", "2026-04-30"]) == 0
    # the same rows again: refused as a whole, as in a file
    assert main(["ledger", "record", *where, "--schedule", str(schedule), "--done",
                 str(done), "--today", "2026-04-30"]) == 2
    assert "was recorded already (batch 1)" in capsys.readouterr().err
    assert main(["ledger", "balance", *where, "--csv", str(tmp_path / "b.csv")]) == 0
    table = pd.read_csv(tmp_path / "b.csv").set_index("member_id")
    # V1: the 60-minute visit (1 h); V2: 45 minutes in V1's stead and a 100-minute service
    assert table.loc["V1", "balance_hours"] == 1.0
    assert table.loc["V2", "balance_hours"] == round(145 / 60, 2)
    with open_ledger(postgres_url, create=False, schema=DEFAULT_SCHEMA) as ledger:
        assert ledger.total() == 0 and ledger.verify()[0] == []


def test_a_bad_address_is_bad_input(tmp_path, capsys):
    assert main(["ledger", "balance", "--database", "mysql://x@y/z"]) == 2
    assert "must be a postgresql:// address" in capsys.readouterr().err
    # a database nobody listens at: named without its password, exit 2
    assert main(["ledger", "balance", "--database",
                 f"postgresql://u:secret@/db?host={tmp_path}&port=1"]) == 2
    err = capsys.readouterr().err
    assert "u:***@" in err and "secret" not in err


def test_names_and_sql_as_postgresql_reads_them():
    assert schema_for("minle") == "ledger_minle"
    assert schema_for("民乐社区").startswith("ledger_") and len(schema_for("民乐社区")) == 31
    assert safe_url("postgresql://u:pw@h/db") == "postgresql://u:***@h/db"
    assert translate("SELECT GROUP_CONCAT(o.a) FROM t WHERE x = ? AND y LIKE 'a%'") == \
        "SELECT string_agg(o.a, ',') FROM t WHERE x = %s AND y LIKE 'a%%'"


def test_a_newer_ledger_is_refused_in_both(ledgers):
    with ledgers.open("L") as ledger:
        ledger.conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(Exception, match="newer"):
        ledgers.open("L")
