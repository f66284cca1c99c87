"""Per-unit values held compactly while a large merge waits for its last file.

A validated return's ``values`` is a dict of a few hundred entries (some 14 KB); 10,000 of them
would not fit the memory a province-sized merge may use. ``PackedValues`` is a read-only
mapping over the same field ids: the numbers as the summary sums them (``fields.as_number``)
in one array of doubles with a bit per field that was an int (so 3 stays 3, not 3.0), and the
other fields (text, dates, choices) pickled and compressed, unpacked on access (one unit's
texts at a time are cached, as the sheets read a unit's fields in a row).
"""

from __future__ import annotations

import pickle
import zlib
from array import array
from collections.abc import Iterator, Mapping

from ..form import Form
from .fields import as_number, data_fields


class ValueLayout:
    """Which slot holds which field: numbers in form order, then every other data field."""

    def __init__(self, form: Form):
        fields = data_fields(form)
        self.numeric = [f for f in fields if f.type.numeric]
        self.other = [f.id for f in fields if not f.type.numeric]
        self._numeric_kinds = [(f.id, f.type.spec.kind == "integer", f) for f in self.numeric]
        self.slots = {f.id: (True, i) for i, f in enumerate(self.numeric)}
        self._rows: dict[tuple[str, ...], list[tuple[bool, int]]] = {}
        self.slots.update({fid: (False, i) for i, fid in enumerate(self.other)})

    def pack(self, values: Mapping[str, object] | None) -> PackedValues:
        values = values or {}
        numbers = array("d")
        ints = 0
        exact: dict[str, object] = {}
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
                exact[fid] = v
            ints |= 1 << i
        others = tuple(values.get(fid) for fid in self.other)
        blob = zlib.compress(pickle.dumps(others, protocol=pickle.HIGHEST_PROTOCOL), 1) if any(x is not None for x in others) else b""
        return PackedValues(self, numbers, ints, blob, exact)


class PackedValues(Mapping):
    __slots__ = ("_blob", "_exact", "_ints", "_layout", "_numbers")
    _cache: tuple[bytes, tuple] | None = None  # class-wide: the last unit's unpacked texts

    def __init__(self, layout: ValueLayout, numbers: array, ints: int, blob: bytes, exact: dict):
        self._layout, self._numbers, self._ints, self._blob, self._exact = layout, numbers, ints, blob, exact

    def _others(self) -> tuple:
        cache = PackedValues._cache
        if cache is not None and cache[0] is self._blob:
            return cache[1]
        others = pickle.loads(zlib.decompress(self._blob)) if self._blob else (None,) * len(self._layout.other)
        PackedValues._cache = (self._blob, others)
        return others

    def __getitem__(self, fid: str) -> object:
        numeric, i = self._layout.slots[fid]
        if numeric:
            if self._exact and fid in self._exact:
                return self._exact[fid]
            v = self._numbers[i]
            return int(v) if (self._ints >> i) & 1 else v
        return self._others()[i]

    def numbers(self) -> list:
        """Every number in the layout's order (``numeric_fields``), as ``as_number`` gives it."""
        ints, exact = self._ints, self._exact
        out = [int(v) if (ints >> i) & 1 else v for i, v in enumerate(self._numbers)]
        if exact:
            for i, f in enumerate(self._layout.numeric):
                if f.id in exact:
                    out[i] = exact[f.id]
        return out

    def row(self, ids: tuple[str, ...]) -> list:
        """The values of ``ids``, in that order (one decode for the whole row)."""
        layout = self._layout
        plan = layout._rows.get(ids)
        if plan is None:
            plan = layout._rows[ids] = [layout.slots[fid] for fid in ids]
        numbers, others = self.numbers(), self._others()
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


def values_row(values: Mapping[str, object], ids: tuple[str, ...]) -> list:
    """``[values.get(i) for i in ids]``, fast for packed values."""
    if isinstance(values, PackedValues):
        return values.row(ids)
    return [values.get(fid) for fid in ids]


def packed_column(packed: list[PackedValues], k: int) -> list:
    """The k-th number of every packed unit, each as ``PackedValues.numbers()`` gives it."""
    out = []
    for p in packed:
        v = p._numbers[k]
        if (p._ints >> k) & 1:
            v = int(v)
            if p._exact:
                v = p._exact.get(p._layout.numeric[k].id, v)
        out.append(v)
    return out
