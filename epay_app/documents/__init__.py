"""Printed documents (PDF, French): one layout (layout.py), one small module per document.

The services gather typed facts (facts.py: cents, UTC, codes); the modules here own the words
and the formatting, as emails/ does for the mails."""
