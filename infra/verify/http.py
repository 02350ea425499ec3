"""The HTTP side of the checks: one aiohttp session to the public gateway, one to the in-cluster endpoints.

Gateway requests carry the API key; requests to Prometheus and Loki never do (they go to other hosts, usually a
port-forward). By default the gateway's hostnames are connected to `gatewayAddress` (the stack output) rather
than looked up in DNS, so that a deploy is verified before, or without, its DNS records: the Host header and TLS
server name stay the public hostname, as for any client.

Every failure becomes a `CheckFailed` whose message says what was asked and what came back; a bounded part of
the body is quoted, never a request header.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from infra.verify.credentials import API_KEY_HEADER, CLIENT

MAX_BODY_BYTES = 8 * 1024 * 1024
_QUOTED_BODY_CHARS = 300


class CheckFailed(Exception):
    """A check's verdict: the message is what the summary shows."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    """Parsed JSON, or the text when the body is not JSON."""
    text: str
    request_id: str | None = None
    """The `x-request-id` the answer carries: the id the service logged the request under."""

    def quoted(self) -> str:
        text = " ".join(self.text.split())
        return text if len(text) <= _QUOTED_BODY_CHARS else text[:_QUOTED_BODY_CHARS] + "…"


class GatewayResolver(AbstractResolver):
    """Resolves the gateway's hostnames to the gateway's address; every other name through DNS."""

    def __init__(self, hostnames: frozenset[str], address: str) -> None:
        self._hostnames = hostnames
        self._address = address
        self._dns = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return await self._dns.resolve(self._address if host in self._hostnames else host, port, family)

    async def close(self) -> None:
        await self._dns.close()


def tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """The system's trust store, plus `ca_file` (e.g. the gateway's self-signed certificate) when given."""
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    return context


class Http:
    """Two sessions: `gateway` (API key, gateway address) and `internal` (Prometheus, Loki)."""

    def __init__(
        self,
        *,
        api_key: str,
        gateway_hosts: frozenset[str],
        gateway_address: str | None,
        ca_file: Path | None,
    ) -> None:
        context = tls_context(ca_file)
        resolver = GatewayResolver(gateway_hosts, gateway_address) if gateway_address else None
        self._gateway = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=context, resolver=resolver),
            headers={API_KEY_HEADER: api_key},
        )
        self._internal = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context))

    async def close(self) -> None:
        await asyncio.gather(self._gateway.close(), self._internal.close())

    async def gateway(
        self,
        method: str,
        url: str,
        *,
        timeout: float,
        headers: Mapping[str, str] | None = None,
        json_body: Any = None,
    ) -> Answer:
        answer = await _request(self._gateway, method, url, timeout, headers, json_body)
        if answer.status == 401:
            raise CheckFailed(
                f"{method} {url}: the gateway refused the credential (401): the key of client `{CLIENT}` is "
                "missing from the secret store or not the one the gateway holds"
            )
        if answer.status == 403:
            raise CheckFailed(f"{method} {url}: the gateway does not allow client `{CLIENT}` on this route (403)")
        return answer

    async def internal(self, url: str, *, timeout: float, params: Mapping[str, str] | None = None) -> Answer:
        return await _request(self._internal, "GET", url, timeout, None, None, params)


async def _request(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    timeout: float,
    headers: Mapping[str, str] | None,
    json_body: Any,
    params: Mapping[str, str] | None = None,
) -> Answer:
    where = f"{method} {_without_query(url)}"
    try:
        async with session.request(
            method,
            url,
            headers=headers,
            json=json_body,
            params=params,
            timeout=aiohttp.ClientTimeout(total=timeout),
            allow_redirects=False,
        ) as response:
            raw = await response.content.read(MAX_BODY_BYTES + 1)
            if len(raw) > MAX_BODY_BYTES:
                raise CheckFailed(f"{where}: the answer is larger than {MAX_BODY_BYTES} bytes")
            status, request_id = response.status, response.headers.get("x-request-id")
    except TimeoutError:
        raise CheckFailed(f"{where}: no complete answer within {timeout:g} s") from None
    except aiohttp.ClientSSLError as error:
        raise CheckFailed(f"{where}: TLS failed ({error.__class__.__name__}): {_reason(error)}") from None
    except aiohttp.ClientError as error:
        raise CheckFailed(f"{where}: {error.__class__.__name__}: {_reason(error)}") from None
    text = raw.decode("utf-8", errors="replace")
    try:
        body: Any = json.loads(text)
    except ValueError:
        body = text
    return Answer(status=status, body=body, text=text, request_id=request_id)


def _without_query(url: str) -> str:
    return url.split("?", 1)[0]


def _reason(error: BaseException) -> str:
    return str(error) or error.__class__.__name__


def hostname(url: str) -> str:
    return urlsplit(url).hostname or ""
