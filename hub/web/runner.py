"""The runner's phone app, served at ``/runner/`` from the committed bundle in ``runner_dist/``.

The files are static and public: the app authenticates to the API by its own device key, so
nothing here needs a sign-in. Only the files the bundle holds are served (looked up by name in
a listing of the folder, never joined onto a path from the request), so no request reaches
outside it.

Two things are added at serving time, because they depend on the whole bundle rather than on
one file:

* ``sw.js`` gets the bundle's build id in place of ``__DAIBAN_BUILD__``. The service worker
  names its cache after it, and the browser installs a new worker (and so a new app shell)
  exactly when any file of the bundle changed, because then sw.js's bytes changed too.
* ``sw.js`` also gets the list of the bundle's files in place of ``__DAIBAN_FILES__`` (a JSON
  array, which is a JavaScript array literal): the worker precaches each of them, the app's
  code chunks (loaded by ``import()`` when a screen first needs them) included, so none is
  missing on a phone that went offline before it used that screen.
* ``initials.json``: the pinyin initials of the hub's catalogue items (社会保障卡申领 ->
  shbzksl), so the phone finds items by initials as the laptop does, with the same pypinyin.

Every answer carries ``Daiban-Runner: <build id>``, which lets the app tell the hub's answer
from a captive portal's page when it checks for a new version.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Response, abort, request

from hub import context
from sync.catalogue import search_initials
from webbase.security import content_security_policy, page_headers

DIST = Path(__file__).parent / "runner_dist"
BUILD_MARK = b"__DAIBAN_BUILD__"
FILES_MARK = b"__DAIBAN_FILES__"
# Served by other names than their own, or not cached by the worker: the page is "./", and
# the worker does not cache itself.
NOT_PRECACHED = frozenset({"index.html", "sw.js"})
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".webmanifest": "application/manifest+json",
    ".json": "application/json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
}
# The app's shell is a page like the others (webbase's headers), with its own policy: photo
# previews (blob:), camera frames, its service worker, manifest and API calls; no <base>.
POLICY = content_security_policy(
    img_src="'self' data: blob:",
    media_src="'self' blob: mediastream:",
    script_src="'self'",
    worker_src="'self'",
    connect_src="'self'",
    manifest_src="'self'",
    base_uri="'none'",
)

bp = Blueprint("runner", __name__, url_prefix="/runner")


@dataclass(frozen=True)
class Bundle:
    build: str  # 16 hex characters of the SHA-256 over every file's name and bytes
    files: dict[str, bytes]  # name (relative, "/"-separated) -> bytes as served


_lock = threading.Lock()
_cached: tuple[tuple[tuple[str, int, int], ...], Bundle] | None = None


def _listing(root: Path) -> tuple[tuple[str, int, int], ...]:
    """(name, size, mtime) of every regular file under ``root``: changes when a rebuild does."""
    if not root.is_dir():
        return ()
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            stat = path.stat()
            found.append((path.relative_to(root).as_posix(), stat.st_size, stat.st_mtime_ns))
    return tuple(found)


def bundle(root: Path = DIST) -> Bundle:
    """The bundle as served, read again only when a file of it changed (``make`` rebuilds
    while a hub runs)."""
    global _cached
    listing = _listing(root)
    with _lock:
        if _cached is not None and _cached[0] == listing:
            return _cached[1]
        raw = {name: (root / name).read_bytes() for name, _size, _mtime in listing}
        digest = hashlib.sha256()
        for name in sorted(raw):
            digest.update(name.encode() + b"\0" + hashlib.sha256(raw[name]).digest())
        build = digest.hexdigest()[:16]
        files = dict(raw)
        if "sw.js" in files:
            precached = json.dumps(sorted(n for n in files if n not in NOT_PRECACHED))
            files["sw.js"] = (
                files["sw.js"]
                .replace(BUILD_MARK, build.encode())
                .replace(FILES_MARK, precached.encode())
            )
        made = Bundle(build=build, files=files)
        _cached = (listing, made)
        return made


def _answer(name: str, body: bytes, build: str) -> Response:
    suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    response = Response(body, content_type=TYPES.get(suffix, "application/octet-stream"))
    # Always revalidated (cheaply, by ETag): the service worker keeps the offline copy, and
    # an HTTP cache must never hand it an older file than the sw.js it installs with.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Daiban-Runner"] = build
    page_headers(response, no_store=False, policy=POLICY)
    response.headers["Permissions-Policy"] = "camera=(self), microphone=(), geolocation=()"
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    response.make_conditional(request)  # 304 when the browser's copy is this one
    return response


def _not_built() -> Response:
    response = Response(
        "The runner app is not built: run `npm ci && npm run build` in runner/.\n"
        "运行 runner/ 下的 npm ci && npm run build 后再打开。\n",
        status=503,
        content_type="text/plain; charset=utf-8",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
def index() -> Response:
    """The app's one page: the screens are drawn by app.js (``#/...`` routes)."""
    made = bundle()
    if "index.html" not in made.files:
        return _not_built()
    return _answer("index.html", made.files["index.html"], made.build)


@bp.get("/initials.json")
def catalogue_initials() -> Response:
    """{"version": catalogue version, "initials": {item code: initials}} for item search."""
    catalogue = context.catalogue(context.get_db())
    body = json.dumps(
        {
            "version": catalogue.version,
            "initials": {item.code: search_initials(item.name) for item in catalogue.items},
        },
        ensure_ascii=False,
        sort_keys=True,
    ).encode()
    return _answer("initials.json", body, bundle().build)


@bp.get("/<path:name>")
def asset(name: str) -> Response:
    """A file of the bundle, by its exact name; anything else is the hub's 404 page."""
    made = bundle()
    body = made.files.get(name)
    if body is None or name == "index.html":  # the page lives at /runner/ only
        abort(404)
    return _answer(name, body, made.build)
