"""Real-browser tests (a package, so that Playwright's fixture closes when they end)."""
