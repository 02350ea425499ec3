"""`POST /publish`: a project's files in, a GitHub repository (or a pull request) out."""

from typing import Any, Final

from fastapi import APIRouter, Request

from app.deps import PublisherDep
from app.errors import error_responses
from app.lifetime import watched
from app.middleware import log_fields
from app.project import MAX_TOTAL_BYTES
from app.publish.files import project_files
from app.publish.push import Publication
from app.publish.service import DEFAULT_MESSAGE
from app.routers.generate import BodyRoute
from app.schemas import PublishRequest, PublishResult

#: The largest body `POST /publish` reads: a project at its cap, with room for the JSON escaping of its files.
PUBLISH_BODY_BYTES: Final = 2 * MAX_TOTAL_BYTES

router = APIRouter(tags=["publish"], route_class=BodyRoute)

_CLIENT: list[dict[str, Any]] = [
    {
        "name": "x-prompt2prod-client",
        "in": "header",
        "required": False,
        "description": "Set by the gateway to the name of the caller's API key; publishing needs one in "
        "PUBLISH_CLIENTS.",
        "schema": {"type": "string", "pattern": "^[a-z][a-z0-9-]{0,31}$"},
    }
]


@router.post(
    "/publish",
    response_model=PublishResult,
    responses=error_responses(403, 404, 409, 413, 422, 429, 502, 503, 504),
    openapi_extra={"parameters": _CLIENT},
)
async def publish(body: PublishRequest, request: Request, publisher: PublisherDep) -> PublishResult:
    """Publish a project to GitHub: a new repository gets one commit with every file on its default branch; an
    existing one gets a new branch and a pull request to its default branch."""
    publisher.authorize(request.headers, body.repository)
    owner, name = body.repository.split("/", 1)
    files = project_files(body.files)
    log_fields(request.scope).update(files=len(files))
    publication = Publication(
        owner=owner,
        name=name,
        private=body.private,
        files=files,
        message=body.message or DEFAULT_MESSAGE,
        branch=body.branch,
    )
    deadline = publisher.deadline()
    return await watched(request.receive, publisher.publish(publication, deadline), deadline)
