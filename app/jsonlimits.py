"""How wide a JSON document from a backend or a model may be, checked before it is parsed.

A body's bytes are capped while it is read (app/backends/reader.py), but parsing multiplies them: `{}` is 3 bytes
of JSON and about 100 bytes of Python objects, so 8 MiB of `[{},{},…]` took 400 MB (the pod has 512 Mi).
Objects and arrays are counted on the text, strings included, which bounds them from above; the limit is far
above what a project needs (4 MiB of the densest JavaScript holds about 100 000 brackets).
"""

from typing import Final

MAX_CONTAINERS: Final = 250_000


def too_wide(text: str | bytes | bytearray) -> bool:
    """Whether `text` may hold more than MAX_CONTAINERS JSON objects and arrays."""
    if isinstance(text, str):
        return text.count("{") + text.count("[") > MAX_CONTAINERS
    return text.count(b"{") + text.count(b"[") > MAX_CONTAINERS
