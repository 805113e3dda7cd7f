"""Platform services, one `PlatformService` per file, listed in `catalog.py` and delivered through `chart.PlatformChart`."""
