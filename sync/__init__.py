"""Provides the school server: pulls device logs, pushes datasets, the school-wide view, its API (api/), the office's
pages (office/) and the upward report it sends (upward_feed); and the district's side (district/, its pages bureau/)."""
