"""Feature areas of the API, each with its controllers, schemas and services."""
