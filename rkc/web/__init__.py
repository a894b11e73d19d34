"""The accountants' workbench: a server-rendered web application over the cases (docs/WORKBENCH.md)."""
