"""The login gate for a hosted copy: Streamlit's OpenID Connect login (``st.login``).

Off by default (a copy on one's own computer stays open).  An administrator turns
it on with environment variables and an ``[auth]`` section in
``.streamlit/secrets.toml`` (README "Hosting safely" has the steps):

* ``LOYALTY_REQUIRE_LOGIN=1`` — every visitor must log in first;
* ``LOYALTY_LOGIN_PROVIDER=NAME`` — use ``[auth.NAME]`` instead of the provider
  settings directly in ``[auth]`` (optional);
* ``LOYALTY_ALLOWED_EMAILS="@example.co.jp, someone@partner.jp"`` — only these
  addresses (an entry starting with ``@`` admits a whole domain) may use the app
  once logged in (optional; a Google or Microsoft login alone proves who someone
  is, not that they belong to the team).

The gate fails closed: when login is required but the configuration is
incomplete, the app shows what is missing (key names only, never values) and
nothing else.  It runs before navigation and the sidebar, so a visitor who is not
logged in never causes any data to be read, whichever page address he opens.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

import streamlit as st

from loyalty import settings
from loyalty.errors import LoyaltyError
from ui import state

ENV_REQUIRE = "LOYALTY_REQUIRE_LOGIN"
ENV_PROVIDER = "LOYALTY_LOGIN_PROVIDER"
ENV_ALLOWED = "LOYALTY_ALLOWED_EMAILS"

SHARED_KEYS = ("redirect_uri", "cookie_secret")
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
_MIN_AUTHLIB = (1, 3, 2)


def login_required(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``LOYALTY_REQUIRE_LOGIN`` asks for a login (1, true, yes, on).

    Args:
        environ: the variables to read (default: the process environment).

    Raises:
        LoyaltyError: the variable is set to something that is neither on nor off.
    """
    return settings.read(ENV_REQUIRE, environ)


def provider_name(environ: Mapping[str, str] | None = None) -> str | None:
    """The named provider from ``LOYALTY_LOGIN_PROVIDER``, or None for ``[auth]`` itself."""
    return settings.read(ENV_PROVIDER, environ)


def missing_settings(auth: Mapping | None, provider: str | None) -> list[str]:
    """The secrets ``st.login`` needs that are absent or empty.

    Args:
        auth: the ``[auth]`` section of the secrets (None when there is none).
        provider: a provider name (settings in ``[auth.NAME]``), or None.

    Returns:
        Dotted names such as ``"auth.redirect_uri"`` or ``"auth.microsoft.client_id"``,
        in a fixed order; empty when everything is there.
    """
    if not isinstance(auth, Mapping):
        return [f"auth.{k}" for k in SHARED_KEYS] + [
            f"auth.{provider + '.' if provider else ''}{k}" for k in PROVIDER_KEYS]
    missing = [f"auth.{k}" for k in SHARED_KEYS if not str(auth.get(k) or "").strip()]
    section = auth.get(provider) if provider else auth
    prefix = f"auth.{provider}." if provider else "auth."
    if not isinstance(section, Mapping):
        section = {}
    missing += [prefix + k for k in PROVIDER_KEYS if not str(section.get(k) or "").strip()]
    return missing


def email_allowed(email: str | None, allowed: str | None) -> bool:
    """Whether ``email`` is admitted by a ``LOYALTY_ALLOWED_EMAILS`` list.

    Args:
        email: the logged-in user's address.
        allowed: comma/space separated addresses and ``@domain`` entries; empty or
            None admits everyone who can log in.

    Returns:
        True when admitted (comparison ignores case).
    """
    entries = [e.strip().lower() for e in (allowed or "").replace(";", ",").replace(" ", ",").split(",")
               if e.strip()]
    if not entries:
        return True
    address = (email or "").strip().lower()
    if "@" not in address:
        return False
    return any(address.endswith(e) if e.startswith("@") else address == e for e in entries)


def authlib_ready() -> bool:
    """Whether Authlib (which ``st.login`` needs, ``>= 1.3.2``) is installed."""
    try:
        version = metadata.version("Authlib")
    except metadata.PackageNotFoundError:
        return False
    parts = []
    for piece in version.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts) >= _MIN_AUTHLIB


def _auth_secrets() -> Mapping | None:
    try:
        auth = st.secrets.get("auth")
    except Exception:  # no secrets.toml at all, or an unreadable one
        return None
    return auth if isinstance(auth, Mapping) else None


def _user() -> Mapping:
    try:
        return st.user
    except Exception:  # pragma: no cover - outside a script run
        return {}


def gate() -> None:
    """Stop the page here unless the visitor may use the app.

    Without ``LOYALTY_REQUIRE_LOGIN`` this does nothing.  With it: a configuration
    error when the secrets or Authlib are missing; a Japanese login screen (a
    button that calls ``st.login``) for a visitor who is not logged in; a refusal
    for an address not in ``LOYALTY_ALLOWED_EMAILS``.  A logged-in user gets his
    address and a logout button in the sidebar.

    A stopped visitor gets a navigation of one hidden page (the screen above), so
    Streamlit does not fall back to listing ``pages/`` in the sidebar, and no page
    address can run a page script without passing through this gate.
    """
    try:
        if not login_required():
            return
        provider = provider_name()
        allowed = settings.read(ENV_ALLOWED) or ""
    except LoyaltyError as exc:  # e.g. LOYALTY_REQUIRE_LOGIN=ture: stay closed and say which setting
        _stop_with(lambda: _setting_error(exc))
    missing = missing_settings(_auth_secrets(), provider)
    if missing or not authlib_ready():
        _stop_with(lambda: _configuration_error(missing))
    user = _user()
    if not user.get("is_logged_in", False):
        _stop_with(lambda: _login_screen(provider))
    email = str(user.get("email") or "")
    verified = user.get("email_verified", True) not in (False, "false", "False")
    if allowed.strip() and not (verified and email_allowed(email, allowed)):
        _stop_with(lambda: _not_allowed(email))
    t = state.t
    with st.sidebar:
        st.caption(t("rel.auth.signed_in", who=str(user.get("name") or email or "—")))
        st.button(t("rel.auth.logout"), on_click=st.logout, icon=":material/logout:", key="w_auth_logout")


_PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"


def _stop_with(screen) -> None:
    """Show ``screen`` as the only page, whatever address was asked for, and stop.

    Every page address of the app (``/data``, ``/segments`` …) is registered as a
    hidden alias of the same screen, so a bookmarked page shows the login screen
    instead of Streamlit's "page not found" dialog.
    """
    title = state.t("rel.auth.title")
    aliases = sorted(p.stem for p in _PAGES_DIR.glob("*.py") if p.stem not in ("login", "home"))
    pages = [st.Page(screen, title=title, url_path="login", default=True)]
    pages += [st.Page(screen, title=title, url_path=stem) for stem in aliases]
    st.navigation(pages, position="hidden").run()
    st.stop()


def _configuration_error(missing: list[str]) -> None:
    t = state.t
    st.title(t("rel.auth.title"))
    if missing:
        st.error(t("rel.auth.config_missing", keys="、".join(missing)), icon=":material/lock:")
    else:
        st.error(t("rel.auth.authlib_missing"), icon=":material/lock:")


def _setting_error(exc: LoyaltyError) -> None:
    st.title(state.t("rel.auth.title"))
    st.error(exc.message(state.lang()), icon=":material/lock:")


def _login_screen(provider: str | None) -> None:
    t = state.t
    st.title(t("rel.auth.title"))
    st.markdown(t("rel.auth.lead"))
    if st.button(t("rel.auth.login"), type="primary", icon=":material/login:", key="w_auth_login"):
        if provider:
            st.login(provider)
        else:
            st.login()
    st.caption(t("rel.auth.note"))


def _not_allowed(email: str) -> None:
    t = state.t
    st.title(t("rel.auth.title"))
    st.error(t("rel.auth.not_allowed", email=email or "—"), icon=":material/block:")
    st.button(t("rel.auth.logout"), on_click=st.logout, icon=":material/logout:", key="w_auth_logout_denied")
