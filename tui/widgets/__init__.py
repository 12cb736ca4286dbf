"""Provides the console's widgets, one a module: each takes attributes from its screen and posts intents up."""
