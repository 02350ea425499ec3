"""Which representation of a project a client asked for, from its `Accept` header (RFC 9110 section 12.5.1).

JSON is the default. The zip archive or NDJSON progress events are chosen only when the client names them
with a non-zero quality at least as high as JSON's (`application/zip;q=0` means "not a zip").
"""

from typing import Final

JSON: Final = "application/json"
ZIP: Final = "application/zip"
NDJSON: Final = "application/x-ndjson"


def _ranges(accept: str) -> list[tuple[str, float]]:
    ranges = []
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = min(1.0, max(0.0, float(value)))
                except ValueError:
                    quality = 0.0
        if media:
            ranges.append((media.lower(), quality))
    return ranges


def _quality(ranges: list[tuple[str, float]], media: str) -> tuple[float, bool]:
    """The quality of `media` from the most specific matching range, and whether it was named exactly."""
    kind = media.split("/", 1)[0]
    best: tuple[int, float] = (-1, 0.0)
    for candidate, quality in ranges:
        rank = {media: 2, f"{kind}/*": 1, "*/*": 0}.get(candidate, -1)
        if rank > best[0]:
            best = (rank, quality)
    return best[1], best[0] == 2


def preferred(accept: str | None) -> str:
    """JSON, ZIP or NDJSON, as the header asks."""
    if not accept:
        return JSON
    ranges = _ranges(accept)
    json_quality, _ = _quality(ranges, JSON)
    best, best_quality = JSON, json_quality
    for media in (NDJSON, ZIP):  # NDJSON first: it wins a tie, as it always has
        quality, named = _quality(ranges, media)
        if named and quality > 0 and (quality > best_quality or (best == JSON and quality >= best_quality)):
            best, best_quality = media, quality
    return best
