"""Password hashes: argon2id at the recommended parameters unless the test-only profile is
chosen, a bad profile name refused at start, and a hash made with other parameters replaced
at the user's next sign-in."""

from __future__ import annotations

import os
import subprocess
import sys

from argon2 import PasswordHasher, profiles
from auth_support import update_user, user_row
from conftest import PASSWORD

SHOW = "from cloudfold.security import passwords; print(passwords.hash_password('x'))"


def _run(profile: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CLOUDFOLD_PASSWORD_HASH_PROFILE"}
    if profile is not None:
        env["CLOUDFOLD_PASSWORD_HASH_PROFILE"] = profile
    return subprocess.run([sys.executable, "-c", SHOW], env=env, capture_output=True, text=True, timeout=60)


def test_the_default_is_argon2id_at_the_recommended_parameters():
    default = _run(None)
    assert default.returncode == 0, default.stderr
    assert default.stdout.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    cheap = _run("cheapest")
    assert cheap.returncode == 0 and cheap.stdout.startswith("$argon2id$v=19$m=8,t=1,p=1$")


def test_an_unknown_profile_stops_the_start_with_its_choices():
    bad = _run("fast")
    assert bad.returncode != 0
    assert "CLOUDFOLD_PASSWORD_HASH_PROFILE must be one of: recommended, cheapest" in bad.stderr


def test_a_hash_with_other_parameters_is_replaced_at_sign_in(client, member):
    strong = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY).hash(PASSWORD)
    update_user(client, member.email, password_hash=strong)
    r = client.post("/auth/login", json={"email": member.email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    stored = user_row(client, member.email).password_hash
    assert stored != strong and stored.startswith("$argon2id$v=19$m=8,t=1,p=1$")  # this run's profile
    again = client.post("/auth/login", json={"email": member.email, "password": PASSWORD})
    assert again.status_code == 200 and user_row(client, member.email).password_hash == stored
