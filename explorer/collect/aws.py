"""Calling AWS: one call, one paginated listing, error words, and the outer retry on throttling.

botocore's own adaptive retry mode (set on every client by `sessions.ClientFactory.client`) retries throttled calls with
client-side rate limiting. When throttling outlasts those attempts, `call` and `paginate` back off and try the
whole call (or listing) again a few times before the error becomes a gap.
"""
from __future__ import annotations

import json
import time
import urllib.parse

from botocore.exceptions import BotoCoreError, ClientError

THROTTLING_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
    "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown",
    "PriorRequestNotComplete", "EC2ThrottledException",
})

OUTER_ATTEMPTS = 4          # tries of a call after botocore's own retries gave up on throttling
BACKOFF_BASE_SECONDS = 2.0  # first wait; doubled each time (tests set it to 0)


class CollectCancelled(Exception):
    """The user asked to stop (the cancel callable returned True)."""


def error_code(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def is_throttling(exc: BaseException) -> bool:
    return error_code(exc) in THROTTLING_CODES


def is_not_found(exc: BaseException, *codes: str) -> bool:
    return error_code(exc) in codes


def error_words(exc: BaseException) -> str:
    """A short description of an AWS error for a gap: "AccessDenied: User ... is not authorized ..."."""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = err.get("Code", "ClientError")
        message = err.get("Message", "") or str(exc)
        op = getattr(exc, "operation_name", "")
        return f"{code}: {message}" + (f" ({op})" if op else "")
    if isinstance(exc, BotoCoreError):
        return f"{type(exc).__name__}: {exc}"
    return f"{type(exc).__name__}: {exc}"


def _with_backoff(fn, *, cancel=None):
    attempt = 0
    while True:
        try:
            return fn()
        except ClientError as exc:
            attempt += 1
            if not is_throttling(exc) or attempt >= OUTER_ATTEMPTS:
                raise
            delay = BACKOFF_BASE_SECONDS * (2 ** (attempt - 1))
            end = time.monotonic() + delay
            while time.monotonic() < end:
                if cancel is not None and cancel():
                    raise CollectCancelled() from None
                time.sleep(min(0.2, max(0.0, end - time.monotonic())))


def call(client, method: str, *, cancel=None, **kwargs) -> dict:
    """One API call (with the outer throttling retry). ResponseMetadata is dropped."""
    def once():
        response = getattr(client, method)(**kwargs)
        response.pop("ResponseMetadata", None)
        return response
    return _with_backoff(once, cancel=cancel)


def paginate(client, method: str, *, cancel=None, **kwargs) -> dict:
    """All pages of a listing merged into one response: list-valued result keys concatenated, every other key
    from the first page; the pagination markers (Marker, IsTruncated, NextToken, ...) are dropped. Throttling
    that outlasts botocore's retries restarts the listing."""
    if not client.can_paginate(method):  # e.g. S3 ListBuckets before botocore paginated it: one page
        kwargs.pop("PaginationConfig", None)
        return call(client, method, cancel=cancel, **kwargs)

    def once():
        paginator = client.get_paginator(method)
        result_keys = [k.expression for k in paginator.result_keys]
        markers = set(_names(paginator._pagination_cfg.get("output_token")))
        more = paginator._pagination_cfg.get("more_results")
        if more:
            markers.add(more)
        merged: dict = {}
        for page in paginator.paginate(**kwargs):
            page = dict(page)
            page.pop("ResponseMetadata", None)
            for key, value in page.items():
                if key in markers:
                    continue
                if key in result_keys and isinstance(value, list):
                    merged.setdefault(key, []).extend(value)
                else:
                    merged.setdefault(key, value)
        for key in result_keys:
            if "." not in key and "[" not in key:
                merged.setdefault(key, [])
        return merged
    return _with_backoff(once, cancel=cancel)


def _names(token) -> list[str]:
    tokens = token if isinstance(token, list) else [token] if token else []
    names = []
    for t in tokens:
        # e.g. "NextMarker || Contents[-1].Key": the first plain name is enough to drop the marker key
        names.extend(part.strip() for part in str(t).split("||") if part.strip().isidentifier())
    return names


def decode_policy(value):
    """A policy document as AWS returns it (JSON string, URL-encoded JSON string, or already a dict) as a dict;
    the original string when it cannot be decoded (the loader reports it)."""
    if value is None or isinstance(value, dict):
        return value
    if isinstance(value, str):
        for text in (value, urllib.parse.unquote(value)):
            try:
                decoded = json.loads(text)
            except ValueError:
                continue
            if isinstance(decoded, dict):
                return decoded
    return value
