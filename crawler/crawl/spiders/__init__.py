"""The audit spider."""
