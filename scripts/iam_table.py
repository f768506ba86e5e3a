"""What each function may do on AWS, as a Markdown table in the README (between the iam-table
markers), generated from the SAM-transformed template: `make iam-table`. A test fails when the
README and the template disagree.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path

from localrun import deployment, iam
from localrun.template import LOCAL_API_ID

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
START, END = "<!-- iam-table:start -->", "<!-- iam-table:end -->"
# Every role also has these (SAM adds them): shown once under the table, not on each row.
COMMON = set(iam.MANAGED_POLICIES)


def _resource(arn: str) -> str:
    table = re.fullmatch(r"arn:aws:dynamodb:[^:]+:\d+:table/(.+)", arn)
    if table:
        return table.group(1)
    if arn.startswith("arn:aws:apigateway:"):
        return "API Gateway " + arn.split("::", 1)[1].replace(LOCAL_API_ID, "{this API}").replace("/dev/", "/{Stage}/")
    service, name = arn.split(":")[2], re.split(r"[:/]", arn)[-1]
    return f"{service} {name}"


def _grants(role: iam.Role) -> str:
    by_resource: dict[str, list[str]] = defaultdict(list)
    for statement in role.statements:
        if statement.source in COMMON:
            continue
        keys = [v for c in statement.conditions for v in c.values]
        actions = ", ".join(a.split(":", 1)[1] for a in statement.actions)
        for resource in statement.resources:
            by_resource[_resource(resource)].append(actions + (f" (keys {', '.join(keys)})" if keys else ""))
    return "; ".join(f"**{name}**: {'; '.join(grants)}" for name, grants in sorted(by_resource.items()))


def markdown() -> str:
    translated = deployment.translated_template(ROOT / "template.yaml")
    roles = iam.roles(translated, deployment.parameter_overrides("default"))
    rows = [f"| {name} | {_grants(role)} |" for name, role in sorted(roles.items())]
    return "\n".join(
        [
            "| Function | Allowed (table or resource: actions, and the partition keys they are limited to) |",
            "| --- | --- |",
            *rows,
            "",
            "Every role also has AWS's `AWSLambdaBasicExecutionRole` (its logs) and "
            "`AWSXrayWriteOnlyAccess` (its traces), which SAM attaches.",
        ]
    )


def readme_with_table(readme: str) -> str:
    before, _, rest = readme.partition(START)
    _, _, after = rest.partition(END)
    return f"{before}{START}\n{markdown()}\n{END}{after}"


def main() -> int:
    text = README.read_text(encoding="utf-8")
    if START not in text or END not in text:
        print(f"README.md needs the markers {START} and {END}", file=sys.stderr)
        return 1
    README.write_text(readme_with_table(text), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
