"""Per-unit values held compactly while a large merge waits for its last file.

A validated return's ``values`` is a dict of a few hundred entries (some 15 KB); 10,000 of them
would not fit the memory a province-sized merge may use. ``PackedValues`` is a read-only
mapping over the same field ids: the numbers as the summary sums them (``totals.as_number``)
in one array of doubles with a bit per field that was an int (so 3 stays 3, not 3.0), and the
other fields (text, dates, choices) pickled and compressed. ``row(ids)`` decodes a whole row
at once, which is how the totals and the per-unit sheets read it (``totals.values_row``).

Measured with ``python benchmarks/merge_memory.py --n 10000`` (2 cores): 4.8 KB held per unit
packed against 15.3 KB as dicts; summing and writing the summary read rows through ``row``
(a per-field ``get`` makes writing 明细 and _xlflow some 60 % slower).
"""

from __future__ import annotations

import pickle
import zlib
from array import array
from collections.abc import Iterator, Mapping

from ..form import Form
from ..totals import as_number


class ValueLayout:
    """Which slot holds which field: numbers in form order, then every other data field."""

    def __init__(self, form: Form):
        fields = form.data_fields
        self.numeric = [f for f in fields if f.type.numeric]
        self.other = [f.id for f in fields if not f.type.numeric]
        self._numeric_kinds = [(f.id, f.type.spec.kind == "integer", f) for f in self.numeric]
        self.slots = {f.id: (True, i) for i, f in enumerate(self.numeric)}
        self.slots.update({fid: (False, i) for i, fid in enumerate(self.other)})
        self._rows: dict[tuple[str, ...], tuple[list[tuple[bool, int]], bool, bool]] = {}

    def pack(self, values: Mapping[str, object] | None) -> PackedValues:
        values = values or {}
        numbers = array("d")
        ints = 0
        exact: dict[str, object] | None = None
        get = values.get
        for i, (fid, integer, f) in enumerate(self._numeric_kinds):
            v = get(fid)
            t = type(v)
            if t is float and not (integer and v.is_integer()):
                numbers.append(v)  # as_number keeps such a float as it is
                continue
            if t is not int:
                v = as_number(f, v)
                if type(v) is float:
                    numbers.append(v)
                    continue
            numbers.append(float(v))
            if float(v) != v:  # beyond 2**53: keep the exact int
                exact = exact or {}
                exact[fid] = v
            ints |= 1 << i
        others = tuple(values.get(fid) for fid in self.other)
        blob = zlib.compress(pickle.dumps(others, protocol=pickle.HIGHEST_PROTOCOL), 1) if any(x is not None for x in others) else b""
        return PackedValues(self, numbers, ints, blob, exact)

    def row_plan(self, ids: tuple[str, ...]) -> tuple[list[tuple[bool, int]], bool, bool]:
        """(slot of each id, whether any is a number, whether any is not), made once per ids."""
        hit = self._rows.get(ids)
        if hit is None:
            plan = [self.slots[fid] for fid in ids]
            hit = self._rows[ids] = (plan, any(n for n, _ in plan), not all(n for n, _ in plan))
        return hit


class PackedValues(Mapping):
    __slots__ = ("_blob", "_exact", "_ints", "_layout", "_numbers")

    def __init__(self, layout: ValueLayout, numbers: array, ints: int, blob: bytes, exact: dict | None):
        self._layout, self._numbers, self._ints, self._blob, self._exact = layout, numbers, ints, blob, exact

    def _others(self) -> tuple:
        return pickle.loads(zlib.decompress(self._blob)) if self._blob else (None,) * len(self._layout.other)

    def __getitem__(self, fid: str) -> object:
        numeric, i = self._layout.slots[fid]
        if numeric:
            if self._exact and fid in self._exact:
                return self._exact[fid]
            v = self._numbers[i]
            return int(v) if (self._ints >> i) & 1 else v
        return self._others()[i]

    def _numbers_list(self) -> list:
        ints, exact = self._ints, self._exact
        out = [int(v) if (ints >> i) & 1 else v for i, v in enumerate(self._numbers)]
        if exact:
            for i, f in enumerate(self._layout.numeric):
                if f.id in exact:
                    out[i] = exact[f.id]
        return out

    def row(self, ids: tuple[str, ...]) -> list:
        """The values of ``ids``, in that order (one decode for the whole row)."""
        plan, numeric_any, other_any = self._layout.row_plan(ids)
        numbers = self._numbers_list() if numeric_any else ()
        others = self._others() if other_any else ()
        return [numbers[i] if numeric else others[i] for numeric, i in plan]

    def get(self, fid: str, default: object = None) -> object:
        try:
            return self[fid]
        except KeyError:
            return default

    def __iter__(self) -> Iterator[str]:
        return iter(self._layout.slots)

    def __len__(self) -> int:
        return len(self._layout.slots)
