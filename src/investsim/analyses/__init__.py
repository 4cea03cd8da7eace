"""What is done with many runs: compare (paired differences, attribution), sweep,
sensitivity and calibrate, and the metrics and parameters they take."""
