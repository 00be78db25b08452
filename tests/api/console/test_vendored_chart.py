"""The chart library the console serves is the Chart.js build pinned in package.json, with
its licence, byte for byte what npm installed (scripts/vendor-chart copies it)."""

from __future__ import annotations

import json
import re

from tests.conftest import ROOT

VENDOR = ROOT / "governance" / "api" / "console" / "static" / "vendor"


def test_vendored_chart_js_is_the_pinned_release() -> None:
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["chart.js"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned), "pin an exact version"
    build = (VENDOR / "chart.umd.min.js").read_bytes()
    banner = re.search(rb"Chart\.js v(\d+\.\d+\.\d+)", build[:200])
    assert banner and banner.group(1).decode() == pinned
    assert (VENDOR / "chart.js.VERSION").read_text().strip() == pinned
    assert "MIT License" in (VENDOR / "chart.js.LICENSE.md").read_text()
    installed = ROOT / "node_modules" / "chart.js"
    assert installed.is_dir(), "chart.js is not installed: run scripts/setup"
    assert json.loads((installed / "package.json").read_text())["version"] == pinned
    assert (installed / "dist" / "chart.umd.min.js").read_bytes() == build
