"""The settings default to production: the demo is asked for (SYNCDECK_DEMO=true), and a
production start on the demo's embedded pieces is refused with a clear message.

Each case runs Django in a subprocess with a clean environment, as an operator would."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]
STRONG_SECRET = "k3Y-" + "Zq9x" * 16  # long and varied enough for check --deploy

SHOW_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "DEBUG": s.DEBUG,
    "SANDBOX_ENABLED": s.SANDBOX_ENABLED,
    "sandbox_app": "sandbox" in s.INSTALLED_APPS,
    "HTTP_ALLOW_PRIVATE_TARGETS": s.HTTP_ALLOW_PRIVATE_TARGETS,
    "GHL_USE_SANDBOX": s.GHL_USE_SANDBOX,
    "derived_key": s.SECRET_KEY.startswith("dev-insecure-"),
}))
"""


def run(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "SYNCDECK_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **env,
    }
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def secrets_env() -> dict[str, str]:
    return {"SECRET_KEY": STRONG_SECRET, "SYNCDECK_ENCRYPTION_KEYS": Fernet.generate_key().decode()}


def readme_production_env() -> dict[str, str]:
    """The `export …` of README's "Production deployment", with its … filled in."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Production deployment", 1)[1]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    command = block.replace("\\\n", " ").strip().splitlines()[0]
    words = shlex.split(command)
    assert words[0] == "export"
    fill = {
        **secrets_env(),
        "DATABASE_URL": "postgres://syncdeck@db.example.com:5432/syncdeck",
        "REDIS_URL": "redis://redis.example.com:6379/1",
        "CELERY_BROKER_URL": "redis://redis.example.com:6379/0",
        "GHL_CLIENT_ID": "marketplace-client-id",
        "GHL_CLIENT_SECRET": "marketplace-client-secret",
    }
    env = {}
    for word in words[1:]:
        name, _, value = word.partition("=")
        if "…" in value:
            assert name in fill, f"README's production environment has a new variable {name}"
            value = fill[name]
        env[name] = value
    return env


def test_no_environment_refuses_to_start(tmp_path):
    done = run(["manage.py", "check"], {}, tmp_path)
    assert done.returncode != 0
    assert "SECRET_KEY is not set" in done.stderr
    assert "SYNCDECK_DEMO=true" in done.stderr


def test_defaults_are_production_not_demo(tmp_path):
    done = run(["-c", SHOW_SETTINGS], secrets_env(), tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "DEBUG": False,
        "SANDBOX_ENABLED": False,
        "sandbox_app": False,
        "HTTP_ALLOW_PRIVATE_TARGETS": False,
        "GHL_USE_SANDBOX": False,
        "derived_key": False,
    }


def test_the_demo_is_one_explicit_switch(tmp_path):
    done = run(["-c", SHOW_SETTINGS], {"SYNCDECK_DEMO": "true"}, tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "DEBUG": True,
        "SANDBOX_ENABLED": True,
        "sandbox_app": True,
        "HTTP_ALLOW_PRIVATE_TARGETS": True,
        "GHL_USE_SANDBOX": True,
        "derived_key": True,
    }
    assert run(["manage.py", "check"], {"SYNCDECK_DEMO": "true"}, tmp_path).returncode == 0


def test_debug_off_refuses_the_filesystem_broker_and_no_redis(tmp_path):
    done = run(["manage.py", "check"], {"DEBUG": "false", **secrets_env()}, tmp_path)
    assert done.returncode != 0
    assert "syncdeck.E001" in done.stderr
    assert "CELERY_BROKER_URL is the demo's filesystem:// broker" in done.stderr
    assert "syncdeck.E002" in done.stderr
    assert "REDIS_URL is not set" in done.stderr


def test_debug_off_refuses_a_derived_key(tmp_path):
    env = {
        **readme_production_env(),
        "SECRET_KEY": "dev-insecure-" + "0" * 64,
    }
    done = run(["manage.py", "check"], env, tmp_path)
    assert done.returncode != 0
    assert "syncdeck.E003" in done.stderr


def test_debug_off_refuses_a_bad_encryption_key(tmp_path):
    env = {**readme_production_env(), "SYNCDECK_ENCRYPTION_KEYS": "not-a-fernet-key"}
    done = run(["manage.py", "check"], env, tmp_path)
    assert done.returncode != 0
    assert "syncdeck.E005" in done.stderr


def test_missing_encryption_keys_refuse_to_start(tmp_path):
    env = readme_production_env()
    del env["SYNCDECK_ENCRYPTION_KEYS"]
    done = run(["manage.py", "check"], env, tmp_path)
    assert done.returncode != 0
    assert "SYNCDECK_ENCRYPTION_KEYS is not set" in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["-c", "import config.wsgi"],
        ["-m", "celery", "-A", "config", "worker", "--pool", "solo", "--loglevel", "WARNING"],
    ],
    ids=["gunicorn", "celery-worker"],
)
def test_gunicorn_and_celery_refuse_too(tmp_path, args):
    # Neither runs Django's system checks: the WSGI module and a Celery signal do.
    done = run(args, {"DEBUG": "false", **secrets_env()}, tmp_path)
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "Syncdeck refuses to start" in output
    assert "syncdeck.E001" in output


def test_readme_production_environment_passes_check_deploy(tmp_path):
    done = run(["manage.py", "check", "--deploy"], readme_production_env(), tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    output = done.stdout + done.stderr
    assert "System check identified no issues" in output
    assert not re.search(r"WARNINGS|ERRORS|\(security\.W", output)
    done = run(["-c", "import config.wsgi"], readme_production_env(), tmp_path)
    assert done.returncode == 0, done.stderr


def test_https_settings_in_production(tmp_path):
    show = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_PROXY_SSL_HEADER]))"
    )
    done = run(["-c", show], readme_production_env(), tmp_path)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [
        True,
        31536000,
        True,
        True,
        True,
        ["HTTP_X_FORWARDED_PROTO", "https"],
    ]
    # Behind a proxy that redirects to HTTPS itself.
    env = {**readme_production_env(), "SECURE_SSL_REDIRECT": "false"}
    done = run(["-c", show], env, tmp_path)
    assert json.loads(done.stdout.strip().splitlines()[-1])[0] is False
