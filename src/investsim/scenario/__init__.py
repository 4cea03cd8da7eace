"""The scenario file format: the validated configuration (pydantic), the delay and size
distributions, and loading files, overrides and the projects register."""
