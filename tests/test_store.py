"""The data directory's schema: an older one is brought up to date in place, keeping what it holds."""

from __future__ import annotations

import pytest

from councilkg.graph import store


def test_schema_1_data_directory_gains_new_columns_and_keeps_its_rows(tmp_path):
    con = store.connect(tmp_path)
    con.execute("INSERT INTO meetings(id, council_method, date) VALUES ('m1', 'unknown', '2024-01-01')")
    for table, column in store.MIGRATIONS["1"]:
        con.execute(f"ALTER TABLE {table} DROP COLUMN {column.split()[0]}")
    store.set_state(con, "schema", "1")
    con.close()
    with pytest.raises(store.StoreError, match="schema 1"):
        store.connect(tmp_path, readonly=True)  # a reader never changes the data directory
    con = store.connect(tmp_path)
    assert store.get_state(con, "schema") == store.SCHEMA_VERSION
    for table, column in store.MIGRATIONS["1"]:
        assert column.split()[0] in {r[1] for r in con.execute(f"PRAGMA table_info({table})")}
    assert [tuple(r) for r in con.execute("SELECT id, date FROM meetings")] == [("m1", "2024-01-01")]


def test_schema_2_data_directory_gains_the_council_a_body_sits_in(tmp_path):
    con = store.connect(tmp_path)
    con.execute("INSERT INTO councils(id, name) VALUES ('c1', 'Ashwell Parish Council')")
    con.execute("ALTER TABLE councils DROP COLUMN within_id")
    store.set_state(con, "schema", "2")
    con.close()
    con = store.connect(tmp_path)
    assert store.get_state(con, "schema") == store.SCHEMA_VERSION == "4"
    assert [tuple(r) for r in con.execute("SELECT id, name, within_id FROM councils")] == [("c1", "Ashwell Parish Council", None)]
