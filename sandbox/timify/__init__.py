"""A simulator of TIMIFY's DevAPI (facts: shared/reference/apps/FACTS.md §3)."""
