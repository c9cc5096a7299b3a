"""Pulling the content feeds: fetch concurrently, parse in a thread, store, report per feed.

One aiohttp session serves every feed of a pull; at most `concurrency` feeds are in progress
at once, so the bodies held in memory stay bounded. A conditional GET (ETag, Last-Modified)
makes an unchanged feed cost one small request and no parsing. Parsing runs in a worker
thread so the event loop (web server, scheduler) keeps answering meanwhile; feeds are parsed
and stored one at a time (see `_Puller.turn`). Whatever goes wrong with one feed is reported
for that feed; the others are pulled all the same.

aiohttp is imported by a pull, not with this module, which every `hub` command imports.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict
from urllib.parse import urlsplit
from urllib.request import url2pathname

from hub.config import Config, FeedSource
from hub.db import Database
from newsletters import store
from newsletters.model import FeedStatus
from newsletters.parse import ParsedFeed, Problem, parse_feed

if TYPE_CHECKING:
    import aiohttp

log = logging.getLogger("hub.feeds")

DEFAULT_CONCURRENCY = 8
MAX_REDIRECTS = 5
_CHUNK = 64 * 1024
# The scheme as urlsplit reads it, without urlsplit's ValueError on a malformed rest ("http://[x").
_WEB_SCHEME = re.compile(r"\s*https?:", re.IGNORECASE)
_HEADERS = {
    "User-Agent": "fcpts-hub/0.1 (+https://www.fcpts.org/)",
    "Accept": (
        "application/rss+xml, application/atom+xml, application/rdf+xml, "
        "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
    ),
}


class FetchError(Exception):
    """A feed that could not be read; the message is the reason shown to the staff."""


class ProblemJson(TypedDict):
    item: str | None
    reason: str


class FeedResultJson(TypedDict):
    name: str
    url: str
    status: FeedStatus
    new: int
    updated: int
    unchanged: int
    problems: list[ProblemJson]
    error: str | None


class PullReportJson(TypedDict):
    any_read: bool
    feeds: list[FeedResultJson]


@dataclass
class FeedResult:
    """What one feed's pull did."""

    name: str
    url: str
    status: FeedStatus
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    error: str | None = None

    def to_json(self) -> FeedResultJson:
        return {
            "name": self.name,
            "url": self.url,
            "status": self.status,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "problems": [{"item": p.item, "reason": p.reason} for p in self.problems],
            "error": self.error,
        }


@dataclass
class PullReport:
    feeds: list[FeedResult]

    @property
    def any_read(self) -> bool:
        """At least one feed answered (with items or a 304): the pull was not a total failure."""
        return any(f.status != "error" for f in self.feeds)

    def to_json(self) -> PullReportJson:
        return {"any_read": self.any_read, "feeds": [f.to_json() for f in self.feeds]}


@dataclass(frozen=True)
class _Fetched:
    """A feed document as received; `body` is None when the server said 304 Not Modified."""

    body: bytes | None
    content_type: str | None
    base_url: str | None
    etag: str | None
    last_modified: str | None


def is_web_url(url: str) -> bool:
    """Whether `url` is to be fetched over HTTP (even if malformed: the fetch then says why)."""
    return _WEB_SCHEME.match(url) is not None


async def pull_feeds(
    db: Database,
    sources: list[FeedSource],
    *,
    timeout: float,
    max_bytes: int,
    concurrency: int = DEFAULT_CONCURRENCY,
    local_tz: tzinfo,
) -> PullReport:
    """Pull every source and store its items; never raises for a feed's own problems.

    `timeout` bounds each HTTP request (redirects and body included), `max_bytes` each
    body; `local_tz` is how dates written without a time zone are read.
    """
    import aiohttp

    states = await store.feed_states(db)
    async with aiohttp.ClientSession(headers=_HEADERS) as session:
        puller = _Puller(db, session, timeout, max_bytes, concurrency, local_tz)
        results = await asyncio.gather(*(puller.pull(s, states.get(s.name)) for s in sources))
    return PullReport(list(results))


async def pull_configured(
    db: Database, config: Config, sources: list[FeedSource] | None = None
) -> PullReport:
    """`pull_feeds` with the configuration's limits and time zone (its own feeds by default)."""
    return await pull_feeds(
        db,
        config.feeds.sources if sources is None else sources,
        timeout=config.feeds.timeout_seconds,
        max_bytes=config.feeds.max_bytes,
        local_tz=config.tz,
    )


class _Puller:
    """One pull's shared resources: the HTTP session, the concurrency bound, the turn lock."""

    def __init__(
        self,
        db: Database,
        session: aiohttp.ClientSession,
        timeout: float,
        max_bytes: int,
        concurrency: int,
        local_tz: tzinfo,
    ) -> None:
        self.db = db
        self.session = session
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.slots = asyncio.Semaphore(concurrency)
        # Parsing (CPU-bound, in a thread) and writing take turns, one feed at a time. The
        # database has one connection, so writes are serial anyway; and sqlite3 releases the
        # GIL at every row, so next to a parsing thread each row waits for the GIL again
        # (measured: a 50-item write takes 8 ms alone, 500 ms beside a parser).
        self.turn = asyncio.Lock()
        self.local_tz = local_tz

    async def pull(self, source: FeedSource, state: store.FeedState | None) -> FeedResult:
        started = time.perf_counter()
        try:
            async with self.slots:
                fetched = await self._fetch(source.url, state)
                async with self.turn:
                    parsed = None if fetched.body is None else await self._parse(source, fetched)
                    result = await self._save(source, fetched, parsed)
        except FetchError as exc:
            result = await self._failed(source, str(exc))
        except Exception as exc:  # a bug or an unforeseen library error: the other feeds go on
            log.exception("feed pull crashed", extra={"feed": source.name, "url": source.url})
            result = await self._failed(source, f"erreur inattendue : {exc!r}")
        _log(result, time.perf_counter() - started)
        return result

    async def _failed(self, source: FeedSource, error: str) -> FeedResult:
        async with self.turn:
            await store.record_error(self.db, source.name, source.url, error)
        return FeedResult(source.name, source.url, "error", error=error)

    async def _fetch(self, url: str, state: store.FeedState | None) -> _Fetched:
        if is_web_url(url):
            return await self._fetch_http(url, state if state and state.url == url else None)
        return await asyncio.to_thread(_read_file, url, self.max_bytes)

    async def _fetch_http(self, url: str, state: store.FeedState | None) -> _Fetched:
        import aiohttp  # already loaded by pull_feeds: binds the name for the except clauses

        headers = {}
        if state and state.etag:
            headers["If-None-Match"] = state.etag
        if state and state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        try:
            async with self.session.get(
                url,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                max_redirects=MAX_REDIRECTS,
            ) as response:
                etag = response.headers.get("ETag")
                last_modified = response.headers.get("Last-Modified")
                if response.status == 304:
                    return _Fetched(
                        None,
                        None,
                        None,
                        etag or (state.etag if state else None),
                        last_modified or (state.last_modified if state else None),
                    )
                if not 200 <= response.status < 300:
                    raise FetchError(
                        f"réponse HTTP {response.status} {response.reason or ''}".strip()
                    )
                body = await self._read_body(response)
                return _Fetched(
                    body,
                    response.headers.get("Content-Type"),
                    str(response.url),
                    etag,
                    last_modified,
                )
        except TimeoutError:
            raise FetchError(
                f"pas de réponse complète en {self.timeout:g} s (délai dépassé)"
            ) from None
        except aiohttp.TooManyRedirects:
            raise FetchError(f"trop de redirections ({MAX_REDIRECTS} de suite)") from None
        except aiohttp.ClientConnectorDNSError as exc:
            raise FetchError(f"nom de domaine introuvable : {exc.host}") from None
        except aiohttp.ClientConnectorError as exc:
            why = "refusée" if isinstance(exc.os_error, ConnectionRefusedError) else exc.os_error
            raise FetchError(f"connexion impossible à {exc.host}:{exc.port} ({why})") from None
        except aiohttp.NonHttpUrlRedirectClientError as exc:
            raise FetchError(f"redirection refusée vers une URL non http(s) : {exc}") from None
        except aiohttp.InvalidUrlRedirectClientError as exc:
            raise FetchError(f"redirection vers une URL invalide : {exc.url}") from None
        except aiohttp.InvalidURL as exc:
            raise FetchError(f"URL invalide : {exc.url}") from None
        except UnicodeError:  # the resolver cannot encode the host name (IDNA): "a..b", too long
            raise FetchError(_bad_host(url)) from None
        except aiohttp.ClientError as exc:
            raise FetchError(f"erreur réseau : {str(exc) or type(exc).__name__}") from None

    async def _read_body(self, response: aiohttp.ClientResponse) -> bytes:
        """The (decompressed) body, refused as soon as it grows past `max_bytes`."""
        if response.content_length is not None and response.content_length > self.max_bytes:
            raise FetchError(_too_big(self.max_bytes))
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(_CHUNK):
            size += len(chunk)
            if size > self.max_bytes:
                raise FetchError(_too_big(self.max_bytes))
            chunks.append(chunk)
        return b"".join(chunks)

    async def _parse(self, source: FeedSource, fetched: _Fetched) -> ParsedFeed:
        assert fetched.body is not None
        try:
            parsed = await asyncio.to_thread(
                parse_feed,
                fetched.body,
                content_type=fetched.content_type,
                base_url=fetched.base_url,
                local_tz=self.local_tz,
            )
        except Exception as exc:  # a feed must not be able to stop the pull of the others
            log.exception("feed parsing crashed", extra={"feed": source.name, "url": source.url})
            raise FetchError(f"lecture du flux impossible (erreur interne : {exc!r})") from None
        if parsed.error:
            raise FetchError(parsed.error)
        return parsed

    async def _save(
        self, source: FeedSource, fetched: _Fetched, parsed: ParsedFeed | None
    ) -> FeedResult:
        counts = await store.save_feed(
            self.db,
            source.name,
            source.url,
            items=parsed.items if parsed else [],
            title=parsed.title if parsed else None,
            status="ok" if parsed else "not-modified",
            etag=fetched.etag,
            last_modified=fetched.last_modified,
        )
        return FeedResult(
            source.name,
            source.url,
            "ok" if parsed else "not-modified",
            new=counts.new,
            updated=counts.updated,
            unchanged=counts.unchanged,
            problems=parsed.problems if parsed else [],
        )


def _read_file(location: str, max_bytes: int) -> _Fetched:
    """A feed kept as a local file (a path, or a file:// URL)."""
    path = (
        Path(url2pathname(urlsplit(location).path))
        if location.startswith("file:")
        else Path(location)
    )
    try:
        with path.open("rb") as file:
            body = file.read(max_bytes + 1)
    except FileNotFoundError:
        raise FetchError(f"fichier introuvable : {path}") from None
    except IsADirectoryError:
        raise FetchError(f"c'est un dossier, pas un fichier : {path}") from None
    except PermissionError:
        raise FetchError(f"accès refusé au fichier : {path}") from None
    except ValueError:  # a NUL character, e.g. from file:///flux%00.xml
        raise FetchError(f"chemin de fichier invalide : {location}") from None
    except OSError as exc:
        raise FetchError(f"lecture du fichier {path} impossible : {exc.strerror or exc}") from None
    if len(body) > max_bytes:
        raise FetchError(_too_big(max_bytes))
    return _Fetched(body, None, None, None, None)


def _bad_host(url: str) -> str:
    """Why a host name could not be encoded: the feed's own, or one it redirected to."""
    host = urlsplit(url).hostname or ""
    try:
        host.encode("idna")
    except UnicodeError:
        return f"URL invalide : nom d'hôte incorrect « {host} »"
    return "redirection vers une URL invalide : nom d'hôte incorrect"


def _too_big(max_bytes: int) -> str:
    return f"flux trop volumineux (plus de {max_bytes:,} octets)".replace(",", " ")


def _log(result: FeedResult, seconds: float) -> None:
    fields = {
        "feed": result.name,
        "url": result.url,
        "status": result.status,
        "new": result.new,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "problems": len(result.problems),
        "duration_ms": round(seconds * 1000),
    }
    if result.error:
        log.warning("feed pull failed", extra={**fields, "error": result.error})
    else:
        log.info("feed pulled", extra=fields)
