"""Use cases. They take a SQLModel session, raise domain errors, and never import reflex."""
