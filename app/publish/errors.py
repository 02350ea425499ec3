"""What a publish can fail with, as the service's clear answers (`{"detail": …}`), and the metric outcome of each.

GitHub's own failures become 4xx answers when they are the caller's to fix (no such repository, no rights, a
branch that already exists, a rate limit to wait out) and 502 otherwise: the service never answers 500 for
GitHub's fault. Messages never carry the token, and never GitHub's body beyond its documented `message`.
"""

from app.errors import ServiceError


class PublishError(ServiceError):
    """A publish that did not happen; `outcome` is its value of the `outcome` metric label."""

    status_code = 502
    reason = "publish_failed"
    outcome = "failed"


class PublishForbidden(PublishError):
    status_code = 403
    reason = "publish_forbidden"
    outcome = "forbidden"


class PublishNotFound(PublishError):
    status_code = 404
    reason = "publish_not_found"
    outcome = "not_found"


class PublishConflict(PublishError):
    status_code = 409
    reason = "publish_conflict"
    outcome = "conflict"


class InvalidProject(PublishError):
    """Files that break the rules of a generated project (app/project.py)."""

    status_code = 422
    reason = "invalid_project"


class PublishRateLimited(PublishError):
    status_code = 429
    reason = "publish_rate_limited"
    outcome = "rate_limited"


class GitHubFailed(PublishError):
    """GitHub failed, timed out or answered what it must not: 502."""

    reason = "github_failed"


class NotPublishable(PublishError):
    """A publish asked for in a way the service cannot answer (with a zip archive)."""

    status_code = 422
    reason = "not_publishable"
