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
    assert store.get_state(con, "schema") == store.SCHEMA_VERSION == "6"
    assert [tuple(r) for r in con.execute("SELECT id, name, within_id FROM councils")] == [("c1", "Ashwell Parish Council", None)]


def test_schema_5_data_directory_gains_shared_minutes_events_and_keeps_its_inspections(tmp_path):
    """Its mentions stay inspections of their own until their documents are re-ingested; the trigger that drops a shared
    event with its last mention is made once the column it reads is there."""
    con = store.connect(tmp_path)
    con.execute("INSERT INTO documents(id, path_key, source, sha256, fingerprint, fmt, meta_json, ingested_at) "
                "VALUES ('d1', 'p', 'p', 's', 's', 'text', '{}', 'now')")
    con.execute("INSERT INTO inspections(id, doc_id, inspectorate, type, status, quote) "
                "VALUES ('i1', 'd1', 'CQC', 'asc-assessment', 'happened', 'q')")
    con.execute("DROP TRIGGER minutes_event_last")
    con.execute("DROP INDEX inspections_minutes_event")
    con.execute("ALTER TABLE inspections DROP COLUMN minutes_event")
    store.set_state(con, "schema", "5")
    con.close()
    con = store.connect(tmp_path)
    assert store.get_state(con, "schema") == "6"
    assert [tuple(r) for r in con.execute("SELECT id, minutes_event FROM inspections")] == [("i1", None)]
    con.execute("INSERT INTO minutes_events(id, council_id, inspectorate, type, status) VALUES ('e1', 'c', 'CQC', 'asc-assessment', 'happened')")
    con.execute("UPDATE inspections SET minutes_event = 'e1'")
    store.delete_document(con, "d1")  # the cascade fires the trigger: the event goes with its last mention
    assert con.execute("SELECT count(*) FROM minutes_events").fetchone()[0] == 0
