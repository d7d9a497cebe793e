"""E-réservation: a web visitor reserves a vehicle and pays its deposit; the result page."""
