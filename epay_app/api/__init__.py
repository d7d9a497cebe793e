"""Thin HTTP routes: verify, call a service, answer."""
