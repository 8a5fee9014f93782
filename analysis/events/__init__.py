"""Same-story events: reposts and near-duplicates across sources clustered by MinHash within a time window."""
