"""Issue 11: N agencies upload at once to `xlflow serve` over loopback (bounded: every request
has a timeout and the run stops by itself). Checks every upload is answered and stored exactly
once; prints p50/p95 upload->findings latency and the server's peak RSS (server process and
its validation workers). Target: p95 < 1 s on the 2-core machine.

    python benchmarks/portal_load.py --n 100
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.returned import FORM, clean_values, factory  # noqa: E402
from tests.support.portal import free_port  # noqa: E402
from xlflow.template import cells_xml  # noqa: E402
from xlflow.workspace import Workspace  # noqa: E402


def _rss_kb(pid: int) -> int:
    """Peak RSS (VmHWM) of a process and its children, kB."""
    total = 0
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    for p in [pid, *map(int, children)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def _multipart(name: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), boundary


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--sequential", action="store_true",
                    help="one upload after another: what one agency clerk waits for on a quiet server")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="xlflow-portal-load-"))
    codes = [f"370829{i:03d}" for i in range(1, args.n + 1)]
    roster = work / "名单.csv"
    roster.write_text("单位代码,单位名称\n" + "".join(f"{c},嘉祥县测试单位{c[-3:]}\n" for c in codes), encoding="utf-8")
    ws = Workspace.init(work / "ws", year=2024, roster=roster, name="嘉祥县", code="370829")
    tokens = ws.issue_links(2024, actor="bench")
    ws.close()
    fac = factory(2024)
    base = fac.build_full("嘉祥县测试单位001", codes[0], clean_values())
    files = {}
    for i, c in enumerate(codes):
        files[c] = cells_xml.set_cells(base, FORM, {"t2.penalty": i})  # distinct bytes per agency
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "xlflow", "serve", str(work / "ws"), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    url = f"http://127.0.0.1:{port}"
    try:
        t0 = time.monotonic()
        while True:
            try:
                urllib.request.urlopen(url + "/login", timeout=2).read()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() - t0 > 30:
                    print("server did not start", server.stderr.read().decode() if server.poll() is not None else "")
                    return 1
                time.sleep(0.2)
        peak = [0]
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                peak[0] = max(peak[0], _rss_kb(server.pid))
                time.sleep(0.05)

        threading.Thread(target=sample, daemon=True).start()
        start = threading.Barrier(1 if args.sequential else args.n)

        def upload(code: str):
            body, boundary = _multipart(f"{code}.xlsx", files[code])
            req = urllib.request.Request(f"{url}/a/{tokens[code]}/upload", data=body, method="POST",
                                         headers={"Accept": "application/json", "Content-Type": f"multipart/form-data; boundary={boundary}"})
            start.wait(30)
            t = time.monotonic()
            with urllib.request.urlopen(req, timeout=args.timeout) as resp:
                answer = json.loads(resp.read())
            return code, time.monotonic() - t, answer

        wall = time.monotonic()
        with ThreadPoolExecutor(1 if args.sequential else args.n) as pool:
            results = list(pool.map(upload, codes))
        wall = time.monotonic() - wall
        stop.set()
        lat = sorted(r[1] for r in results)
        p50 = statistics.median(lat)
        p95 = lat[min(len(lat) - 1, int(round(0.95 * len(lat))) - 1)]
        with Workspace.open(work / "ws") as w:
            subs = w.submissions(2024)
        stored = {s.agency_code for s in subs}
        ok = len(subs) == args.n and stored == set(codes) and all(r[2].get("submission_id") for r in results)
        how = "one after another" if args.sequential else "at once"
        print(f"uploads: {args.n} {how}, answered {len(results)}, stored {len(subs)} (distinct agencies {len(stored)})")
        print(f"latency upload->findings: p50 {p50:.2f} s, p95 {p95:.2f} s, max {lat[-1]:.2f} s; wall {wall:.1f} s")
        print(f"server peak RSS (server + workers): {peak[0] / 1024:.0f} MB")
        print(("PASS" if ok else "FAIL") + " every upload stored exactly once and answered")
        print(("PASS" if p95 < 1.0 else "MISS") + f" p95 < 1 s (p95 {p95:.2f} s)")
        return 0 if ok else 1
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    sys.exit(main())
