"""Pure tariff engine with OCPI 2.2.1 semantics plus idle fees, dynamic prices, quotes and price text; no I/O."""
