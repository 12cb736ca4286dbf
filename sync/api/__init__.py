"""Provides the school server's HTTP API: the device's shape (health, live, sessions, actions) school-wide.

Authentication, roles, the error shape, request parsing, routing and the OpenAPI document are the
device's own (`edge.api`), so a client that speaks to a device speaks to the server.
"""
