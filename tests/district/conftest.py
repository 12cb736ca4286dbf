"""Fixtures of the district's pages: one district PostgreSQL and one school's for the session, and the pages served."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from hardware.clock import SimClock
from tests.district import pg


@pytest.fixture(scope="session")
def district_clusters() -> Iterator[dict[str, Any]]:
    """The district's cluster (database `district`, its table made) and a school's (database `rollcall`)."""
    with pg.clusters("district_pages", "school_pages", schools=2) as clusters:
        dsns = {
            "district": clusters["district_pages"].create_database("district"),
            "school": clusters["school_pages"].create_database("rollcall"),
        }
        yield {"clusters": clusters, "dsns": dsns, "port": clusters["district_pages"].port,
               "school_port": clusters["school_pages"].port}  # fmt: skip


@pytest.fixture(scope="session")
def site(district_clusters: dict[str, Any]) -> Iterator[Any]:
    from tests.district.site import EVENING, served, site_config  # psycopg: only once the clusters are up

    with served(
        site_config(district_clusters["port"]), district_clusters["dsns"]["district"], SimClock(EVENING)
    ) as found:
        yield found
