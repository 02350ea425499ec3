"""GitHub's rate limits read as its documentation describes them: `retry-after` first; else, with
`x-ratelimit-remaining: 0`, until `x-ratelimit-reset`; else, for a secondary limit that names no time (its message,
or a 429), at least a minute; and a 403 that is none of these is a missing right, never a wait.
"""

import pytest

from app.publish.github import GitHubStatus, retry_after

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("status", "message", "headers", "wait"),
    [
        (403, "You have exceeded a secondary rate limit.", {"retry-after": "45"}, 45),
        (429, "", {"retry-after": "7"}, 7),
        (403, "API rate limit exceeded", {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 90)}, 90),
        (403, "API rate limit exceeded", {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) - 5)}, 1),
        (403, "You have exceeded a secondary rate limit.", {"x-ratelimit-remaining": "4000"}, 60),
        (429, "", {}, 60),
        (403, "", {"retry-after": "999999"}, 3600),
        (403, "Resource not accessible by personal access token", {"x-ratelimit-remaining": "4000"}, None),
        (404, "Not Found", {"x-ratelimit-remaining": "0"}, None),
    ],
    ids=[
        "secondary-retry-after",
        "429-retry-after",
        "primary-until-reset",
        "primary-reset-passed",
        "secondary-by-message",
        "429-bare",
        "capped-at-an-hour",
        "missing-right",
        "not-a-rate-limit-status",
    ],
)
def test_how_long_to_wait(status: int, message: str, headers: dict[str, str], wait: int | None) -> None:
    assert retry_after(GitHubStatus(status, message, headers), now=NOW) == wait
