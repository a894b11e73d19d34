"""The one error of configuration, raised by every part of rkc.yaml's reader."""


class ConfigError(Exception):
    """The configuration file is missing or wrong; the message names the file and the key."""
