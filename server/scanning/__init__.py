"""Scanning: what a code is (products, locations, lots, GS1 element strings, bracketed GS1 and
Digital Link URLs) and the scan log."""

from server.scanning.service import (
    CLOCK_SKEW,
    MAX_GS1_ELEMENTS,
    MAX_SCAN_LENGTH,
    CodeKind,
    Gs1Element,
    Resolution,
    ScanInfo,
    record_scan,
    resolve,
    scan,
    scan_log,
    scans_by_ids,
)

__all__ = [
    "CLOCK_SKEW",
    "MAX_GS1_ELEMENTS",
    "MAX_SCAN_LENGTH",
    "CodeKind",
    "Gs1Element",
    "Resolution",
    "ScanInfo",
    "record_scan",
    "resolve",
    "scan",
    "scan_log",
    "scans_by_ids",
]
