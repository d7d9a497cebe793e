"""Following payments: the e-Paiements list and tiles, the CSV export, Pilotage, the live feed."""
