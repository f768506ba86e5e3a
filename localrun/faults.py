"""DynamoDB faults on a fraction of calls, injected in the functions' processes through botocore
event hooks (as localrun.iam checks IAM there): what the API does when DynamoDB throttles or fails.

`LOCALRUN_FAULTS` (JSON) turns it on for every execution environment the runner starts:

    {"throttle": 0.2, "error": 0.1, "lost_reply": 0.05, "seed": 7}

- throttle: the attempt is not sent; it answers ProvisionedThroughputExceededException (HTTP 400),
  which the SDK retries as it retries the real one.
- error: the attempt is not sent; it answers InternalServerError (HTTP 500), also retried.
- lost_reply: the call reaches DynamoDB and succeeds, then the function is told InternalServerError
  (after the SDK's retries): the write happened but its caller cannot know. This is what makes a
  retried webhook count twice, if anything can.

Each fraction applies to each attempt (throttle, error) or call (lost_reply) independently; the
injected calls are counted in the process and logged on stderr as `localrun.faults ...` lines.
"""

from __future__ import annotations

import json
import os
import random
import sys
from typing import Any

import boto3
from botocore import handlers
from botocore.awsrequest import AWSResponse

ENVIRONMENT_VARIABLE = "LOCALRUN_FAULTS"
_THROTTLE = (
    "ProvisionedThroughputExceededException",
    400,
    "The level of configured provisioned throughput was exceeded.",
)
_ERROR = ("InternalServerError", 500, "Internal server error (injected).")


class _Raw:
    """Just enough of urllib3's response for botocore to read an injected body."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


class Faults:
    def __init__(self, throttle: float = 0.0, error: float = 0.0, lost_reply: float = 0.0, seed: int = 0) -> None:
        self.throttle, self.error, self.lost_reply = throttle, error, lost_reply
        self.random = random.Random(seed * 1_000_003 + os.getpid())  # noqa: S311 (not for secrets)

    def _answer(self, request: Any, fault: tuple[str, int, str]) -> AWSResponse:
        code, status, message = fault
        _note(code, request)
        body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}).encode()
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "injected"}
        return AWSResponse(request.url, status, headers, _Raw(body))

    def before_send(self, request: Any, **_: Any) -> AWSResponse | None:
        """An attempt that never reaches DynamoDB."""
        draw = self.random.random()
        if draw < self.throttle:
            return self._answer(request, _THROTTLE)
        if draw < self.throttle + self.error:
            return self._answer(request, _ERROR)
        return None

    def after_call(self, http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        """A call that succeeded in DynamoDB, reported to the function as failed."""
        if http_response.status_code < 300 and self.random.random() < self.lost_reply:
            _note(f"lost reply of {model.name}", None)
            http_response.status_code = 500
            parsed["Error"] = {"Code": "InternalServerError", "Message": "Reply lost (injected)."}


def _note(what: str, request: Any) -> None:
    target = (request.headers.get("X-Amz-Target", b"") if request is not None else b"") or b""
    operation = target.decode() if isinstance(target, bytes) else str(target)
    print(f"localrun.faults {what} {operation}".rstrip(), file=sys.stderr, flush=True)


def install_from_environment() -> Faults | None:
    """Hook the faults of LOCALRUN_FAULTS into every DynamoDB client made from now on (clients copy
    botocore's built-in handlers when created, so this runs before the function's code)."""
    spec = os.environ.get(ENVIRONMENT_VARIABLE)
    if not spec:
        return None
    faults = Faults(**json.loads(spec))
    hooks = [("before-send.dynamodb", faults.before_send), ("after-call.dynamodb", faults.after_call)]
    handlers.BUILTIN_HANDLERS.extend(hooks)
    if boto3.DEFAULT_SESSION is not None:
        for event, hook in hooks:
            boto3.DEFAULT_SESSION.events.register(event, hook)
    return faults
