"""The check every HTTP test runs after itself (tests/local_api.py): which runner output is a finding."""

from __future__ import annotations

from tests.local_api import unexpected_failures

OUTPUT = """\
127.0.0.1 - - [03/Dec/2026 18:20:00] "POST /search HTTP/1.1" 500 -
127.0.0.1 - - [03/Dec/2026 18:20:00] "POST /search/batch HTTP/1.1" 502 -
127.0.0.1 - - [03/Dec/2026 18:20:00] "GET /health HTTP/1.1" 503 -
127.0.0.1 - - [03/Dec/2026 18:20:00] "GET /agents HTTP/1.1" 200 -
{"level":"ERROR","message":"unhandled error","exception":"Traceback (most recent call last): ..."}
Traceback (most recent call last):
  File "authorizer/handler.py", line 26, in lambda_handler
Exception: Unauthorized
Traceback (most recent call last):
  File "store/dynamo.py", line 66, in get_item
botocore.exceptions.ClientError: An error occurred (ProvisionedThroughputExceededException)

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "authorizer/handler.py", line 24, in lambda_handler
cashback.store.dynamo.StoreUnavailable: The database is unavailable; retry later.
Traceback (most recent call last):
  File "localrun/worker.py", line 170, in serve
RecursionError: maximum recursion depth exceeded
"""


def test_5xx_answers_logged_exceptions_and_crashes_are_findings_expected_raises_are_not() -> None:
    assert unexpected_failures(OUTPUT) == [
        '127.0.0.1 - - [03/Dec/2026 18:20:00] "POST /search HTTP/1.1" 500 -',
        '127.0.0.1 - - [03/Dec/2026 18:20:00] "POST /search/batch HTTP/1.1" 502 -',
        '{"level":"ERROR","message":"unhandled error","exception":"Traceback (most recent call last): ..."}',
        "RecursionError: maximum recursion depth exceeded",
    ]
