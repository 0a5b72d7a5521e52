"""Hosting safely: the Streamlit configuration (XSRF and CORS protection on, usage
statistics off, no error details for users, the upload limit), as Streamlit
itself reads it, and the login gate (ui/auth.py, Streamlit's OIDC st.login)
driven with AppTest: open without LOYALTY_REQUIRE_LOGIN; a login screen and no
data with it; a clear configuration message when the secrets are missing; only
allowed addresses once logged in."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import pytest
from streamlit.testing.v1 import AppTest

from loyalty.limits import Limits
from tests.helpers import ROOT, app_test
from ui import auth

CONFIG = ROOT / ".streamlit" / "config.toml"

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-long-random-string-for-tests-only-0123456789",
    "client_id": "test-client",
    "client_secret": "test-secret",
    "server_metadata_url": "https://accounts.example.invalid/.well-known/openid-configuration",
}


# ----------------------------------------------------------------------------- configuration


def test_config_file_turns_on_the_protections():
    cfg = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    assert cfg["server"]["enableXsrfProtection"] is True
    assert cfg["server"]["enableCORS"] is True
    assert cfg["server"]["maxUploadSize"] == Limits().LOYALTY_MAX_FILE_MB
    assert cfg["server"].get("enableStaticServing", False) is False
    assert cfg["browser"]["gatherUsageStats"] is False
    assert cfg["client"]["showErrorDetails"] == "none"
    assert cfg["client"]["toolbarMode"] == "minimal"


@pytest.mark.slow
def test_streamlit_reads_the_same_settings():
    """`streamlit config show` in the repository prints what Streamlit will use
    (a misspelt key would be ignored silently and show the default instead)."""
    res = subprocess.run([sys.executable, "-m", "streamlit", "config", "show"], cwd=ROOT, capture_output=True,
                         timeout=120, env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT / ".no-home")})
    assert res.returncode == 0, res.stderr.decode()
    text = res.stdout.decode()

    def value(section: str, key: str) -> str:
        block = text.split(f"[{section}]", 1)[1].split("\n[", 1)[0]
        found = re.findall(rf"^{key} = (.+)$", block, re.M)
        assert found, f"{section}.{key}"
        return found[-1].strip()

    assert value("server", "enableXsrfProtection") == "true"
    assert value("server", "enableCORS") == "true"
    assert value("server", "maxUploadSize") == str(Limits().LOYALTY_MAX_FILE_MB)
    assert value("browser", "gatherUsageStats") == "false"
    assert value("client", "showErrorDetails") == '"none"'


def test_secrets_are_not_committed():
    assert not (ROOT / ".streamlit" / "secrets.toml").exists()
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".streamlit/secrets.toml" in ignored


# ----------------------------------------------------------------------------- the pure helpers


def test_missing_settings_lists_key_names_only():
    assert auth.missing_settings(AUTH, None) == []
    assert auth.missing_settings(None, None) == ["auth.redirect_uri", "auth.cookie_secret", "auth.client_id",
                                                 "auth.client_secret", "auth.server_metadata_url"]
    partial = {k: v for k, v in AUTH.items() if k not in ("cookie_secret", "client_secret")}
    assert auth.missing_settings(partial, None) == ["auth.cookie_secret", "auth.client_secret"]
    assert auth.missing_settings({**AUTH, "client_id": "  "}, None) == ["auth.client_id"]
    named = {"redirect_uri": AUTH["redirect_uri"], "cookie_secret": AUTH["cookie_secret"],
             "microsoft": {k: AUTH[k] for k in auth.PROVIDER_KEYS}}
    assert auth.missing_settings(named, "microsoft") == []
    assert auth.missing_settings(named, "okta") == ["auth.okta.client_id", "auth.okta.client_secret",
                                                    "auth.okta.server_metadata_url"]


@pytest.mark.parametrize("email, allowed, ok", [
    ("a@example.co.jp", "", True),
    ("a@example.co.jp", "@example.co.jp", True),
    ("A@Example.co.jp", "@example.co.jp", True),
    ("a@evil-example.co.jp", "@example.co.jp", False),
    ("a@example.co.jp.evil.com", "@example.co.jp", False),
    ("b@partner.jp", "@example.co.jp, b@partner.jp", True),
    ("c@partner.jp", "@example.co.jp; b@partner.jp", False),
    ("", "@example.co.jp", False),
    (None, "@example.co.jp", False),
])
def test_email_allow_list(email, allowed, ok):
    assert auth.email_allowed(email, allowed) is ok


def test_login_switch_values():
    assert auth.login_required({"LOYALTY_REQUIRE_LOGIN": "1"})
    assert auth.login_required({"LOYALTY_REQUIRE_LOGIN": " TRUE "})
    assert not auth.login_required({"LOYALTY_REQUIRE_LOGIN": "0"})
    assert not auth.login_required({})
    assert auth.authlib_ready()  # requirements.txt pins Authlib


# ----------------------------------------------------------------------------- the gate in the app


def _run(page: str | None = None, *, secrets: dict | None = None, user: dict | None = None) -> AppTest:
    return app_test(page, auth=secrets, user=user)


def _shows_data(at: AppTest) -> bool:
    return bool(at.metric) or bool(at.dataframe) or bool(at.get("file_uploader"))


def test_without_the_switch_the_app_is_open(monkeypatch):
    monkeypatch.delenv("LOYALTY_REQUIRE_LOGIN", raising=False)
    at = _run()
    assert at.title[0].value == "ロイヤルカスタマー分析ワークベンチ" and _shows_data(at)
    assert not any(b.label == "ログイン" for b in at.button)


def test_with_the_switch_a_visitor_sees_only_the_login_screen(monkeypatch):
    monkeypatch.setenv("LOYALTY_REQUIRE_LOGIN", "1")
    at = _run(secrets=AUTH, user={"is_logged_in": False})
    assert at.title[0].value == "ロイヤルカスタマー分析ワークベンチ"
    assert [b.label for b in at.button] == ["ログイン"]
    assert "チームのメンバー専用" in at.markdown[0].value
    assert not _shows_data(at) and not at.toggle  # no data, and not even the sidebar ran
    assert not at.error
    # the visitor's session has no page script at all, only the login screen (also
    # under every page address, /data, /segments …): nothing reaches a page
    for page in ("pages/data.py", "pages/segments.py", "pages/home.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)


def test_the_login_button_calls_st_login(monkeypatch):
    import streamlit

    calls = []
    monkeypatch.setattr(streamlit, "login", lambda *a: calls.append(a))
    monkeypatch.setenv("LOYALTY_REQUIRE_LOGIN", "1")
    at = _run(secrets=AUTH, user={"is_logged_in": False})
    at.button(key="w_auth_login").click().run()
    assert calls == [()]
    monkeypatch.setenv("LOYALTY_LOGIN_PROVIDER", "microsoft")
    named = {"redirect_uri": AUTH["redirect_uri"], "cookie_secret": AUTH["cookie_secret"],
             "microsoft": {k: AUTH[k] for k in auth.PROVIDER_KEYS}}
    at = _run(secrets=named, user={"is_logged_in": False})
    at.button(key="w_auth_login").click().run()
    assert calls == [(), ("microsoft",)]


def test_missing_secrets_give_a_clear_configuration_message(monkeypatch):
    monkeypatch.setenv("LOYALTY_REQUIRE_LOGIN", "1")
    at = _run(user={"is_logged_in": False})  # no secrets at all
    assert len(at.error) == 1
    msg = at.error[0].value
    assert "LOYALTY_REQUIRE_LOGIN=1" in msg and "auth.redirect_uri" in msg and "Hosting safely" in msg
    assert not at.button and not _shows_data(at)


def test_incomplete_secrets_name_the_missing_keys_and_never_the_values(monkeypatch):
    monkeypatch.setenv("LOYALTY_REQUIRE_LOGIN", "1")
    partial = {k: v for k, v in AUTH.items() if k != "client_secret"}
    at = _run(secrets=partial, user={"is_logged_in": False})
    msg = at.error[0].value
    assert "auth.client_secret" in msg and "auth.client_id" not in msg
    assert AUTH["cookie_secret"] not in msg and AUTH["client_id"] not in msg
    assert not at.button and not _shows_data(at)


def test_a_logged_in_user_gets_the_app_and_a_logout_button(monkeypatch):
    monkeypatch.setenv("LOYALTY_REQUIRE_LOGIN", "1")
    at = _run("pages/data.py", secrets=AUTH, user={"is_logged_in": True, "email": "a@example.co.jp",
                                                   "name": "山田 花子"})
    assert at.title[0].value == "データ" and _shows_data(at)
    assert any(b.label == "ログアウト" for b in at.sidebar.button)
    assert any("山田 花子" in c.value for c in at.sidebar.caption)


def test_the_allow_list_keeps_other_accounts_out(monkeypatch):
    monkeypatch.setenv("LOYALTY_REQUIRE_LOGIN", "1")
    monkeypatch.setenv("LOYALTY_ALLOWED_EMAILS", "@example.co.jp")
    outsider = _run(secrets=AUTH, user={"is_logged_in": True, "email": "x@gmail.com"})
    assert "x@gmail.com" in outsider.error[0].value and not _shows_data(outsider)
    assert [b.label for b in outsider.button] == ["ログアウト"]
    unverified = _run(secrets=AUTH, user={"is_logged_in": True, "email": "a@example.co.jp",
                                          "email_verified": False})
    assert unverified.error and not _shows_data(unverified)
    member = _run(secrets=AUTH, user={"is_logged_in": True, "email": "a@example.co.jp"})
    assert not member.error and _shows_data(member)
