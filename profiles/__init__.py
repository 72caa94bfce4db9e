"""Data files shipped with rigbench (guideline profiles, GPU catalog, cloud prices). Read with importlib.resources."""
