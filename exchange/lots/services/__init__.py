"""Writes on lots: lifecycle, items, sanitisation, photos and bulk import."""
