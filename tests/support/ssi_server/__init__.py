"""A local server speaking SSI FastConnect Data's REST API and SignalR hub (see server.py)."""

from tests.support.ssi_server.server import (
    DEFAULT_VN30,
    HUB_NAME,
    INVALID_CREDENTIALS_MESSAGE,
    HubCall,
    HubConnection,
    LocalSsiServer,
    RecordedRequest,
    sample_daily_index_rows,
    sample_daily_rows,
    sample_securities_rows,
)

__all__ = [
    "DEFAULT_VN30",
    "HUB_NAME",
    "INVALID_CREDENTIALS_MESSAGE",
    "HubCall",
    "HubConnection",
    "LocalSsiServer",
    "RecordedRequest",
    "sample_daily_index_rows",
    "sample_daily_rows",
    "sample_securities_rows",
]
