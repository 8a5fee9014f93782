"""The web foundation under the API and the domains' routes (alerting/incidents/routes.py, sources/routes.py):
access (users, roles, sessions and tokens, who is asking), what a route may use of the app's state, and checks on
parameters several routes share. It imports neither api/ nor a domain, so both can import it."""
