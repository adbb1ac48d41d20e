"""A real OpenID Connect provider (npm ``oidc-provider``) on loopback, run by the tests."""

from __future__ import annotations

import json
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from joserfc.jwk import RSAKey

from tests.conftest import REPO

SCRIPT = REPO / "tests" / "node" / "oidc_provider.mjs"
RESOURCE = "urn:usina:api"
SECRET = "a-long-client-secret-for-the-test-provider"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def new_rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048, private=True, auto_kid=True)


@dataclass
class OidcProvider:
    """Clients stand in for people: each client's ``claims`` go into its access tokens."""

    clients: dict[str, dict[str, Any]]
    port: int = field(default_factory=free_port)
    keys: list[RSAKey] = field(default_factory=lambda: [new_rsa_key()])
    process: subprocess.Popen[str] | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> OidcProvider:
        config = {
            "port": self.port,
            "resource": RESOURCE,
            "jwks": {"keys": [k.as_dict(private=True) | {"use": "sig"} for k in self.keys]},
            "clients": [
                {"client_id": cid, "client_secret": SECRET, "claims": claims}
                for cid, claims in self.clients.items()
            ],
        }
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(config, handle)
        self.process = subprocess.Popen(
            ["node", str(SCRIPT), handle.name],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=SCRIPT.parent,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        Path(handle.name).unlink()
        if not line.startswith("listening"):
            self.stop()
            raise RuntimeError("the OpenID provider did not start (is `make test` installing it?)")
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None

    def restart_with(self, keys: list[RSAKey]) -> None:
        """Rotate the provider's keys: the first one signs new tokens."""
        self.stop()
        self.keys = keys
        self.start()

    def token(self, client_id: str) -> str:
        discovery = httpx.get(f"{self.issuer}/.well-known/openid-configuration").json()
        response = httpx.post(
            discovery["token_endpoint"],
            data={"grant_type": "client_credentials", "resource": RESOURCE, "scope": "api"},
            auth=(client_id, SECRET),
        )
        response.raise_for_status()
        return str(response.json()["access_token"])
