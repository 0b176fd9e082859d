"""Ids are never reused: deleting the newest record does not hand its id (or its seed 004
vmid) to the next one, on SQLite (AUTOINCREMENT, migration 0008) and PostgreSQL
(sequences). Migration 0008 rebuilds SQLite tables without losing rows or their children."""

from __future__ import annotations

import sqlite3

import pytest

from cloudfold.db.migrate import upgrade
from conftest import assert_error

pytestmark = pytest.mark.database


def create(client, headers, name: str) -> dict:
    r = client.post("/api/resources", json={"name": name, "resource_type": "vm"}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_a_deleted_records_id_and_vmid_name_nothing_else(client, member):
    h = member.headers
    first = create(client, h, "first")
    assert client.delete(f"/api/resources/{first['id']}", headers=h).status_code == 204
    second = create(client, h, "second")
    assert second["id"] > first["id"] and second["vmid"] > first["vmid"]
    assert_error(client.get(f"/api/resources/{first['id']}", headers=h), 404, "NOT_FOUND")
    assert_error(client.get(f"/api/containers/{first['vmid']}", headers=h), 404, "NOT_FOUND")


def test_deleted_users_and_accounts_ids_are_not_reused(client, admin):
    h = admin.headers
    body = {"provider": "aws", "name": "one", "access_key": "AKIAEXAMPLE", "secret_key": "s" * 40}
    one = client.post("/credentials", json=body, headers=h).json()
    assert client.delete(f"/credentials/{one['id']}", headers=h).status_code == 204
    two = client.post("/credentials", json={**body, "name": "two"}, headers=h).json()
    assert two["id"] > one["id"]


def _rows(path, table: str) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_migration_keeps_rows_and_children_then_never_reuses(tmp_path):
    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    upgrade(url, "0006")
    now = "2026-01-01 00:00:00.000000"
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO users (id, uuid, email, full_name, password_hash, role, is_active, token_version, "
                     f"created_at, updated_at) VALUES (1, 'u1', 'a@example.com', '', 'x', 'member', 1, 0, '{now}', '{now}')")
        for rid in (1, 2, 3):
            conn.execute("INSERT INTO resources (id, provider, kind, external_id, name, status, metadata, tags, manual, "
                         "vanished, sync_generation, created_at, updated_at, owner_id) VALUES "
                         f"({rid}, 'manual', 'vm', 'e{rid}', 'r{rid}', 'running', '{{}}', '{{}}', 1, 0, 0, '{now}', "
                         f"'{now}', 1)")
            conn.execute("INSERT INTO resource_actions (resource_id, action, result, actor, time) VALUES "
                         f"({rid}, 'stop', 'ok', 'a', '{now}')")
        conn.execute(f"INSERT INTO cloud_objects (id, resource_id, kind, name, owner_id, spec, created_at) VALUES "
                     f"('o1', 3, 'instance', 'web', 1, '{{}}', '{now}')")
        conn.execute("DELETE FROM resource_actions WHERE resource_id = 3")
        conn.execute("INSERT INTO resource_actions (resource_id, action, result, actor, time) VALUES "
                     f"(3, 'start', 'ok', 'a', '{now}')")
    upgrade(url)
    assert (_rows(path, "users"), _rows(path, "resources"), _rows(path, "resource_actions"),
            _rows(path, "cloud_objects")) == (1, 3, 3, 1)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("DELETE FROM resources WHERE id = 3")
        assert conn.execute("SELECT count(*) FROM cloud_objects").fetchone()[0] == 0  # the cascade still holds
        conn.execute("INSERT INTO resources (provider, kind, external_id, name, status, metadata, tags, manual, "
                     f"vanished, sync_generation, created_at, updated_at) VALUES ('manual', 'vm', 'e4', 'r4', "
                     f"'running', '{{}}', '{{}}', 1, 0, 0, '{now}', '{now}')")
        assert conn.execute("SELECT max(id) FROM resources").fetchone()[0] == 4
