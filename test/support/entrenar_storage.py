"""Fresh storage for a real `entrenar server` started by the Python suites (test/mlflow,
test/schemathesis): a temporary data directory, plus a throwaway PostgreSQL database created and
dropped through the admin URL in ENTRENAR_TEST_DATABASE_URL. Standard library only, but for
psycopg on PostgreSQL, so every suite's virtual environment can use it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ServerStorage:
    kind: str
    data_dir: Path
    database_url: str | None
    _admin_url: str | None = None
    _database_name: str | None = None

    def server_args(self) -> list[str]:
        args = ["--data-dir", str(self.data_dir)]
        if self.database_url:
            args += ["--database-url", self.database_url]
        return args

    def dispose(self) -> None:
        try:
            if self._admin_url and self._database_name:
                import psycopg

                with psycopg.connect(self._admin_url, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{self._database_name}" WITH (FORCE)')
        finally:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def create_storage(kind: str, prefix: str) -> ServerStorage:
    """Storage of `kind` (sqlite or postgres); `prefix` names the data directory and database."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"{prefix.replace('_', '-')}-"))
    if kind == "sqlite":
        return ServerStorage(kind, data_dir, None)
    admin_url = os.environ.get("ENTRENAR_TEST_DATABASE_URL")
    if not admin_url:
        shutil.rmtree(data_dir, ignore_errors=True)
        raise RuntimeError(
            "postgres needs ENTRENAR_TEST_DATABASE_URL, the URL of a role that may CREATE DATABASE "
            "(bash scripts/ensure-postgres.sh prints one)"
        )
    import psycopg

    name = f"{prefix.replace('-', '_')}_{secrets.token_hex(6)}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(admin_url)
    database_url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))
    return ServerStorage(kind, data_dir, database_url, admin_url, name)
