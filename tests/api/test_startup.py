"""Start-up: configuration warnings are logged when the app is created."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from governance.api.app import create_app
from governance.config import load_settings
from tests.conftest import PUBLIC_LEDGERS, write_config


def test_app_start_up_logs_native_asset_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "log.db"
    text = (
        PUBLIC_LEDGERS + f'[audit]\ndatabase_url = "sqlite:///{db}"\nsigning_key_file = "k.key"\n'
    )
    text += f'[policy]\npath = "{Path(__file__).resolve().parents[2] / "policies"}"\n'
    s = load_settings(write_config(tmp_path, text), environ={})
    with caplog.at_level(logging.WARNING, logger="governance.api.app"):
        create_app(s)
    lines = [r.getMessage() for r in caplog.records if r.name == "governance.api.app"]
    assert len(lines) == 1 and "chain 1 is Ethereum" in lines[0]
