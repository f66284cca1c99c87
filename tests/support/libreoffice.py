"""LibreOffice helpers for tests: the agencies' spreadsheet application, headless.

Three ways to use it:

* ``convert(paths, fmt, outdir)`` -- resave/print many files with one ``soffice``
  call (~1.5-2 s, mostly start-up).  By default the throwaway profile forces
  recalculation on load, so cached formula values written by XlsxWriter (0)
  are replaced by real results.
* ``UnoSession`` -- one running soffice driven through UNO to fill cells the way
  a user would, recalculate and save as xlsx/xls/ods, or to read computed
  values.  UNO needs Debian's ``/usr/bin/python3`` (python3-uno), so the work
  is done by ``uno_worker.py`` in a subprocess speaking JSON lines.
* ``pdf_to_png`` -- rasterise a PDF with pdftoppm for visual checks.

A missing LibreOffice is an error, not a skip: tests that need it must fail
loudly in CI instead of silently passing.  Install with ``.ci/install-libreoffice.sh``.

Never share one profile between two soffice processes running at the same
time: the second one would hand its work to the first and exit.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Iterable, Mapping, Sequence

SYSTEM_PYTHON = "/usr/bin/python3"
WORKER_SCRIPT = Path(__file__).with_name("uno_worker.py")
CONVERT_TIMEOUT = 120.0
CONNECT_TIMEOUT = 30.0
REQUEST_TIMEOUT = 120.0

# LibreOffice keeps cached formula results of .xlsx/.ods by default ("never
# recalculate"); value 0 = "always recalculate" on load.
_RECALC_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""

# The fonts the clerks' Windows has, as the Noto CJK families Debian ships (.ci installs
# fonts-noto-cjk). Without these aliases fontconfig answers 宋体 with DejaVu Sans: LibreOffice
# then sizes rows by DejaVu's line height and draws the Chinese glyphs from a taller fallback
# font, so the last line of an autofitted cell runs into the cell border on paper.
_FONT_ALIASES = {
    "宋体": "Noto Serif CJK SC", "SimSun": "Noto Serif CJK SC", "仿宋": "Noto Serif CJK SC",
    "FangSong": "Noto Serif CJK SC", "楷体": "Noto Serif CJK SC", "KaiTi": "Noto Serif CJK SC",
    "黑体": "Noto Sans CJK SC", "SimHei": "Noto Sans CJK SC",
}


def _font_env(tmpdir: str | os.PathLike) -> dict[str, str]:
    """The environment for soffice: fontconfig with the aliases above on top of the system's."""
    aliases = "".join(
        f'<alias binding="same"><family>{name}</family><prefer><family>{to}</family></prefer></alias>'
        for name, to in _FONT_ALIASES.items()
    )
    conf = Path(tmpdir, "fonts.conf")
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f'<include ignore_missing="yes">/etc/fonts/fonts.conf</include>{aliases}</fontconfig>',
        encoding="utf-8",
    )
    return {**os.environ, "FONTCONFIG_FILE": str(conf)}


# --convert-to target per short format name: "<extension>:<export filter>".
# Unknown names are passed through unchanged (e.g. "csv:Text - txt - csv (StarCalc):44,34,76").
CONVERT_TARGETS = {
    "xlsx": "xlsx:Calc MS Excel 2007 XML",
    "xls": "xls:MS Excel 97",
    "ods": "ods:calc8",
    "pdf": "pdf",  # LibreOffice picks calc_pdf_Export / writer_pdf_Export itself
    "docx": "docx:MS Word 2007 XML",
    "odt": "odt:writer8",
    "csv": "csv:Text - txt - csv (StarCalc)",
}

# storeToURL filter chosen from the destination suffix by UnoSession.fill.
STORE_FILTERS = {
    ".xlsx": "Calc MS Excel 2007 XML",
    ".xls": "MS Excel 97",
    ".ods": "calc8",
    ".pdf": "calc_pdf_Export",
    ".csv": "Text - txt - csv (StarCalc)",
}


def soffice_path() -> str:
    """Absolute path of the soffice binary; RuntimeError if LibreOffice is missing."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        raise RuntimeError(
            "LibreOffice (soffice) is not installed or not on PATH; these tests need it. "
            "Run .ci/install-libreoffice.sh (apt: libreoffice-calc python3-uno poppler-utils fonts-noto-cjk)."
        )
    return found


def _system_python() -> str:
    probe = subprocess.run([SYSTEM_PYTHON, "-I", "-c", "import uno"], capture_output=True, text=True)
    if probe.returncode != 0:
        raise RuntimeError(
            f"{SYSTEM_PYTHON} cannot import uno (install python3-uno; it only works with "
            f"Debian's system python, not a venv): {probe.stderr.strip()}"
        )
    return SYSTEM_PYTHON


def make_profile(tmpdir: str | os.PathLike, recalc: bool = True) -> Path:
    """Create a LibreOffice user profile under ``tmpdir`` and return its directory.

    With ``recalc`` the profile forces recalculation on load for OOXML and ODF.
    Pass the result as ``profile=`` to ``convert`` / ``UnoSession``.
    """
    profile = Path(tmpdir, "lo-profile").resolve()
    (profile / "user").mkdir(parents=True, exist_ok=True)
    if recalc:
        (profile / "user" / "registrymodifications.xcu").write_text(_RECALC_XCU, encoding="utf-8")
    return profile


def _profile_arg(profile: Path) -> str:
    return "-env:UserInstallation=" + Path(profile).resolve().as_uri()


def _kill_group(proc: subprocess.Popen, grace: float = 5.0) -> None:
    """Stop a process started with start_new_session=True and everything it spawned.

    soffice is a shell script -> oosplash -> soffice.bin, so signalling the
    direct child alone would leave soffice.bin running.
    """
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
    # The leader may be gone while soffice.bin lingers in the group.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    if proc.poll() is None:
        proc.wait()  # reap: no zombies


def convert(
    paths: Iterable[str | os.PathLike],
    fmt: str,
    outdir: str | os.PathLike,
    profile: str | os.PathLike | None = None,
    recalc: bool = True,
    timeout: float = CONVERT_TIMEOUT,
) -> list[Path]:
    """Convert ``paths`` to ``fmt`` into ``outdir`` with a single soffice call.

    Returns the output paths in input order.  ``profile=None`` uses a throwaway
    profile (recalculating on load if ``recalc``); a given profile is used as is.
    Inputs that live in ``outdir`` are staged elsewhere first because soffice
    refuses to convert a file onto its own folder.
    """
    soffice = soffice_path()
    sources = [Path(p).resolve() for p in paths]
    if not sources:
        return []
    for src in sources:
        if not src.is_file():
            raise FileNotFoundError(src)
    target = CONVERT_TARGETS.get(fmt, fmt)
    ext = target.split(":", 1)[0]
    outdir = Path(outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    stems = [s.stem for s in sources]
    if len(set(stems)) != len(stems):
        raise ValueError(f"two inputs would convert to the same output name: {stems}")

    with tempfile.TemporaryDirectory(prefix="xlflow-lo-") as tmp:
        staged = []
        for src in sources:
            if src.parent == outdir:
                copy = Path(tmp, "in", src.name)
                copy.parent.mkdir(exist_ok=True)
                shutil.copy2(src, copy)
                src = copy
            staged.append(src)
        prof = Path(profile) if profile is not None else make_profile(tmp, recalc=recalc)
        outputs = [outdir / f"{s.stem}.{ext}" for s in sources]
        for out in outputs:  # a stale output must not pass for a fresh one
            out.unlink(missing_ok=True)
        cmd = [soffice, "--headless", "--norestore", "--nolockcheck", _profile_arg(prof),
               "--convert-to", target, "--outdir", str(outdir), *map(str, staged)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True, env=_font_env(tmp))
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc, grace=1.0)
            stdout, stderr = proc.communicate()
            raise RuntimeError(f"soffice timed out after {timeout}s\n{cmd}\nstdout:\n{stdout}\nstderr:\n{stderr}")
    missing = [str(o) for o in outputs if not o.is_file()]
    if missing:
        raise RuntimeError(
            f"soffice (rc={proc.returncode}) did not produce {missing}\n"
            f"command: {cmd}\nstdout:\n{stdout}\nstderr:\n{stderr}"
        )
    return outputs


def pdf_to_png(pdf: str | os.PathLike, out_prefix: str | os.PathLike,
               first_page_only: bool = True, dpi: int = 100) -> list[Path]:
    """Rasterise ``pdf`` with pdftoppm; returns the PNG paths in page order.

    First page only -> ``<out_prefix>.png``; all pages -> ``<out_prefix>-<n>.png``.
    """
    exe = shutil.which("pdftoppm")
    if not exe:
        raise RuntimeError("pdftoppm is not installed (apt: poppler-utils); run .ci/install-libreoffice.sh")
    prefix = Path(out_prefix).resolve()
    prefix.parent.mkdir(parents=True, exist_ok=True)
    cmd = [exe, "-png", "-r", str(dpi)]
    if first_page_only:
        cmd += ["-f", "1", "-l", "1", "-singlefile"]
    subprocess.run(cmd + [str(pdf), str(prefix)], check=True, capture_output=True, timeout=CONVERT_TIMEOUT)
    if first_page_only:
        pages = [prefix.with_name(prefix.name + ".png")]
    else:
        # pdftoppm zero-pads page numbers to the width of the page count.
        pages = sorted(prefix.parent.glob(prefix.name + "-*.png"),
                       key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    if not pages or not all(p.is_file() for p in pages):
        raise RuntimeError(f"pdftoppm produced no PNG for {pdf}")
    return pages


class UnoSession:
    """One headless soffice plus one UNO worker, reused for many documents.

    >>> with UnoSession() as lo:
    ...     lo.fill("template.xlsx", "filled.xls", {"封面": {"B3": "某某局", "C5": 12.5}})
    ...     lo.recalc_read("filled.xls", {"汇总": ["D10"]})
    {'汇总': {'D10': 12.5}}

    Writes through UNO ignore sheet protection (only the UI enforces it).
    """

    def __init__(self, profile: str | os.PathLike | None = None,
                 connect_timeout: float = CONNECT_TIMEOUT, request_timeout: float = REQUEST_TIMEOUT):
        self._profile_arg = profile
        self.connect_timeout = connect_timeout
        self.request_timeout = request_timeout
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._soffice: subprocess.Popen | None = None
        self._worker: subprocess.Popen | None = None
        self._logs: dict[str, object] = {}
        self._buf = b""

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> "UnoSession":
        soffice = soffice_path()
        python = _system_python()
        self._tmp = tempfile.TemporaryDirectory(prefix="xlflow-uno-")
        tmp = Path(self._tmp.name)
        profile = Path(self._profile_arg) if self._profile_arg is not None else make_profile(tmp)
        pipe = f"xlflow_{os.getpid()}_{uuid.uuid4().hex[:12]}"
        # Logs go to files: a full, unread PIPE would block soffice or the worker.
        self._logs = {name: open(tmp / f"{name}.log", "w+b") for name in ("soffice", "worker")}
        try:
            self._soffice = subprocess.Popen(
                [soffice, "--headless", "--invisible", "--nologo", "--norestore", "--nodefault",
                 "--nolockcheck", _profile_arg(profile),
                 f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"],
                stdin=subprocess.DEVNULL, stdout=self._logs["soffice"], stderr=subprocess.STDOUT,
                start_new_session=True, env=_font_env(tmp))
            # The venv's PYTHONPATH/PYTHONHOME must not leak into the system python.
            env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
            self._worker = subprocess.Popen(
                [python, "-I", str(WORKER_SCRIPT), pipe, str(self.connect_timeout)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._logs["worker"],
                env=env, start_new_session=True)
            self._receive(self.connect_timeout + 15)
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Ask soffice to quit, then make sure both processes are gone and reaped."""
        worker, soffice = self._worker, self._soffice
        self._worker = self._soffice = None
        if worker is not None:
            if worker.poll() is None:
                try:
                    self._send(worker, {"op": "quit"})
                    worker.stdin.close()
                    worker.wait(timeout=10)
                except (OSError, subprocess.TimeoutExpired):
                    pass
            _kill_group(worker, grace=2.0)
            if worker.stdout:
                worker.stdout.close()
        if soffice is not None:
            try:
                soffice.wait(timeout=10)  # desktop.terminate() normally ends it
            except subprocess.TimeoutExpired:
                pass
            _kill_group(soffice)
        for log in self._logs.values():
            log.close()
        self._logs = {}
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> "UnoSession":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # -- requests ----------------------------------------------------------
    def fill(self, src: str | os.PathLike, dest: str | os.PathLike,
             cells: Mapping[str, Mapping[str, object]], filter: str | None = None) -> Path:
        """Open ``src``, write ``cells`` ({sheet: {"B3": value}}), recalculate, save to ``dest``.

        int/float -> number, str -> text, "=..." -> formula, "'..." -> the text after the
        apostrophe (so "'=abc" is the text "=abc"), None -> cleared.
        ``filter=None`` picks the export filter from ``dest``'s suffix
        (.xlsx "Calc MS Excel 2007 XML", .xls "MS Excel 97", .ods "calc8").
        """
        dest = Path(dest).resolve()
        if filter is None:
            try:
                filter = STORE_FILTERS[dest.suffix.lower()]
            except KeyError:
                raise ValueError(f"no default LibreOffice filter for {dest.suffix!r}; pass filter=") from None
        dest.parent.mkdir(parents=True, exist_ok=True)
        self._request({"op": "fill", "src": str(Path(src).resolve()), "dest": str(dest),
                       "filter": filter, "cells": cells})
        if not dest.is_file():
            raise RuntimeError(f"LibreOffice reported success but {dest} does not exist\n{self._log_tail()}")
        return dest

    def recalc_read(self, src: str | os.PathLike,
                    cells_by_sheet: Mapping[str, Sequence[str]]) -> dict[str, dict[str, object]]:
        """Open ``src``, recalculate everything, return {sheet: {"B3": value}}.

        Values are float for numbers, str for text and error codes ("#DIV/0!",
        "Err:502"), None for empty cells.  The file is not modified.
        """
        return self._request({"op": "recalc_read", "src": str(Path(src).resolve()),
                              "cells": {s: list(refs) for s, refs in cells_by_sheet.items()}})

    # -- plumbing ----------------------------------------------------------
    def _request(self, req: dict):
        if self._worker is None:
            raise RuntimeError("UnoSession is not started (use it as a context manager)")
        self._send(self._worker, req)
        return self._receive(self.request_timeout)

    @staticmethod
    def _send(worker: subprocess.Popen, req: dict) -> None:
        worker.stdin.write((json.dumps(req, ensure_ascii=False) + "\n").encode("utf-8"))
        worker.stdin.flush()

    def _receive(self, timeout: float):
        """Read one JSON line, failing fast if soffice or the worker dies."""
        fd = self._worker.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            for name, proc in (("worker", self._worker), ("soffice", self._soffice)):
                if proc.poll() is not None and not select.select([fd], [], [], 0)[0]:
                    raise RuntimeError(f"{name} exited with rc={proc.returncode}\n{self._log_tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no answer from the UNO worker within {timeout}s\n{self._log_tail()}")
            if select.select([fd], [], [], 0.2)[0]:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise RuntimeError(f"UNO worker closed its output\n{self._log_tail()}")
                self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        answer = json.loads(line)
        if not answer.get("ok"):
            raise RuntimeError(f"UNO worker error:\n{answer.get('error')}")
        return answer.get("result")

    def _log_tail(self, limit: int = 4000) -> str:
        parts = []
        for name, log in self._logs.items():
            log.flush()
            log.seek(0)
            text = log.read().decode("utf-8", "replace")[-limit:]
            parts.append(f"--- {name} log ---\n{text}")
        return "\n".join(parts)
