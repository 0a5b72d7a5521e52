"""Workspaces in the app (AppTest): what a user uploads, maps, defines and writes is in a
new session on the same store (a browser refresh or a server restart); the sidebar
switcher makes, renames, duplicates, deletes, exports and imports workspaces; with
login on, one user never sees another's.

Every test has its own empty store (tests/conftest.py points LOYALTY_WORKSPACE_DIR at
a temporary folder); a second ``AppTest`` in the same test is a new session on it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from loyalty import definition as defn
from loyalty.i18n import t
from loyalty.workspaces import open_store, store_dir

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
ORDERS = "会員番号,注文日,金額,区分\n0001,2024/06/01,120000,通常\n0001,2024/06/20,1000,通常\n0002,2023/01/05,3000,通常\n"


def _session(page: str | None = None, **setup) -> AppTest:
    """A new session (a browser tab opened or refreshed) on the test's store."""
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in setup.items():
        setattr(at, key, value)
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _upload(at: AppTest, name: str = "mine.csv", text: str = ORDERS) -> None:
    at.switch_page("pages/data.py").run()
    at.file_uploader(key="w_upload").set_value((name, text.encode("cp932"), "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]


def _metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


def _names(at) -> list[str]:
    return list(at.sidebar.selectbox(key="w_space_pick").options)  # AppTest lists the names shown


def _ids(owner=None) -> dict[str, str]:
    return {w.name: w.id for w in open_store(store_dir()).list(owner)}


def _current(at) -> str:
    current = at.session_state["space_sync"]
    shown = {v: k for k, v in _ids(current.owner).items()}[current.workspace_id]
    assert at.sidebar.selectbox(key="w_space_pick").value == current.workspace_id
    return shown


def _pick(at, name: str) -> None:
    at.sidebar.selectbox(key="w_space_pick").set_value(_ids()[name]).run()
    assert not at.exception, [e.value for e in at.exception]


def _click(at, key: str) -> None:
    if key.startswith("w_space_") and key not in [b.key for b in at.button]:
        _open_menu(at)  # the 管理 menu draws its widgets only while open
    at.button(key=key).click().run()
    assert not at.exception, [e.value for e in at.exception]


def _open_menu(at) -> None:
    at.session_state["w_space_menu"] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def _type(at, key: str, text: str) -> None:
    _open_menu(at)
    at.text_input(key=key).input(text).run()


def _import(at, name: str, data: bytes) -> None:
    _open_menu(at)
    at.sidebar.file_uploader(key="w_space_import").set_value((name, data, "application/zip")).run()
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.slow
def test_the_first_session_opens_a_workspace_on_the_sample_data():
    at = _session()
    assert not at.sidebar.download_button and not at.sidebar.text_input  # the menu is closed: nothing drawn
    assert _names(at) == ["マイワークスペース"] and _current(at) == "マイワークスペース"
    assert at.sidebar.caption[0].value.startswith("自動保存 ")
    assert any(b.value == "サンプルデータ" for b in at.sidebar.get("badge")) or at.info
    store = open_store(store_dir())
    (ws,) = store.list(None)
    assert store.last(None).id == ws.id
    kept = store.load(None, ws.id)
    assert kept.files == [] and defn.from_dict(kept.items["definition"]).to_dict() == \
        {k: v for k, v in defn.preset("b2c").to_dict().items()}


@pytest.mark.slow
def test_an_upload_its_mapping_currency_and_duplicates_choice_survive_a_new_session():
    at = _session()
    _upload(at)
    sha = at.session_state["uploads"][0].sha
    at.selectbox(key=f"w_map_{sha[:12]}_transactions_amount").set_value("").run()  # amount: not used …
    at.selectbox(key="w_currency").set_value("GBP").run()
    at.checkbox(key="drop_duplicates").check().run()
    assert not at.exception, [e.value for e in at.exception]

    again = _session("pages/data.py")
    assert [u.name for u in again.session_state["uploads"]] == ["mine.csv"]
    assert again.session_state["uploads"][0].data == ORDERS.encode("cp932")
    assert again.session_state["table_opts"][sha]["overrides"] == {"amount": None}
    assert again.selectbox(key="w_currency").value == "GBP"
    assert again.checkbox(key="drop_duplicates").value is True
    assert t("polish.data.in_use", files="mine.csv") in [c.value for c in again.caption]
    # … so the page asks for the amount column again, exactly as before the refresh
    assert any(t("role.amount") in e.value for e in again.error)


@pytest.mark.slow
def test_the_definition_proposals_notes_and_measures_survive_a_new_session():
    at = _session("pages/definition.py")
    at.slider(key="w_def_recency_0").set_value(14).run()
    at.switch_page("pages/workshop.py").run()
    next(b for b in at.button if b.label == "サンプルの3案を追加").click().run()
    at.switch_page("pages/personas.py").run()
    at.text_area(key="w_note_tier:top").input("誕生月に来店する常連が多い").run()
    assert not at.exception, [e.value for e in at.exception]
    proposals = {name: d.to_dict() for name, d in at.session_state["proposals"].items()}

    again = _session("pages/workshop.py")
    assert {name: d.to_dict() for name, d in again.session_state["proposals"].items()} == proposals
    assert len(proposals) == 3 and len([m for m in again.metric]) >= 3
    again.switch_page("pages/personas.py").run()
    assert again.text_area(key="w_note_tier:top").value == "誕生月に来店する常連が多い"
    again.switch_page("pages/definition.py").run()
    assert again.slider(key="w_def_recency_0").value == 14
    assert again.session_state["definition"].rfm.recency[0] == 14
    # the saved baseline survives too: the change is still "not saved as a file"
    assert again.session_state["saved_definition"].rfm.recency[0] == 30


@pytest.mark.slow
def test_the_campaign_list_of_the_effect_page_survives_a_new_session():
    data = (ROOT / "sample_data" / "campaign_assignment.csv").read_bytes()
    at = _session("pages/effect.py")
    at.file_uploader(key="w_eff_upload").set_value(("mail_list.csv", data, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    again = _session("pages/effect.py")
    assert again.session_state["effect_upload"].name == "mail_list.csv"
    assert again.session_state["effect_upload"].data == data


@pytest.mark.slow
def test_new_switch_rename_duplicate_and_delete_from_the_sidebar():
    at = _session()
    _upload(at)
    _type(at, "w_space_new", "春の会議")
    _click(at, "w_space_new_btn")
    assert _current(at) == "春の会議" and _names(at) == ["マイワークスペース", "春の会議"]
    assert at.session_state["uploads"] == []  # a new workspace starts on the sample data
    assert any(s.value == t("workspace.ui.created", "ja", name="春の会議") for s in at.sidebar.success)

    _pick(at, "マイワークスペース")
    assert _current(at) == "マイワークスペース" and [u.name for u in at.session_state["uploads"]] == ["mine.csv"]

    _type(at, "w_space_rename", "4月の分析")
    _click(at, "w_space_rename_btn")
    assert _names(at) == ["4月の分析", "春の会議"] and _current(at) == "4月の分析"

    _click(at, "w_space_dup_btn")
    assert _current(at) == "4月の分析 のコピー" and [u.name for u in at.session_state["uploads"]] == ["mine.csv"]

    _click(at, "w_space_delete_btn")
    assert at.button(key="w_space_delete_no") and at.button(key="w_space_delete_yes")
    _click(at, "w_space_delete_no")
    assert _names(at) == ["4月の分析", "4月の分析 のコピー", "春の会議"]
    _click(at, "w_space_delete_btn")
    _click(at, "w_space_delete_yes")
    assert _names(at) == ["4月の分析", "春の会議"] and _current(at) in ("4月の分析", "春の会議")

    # the workspace opened last is the one a new session opens
    _pick(at, "春の会議")
    assert _current(_session()) == "春の会議"


@pytest.mark.slow
def test_a_switch_shows_the_other_workspaces_definition_on_the_definition_page():
    at = _session("pages/definition.py")
    at.slider(key="w_def_recency_0").set_value(14).run()
    _click(at, "w_space_new_btn")
    assert at.slider(key="w_def_recency_0").value == 30
    _pick(at, "マイワークスペース")
    assert at.slider(key="w_def_recency_0").value == 14


@pytest.mark.slow
def test_a_name_that_is_taken_is_refused_with_a_message():
    at = _session()
    _click(at, "w_space_new_btn")
    _type(at, "w_space_rename", "マイワークスペース")
    _click(at, "w_space_rename_btn")
    assert [e.value for e in at.sidebar.error] == [t("workspace.error.name_taken", "ja", name="マイワークスペース")]


@pytest.mark.slow
def test_export_and_import_in_the_sidebar(tmp_path):
    at = _session()
    _upload(at)
    at.switch_page("pages/workshop.py").run()
    next(b for b in at.button if b.label == "サンプルの3案を追加").click().run()
    store = open_store(store_dir())
    from loyalty.workspaces.bundle import export_bundle

    bundle = export_bundle(store, None, at.session_state["space_sync"].workspace_id)
    _import(at, "handover.zip", bundle)
    # the name is taken: the user is asked, nothing is overwritten meanwhile
    assert at.button(key="w_space_import_both") and at.button(key="w_space_import_replace")
    _click(at, "w_space_import_both")
    assert _current(at) == "マイワークスペース (2)"
    assert [u.name for u in at.session_state["uploads"]] == ["mine.csv"]
    assert len(at.session_state["proposals"]) == 3
    assert _names(at) == ["マイワークスペース", "マイワークスペース (2)"]

    other = tmp_path / "elsewhere"
    os.environ["LOYALTY_WORKSPACE_DIR"] = str(other)  # a colleague's computer (monkeypatch restores it)
    colleague = _session()
    _import(colleague, "handover.zip", bundle)
    # his own first workspace has the same name: he chooses to replace it (it is empty)
    assert colleague.session_state["uploads"] == []
    _click(colleague, "w_space_import_replace")
    assert _names(colleague) == ["マイワークスペース"] and _current(colleague) == "マイワークスペース"
    assert [u.name for u in colleague.session_state["uploads"]] == ["mine.csv"]
    assert len(colleague.session_state["proposals"]) == 3


@pytest.mark.slow
def test_a_file_that_is_not_an_export_is_refused_in_the_sidebar():
    at = _session()
    _import(at, "orders.zip", b"not a zip")
    assert [e.value for e in at.sidebar.error] == ["ファイル「orders.zip」: " + t("workspace.bundle.not_zip", "ja")]
    assert _names(at) == ["マイワークスペース"]


def test_a_store_that_cannot_be_opened_leaves_the_app_working(tmp_path, monkeypatch):
    blocker = tmp_path / "file_not_folder"
    blocker.write_text("x")
    monkeypatch.setenv("LOYALTY_WORKSPACE_DIR", str(blocker / "store"))
    at = _session("pages/home.py")
    assert _metrics(at)  # the sample data's figures
    assert any(c.value.startswith("ワークスペースは使えません") for c in at.sidebar.caption)


AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "s" * 32,
        "client_id": "id", "client_secret": "secret",
        "server_metadata_url": "https://accounts.example.com/.well-known/openid-configuration"}


def _logged_in(email: str, page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": email, "email_verified": True}
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.slow
def test_with_login_each_user_sees_only_his_own_workspaces(monkeypatch):
    monkeypatch.setenv("LOYALTY_REQUIRE_LOGIN", "1")
    hana = _logged_in("hana@example.co.jp")
    _upload(hana, "hana_orders.csv")
    _type(hana, "w_space_rename", "ハナの分析")
    _click(hana, "w_space_rename_btn")

    ken = _logged_in("ken@example.co.jp", "pages/data.py")
    assert _names(ken) == ["マイワークスペース"]  # his own first workspace, on the sample data
    assert ken.session_state["uploads"] == []
    assert not any("hana_orders" in c.value for c in ken.sidebar.caption)

    again = _logged_in("hana@example.co.jp")
    assert _names(again) == ["ハナの分析"]
    assert [u.name for u in again.session_state["uploads"]] == ["hana_orders.csv"]
    store = open_store(store_dir())
    assert [w.name for w in store.list("ken@example.co.jp")] == ["マイワークスペース"]
    assert [w.name for w in store.list(None)] == []  # nothing was kept without an owner


@pytest.mark.slow
def test_after_a_restart_an_upload_is_not_parsed_again(monkeypatch):
    import ui.state

    at = _session()
    _upload(at)
    at.switch_page("pages/home.py").run()  # a later run keeps the table as read
    before = _metrics(at)
    ui.state._raw.clear()  # a server restart empties the caches …
    ui.state._assemble.clear()
    ui.state._features.clear()
    calls = []
    real = ui.state.read_table
    monkeypatch.setattr(ui.state, "read_table", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    again = _session()
    assert calls == []  # … and the reopened workspace's file comes from its kept Parquet table
    assert _metrics(again) == before


@pytest.mark.slow
def test_another_login_in_the_same_browser_session_never_sees_the_first_users_work(monkeypatch):
    monkeypatch.setenv("LOYALTY_REQUIRE_LOGIN", "1")
    at = _logged_in("hana@example.co.jp")
    _upload(at, "hana_orders.csv")
    at.switch_page("pages/workshop.py").run()
    next(b for b in at.button if b.label == "サンプルの3案を追加").click().run()
    assert len(at.session_state["proposals"]) == 3 and "data_seen_upload_ids" in at.session_state
    at.user = {"is_logged_in": True, "email": "ken@example.co.jp", "email_verified": True}  # logout, new login
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["uploads"] == [] and at.session_state["proposals"] == {}
    assert at.session_state["space_sync"].owner == "ken@example.co.jp"
    assert _names(at) == ["マイワークスペース"]
    assert not any("hana_orders" in c.value for c in at.sidebar.caption)
    assert "data_seen_upload_ids" not in at.session_state  # nothing else of hers is left in the session either
