"""The service platform: ``ipledger serve``.

A FastAPI app with server-rendered pages (register, asset provenance, valuations, quotes,
portfolio, audit, organisations) and a REST API under ``/api/v1`` mirroring the Python API, for
accounts of member organisations with roles matching the chain's. See docs/platform.md.

    from ipledger.web import WebSettings, create_app
    app = create_app(WebSettings(profile="local"))
"""

from __future__ import annotations

from ipledger.web.app import WebSettings, create_app

__all__ = ["WebSettings", "create_app"]
