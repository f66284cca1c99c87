"""What a validation result depends on, besides the file's bytes: one digest to store beside it.

A result is a function of the file's bytes and of:

* the form: id, version, layout fingerprint and a digest of its whole definition;
* xlflow itself: the version and a digest of its own source files (a changed reader or rule
  is a different xlflow, even under the same version number), and the shape of a result;
* the run: ``year``; the roster entry (code and name) of the agency the file declares, or
  that there is no such entry, or no roster at all; that agency's previous-year values.

Nothing else goes into a result. ``dependencies(result, form, year, roster, previous)`` is the
digest of all of these for the agency ``result`` declares; ``is_current(digest, ...)`` says
whether a result stored with ``digest`` is still what validating the file now would give. The
result cache (``cache``) and the workspace's store both keep it beside each result. A roster
or previous-year change that concerns other agencies leaves the digest alone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from .. import __version__
from ..form import Form
from ..results import FileResult, encode_value
from ..roster import Agency

RESULT_SCHEMA = 1  # bump when FileResult.to_record changes shape
# Results that depend on the machine or the moment rather than on the file: never reused.
NOT_REUSABLE = frozenset({"file-reader-crashed", "file-reader-timeout", "file-io-error", "file-symlink"})


@lru_cache(maxsize=1)
def code_version() -> str:
    """xlflow's version and a digest of its source files, computed once per process."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(f"{__version__}|{RESULT_SCHEMA}".encode())
    for path in sorted(root.rglob("*.py")):
        try:
            h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
        except OSError:
            continue
    return f"{__version__}+{h.hexdigest()[:16]}"


_forms: dict[int, tuple[Form, str]] = {}


def form_digest(form: Form) -> str:
    hit = _forms.get(id(form))
    if hit is not None and hit[0] is form:
        return hit[1]
    spec = form.spec.model_dump_json().encode("utf-8")
    digest = f"{form.form_id}|{form.version}|{form.fingerprint}|{hashlib.sha256(spec).hexdigest()[:16]}"
    _forms[id(form)] = (form, digest)  # keeps the form alive so its id is never reused
    return digest


_statics: dict[str, str] = {}


def static_key(form: Form) -> str:
    """The part of every digest that does not depend on the run: form and xlflow."""
    key = f"{RESULT_SCHEMA}|{code_version()}|{form_digest(form)}"
    hit = _statics.get(key)
    if hit is None:
        hit = _statics[key] = hashlib.sha256(key.encode()).hexdigest()
    return hit


_rosters: list = [None, -1, {}]


def _roster_entry(roster: Sequence[Agency] | None, code: str | None) -> Any:
    if roster is None:
        return "no-roster"
    if _rosters[0] is not roster or _rosters[1] != len(roster):
        _rosters[:] = [roster, len(roster), {a.code: a for a in roster}]
    agency = _rosters[2].get(code or "")
    return [agency.code, agency.name] if agency is not None else "absent"


def _previous_entry(previous: Any, code: str | None) -> Any:
    values = previous.for_agency(code) if previous is not None and code else None
    if values is None:
        return None  # no previous data and no entry for this agency validate alike
    return sorted((k, encode_value(v)) for k, v in values.items())


def digest_for(static: str, code: str | None, year: int | None, roster, previous) -> str:
    """``dependencies`` for an agency code and a ``static_key`` already known."""
    blob = json.dumps([static, code, year, _roster_entry(roster, code), _previous_entry(previous, code)],
                      ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def dependencies(result: FileResult, form: Form, year: int | None, roster: Sequence[Agency] | None, previous: Any) -> str:
    """Digest of everything ``result`` depends on besides the file's bytes (see the module
    docstring). Store it beside a result; the result is still good while ``is_current`` says so."""
    return digest_for(static_key(form), result.agency_code, year, roster, previous)


def is_current(digest: str, result: FileResult, form: Form, year: int | None, roster: Sequence[Agency] | None, previous: Any) -> bool:
    """Whether a result stored with ``digest`` would be the same if the file were validated now."""
    return digest == dependencies(result, form, year, roster, previous)


def reusable(result: FileResult) -> bool:
    """Whether the result may be stored and reused: it has the file's hash, and nothing in it
    came from the machine (a crash, a timeout, a file the system would not read)."""
    return bool(result.sha256) and not any(f.rule in NOT_REUSABLE for f in result.findings)
