"""GraphiQL without a CDN: its assets installed from the npm registry and served by Usina.

Strawberry's GraphiQL page loads React, GraphiQL and its explorer from unpkg, each pinned with
a subresource-integrity hash. ``usina ide install`` downloads those exact packages from the npm
registry (``make run`` and the image's build do it), checks every file against the page's own
integrity hash, and keeps them in ``USINA_IDE_ASSETS_DIR``. When every asset is there, the page
points at ``/graphiql/assets/...`` instead (integrity attributes kept), so GraphiQL works on a
machine or intranet with no internet; otherwise the page falls back to the CDN.
Nothing third-party is committed to the repository.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path

import httpx
from starlette.requests import Request
from starlette.responses import FileResponse, Response

ASSET = re.compile(
    r'(?:src|href)="https://unpkg\.com/(?P<package>@?[^@"]+)@(?P<version>[^/"]+)/(?P<path>[^"]+)"'
    r'\s+integrity="(?P<integrity>sha384-[^"]+)"'
)
PREFIX = "/graphiql/assets/"
MEDIA_TYPES = {".js": "application/javascript", ".css": "text/css"}


@dataclass(frozen=True)
class Asset:
    package: str
    version: str
    path: str
    integrity: str

    @property
    def cdn_url(self) -> str:
        return f"https://unpkg.com/{self.package}@{self.version}/{self.path}"

    @property
    def local(self) -> str:
        return f"{self.package}@{self.version}/{self.path}"


def assets(html: str) -> list[Asset]:
    found = []
    for match in ASSET.finditer(html):
        found.append(Asset(match["package"], match["version"], match["path"], match["integrity"]))
    return found


def _sri(content: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(content).digest()).decode()


def install(html: str, directory: Path, registry: str = "https://registry.npmjs.org") -> int:
    """Download the page's assets from the npm registry into ``directory``; each file is
    checked against the page's integrity hash. Returns how many files were written."""
    wanted = assets(html)
    written = 0
    with httpx.Client(timeout=60, follow_redirects=True) as http:
        for package in sorted({(a.package, a.version) for a in wanted}):
            name, version = package
            meta = http.get(f"{registry.rstrip('/')}/{name}/{version}")
            meta.raise_for_status()
            tarball = http.get(meta.json()["dist"]["tarball"])
            tarball.raise_for_status()
            with tarfile.open(fileobj=io.BytesIO(tarball.content), mode="r:gz") as archive:
                for asset in (a for a in wanted if (a.package, a.version) == package):
                    member = archive.extractfile(f"package/{asset.path}")
                    if member is None:
                        raise RuntimeError(f"{asset.cdn_url} is not in the package")
                    content = member.read()
                    if _sri(content) != asset.integrity:
                        raise RuntimeError(f"{asset.cdn_url} does not match its integrity hash")
                    target = directory / asset.local
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(content)
                    written += 1
    return written


def localized(html: str, directory: Path) -> str:
    """The page pointing at the installed assets, when all are installed and intact."""
    wanted = assets(html)
    for asset in wanted:
        path = directory / asset.local
        if not path.is_file() or _sri(path.read_bytes()) != asset.integrity:
            return html
    for asset in wanted:
        html = html.replace(asset.cdn_url, PREFIX + asset.local)
    return html


def asset_endpoint(directory: Path):  # type: ignore[no-untyped-def]
    root = directory.resolve()

    async def serve(request: Request) -> Response:
        target = (root / request.path_params["path"]).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            return Response(status_code=404)
        return FileResponse(
            target,
            media_type=MEDIA_TYPES.get(target.suffix, "application/octet-stream"),
            headers={"Cache-Control": "public, max-age=31536000, immutable"},
        )

    return serve
