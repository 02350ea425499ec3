"""A fake GitHub REST API on a real socket, speaking the request and response shapes GitHub documents.

Every answer carries the `x-ratelimit-*` headers; errors are `{"message", "documentation_url", "status"}` with
GitHub's status codes and messages: 401 "Bad credentials", 403 "Resource not accessible by personal access token"
for a token without rights, 404 "Not Found" (also for a repository the token cannot see), 409 "Git Repository is
empty." for Git data of a repository without commits, 422 for a ref that already exists, a protected branch, a
commit that is not a fast-forward, objects that do not exist. Rate limits as GitHub sends them: the primary one
(403 with `x-ratelimit-remaining: 0` and the reset time) and the secondary one (403 with `retry-after`).
`break_on` makes it drop the connection (or answer 500) at the Nth call of one kind, for an interrupted push.
"""

import asyncio
import base64
import binascii
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.app.fake_github_store import GitHubState, Repository

TOKEN = "github_pat_11FAKE0TOKEN0never0logged0abcdefghijklmnopqrstuvwxyz"
DOCS = "https://docs.github.com/rest"
API_VERSIONS = ("2022-11-28",)
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to "
    "GitHub Support for help, please include the request ID ABCD:1234."
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error(status: int, message: str, doc: str = "", headers: dict[str, str] | None = None) -> web.Response:
    body = {"message": message, "documentation_url": f"{DOCS}{doc}", "status": str(status)}
    return web.json_response(body, status=status, headers=headers)


@dataclass
class FakeGitHub:
    state: GitHubState = field(default_factory=GitHubState)
    token: str = TOKEN
    #: False: the token reads but may not write (a fine-grained token without `contents: write`).
    writable: bool = True
    #: "primary" or "secondary": every request from now on is refused with that rate limit.
    rate_limited: str | None = None
    #: (kind, n, how): at the nth call of kind ("blob", "tree", "commit", "ref"), "drop" the connection, answer
    #: "500", or answer "garbage" (a 201 with an HTML page, as a proxy in the way might); once.
    break_on: tuple[str, int, str] | None = None
    #: Seconds each answer takes.
    delay: float = 0.0
    #: Reads of a just-created repository's refs that still answer 409 "Git Repository is empty.", as GitHub's do
    #: for a moment after `auto_init`.
    lagging_reads: int = 0
    calls: list[tuple[str, str]] = field(default_factory=list)
    headers_seen: list[dict[str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    remaining: int = 5000
    url: str = ""
    _runner: web.AppRunner | None = None

    # -- plumbing --------------------------------------------------------------------------------------------

    @web.middleware
    async def _github(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.calls.append((request.method, request.path))
        self.headers_seen.append(dict(request.headers))
        self.remaining = max(0, self.remaining - 1)
        await asyncio.sleep(self.delay)
        response = await self._gate(request) or await handler(request)
        reset = str(int(time.time()) + 3600)
        response.headers.setdefault("x-ratelimit-limit", "5000")
        response.headers.setdefault("x-ratelimit-remaining", str(self.remaining))
        response.headers.setdefault("x-ratelimit-reset", reset)
        response.headers.setdefault("x-ratelimit-used", str(5000 - self.remaining))
        response.headers.setdefault("x-ratelimit-resource", "core")
        response.headers["x-github-api-version-selected"] = API_VERSIONS[0]
        return response

    async def _gate(self, request: web.Request) -> web.Response | None:
        if not request.headers.get("User-Agent"):
            return error(
                403,
                "Request forbidden by administrative rules. Please make sure your request has a "
                "User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required).",
            )
        if request.headers.get("X-GitHub-Api-Version", API_VERSIONS[0]) not in API_VERSIONS:
            return error(400, f"API version {request.headers['X-GitHub-Api-Version']} is not supported.")
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return error(401, "Bad credentials")
        if self.rate_limited == "primary":
            reset = str(int(time.time()) + 120)
            return error(
                403,
                "API rate limit exceeded for user ID 1.",
                "/using-the-rest-api/rate-limits-for-the-rest-api",
                {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset},
            )
        if self.rate_limited == "secondary":
            return error(
                403,
                SECONDARY_MESSAGE,
                "/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits",
                {"retry-after": "30"},
            )
        if request.method != "GET" and not self.writable:
            return error(403, "Resource not accessible by personal access token")
        return None

    def _break(self, kind: str, request: web.Request) -> web.Response | None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if self.break_on is None or self.break_on[:2] != (kind, self.counts[kind]):
            return None
        how = self.break_on[2]
        self.break_on = None
        if how == "drop":
            assert request.transport is not None
            request.transport.abort()
            raise ConnectionResetError("the fake dropped the connection")
        if how == "garbage":
            return web.Response(status=201, body=b"<html><body>Unicorn!</body></html>", content_type="text/html")
        return error(500, "Server Error")

    def _repo(self, request: web.Request) -> Repository | None:
        return self.state.repository(request.match_info["owner"], request.match_info["repo"])

    def routes(self) -> list[web.RouteDef]:
        base = "/repos/{owner}/{repo}"
        return [
            web.get("/user", self.get_user),
            web.get("/users/{login}", self.get_account),
            web.post("/user/repos", self.create_user_repo),
            web.post("/orgs/{org}/repos", self.create_org_repo),
            web.get(base, self.get_repo),
            web.post(f"{base}/git/blobs", self.create_blob),
            web.post(f"{base}/git/trees", self.create_tree),
            web.post(f"{base}/git/commits", self.create_commit),
            web.get(f"{base}/git/commits/{{sha}}", self.get_commit),
            web.get(f"{base}/git/ref/heads/{{branch:.+}}", self.get_ref),
            web.post(f"{base}/git/refs", self.create_ref),
            web.patch(f"{base}/git/refs/heads/{{branch:.+}}", self.update_ref),
            web.post(f"{base}/pulls", self.create_pull),
        ]

    async def start(self) -> str:
        app = web.Application(middlewares=[self._github])
        app.add_routes(self.routes())
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # -- accounts and repositories ---------------------------------------------------------------------------

    async def get_user(self, request: web.Request) -> web.Response:
        return web.json_response({"login": self.state.me, "type": "User"})

    async def get_account(self, request: web.Request) -> web.Response:
        account = self.state.account(request.match_info["login"])
        if account is None:
            return error(404, "Not Found", "/users/users#get-a-user")
        return web.json_response({"login": account[0], "type": account[1]})

    async def get_repo(self, request: web.Request) -> web.Response:
        repo = self._repo(request)
        if repo is None:
            return error(404, "Not Found", "/repos/repos#get-a-repository")
        return web.json_response(repo.as_json(self.url))

    async def _create_repo(self, request: web.Request, owner: str) -> web.Response:
        body = await request.json()
        name = body.get("name")
        if not isinstance(name, str) or not name:
            return error(422, "Repository creation failed.", "/repos/repos#create-an-organization-repository")
        if self.state.repository(owner, name) is not None:
            return web.json_response(
                {
                    "message": "Repository creation failed.",
                    "errors": [
                        {
                            "resource": "Repository",
                            "code": "custom",
                            "field": "name",
                            "message": "name already exists on this account",
                        }
                    ],
                    "documentation_url": f"{DOCS}/repos/repos#create-an-organization-repository",
                    "status": "422",
                },
                status=422,
            )
        repo = self.state.create(
            owner,
            name,
            private=bool(body.get("private")),
            description=body.get("description"),
            auto_init=bool(body.get("auto_init")),
        )
        return web.json_response(repo.as_json(self.url), status=201)

    async def create_user_repo(self, request: web.Request) -> web.Response:
        return await self._create_repo(request, self.state.me)

    async def create_org_repo(self, request: web.Request) -> web.Response:
        account = self.state.account(request.match_info["org"])
        if account is None or account[1] != "Organization":
            return error(404, "Not Found", "/repos/repos#create-an-organization-repository")
        return await self._create_repo(request, account[0])

    # -- git data --------------------------------------------------------------------------------------------

    async def _git(
        self, request: web.Request, kind: str | None = None
    ) -> tuple[Repository | None, web.Response | None]:
        repo = self._repo(request)
        if repo is None:
            return None, error(404, "Not Found", "/git")
        if repo.empty:
            return None, error(409, "Git Repository is empty.", "/git")
        if kind is not None and (broken := self._break(kind, request)) is not None:
            return None, broken
        return repo, None

    async def create_blob(self, request: web.Request) -> web.Response:
        repo, refused = await self._git(request, "blob")
        if repo is None:
            return refused  # type: ignore[return-value]
        body = await request.json()
        try:
            data = (
                base64.b64decode(body["content"], validate=True)
                if body.get("encoding") == "base64"
                else body["content"].encode()
            )
        except (KeyError, binascii.Error, AttributeError):
            return error(422, "Invalid request.", "/git/blobs#create-a-blob")
        sha = repo.add_blob(data)
        return web.json_response({"sha": sha, "url": f"{self.url}/repos/{repo.full_name}/git/blobs/{sha}"}, status=201)

    async def create_tree(self, request: web.Request) -> web.Response:
        repo, refused = await self._git(request, "tree")
        if repo is None:
            return refused  # type: ignore[return-value]
        body = await request.json()
        files: dict[str, str] = {}
        if "base_tree" in body:
            if body["base_tree"] not in repo.trees:
                return error(422, "Invalid tree info", "/git/trees#create-a-tree")
            files.update(repo.trees[body["base_tree"]])
        for entry in body.get("tree", []):
            if entry.get("type") != "blob" or entry.get("mode") != "100644" or entry.get("sha") not in repo.blobs:
                return error(422, "Invalid tree info", "/git/trees#create-a-tree")
            files[entry["path"]] = entry["sha"]
        sha = repo.add_tree(files)
        listing = [
            {"path": path, "mode": "100644", "type": "blob", "sha": blob} for path, blob in sorted(files.items())
        ]
        return web.json_response(
            {
                "sha": sha,
                "url": f"{self.url}/repos/{repo.full_name}/git/trees/{sha}",
                "tree": listing,
                "truncated": False,
            },
            status=201,
        )

    def _commit_json(self, repo: Repository, sha: str) -> dict[str, Any]:
        commit = repo.commits[sha]
        return {
            "sha": sha,
            "html_url": f"https://github.com/{repo.full_name}/commit/{sha}",
            "message": commit.message,
            "tree": {"sha": commit.tree},
            "parents": [{"sha": parent} for parent in commit.parents],
        }

    async def create_commit(self, request: web.Request) -> web.Response:
        repo, refused = await self._git(request, "commit")
        if repo is None:
            return refused  # type: ignore[return-value]
        body = await request.json()
        if body.get("tree") not in repo.trees:
            return error(422, "Tree SHA does not exist", "/git/commits#create-a-commit")
        if any(parent not in repo.commits for parent in body.get("parents", [])):
            return error(422, "Parent SHA does not exist or is not a commit object", "/git/commits#create-a-commit")
        sha = repo.add_commit(body["tree"], list(body.get("parents", [])), body.get("message", ""))
        return web.json_response(self._commit_json(repo, sha), status=201)

    async def get_commit(self, request: web.Request) -> web.Response:
        repo, refused = await self._git(request)
        if repo is None:
            return refused  # type: ignore[return-value]
        if request.match_info["sha"] not in repo.commits:
            return error(404, "Not Found", "/git/commits#get-a-commit-object")
        return web.json_response(self._commit_json(repo, request.match_info["sha"]))

    def _ref_json(self, repo: Repository, branch: str) -> dict[str, Any]:
        return {
            "ref": f"refs/heads/{branch}",
            "url": f"{self.url}/repos/{repo.full_name}/git/refs/heads/{branch}",
            "object": {"sha": repo.refs[branch], "type": "commit"},
        }

    async def get_ref(self, request: web.Request) -> web.Response:
        repo, refused = await self._git(request)
        if repo is None:
            return refused  # type: ignore[return-value]
        branch = request.match_info["branch"]
        if self.lagging_reads > 0:
            self.lagging_reads -= 1
            return error(409, "Git Repository is empty.", "/git/refs#get-a-reference")
        if branch not in repo.refs:
            return error(404, "Not Found", "/git/refs#get-a-reference")
        return web.json_response(self._ref_json(repo, branch))

    async def create_ref(self, request: web.Request) -> web.Response:
        repo, refused = await self._git(request, "ref")
        if repo is None:
            return refused  # type: ignore[return-value]
        body = await request.json()
        ref, sha = str(body.get("ref", "")), body.get("sha")
        if not ref.startswith("refs/heads/") or sha not in repo.commits:
            return error(
                422,
                "Reference update failed" if sha in repo.commits else "Object does not exist",
                "/git/refs#create-a-reference",
            )
        branch = ref.removeprefix("refs/heads/")
        if branch in repo.refs:
            return error(422, "Reference already exists", "/git/refs#create-a-reference")
        repo.refs[branch] = sha
        return web.json_response(self._ref_json(repo, branch), status=201)

    async def update_ref(self, request: web.Request) -> web.Response:
        repo, refused = await self._git(request, "ref")
        if repo is None:
            return refused  # type: ignore[return-value]
        body = await request.json()
        branch, sha = request.match_info["branch"], body.get("sha")
        if branch not in repo.refs:
            return error(422, "Reference does not exist", "/git/refs#update-a-reference")
        if sha not in repo.commits:
            return error(422, "Object does not exist", "/git/refs#update-a-reference")
        if branch in repo.protected:
            return error(
                422, f"Protected branch update failed for refs/heads/{branch}.", "/repos/branches/branch-protection"
            )
        if not body.get("force") and not repo.is_ancestor(repo.refs[branch], sha):
            return error(422, "Update is not a fast forward", "/git/refs#update-a-reference")
        repo.refs[branch] = sha
        return web.json_response(self._ref_json(repo, branch))

    async def create_pull(self, request: web.Request) -> web.Response:
        repo, refused = await self._git(request)
        if repo is None:
            return refused  # type: ignore[return-value]
        body = await request.json()
        head, base = body.get("head"), body.get("base")
        if head not in repo.refs or base not in repo.refs or not body.get("title"):
            return error(422, "Validation Failed", "/pulls/pulls#create-a-pull-request")
        if any(pull["head"] == head and pull["state"] == "open" for pull in repo.pulls):
            return error(
                422, f"A pull request already exists for {repo.owner}:{head}.", "/pulls/pulls#create-a-pull-request"
            )
        number = len(repo.pulls) + 1
        pull = {
            "number": number,
            "state": "open",
            "head": head,
            "base": base,
            "title": body["title"],
            "body": body.get("body"),
            "html_url": f"https://github.com/{repo.full_name}/pull/{number}",
        }
        repo.pulls.append(pull)
        return web.json_response(pull, status=201)
