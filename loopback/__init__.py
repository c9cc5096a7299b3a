"""Stand-ins for the services the hub talks to but that no test or benchmark may reach:
Discord (`loopback.discord`: REST API v10 and the gateway) and SendGrid (`loopback.sendgrid`:
Mail Send v3, and its signed Event Webhook, `loopback.webhook_signing`).

They speak those services' wire protocols over real HTTP and WebSockets on 127.0.0.1, and check
every request against the services' official OpenAPI contracts (copies in `tests/contracts/`, each
with its licence), so a request the real service would refuse fails the test that made it.

Used by the tests (tests/) and the benchmarks (bench/), which both import them from here, so
that neither reaches into the other. Never shipped: this package is not in setuptools'
`packages` (pyproject.toml), and the hub itself imports nothing from it.
"""
