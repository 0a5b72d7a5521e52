"""Loyal-customer workbench — the router: page config, navigation, shared sidebar.

Run with ``streamlit run app.py``.  Pages live in ``pages/`` (one file per
page), the domain logic in ``loyalty/``, shared Streamlit helpers in ``ui/``.
"""

from pathlib import Path

import streamlit as st

from ui import auth, sidebar, state, theme, workspace

st.set_page_config(page_title="Loyalty Workbench", page_icon="💎", layout="wide",
                   initial_sidebar_state="expanded")
theme.register()
theme.localise_uploaders(state.lang())  # Streamlit's own file-uploader texts in the UI language

# (file, catalogue key of the title, icon), in menu order
PAGES = [
    ("pages/home.py", "nav.home", ":material/dashboard:"),
    ("pages/data.py", "nav.data", ":material/upload_file:"),
    ("pages/definition.py", "nav.definition", ":material/tune:"),
    ("pages/workshop.py", "nav.workshop", ":material/forum:"),
    ("pages/segments.py", "nav.segments", ":material/groups:"),
    ("pages/movement.py", "movement.nav", ":material/timeline:"),
    ("pages/personas.py", "nav.personas", ":material/person_search:"),
    ("pages/metrics.py", "nav.metrics", ":material/monitoring:"),
    ("pages/clv.py", "nav.clv", ":material/trending_up:"),
    ("pages/golden_route.py", "nav.golden_route", ":material/route:"),
    ("pages/effect.py", "nav.effect", ":material/campaign:"),
    ("pages/export.py", "nav.export", ":material/download:"),
]
HERE = Path(__file__).parent

state.apply_currency()  # amounts in the data's currency on every page, chart and export of this run
auth.gate()  # a hosted copy may require a login (README "Hosting safely"); off by default
workspace.attach()  # this session's workspace (after a refresh or a restart: the last one) before any page reads it
navigation = st.navigation([
    st.Page(path, title=state.t(key), icon=icon, default=i == 0, url_path=Path(path).stem)
    for i, (path, key, icon) in enumerate(PAGES) if (HERE / path).exists()
])
slot = sidebar.render()
try:
    navigation.run()
finally:
    workspace.save_changes()  # what the page changed: uploads, mappings, definitions, proposals, notes
    # after the page: its widgets may just have changed the definition
    sidebar.mark_unsaved(slot)
