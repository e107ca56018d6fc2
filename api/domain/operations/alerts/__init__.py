"""Operations alerts: the engine behind the detectors' condition reports, its scan, notices and API."""
