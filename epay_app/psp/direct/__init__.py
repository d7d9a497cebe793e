"""Worldline Direct ("Online Payments"): Hosted Checkout, REST calls and webhooks, all through
Worldline's own SDK (onlinepayments-sdk-python3): no signature code of ours.

Facts and their sources: ../shared/notes/worldline-direct.md.
"""
