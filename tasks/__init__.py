"""mlpulse's library: statistics, store, metrics, model registry, training, settings.

Nothing here imports ``flows`` or ``api``; the statistical modules import neither
Prefect nor SQLAlchemy, so they can be tested and benchmarked on arrays alone.
"""
