"""The SAM transform of template.yaml, as CloudFormation receives it at `sam deploy`, offline.

Runs in the aws-sam-cli environment (.venv-sam), on the SAM CLI's own validator and the pinned
aws-sam-translator, so what it prints is what the deploy would transform. Nothing here needs AWS
credentials: the managed-policy list that `sam validate` would fetch from IAM is given below.

    .venv-sam/bin/python scripts/sam_transform.py template.yaml "Stage=prod RateLimitFailMode=closed"

prints the translated template as JSON on stdout; a template SAM rejects exits 1 with its message.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import yaml
from samcli.commands.validate.lib.exceptions import InvalidSamDocumentException
from samcli.lib.translate.sam_template_validator import SamTemplateValidator
from samcli.yamlhelper import yaml_parse

# Only consulted for policies named by their short name in `Policies`; the template names none,
# but SAM asks for the map whenever a function has `Policies`.
MANAGED_POLICIES = {
    "AWSLambdaBasicExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "AWSXrayWriteOnlyAccess": "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    "AWSXRayDaemonWriteAccess": "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess",
}


class OfflineManagedPolicies:
    def load(self) -> dict[str, str]:
        return MANAGED_POLICIES


def translate(template_path: Path, parameter_overrides: dict[str, str]) -> dict:
    validator = SamTemplateValidator(
        yaml_parse(template_path.read_text(encoding="utf-8")),
        OfflineManagedPolicies(),  # type: ignore[arg-type]
        region="us-east-1",
        parameter_overrides=parameter_overrides,
    )
    return yaml.safe_load(validator.get_translated_template_if_valid())


def main(argv: list[str]) -> int:
    template_path = Path(argv[1])
    overrides = dict(pair.split("=", 1) for pair in shlex.split(argv[2])) if len(argv) > 2 else {}
    try:
        translated = translate(template_path, overrides)
    except InvalidSamDocumentException as exc:
        print(f"SAM transform failed: {exc}", file=sys.stderr)
        return 1
    json.dump(translated, sys.stdout, indent=1, sort_keys=True, default=str)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
