"""Console scripts of the package (``openai-org``)."""
