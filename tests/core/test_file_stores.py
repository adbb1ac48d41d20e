"""The file stores: the local disk's, and S3's against a real S3-compatible server (s3rver,
from the npm registry, serving the S3 REST API over HTTP on loopback); and an evidence file
uploaded through GraphQL into S3 and downloaded back from it (PostgreSQL and SQLite)."""

from __future__ import annotations

import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.files.store import FileStore, LocalFileStore, S3FileStore, key_for
from core.identity.tokens import TokenService
from core.settings import Settings
from graphql_schema.app import create_app
from tenants.database import Database
from tests.conftest import REPO
from tests.factories import UploadFile, World, error_codes, gql
from tests.identity.oidc import free_port

S3RVER = REPO / "tests" / "node" / "node_modules" / ".bin" / "s3rver"
BUCKET = "usina-files"
KEYS = {"access_key_id": "S3RVER", "secret_access_key": "S3RVER"}  # s3rver's own


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [
            str(S3RVER),
            "-d",
            str(tmp_path_factory.mktemp("s3")),
            "-a",
            "127.0.0.1",
            "-p",
            str(port),
            "--configure-bucket",
            BUCKET,
            "--silent",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, "s3rver did not start"
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


def s3_store(endpoint: str) -> S3FileStore:
    return S3FileStore(BUCKET, endpoint_url=endpoint, region="us-east-1", **KEYS)


@pytest.mark.parametrize("kind", ["local", "s3"])
def test_a_store_keeps_bytes_by_key(kind: str, tmp_path: Path, request: Any) -> None:
    store: FileStore = (
        LocalFileStore(tmp_path)
        if kind == "local"
        else s3_store(request.getfixturevalue("s3_endpoint"))
    )
    tenant, file_id = uuid.uuid4(), uuid.uuid4()
    content = b"%PDF-1.7 " + bytes(range(256)) * 100
    store.put(key_for(tenant, file_id), content)
    assert store.get(key_for(tenant, file_id)) == content
    store.put(key_for(tenant, file_id), b"%PDF-2")  # replaced whole
    assert store.get(key_for(tenant, file_id)) == b"%PDF-2"
    with pytest.raises(Exception):  # noqa: B017  (each store raises its own "not found")
        store.get(key_for(tenant, uuid.uuid4()))


def test_the_local_store_keeps_keys_inside_its_directory(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        LocalFileStore(tmp_path / "files").put("../outside", b"x")


@pytest.fixture
async def s3_api(db: Database, s3_endpoint: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        embedded_worker=False,
        files_store="s3",
        s3_bucket=BUCKET,
        s3_endpoint_url=s3_endpoint,
        s3_region="us-east-1",
        s3_access_key_id=KEYS["access_key_id"],
        s3_secret_access_key=KEYS["secret_access_key"],
    )
    app = create_app(settings, db=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
    await app.state.oidc.close()


async def test_evidence_goes_to_s3_and_comes_back(
    s3_api: httpx.AsyncClient, s3_endpoint: str, world: World, tokens: TokenService
) -> None:
    a = world.a
    editor = tokens.issue(subject="ed", role="editor", tenant=a.slug)
    pdf = b"%PDF-1.4 acta firmada " + b"x" * 5000
    uploaded = await gql(
        s3_api,
        "mutation($m: ID!, $f: Upload!) { uploadEvidence(input: {milestoneId: $m, file: $f}) "
        "{ evidenceFile { id downloadUrl } } }",
        {"m": a.gid("Milestone"), "f": UploadFile("acta.pdf", pdf, "application/pdf")},
        token=editor,
    )
    assert error_codes(uploaded) == [], uploaded
    file = uploaded["data"]["uploadEvidence"]["evidenceFile"]
    from core.ids import from_global_id

    _, file_id = from_global_id(file["id"], field="id")
    assert s3_store(s3_endpoint).get(key_for(a.municipality.id, file_id)) == pdf  # in S3
    downloaded = await s3_api.get(file["downloadUrl"].removeprefix("http://testserver"))
    assert (downloaded.status_code, downloaded.content) == (200, pdf)
