"""--jobs: validating in several processes gives the same results, in the same order."""

import multiprocessing

import pytest

from tests.returned import FORM, ROSTER_CSV, build, set_cell, write
from xlflow.roster import load_roster
from xlflow.validate import parallel, validate_paths


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    """Valid, invalid and unreadable returns mixed, more files than chunks."""
    box = tmp_path_factory.mktemp("inbox")
    good, bad = build(), set_cell(build(), "t3.new.natural", "/")
    for i in range(23):
        data = (good, bad, b"%PDF-1.4")[i % 3]
        write(box, data, f"{i:02d}.xlsx")
    return box


def _summary(results):
    return [(r.path.name, r.status, [f.to_dict() for f in r.findings], r.values, r.agency_code, r.sha256) for r in results]


def test_jobs_give_the_serial_results_in_input_order(inbox, monkeypatch):
    roster = load_roster(ROSTER_CSV)
    serial = list(validate_paths([inbox], FORM, year=2024, roster=roster))
    monkeypatch.setattr(parallel, "MIN_FILES", 1)
    monkeypatch.setattr(parallel, "MAX_CHUNK", 2)  # several chunks per worker, several in flight
    started = []
    real_pool = multiprocessing.get_context("fork").Pool
    monkeypatch.setattr(multiprocessing.context.ForkContext, "Pool", lambda self, *a, **k: started.append(a) or real_pool(*a, **k))
    pooled = list(validate_paths([inbox], FORM, year=2024, roster=roster, jobs=2))
    assert started and started[0][0] == 2
    assert [r.status for r in serial].count("invalid") == 8
    assert _summary(pooled) == _summary(serial)


def test_few_files_are_validated_without_a_pool(inbox, monkeypatch):
    def no_pool(*a, **k):
        raise AssertionError("pool started for a handful of files")

    monkeypatch.setattr(parallel, "validate_parallel", no_pool)
    assert len(list(validate_paths([inbox], FORM, jobs=4))) == 23  # below MIN_FILES


def test_spawned_workers_load_the_form_from_its_definition(inbox, monkeypatch):
    """Where processes cannot be forked (Windows, macOS), each worker compiles the form itself."""
    monkeypatch.setattr(parallel, "MIN_FILES", 1)
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    pooled = list(validate_paths(sorted(inbox.iterdir())[:4], FORM, jobs=2))
    assert _summary(pooled) == _summary(validate_paths(sorted(inbox.iterdir())[:4], FORM))


def test_jobs_must_be_positive(inbox):
    with pytest.raises(ValueError):
        list(validate_paths([inbox], FORM, jobs=0))


def test_chunks_are_small_enough_to_share_out():
    assert parallel.chunk_size(100, 2) == 12 and parallel.chunk_size(10_000, 2) == parallel.MAX_CHUNK
    assert parallel.chunk_size(3, 8) == 1
