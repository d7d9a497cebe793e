"""Paramètres: the settings home, and Opportunités > Autres > Parcours de vente digitalisé."""
