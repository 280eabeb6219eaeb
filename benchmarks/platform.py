"""The service platform under load: a 100,000-record ledger served on loopback.

Ledger: 2,000 assets and 100,000 licence records on the embedded chain (batches of 500, as the
indexer and audit benchmarks build theirs), indexed into SQLite. Built once and cached in
``IPLEDGER_BENCH_CACHE`` (default ``~/.cache/ipledger-bench``); ``IPLEDGER_BENCH_SCALE`` scales
the record count for quick trials.

Server: ``ipledger serve`` in its own process on 127.0.0.1 (one uvicorn worker, as a user starts
it). Client: another process of 50 asyncio connections (HTTP/1.1 keep-alive, one request in
flight each), each asking for random assets; a request's latency runs from writing it to having
read the whole answer. Scenarios, each bounded in requests and seconds:

- ``page_asset_cold``: 300 random assets' pages, each visited for the first time (a first visit
  builds the asset's provenance from ``Ledger.history``; 50 clients at once);
- ``page``: the asset page (HTML) of those 300 assets, at random, signed in with a browser
  session: the steady state of pages people have opened before;
- ``api``: ``GET /api/v1/assets/ID`` of random assets among all 2,000, with an API token;
- ``api_history``: ``GET /api/v1/assets/ID/history`` of the 300 visited assets.

The machine is shared: ``load_average_before``/``_after`` record the 1-minute load average
around the measurement, since other work on the two cores inflates every latency.

Targets: ``api_asset_p99_ms`` <= 200 and ``page_asset_p99_ms`` <= 300 at 50 clients. The
authorisation matrix (every endpoint x role, expectations from docs/platform.md) runs against
the same server over HTTP: ``authz_cases`` requests, ``authz_failures`` mismatches.
"""

from __future__ import annotations

import asyncio
import http.client
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
SCALE = float(os.environ.get("IPLEDGER_BENCH_SCALE", "1"))
RECORDS = int(100_000 * SCALE)
N_ASSETS = 2_000
CLIENTS = 50
REQUESTS = 5_000
COLD_ASSETS = 300
MAX_SECONDS = 120.0
PASSWORD = "bench password 1"
HOST = "127.0.0.1"


def _cache() -> Path:
    base = Path(os.environ.get("IPLEDGER_BENCH_CACHE", Path.home() / ".cache" / "ipledger-bench"))
    return base / f"platform-{RECORDS}"


def build_ledger(folder: Path) -> dict[str, Any]:
    """The cached ledger in ``folder`` (built when missing): figures of how it was built."""
    done = folder / "complete"
    if done.is_file():
        return {"ledger_cached": True}
    import shutil

    from benchmarks._chain import FILED, licences
    from ipledger.chain import AssetInput, AssetKind
    from ipledger.chain.connect import connect, ensure_deployed, open_backend
    from ipledger.config import Profile
    from ipledger.ledger import Ledger

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    profile = Profile(name="bench", data_dir=folder)
    t = time.perf_counter()
    backend = open_backend(profile)
    ensure_deployed(profile, backend)
    client = connect(profile, backend)
    owners = backend.accounts()[1:]
    assets = [
        AssetInput(
            "CN",
            AssetKind.INVENTION,
            f"ZL2016{i:07d}.X",
            "H04L9/32",
            FILED,
            owners[i % len(owners)],
            FILED + 700 * 86400,
        )
        for i in range(N_ASSETS)
    ]
    list(client.register_assets(assets, batch_size=250))
    for _ in client.record_many(licences(client, assets, RECORDS), batch_size=500):
        pass
    build_s = time.perf_counter() - t
    ledger = Ledger(profile, backend)
    sync = ledger.sync(progress=False)
    ledger.close()
    done.write_text(f"{RECORDS}\n")
    return {"ledger_cached": False, "ledger_build_s": round(build_s, 1), "ledger_index_s": round(sync.seconds, 1)}


# ---------------------------------------------------------------- the server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _cli(folder: Path, *args: str, **env: str) -> str:
    e = {**os.environ, "IPLEDGER_DATA_DIR": str(folder), "IPLEDGER_PROFILE": "local", **env}
    proc = subprocess.run(
        [sys.executable, "-m", "ipledger.cli.main", *args], env=e, capture_output=True, text=True, cwd=folder
    )
    if proc.returncode != 0:
        raise RuntimeError(f"ipledger {' '.join(args)}: {proc.stderr.strip()}")
    return proc.stdout


def start_server(folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    env = {**os.environ, "IPLEDGER_DATA_DIR": str(folder), "IPLEDGER_PROFILE": "local"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ipledger.cli.main", "serve", "--host", HOST, "--port", str(port)],
        env=env,
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return proc, port
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}") from None
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("server did not start in 120 s")


def _request(port: int, method: str, url: str, headers: dict[str, str], body: bytes | None = None) -> Any:
    c = http.client.HTTPConnection(HOST, port, timeout=120)
    try:
        c.request(method, url, body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data
    finally:
        c.close()


def log_in(port: int, user: str) -> tuple[str, str, str]:
    """A browser session for ``user``: (cookie, CSRF token, a read+write API token issued on
    the account page), as a person would get them."""
    body = urlencode({"username": user, "password": PASSWORD, "next": "/account"}).encode()
    status, headers, _ = _request(port, "POST", "/login", {"content-type": "application/x-www-form-urlencoded"}, body)
    cookie = headers.get("set-cookie", "").split(";")[0]
    if status != 303 or not cookie:
        raise RuntimeError(f"log-in as {user} failed ({status})")
    _, _, page = _request(port, "GET", "/account", {"cookie": cookie})
    csrf = re.search(rb'name="csrf" value="([^"]+)"', page)
    assert csrf, "no CSRF token on the account page"
    body = urlencode({"csrf": csrf.group(1).decode(), "label": "bench", "scope_read": "on", "scope_write": "on"})
    _, _, page = _request(
        port,
        "POST",
        "/account/tokens",
        {"cookie": cookie, "content-type": "application/x-www-form-urlencoded"},
        body.encode(),
    )
    token = re.search(rb'id="new-token">([^<]+)<', page)
    assert token, "no token on the account page"
    return cookie, csrf.group(1).decode(), token.group(1).decode()


# ---------------------------------------------------------------- load


async def _client(
    port: int, paths: list[str], headers: str, latencies: list[float], deadline: float, errors: list[int]
) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        for path in paths:
            if time.monotonic() > deadline:
                return
            t = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\n{headers}\r\n".encode())
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            m = re.search(rb"content-length: *(\d+)", head, re.I)
            if m:
                await reader.readexactly(int(m.group(1)))
            else:  # chunked
                while True:
                    size = int((await reader.readline()).strip(), 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            latencies.append(time.perf_counter() - t)
            if status != 200:
                errors.append(status)
    finally:
        writer.close()


def load(port: int, paths: list[str], headers: dict[str, str], clients: int = CLIENTS) -> dict[str, float]:
    """Run ``paths`` spread over ``clients`` concurrent connections; latency percentiles in ms."""
    latencies: list[float] = []
    errors: list[int] = []
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    per = [paths[i::clients] for i in range(clients)]

    async def main() -> float:
        deadline = time.monotonic() + MAX_SECONDS
        t = time.perf_counter()
        await asyncio.gather(*(_client(port, p, head, latencies, deadline, errors) for p in per if p))
        return time.perf_counter() - t

    wall = asyncio.run(main())
    ms = sorted(x * 1000 for x in latencies)

    def q(p: float) -> float:
        return round(ms[min(len(ms) - 1, int(p * len(ms)))], 1)

    return {
        "requests": len(ms),
        "errors": len(errors),
        "p50_ms": q(0.50),
        "p90_ms": q(0.90),
        "p99_ms": q(0.99),
        "max_ms": round(ms[-1], 1),
        "mean_ms": round(statistics.fmean(ms), 1),
        "rps": round(len(ms) / wall, 1),
    }


def authz(port: int, creds: dict[str, Any], asset: str) -> tuple[int, int, list[str]]:
    from ipledger.web.authz import parse_markdown_table
    from ipledger.web.matrix import run_matrix

    text = (ROOT / "docs" / "platform.md").read_text()
    m = re.search(r"<!-- access-table:members -->\n(.*?)<!-- /access-table -->", text, re.S)
    assert m
    expected = parse_markdown_table(m.group(1))

    def send(method: str, url: str, headers: dict[str, str], body: Any, is_json: bool) -> tuple[int, str]:
        import json

        data = None
        if body is not None:
            data = json.dumps(body).encode() if is_json else urlencode(body).encode()
            headers = {
                **headers,
                "content-type": "application/json" if is_json else "application/x-www-form-urlencoded",
            }
        status, h, _ = _request(port, method, url, headers, data)
        return status, h.get("location", "")

    cases = run_matrix(send, creds, expected, asset, "0x" + "ab" * 32)
    wrong = [f"{c.method} {c.path} as {c.role}: {c.status}" for c in cases if not c.ok]
    return len(cases), len(wrong), wrong


def run() -> dict[str, Any]:
    from ipledger.web.accounts import ROLES
    from ipledger.web.matrix import Credential

    folder = _cache()
    out: dict[str, Any] = {"records": RECORDS, "assets": N_ASSETS, "clients": CLIENTS, "host": HOST}
    out.update(build_ledger(folder))
    (folder / "platform.sqlite").unlink(missing_ok=True)
    _cli(folder, "serve", "org", "add", "bench-org", "Bench", "--kind", "auditor")
    for role in ROLES:
        _cli(
            folder,
            "serve",
            "user",
            "add",
            role.replace("-", ""),
            "--org",
            "bench-org",
            "--role",
            role,
            IPLEDGER_WEB_PASSWORD=PASSWORD,
        )
    proc, port = start_server(folder)
    try:
        creds = {}
        for role in ROLES:
            cookie, csrf, token = log_in(port, role.replace("-", ""))
            creds[role] = Credential(cookie, csrf, token)
        rng = random.Random(1)
        ids = [f"ZL2016{i:07d}.X" for i in range(N_ASSETS)]
        _, _, body = _request(
            port, "GET", f"/api/v1/assets?q={ids[0]}", {"authorization": f"Bearer {creds['auditor'].token}"}
        )
        import json

        first = json.loads(body)["items"][0]["asset_id"]
        t = time.perf_counter()
        status, _, _ = _request(port, "GET", f"/assets/{first}", {"cookie": creds["auditor"].cookie})
        out["first_page_s"] = round(time.perf_counter() - t, 2)  # includes building the indexes
        if status != 200:
            raise RuntimeError(f"the first asset page answered {status}")
        lookup = {}
        for i in range(0, N_ASSETS, 100):
            _, _, body = _request(
                port,
                "GET",
                f"/api/v1/assets?per_page=100&page={i // 100 + 1}",
                {"authorization": f"Bearer {creds['auditor'].token}"},
            )
            for item in json.loads(body)["items"]:
                lookup[item["registry_number"]] = item["asset_id"]
        asset_ids = [lookup[i] for i in ids if i in lookup]
        if len(asset_ids) != N_ASSETS:
            raise RuntimeError(f"the API listed {len(asset_ids)} of {N_ASSETS} assets")
        session = {"cookie": creds["auditor"].cookie}
        bearer = {"authorization": f"Bearer {creds['auditor'].token}"}
        visited = rng.sample(asset_ids, COLD_ASSETS)
        out["load_average_before"] = os.getloadavg()[0]
        out["page_asset_cold"] = load(port, [f"/assets/{a}" for a in visited], session)
        page = load(port, [f"/assets/{rng.choice(visited)}" for _ in range(REQUESTS)], session)
        api = load(port, [f"/api/v1/assets/{rng.choice(asset_ids)}" for _ in range(REQUESTS)], bearer)
        hist = load(port, [f"/api/v1/assets/{rng.choice(visited)}/history" for _ in range(REQUESTS // 5)], bearer)
        out["load_average_after"] = os.getloadavg()[0]
        out.update(page_asset=page, api_asset=api, api_history=hist)
        out["page_asset_p50_ms"], out["page_asset_p99_ms"] = page["p50_ms"], page["p99_ms"]
        out["api_asset_p50_ms"], out["api_asset_p99_ms"] = api["p50_ms"], api["p99_ms"]
        out["api_asset_target_met"] = api["p99_ms"] <= 200 and api["errors"] == 0
        out["page_asset_target_met"] = page["p99_ms"] <= 300 and page["errors"] == 0
        n, failures, wrong = authz(port, creds, asset_ids[0])
        out["authz_cases"], out["authz_failures"] = n, failures
        if wrong:
            out["authz_wrong"] = wrong[:20]
    finally:
        proc.terminate()
        proc.wait(30)
    return out
