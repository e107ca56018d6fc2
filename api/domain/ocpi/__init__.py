"""OCPI 2.2.1 for the CPO side: transport, credentials, partners and the modules other platforms call.

Everything here speaks OCPI's snake_case JSON and answers in the OCPI envelope; none of it is reachable with the
app's JWT, and nothing of the app API accepts an OCPI token.
"""
