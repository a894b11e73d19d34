"""The ``rkc`` console script (and ``python -m rkc``): Arrow's allocator first, then the command line."""

from rkc.memory import name_arrow_allocator


def main() -> None:
    """Name Arrow's allocator before anything loads pyarrow, then run the ``rkc`` command line."""
    name_arrow_allocator()
    from rkc.cli import app  # after: the command modules' imports load pyarrow

    app()


if __name__ == "__main__":
    main()
