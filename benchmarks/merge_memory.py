"""What a large merge keeps per unit while it waits for the last file, and what summing and
writing the summary cost: a focused measurement, in process, without reading any file.

    python benchmarks/merge_memory.py --n 10000

N validated results are made from the benchmark's value pool (every string copied, as a reader
gives each file its own strings), passed through the merge's ``Slimmer`` one by one as
``merge_paths`` does, then consolidated and written. Printed: memory held per unit
(tracemalloc, after the last result), and the CPU seconds of ``consolidate`` and ``build_summary`` (CPU, not wall: the machine is shared).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from values import ValuePool  # type: ignore[no-redef]
else:
    from .values import ValuePool

from xlflow.form import load_form
from xlflow.merge.consolidate import consolidate
from xlflow.merge.run import Slimmer
from xlflow.merge.workbook import build_summary
from xlflow.results import FileResult


def _own(value: object) -> object:
    return "".join(list(value)) if isinstance(value, str) and value else value


def results(form, n: int):
    pool = ValuePool(form, 2024)
    for i in range(n):
        values = {k: _own(v) for k, v in pool.values(i).items()}
        code = f"9{i:08d}"
        yield FileResult(Path(f"/x/{code}.xlsx"), "valid", [], code, f"单位{i:05d}", 2024, "本级", [], values, "0" * 64, "Microsoft Excel")


def measure(form, n: int) -> dict[str, float]:
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    slim = Slimmer(form)
    kept = [slim(r) for r in results(form, n)]
    held = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    started = time.process_time()
    c = consolidate(kept, form, year=2024, code="P", name="某省")
    summed = time.process_time() - started
    started = time.process_time()
    data = build_summary(c)
    written = time.process_time() - started
    return {"bytes/unit": held / n, "consolidate s": summed, "build_summary s": written, "MB written": len(data) / 1e6}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--form", default="gov-info-annual-2021")
    args = ap.parse_args(argv)
    form = load_form(args.form)
    for k, v in measure(form, args.n).items():
        print(f"{k:>16}: {v:,.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
