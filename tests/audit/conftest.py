"""Decision-log fixtures: a real PostgreSQL 15 cluster in a temp dir (session-scoped) and a
`store_url` fixture parametrized over SQLite and PostgreSQL, so one contract suite runs on both.

The cluster: initdb + pg_ctl from GOVERNANCE_TEST_PG_BIN (scripts/test sets it), else PATH, else
/usr/lib/postgresql/*/bin; a unix socket in the temp dir, no TCP, trust auth. initdb refuses to
run as root, so as root the cluster belongs to the `postgres` user (or `nobody`)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from governance.audit.factory import open_stores
from governance.audit.quota import SqlQuota
from governance.audit.sqlstore import SqlLog
from governance.domain.records import DecisionRecord, new_ulid
from tests.conftest import free_port


def find_pg_bin() -> Path | None:
    configured = os.environ.get("GOVERNANCE_TEST_PG_BIN")
    candidates = [configured] if configured else []
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(str(Path(initdb).resolve().parent))
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for directory in candidates:
        if (Path(directory) / "initdb").exists() and (Path(directory) / "pg_ctl").exists():
            return Path(directory)
    return None


@dataclass
class PgCluster:
    """A throwaway PostgreSQL server; `database()` hands out fresh databases."""

    bin_dir: Path
    root: Path
    port: int
    fsync: bool = False
    owner: pwd.struct_passwd | None = field(default=None)

    @property
    def socket_dir(self) -> Path:
        return self.root / "sock"

    def start(self) -> PgCluster:
        self.socket_dir.mkdir()
        if os.geteuid() == 0:
            self.owner = _unprivileged_user()
            for path in (self.root, self.socket_dir):
                os.chown(path, self.owner.pw_uid, self.owner.pw_gid)
        self._run("initdb", "-D", str(self.root / "data"), "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", "--locale=C")  # fmt: skip
        self.start_server()
        return self

    def start_server(self) -> None:
        options = f"-c listen_addresses='' -k {self.socket_dir} -p {self.port}"
        options += " -c max_connections=200"
        if not self.fsync:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(self.root / "data"), "-l", str(self.root / "log"),
                  "-o", options, "-w", "-t", "60", "start")  # fmt: skip

    def stop_server(self, check: bool = True) -> None:
        """Stops the server the way a crash would (no shutdown checkpoint)."""
        self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "stop", check=check)

    def stop(self) -> None:
        self.stop_server(check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql://postgres@/{database}?host={self.socket_dir}&port={self.port}"

    def database(self, prefix: str = "t") -> str:
        """Creates an empty database and returns its SQLAlchemy URL."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        conninfo = f"host={self.socket_dir} port={self.port} user=postgres dbname=postgres"
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def _run(self, program: str, *args: str, check: bool = True) -> None:
        command = [str(self.bin_dir / program), *args]
        kwargs: dict[str, Any] = {}
        if self.owner is not None:
            kwargs = {"user": self.owner.pw_uid, "group": self.owner.pw_gid, "extra_groups": []}
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.root, **kwargs)
        if check and done.returncode != 0:
            raise RuntimeError(f"{program} failed: {done.stderr or done.stdout}")


def _unprivileged_user() -> pwd.struct_passwd:
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and neither user postgres nor nobody exists")


def start_cluster(*, fsync: bool = False) -> PgCluster:
    bin_dir = find_pg_bin()
    if bin_dir is None:
        raise FileNotFoundError(
            "PostgreSQL server binaries not found: set GOVERNANCE_TEST_PG_BIN or run "
            "scripts/ensure-postgres (scripts/test does)"
        )
    root = Path(tempfile.mkdtemp(prefix="governance-pg-"))
    cluster = PgCluster(bin_dir, root, free_port(), fsync=fsync)
    try:
        return cluster.start()
    except BaseException:
        cluster.stop()
        raise


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    try:
        cluster = start_cluster()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> str:
    return pg_cluster.database()


@pytest.fixture
def log_and_quota(store_url: str) -> Iterator[tuple[SqlLog, SqlQuota]]:
    """The gateway's log and quota store on `store_url`, as its factory opens them."""
    log, quota = open_stores(store_url)
    yield log, quota
    quota.close()
    log.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty log database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'log.db'}"
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    return cluster.database()


# ---- records -------------------------------------------------------------------------------

ORGS = ("acme-us", "panda-cn", "euro-de")
HOMES = {"acme-us": "US", "panda-cn": "CN", "euro-de": "DE"}
BASE_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def sample_record(
    i: int,
    *,
    org: str | None = None,
    outcome: str | None = None,
    jurisdictions: list[str] | None = None,
    method: str | None = None,
    travel_rule: dict[str, Any] | None = None,
    amount_usd: float = 0.0,
    minute: int | None = None,
    sub: str | None = None,
    reason: str | None = None,
) -> DecisionRecord:
    """A deterministic, varied record: org, outcome, method and time follow `i`."""
    org = org or ORGS[i % len(ORGS)]
    home = HOMES.get(org, "US")
    outcome = outcome or ("deny" if i % 4 == 3 else "allow")
    method = method or ("eth_sendRawTransaction" if i % 2 else "eth_getBalance")
    kind = "write" if method == "eth_sendRawTransaction" else "read"
    if jurisdictions is None:
        jurisdictions = sorted({home, "CN" if i % 5 == 0 else home})
    code = reason or ("KYC_REQUIRED" if i % 8 == 3 else "LIMIT_EXCEEDED")
    denial = {"code": code, "jurisdiction": home, "regulation": "test", "message": "denied"}
    reasons = [] if outcome == "allow" else [denial]
    subject = {"sub": sub or f"user{i % 7}", "org": org, "jurisdiction": home, "roles": ["trader"]}
    subject |= {"entity_kind": "institution", "kyc": "verified"}
    obligations = {"redact": [], "report": [], "require_travel_rule": False}
    ms = BASE_MS + 60_000 * (i if minute is None else minute)
    return DecisionRecord(
        id=new_ulid(ms),
        time=datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        ledger="main",
        method=method,
        kind=kind,
        subject=subject,
        input={"request": {"method": method, "n": i}, "travel_rule": travel_rule},
        result={
            "allow": outcome == "allow",
            "reasons": reasons,
            "jurisdictions": jurisdictions,
            "obligations": obligations,
        },
        outcome=outcome,
        revision="rev-test",
        latency_us=100 + i,
        amount_usd=amount_usd,
        cross_border=len(jurisdictions) > 1,
    )
