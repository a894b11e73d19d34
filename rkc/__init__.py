"""The application layer: configuration, the working directory, the use cases and the ``rkc`` command line.

Importing the package does nothing: the entry points name Arrow's allocator themselves
(``rkc.memory.name_arrow_allocator``).
"""
