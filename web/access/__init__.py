"""Access control: users with roles scoped by unit, dashboard sessions, API tokens, login rate limits."""
