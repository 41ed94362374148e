"""The HTTP side of the server (aiohttp): one application, one route table, one error boundary.

| module | what |
|---|---|
| `app.py` | `make_app(config)`: the application context, the route table, the security headers |
| `context.py` | `AppContext`: the hub and the request budgets every handler reads from `request.app` |
| `errors.py` | the error boundary: a `ProtocolError` (or an aiohttp refusal under /api/) becomes a JSON error |
| `inputs.py` | what a handler reads from a request: the JSON body, the bearer token, the facilitator |
| `api.py` | the core API: sessions, join, control, health, metrics, scenarios |
| `ws.py` | the one WebSocket (`GET /ws`) |
| `research.py` | exports, consent, the closing questionnaire, completion codes |
| `pages.py` | the web clients: pages, static files, the join QR code, two read-only JSON routes |
| `openapi.py` | `GET /api/openapi.json` |
"""
