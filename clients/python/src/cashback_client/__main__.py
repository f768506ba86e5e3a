"""python -m cashback_client: the same as the `cashback` command."""

from cashback_client.cli import main

raise SystemExit(main())
