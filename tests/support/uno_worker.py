"""UNO worker: drives a running LibreOffice (soffice) on behalf of the tests.

Run by Debian's *system* interpreter (``/usr/bin/python3``), because the
``uno`` module from python3-uno cannot be imported from the venv that runs
pytest.  Only the standard library and ``uno`` are used.

Usage: ``/usr/bin/python3 -I uno_worker.py <pipe-name> [connect-timeout-s]``

Protocol (JSON lines): the worker first prints ``{"ok": true, "ready": ...}``
once it is connected to soffice, then answers one line per request line:

    {"op": "fill", "src": path, "dest": path, "filter": name, "cells": {sheet: {"B3": v}}}
    {"op": "recalc_read", "src": path, "cells": {sheet: ["B3", ...]}}
    {"op": "quit"}          -> terminates soffice, then the worker exits

Each answer is ``{"ok": true, "result": ...}`` or ``{"ok": false, "error": traceback}``.
"""

import json
import os
import sys
import time
import traceback

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException

# com.sun.star.table.CellContentType / com.sun.star.sheet.FormulaResult constants.
# Plain ints so we do not depend on how pyuno exposes enums.
_FORMULA_RESULT_VALUE = 1
_FORMULA_RESULT_STRING = 2
# CellFlags VALUE | DATETIME | STRING | FORMULA: what "empty this cell" means.
_CLEAR_CONTENT_FLAGS = 1 | 2 | 4 | 16


def _props(**kwargs):
    out = []
    for name, value in kwargs.items():
        prop = PropertyValue()
        prop.Name = name
        prop.Value = value
        out.append(prop)
    return tuple(out)


def _connect(pipe, timeout):
    """soffice needs a moment (longer on a fresh profile) before it accepts."""
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    url = "uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe
    deadline = time.monotonic() + timeout
    while True:
        try:
            ctx = resolver.resolve(url)
            break
        except NoConnectException:
            if time.monotonic() > deadline:
                raise RuntimeError("soffice did not accept on pipe %r within %ss" % (pipe, timeout))
            time.sleep(0.2)
    return ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)


def _load(desktop, path):
    url = uno.systemPathToFileUrl(os.path.abspath(path))
    doc = desktop.loadComponentFromURL(url, "_blank", 0, _props(Hidden=True))
    if doc is None:
        raise RuntimeError("LibreOffice could not load %s" % path)
    return doc


def _sheet(doc, name):
    sheets = doc.getSheets()
    if not sheets.hasByName(name):
        raise KeyError("no sheet %r in document (sheets: %s)" % (name, list(sheets.getElementNames())))
    return sheets.getByName(name)


def _write(cell, value):
    # bool is an int subclass: stored as 1/0, like Excel's TRUE/FALSE values.
    if value is None:
        cell.clearContents(_CLEAR_CONTENT_FLAGS)
    elif isinstance(value, (int, float)):
        cell.setValue(float(value))
    elif isinstance(value, str) and value.startswith("'"):
        cell.setString(value[1:])  # as typed with a leading apostrophe: text, even "=…"
    elif isinstance(value, str) and value.startswith("="):
        cell.setFormula(value)
    elif isinstance(value, str):
        cell.setString(value)
    else:
        raise TypeError("unsupported cell value %r" % (value,))


def _read(cell):
    """Computed content: float for numbers, str for text and errors, None if empty."""
    kind = cell.getType().value  # "EMPTY" | "VALUE" | "TEXT" | "FORMULA"
    if kind == "EMPTY":
        return None
    if kind == "VALUE":
        return cell.getValue()
    if kind == "TEXT":
        return cell.getString()
    if cell.getError():
        return cell.getString()  # e.g. "#DIV/0!", "#NAME?", "Err:502"
    if cell.FormulaResultType2 == _FORMULA_RESULT_VALUE:
        return cell.getValue()
    return cell.getString()


def op_fill(desktop, req):
    doc = _load(desktop, req["src"])
    try:
        for sheet_name, cells in req["cells"].items():
            sheet = _sheet(doc, sheet_name)
            for ref, value in cells.items():
                _write(sheet.getCellRangeByName(ref), value)
        doc.calculateAll()
        dest_url = uno.systemPathToFileUrl(os.path.abspath(req["dest"]))
        doc.storeToURL(dest_url, _props(FilterName=req["filter"], Overwrite=True))
    finally:
        doc.close(True)
    return req["dest"]


def op_recalc_read(desktop, req):
    doc = _load(desktop, req["src"])
    try:
        doc.calculateAll()
        result = {}
        for sheet_name, refs in req["cells"].items():
            sheet = _sheet(doc, sheet_name)
            result[sheet_name] = {ref: _read(sheet.getCellRangeByName(ref)) for ref in refs}
    finally:
        doc.close(True)
    return result


def main():
    pipe = sys.argv[1]
    timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 30.0
    # Keep the protocol channel private: anything else printed to fd 1 (by us,
    # pyuno or native code) goes to stderr instead of corrupting the JSON stream.
    proto = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def reply(obj):
        proto.write(json.dumps(obj) + "\n")
        proto.flush()

    try:
        desktop = _connect(pipe, timeout)
    except Exception:
        reply({"ok": False, "error": traceback.format_exc()})
        return 1
    reply({"ok": True, "ready": pipe})

    ops = {"fill": op_fill, "recalc_read": op_recalc_read}
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        if req.get("op") == "quit":
            try:
                desktop.terminate()
            except Exception:
                pass  # the bridge dies with soffice: a DisposedException here is expected
            reply({"ok": True, "result": None})
            return 0
        try:
            reply({"ok": True, "result": ops[req["op"]](desktop, req)})
        except Exception:
            reply({"ok": False, "error": traceback.format_exc()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
