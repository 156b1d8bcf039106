"""Reading another assay server's Audit API over HTTP (httpx): the ledger's checkpoint, proofs
and public keys, for a witness that checks the server rather than trusts it."""

from __future__ import annotations

from typing import Any

import httpx

from assay.errors import InvalidInputError

__all__ = ["AuditApiClient"]


class AuditApiClient:
    """GET requests to the server at ``url`` with ``token`` as the bearer token (if any).
    Every failure (unreachable, an error status, an answer that is not JSON) is one
    :class:`InvalidInputError` naming the URL."""

    def __init__(self, url: str, token: str | None, *, timeout: float = 30.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise InvalidInputError(
                f"{url!r} is not an http(s) URL",
                source="URL",
                expected="the assay server's base URL, such as https://assay.example.org",
            )
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.url = url.rstrip("/")
        self._client = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def __enter__(self) -> AuditApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def _get(self, path: str, params: dict[str, Any] | None = None) -> httpx.Response:
        where = f"{self.url}{path}"
        try:
            response = self._client.get(path, params=params)
        except httpx.HTTPError as error:
            raise InvalidInputError(f"cannot reach the server ({error})", source=where) from None
        if response.status_code != 200:
            message = response.text[:300].strip()
            raise InvalidInputError(
                f"the server answered {response.status_code}: {message}",
                source=where,
                expected="a token that may read the ledger (--token or ASSAY_TOKEN)"
                if response.status_code in (401, 403)
                else None,
            )
        return response

    def _parsed(self, response: httpx.Response, path: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise InvalidInputError("the answer is not JSON", source=f"{self.url}{path}") from None

    def json(self, path: str, **params: Any) -> dict[str, Any]:
        """The JSON object at ``path``."""
        value = self._parsed(self._get(path, params or None), path)
        if not isinstance(value, dict):
            raise InvalidInputError("the answer is not a JSON object", source=f"{self.url}{path}")
        return value

    def json_list(self, path: str) -> list[dict[str, Any]]:
        """The JSON array of objects at ``path``."""
        value = self._parsed(self._get(path), path)
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise InvalidInputError("the answer is not a JSON array", source=f"{self.url}{path}")
        return value

    def text(self, path: str) -> str:
        """The text at ``path``."""
        return self._get(path).text
