"""The application layer: configuration, the working directory and the ``rkc`` command line."""
