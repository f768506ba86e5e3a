"""Keep in a built layer's botocore only the AWS services named (the Makefile's AWS_SERVICES, the
services the code makes clients for): their models, and their entries in endpoints.json.

botocore ships the models of every AWS service (19.5 MB of the layer), and each client it
creates lists them all, twice, and parses the endpoints of all of them (a 1.25 MB JSON file): about
25 ms of CPU on every cold start, for services no function calls. A client for a service not kept
fails with botocore's UnknownServiceError; tests/template keeps the list equal to the code's clients.

usage: python3.13 botocore_services.py <layer python folder> <service> [<service> ...]
"""

import gzip
import json
import shutil
import sys
from pathlib import Path


def endpoint_prefix(service_folder: Path) -> str:
    """The key of the service in endpoints.json: its model's endpointPrefix (newest API version)."""
    newest = sorted(v for v in service_folder.iterdir() if (v / "service-2.json.gz").exists())[-1]
    model = json.loads(gzip.decompress((newest / "service-2.json.gz").read_bytes()))
    return model["metadata"]["endpointPrefix"]


def keep_only(layer: Path, services: set[str]) -> None:
    data = layer / "botocore" / "data"
    missing = services - {folder.name for folder in data.iterdir() if folder.is_dir()}
    if missing:
        sys.exit(f"botocore has no model for {sorted(missing)}")
    prefixes = {endpoint_prefix(data / service) for service in services}
    for folder in data.iterdir():
        if folder.is_dir() and folder.name not in services:
            shutil.rmtree(folder)
    endpoints_file = data / "endpoints.json"
    endpoints = json.loads(endpoints_file.read_text(encoding="utf-8"))
    for partition in endpoints["partitions"]:
        partition["services"] = {k: v for k, v in partition["services"].items() if k in prefixes}
    endpoints_file.write_text(json.dumps(endpoints, indent=1), encoding="utf-8")


if __name__ == "__main__":
    keep_only(Path(sys.argv[1]), set(sys.argv[2:]))
