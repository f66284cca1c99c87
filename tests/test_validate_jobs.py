"""--jobs: validating in several worker processes gives the same results, in the same order."""

import pytest

from tests.returned import FORM, ROSTER_CSV, build, set_cell, write
from xlflow.roster import load_roster
from xlflow.validate import isolation, validate_file, validate_paths


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    """Valid, invalid and unreadable returns mixed, more files than the read-ahead window."""
    box = tmp_path_factory.mktemp("inbox")
    good, bad = build(), set_cell(build(), "t3.new.natural", "/")
    for i in range(23):
        data = (good, bad, b"%PDF-1.4")[i % 3]
        write(box, data, f"{i:02d}.xlsx")
    return box


def _summary(results):
    return [(r.path.name, r.status, [f.to_dict() for f in r.findings], r.values, r.agency_code, r.sha256) for r in results]


def test_jobs_give_the_in_process_results_in_input_order(inbox, monkeypatch):
    roster = load_roster(ROSTER_CSV)
    in_process = [validate_file(p, FORM, year=2024, roster=roster) for p in sorted(inbox.iterdir())]
    monkeypatch.setattr(isolation, "WINDOW_PER_JOB", 2)  # the read-ahead bound is reached often
    for jobs in (1, 2, 3):
        pooled = list(validate_paths([inbox], FORM, year=2024, roster=roster, jobs=jobs))
        assert _summary(pooled) == _summary(in_process), jobs
    assert [r.status for r in in_process].count("invalid") == 8


def test_spawned_workers_load_the_form_from_its_definition(inbox):
    """Where processes cannot be forked (Windows, macOS, a threaded server), each worker
    compiles the form itself."""
    files = sorted(inbox.iterdir())[:4]
    with isolation.ValidationPool(FORM, jobs=2, start_method="spawn") as pool:
        pooled = list(pool.map(files, year=2024))
    assert _summary(pooled) == _summary(validate_file(p, FORM, year=2024) for p in files)


def test_jobs_must_be_positive(inbox):
    with pytest.raises(ValueError):
        list(validate_paths([inbox], FORM, jobs=0))
