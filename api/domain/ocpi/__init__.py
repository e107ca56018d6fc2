"""OCPI 2.2.1 CPO interface: the modules partners call under /ocpi."""
