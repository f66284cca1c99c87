"""Shared fixtures. Builders for returned workbooks live next to the tests that need them."""

from __future__ import annotations

from pathlib import Path

import pytest

from xlflow.form import load_form
from xlflow.template import TemplateFactory

TESTS = Path(__file__).resolve().parent
MINI_FORM = TESTS / "forms" / "mini-2099.yaml"


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/* from the current code")


@pytest.fixture(scope="session", autouse=True)
def _session_result_cache(tmp_path_factory):
    """For fixtures wider than one test (a module's county folder merged once): they too must
    not write to the user's cache."""
    mp = pytest.MonkeyPatch()
    mp.setenv("XLFLOW_CACHE_DIR", str(tmp_path_factory.mktemp("session-cache")))
    yield
    mp.undo()


@pytest.fixture(autouse=True)
def _private_result_cache(monkeypatch, tmp_path_factory):
    """Each test gets its own empty result cache (XLFLOW_CACHE_DIR, inherited by CLI child
    processes): tests never touch the user's cache, and never see each other's results."""
    monkeypatch.setenv("XLFLOW_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="session")
def form():
    return load_form("gov-info-annual-2021")


@pytest.fixture(scope="session")
def mini_form():
    return load_form(MINI_FORM)


@pytest.fixture(scope="session")
def factory(form):
    return TemplateFactory(form, 2024)


@pytest.fixture(scope="session")
def update_golden(request) -> bool:
    return bool(request.config.getoption("--update-golden"))
