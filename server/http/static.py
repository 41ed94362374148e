"""The web clients' files as a phone wants them: compressed once, cached for a year where
the URL names the content, revalidated where it does not.

    assets = StaticAssets(root)        # one per route table (server/http/pages.py)
    assets.version()                   # the hash of every file under root: the URL's version
    assets.respond(request, path, cache)   # 200 (br/gzip/identity) or 304

Versioned URLs: a page's HTML is sent with every `/static/...` reference rewritten to
`/static/v/<version>/...`, where <version> is a hash over the content of every static file
under clients/web/ (any file, any folder: a new language file needs no registration).
Modules import each other with relative URLs (`./dom.js`), so a whole page's modules stay
under the same version. Under the current version a file is `immutable` for a year; a URL
with an older version (a page loaded before a file changed) still gets the current file,
but `no-cache`, so it is never cached under the wrong name. Plain `/static/...` URLs work
as before and are revalidated (ETag). HTML is `no-cache` with an ETag: a reload costs a 304.

Compression: brotli (the `brotli` package, when installed) or gzip, chosen by the
request's Accept-Encoding, made once per file content and kept in memory (the web folder
is about 0.5 MB); `Vary: Accept-Encoding` on every compressible response. The file list
is re-read when a file's size or modification time changes, so an edited file is served
at once (no restart while developing).
"""
from __future__ import annotations

import asyncio
import gzip
import hashlib
import os
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from . import bundle

try:  # optional: brotli is about 15% smaller than gzip on these files
    import brotli
except ImportError:  # pragma: no cover - the package is a declared dependency
    brotli = None

CODINGS = ("br", "gzip") if brotli is not None else ("gzip",)
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_COMPRESSIBLE = (".js", ".css", ".svg", ".json", ".md", ".txt", ".html")
_STATIC_REF = re.compile(rb'(["\'(])/static/(?!v/)')
# a module's static imports (`import x from "./a.js"`, `export {y} from "../b.js"`, `import "./c.js"`);
# dynamic import() is left out on purpose: what a page loads later stays later
_IMPORT = re.compile(rb"""(?:^|[;\s])(?:import|export)\s*(?:[^"';]*?\sfrom\s*)?["'](\.{1,2}/[^"']+)["']""", re.M)
_MODULE_SCRIPT = re.compile(rb'<script type="module" src="/static/([^"]+)"></script>')
VERSION_LEN = 16
VERSION_OK = re.compile(rf"[0-9a-f]{{{VERSION_LEN}}}")


@dataclass
class Encoded:
    """One file content, its ETag, and its compressed forms as they are first asked for."""
    identity: bytes
    etag: str
    compressible: bool
    forms: dict[str, bytes | None] = field(default_factory=dict)  # "br"/"gzip" -> body (None: not smaller)

    def form(self, coding: str) -> bytes | None:
        """The body in `coding`, or None when it would not be smaller (made once, kept)."""
        if coding not in self.forms:
            z = (brotli.compress(self.identity, quality=9) if coding == "br"
                 else gzip.compress(self.identity, compresslevel=6, mtime=0))
            self.forms[coding] = z if len(z) < len(self.identity) else None
        return self.forms[coding]


# one cache for every app in the process (tests start many servers): content hash -> Encoded
_ENCODED: dict[str, Encoded] = {}


def encode(body: bytes, name: str) -> Encoded:
    etag = hashlib.blake2b(body, digest_size=12).hexdigest()
    hit = _ENCODED.get(etag)
    if hit is None:
        hit = _ENCODED[etag] = Encoded(body, etag, name.endswith(_COMPRESSIBLE) and len(body) > 256)
    return hit


def accepted(request: web.Request) -> set[str]:
    """The content codings the request accepts ("gzip;q=0" refuses one, "*" accepts any)."""
    ok = set()
    for part in request.headers.get("Accept-Encoding", "").split(","):
        name, _, params = part.partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if name.strip() and q > 0:
            ok.add(name.strip().lower())
    if "*" in ok:
        ok |= {"br", "gzip"}
    return ok


def _etag_matches(request: web.Request, etag: str) -> bool:
    header = request.headers.get("If-None-Match", "")
    return header.strip() == "*" or any(t.strip().removeprefix("W/") == etag for t in header.split(","))


async def send(request: web.Request, enc: Encoded, headers: dict[str, str]) -> web.Response:
    """The best encoding the request accepts, or 304 when its ETag is the one it has."""
    coding = None
    if enc.compressible:
        headers = {**headers, "Vary": "Accept-Encoding"}
        for c in CODINGS:
            if c in accepted(request):
                if c not in enc.forms:  # the first time: off the event loop (Chart.js takes ~0.2 s)
                    await asyncio.get_running_loop().run_in_executor(None, enc.form, c)
                if enc.forms[c] is not None:
                    coding = c
                    break
    etag = f'"{enc.etag}-{coding}"' if coding else f'"{enc.etag}"'
    headers = {**headers, "ETag": etag}
    if _etag_matches(request, etag):
        return web.Response(status=304, headers=headers)
    if coding:
        headers["Content-Encoding"] = coding
    return web.Response(body=enc.forms[coding] if coding else enc.identity, headers=headers)


class StaticAssets:
    """Every file under `root` whose extension is served, hashed and encoded on first use."""

    def __init__(self, root: Path, extensions: tuple[str, ...]):
        self.root, self.extensions = root, extensions
        self._signature: tuple | None = None
        self._stats: dict[str, tuple[int, int]] = {}  # rel path -> (mtime, size) the version was made from
        self._version = ""
        self._files: dict[str, tuple[tuple[int, int], Encoded]] = {}   # rel path -> (stat, encoded)
        self._pages: dict[tuple[str, str, tuple[int, int]], Encoded] = {}

    def _walk(self) -> list[tuple[str, int, int]]:
        out = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for f in filenames:
                if f.startswith(".") or not f.lower().endswith(self.extensions):
                    continue
                st = os.stat(os.path.join(dirpath, f))
                out.append((os.path.relpath(os.path.join(dirpath, f), self.root), st.st_mtime_ns, st.st_size))
        return sorted(out)

    def version(self) -> str:
        """A hash over the content of every static file; recomputed when any file changes."""
        signature = tuple(self._walk())
        if signature != self._signature:
            h = hashlib.blake2b(digest_size=VERSION_LEN // 2)
            for rel, _, _ in signature:
                h.update(rel.encode() + b"\0" + self.file(rel).etag.encode())
            self._signature, self._version = signature, h.hexdigest()
            self._stats = {rel: (m, size) for rel, m, size in signature}
        return self._version

    def version_of(self, rel: str) -> str:
        """The current version, as far as file `rel` is concerned: the folder is walked again
        only when this file changed since the version was made (a static request stays cheap)."""
        st = (self.root / rel).stat()
        if self._signature is None or self._stats.get(rel) != (st.st_mtime_ns, st.st_size):
            return self.version()
        return self._version

    def file(self, rel: str) -> Encoded:
        """The encoded content of root/rel (a path already checked to be inside root)."""
        path = self.root / rel
        st = path.stat()
        key = (st.st_mtime_ns, st.st_size)
        hit = self._files.get(rel)
        if hit is None or hit[0] != key:
            hit = (key, encode(path.read_bytes(), rel))
            self._files[rel] = hit
        return hit[1]

    def imports(self, entry: str) -> list[str]:
        """Every module `entry` imports, directly or not (paths under root)."""
        seen, queue = {entry}, [entry]
        while queue:
            rel = queue.pop(0)
            try:
                body = self.file(rel).identity
            except OSError:  # a broken import: the browser will say so, the page is still served
                continue
            for m in _IMPORT.finditer(body):
                dep = posixpath.normpath(posixpath.join(posixpath.dirname(rel), m.group(1).decode()))
                if dep not in seen and not dep.startswith(".."):
                    seen.add(dep)
                    queue.append(dep)
        return sorted(seen - {entry})

    def _preloads(self, html: bytes) -> bytes:
        """`<link rel="modulepreload">` for the page's whole module graph, right after its module
        script (the entry is asked for first): the browser asks for every module at once
        instead of one import level per round trip (a slow phone network pays ~0.5 s a level).
        An entry with a current bundle (server/http/bundle.py) is replaced by that one file."""
        asked: set[str] = set()  # a module two scripts import is preloaded once, after the first

        def links(m: re.Match) -> bytes:
            entry = m.group(1).decode()
            graph = self.imports(entry)
            bundled = bundle.current(self.root, entry, graph)
            if bundled:  # one file instead of the graph (server/http/bundle.py)
                asked.update(graph, [entry])
                return b'<script type="module" src="/static/' + bundled.encode() + b'"></script>'
            deps = [d for d in graph if d not in asked]
            asked.update(deps, [entry])
            return m.group(0) + b"".join(b'\n  <link rel="modulepreload" href="/static/' + dep.encode() + b'">'
                                         for dep in deps)
        return _MODULE_SCRIPT.sub(links, html)

    def page(self, path: Path) -> Encoded:
        """A page's HTML with its module graph preloaded and its static references under the
        current version."""
        version = self.version()
        st = path.stat()
        key = (str(path), version, (st.st_mtime_ns, st.st_size))
        enc = self._pages.get(key)
        if enc is None:
            html = _STATIC_REF.sub(rb"\1/static/v/" + version.encode() + b"/", self._preloads(path.read_bytes()))
            enc = self._pages[key] = encode(html, path.name)
            self._pages = {k: v for k, v in self._pages.items() if k[1] == version}  # drop old versions
        return enc
