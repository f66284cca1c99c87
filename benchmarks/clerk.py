"""What a clerk does, timed (issue 9): ``xlflow validate`` of a folder, then ``xlflow merge`` of
the same folder, as two separate processes, against a bare python-calamine loop over the same
files; and what isolation (validating in a worker process) costs on clean files.

Each figure is taken ``reps`` times and reported as median (the row) and minimum (the note).
Every repetition of the pair starts from an empty result cache of its own (XLFLOW_CACHE_DIR),
so validate reads every file and the merge that follows is served from the cache, as for the
clerk. The reference loop and the isolation loops run in the benchmark process and time only
the loop; the CLI rows include interpreter start-up and imports.
"""

from __future__ import annotations

import resource
import shutil
import time
from pathlib import Path

try:
    from .harness import Results, Row, json_statuses, run_child, tail
    from .readers import calamine_read, init_reader, init_validate, isolated_loop, timed_loop, validate_one
except ImportError:  # run as a script: benchmarks/ is on sys.path
    from harness import Results, Row, json_statuses, run_child, tail  # type: ignore[no-redef]
    from readers import calamine_read, init_reader, init_validate, isolated_loop, timed_loop, validate_one  # type: ignore[no-redef]

TARGET_PAIR = 1.5  # validate then merge, at most this many times the calamine loop
TARGET_VALIDATE = 1.3
TARGET_MERGE = 0.3
TARGET_ISOLATION = 0.10  # extra wall time of validating in a worker, clean files


def bench_pair(res: Results, n: int, folder: Path, roster: Path, work: Path, year: int, reps: int) -> None:
    validate, merge, pair, rss = [], [], [], {"validate": 0.0, "merge": 0.0}
    cpu: dict[str, list[float]] = {"validate": [], "merge": [], "pair": []}
    notes = {"validate": "", "merge": ""}
    for rep in range(reps):
        cache = work / f"cache_{n}_{rep}"
        shutil.rmtree(cache, ignore_errors=True)
        env = {"XLFLOW_CACHE_DIR": str(cache)}
        out = work / f"validate_{n}.json"
        v = run_child(["validate", str(folder), "--year", str(year), "--agencies", str(roster), "--json", str(out)],
                      work / f"validate_{n}.log", env)
        statuses = json_statuses(out)
        notes["validate"] = f"rc={v.rc}, " + (", ".join(f"{k} {c}" for k, c in sorted(statuses.items())) or "no JSON")
        if statuses.get("valid", 0) != n:
            notes["validate"] += " (NOT all valid!) " + tail(v.log, 2)
        summary = work / f"summary_{n}.xlsx"
        m = run_child(["merge", str(folder), "--year", str(year), "--agencies", str(roster), "--out", str(summary)],
                      work / f"merge_{n}.log", env)
        reused = "沿用了上次的校验结果" in tail(m.log, 40)
        notes["merge"] = f"rc={m.rc}" + ("" if summary.is_file() else ", no summary written") + ("" if reused else ", NOT served from the cache!")
        validate.append(v.seconds)
        merge.append(m.seconds)
        pair.append(v.seconds + m.seconds)
        cpu["validate"].append(v.cpu)
        cpu["merge"].append(m.cpu)
        cpu["pair"].append(v.cpu + m.cpu)
        rss["validate"], rss["merge"] = max(rss["validate"], v.rss_mb), max(rss["merge"], m.rss_mb)
        shutil.rmtree(cache, ignore_errors=True)
    res.add(Row.of("xlflow validate (CLI, empty cache)", n, validate, rss["validate"], notes["validate"], cpu["validate"]))
    res.add(Row.of("xlflow merge after validate (CLI, cache)", n, merge, rss["merge"], notes["merge"], cpu["merge"]))
    res.add(Row.of("validate then merge (two processes)", n, pair, max(rss.values()), "what the clerk runs", cpu["pair"]))
    single = run_child(["validate", str(folder), "--year", str(year), "--agencies", str(roster), "--json", str(work / "j1.json"),
                        "--no-cache", "--jobs", "1"], work / f"validate_j1_{n}.log")
    res.add(Row("xlflow validate --jobs 1 --no-cache", n, single.seconds, single.rss_mb, f"rc={single.rc}, once, information", cpu=single.cpu))
    cold = run_child(["merge", str(folder), "--year", str(year), "--agencies", str(roster), "--out", str(work / "cold.xlsx"), "--no-cache"],
                     work / f"merge_cold_{n}.log")
    res.add(Row("xlflow merge --no-cache (validates every file)", n, cold.seconds, cold.rss_mb, f"rc={cold.rc}, once, information", cpu=cold.cpu))


def bench_reference(res: Results, n: int, paths: list[str], form_ref: str, reps: int) -> None:
    init_reader(form_ref)
    timed_loop(calamine_read, paths[: min(20, n)])  # warm imports and the page cache
    runs, cpu = [], []
    for _ in range(reps):
        started = time.process_time()
        runs.append(timed_loop(calamine_read, paths))
        cpu.append(time.process_time() - started)
    res.add(Row.of("calamine loop (bare read, reference)", n, runs, note="every sheet of every file, in process", cpu=cpu))


def bench_isolation(res: Results, n: int, paths: list[str], form_ref: str, roster: Path, year: int, reps: int) -> None:
    """The same files validated in process and in one worker process (the pool's start
    included), alternating, so both see the same machine."""
    init_validate(form_ref, str(roster), year)
    timed_loop(validate_one, paths[: min(20, n)])
    inside, isolated, inside_cpu, isolated_cpu = [], [], [], []
    for _ in range(reps):
        started = time.process_time()
        inside.append(timed_loop(validate_one, paths))
        inside_cpu.append(time.process_time() - started)
        started, workers = time.process_time(), _children_cpu()
        isolated.append(isolated_loop(paths))
        isolated_cpu.append(time.process_time() - started + _children_cpu() - workers)
    res.add(Row.of("validate_file loop, in process", n, inside, cpu=inside_cpu))
    res.add(Row.of("validate in 1 worker process (isolation)", n, isolated, note="ValidationPool(jobs=1).map, pool start included",
                   cpu=isolated_cpu))


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def evaluate(res: Results, sizes: list[int]) -> None:
    for n in sizes:
        loop = res.get("calamine loop (bare read, reference)", n)
        v, m, p = (res.get(w, n) for w in ("xlflow validate (CLI, empty cache)", "xlflow merge after validate (CLI, cache)",
                                            "validate then merge (two processes)"))
        if not (loop and v and m and p):
            continue
        for label, row, target in (("validate then merge", p, TARGET_PAIR), ("validate", v, TARGET_VALIDATE),
                                   ("merge after validate", m, TARGET_MERGE)):
            ratio, best = row.seconds / loop.seconds, row.fastest / loop.fastest
            res.checks.append((f"N={n}: {label} / calamine loop <= {target:g} (median; min)", f"{ratio:.2f}x; {best:.2f}x",
                               "PASS" if ratio <= target else "FAIL"))
        inside, isolated = res.get("validate_file loop, in process", n), res.get("validate in 1 worker process (isolation)", n)
        if inside and isolated:
            cost, best = isolated.seconds / inside.seconds - 1, isolated.fastest / inside.fastest - 1
            res.checks.append((f"N={n}: cost of isolation on clean files < {TARGET_ISOLATION:.0%} (median; min)",
                               f"{cost:+.1%}; {best:+.1%}", "PASS" if cost < TARGET_ISOLATION else "FAIL"))
            if inside.cpu and isolated.cpu:
                res.checks.append((f"N={n}: CPU of isolation (parent + worker) vs in process", f"{isolated.cpu / inside.cpu - 1:+.1%}", "info"))
        if p.cpu and loop.cpu:
            res.checks.append((f"N={n}: CPU seconds, validate then merge / calamine loop (all processes)", f"{p.cpu / loop.cpu:.2f}x", "info"))
