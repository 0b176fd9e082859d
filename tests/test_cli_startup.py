"""`cloudfold serve` and `migrate` refuse to start with one clear line and a non-zero exit
(no traceback unless --debug) when the data directory is read-only or not a directory, the
database is damaged or newer than the code, a key file is damaged or missing while stored
credentials need it, a setting is invalid, or the port is taken. Real CLI processes."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess

import pytest

from serve_process import CLI, free_port, run_cli


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFOLD_")}
    clean.update(CLOUDFOLD_DATA_DIR=str(tmp_path / "data"))
    return clean


def refused(env: dict[str, str], *args: str, wrap: list[str] | None = None) -> str:
    """Run the CLI expecting a start-up refusal; return its one line."""
    proc = subprocess.run([*(wrap or []), *CLI, *args], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cloudfold: "), proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    return lines[0]


def test_a_data_dir_that_is_a_file(env):
    open(env["CLOUDFOLD_DATA_DIR"], "w").close()
    line = refused(env, "serve", "--port", str(free_port()))
    assert "is not a directory" in line and "CLOUDFOLD_DATA_DIR" in line


def read_only(path: str) -> list[str] | None:
    """A command prefix that runs the CLI with `path` read-only: a private read-only bind mount
    for root (who writes through any mode), the directory's mode otherwise."""
    if os.geteuid() != 0:
        os.chmod(path, 0o500)
        return None
    if not shutil.which("unshare"):
        pytest.skip("root without unshare cannot make a directory read-only")
    script = f'mount --bind "{path}" "{path}" && mount -o remount,ro,bind "{path}" && exec "$@"'
    if subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", "true"]).returncode != 0:
        pytest.skip("no mount namespaces here")
    return ["unshare", "-m", "sh", "-c", script, "sh"]


@pytest.mark.parametrize("existing", [False, True], ids=["empty", "installed"])
def test_a_read_only_data_dir(env, existing):
    data = env["CLOUDFOLD_DATA_DIR"]
    os.makedirs(data, mode=0o700)
    if existing:
        run_cli(env, "migrate")
    line = refused(env, "migrate", wrap=read_only(data))
    assert "read-only" in line and data in line and "chown/chmod" in line


def test_a_damaged_database(env):
    os.makedirs(env["CLOUDFOLD_DATA_DIR"], mode=0o700)
    with open(os.path.join(env["CLOUDFOLD_DATA_DIR"], "cloudfold.db"), "w") as fh:
        fh.write("this is not a database" * 100)
    line = refused(env, "serve", "--port", str(free_port()))
    assert "damaged or not a SQLite database" in line and "backup" in line
    proc = subprocess.run([*CLI, "migrate", "--debug"], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "Traceback" in proc.stderr  # --debug shows where


def test_a_database_newer_than_the_code(env):
    run_cli(env, "migrate")
    with sqlite3.connect(os.path.join(env["CLOUDFOLD_DATA_DIR"], "cloudfold.db")) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0999'")
    line = refused(env, "migrate")
    assert "0999" in line and "newer than this cloudfold" in line
    refused(env, "serve", "--port", str(free_port()))


def test_a_damaged_credentials_key(env):
    run_cli(env, "migrate")
    with open(os.path.join(env["CLOUDFOLD_DATA_DIR"], "credentials.key"), "w") as fh:
        fh.write("not-a-fernet-key\n")
    assert "credentials key" in refused(env, "serve", "--port", str(free_port()))


def test_an_empty_token_key(env):
    run_cli(env, "migrate")
    open(os.path.join(env["CLOUDFOLD_DATA_DIR"], "jwt.key"), "w").close()
    assert "jwt.key is empty" in refused(env, "migrate")


def test_a_missing_credentials_key_with_stored_credentials(env):
    run_cli(env, "migrate")
    data = env["CLOUDFOLD_DATA_DIR"]
    with sqlite3.connect(os.path.join(data, "cloudfold.db")) as conn:
        conn.execute("INSERT INTO accounts (slug, provider_type, display_name, credentials_sealed, config, is_active, "
                     "created_at, updated_at, health_status, sync_requested, sync_failures) VALUES ('a', 'aws', 'A', "
                     "'sealed', '{}', 1, '2026-01-01', '2026-01-01', 'unknown', 0, 0)")
    os.remove(os.path.join(data, "credentials.key"))
    line = refused(env, "serve", "--port", str(free_port()))
    assert "is missing" in line and "1 stored credential" in line
    assert not os.path.exists(os.path.join(data, "credentials.key"))  # no new key made that cannot read them


def test_an_invalid_setting(env):
    line = refused({**env, "CLOUDFOLD_JWT_TTL_MINUTES": "soon"}, "serve")
    assert "CLOUDFOLD_JWT_TTL_MINUTES" in line


def test_a_port_in_use(env):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = refused(env, "serve", "--port", str(port))
    assert f"port {port} on 127.0.0.1 is in use" in line and "--port" in line


def test_an_unreachable_database_server_without_its_password(env):
    url = f"postgresql+psycopg://cloudfold:hunter2@127.0.0.1:{free_port()}/cloudfold"
    line = refused({**env, "CLOUDFOLD_DATABASE_URL": url}, "migrate")
    assert "cannot be used" in line and "CLOUDFOLD_DATABASE_URL" in line
    assert "hunter2" not in line
