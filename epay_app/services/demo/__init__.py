"""Demo data and demo legal texts."""
