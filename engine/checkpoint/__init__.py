"""Checkpoint savers and the checkpoint data types."""
