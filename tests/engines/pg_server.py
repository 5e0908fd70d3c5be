"""A throwaway PostgreSQL server for the tests: initdb and pg_ctl in a temporary folder, stopped
and deleted after. Run as root (CI), the server runs as an unprivileged user (`postgres`, else
`nobody`), as PostgreSQL refuses to run as root. Nothing is mocked: it is the real server."""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SEARCHED = ("/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin", "/usr/pgsql-*/bin")
_DATABASES = itertools.count(1)
SERVER_USER = "reader"  # the database superuser the tests connect as (trust auth, local only)


def find_binaries() -> Path | None:
    """The folder of initdb and pg_ctl: on PATH, else the distribution's versioned folders
    (Debian's postgresql package keeps them off PATH), newest first."""
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(os.path.realpath(initdb)).parent
    for pattern in SEARCHED:
        for folder in sorted(glob.glob(pattern), reverse=True):
            if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
                return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run_as() -> str | None:
    """Who runs the server: None for the current user, else an unprivileged user's name."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError("running as root and there is no postgres or nobody user to run the server as")


class Server:
    """One server in a temporary folder; `url(db)` names a database in it."""

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.user = _run_as()
        self.root = Path(tempfile.mkdtemp(prefix="reader-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", SERVER_USER, "--auth=trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.binaries / tool), *args]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=self.root, check=False)
        if done.returncode:
            raise RuntimeError(f"{tool} failed: {(done.stderr or done.stdout).strip()[-800:]}")

    def start(self, settings: str = "") -> None:
        """Start the server; `settings` adds `-c name=value` options (the benchmark's memory)."""
        self.settings = settings or getattr(self, "settings", "")
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   f"-c synchronous_commit=off -c full_page_writes=off -c max_connections=60 {self.settings}")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, database: str = "postgres", user: str = SERVER_USER) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, database: str = "postgres") -> None:
        """Run an administrative statement (CREATE DATABASE, roles) as the superuser."""
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            conn.execute(statement)

    def new_database(self) -> str:
        """The URL of a new, empty database."""
        name = f"reader_test_{os.getpid()}_{next(_DATABASES)}"
        self.sql(f"CREATE DATABASE {name}")  # a name of digits and letters made here
        return self.url(name)

    def close(self) -> None:
        try:
            self.stop("immediate")
        except RuntimeError:  # not running (a test stopped it): nothing to stop
            pass
        shutil.rmtree(self.root, ignore_errors=True)
