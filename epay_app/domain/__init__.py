"""Pure domain: statuses, transitions, references, money, dates. No reflex, no SQL."""
