"""`make bench`: figures printed, never asserted (they depend on the machine)."""
