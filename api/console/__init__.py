"""The staff consoles served at /console: the shared shell (layout, sign-in, live updates) and the support pages."""
