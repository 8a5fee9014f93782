"""API: FastAPI app with mention search, incidents, the live alert feed and the dashboard."""
