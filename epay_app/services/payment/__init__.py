"""Payments: status changes, PSP callbacks and webhooks, refunds, reconciliation, links, periodic jobs."""
