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
        self.slots = {f.id: (True, i) for i, f in enumerate(self.numeric)}
        self.slots.update({fid: (False, i) for i, fid in enumerate(self.other)})

    def pack(self, values: Mapping[str, object] | None) -> PackedValues:
        values = values or {}
        numbers = array("d")
        ints = 0
        exact: dict[str, object] = {}
        for i, f in enumerate(self.numeric):
            v = as_number(f, values.get(f.id))
            numbers.append(float(v))
            if isinstance(v, int):
                if float(v) != v:  # beyond 2**53: keep the exact int
                    exact[f.id] = v
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

    def get(self, fid: str, default: object = None) -> object:
        try:
            return self[fid]
        except KeyError:
            return default

    def __iter__(self) -> Iterator[str]:
        return iter(self._layout.slots)

    def __len__(self) -> int:
        return len(self._layout.slots)
