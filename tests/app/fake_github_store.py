"""The fake GitHub's state: accounts, repositories and each repository's Git objects, checked as GitHub checks them.

Blob SHAs are real Git object ids (`sha1("blob <size>\\0" + bytes)`). A tree is kept as the flat map of the file
paths it holds; a tree entry naming a blob that does not exist, a commit naming a tree or parent that does not
exist, and a ref pointing at a commit that does not exist are refused, as GitHub refuses them: so a client that
moves a ref before its objects exist fails here as it would there.
"""

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any


def git_blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\x00" % len(data) + data, usedforsecurity=False).hexdigest()


def _sha(kind: str, value: Any) -> str:
    return hashlib.sha1(f"{kind} {json.dumps(value, sort_keys=True)}".encode(), usedforsecurity=False).hexdigest()


@dataclass
class Commit:
    tree: str
    parents: list[str]
    message: str


@dataclass
class Repository:
    owner: str
    name: str
    private: bool
    description: str | None
    default_branch: str = "main"
    blobs: dict[str, bytes] = field(default_factory=dict)
    trees: dict[str, dict[str, str]] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    #: Branches a protection rule (or a ruleset) keeps from being updated directly.
    protected: set[str] = field(default_factory=set)
    pulls: list[dict[str, Any]] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def empty(self) -> bool:
        return not self.commits

    def add_blob(self, data: bytes) -> str:
        sha = git_blob_sha(data)
        self.blobs[sha] = data
        return sha

    def add_tree(self, files: dict[str, str]) -> str:
        sha = _sha("tree", files)
        self.trees[sha] = dict(files)
        return sha

    def add_commit(self, tree: str, parents: list[str], message: str) -> str:
        sha = _sha("commit", {"tree": tree, "parents": parents, "message": message, "n": len(self.commits)})
        self.commits[sha] = Commit(tree, parents, message)
        return sha

    def files_at(self, branch: str) -> dict[str, bytes]:
        """The content of every file on `branch`."""
        tree = self.trees[self.commits[self.refs[branch]].tree]
        return {path: self.blobs[sha] for path, sha in tree.items()}

    def is_ancestor(self, ancestor: str, commit: str) -> bool:
        pending = [commit]
        while pending:
            current = pending.pop()
            if current == ancestor:
                return True
            pending.extend(self.commits[current].parents)
        return False

    def as_json(self, api: str) -> dict[str, Any]:
        return {
            "id": abs(hash(self.full_name)) % 10**9,
            "name": self.name,
            "full_name": self.full_name,
            "owner": {"login": self.owner},
            "private": self.private,
            "description": self.description,
            "html_url": f"https://github.com/{self.full_name}",
            "url": f"{api}/repos/{self.full_name}",
            "default_branch": self.default_branch,
            "visibility": "private" if self.private else "public",
        }


@dataclass
class GitHubState:
    """Accounts (login -> `User` or `Organization`), the token's own user, and repositories by lower-cased name."""

    accounts: dict[str, str] = field(default_factory=lambda: {"octo": "User", "acme": "Organization"})
    me: str = "octo"
    repositories: dict[str, Repository] = field(default_factory=dict)
    #: Owners whose rulesets protect the default branch of every repository, new ones included.
    ruled_owners: set[str] = field(default_factory=set)

    def account(self, login: str) -> tuple[str, str] | None:
        """The login as GitHub spells it and its type; logins are not case sensitive."""
        return next(((name, kind) for name, kind in self.accounts.items() if name.lower() == login.lower()), None)

    def repository(self, owner: str, name: str) -> Repository | None:
        return self.repositories.get(f"{owner}/{name}".lower())

    def create(self, owner: str, name: str, *, private: bool, description: str | None, auto_init: bool) -> Repository:
        repo = Repository(owner=owner, name=name, private=private, description=description)
        if owner.lower() in self.ruled_owners:
            repo.protected.add(repo.default_branch)
        if auto_init:
            blob = repo.add_blob(f"# {name}\n".encode())
            tree = repo.add_tree({"README.md": blob})
            repo.refs[repo.default_branch] = repo.add_commit(tree, [], "Initial commit")
        self.repositories[repo.full_name.lower()] = repo
        return repo

    def existing(self, owner: str, name: str, files: dict[str, str], *, protected: bool = False) -> Repository:
        """A repository with one commit holding `files` on `main`, made outside the service."""
        repo = self.create(owner, name, private=True, description="made by hand", auto_init=False)
        tree = repo.add_tree({path: repo.add_blob(content.encode()) for path, content in files.items()})
        repo.refs["main"] = repo.add_commit(tree, [], "First")
        if protected:
            repo.protected.add("main")
        return repo
