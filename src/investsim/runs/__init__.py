"""Running replications: seeds, batches, worker processes or Dask, and :func:`simulate`,
which turns them into a :class:`~investsim.results.forecast.Forecast`."""
