"""Provides the district's side of the upward report: its schema, its replication and its pulls."""
